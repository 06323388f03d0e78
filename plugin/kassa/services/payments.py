"""Booking money received against an invoice: the one way a payment enters Kassa.

Every source of money (Stripe's "pay now" webhook today, bank statement imports later) calls
:func:`record_payment`. It is idempotent on ``(source, external_id)``: the same Stripe
PaymentIntent or the same bank entry booked twice, even from two processes at once, is
booked once; the second call returns None and changes nothing.

A booking adds a :class:`~kassa.db.models.Payment`, raises the invoice's ``paid_minor``,
sets its status (``paid`` once nothing is left, else ``partly_paid``), appends ``paid`` or
``partly_paid`` to the invoice's trail and queues the ``payment-received`` (and, when the
invoice became paid, ``invoice-paid``) signals, sent once the caller commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import KassaError
from ..db.bulk import insert_or_ignore
from ..db.models import Invoice, InvoiceEvent, Payment, utcnow
from ..signals import invoice_paid, payment_received, send_after_commit

__all__ = ["PaymentError", "claim_once", "insert_or_ignore", "record_payment", "select_payment"]


class PaymentError(KassaError, ValueError):
    """Money that cannot be booked against this invoice (wrong currency, no amount)."""

    code = "payments.invalid"


def record_payment(
    db: Session,
    invoice: Invoice,
    *,
    source: str,
    external_id: str,
    amount: int,
    currency: str,
    received_on: date,
    reference: str | None = None,
    app: Flask | None = None,
) -> Payment | None:
    """Book ``amount`` (minor units of ``currency``) received from ``source`` on ``invoice``.

    :param source: where the money came from, e.g. ``"stripe"`` or ``"bank"``.
    :param external_id: the source's own id of the payment (Stripe: the PaymentIntent id;
        bank: the statement entry's reference); ``(source, external_id)`` is booked once.
    :param reference: the payment reference the payer gave, if any.
    :param app: the app whose Kassa books it, the sender of the signals; default the
        current app.
    :returns: the new payment, or None when this one was booked before.
    :raises PaymentError: ``payments.currency`` when ``currency`` is not the invoice's,
        ``payments.amount`` when ``amount`` is not positive. Nothing is written then.

    Paying more than the balance is booked too: the invoice is ``paid`` and the trail
    entry's ``surplus`` says how much was paid too much, for the merchant to refund.
    The caller commits; the invoice row is locked (``FOR UPDATE`` where the database has it)
    until then, so concurrent bookings add up.
    """
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise PaymentError(
            f"A payment must be a positive amount in minor units, got {amount!r}.",
            code="payments.amount",
            amount=amount,
        )
    if currency.upper() != invoice.currency:
        raise PaymentError(
            f"A payment in {currency.upper()} cannot be booked on invoice {invoice.number}, "
            f"which is in {invoice.currency}.",
            code="payments.currency",
            currency=currency.upper(),
            invoice_currency=invoice.currency,
        )
    db.flush()
    # The paid amount must be read under a lock, or a concurrent booking is lost. PostgreSQL:
    # lock the invoice row first (inserting the payment first would take a key-share lock on
    # it through the foreign key and two bookings would deadlock upgrading it). SQLite has no
    # row locks: the insert below takes the database's write lock, and the invoice is read
    # after it, so it sees the latest committed amount.
    on_postgresql = db.get_bind().dialect.name == "postgresql"
    if on_postgresql:
        db.refresh(invoice, with_for_update=True)
    payment_id = db.execute(
        insert_or_ignore(db, Payment)
        .values(
            invoice_id=invoice.id,
            source=source,
            external_id=external_id,
            currency=invoice.currency,
            amount_minor=amount,
            reference=reference,
            received_on=received_on,
            created_at=utcnow(),
        )
        .returning(Payment.id)
    ).scalar_one_or_none()
    if payment_id is None:
        return None  # booked before (or by a concurrent transaction that has committed)
    if not on_postgresql:
        db.refresh(invoice)
    payment = db.get_one(Payment, payment_id)

    was_paid = invoice.status == "paid"
    invoice.paid_minor += amount
    balance = invoice.balance_minor
    data: dict[str, Any] = {"amount": amount, "source": source, "external_id": external_id}
    if balance <= 0:
        invoice.status = "paid"
        invoice.next_action_on = None  # nothing left for the reminder engine to do
        if invoice.closed_at is None:
            invoice.closed_at = utcnow()  # its links expire KASSA_LINK_DAYS_AFTER_CLOSE later
        kind = "paid"
        if balance < 0:
            data["surplus"] = -balance
    else:
        invoice.status = "partly_paid"
        kind = "partly_paid"
        data["balance"] = balance
    db.add(InvoiceEvent(invoice_id=invoice.id, kind=kind, data=data))
    db.flush()

    sender = app
    if sender is None and has_app_context():
        sender = current_app._get_current_object()  # type: ignore[attr-defined]
    send_after_commit(
        db,
        payment_received,
        sender,
        invoice_id=invoice.id,
        payment_id=payment.id,
        amount=amount,
        currency=invoice.currency,
        source=source,
        external_id=external_id,
    )
    if kind == "paid" and not was_paid:
        send_after_commit(db, invoice_paid, sender, invoice_id=invoice.id, number=invoice.number)
    return payment


def claim_once(db: Session, model: Any, **values: Any) -> bool:
    """Insert a row keyed by a unique constraint; False if such a row exists already.

    Used to make an action happen once (e.g. a processed webhook event): the insert and the
    action commit together, and a concurrent duplicate waits for the first and then sees it.
    """
    claimed = db.execute(
        insert_or_ignore(db, model).values(**values).returning(model.id)
    ).scalar_one_or_none()
    return claimed is not None


def select_payment(db: Session, source: str, external_id: str) -> Payment | None:
    """The payment booked from ``source`` under ``external_id``, if any."""
    return db.scalar(
        select(Payment).where(Payment.source == source, Payment.external_id == external_id)
    )
