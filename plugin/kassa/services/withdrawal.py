"""Withdrawal from a credit agreement: the law's figures applied to the plan's invoices.

The shopper withdraws from the credit, not from the purchase (CCD2 Art. 27: the sale stands;
returning the goods is the shop's own cancellation right, outside Kassa). What the withdrawal
leaves owed is the capital and the interest at the borrowing rate up to the notice day
(:mod:`kassa.core.withdrawal`), due 30 days after the notice; every fee falls.

On the invoices, in one transaction: the plan's first invoice (the one the shopper already
has, with its reference) asks for what is owed by the new due date; every other invoice of the
plan is cancelled; money already paid on any of them counts, and what was paid beyond what is
owed is a refund (the trail's ``surplus``). Reminder fees and late-payment interest on the
plan's invoices are waived. When the invoices are not issued yet (issued at fulfilment), one
invoice is issued now for what is owed, and fulfilment then issues nothing more.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core.calendar import due_date_for
from ..core.withdrawal import (
    WithdrawalError,
    WithdrawalFigures,
    withdrawal_figures,
    withdrawal_last_day,
)
from ..db.models import (
    Agreement,
    CreditWithdrawal,
    Invoice,
    InvoiceEvent,
    ScheduleRevision,
)
from ..errors import KassaHTTPError
from ..signals import credit_withdrawn, invoice_issued, send_after_commit
from ..state import KassaState
from .credit_plan import (
    InvoiceChange,
    agreed_on,
    apply_changes,
    invoice_message,
    live,
    lock_plan,
    next_revision_number,
    payments_of,
    withdrawal_of,
)
from .credit_reporting import is_consumer_credit, queue_credit_change
from .invoicing import _next_reference, billed_party
from .reminder_policy import agreed_reminder_fee, reminder_fee_agreed

#: The schemes :func:`kassa.services.invoicing.issue_invoices` uses unless configured.
_DEFAULT_SCHEMES = {"FI": "fi", "SE": "ocr_length", "NO": "kid_mod10"}


@dataclass(frozen=True)
class WithdrawalResult:
    """A withdrawal made: its record, the figures and the invoices it changed."""

    withdrawal: CreditWithdrawal
    figures: WithdrawalFigures
    #: The invoice asking for what is owed; None when nothing is left to pay.
    invoice: Invoice | None
    #: Numbers of the invoices cancelled.
    cancelled: list[str]


def withdrawal_applies(agreement: Agreement) -> bool:
    """Whether the shopper has a right to withdraw from ``agreement``: consumer credit
    (:func:`~kassa.services.credit_reporting.is_consumer_credit`), except a Swedish invoice
    purchase, which the Swedish Consumer Credit Act spares the withdrawal right (KkrL;
    docs/consumer-credit.md)."""
    if agreement.method == "invoice" and agreement.order.country == "SE":
        return False
    return is_consumer_credit(agreement)


def withdraw(db: Session, state: KassaState, agreement: Agreement, *, notice_on: date,
             today: date, base_url: str,
             terms_received_on: date | None = None) -> WithdrawalResult:
    """Record the shopper's withdrawal, noticed on ``notice_on``, and change the invoices.

    ``terms_received_on`` is the day the agreement's terms reached the shopper, if later than
    the agreement (the period then starts from it).

    :raises KassaHTTPError: ``withdrawal.not_credit`` (422) for an agreement that is not
        consumer credit (a plain invoice has no right to withdraw from credit);
        ``withdrawal.done`` (409) for an agreement already withdrawn from;
        ``withdrawal.notice_day`` for a notice day before the agreement or after ``today``,
        ``withdrawal.received_day`` for a receipt day outside the agreement day to the notice
        day, ``withdrawal.too_late`` after the period (422). Nothing is written then.
    """
    config = state.config
    country = agreement.order.country
    agreed = agreed_on(agreement)
    if not withdrawal_applies(agreement):
        raise KassaHTTPError("withdrawal.not_credit", "there is no right to withdraw from "
                             "this agreement: it is not consumer credit, or the country's law "
                             "spares it (a Swedish invoice purchase)")
    if notice_on > today or notice_on < agreed:
        raise KassaHTTPError("withdrawal.notice_day", f"the notice day {notice_on.isoformat()} "
                             f"must be from the agreement day {agreed.isoformat()} to today",
                             notice_on=notice_on.isoformat(), agreed_on=agreed.isoformat())
    if terms_received_on is not None and not agreed <= terms_received_on <= notice_on:
        raise KassaHTTPError("withdrawal.received_day", "the day the terms were received must "
                             "be from the agreement day to the notice day",
                             terms_received_on=terms_received_on.isoformat())
    book = config.rulebook
    last_day = withdrawal_last_day(agreed, terms_received_on,
                                   int(book.value(country, "credit_withdrawal_days", agreed)))
    repay_days = int(book.value(country, "credit_withdrawal_repay_days", notice_on))
    invoices = lock_plan(db, agreement)
    if withdrawal_of(db, agreement.id) is not None:
        raise KassaHTTPError("withdrawal.done", "the shopper has already withdrawn from this "
                             "credit agreement", status=409)
    offer = agreement.terms["offer"]
    try:
        figures = withdrawal_figures(
            credit_amount=int(offer["credit_amount"]),
            nominal_rate=Decimal(str(offer["nominal_rate"])), drawn_on=agreed,
            notice_on=notice_on, last_day=last_day, repay_days=repay_days,
            payments=payments_of(db, invoices),
            paid=sum(invoice.paid_minor for invoice in invoices),
            fees_in_plan=sum(int(item.get("fee") or 0) for item in offer["schedule"]))
    except WithdrawalError as exc:
        raise KassaHTTPError(exc.code, exc.message, **exc.params) from None
    # A notice recorded late still leaves the shopper an invoice's lawful time to pay.
    earliest = due_date_for(
        country, invoices[0].channel if invoices else "email", today,  # type: ignore[arg-type]
        min_days_to_pay=int(book.value(country, "invoice_min_days_to_pay", today)),
        letter_lag_business_days=config.letter_lag_business_days.get(country, 0))
    if figures.due_date < earliest:
        figures = dataclasses.replace(figures, due_date=earliest)

    changed: dict[str, Any] = {"invoices": [], "surplus": 0}
    carrier: Invoice | None
    if invoices:
        carrier = (live(invoices) or invoices)[0]
        changes = [_change(invoice, figures, carrier=invoice is carrier) for invoice in invoices]
        changed = apply_changes(db, state.app, changes, reason="withdrawal",
                                data={"notice_on": notice_on.isoformat()})
    else:
        carrier = _issue(db, state, agreement, figures, today=today, base_url=base_url)
    cancelled = [i.number for i in invoices if i is not carrier and i.status == "cancelled"]
    record = CreditWithdrawal(
        agreement_id=agreement.id, notice_on=notice_on, last_day=last_day,
        due_date=figures.due_date, invoice_id=carrier.id if figures.to_pay else None,
        principal_minor=figures.principal, interest_minor=figures.interest,
        paid_minor=figures.paid, refund_minor=figures.refund,
        figures={**figures.to_json(), "invoices": changed["invoices"],
                 "terms_received_on": (terms_received_on.isoformat()
                                       if terms_received_on else None)})
    number = (carrier.instalment_number or 1) if carrier is not None else 1
    revision = ScheduleRevision(
        agreement_id=agreement.id, revision=next_revision_number(db, agreement.id),
        reason="withdrawal", effective_on=notice_on, amount_minor=0,
        schedule=[{"number": number, "due_date": figures.due_date.isoformat(),
                   "amount": figures.owed, "principal": figures.principal,
                   "interest": figures.interest, "fee": 0}],
        figures=figures.to_json())
    try:
        with db.begin_nested():
            db.add_all([record, revision])
    except IntegrityError:  # a withdrawal or a change made at the same moment won
        raise KassaHTTPError("withdrawal.done", "the shopper has already withdrawn from this "
                             "credit agreement", status=409) from None
    if carrier is not None and figures.to_pay and invoices:
        # The shopper gets the invoice again, with what is owed now and by when.
        db.add(invoice_message(carrier, agreement.locale, base_url))
    queue_credit_change(db, state, agreement, key="withdrawal", occurred_on=notice_on,
                        change={"kind": "withdrawal", "notice_on": notice_on.isoformat(),
                                "principal": figures.principal, "interest": figures.interest,
                                "due_date": figures.due_date.isoformat()})
    send_after_commit(db, credit_withdrawn, state.app, agreement_id=agreement.id,
                      storefront=agreement.order.storefront,
                      order_reference=agreement.order.external_id,
                      to_pay=figures.to_pay, refund=figures.refund,
                      due_date=figures.due_date.isoformat())
    db.flush()
    return WithdrawalResult(record, figures, carrier if figures.to_pay else None, cancelled)


def _change(invoice: Invoice, figures: WithdrawalFigures, *, carrier: bool) -> InvoiceChange:
    """The first invoice asks for what is owed by the new due date; the others are
    cancelled. Reminder fees and late-payment interest are waived on each."""
    note: dict[str, Any] = {}
    if invoice.fees_minor:
        note["fees_waived"] = invoice.fees_minor
        invoice.fees_minor = 0
    if invoice.interest_minor:
        note["interest_waived"] = invoice.interest_minor
        invoice.interest_minor = 0
    invoice.interest_through = None
    if carrier:
        return InvoiceChange(invoice, figures.owed, due_date=figures.due_date, note=note)
    return InvoiceChange(invoice, 0, cancel=True, note=note)


def _issue(db: Session, state: KassaState, agreement: Agreement, figures: WithdrawalFigures,
           *, today: date, base_url: str) -> Invoice:
    """The one invoice of a withdrawal made before the plan's invoices were issued."""
    order = agreement.order
    country = order.country
    scheme = state.config.reference_schemes.get(country, _DEFAULT_SCHEMES[country])
    sequence, reference = _next_reference(db, country, scheme)
    channel = str(agreement.terms.get("channel") or "email")
    invoice = Invoice(
        number=f"{today.year}-{sequence:06d}", agreement=agreement,
        customer=agreement.customer, reference=reference, reference_scheme=scheme,
        channel=channel, country=country, currency=order.currency,
        amount_minor=figures.owed, issue_date=today, due_date=figures.due_date,
        status="open", next_action_on=figures.due_date + timedelta(days=1),
        instalment_number=None, billed_to=billed_party(agreement.customer),
        reminder_fee_agreed=reminder_fee_agreed(agreement.terms),
        agreed_reminder_fee_minor=agreed_reminder_fee(agreement.terms))
    db.add(invoice)
    db.flush()
    db.add(InvoiceEvent(invoice=invoice, kind="issued",
                        data={"channel": channel, "due_date": figures.due_date.isoformat(),
                              "amount": invoice.amount_minor, "reason": "withdrawal"}))
    db.add(invoice_message(invoice, agreement.locale, base_url))
    send_after_commit(db, invoice_issued, state.app, invoice_id=invoice.id,
                      number=invoice.number)
    return invoice


def withdrawal_json(result: WithdrawalResult, currency: str) -> dict[str, Any]:
    """The withdrawal as the API shows it (amounts in minor units, days ISO)."""
    figures = result.figures
    return {
        "agreement_id": result.withdrawal.agreement_id, "currency": currency,
        **figures.to_json(),
        "invoice": result.invoice.number if result.invoice is not None else None,
        "cancelled_invoices": result.cancelled,
    }
