"""Bad input is refused as input, with a code and a message naming what is wrong, and changes
nothing: control characters in any text, amounts above KASSA_MAX_ORDER_AMOUNT, JSON nested
too deep, holds dated too far ahead."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kassa import get_state
from kassa.db import CheckoutSession, Invoice, Order
from tests.factories import make_invoice

from .support import API, API_KEYS, KEY, bearer, confirm, count, create_session, order_payload

#: Characters no text field takes: CR, LF, NUL, TAB, ESC, DEL, a C1 control (NEL), the
#: Unicode line separator and a lone surrogate (which JSON can carry as ``\ud800``).
CONTROLS = ["\r\n", "\x00", "\t", "\x1b", "\x7f", "\x85", "\u2028", "\ud800"]


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        data = data[key] if not key.isdigit() else data[int(key)]  # type: ignore[index]
    data[last] = value


# (where in the body, the field the answer names, a valid value to spoil)
TEXT_FIELDS = [
    ("order.reference", "order.reference", "A-100"),
    ("order.lines.0.description", "order.lines[0].description", "Wool blanket"),
    ("customer.name", "customer.name", "Sven Svensson"),
    ("customer.email", "customer.email", "sven@example.se"),
    ("customer.phone", "customer.phone", "+46701234567"),
    ("customer.street", "customer.street", "Storgatan 1"),
    ("customer.postal_code", "customer.postal_code", "11122"),
    ("customer.city", "customer.city", "Stockholm"),
    ("locale", "locale", "sv"),
    ("return_url", "return_url", "http://127.0.0.1/shop/done"),
    ("cancel_url", "cancel_url", "http://127.0.0.1/shop/cart"),
]


@pytest.mark.parametrize(
    ("path", "field", "value", "control"),
    [(*row, CONTROLS[i % len(CONTROLS)]) for i, row in enumerate(TEXT_FIELDS)]
    + [("customer.name", "customer.name", "Sven", c) for c in CONTROLS],
)
def test_a_control_character_in_any_text_of_the_order_is_refused_naming_the_field(
    app: Flask, client: FlaskClient, path: str, field: str, value: str, control: str
) -> None:
    payload = order_payload()
    _set(payload, path, value[:2] + control + value[2:])
    response = client.post(f"{API}/checkout-sessions?lang=fi", json=payload, headers=bearer(KEY))
    assert response.status_code == 400
    assert response.get_json() == {
        "code": "request.field", "message": f"Kenttä {field} puuttuu tai on virheellinen."}
    assert count(app, CheckoutSession) == 0


def test_a_line_break_in_a_return_url_is_not_hidden_by_the_url_parser(
    app: Flask, client: FlaskClient
) -> None:
    # urlsplit silently drops "\r\n"; the stored URL would keep it and split the redirect.
    payload = order_payload(return_url="http://127.0.0.1/shop/done\r\nSet-Cookie: x=1")
    response = client.post(f"{API}/checkout-sessions", json=payload, headers=bearer(KEY))
    assert response.status_code == 400
    assert response.get_json()["code"] == "request.field"
    assert count(app, CheckoutSession) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"offer_id": "se-invoice-14\r\n"}, "offer_id"),
        ({"channel": "email\x00"}, "channel"),
        ({"personal_id": "19811218\n9876"}, "personal_id"),
        ({"personal_id": "19811218-9876\u2028"}, "personal_id"),
        ({"personal_id": "1" * 41}, "personal_id"),
    ],
)
def test_a_control_character_in_a_confirmation_is_refused_and_confirms_nothing(
    app: Flask, client: FlaskClient, fields: dict[str, str], field: str
) -> None:
    created = create_session(client)
    response = confirm(client, created, **fields)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert response.get_json() == {
        "code": "request.field", "message": f"The field {field} is missing or not valid."}
    assert count(app, Order) == 0
    read = client.get(f"{API}/checkout-sessions/{created['id']}", headers=bearer(KEY))
    assert read.get_json()["status"] == "open"


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("get", "/checkout-sessions/cs_1%00", "session_id"),
        ("post", "/checkout-sessions/cs_1%0D%0A/cancel", "session_id"),
        ("post", "/checkout-sessions/cs_%1B1/confirm", "session_id"),
        ("get", "/invoices/FI-1%00", "number"),
        ("post", "/invoices/FI-1%0A/holds", "number"),
        ("post", "/invoices/FI-1%09/holds/end", "number"),
        ("post", "/orders/A-100%00/fulfil", "external_id"),
        ("get", "/invoices/" + "9" * 101, "number"),
    ],
)
def test_a_control_character_in_a_path_parameter_is_refused_not_looked_up(
    client: FlaskClient, method: str, path: str, field: str
) -> None:
    response = getattr(client, method)(f"{API}{path}", headers=bearer(KEY),
                                       json={"reason": "disputed"})
    assert response.status_code == 400
    assert response.get_json() == {
        "code": "request.field", "message": f"The field {field} is missing or not valid."}


# -- amounts ---------------------------------------------------------------------------------


def _one_line_order(country: str, unit_price: int, quantity: int = 1) -> dict[str, Any]:
    payload = order_payload(country=country, total=unit_price * quantity)
    payload["order"]["lines"] = [{"description": "Sofa", "quantity": quantity,
                                  "unit_price": unit_price, "vat_rate": "25.5"}]
    return payload


@pytest.mark.parametrize(
    ("country", "unit_price", "quantity"),
    [
        ("FI", 10_000_001, 1),  # 100 000,01 €, one cent above the default limit
        ("FI", 5_000_001, 2),  # two units whose total is above it
        ("SE", 100_000_001, 1),  # 1 000 000,01 kr
        ("NO", 2**63, 1),  # past a 64-bit column: refused, never a database error
    ],
)
def test_an_order_above_the_countrys_limit_is_refused(
    app: Flask, client: FlaskClient, country: str, unit_price: int, quantity: int
) -> None:
    response = client.post(f"{API}/checkout-sessions?lang=sv",
                           json=_one_line_order(country, unit_price, quantity),
                           headers=bearer(KEY))
    assert response.status_code == 422
    assert response.get_json() == {
        "code": "checkout.amount_limit",
        "message": "Orderns totalbelopp eller ett styckpris är högre än det största belopp "
        "som butiken tar emot för faktura och delbetalning."}
    assert count(app, CheckoutSession) == 0


def test_an_order_of_exactly_the_limit_opens_a_session(client: FlaskClient) -> None:
    response = client.post(f"{API}/checkout-sessions", json=_one_line_order("FI", 10_000_000),
                           headers=bearer(KEY))
    assert response.status_code == 201, response.get_json()


def test_a_quantity_beyond_reason_is_refused(app: Flask, client: FlaskClient) -> None:
    payload = _one_line_order("SE", 1, quantity=100_001)
    response = client.post(f"{API}/checkout-sessions", json=payload, headers=bearer(KEY))
    assert response.status_code == 422
    assert response.get_json()["code"] == "checkout.lines"
    assert count(app, CheckoutSession) == 0


def test_the_merchants_own_limit_applies(make_app: Callable[..., Flask], db_url: str) -> None:
    app = make_app(db_url, KASSA_API_KEYS=API_KEYS,
                   KASSA_MAX_ORDER_AMOUNT={"FI": "500.00", "SE": "5000.00", "NO": "5000.00"})
    client = app.test_client()
    refused = client.post(f"{API}/checkout-sessions", json=_one_line_order("SE", 500_001),
                          headers=bearer(KEY))
    assert refused.get_json()["code"] == "checkout.amount_limit"
    offers = client.get(f"{API}/offers?amount=50001&currency=EUR&country=FI")
    assert offers.status_code == 400 and offers.get_json()["code"] == "offers.amount_limit"
    assert client.get(f"{API}/offers?amount=50000&currency=EUR&country=FI").status_code == 200
    document = client.get(f"{API}/openapi.json").get_json()
    amount = document["paths"]["/offers"]["get"]["parameters"][0]["schema"]
    assert amount["maximum"] == 500_000  # the largest of the three, in minor units


@pytest.mark.parametrize("amount", ["10000001", "123456789012345678", "9" * 40])
def test_offers_for_an_amount_above_the_limit_are_refused(client: FlaskClient,
                                                         amount: str) -> None:
    response = client.get(f"{API}/offers?amount={amount}&currency=EUR&country=FI&lang=nb")
    assert response.status_code == 400
    assert response.get_json() == {
        "code": "offers.amount_limit",
        "message": "Beløpet er høyere enn det største beløpet butikken tar imot for faktura og "
        "delbetaling."}


# -- JSON nesting ----------------------------------------------------------------------------


def _nested(depth: int) -> Any:
    """Arrays nested ``depth`` levels deep, counting the outermost."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_json_nested_deeper_than_twenty_levels_is_refused(app: Flask,
                                                          client: FlaskClient) -> None:
    payload = order_payload()
    payload["note"] = _nested(19)  # the body is the 1st level, "note" the 2nd to the 20th
    assert client.post(f"{API}/checkout-sessions", json=payload,
                       headers=bearer(KEY)).status_code == 201
    payload = order_payload(reference="A-101")
    payload["note"] = _nested(20)
    response = client.post(f"{API}/checkout-sessions", json=payload, headers=bearer(KEY))
    assert response.status_code == 400
    assert response.get_json() == {"code": "request.json",
                                   "message": "The request body must be a JSON object."}
    assert count(app, CheckoutSession) == 1


def test_brackets_inside_strings_do_not_count_as_nesting(client: FlaskClient) -> None:
    payload = order_payload()
    payload["order"]["lines"][0]["description"] = '[[[[[[[[[[[[[[[[[[[[[[{{{{"\\'
    assert client.post(f"{API}/checkout-sessions", json=payload,
                       headers=bearer(KEY)).status_code == 201


@pytest.mark.parametrize(
    "path", ["/checkout-sessions", "/checkout-sessions/cs_1/confirm", "/invoices/FI-1/holds"]
)
def test_a_body_deep_enough_to_exhaust_the_parser_is_a_400_before_anything_else(
    client: FlaskClient, path: str
) -> None:
    # Within the body limit, deep enough that Python's parser would run out of stack; no
    # API key either: the body is refused before anyone asks who sent it.
    body = "[" * 200_000 + "]" * 10
    response = client.post(f"{API}{path}", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["code"] == "request.json"


# -- holds -----------------------------------------------------------------------------------


def _invoice(make_app: Callable[..., Flask], db_url: str) -> tuple[Flask, str, date]:
    app = make_app(db_url, KASSA_API_KEYS={"test": KEY})
    invoice_id = make_invoice(app, country="FI", issued=date.today() - timedelta(days=20))
    with get_state(app).db.session() as db:
        invoice = db.get(Invoice, invoice_id)
        return app, invoice.number, invoice.due_date


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "disputed", "until": (date.today() + timedelta(days=367)).isoformat()},
        {"reason": "plan", "until": "9999-12-31"},
        {"reason": "extended", "due_date": "2999-01-01"},
        {"reason": "extended", "due_date": "9999-12-31"},
    ],
)
def test_a_hold_dated_more_than_a_year_ahead_is_refused_and_changes_nothing(
    make_app: Callable[..., Flask], db_url: str, body: dict[str, str]
) -> None:
    app, number, due = _invoice(make_app, db_url)
    response = app.test_client().post(f"{API}/invoices/{number}/holds?lang=fi",
                                      headers=bearer(KEY), json=body)
    assert response.status_code == 422
    assert response.get_json() == {
        "code": "hold.too_long",
        "message": "Muistutukset voi keskeyttää, tai eräpäivää siirtää, enintään 366 päivää "
        "eteenpäin."}
    with get_state(app).db.session() as db:
        invoice = db.scalar(select(Invoice).where(Invoice.number == number))
        assert invoice.due_date == due and invoice.holds == []


def test_a_hold_of_a_year_is_accepted(make_app: Callable[..., Flask], db_url: str) -> None:
    app, number, _due = _invoice(make_app, db_url)
    until = date.today() + timedelta(days=366)
    response = app.test_client().post(f"{API}/invoices/{number}/holds", headers=bearer(KEY),
                                      json={"reason": "disputed", "until": until.isoformat()})
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "disputed\r\n"}, "reason"),
        ({"reason": "disputed", "until": 20270101}, "until"),
        ({"reason": "extended", "due_date": "2027-W01-1"}, "due_date"),
    ],
)
def test_a_malformed_hold_is_refused_naming_the_field(
    make_app: Callable[..., Flask], db_url: str, body: dict[str, Any], field: str
) -> None:
    app, number, _due = _invoice(make_app, db_url)
    response = app.test_client().post(f"{API}/invoices/{number}/holds", headers=bearer(KEY),
                                      data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["code"] == "request.field"
    assert field in response.get_json()["message"]


# -- the document ----------------------------------------------------------------------------


def _request_schemas() -> list[tuple[str, dict[str, Any]]]:
    """Every schema a client fills in: parameters and request bodies, references resolved."""
    from kassa.api.openapi import DOCUMENT

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref", "")
        return DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema

    found: list[tuple[str, dict[str, Any]]] = []

    def walk(where: str, schema: dict[str, Any]) -> None:
        schema = resolve(schema)
        found.append((where, schema))
        for name, sub in schema.get("properties", {}).items():
            walk(f"{where}.{name}", sub)
        if "items" in schema:
            walk(f"{where}[]", schema["items"])

    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", ()):
                walk(f"{method} {path} {parameter['name']}", parameter["schema"])
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                walk(f"{method} {path} body", body["schema"])
    return found


def test_the_document_carries_every_limit_the_code_enforces() -> None:
    for where, schema in _request_schemas():
        if where.endswith("client_secret"):
            continue  # a credential, compared as a digest: any other text is a wrong secret
        types = schema.get("type")
        if "string" in (types if isinstance(types, list) else [types]) and "enum" not in schema \
                and schema.get("format") != "date":
            assert "maxLength" in schema and "pattern" in schema, where
        if types == "integer" and ("amount" in where or "price" in where or "total" in where
                                   or "quantity" in where):
            assert "maximum" in schema, where
