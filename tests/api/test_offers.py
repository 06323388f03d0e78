"""GET offers: every option an amount qualifies for, priced as the core prices it."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient

from kassa import get_state
from kassa.core.credit import build_installment_offer

from .support import API


def test_finnish_purchase_gets_invoice_and_the_12_month_plan_as_core_prices_it(
    app, client: FlaskClient
) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"{API}/offers?amount=124990&currency=EUR&country=FI")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    body = response.get_json()
    assert (body["currency"], body["country"], body["amount"]) == ("EUR", "FI", 124990)
    offers = {offer["id"]: offer for offer in body["offers"]}
    assert body["offers"][0]["method"] == "invoice"
    assert {"fi-invoice-14", "fi-3", "fi-12", "fi-24"} == set(offers)

    product = next(p for p in get_state(app).config.products["FI"].installments if p.id == "fi-12")
    expected = build_installment_offer(product, 124990, date.today())
    plan = offers["fi-12"]
    assert plan["method"] == "installments" and plan["months"] == 12
    assert plan["nominal_rate"] == "9.9"
    assert plan["apr"] == str(expected.apr)
    assert plan["total_payable"] == expected.total_payable
    assert plan["monthly_fee"] == 295
    for offer in body["offers"]:
        assert sum(item["amount"] for item in offer["schedule"]) == offer["total_payable"]
        assert offer["total_payable"] == 124990 + offer["total_cost"]
        assert all(
            item["amount"] == item["principal"] + item["interest"] + item["fee"]
            for item in offer["schedule"]
        )
        date.fromisoformat(offer["schedule"][0]["due_date"])
        assert set(offer) >= {
            "method",
            "id",
            "months",
            "nominal_rate",
            "apr",
            "setup_fee",
            "monthly_fee",
            "monthly_amount",
            "total_cost",
            "total_payable",
            "schedule",
        }


def test_options_the_amount_does_not_qualify_for_are_absent(client: FlaskClient) -> None:
    # 500 €: the 3-month plan (from 300 €) but not the 12- and 24-month ones (750 €, 1 200 €).
    small = client.get(f"{API}/offers?amount=50000&currency=EUR&country=FI").get_json()
    assert [offer["id"] for offer in small["offers"]] == ["fi-invoice-14", "fi-3"]
    # 100 €: three monthly fees of 2,95 € would be an APR of 66.9 %; the invoice alone.
    tiny = client.get(f"{API}/offers?amount=10000&currency=EUR&country=FI").get_json()
    assert [offer["id"] for offer in tiny["offers"]] == ["fi-invoice-14"]


@pytest.mark.parametrize("amount", ["999", "600000"])  # 9,99 € and 6 000 € are outside all
def test_amount_outside_every_product_gives_an_empty_list(client: FlaskClient, amount: str) -> None:
    response = client.get(f"{API}/offers?amount={amount}&currency=EUR&country=FI")
    assert response.status_code == 200
    assert response.get_json()["offers"] == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("amount=124990&currency=SEK&country=FI", "offers.currency"),
        ("amount=124990&currency=EUR&country=SE", "offers.currency"),
        ("amount=124990&currency=DKK&country=DK", "offers.country"),
        ("amount=1249.90&currency=EUR&country=FI", "offers.amount"),
        ("amount=abc&currency=EUR&country=FI", "offers.amount"),
        ("amount=1e5&currency=EUR&country=FI", "offers.amount"),
        ("currency=EUR&country=FI", "offers.amount"),
        ("amount=-5&currency=EUR&country=FI", "offers.amount"),
        ("amount=0&currency=EUR&country=FI", "offers.amount"),
    ],
)
def test_bad_query_is_a_400_with_a_stable_code(client: FlaskClient, query: str, code: str) -> None:
    response = client.get(f"{API}/offers?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert "public" not in response.headers.get("Cache-Control", "")


def test_offers_need_no_api_key_and_carry_no_personal_data(client: FlaskClient) -> None:
    response = client.get(
        f"{API}/offers?amount=499000&currency=SEK&country=SE",
        headers={"Authorization": "Bearer wrong"},
    )
    assert response.status_code == 200
    assert set(response.get_json()) == {"currency", "country", "amount", "offers",
                                         "late_payment"}
