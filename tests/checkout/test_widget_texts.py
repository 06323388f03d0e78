"""The product widget's words come from Kassa's catalogs, in the page's language, with the
plural form each number of months takes, and a headline that names a set-up fee."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from flask import Flask

from kassa.config import _DEFAULT_PRODUCTS
from kassa.i18n import format_money

WIDGET = "/kassa/checkout/widget.json"


def _texts(app: Flask, **query: Any) -> dict[str, Any]:
    response = app.test_client().get(WIDGET, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # the shop's own domain
    return response.get_json()  # type: ignore[no-any-return]


def test_finnish_widget_speaks_finnish_with_the_offers_of_the_api(app: Flask) -> None:
    texts = _texts(app, amount=124990, currency="EUR", country="FI", lang="fi")
    api = app.test_client().get("/kassa/api/v1/offers", query_string={
        "amount": 124990, "currency": "EUR", "country": "FI"}).get_json()
    assert texts["lang"] == "fi"
    assert texts["heading"] == "Maksa laskulla tai osamaksulla"
    assert [o["id"] for o in texts["offers"]] == [o["id"] for o in api["offers"]]
    lowest = min(o["monthly_amount"] for o in api["offers"] if o["method"] == "installments")
    assert texts["summary"] == f"Alkaen {format_money(lowest, 'EUR', 'fi')}/kk"
    by_id = {o["id"]: o["text"] for o in texts["offers"]}
    assert by_id["fi-3"].startswith("3 kuukautta: ")
    assert by_id["fi-12"].startswith("12 kuukautta: ")
    assert texts["note"] == "Valitset maksutavan kassalla."


def test_one_month_and_several_months_take_their_own_forms(
        make_app: Callable[..., Flask], db_url: str) -> None:
    products = copy.deepcopy(_DEFAULT_PRODUCTS)
    products["SE"]["installments"].insert(0, {
        "id": "se-1", "months": 1, "nominal_rate": "0", "setup_fee": "0.00",
        "monthly_fee": "0.00", "min_amount": "100.00", "max_amount": "50000.00"})
    app = make_app(db_url, KASSA_PRODUCTS=products)
    texts = {o["id"]: o["text"] for o in _texts(
        app, amount=499000, currency="SEK", country="SE", lang="sv")["offers"]}
    assert texts["se-1"].startswith("1 månad: ")
    assert texts["se-3"].startswith("3 månader: ")
    english = {o["id"]: o["text"] for o in _texts(
        app, amount=499000, currency="SEK", country="SE", lang="en")["offers"]}
    assert english["se-1"].startswith("1 month: ") and english["se-3"].startswith("3 months: ")


def test_a_set_up_fee_in_the_first_instalment_is_named(app: Flask) -> None:
    texts = {o["id"]: o["text"] for o in _texts(
        app, amount=499000, currency="SEK", country="SE", lang="sv")["offers"]}
    # se-12 charges 195 kr with the first instalment; se-3 has no set-up fee.
    assert ": först " in texts["se-12"] and ", sedan " in texts["se-12"]
    assert "först" not in texts["se-3"]


def test_an_amount_the_shop_does_not_take_leaves_a_kind_note(app: Flask) -> None:
    texts = _texts(app, amount=99_999_999, currency="EUR", country="FI", lang="nb")
    assert texts["offers"] == [] and texts["summary"] is None
    assert texts["note"] == (
        "Faktura og delbetaling er dessverre ikke tilgjengelig for dette kjøpet.")
    bad = app.test_client().get(WIDGET, query_string={"amount": "12,90", "lang": "sv"})
    assert bad.status_code == 400 and bad.get_json()["code"] == "offers.amount"
