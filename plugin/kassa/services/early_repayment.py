"""Early repayment of an instalment plan: a quote, and the money applied to the invoices.

The figures come from :func:`kassa.core.early_repayment.early_repayment`. Registering money
received as an early repayment, in one transaction:

* a new schedule revision is appended (the agreed schedule stays as consented);
* the invoice of the next instalment carries the repayment: its amount becomes the payoff
  (all) or the repaid amount plus the new next instalment (part), and the money is booked on
  it like any payment (:func:`kassa.services.payments.record_payment`, once per
  ``(source, external_id)``);
* the later instalments' invoices get their new amounts, or are cancelled when the plan no
  longer has them; money already paid on them counts (:func:`kassa.services.credit_plan.
  apply_changes`), and each change is in the invoice's trail.

Instalments due on or before the repayment day are left as they are: still owed if unpaid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core.credit import Instalment
from ..core.early_repayment import (
    EarlyRepayment,
    EarlyRepaymentError,
    Keep,
    Plan,
    early_repayment,
    instalments_json,
)
from ..db.models import Agreement, Invoice, ScheduleRevision
from ..errors import KassaHTTPError
from ..signals import credit_repaid_early, send_after_commit
from ..state import KassaState
from .credit_plan import (
    InvoiceChange,
    agreed_on,
    apply_changes,
    invoice_message,
    latest_revision,
    live,
    lock_plan,
    next_revision_number,
    paid_toward_amount,
    plan_of,
    withdrawal_of,
)
from .credit_reporting import queue_credit_change
from .payments import PaymentError, record_payment

#: ``Payment.source`` of money registered as an early repayment.
SOURCE = "early_repayment"
#: Longest ``external_id`` of the payment it registers (``Payment.external_id``).
MAX_EXTERNAL_ID_LENGTH = 100
#: Furthest ahead a quote may be asked for, in days: a year, leap day included.
MAX_QUOTE_DAYS = 366


@dataclass(frozen=True)
class RepaymentResult:
    """An early repayment worked out (a quote) or applied (with its revision)."""

    agreement: Agreement
    figures: EarlyRepayment
    keep: Keep
    #: Paid already on the instalments it replaces: it counts toward them.
    prepaid: int
    #: Still unpaid on instalments due on or before the day: owed besides.
    also_due: int
    #: Money beyond what repaying everything takes, to refund.
    surplus: int = 0
    #: The revision it made; None for a quote.
    revision: ScheduleRevision | None = None

    @property
    def to_pay(self) -> int:
        """What repaying everything that day still takes: the payoff less what was paid
        ahead on the instalments it replaces."""
        return max(self.figures.payoff - self.prepaid, 0)


def quote_early_repayment(db: Session, agreement: Agreement, *, on: date, today: date,
                          amount: int | None = None,
                          keep: Keep = "instalments") -> RepaymentResult:
    """What repaying ``amount`` (None: everything) on ``on`` would do; nothing is written.

    :raises KassaHTTPError: as :func:`register_early_repayment`, and
        ``early_repayment.day`` for a day more than :data:`MAX_QUOTE_DAYS` ahead.
    """
    _check_agreement(db, agreement)
    if on > today + timedelta(days=MAX_QUOTE_DAYS):
        raise KassaHTTPError("early_repayment.day", f"a quote is given for a day at most "
                             f"{MAX_QUOTE_DAYS} days ahead", on=on.isoformat())
    _check_day(db, agreement, on)
    invoices = {i.instalment_number: i for i in live(agreement.invoices)}
    return _work_out(db, agreement, on, amount, keep, invoices)


def register_early_repayment(db: Session, state: KassaState, agreement: Agreement, *,
                             amount: int, received_on: date, external_id: str, today: date,
                             keep: Keep = "instalments", base_url: str) -> RepaymentResult:
    """Apply ``amount`` minor units received on ``received_on`` as an early repayment.

    It repays everything when, with what was paid ahead on the remaining instalments, it
    reaches the payoff (the rest is a surplus to refund, in the trail); otherwise it repays
    part, and ``keep`` says whether the instalments get lower or fewer.

    :raises KassaHTTPError: 422 ``early_repayment.method`` for an agreement that is not an
        instalment plan, ``early_repayment.withdrawn`` after a withdrawal,
        ``early_repayment.not_issued`` before the plan's invoices are issued,
        ``early_repayment.day`` for a day before the agreement, after ``today`` or before
        the plan's last change, ``early_repayment.nothing_left`` and
        ``early_repayment.amount`` (:func:`kassa.core.early_repayment.early_repayment`);
        409 ``early_repayment.duplicate`` for a payment ``external_id`` booked before.
        Nothing is written then.
    """
    _check_agreement(db, agreement)
    if received_on > today:
        raise KassaHTTPError("early_repayment.day", "money cannot be received after today",
                             on=received_on.isoformat())
    invoices = lock_plan(db, agreement)
    _check_agreement(db, agreement)  # again, under the lock
    _check_day(db, agreement, received_on)
    by_number = {i.instalment_number: i for i in live(invoices)}
    result = _work_out(db, agreement, received_on, amount, keep, by_number)
    figures = result.figures
    if any(row.number not in by_number for row in figures.replaced):
        raise KassaHTTPError("early_repayment.not_issued", "the plan's invoices are not all "
                             "issued yet")
    carrier = by_number[figures.replaced[0].number]
    new_rows = {row.number: row for row in figures.schedule}
    changes = []
    for row in figures.replaced:
        invoice = by_number[row.number]
        if invoice is carrier:
            target = figures.payoff if figures.full else amount + new_rows[row.number].amount
            changes.append(InvoiceChange(invoice, target))
        elif row.number in new_rows:
            changes.append(InvoiceChange(invoice, new_rows[row.number].amount))
        else:
            changes.append(InvoiceChange(invoice, 0, cancel=True))
    applied = apply_changes(db, state.app, changes, reason="early_repayment",
                            data={"on": received_on.isoformat(), "repaid": amount})
    try:
        payment = record_payment(db, carrier, source=SOURCE, external_id=external_id,
                                 amount=amount, currency=carrier.currency,
                                 received_on=received_on, app=state.app)
    except PaymentError as exc:
        raise KassaHTTPError(exc.code, exc.message, **exc.params) from None
    if payment is None:
        raise KassaHTTPError("early_repayment.duplicate", f"the payment {external_id!r} was "
                             "registered before", status=409, external_id=external_id)
    revision = ScheduleRevision(
        agreement_id=agreement.id, revision=next_revision_number(db, agreement.id),
        reason="early_repayment", effective_on=received_on, amount_minor=amount,
        payment_id=payment.id, schedule=instalments_json(_schedule_after(figures)),
        figures={**figures.to_json(), "keep": keep, "prepaid": result.prepaid,
                 "surplus": result.surplus, "invoices": applied["invoices"]})
    try:
        with db.begin_nested():
            db.add(revision)
    except IntegrityError:  # another change of the plan made at the same moment won
        raise KassaHTTPError("early_repayment.conflict", "the plan changed in the meantime; "
                             "please try again", status=409) from None
    # The shopper gets the next instalment's invoice again: paid, or with the new amount.
    db.add(invoice_message(carrier, agreement.locale, base_url))
    queue_credit_change(db, state, agreement, key=f"early_repayment:{revision.id}",
                        occurred_on=received_on,
                        change={"kind": "early_repayment", "full": figures.full,
                                "amount": amount, "on": received_on.isoformat(),
                                "principal_left": figures.principal_before
                                - figures.principal_repaid})
    send_after_commit(db, credit_repaid_early, state.app, agreement_id=agreement.id,
                      storefront=agreement.order.storefront,
                      order_reference=agreement.order.external_id, amount=amount,
                      full=figures.full, surplus=result.surplus, revision=revision.revision)
    db.flush()
    return RepaymentResult(agreement, figures, keep, result.prepaid, result.also_due,
                           result.surplus, revision)


def _work_out(db: Session, agreement: Agreement, on: date, amount: int | None, keep: Keep,
              invoices: dict[int | None, Invoice]) -> RepaymentResult:
    """The figures, counting what was paid ahead on the remaining instalments: with it, an
    amount that reaches the payoff repays everything."""
    plan = plan_of(db, agreement)
    everything = _figures(plan, on, None, keep)
    prepaid = sum(paid_toward_amount(invoices[row.number]) for row in everything.replaced
                  if row.number in invoices)
    also_due = sum(max(invoices[row.number].balance_minor, 0) for row in everything.kept
                   if row.number in invoices)
    if amount is None or amount + prepaid >= everything.payoff:
        surplus = 0 if amount is None else amount + prepaid - everything.payoff
        return RepaymentResult(agreement, everything, keep, prepaid, also_due, surplus)
    return RepaymentResult(agreement, _figures(plan, on, amount, keep), keep, prepaid,
                           also_due)


def repayment_json(result: RepaymentResult) -> dict[str, Any]:
    """The figures as the API shows them: amounts in minor units, days ISO, the schedule in
    force after the repayment (the instalments kept and the new ones)."""
    figures = result.figures
    data = figures.to_json()
    return {
        "agreement_id": result.agreement.id, "currency": result.agreement.order.currency,
        "on": data["on"], "full": figures.full, "keep": result.keep,
        "payoff": figures.payoff, "to_pay": result.to_pay, "prepaid": result.prepaid,
        "also_due": result.also_due, "paid_now": figures.paid_now,
        "principal_before": figures.principal_before,
        "principal_repaid": figures.principal_repaid, "interest": figures.interest,
        "interest_carried": figures.interest_carried, "fees": figures.fees,
        "setup_fee_rebate": figures.setup_fee_rebate, "surplus": result.surplus,
        "saving": figures.saving, "replaced": data["replaced"],
        "schedule": instalments_json(_schedule_after(figures)),
        "revision": result.revision.revision if result.revision is not None else None,
    }


def _check_agreement(db: Session, agreement: Agreement) -> None:
    if agreement.method != "installments":
        raise KassaHTTPError("early_repayment.method", "only an instalment plan is repaid "
                             "early; an invoice is simply paid")
    if withdrawal_of(db, agreement.id) is not None:
        raise KassaHTTPError("early_repayment.withdrawn", "the shopper has withdrawn from "
                             "this credit agreement")


def _check_day(db: Session, agreement: Agreement, on: date) -> None:
    latest = latest_revision(db, agreement.id)
    earliest = max(agreed_on(agreement), latest.effective_on if latest else date.min)
    if on < earliest:
        raise KassaHTTPError("early_repayment.day", f"the day must be {earliest.isoformat()} "
                             "or later: the agreement, or the plan's last change",
                             on=on.isoformat(), earliest=earliest.isoformat())


def _schedule_after(figures: EarlyRepayment) -> tuple[Instalment, ...]:
    """The whole schedule in force after the repayment: the instalments kept, then the new
    ones; for a full repayment, the payoff as the next instalment, due on its day."""
    if figures.full:
        first = figures.replaced[0]
        payoff = Instalment(first.number, figures.on, figures.principal_repaid,
                            figures.interest, figures.fees - figures.setup_fee_rebate)
        return (*figures.kept, payoff)
    return (*figures.kept, *figures.schedule)


def _figures(plan: Plan, on: date, amount: int | None, keep: Keep) -> EarlyRepayment:
    try:
        return early_repayment(plan, on, amount, keep)
    except EarlyRepaymentError as exc:
        raise KassaHTTPError(exc.code, exc.message, **exc.params) from None
