"""The offers API names what paying late costs, and a confirmation through the API keeps it in
the agreement, so a storefront's own checkout can show the same terms the hosted page does."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.db import Agreement, Invoice
from tests.factories import pinned_rates

from .support import API, API_KEYS, confirm, create_session


@pytest.fixture
def app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    """Reference rates pinned: SE 2.0 % (+ 8 pp), FI 2.5 % (+ 7 pp), NO 4.0 % (+ 8 pp)."""
    return make_app(db_url, KASSA_API_KEYS=API_KEYS,
                    KASSA_RULES=pinned_rates(SE="2.0", FI="2.5", NO="4.0"))


@pytest.mark.parametrize(("country", "currency", "expected"), [
    ("SE", "SEK", {"currency": "SEK", "reminder_fee": 6000, "late_interest_rate": "10.0",
                   "reminder_fee_needs_agreement": True}),
    ("FI", "EUR", {"currency": "EUR", "reminder_fee": 500, "late_interest_rate": "9.5",
                   "reminder_fee_needs_agreement": False}),
    ("NO", "NOK", {"currency": "NOK", "reminder_fee": 3500, "late_interest_rate": "12.0",
                   "reminder_fee_needs_agreement": False}),
])
def test_offers_name_the_reminder_fee_and_the_late_interest_rate(
    app: Flask, country: str, currency: str, expected: dict[str, object]
) -> None:
    response = app.test_client().get(
        f"{API}/offers?amount=499000&currency={currency}&country={country}")
    assert response.status_code == 200
    assert response.get_json()["late_payment"] == expected


def test_the_agreement_confirmed_through_the_api_keeps_the_terms_and_the_fee_is_agreed(
    app: Flask,
) -> None:
    client = app.test_client()
    shown = client.get(f"{API}/offers?amount=499000&currency=SEK&country=SE").get_json()
    response = confirm(client, create_session(client))
    assert response.status_code == 200, response.get_json()
    with get_state(app).db.session() as db:
        assert db.scalars(select(Agreement)).one().terms["late_payment"] == shown["late_payment"]
        assert db.scalars(select(Invoice)).one().reminder_fee_agreed is True
