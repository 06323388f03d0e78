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

from datetime import date, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..core.errors import KassaError
from ..db.bulk import insert_or_ignore, lock_row
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
    _apply(db, invoice, payment, app)
    return payment


def _apply(db: Session, invoice: Invoice, payment: Payment, app: Flask | None) -> None:
    """``payment``, now the invoice's, added to what was paid: the status, the trail and
    the signals after the commit."""
    amount, source, external_id = payment.amount_minor, payment.source, payment.external_id
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


# -- money back and corrections ------------------------------------------------------------------


#: The sources of a card refund and of a credit note in ``kassa_payments``.
REFUND_SOURCE = "stripe_refund"
CREDIT_SOURCE = "credit_note"


def refundable(db: Session, payment: Payment) -> int:
    """What may still be paid back of a card ``payment``: its amount less its refunds."""
    refunded = db.scalar(select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
        Payment.source == REFUND_SOURCE, Payment.reference == payment.external_id[:35],
        Payment.invoice_id == payment.invoice_id))
    return payment.amount_minor + int(refunded or 0)


def lock_invoice(db: Session, invoice: Invoice) -> None:
    """Hold ``invoice`` against concurrent bookings until the commit (:func:`lock_row`)."""
    lock_row(db, invoice)


def book_refund(db: Session, invoice: Invoice, payment: Payment, *, amount: int,
                refund_id: str, today: date, by: str) -> Payment | None:
    """Book a card refund Stripe has made (``refund_id``) on the invoice: the paid amount
    falls, and an invoice paid in full is open again for what the refund leaves to pay.
    None when this refund was booked before. The caller has checked ``amount`` against
    :func:`refundable` under :func:`lock_invoice`."""
    refund_row = db.execute(insert_or_ignore(db, Payment).values(
        invoice_id=invoice.id, source=REFUND_SOURCE, external_id=refund_id,
        currency=invoice.currency, amount_minor=-amount, reference=payment.external_id[:35],
        received_on=today, created_at=utcnow()).returning(Payment.id)).scalar_one_or_none()
    if refund_row is None:
        return None
    invoice.paid_minor -= amount
    if invoice.balance_minor > 0 and invoice.status == "paid":
        invoice.status = "partly_paid" if invoice.paid_minor > 0 else "open"
        invoice.closed_at = None
        invoice.next_action_on = today + timedelta(days=1)
    db.add(InvoiceEvent(invoice_id=invoice.id, kind="refunded", data={
        "amount": amount, "refund_id": refund_id, "payment_id": payment.id, "by": by}))
    db.flush()
    return db.get(Payment, refund_row)


def book_credit(db: Session, invoice: Invoice, *, number: str, amount: int, reason: str,
                today: date, by: str) -> dict[str, Any]:
    """Book a credit note on the invoice as a payment from ``credit_note``: the balance
    falls as it would for money received (a credit beyond the balance is a surplus to pay
    back), but no payment signal is sent: no money arrived. Returns the trail entry's data,
    to which the caller adds the document."""
    db.add(Payment(invoice_id=invoice.id, source=CREDIT_SOURCE, external_id=number,
                   currency=invoice.currency, amount_minor=amount, received_on=today))
    invoice.paid_minor += amount
    data: dict[str, Any] = {"amount": amount, "number": number, "reason": reason, "by": by}
    if invoice.balance_minor <= 0 and invoice.status != "paid":
        invoice.status = "paid"
        invoice.next_action_on = None
        invoice.closed_at = invoice.closed_at or utcnow()
    if invoice.balance_minor < 0:
        data["surplus"] = -invoice.balance_minor
    db.add(InvoiceEvent(invoice_id=invoice.id, kind="credited", data=data))
    return data


def match_payment(db: Session, payment: Payment, invoice: Invoice, *,
                  app: Flask | None = None) -> None:
    """Book a bank payment that found no invoice by its reference on ``invoice``, as the
    team decided: as if it had matched (status, trail, signals).

    :raises PaymentError: ``payments.matched`` when it is an invoice's already or is a
        reversal, ``payments.currency`` when the currencies differ. Nothing is written then.
    """
    if payment.invoice_id is not None or payment.amount_minor <= 0:
        raise PaymentError(f"payment {payment.id} cannot be matched", code="payments.matched")
    if payment.currency != invoice.currency:
        raise PaymentError(
            f"A payment in {payment.currency} cannot be booked on invoice {invoice.number}, "
            f"which is in {invoice.currency}.", code="payments.currency",
            currency=payment.currency, invoice_currency=invoice.currency)
    lock_invoice(db, invoice)
    claimed = db.execute(update(Payment).where(Payment.id == payment.id,
                                               Payment.invoice_id.is_(None))
                         .values(invoice_id=invoice.id))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise PaymentError(f"payment {payment.id} was matched meanwhile",
                           code="payments.matched")
    db.refresh(payment)
    _apply(db, invoice, payment, app)
