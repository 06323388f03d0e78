"""Confirming a session with its client secret: one order however often it is sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kassa.api import clock
from kassa.db import CheckoutSession, Invoice, Order

from .support import (
    API,
    API_KEYS,
    FI_ID,
    KEY,
    OTHER_KEY,
    bearer,
    confirm,
    count,
    create_session,
)


def session_status(client: FlaskClient, session_id: str) -> str:
    response = client.get(f"{API}/checkout-sessions/{session_id}", headers=bearer(KEY))
    return response.get_json()["status"]  # type: ignore[no-any-return]


def test_swedish_invoice_checkout_confirms_once(app: Flask, client: FlaskClient) -> None:
    created = create_session(client)
    first = confirm(client, created)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert body["status"] == "completed"
    assert (body["method"], body["offer_id"], body["channel"]) == (
        "invoice",
        "se-invoice-14",
        "email",
    )
    assert body["return_url"] == "http://127.0.0.1/shop/done"
    assert len(body["invoices"]) == 1

    second = confirm(client, created)
    assert second.status_code == 200
    assert second.get_json() == body
    assert count(app, Order) == 1 and count(app, Invoice) == 1
    assert session_status(client, created["id"]) == "completed"


def test_client_secret_may_come_in_the_body(app: Flask, client: FlaskClient) -> None:
    created = create_session(client)
    response = client.post(
        f"{API}/checkout-sessions/{created['id']}/confirm",
        json={
            "offer_id": "se-invoice-14",
            "channel": "email",
            "personal_id": "19811218-9876",
            "consent": True,
            "client_secret": created["client_secret"],
        },
    )
    assert response.status_code == 200
    assert count(app, Order) == 1


@pytest.mark.parametrize(
    "secret",
    [None, "cs_secret_wrong", "tampered", KEY],
)
def test_wrong_client_secret_is_403_and_changes_nothing(
    app: Flask, client: FlaskClient, secret: str | None
) -> None:
    created = create_session(client)
    if secret == "tampered":
        secret = created["client_secret"][:-1] + (
            "A" if created["client_secret"][-1] != "A" else "B"
        )
    headers = bearer(secret) if secret else {}
    response = client.post(
        f"{API}/checkout-sessions/{created['id']}/confirm",
        headers=headers,
        json={"offer_id": "se-invoice-14", "personal_id": "19811218-9876", "consent": True},
    )
    assert response.status_code == 403
    assert response.get_json()["code"] == "checkout.secret"
    assert count(app, Order) == 0
    assert session_status(client, created["id"]) == "open"


def test_unknown_session_is_404(client: FlaskClient) -> None:
    response = client.post(
        f"{API}/checkout-sessions/cs_missing/confirm",
        json={"offer_id": "x"},
        headers=bearer("cs_secret_x"),
    )
    assert response.status_code == 404
    assert response.get_json()["code"] == "checkout.not_found"


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"personal_id": "19811218-9875"}, 422, "checkout.identity.checksum"),
        ({"personal_id": "1981121"}, 422, "checkout.identity.format"),
        ({"personal_id": None}, 422, "checkout.identity.empty"),
        ({"personal_id": "20150101-0001"}, 422, "checkout.age"),
        ({"consent": False}, 422, "checkout.consent"),
        ({"consent": "yes"}, 422, "checkout.consent"),
        ({"offer_id": "fi-12"}, 422, "checkout.offer"),
        ({"channel": "pigeon"}, 422, "checkout.channel"),
        ({"offer_id": 7}, 400, "request.field"),
        ({"personal_id": 19811218}, 400, "request.field"),
    ],
)
def test_each_refusal_has_its_code_and_changes_nothing(
    app: Flask, client: FlaskClient, fields: dict[str, object], status: int, code: str
) -> None:
    created = create_session(client)
    response = confirm(client, created, **fields)  # type: ignore[arg-type]
    assert response.status_code == status
    body = response.get_json()
    assert body["code"] == code
    assert body["message"]
    assert count(app, Order) == 0 and count(app, Invoice) == 0
    assert session_status(client, created["id"]) == "open"


def test_refusal_after_refusal_then_success(app: Flask, client: FlaskClient) -> None:
    created = create_session(client)
    assert confirm(client, created, personal_id="20150101-0001").status_code == 422
    assert confirm(client, created).status_code == 200
    assert count(app, Order) == 1


def test_expired_session_cannot_be_confirmed(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = create_session(client)
    later = datetime.now(UTC) + timedelta(hours=2)
    monkeypatch.setattr(clock, "now", lambda: (later, later.date()))
    response = confirm(client, created)
    assert response.status_code == 409
    assert response.get_json()["code"] == "checkout.expired"
    assert count(app, Order) == 0


def test_finland_needs_strong_identification_by_default(app: Flask, client: FlaskClient) -> None:
    created = create_session(client, country="FI", total=12990)
    response = confirm(client, created, offer_id="fi-invoice-14", personal_id=FI_ID)
    assert response.status_code == 409
    assert response.get_json()["code"] == "checkout.identification_required"
    assert count(app, Order) == 0


def test_finnish_invoice_shows_its_issued_trail_to_its_own_storefront_only(
    make_app: Callable[..., Flask], db_url: str
) -> None:
    app = make_app(db_url, KASSA_API_KEYS=API_KEYS, KASSA_STRONG_AUTH_COUNTRIES=[])
    client = app.test_client()
    created = create_session(client, country="FI", total=12990)
    confirmed = confirm(client, created, offer_id="fi-invoice-14", personal_id=FI_ID)
    assert confirmed.status_code == 200, confirmed.get_json()
    number = confirmed.get_json()["invoices"][0]

    response = client.get(f"{API}/invoices/{number}", headers=bearer(KEY))
    assert response.status_code == 200
    invoice = response.get_json()
    assert invoice["number"] == number
    assert (invoice["status"], invoice["amount"], invoice["balance"], invoice["currency"]) == (
        "open",
        12990,
        12990,
        "EUR",
    )
    assert invoice["channel"] == "email"
    assert invoice["virtual_barcode"] and invoice["virtual_barcode"][0] in "45"
    assert [event["kind"] for event in invoice["events"]] == ["issued"]
    assert invoice["events"][0]["data"]["due_date"] == invoice["due_date"]

    for key, path in ((OTHER_KEY, number), (KEY, "2000-000001")):
        missing = client.get(f"{API}/invoices/{path}", headers=bearer(key))
        assert missing.status_code == 404
        assert missing.get_json()["code"] == "invoice.not_found"
    assert client.get(f"{API}/invoices/{number}").status_code == 401
    assert count(app, CheckoutSession) == 1
