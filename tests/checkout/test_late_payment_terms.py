"""What paying late costs is part of the credit terms the hosted page shows beside the consent,
and the agreement keeps it as shown: in Sweden that is what lets a reminder fee be charged."""

from __future__ import annotations

import html
from collections.abc import Callable
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.db import Agreement, Invoice
from kassa.i18n import catalog, format_money, format_percent
from tests.factories import pinned_rates

from .support import PREFIX, SE_ID, csrf_token, open_session

#: The reminder fee a Swedish agreement must show for the fee to be charged.
_SE_AGREEMENT = ("A reminder fee may only be charged if it has been agreed. By confirming the "
                 "purchase, you agree to it.")
_FEE_AND_INTEREST = ("If you pay late: a reminder fee of %(fee)s per reminder and late-payment "
                     "interest, currently %(rate)s a year.")
_INTEREST_ONLY = "If you pay late: late-payment interest, currently %(rate)s a year."


@pytest.fixture
def app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    """Riksbank reference 2.0 % (+ 8 pp: 10 % a year), Finnish 2.5 % (+ 7 pp: 9.5 %)."""
    return make_app(db_url, KASSA_RULES=pinned_rates(SE="2.0", FI="2.5"))


def terms_shown(text: str) -> str:
    """The late-payment block of the hosted page, as text."""
    start = text.index('id="late-payment-terms"')
    return html.unescape(text[start:text.index("</div>", start)])


def test_swedish_page_shows_the_fee_the_rate_and_that_confirming_agrees_to_the_fee(
    app: Flask,
) -> None:
    session_id = open_session(app)
    text = app.test_client().get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    shown = terms_shown(text)
    sv = catalog("sv")
    fee = format_money(6000, "SEK", "sv")
    rate = format_percent(Decimal(10), "sv")
    assert sv.ugettext(_FEE_AND_INTEREST) % {"fee": fee, "rate": rate} in shown
    assert "60,00\u00a0kr" in fee and rate == "10,0\u00a0%"
    assert sv.ugettext(_SE_AGREEMENT) in shown
    # beside the consent, and read out with it
    assert text.index('id="late-payment-terms"') < text.index('id="consent"')
    assert 'aria-describedby="late-payment-terms"' in text


def test_finnish_page_shows_the_fee_and_rate_without_the_swedish_condition(app: Flask) -> None:
    session_id = open_session(app, country="FI")
    shown = terms_shown(app.test_client().get(f"{PREFIX}/{session_id}").get_data(as_text=True))
    fi = catalog("fi")
    expected = fi.ugettext(_FEE_AND_INTEREST) % {"fee": format_money(500, "EUR", "fi"),
                                                 "rate": format_percent(Decimal("9.5"), "fi")}
    assert expected in shown
    assert "9,5\u00a0%" in shown
    assert fi.ugettext(_SE_AGREEMENT) not in shown


def test_a_shop_without_a_reminder_fee_shows_only_the_interest(
    make_app: Callable[..., Flask], db_url: str
) -> None:
    app = make_app(db_url, KASSA_RULES=pinned_rates(SE="2.0"),
                   KASSA_REMINDER_FEES={"FI": "5.00", "SE": "0.00", "NO": "35.00"})
    session_id = open_session(app)
    shown = terms_shown(app.test_client().get(f"{PREFIX}/{session_id}").get_data(as_text=True))
    sv = catalog("sv")
    assert sv.ugettext(_INTEREST_ONLY) % {"rate": format_percent(Decimal(10), "sv")} in shown
    assert "kr" not in shown and sv.ugettext(_SE_AGREEMENT) not in shown


def test_the_confirmed_agreement_keeps_the_terms_shown_and_its_invoice_the_fee(
    app: Flask,
) -> None:
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    response = client.post(f"{PREFIX}/{session_id}", data={
        "csrf_token": csrf_token(page), "offer": "se-invoice-14", "channel": "email",
        "personal_id": SE_ID, "consent": "y"})
    assert response.status_code == 303
    with get_state(app).db.session() as db:
        agreement = db.scalars(select(Agreement)).one()
        assert agreement.terms["late_payment"] == {
            "currency": "SEK", "reminder_fee": 6000, "late_interest_rate": "10.0",
            "reminder_fee_needs_agreement": True}
        invoice = db.scalars(select(Invoice)).one()
        assert invoice.reminder_fee_agreed is True
