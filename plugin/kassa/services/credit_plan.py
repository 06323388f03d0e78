"""An instalment plan after the agreement: its schedule in force, its invoices, and changing
them without losing a cent (shared by :mod:`kassa.services.withdrawal` and
:mod:`kassa.services.early_repayment`).

The schedule the shopper consented to stays in ``Agreement.terms["offer"]``; a change appends a
:class:`~kassa.db.models.ScheduleRevision` and the highest revision is the schedule in force.
An issued invoice is never changed silently: each new amount, due date or cancellation writes
an ``amended`` or ``cancelled`` entry to the invoice's trail with what it was before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..core.early_repayment import Plan, instalments_from_json
from ..core.withdrawal import settle_amounts
from ..db.models import (
    Agreement,
    CreditWithdrawal,
    Invoice,
    InvoiceEvent,
    OutboxMessage,
    Payment,
    ScheduleRevision,
    utcnow,
)
from ..errors import KassaHTTPError
from ..signals import invoice_paid, send_after_commit

#: The country's own calendar day of a moment: the day of the agreement is the shopper's day.
COUNTRY_ZONES = {"FI": "Europe/Helsinki", "SE": "Europe/Stockholm", "NO": "Europe/Oslo"}
#: Statuses of an invoice that still belongs to the plan (not cancelled or credited).
_LIVE = ("open", "partly_paid", "overdue", "paid", "collection")


def local_day(moment: datetime, country: str) -> date:
    """The calendar day of ``moment`` in ``country`` (UTC where the zone is not known)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))
    try:
        return aware.astimezone(ZoneInfo(COUNTRY_ZONES.get(country, "UTC"))).date()
    except ZoneInfoNotFoundError:
        return aware.date()


def agreed_on(agreement: Agreement) -> date:
    """The day of the agreement in its country: when the shopper consented (the terms'
    ``shown_at``), else when it was stored."""
    shown = (agreement.terms or {}).get("shown_at")
    moment = datetime.fromisoformat(shown) if isinstance(shown, str) else agreement.accepted_at
    return local_day(moment, agreement.order.country)


def find_agreement(db: Session, agreement_id: str, storefront: str | None) -> Agreement:
    """The agreement with id ``agreement_id`` (digits), of ``storefront`` unless None (a
    back-office key sees every storefront's); 404 ``agreement.not_found`` otherwise."""
    found = None
    if agreement_id.isascii() and agreement_id.isdigit() and len(agreement_id) <= 18:
        found = db.get(Agreement, int(agreement_id))
    if found is None or storefront not in (None, found.order.storefront):
        raise KassaHTTPError("agreement.not_found", f"no credit agreement {agreement_id!r}",
                             status=404)
    return found


def lock_plan(db: Session, agreement: Agreement) -> list[Invoice]:
    """Lock the agreement and its invoices until the transaction ends, and return the
    invoices, read afresh, by instalment number.

    An UPDATE that changes nothing takes the row locks on PostgreSQL (a payment being booked
    waits, and so does another change of the same plan) and the database's write lock on
    SQLite, so that what is read next is what the change is made against.
    """
    db.execute(update(Agreement).where(Agreement.id == agreement.id)
               .values(product_id=Agreement.product_id)
               .execution_options(synchronize_session=False))
    db.execute(update(Invoice).where(Invoice.agreement_id == agreement.id)
               .values(status=Invoice.status).execution_options(synchronize_session=False))
    invoices = db.scalars(select(Invoice).where(Invoice.agreement_id == agreement.id)
                          .order_by(Invoice.instalment_number, Invoice.id)
                          .execution_options(populate_existing=True)).all()
    return list(invoices)


def latest_revision(db: Session, agreement_id: int) -> ScheduleRevision | None:
    """The schedule revision in force, or None while the agreed schedule is."""
    return db.scalar(select(ScheduleRevision).where(ScheduleRevision.agreement_id
                                                    == agreement_id)
                     .order_by(ScheduleRevision.revision.desc()).limit(1))


def withdrawal_of(db: Session, agreement_id: int) -> CreditWithdrawal | None:
    """The agreement's withdrawal, or None."""
    return db.scalar(select(CreditWithdrawal).where(CreditWithdrawal.agreement_id
                                                    == agreement_id))


def schedule_in_force(db: Session, agreement: Agreement) -> list[dict[str, Any]]:
    """The schedule in force as JSON rows (number, due_date, amount, principal, interest,
    fee): the latest revision's, else the agreed one."""
    revision = latest_revision(db, agreement.id)
    if revision is not None:
        return list(revision.schedule)
    return list(((agreement.terms or {}).get("offer") or {}).get("schedule") or [])


def plan_of(db: Session, agreement: Agreement) -> Plan:
    """The agreement as :class:`kassa.core.early_repayment.Plan`."""
    offer = agreement.terms["offer"]
    agreed = instalments_from_json(offer["schedule"])
    return Plan(credit_amount=int(offer["credit_amount"]),
                nominal_rate=Decimal(str(offer["nominal_rate"])), drawn_on=agreed_on(agreement),
                ends_on=agreed[-1].due_date, setup_fee=int(offer.get("setup_fee") or 0),
                schedule=instalments_from_json(schedule_in_force(db, agreement)))


def next_revision_number(db: Session, agreement_id: int) -> int:
    """The number the next revision takes."""
    latest = latest_revision(db, agreement_id)
    return 1 if latest is None else latest.revision + 1


def payments_of(db: Session, invoices: Sequence[Invoice]) -> list[tuple[date, int]]:
    """``(received_on, minor units)`` of the money booked on ``invoices``."""
    ids = [invoice.id for invoice in invoices]
    if not ids:
        return []
    rows = db.execute(select(Payment.received_on, Payment.amount_minor)
                      .where(Payment.invoice_id.in_(ids)).order_by(Payment.received_on))
    return [(day, int(amount)) for day, amount in rows]


def live(invoices: Sequence[Invoice]) -> list[Invoice]:
    """The invoices that still belong to the plan (not cancelled or credited)."""
    return [invoice for invoice in invoices if invoice.status in _LIVE]


def paid_toward_amount(invoice: Invoice) -> int:
    """What was paid on the invoice's own amount: payments less its reminder fees and
    late-payment interest, which a payment settles first."""
    return max(invoice.paid_minor - invoice.fees_minor - invoice.interest_minor, 0)


@dataclass(frozen=True)
class InvoiceChange:
    """A new amount (and maybe due date) for one invoice of the plan, or its cancellation."""

    invoice: Invoice
    #: What the invoice should now ask; 0 with ``cancel`` for an invoice the change drops.
    target: int
    cancel: bool = False
    due_date: date | None = None
    #: More for the trail entry (e.g. the fees a withdrawal waived on this invoice).
    note: dict[str, Any] | None = None


def apply_changes(db: Session, app: Flask | None, changes: Sequence[InvoiceChange], *,
                  reason: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Give the invoices their new amounts, settled so that nothing paid is lost
    (:func:`kassa.core.withdrawal.settle_amounts`), and write each change to its trail.

    Returns ``{"invoices": [{number, previous_amount, amount, status}], "surplus": minor}``;
    ``surplus`` is money paid beyond the new total, to refund (also in the trail entry of the
    invoice that holds it, as :func:`kassa.services.payments.record_payment` does).
    """
    paid = [paid_toward_amount(change.invoice) for change in changes]
    amounts = settle_amounts([change.target for change in changes], paid)
    summary: list[dict[str, Any]] = []
    surplus_total = 0
    for change, amount, was_paid in zip(changes, amounts, paid, strict=True):
        invoice = change.invoice
        entry: dict[str, Any] = {"reason": reason, "previous_amount": invoice.amount_minor,
                                 "amount": amount, **(data or {}), **(change.note or {})}
        if change.due_date is not None and change.due_date != invoice.due_date:
            entry["previous_due_date"] = invoice.due_date.isoformat()
            entry["due_date"] = change.due_date.isoformat()
            invoice.due_date = change.due_date
            invoice.next_action_on = change.due_date + timedelta(days=1)
            if invoice.status == "overdue":
                invoice.status = "open"
        invoice.amount_minor = amount
        surplus = max(was_paid - amount, 0)
        if surplus:
            entry["surplus"] = surplus
            surplus_total += surplus
        was_settled = invoice.status == "paid"
        if change.cancel and change.target == 0:
            kind, invoice.status = "cancelled", "cancelled"
            invoice.next_action_on = None
            invoice.closed_at = invoice.closed_at or utcnow()
        else:
            kind = "amended"
            if invoice.balance_minor <= 0 and (invoice.paid_minor > 0 or amount == 0):
                invoice.status = "paid"
                invoice.next_action_on = None
                invoice.closed_at = invoice.closed_at or utcnow()
            elif invoice.paid_minor > 0:
                invoice.status = "partly_paid"
            elif invoice.status in ("paid", "partly_paid"):
                invoice.status = "open"
            if invoice.status != "paid" and invoice.next_action_on is None:
                invoice.next_action_on = invoice.due_date + timedelta(days=1)
        entry["status"] = invoice.status
        db.add(InvoiceEvent(invoice_id=invoice.id, kind=kind, data=entry))
        if invoice.status == "paid" and not was_settled:
            send_after_commit(db, invoice_paid, app, invoice_id=invoice.id,
                              number=invoice.number)
        summary.append({"number": invoice.number, "previous_amount": entry["previous_amount"],
                        "amount": amount, "status": invoice.status})
    db.flush()
    return {"invoices": summary, "surplus": surplus_total}



def invoice_message(invoice: Invoice, locale: str, base_url: str) -> OutboxMessage:
    """The invoice's own message again, by its channel: the shopper gets the invoice with
    what it asks now (its amount, due date and the plan in force)."""
    billed = invoice.billed
    recipient = {"email": billed.get("email"), "sms": billed.get("phone")}.get(
        invoice.channel, billed.get("name"))
    return OutboxMessage(channel=invoice.channel, kind="invoice", invoice_id=invoice.id,
                         recipient=recipient or "",
                         payload={"base_url": base_url, "locale": locale})
