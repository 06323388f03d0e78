"""Every place that advertises credit (the widget, the payment options page, the hosted
checkout) shows each credit offer's representative example and the warning that borrowing
money costs money, in the shopper's language; an offer the law does not count as credit
(a free 14-day invoice of a small merchant) is not dressed up as credit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Flask

from kassa.i18n import format_money, format_percent

from .support import PREFIX, open_session

WIDGET = "/kassa/checkout/widget.json"
WARNING = {"fi": "Lainan ottaminen maksaa.", "sv": "Att låna pengar kostar pengar.",
           "nb": "Det koster penger å låne penger.", "en": "Borrowing money costs money."}


def widget(app: Flask, amount: int, currency: str, country: str, lang: str) -> dict[str, Any]:
    response = app.test_client().get(WIDGET, query_string={
        "amount": amount, "currency": currency, "country": country, "lang": lang})
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def api_offers(app: Flask, amount: int, currency: str, country: str) -> dict[str, Any]:
    body = app.test_client().get("/kassa/api/v1/offers", query_string={
        "amount": amount, "currency": currency, "country": country}).get_json()
    return {offer["id"]: offer for offer in body["offers"]}


def test_the_widget_warns_and_gives_each_plan_its_example_in_finnish(app: Flask) -> None:
    texts = widget(app, 124990, "EUR", "FI", "fi")
    assert texts["warning"] == WARNING["fi"]
    offers = api_offers(app, 124990, "EUR", "FI")
    examples = {o["id"]: o["example"] for o in texts["offers"]}
    assert examples["fi-invoice-14"] is None  # free and due within 50 days: not credit
    twelve = offers["fi-12"]
    example = examples["fi-12"]
    assert example.startswith("Esimerkki: kun ostoksen summa on ")
    for figure in (format_money(124990, "EUR", "fi"), "12 kuukautta",
                   format_percent(Decimal(twelve["nominal_rate"]), "fi"),
                   format_money(twelve["monthly_fee"], "EUR", "fi"),
                   format_percent(Decimal(twelve["apr"]), "fi"),
                   format_money(twelve["total_payable"], "EUR", "fi")):
        assert figure in example, (figure, example)


def test_the_warning_reads_naturally_in_every_language(app: Flask) -> None:
    assert widget(app, 1249900, "SEK", "SE", "sv")["warning"] == WARNING["sv"]
    assert widget(app, 499000, "NOK", "NO", "nb")["warning"] == WARNING["nb"]
    assert widget(app, 499000, "NOK", "NO", "en")["warning"] == WARNING["en"]


def test_a_credit_invoice_gets_its_example_too(app: Flask) -> None:
    # Norway exempts no deferral: the free invoice is credit and says what it costs.
    texts = widget(app, 499000, "NOK", "NO", "nb")
    invoice = next(o for o in texts["offers"] if o["method"] == "invoice")
    shown = api_offers(app, 499000, "NOK", "NO")[invoice["id"]]
    assert invoice["example"].startswith("Eksempel: Et kjøp på ")
    assert format_money(shown["total_payable"], "NOK", "nb") in invoice["example"]
    assert " dager, med fakturagebyr på " in invoice["example"]


def test_no_warning_where_nothing_offered_is_credit(app: Flask) -> None:
    # 69,90 €: no plan, and the free invoice of an SME is outside consumer credit law.
    texts = widget(app, 6990, "EUR", "FI", "fi")
    assert [o["method"] for o in texts["offers"]] == ["invoice"]
    assert texts["warning"] is None and texts["offers"][0]["example"] is None


def test_the_options_page_shows_the_warning_and_the_examples(app: Flask) -> None:
    page = app.test_client().get(
        "/kassa/checkout/options?amount=124990&country=FI&lang=sv").get_data(as_text=True)
    assert f"<strong>{WARNING['sv']}</strong>" in page
    assert page.index(WARNING["sv"]) < page.index('data-offer="fi-3"')  # before the offers
    assert page.count('class="kassa-example"') == 3  # one per plan; the invoice is not credit
    assert "Exempel: ett köp på" in page
    cheap = app.test_client().get(
        "/kassa/checkout/options?amount=6990&country=FI&lang=sv").get_data(as_text=True)
    assert WARNING["sv"] not in cheap and 'data-offer="fi-3"' not in cheap


def test_the_hosted_checkout_warns_before_the_credit_offers(app: Flask) -> None:
    session_id = open_session(app)  # Sweden, 4 990 kr: the 3- and 12-month plans
    page = app.test_client().get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    assert 'data-kassa-credit-warning><strong>Att låna pengar kostar pengar.</strong>' in page
    assert page.index("Att låna pengar kostar pengar.") < page.index('data-offer="se-3"')
