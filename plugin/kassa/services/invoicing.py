"""Issuing invoices: numbers, national payment references, due dates, and their delivery.

An invoice is issued at checkout confirmation or at fulfilment (``KASSA_ISSUE_INVOICE_ON``),
one per instalment for a payment plan. Its outbox message is written in the same
transaction, so it is delivered exactly when the invoice exists.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..core.calendar import due_date_for
from ..core.errors import PaymentReferenceError
from ..core.references import reference_for
from ..db.models import Agreement, Counter, Customer, Invoice, InvoiceEvent, OutboxMessage
from ..signals import invoice_issued, send_after_commit
from ..state import KassaState
from .reminder_policy import agreed_reminder_fee, reminder_fee_agreed

_FIRST_INVOICE_SEQUENCE = 1000  # a Finnish reference base needs at least three digits


def issue_invoices(db: Session, state: KassaState, agreement: Agreement, *, channel: str,
                   today: date, base_url: str) -> list[Invoice]:
    """Issue the agreement's invoice (or one per instalment) and queue its delivery.

    Each invoice gets the next number, the country's payment reference for it and a due
    date that gives at least the legal minimum days to pay from the channel's receipt date.
    """
    config = state.config
    order = agreement.order
    country = order.country
    offer = agreement.terms["offer"]
    legal_days = int(config.rulebook.value(country, "invoice_min_days_to_pay", today))
    invoice_product = config.products[country].invoice
    product_days = (invoice_product.days_to_pay
                    if agreement.method == "invoice" and invoice_product else 0)
    earliest = due_date_for(country, channel, today,
                            min_days_to_pay=max(legal_days, product_days),
                            letter_lag_business_days=config.letter_lag_business_days.get(
                                country, 0))
    scheme = config.reference_schemes.get(country, {"FI": "fi", "SE": "ocr_length",
                                                    "NO": "kid_mod10"}[country])
    fee_agreed = reminder_fee_agreed(agreement.terms)
    invoices = []
    for item in offer["schedule"]:
        sequence, reference = _next_reference(db, country, scheme)
        due = max(date.fromisoformat(item["due_date"]), earliest)
        invoice = Invoice(
            number=f"{today.year}-{sequence:06d}", agreement=agreement,
            customer=agreement.customer, reference=reference, reference_scheme=scheme,
            channel=channel, country=country, currency=order.currency,
            amount_minor=item["amount"], issue_date=today, due_date=due, status="open",
            next_action_on=due + timedelta(days=1),
            instalment_number=item["number"] if agreement.method == "installments" else None,
            billed_to=billed_party(agreement.customer),
            # Only what the shopper saw and accepted: an agreement made before the checkout
            # showed the reminder fee has none (SE then charges none; FI and NO by law).
            reminder_fee_agreed=fee_agreed,
            agreed_reminder_fee_minor=agreed_reminder_fee(agreement.terms),
        )
        db.add(invoice)
        db.flush()
        db.add(InvoiceEvent(invoice=invoice, kind="issued",
                            data={"channel": channel, "due_date": due.isoformat(),
                                  "amount": invoice.amount_minor}))
        if item["number"] == 1 or agreement.method == "invoice":
            db.add(OutboxMessage(channel=channel, kind="invoice", invoice_id=invoice.id,
                                 recipient=recipient_for(agreement.customer, channel),
                                 payload={"base_url": base_url, "locale": agreement.locale}))
        send_after_commit(db, invoice_issued, state.app, invoice_id=invoice.id,
                          number=invoice.number)
        invoices.append(invoice)
    db.flush()
    return invoices


def billed_party(customer: Customer) -> dict[str, str | None]:
    """Who an invoice bills, as at issue: the customer's name, contact details and address."""
    return {"name": customer.name, "email": customer.email, "phone": customer.phone,
            "street": customer.street, "postal_code": customer.postal_code,
            "city": customer.city}


def recipient_for(customer: Customer, channel: str) -> str:
    """Where a message on ``channel`` goes: the e-mail address, the phone, or the name."""
    if channel == "email":
        return customer.email
    if channel == "sms":
        return customer.phone or ""
    return customer.name


def next_sequence(db: Session, name: str, start: int) -> int:
    """The next value of counter ``name`` (``start`` first); never the same value twice."""
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.execute(insert(Counter).values(name=name, value=start - 1).on_conflict_do_nothing())
    value = db.execute(update(Counter).where(Counter.name == name).values(
        value=Counter.value + 1).returning(Counter.value)).scalar_one()
    return int(value)


def _next_reference(db: Session, country: str, scheme: str) -> tuple[int, str]:
    while True:
        sequence = next_sequence(db, "invoice", _FIRST_INVOICE_SEQUENCE)
        try:
            return sequence, reference_for(country, sequence, scheme=scheme)
        except PaymentReferenceError as exc:
            if exc.code != "reference.unusable":  # a MOD11 sequence without a check digit
                raise
