"""Kassa's records as the storefront API shows them (and as the terms snapshot keeps an
offer): amounts in minor units, rates as strings, dates and moments in ISO form."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from ..config import KassaConfig
from ..core.barcode import fi_virtual_barcode
from ..core.credit import Offer
from ..core.errors import KassaError
from ..db.models import Agreement, CheckoutSession, Invoice, as_utc
from .reminder_policy import LatePaymentTerms


def offer_json(offer: Offer) -> dict[str, Any]:
    """An offer as JSON (API, terms snapshot): amounts in minor units, rates as strings,
    dates ISO. Written out field by field: ``dataclasses.asdict`` deep-copies the schedule
    and made the offers endpoint several times slower."""
    return {
        "method": offer.method,
        "id": offer.id,
        "currency": offer.currency,
        "credit_amount": offer.credit_amount,
        "months": offer.months,
        "nominal_rate": str(offer.nominal_rate),
        "apr": str(offer.apr),
        "setup_fee": offer.setup_fee,
        "monthly_fee": offer.monthly_fee,
        "monthly_amount": offer.monthly_amount,
        "total_cost": offer.total_cost,
        "total_payable": offer.total_payable,
        "consumer_credit": offer.consumer_credit,
        "schedule": [
            {
                "number": i.number,
                "due_date": i.due_date.isoformat(),
                "amount": i.amount,
                "principal": i.principal,
                "interest": i.interest,
                "fee": i.fee,
            }
            for i in offer.schedule
        ],
    }


def late_payment_json(terms: LatePaymentTerms) -> dict[str, Any]:
    """What paying late costs, as the offers API shows it and ``Agreement.terms``
    keeps it under ``"late_payment"``: ``{"currency": "SEK", "reminder_fee": 6000,
    "late_interest_rate": "10.0", "reminder_fee_needs_agreement": true}``; the fee of each
    fee-bearing reminder in minor units, the rate in force that day in percent a year."""
    return {
        "currency": terms.currency,
        "reminder_fee": terms.reminder_fee,
        "late_interest_rate": str(terms.late_interest_rate),
        "reminder_fee_needs_agreement": terms.reminder_fee_needs_agreement,
    }


def checkout_session_json(cs: CheckoutSession) -> dict[str, Any]:
    """The storefront's view of a session: status, choice and what it produced."""
    agreement = agreement_of(cs)
    agreement_id = agreement.id if agreement else None
    invoices = [i.number for i in agreement.invoices] if agreement else []
    return {
        "id": cs.id, "status": cs.status, "order_reference": cs.external_id,
        "country": cs.country, "currency": cs.currency, "total": cs.total_minor,
        "locale": cs.locale, "expires_at": as_utc(cs.expires_at).isoformat(),
        "method": cs.method, "offer_id": cs.offer_id, "channel": cs.channel,
        "agreement_id": agreement_id, "invoices": invoices,
    }


def invoice_json(invoice: Invoice, config: KassaConfig | None = None) -> dict[str, Any]:
    """An invoice as the storefront API shows it, with its event trail."""
    barcode = None
    if invoice.country == "FI" and config is not None and "FI" in config.bank_accounts:
        try:
            barcode = fi_virtual_barcode(config.bank_accounts["FI"].iban,
                                         invoice.balance_minor, invoice.reference,
                                         invoice.due_date)
        except KassaError:
            barcode = None  # e.g. a balance of a million euros or more has no bar code
    return {
        "number": invoice.number, "reference": invoice.reference, "status": invoice.status,
        "amount": invoice.amount_minor, "fees": invoice.fees_minor,
        "interest": invoice.interest_minor, "paid": invoice.paid_minor,
        "balance": invoice.balance_minor, "currency": invoice.currency,
        "issue_date": invoice.issue_date.isoformat(), "due_date": invoice.due_date.isoformat(),
        "channel": invoice.channel, "instalment_number": invoice.instalment_number,
        "virtual_barcode": barcode,
        "events": [{"kind": e.kind, "at": as_utc(e.occurred_at).isoformat(), "data": e.data}
                   for e in invoice.events],
    }


def agreement_of(cs: CheckoutSession) -> Agreement | None:
    """The agreement a completed checkout session produced, or None."""
    db = object_session(cs)
    if db is None or cs.order_id is None:
        return None
    return db.scalar(select(Agreement).where(Agreement.order_id == cs.order_id))
