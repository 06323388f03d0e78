"""What the storefront reads about each offer: is it consumer credit, and is it offered at all.

The shipped defaults must never offer a plan whose fees make its APR absurd (the demo shop's
69,90 € sauna bucket once showed a 3-month plan at an APR of 106 %), and every offer says
whether it is consumer credit, which decides the pre-contract information, the agreement,
the right of withdrawal and the credit checks that follow.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from demo_shop.catalog import PRODUCTS, product
from kassa import get_state
from kassa.config import _DEFAULT_PRODUCTS
from kassa.db.models import Agreement

from .support import API, API_KEYS, confirm, create_session

CURRENCY = {"FI": "EUR", "SE": "SEK", "NO": "NOK"}


@pytest.fixture
def offers_app(make_app: Callable[..., Flask], tmp_path: Any) -> Callable[..., Flask]:
    """Apps on a SQLite file of their own: offers are priced without the database."""
    def build(**config: Any) -> Flask:
        return make_app(f"sqlite:///{tmp_path / 'offers.sqlite3'}", upgrade=False, **config)
    return build


def offers(app: Flask, amount: int, country: str) -> list[dict[str, Any]]:
    response = app.test_client().get(f"{API}/offers", query_string={
        "amount": amount, "currency": CURRENCY[country], "country": country})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["offers"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("country", ["FI", "SE", "NO"])
def test_the_demo_shops_sauna_bucket_gets_no_instalment_plan_in_any_country(
        offers_app: Callable[..., Flask], country: str) -> None:
    app = offers_app()
    bucket = product("sauna-bucket")
    assert bucket is not None and bucket.prices["EUR"] == 6990  # 69,90 €
    found = offers(app, bucket.prices[CURRENCY[country]], country)
    assert [o["method"] for o in found] == ["invoice"]
    widget = app.test_client().get("/kassa/checkout/widget.json", query_string={
        "amount": bucket.prices[CURRENCY[country]], "currency": CURRENCY[country],
        "country": country, "lang": "en"}).get_json()
    assert widget["summary"] is None  # no "from X a month" on the product page either


@pytest.mark.parametrize("country", ["FI", "SE", "NO"])
def test_no_default_plan_is_offered_above_an_apr_of_20_percent(
        offers_app: Callable[..., Flask], country: str) -> None:
    app = offers_app()
    amounts = sorted({p.prices[CURRENCY[country]] for p in PRODUCTS}
                     | {30000, 75000, 120000, 300000, 450000, 600000})
    plans = [o for amount in amounts for o in offers(app, amount, country)
             if o["method"] == "installments"]
    assert plans, "some amount gets a plan"
    assert max(Decimal(o["apr"]) for o in plans) <= 20


def test_each_offer_says_whether_it_is_consumer_credit(
        offers_app: Callable[..., Flask]) -> None:
    app = offers_app()
    finland = {o["id"]: o["consumer_credit"] for o in offers(app, 124990, "FI")}
    # A free 14-day invoice of a small or medium-sized merchant is outside CCD2; every plan
    # carries interest or fees.
    assert finland == {"fi-invoice-14": False, "fi-3": True, "fi-12": True, "fi-24": True}
    # Norway: no exemption for a free deferral is known, so the invoice counts as credit.
    assert {o["id"]: o["consumer_credit"] for o in offers(app, 499000, "NO")}[
        "no-invoice-14"] is True


def test_a_large_merchants_free_invoice_is_credit_past_14_days(
        offers_app: Callable[..., Flask]) -> None:
    products = copy.deepcopy(_DEFAULT_PRODUCTS)
    products["FI"]["invoice"]["days_to_pay"] = 20
    sme = offers_app(KASSA_PRODUCTS=products)
    large = offers_app(KASSA_PRODUCTS=products, KASSA_MERCHANT_SIZE="large")
    assert offers(sme, 6990, "FI")[0]["consumer_credit"] is False  # 20 days <= 50
    assert offers(large, 6990, "FI")[0]["consumer_credit"] is True  # 20 days > 14
    fee = copy.deepcopy(_DEFAULT_PRODUCTS)
    fee["FI"]["invoice"]["fee"] = "1.95"
    assert offers(offers_app(KASSA_PRODUCTS=fee), 6990, "FI")[0]["consumer_credit"] is True


def test_the_apr_ceiling_is_the_merchants_setting_per_country(
        offers_app: Callable[..., Flask]) -> None:
    products = copy.deepcopy(_DEFAULT_PRODUCTS)
    products["FI"]["installments"][0]["min_amount"] = "50.00"  # fi-3 from 50 €
    default = offers_app(KASSA_PRODUCTS=products)
    assert [o["id"] for o in offers(default, 6990, "FI")] == ["fi-invoice-14"]
    lifted = offers_app(KASSA_PRODUCTS=products, KASSA_MAX_OFFER_APR={"FI": "150"})
    three = [o for o in offers(lifted, 6990, "FI") if o["id"] == "fi-3"]
    assert len(three) == 1 and Decimal(three[0]["apr"]) > 100  # the 106 % plan, by choice
    config = get_state(lifted).config
    assert config.max_offer_apr == {"FI": Decimal(150), "SE": Decimal(20), "NO": Decimal(20)}
    off = offers_app(KASSA_PRODUCTS=products, KASSA_MAX_OFFER_APR={"FI": None})
    assert "fi-3" in [o["id"] for o in offers(off, 6990, "FI")]


def test_the_agreement_keeps_whether_the_offer_was_consumer_credit(
        make_app: Callable[..., Flask], db_url: str) -> None:
    app = make_app(db_url, KASSA_API_KEYS=API_KEYS)
    client = app.test_client()
    session = create_session(client)  # Sweden, 4 990 kr
    assert confirm(client, session, offer_id="se-12").status_code == 200
    with get_state(app).db.session() as db:
        terms = db.scalars(select(Agreement.terms)).one()
    assert terms["offer"]["id"] == "se-12" and terms["offer"]["consumer_credit"] is True
