"""Reporting consumer credit to the credit registers: which credit, which event, by when.

A report is queued, never sent from here: :func:`queue_new_credit` (called in the checkout's
confirmation transaction), :func:`queue_credit_change` (for any service that changes a
credit's terms) and the daily :func:`run_credit_reporting` (``flask kassa run-reminders``)
each write a :class:`~kassa.db.models.CreditReport` and its outbox message in one
transaction. The outbox delivers it (:mod:`kassa.notify.credit_reports`), with retries, to the
register configured for the country in ``KASSA_CREDIT_REPORTING``; a country not configured
reports nothing.

What is reported, and when (``docs/credit-reporting.md``, the rules in
:mod:`kassa.core.credit_reporting`):

- ``credit.new`` at confirmation, for an agreement that is consumer credit
  (:func:`is_consumer_credit`); everything after follows only a credit reported new.
- ``credit.changed`` for more time or a payment plan on one of its invoices (a hold of reason
  ``extended`` or ``plan``), when a reported delay ends, and whatever another service queues.
- ``credit.delayed_60`` once per instalment unpaid more than the country's limit after its
  due date, unless a hold (a dispute, a plan, more time) is in force on it.
- ``credit.repaid`` once every invoice of the credit is settled.

Every event is reported once: ``(agreement, event_key)`` is unique, so a run repeated, or
two at once, queue nothing twice. The stored report holds the figures as they were on the
event's day and no identity number; the sender adds the person from the customer's
encrypted record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, object_session, selectinload

from ..config import KassaConfig
from ..core.credit_reporting import (
    CREDIT_CHANGED,
    CREDIT_DELAYED,
    CREDIT_NEW,
    CREDIT_REPAID,
    delay_reportable_on,
    report_due_by,
    reported_delay_days,
)
from ..db.bulk import among, insert_or_ignore
from ..db.models import Agreement, CreditReport, Invoice, OutboxMessage, utcnow
from ..state import KassaState
from .credit_plan import agreed_on, schedule_in_force

__all__ = [
    "REPORT_KIND",
    "CreditReportingRun",
    "credit_figures",
    "is_consumer_credit",
    "queue_credit_change",
    "queue_new_credit",
    "register_channel",
    "run_credit_reporting",
]

#: The outbox kind of a report to a credit register.
REPORT_KIND = "credit_report"
#: Invoice statuses of an instalment nothing more is owed on.
SETTLED_STATUSES = ("paid", "cancelled")
#: Invoice statuses that still expect money (an invoice with the collection agency too).
UNPAID_STATUSES = ("open", "partly_paid", "overdue", "collection")
#: Hold reasons that change a credit's terms: more time, a payment plan.
CHANGING_HOLDS = ("extended", "plan")
#: Open credits read per transaction by the daily run.
BATCH = 500


def register_channel(country: str) -> str:
    """The outbox channel of ``country``'s credit register: ``register_fi``, ``register_no``."""
    return f"register_{country.lower()}"


def is_consumer_credit(agreement: Agreement) -> bool:
    """Whether ``agreement`` is consumer credit the register must hear of.

    The one place that decides it: the offer's own ``consumer_credit`` answer, as the shopper
    was shown it and the terms keep it, where the offer has one; otherwise an instalment plan
    is credit and a plain invoice is not.
    """
    offer = (agreement.terms or {}).get("offer") or {}
    answer = offer.get("consumer_credit")
    if isinstance(answer, bool):
        return answer
    return agreement.method == "installments"


def queue_new_credit(db: Session, state: KassaState, agreement: Agreement,
                     today: date) -> CreditReport | None:
    """Queue ``credit.new`` for an agreement confirmed ``today``, if it is consumer credit and
    its country reports; None otherwise, or when it was queued before. The report is due the
    day after the agreement in the agreement's own country, which near midnight UTC is not
    the server's calendar day."""
    country = agreement.order.country
    if country not in state.config.credit_reporting or not is_consumer_credit(agreement):
        return None
    return _queue(db, state.config, agreement, CREDIT_NEW, "new", agreed_on(agreement), today,
                  {})


def queue_credit_change(db: Session, state: KassaState, agreement: Agreement, *, key: str,
                        occurred_on: date, change: Mapping[str, Any]) -> CreditReport | None:
    """Queue ``credit.changed`` for a change to the terms of a credit already reported new
    (a withdrawal, an early repayment, a new schedule): ``key`` names the change once (e.g.
    ``withdrawal``, ``early_repayment:<id>``), ``change`` is what the register reads under
    ``event.change`` (``kind`` first). Due within the country's business days of
    ``occurred_on``. None when the credit is not reported or the change was queued before.
    """
    if not _reported_new(db, agreement.id):
        return None
    return _queue(db, state.config, agreement, CREDIT_CHANGED, f"changed:{key}", occurred_on,
                  occurred_on, {"change": dict(change)})


@dataclass
class CreditReportingRun:
    """What one daily run queued, by event, and the reports past their deadline."""

    queued: dict[str, int] = field(default_factory=lambda: {CREDIT_CHANGED: 0,
                                                            CREDIT_DELAYED: 0,
                                                            CREDIT_REPAID: 0})
    #: Reports the register has not taken and whose last day has passed.
    overdue: int = 0

    def count(self, report: CreditReport | None) -> None:
        """Count ``report`` if one was queued (None: nothing new)."""
        if report is not None:
            self.queued[report.event] += 1


def run_credit_reporting(state: KassaState, *, today: date) -> CreditReportingRun:
    """Queue today's reports for every country in ``KASSA_CREDIT_REPORTING``: changes (more
    time, a plan, a delay that ended), delays past the country's limit and credits repaid.

    Idempotent: a second run on the same day queues nothing. Safe beside another run.
    """
    run = CreditReportingRun()
    for country in state.config.credit_reporting:
        _report_delays(state, country, today, run)
        for batch in _open_credit_batches(state, country):
            with state.db.session() as db:
                agreements = db.scalars(
                    select(Agreement).where(among(db, Agreement.id, batch))
                    .order_by(Agreement.id)
                    .options(selectinload(Agreement.invoices).selectinload(Invoice.holds),
                             selectinload(Agreement.invoices).selectinload(Invoice.payments),
                             selectinload(Agreement.order))).all()
                done = _event_keys(db, batch)
                for agreement in agreements:
                    _report_open_credit(db, state.config, agreement, done[agreement.id],
                                        today, run)
    with state.db.session() as db:
        run.overdue = int(db.scalar(select(func.count()).select_from(CreditReport).where(
            CreditReport.reported_at.is_(None), CreditReport.due_by < today)) or 0)
    return run


# -- what the register reads -------------------------------------------------------------


def credit_figures(agreement: Agreement, on: date) -> dict[str, Any]:
    """The credit as a register reads it on ``on`` (``docs/credit-reporting.md``, ``credit``):
    the agreed figures from the offer the shopper accepted and what is left of them under the
    schedule in force, in minor units. An instalment counts as repaid once its invoice is
    settled; one not yet invoiced (``KASSA_ISSUE_INVOICE_ON=fulfilment``) counts at its
    scheduled amount."""
    offer = (agreement.terms or {}).get("offer") or {}
    db = object_session(agreement)
    # The schedule in force: an early repayment or a withdrawal replaces the agreed one.
    schedule = schedule_in_force(db, agreement) if db is not None else offer.get("schedule", [])
    invoices = {invoice.instalment_number or 1: invoice for invoice in agreement.invoices}
    balance = principal = overdue = left = 0
    due_dates: list[date] = []
    for item in schedule:
        invoice = invoices.get(item["number"])
        due = invoice.due_date if invoice is not None else date.fromisoformat(item["due_date"])
        due_dates.append(due)
        if invoice is not None and invoice.status in SETTLED_STATUSES:
            continue
        left += 1
        principal += int(item.get("principal", item["amount"]))
        owed = invoice.balance_minor if invoice is not None else int(item["amount"])
        balance += owed
        if due < on:
            overdue += owed
    order = agreement.order
    return {
        "id": str(agreement.id),
        "order_reference": order.external_id,
        "storefront": order.storefront,
        "type": "instalment" if agreement.method == "installments" else "deferred_payment",
        "product_id": agreement.product_id,
        "currency": offer.get("currency") or order.currency,
        "agreed_on": agreed_on(agreement).isoformat(),
        "amount": offer.get("credit_amount", order.total_minor),
        "total_payable": offer.get("total_payable", order.total_minor),
        "nominal_rate": offer.get("nominal_rate"),
        "apr": offer.get("apr"),
        "instalments": {
            "count": len(schedule),
            "amount": offer.get("monthly_amount"),
            "frequency": "monthly" if agreement.method == "installments" else "single",
            "first_due_date": min(due_dates).isoformat() if due_dates else None,
            "last_due_date": max(due_dates).isoformat() if due_dates else None,
        },
        "balance": balance,
        "principal_outstanding": principal,
        "instalments_left": left,
        "overdue_amount": overdue,
    }


# -- queueing ----------------------------------------------------------------------------


def _queue(db: Session, config: KassaConfig, agreement: Agreement, event: str, key: str,
           occurred_on: date, today: date, details: Mapping[str, Any]) -> CreditReport | None:
    """Write the report of ``event`` (once per ``key``) and its outbox message."""
    country = agreement.order.country
    target = config.credit_reporting.get(country)
    if target is None:
        return None
    due_by = report_due_by(country, event, occurred_on, config.rulebook)
    payload = {
        "type": event,
        "country": country,
        "creditor": {"id": target.creditor_id or config.merchant_business_id,
                     "name": config.shop_name},
        "credit": credit_figures(agreement, today),
        "event": {"occurred_on": occurred_on.isoformat(), "due_by": due_by.isoformat(),
                  **details},
    }
    report_id = db.execute(insert_or_ignore(db, CreditReport).values(
        agreement_id=agreement.id, country=country, event=event, event_key=key,
        occurred_on=occurred_on, due_by=due_by, payload=payload, created_at=utcnow(),
    ).returning(CreditReport.id)).scalar_one_or_none()
    if report_id is None:
        return None  # reported before (or by a run beside this one)
    message = OutboxMessage(channel=register_channel(country), kind=REPORT_KIND,
                            recipient=f"register:{country}", payload={"report_id": report_id})
    db.add(message)
    db.flush()
    db.execute(update(CreditReport).where(CreditReport.id == report_id)
               .values(outbox_id=message.id))
    return db.get_one(CreditReport, report_id)


def _reported_new(db: Session, agreement_id: int) -> bool:
    return db.scalar(select(CreditReport.id).where(
        CreditReport.agreement_id == agreement_id, CreditReport.event_key == "new")) is not None


# -- the daily run -----------------------------------------------------------------------


def _open_credit_batches(state: KassaState, country: str) -> Iterator[list[int]]:
    """The ids of ``country``'s credits reported new and not yet repaid, a batch at a time."""
    after = 0
    while True:
        with state.db.session() as db:
            repaid = select(CreditReport.agreement_id).where(CreditReport.event_key == "repaid")
            batch = list(db.scalars(
                select(CreditReport.agreement_id)
                .where(CreditReport.country == country, CreditReport.event_key == "new",
                       CreditReport.agreement_id > after,
                       CreditReport.agreement_id.not_in(repaid))
                .order_by(CreditReport.agreement_id).limit(BATCH)))
        if not batch:
            return
        yield batch
        after = batch[-1]


def _event_keys(db: Session, agreement_ids: Iterable[int]) -> dict[int, set[str]]:
    """The event keys already reported, by agreement."""
    ids = list(agreement_ids)
    keys: dict[int, set[str]] = {agreement_id: set() for agreement_id in ids}
    for agreement_id, key in db.execute(select(CreditReport.agreement_id, CreditReport.event_key)
                                        .where(among(db, CreditReport.agreement_id, ids))):
        keys[agreement_id].add(key)
    return keys


def _report_open_credit(db: Session, config: KassaConfig, agreement: Agreement,
                        done: set[str], today: date, run: CreditReportingRun) -> None:
    """Changes and the end of one open credit, in the order they happened."""
    for invoice in sorted(agreement.invoices, key=lambda i: i.id):
        for hold in invoice.holds:
            key = f"changed:hold:{hold.id}"
            if hold.reason in CHANGING_HOLDS and key not in done and hold.starts_on <= today:
                change = {"kind": hold.reason, "invoice": invoice.number,
                          "instalment": invoice.instalment_number,
                          "due_date": invoice.due_date.isoformat(),
                          "until": hold.ends_on.isoformat() if hold.ends_on else None}
                run.count(_queue(db, config, agreement, CREDIT_CHANGED, key, hold.starts_on,
                                 today, {"change": change}))
        ended = f"changed:delay_ended:{invoice.id}"
        if (f"delayed:{invoice.id}" in done and ended not in done
                and invoice.status in SETTLED_STATUSES):
            on = _settled_on([invoice], today)
            change = {"kind": "delay_ended", "invoice": invoice.number,
                      "instalment": invoice.instalment_number,
                      "due_date": invoice.due_date.isoformat(), "paid_on": on.isoformat()}
            run.count(_queue(db, config, agreement, CREDIT_CHANGED, ended, on, today,
                             {"change": change}))
    invoices = agreement.invoices
    if invoices and all(i.status in SETTLED_STATUSES for i in invoices) and "repaid" not in done:
        on = _settled_on(invoices, today)
        run.count(_queue(db, config, agreement, CREDIT_REPAID, "repaid", on, today,
                         {"repaid_on": on.isoformat()}))


def _settled_on(invoices: Iterable[Invoice], today: date) -> date:
    """The day the last of ``invoices`` was paid: the latest payment received on them (not
    after ``today``); ``today`` when none was (settled otherwise)."""
    days = [payment.received_on for invoice in invoices for payment in invoice.payments]
    return min(max(days), today) if days else today


def _report_delays(state: KassaState, country: str, today: date,
                   run: CreditReportingRun) -> None:
    """One ``credit.delayed_60`` per instalment unpaid past the country's limit (none where
    the country's register takes no delays), unless a hold is in force on it today."""
    limit = reported_delay_days(country, state.config.rulebook, today)
    if limit is None:
        return
    latest_due = today - timedelta(days=limit + 1)  # due on it: day limit + 1 is today
    with state.db.session() as db:
        reported = select(CreditReport.agreement_id).where(
            CreditReport.country == country, CreditReport.event_key == "new")
        invoices = db.scalars(
            select(Invoice).where(Invoice.country == country,
                                  Invoice.status.in_(UNPAID_STATUSES),
                                  Invoice.due_date <= latest_due,
                                  Invoice.agreement_id.in_(reported))
            .order_by(Invoice.id)
            .options(selectinload(Invoice.holds),
                     selectinload(Invoice.agreement).selectinload(Agreement.order))).all()
        done = _event_keys(db, {invoice.agreement_id for invoice in invoices})
        for invoice in invoices:
            key = f"delayed:{invoice.id}"
            if key in done[invoice.agreement_id] or invoice.balance_minor <= 0:
                continue
            if any(h.starts_on <= today and (h.ends_on is None or h.ends_on > today)
                   for h in invoice.holds):
                continue  # disputed, or its terms changed: not a delay to report
            since = delay_reportable_on(invoice.due_date, limit)
            delay = {"invoice": invoice.number, "instalment": invoice.instalment_number,
                     "due_date": invoice.due_date.isoformat(),
                     "days_late": (today - invoice.due_date).days,
                     "amount": invoice.balance_minor}
            run.count(_queue(db, state.config, invoice.agreement, CREDIT_DELAYED, key, since,
                             today, {"delay": delay}))
