"""The public help and contact pages: every country's help in every language with the legal
numbers in force on the day, and the contact page's channels, opening hours and holidays."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.numbers import format_decimal
from flask import Flask
from flask.testing import FlaskClient

from kassa import get_state
from kassa.account import help_pages
from kassa.config import COUNTRY_CURRENCY
from kassa.core.interest import late_interest_rate
from kassa.i18n import country_word, format_money

COUNTRIES = ("FI", "SE", "NO")
LANGUAGES = ("fi", "sv", "nb", "en")
#: Monday 21 December 2026, 10.00 in Helsinki and 09.00 in Stockholm and Oslo.
MONDAY_MORNING = datetime(2026, 12, 21, 8, 0, tzinfo=UTC)
PHONE = "+358 9 4242 4242"
EMAIL = "asiakaspalvelu@shop.example"
PAGE_LIMIT = 100_000


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the pages' clock (:func:`kassa.account.help_pages.now`)."""

    def freeze(moment: datetime) -> None:
        monkeypatch.setattr(help_pages, "now", lambda: moment)

    freeze(MONDAY_MORNING)
    return freeze


@pytest.fixture
def client(make_app: Callable[..., Flask]) -> FlaskClient:
    """A shop with a phone number and an e-mail address for its customer service."""
    return make_app(None, upgrade=False, KASSA_SUPPORT_PHONE=PHONE,
                    KASSA_SUPPORT_EMAIL=EMAIL).test_client()


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    assert len(response.data) < PAGE_LIMIT, (url, len(response.data))
    return response.get_data(as_text=True)


def ranking(html: str, topic: str) -> list[str]:
    """The channels the contact page lists for ``topic``, in order."""
    section = html.split(f'data-topic="{topic}"', 1)[1].split("</details>", 1)[0]
    return re.findall(r'data-channel="(\w+)"', section)


# -- help pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("country", COUNTRIES)
def test_every_help_page_speaks_its_language_with_the_countrys_words_and_numbers(
        client: FlaskClient, frozen: Callable[[datetime], None], country: str,
        language: str) -> None:
    html = page(client, f"/kassa/account/help/{country}?lang={language}")
    assert f'<html lang="{language}">' in html
    # The country names its reference, whatever the language: viitenumero, OCR, KID.
    assert country_word(language, country, "reference").lower() in html.lower()
    # The fee cap and the late interest in force on the day, from the rule book.
    rulebook = get_state(client.application).config.rulebook
    day = date(2026, 12, 21)
    cap = rulebook.find(country, "reminder_fee_cap_minor", day)
    assert cap is not None
    shown_cap = format_money(int(cap.value), COUNTRY_CURRENCY[country], language)
    assert f"<strong data-fee-cap>{shown_cap}</strong>" in html
    rate = late_interest_rate(country, rulebook, day)
    assert f"{format_decimal(rate, '#,##0.##', locale=language)}\u00a0%" in html
    assert "<script" not in html  # works without JavaScript
    assert 'name="viewport"' in html


def test_the_numbers_follow_the_day_and_the_merchants_rule_rows(
        make_app: Callable[..., Flask], frozen: Callable[[datetime], None]) -> None:
    client = make_app(None, upgrade=False, KASSA_RULES=[
        {"country": "FI", "key": "reference_rate_pct", "value": "3.0",
         "effective_from": "2027-07-01", "source": "test", "status": "C"}]).test_client()
    # Norway's cap went from NOK 35 to 37.50 with the inkassosats on 1 January 2026.
    frozen(datetime(2025, 12, 15, 9, 0, tzinfo=UTC))
    before = page(client, "/kassa/account/help/NO?lang=nb")
    assert "<strong data-fee-cap>35,00\u00a0kr</strong>" in before
    assert "12,25\u00a0%" in before  # 4.25 + 8
    frozen(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    after = page(client, "/kassa/account/help/NO?lang=nb")
    assert "<strong data-fee-cap>37,50\u00a0kr</strong>" in after
    assert "12\u00a0%" in after
    # A new half-year's rate added by the merchant shows from its first day.
    frozen(datetime(2027, 7, 1, 9, 0, tzinfo=UTC))
    assert "10\u00a0%" in page(client, "/kassa/account/help/FI?lang=fi")  # 3.0 + 7


def test_help_pages_show_the_self_service_policy_and_the_shops_fee(
        make_app: Callable[..., Flask], frozen: Callable[[datetime], None]) -> None:
    client = make_app(None, upgrade=False, KASSA_REMINDER_FEES={"SE": "0.00"},
                      KASSA_BANKGIRO="5050-1055",
                      KASSA_SELF_SERVICE={"SE": {"extension_days": 21,
                                                 "plan_max_months": 10}}).test_client()
    html = page(client, "/kassa/account/help/SE?lang=sv")
    assert "förfallodagen 21 dagar" in html and "högst 10 månader" in html
    assert "Vi tar inte ut någon påminnelseavgift." in html
    assert "senast när skulden uppstod" in html  # Sweden: only if agreed in advance
    assert "bankgironummer <strong>5050-1055</strong>" in html
    assert "5050-1055" not in page(client, "/kassa/account/help/FI?lang=sv")


def test_the_index_lists_the_served_countries_and_others_are_not_found(
        make_app: Callable[..., Flask], frozen: Callable[[datetime], None]) -> None:
    client = make_app(None, upgrade=False, KASSA_COUNTRIES=["FI", "SE"]).test_client()
    html = page(client, "/kassa/account/help?lang=fi")
    assert 'href="/kassa/account/help/FI?lang=fi">Suomi<' in html
    assert 'href="/kassa/account/help/SE?lang=fi">Ruotsi<' in html
    assert "/help/NO" not in html
    page(client, "/kassa/account/help/NO?lang=fi", 404)  # not served by this shop
    assert "Emme löytäneet tätä sivua" in page(client, "/kassa/account/help/DE?lang=fi", 404)
    assert "Ohjeita laskun maksamiseen" in page(client, "/kassa/account/help/fi?lang=fi")


def test_help_and_contact_pages_are_public(client: FlaskClient,
                                           frozen: Callable[[datetime], None]) -> None:
    for url in ("/kassa/account/help", "/kassa/account/help/FI", "/kassa/account/contact"):
        response = client.get(url)
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "X-Robots-Tag" not in response.headers
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_a_merchant_overrides_a_help_template(make_app: Callable[..., Flask],
                                              frozen: Callable[[datetime], None],
                                              tmp_path: Path) -> None:
    own = tmp_path / "shop-templates" / "kassa" / "help" / "FI"
    own.mkdir(parents=True)
    (own / "fi.html").write_text(
        "<h1>Kauppamme ohjeet</h1><p>Muistutusmaksu enintään {{ facts.fee_cap }}.</p>",
        encoding="utf-8")
    app = make_app(None, upgrade=False)
    app.template_folder = str(tmp_path / "shop-templates")
    html = page(app.test_client(), "/kassa/account/help/FI?lang=fi")
    assert "Kauppamme ohjeet" in html and "Muistutusmaksu enintään 5,00\u00a0€." in html
    assert "Ohjeita laskun maksamiseen" not in html
    # Another language keeps Kassa's own text.
    assert "Så betalar du din faktura" in page(app.test_client(),
                                               "/kassa/account/help/FI?lang=sv")


# -- contact page ------------------------------------------------------------------------------


def test_default_ranking_follows_the_survey(client: FlaskClient,
                                            frozen: Callable[[datetime], None]) -> None:
    swedish = page(client, "/kassa/account/contact?country=SE&lang=sv")
    assert ranking(swedish, "plan")[0] == "phone"  # Swedes phone (59 %)
    norwegian = page(client, "/kassa/account/contact?country=NO&lang=nb")
    assert ranking(norwegian, "dispute")[:2] == ["email", "message"]  # Norwegians write
    finnish = page(client, "/kassa/account/contact?lang=fi")  # the first served country
    assert 'data-country="FI"' in finnish
    assert ranking(finnish, "balance")[0] == "self_service"  # Finns check online
    assert f'href="tel:+358942424242">{PHONE}</a>' in finnish
    assert f'href="mailto:{EMAIL}"' in norwegian


def test_a_merchant_ranking_changes_the_order(make_app: Callable[..., Flask],
                                              frozen: Callable[[datetime], None]) -> None:
    client = make_app(None, upgrade=False, KASSA_SUPPORT_PHONE=PHONE, KASSA_SUPPORT_EMAIL=EMAIL,
                      KASSA_CONTACT_RANKING={"SE": {"plan": ["self_service", "email", "phone"]},
                                             "NO": {"dispute": ["phone", "email"]}},
                      ).test_client()
    assert ranking(page(client, "/kassa/account/contact?country=SE"), "plan") == [
        "self_service", "email", "phone"]
    assert ranking(page(client, "/kassa/account/contact?country=NO"), "dispute") == [
        "phone", "email"]
    # What the merchant left out keeps the default.
    assert ranking(page(client, "/kassa/account/contact?country=SE"), "dispute")[0] == "phone"


def test_a_channel_without_configuration_is_hidden(make_app: Callable[..., Flask],
                                                   frozen: Callable[[datetime], None]) -> None:
    client = make_app(None, upgrade=False).test_client()  # no phone, no e-mail
    html = page(client, "/kassa/account/contact?country=SE&lang=en")
    assert 'data-channel="phone"' not in html and "tel:" not in html
    assert 'data-channel="email"' not in html and "mailto:" not in html
    assert ranking(html, "plan")[0] == "self_service"  # the next one moves up


def test_a_page_that_does_not_exist_yet_gets_no_link(
        client: FlaskClient, frozen: Callable[[datetime], None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(help_pages, "CALLBACK_ENDPOINT", "kassa_account.no_such_page")
    html = page(client, "/kassa/account/contact?country=FI&lang=en")
    callback = html.split('data-channel="callback"', 1)[1].split("</li>", 1)[0]
    assert "Call-back" in callback and "<a " not in callback


def test_opening_hours_and_a_coming_holiday(client: FlaskClient,
                                            frozen: Callable[[datetime], None]) -> None:
    html = page(client, "/kassa/account/contact?country=FI&lang=fi")
    assert '<tr data-weekday="mon"><th scope="row">Maanantai</th><td>9.00–16.00</td></tr>' in html
    assert '<tr data-weekday="sun"><th scope="row">Sunnuntai</th><td>Suljettu</td></tr>' in html
    assert "Ajat ovat Suomen aikaa." in html
    assert '<li data-day="2026-12-24">Torstai 24.12.2026: jouluaatto</li>' in html
    assert "Perjantai 1.1.2027: uudenvuodenpäivä" in html  # within 30 days
    assert 'data-open="yes"' in html and "Olemme paikalla nyt, klo 16.00 asti." in html
    swedish = page(client, "/kassa/account/contact?country=SE&lang=sv")
    assert "Torsdag 31 dec. 2026: nyårsafton" in swedish and "09:00–16:00" in swedish


def test_closed_on_a_holiday_says_when_the_team_opens_again(
        client: FlaskClient, frozen: Callable[[datetime], None]) -> None:
    frozen(datetime(2026, 12, 24, 10, 0, tzinfo=UTC))  # Christmas Eve, a Thursday
    html = page(client, "/kassa/account/contact?country=FI&lang=fi")
    assert 'data-open="no"' in html
    assert ("Asiakaspalvelumme on juuri nyt kiinni. Olemme taas paikalla maanantaina "
            "28.12.2026 klo 9.00.") in html
    frozen(datetime(2026, 12, 21, 5, 0, tzinfo=UTC))  # Monday, 7.00 in Helsinki
    english = page(client, "/kassa/account/contact?country=FI&lang=en")
    assert "We are closed right now. We are open again today at 9:00" in english


def test_the_merchants_hours_show(make_app: Callable[..., Flask],
                                  frozen: Callable[[datetime], None]) -> None:
    hours: dict[str, Any] = {"NO": {"mon": ["08:00-11:30", "12:00-15:00"],
                                    "sat": ["10:00-24:00"]}}
    client = make_app(None, upgrade=False, KASSA_SUPPORT_HOURS=hours).test_client()
    html = page(client, "/kassa/account/contact?country=NO&lang=nb")
    assert "<td>08:00–11:30, 12:00–15:00</td>" in html
    assert "<td>10:00–24:00</td>" in html
    assert '<tr data-weekday="tue"><th scope="row">Tirsdag</th><td>Stengt</td>' in html


def test_the_merchants_own_closed_day_shows_with_the_holidays(
        make_app: Callable[..., Flask], frozen: Callable[[datetime], None]) -> None:
    hours: dict[str, Any] = {"FI": {day: ["09:00-16:00"] for day in
                                    ("mon", "tue", "wed", "thu", "fri")} | {
        "closed": ["2026-12-23"]}}
    client = make_app(None, upgrade=False, KASSA_SUPPORT_HOURS=hours).test_client()
    html = page(client, "/kassa/account/contact?country=FI&lang=fi")
    assert '<li data-day="2026-12-23">Keskiviikko 23.12.2026: Suljettu</li>' in html
    assert '<li data-day="2026-12-24">Torstai 24.12.2026: jouluaatto</li>' in html
