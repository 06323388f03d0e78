"""The hosted checkout in the shopper's language with the checkout country's own words: its
identity number and bank identification, one whole sentence per way the invoice is sent,
and a plan's headline that says when the first instalment carries the set-up fee."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date

from flask import Flask

from kassa import get_state
from kassa.db import CheckoutSession
from kassa.i18n import format_money
from kassa.services.checkout import session_offers

from .support import PREFIX, csrf_token, open_session


def _offer_block(page: str, offer_id: str) -> str:
    start = page.index(f'data-offer="{offer_id}"')
    return html.unescape(page[start:page.index("</li>", start)])


def _plain(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def test_the_headline_says_when_the_first_instalment_carries_the_set_up_fee(
        app: Flask) -> None:
    session_id = open_session(app)  # Sweden: se-12 has a set-up fee of 195 kr, se-3 none
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}?lang=en").get_data(as_text=True)
    state = get_state(app)
    with state.db.session() as db:
        offers = {o.id: o for o in session_offers(state.config, db.get(CheckoutSession,
                                                                         session_id),
                                                  date.today())}
    twelve, three = offers["se-12"], offers["se-3"]
    # Independent of the schedule code: the first instalment carries the 195 kr set-up fee.
    assert twelve.schedule[0].amount == twelve.monthly_amount + 19500
    first = format_money(twelve.schedule[0].amount, "SEK", "en")
    then = format_money(twelve.monthly_amount, "SEK", "en")
    assert _plain(f"First {first}, then {then} a month") in _plain(_offer_block(page, "se-12"))
    block = _plain(_offer_block(page, "se-3"))
    assert _plain(f"{format_money(three.monthly_amount, 'SEK', 'en')} a month") in block
    assert "First" not in block
    swedish = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    assert _plain(f"Först {format_money(twelve.schedule[0].amount, 'SEK', 'sv')}, sedan "
                  f"{format_money(twelve.monthly_amount, 'SEK', 'sv')} i månaden") in _plain(
        _offer_block(swedish, "se-12"))


def test_the_identity_field_and_its_errors_name_the_country_own_number(app: Flask) -> None:
    client = app.test_client()
    norway = open_session(app, country="NO", total=499000, reference="N-1")
    page = client.get(f"{PREFIX}/{norway}?lang=sv").get_data(as_text=True)
    assert ">Födelsenummer</label>" in page
    refused = client.post(f"{PREFIX}/{norway}?lang=sv", data={
        "csrf_token": csrf_token(page), "offer": "no-12", "channel": "email", "consent": "y",
        "personal_id": ""})
    assert refused.status_code == 422
    assert "Ange ditt födelsenummer." in refused.get_data(as_text=True)
    assert "personnummer" not in refused.get_data(as_text=True).lower()

    sweden = open_session(app, reference="S-1")
    page = client.get(f"{PREFIX}/{sweden}?lang=fi").get_data(as_text=True)
    assert ">Henkilötunnus (personnummer)</label>" in page
    refused = client.post(f"{PREFIX}/{sweden}?lang=fi", data={
        "csrf_token": csrf_token(page), "offer": "se-12", "channel": "email", "consent": "y",
        "personal_id": "19811218-9875"})
    assert "Henkilötunnus (personnummer) ei ole kelvollinen. Tarkista se." in (
        refused.get_data(as_text=True))


def test_finland_asks_for_online_banking_codes_in_every_language(app: Flask) -> None:
    finland = open_session(app, country="FI", total=129900, reference="F-1")
    client = app.test_client()
    swedish = client.get(f"{PREFIX}/{finland}?lang=sv").get_data(as_text=True)
    assert "Identifiera dig med bankkoder" in swedish
    assert "bank-id" not in swedish.lower() and "BankID" not in swedish
    english = client.get(f"{PREFIX}/{finland}?lang=en").get_data(as_text=True)
    assert "Identify with your online banking codes" in english
    failed = client.get(f"{PREFIX}/{finland}?lang=sv&identification=unavailable")
    assert "Identifiering med bankkoder är inte tillgänglig just nu." in failed.get_data(
        as_text=True)


def test_one_way_to_send_the_invoice_is_said_in_one_sentence(
        make_app: Callable[..., Flask], db_url: str) -> None:
    app = make_app(db_url, KASSA_CHANNELS=["email"])
    session_id = open_session(app)
    page = app.test_client().get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    assert "<p>Vi skickar fakturan med e-post till sven@example.se.</p>" in page
