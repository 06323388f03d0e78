"""Instalment plans confirmed through the checkout service, for the withdrawal and early
repayment tests, and the sums a test reads back from the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.db import Agreement, CheckoutSession, Invoice
from kassa.services.checkout import confirm_checkout, create_checkout_session

#: The purchase: Monday 2 March 2026, in the morning in the Nordics.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TODAY = NOW.date()
IDS = {"SE": "19811218-9876", "FI": "131052-308T", "NO": "01010750160"}
CURRENCIES = {"SE": "SEK", "FI": "EUR", "NO": "NOK"}
LOCALES = {"SE": "sv", "FI": "fi", "NO": "nb"}


def plan_app(make_app: Callable[..., Flask], db_url: str, **config: Any) -> Flask:
    """An app that confirms Finnish plans with a typed identity number, as in tests."""
    return make_app(db_url, KASSA_STRONG_AUTH_COUNTRIES=[], **config)


def confirmed_plan(app: Flask, *, country: str = "SE", offer_id: str = "se-12",
                   total: int = 1_000_000, reference: str = "A-100") -> int:
    """Confirm a checkout of ``total`` minor units with ``offer_id`` on :data:`NOW`; returns
    the agreement's id."""
    state = get_state(app)
    data = {
        "order": {"reference": reference, "currency": CURRENCIES[country], "country": country,
                  "total": total, "lines": [{"description": "Wool blanket", "quantity": 1,
                                             "unit_price": total, "vat_rate": "25"}]},
        "customer": {"name": "Sven Svensson", "email": "sven@example.se",
                     "phone": "+46701234567", "street": "Storgatan 1",
                     "postal_code": "11122", "city": "Stockholm"},
        "locale": LOCALES[country], "return_url": "http://127.0.0.1/shop/done",
        "cancel_url": "http://127.0.0.1/shop/cart",
    }
    with state.db.session() as db:
        cs, _secret = create_checkout_session(db, state.config, "demo", data, NOW)
        session_id = cs.id
    with state.db.session() as db:
        cs = db.get_one(CheckoutSession, session_id)
        result = confirm_checkout(db, state, cs, offer_id=offer_id, channel="email",
                                  personal_id=IDS[country], consent=True, today=TODAY,
                                  now=NOW, base_url="http://127.0.0.1")
        return result.agreement.id


def invoices_of(app: Flask, agreement_id: int) -> list[dict[str, Any]]:
    """The agreement's invoices as plain values, by instalment."""
    with get_state(app).db.session() as db:
        rows = db.scalars(select(Invoice).where(Invoice.agreement_id == agreement_id)
                          .order_by(Invoice.instalment_number, Invoice.id)).all()
        return [{"id": i.id, "number": i.number, "instalment": i.instalment_number,
                 "amount": i.amount_minor, "paid": i.paid_minor, "balance": i.balance_minor,
                 "status": i.status, "due_date": i.due_date,
                 "events": [(e.kind, dict(e.data)) for e in i.events]} for i in rows]


def agreed_schedule(app: Flask, agreement_id: int) -> list[dict[str, Any]]:
    with get_state(app).db.session() as db:
        return list(db.get_one(Agreement, agreement_id).terms["offer"]["schedule"])


def day(value: str) -> date:
    return date.fromisoformat(value)
