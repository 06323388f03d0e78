"""Confirmed consumer credits for the credit-register tests: plans whose figures a reader can
check by hand, bought through the checkout service."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from kassa import get_state
from kassa.db import CheckoutSession
from kassa.services.checkout import confirm_checkout, create_checkout_session

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # a Friday
TODAY = NOW.date()
PEOPLE = {"FI": ("131052-308T", "Maija Meikäläinen", "fi"),
          "NO": ("01010750160", "Kari Nordmann", "nb")}
#: Plans whose figures a reader can check by hand: no interest, a flat monthly fee.
PRODUCTS = {
    "FI": {"invoice": {"id": "fi-invoice-14", "days_to_pay": 14, "fee": "0.00",
                       "min_amount": "10.00", "max_amount": "5000.00"},
           "installments": [{"id": "fi-12", "months": 12, "nominal_rate": "0",
                             "setup_fee": "0.00", "monthly_fee": "2.95",
                             "min_amount": "200.00", "max_amount": "5000.00"}]},
    "NO": {"invoice": {"id": "no-invoice-14", "days_to_pay": 14, "fee": "0.00",
                       "min_amount": "100.00", "max_amount": "50000.00"},
           "installments": [{"id": "no-12", "months": 12, "nominal_rate": "0",
                             "setup_fee": "0.00", "monthly_fee": "39.00",
                             "min_amount": "2000.00", "max_amount": "50000.00"}]},
}


def buy(app: Flask, country: str, total: int, offer_id: str, reference: str = "A-100",
        now: datetime = NOW) -> int:
    """A confirmed checkout at ``now`` (``NOW`` unless given); the agreement's id."""
    state = get_state(app)
    number, name, locale = PEOPLE[country]
    data = {
        "order": {"reference": reference, "currency": {"FI": "EUR", "NO": "NOK"}[country],
                  "country": country, "total": total,
                  "lines": [{"description": "Cross-country ski set", "quantity": 1,
                             "unit_price": total, "vat_rate": "25"}]},
        "customer": {"name": name, "email": "shopper@example.test", "phone": "+358401234567",
                     "street": "Esimerkkikatu 2", "postal_code": "00100", "city": "Helsinki"},
        "locale": locale, "return_url": "http://127.0.0.1/done",
        "cancel_url": "http://127.0.0.1/cart",
    }
    with state.db.session() as db:
        cs, _secret = create_checkout_session(db, state.config, "demo", data, now)
    with state.db.session() as db:
        cs = db.get_one(CheckoutSession, cs.id)
        result = confirm_checkout(db, state, cs, offer_id=offer_id, channel="email",
                                  personal_id=number, consent=True, today=now.date(), now=now,
                                  base_url="http://127.0.0.1")
        return result.agreement.id
