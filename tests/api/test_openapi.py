"""The OpenAPI document describes exactly the routes served, and the answers match it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from kassa.api.errors import ERROR_MESSAGES
from kassa.api.openapi import DOCUMENT, ERROR_CODES
from kassa.api.views import api

from .support import API, API_KEYS, FI_ID, KEY, bearer, confirm, create_session, order_payload

_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = DOCUMENT["components"]["schemas"][name]
    return schema


def check(value: Any, schema: dict[str, Any], where: str = "$") -> None:
    """A small JSON Schema check: the keywords the document uses, nothing more."""
    schema = resolve(schema)
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        assert any(_TYPES[name](value) for name in names), f"{where}: {value!r} is not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if "const" in schema:
        assert value == schema["const"], where
    if isinstance(value, dict):
        missing = set(schema.get("required", ())) - set(value)
        assert not missing, f"{where}: missing {missing}"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                check(value[key], sub, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            check(item, schema["items"], f"{where}[{index}]")


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    answer = DOCUMENT["paths"][path][method]["responses"][str(status)]
    return answer["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def test_every_route_is_documented_and_every_documented_path_is_served(app: Flask) -> None:
    prefix = "/kassa/api/v1"
    served: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        # _unrouted answers every address no route takes (404 and 405 as JSON): no operation.
        if rule.endpoint.startswith(f"{api.name}.") and rule.endpoint != f"{api.name}._unrouted":
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix(prefix))
            served |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in DOCUMENT["paths"].items() for method in item}
    assert served == documented
    for path, item in DOCUMENT["paths"].items():
        for operation in item.values():
            names = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", path)), path


def test_document_is_openapi_31_with_bearer_security_and_resolvable_references() -> None:
    assert DOCUMENT["openapi"].startswith("3.1")
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert all(s == {**s, "type": "http", "scheme": "bearer"} for s in schemes.values())
    text = repr(DOCUMENT)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in DOCUMENT["components"]["schemas"], name
    for item in DOCUMENT["paths"].values():
        for operation in item.values():
            for requirement in operation.get("security", DOCUMENT["security"]):
                assert set(requirement) <= set(schemes)


def test_every_translated_error_code_is_documented() -> None:
    for code in ERROR_MESSAGES:
        assert code in ERROR_CODES or any(c.startswith(code + ".") for c in ERROR_CODES), code
    assert len(set(ERROR_CODES)) == len(ERROR_CODES)


def test_document_is_served_with_this_apps_prefix(client: FlaskClient) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    served = response.get_json()
    assert served["servers"] == [{"url": "/kassa/api/v1"}]
    assert served["paths"].keys() == DOCUMENT["paths"].keys()


def test_answers_match_the_documented_schemas(make_app: Callable[..., Flask], db_url: str) -> None:
    app = make_app(db_url, KASSA_API_KEYS=API_KEYS, KASSA_STRONG_AUTH_COUNTRIES=[])
    client = app.test_client()
    offers = client.get(f"{API}/offers?amount=124990&currency=EUR&country=FI").get_json()
    check(offers, response_schema("/offers", "get", 200))
    refused = client.get(f"{API}/offers?amount=x&currency=EUR&country=FI").get_json()
    check(refused, response_schema("/offers", "get", 400))

    created = create_session(client, country="FI", total=124990)
    check(created, response_schema("/checkout-sessions", "post", 201))
    session_path = "/checkout-sessions/{session_id}"
    read = client.get(f"{API}/checkout-sessions/{created['id']}", headers=bearer(KEY))
    check(read.get_json(), response_schema(session_path, "get", 200))
    confirmed = confirm(client, created, offer_id="fi-12", personal_id=FI_ID)
    assert confirmed.status_code == 200, confirmed.get_json()
    check(confirmed.get_json(), response_schema(f"{session_path}/confirm", "post", 200))
    number = confirmed.get_json()["invoices"][0]
    invoice = client.get(f"{API}/invoices/{number}", headers=bearer(KEY)).get_json()
    check(invoice, response_schema("/invoices/{number}", "get", 200))
    fulfilled = client.post(f"{API}/orders/A-100/fulfil", headers=bearer(KEY)).get_json()
    check(fulfilled, response_schema("/orders/{external_id}/fulfil", "post", 200))
    assert len(fulfilled["invoices"]) == 12


def test_the_documented_customer_limits_are_the_ones_the_checkout_enforces(
        client: FlaskClient) -> None:
    schema = DOCUMENT["components"]["schemas"]["Customer"]
    assert set(schema["required"]) == {"name", "email"}
    for number, (name, field) in enumerate(schema["properties"].items()):
        longest = field["maxLength"]

        def value(length: int, name: str = name) -> str:
            return "a" * (length - len("@example.se")) + "@example.se" if name == "email" \
                else "a" * length

        for length, expected in ((longest, 201), (longest + 1, 422)):
            payload = order_payload(reference=f"L-{number}-{length}")
            payload["customer"] = {**payload["customer"], name: value(length)}
            response = client.post(f"{API}/checkout-sessions", json=payload,
                                   headers=bearer(KEY))
            assert response.status_code == expected, (name, length, response.get_json())
            if expected == 422:
                assert response.get_json()["code"] == "request.field"


def test_the_documented_confirmation_limits_are_the_ones_the_api_enforces(
        client: FlaskClient) -> None:
    properties = DOCUMENT["components"]["schemas"]["Confirm"]["properties"]
    for name, other in (("personal_id", "checkout.identity.format"),
                        ("offer_id", "checkout.offer")):
        longest = properties[name]["maxLength"]
        for length, code in ((longest, other), (longest + 1, "request.field")):
            session = create_session(client, reference=f"C-{name}-{length}")
            fields = {"offer_id": "se-invoice-14", name: "1" * length}
            answer = confirm(client, session, **fields).get_json()
            assert answer["code"] == code, (name, length, answer)
