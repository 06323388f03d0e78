"""Creating, reading and cancelling checkout sessions with a storefront's API key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kassa.api import clock, errors, guards
from kassa.db import CheckoutSession

from .support import API, KEY, OTHER_KEY, bearer, confirm, count, create_session, order_payload


def test_created_session_is_open_and_readable(app: Flask, client: FlaskClient) -> None:
    created = create_session(client)
    assert set(created) == {"id", "url", "client_secret", "status", "expires_at"}
    assert created["status"] == "open"
    assert created["url"] == f"http://localhost/kassa/checkout/{created['id']}"
    assert datetime.fromisoformat(created["expires_at"]) > datetime.now(UTC)

    response = client.get(f"{API}/checkout-sessions/{created['id']}", headers=bearer(KEY))
    assert response.status_code == 200
    session = response.get_json()
    assert session["status"] == "open"
    assert session["order_reference"] == "A-100"
    assert (session["total"], session["currency"]) == (499000, "SEK")
    assert "client_secret" not in session
    assert count(app, CheckoutSession) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer("x" * 32),
        bearer(KEY + "k"),
        bearer(KEY[:-1]),
        {"Authorization": KEY},
        {"Authorization": f"Basic {KEY}"},
        bearer("ä" * 32),
    ],
)
def test_missing_or_wrong_key_is_401_and_writes_nothing(
    app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    response = client.post(f"{API}/checkout-sessions", json=order_payload(), headers=headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == "auth.invalid_key"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert count(app, CheckoutSession) == 0


def test_totals_that_do_not_add_up_are_422_and_write_nothing(
    app: Flask, client: FlaskClient
) -> None:
    payload = order_payload()
    payload["order"]["total"] = 499001
    response = client.post(f"{API}/checkout-sessions", json=payload, headers=bearer(KEY))
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "checkout.totals"
    assert body["message"] == "The order total does not match its lines."
    assert count(app, CheckoutSession) == 0


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "null", ""])
def test_a_body_that_is_not_a_json_object_is_400(app: Flask, client: FlaskClient, raw: str) -> None:
    response = client.post(
        f"{API}/checkout-sessions", data=raw, headers=bearer(KEY), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == "request.json"
    assert count(app, CheckoutSession) == 0


def test_missing_field_names_the_field(client: FlaskClient) -> None:
    payload = order_payload()
    del payload["customer"]["email"]
    response = client.post(f"{API}/checkout-sessions", json=payload, headers=bearer(KEY))
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "request.field"
    assert "email" in body["message"]


def test_one_session_per_order_reference(app: Flask, client: FlaskClient) -> None:
    create_session(client)
    response = client.post(f"{API}/checkout-sessions", json=order_payload(), headers=bearer(KEY))
    assert response.status_code == 409
    assert response.get_json()["code"] == "checkout.duplicate"
    assert count(app, CheckoutSession) == 1


def test_another_storefront_cannot_see_or_cancel_the_session(client: FlaskClient) -> None:
    created = create_session(client)
    url = f"{API}/checkout-sessions/{created['id']}"
    for response in (
        client.get(url, headers=bearer(OTHER_KEY)),
        client.post(f"{url}/cancel", headers=bearer(OTHER_KEY)),
        client.get(f"{API}/checkout-sessions/cs_nope", headers=bearer(KEY)),
    ):
        assert response.status_code == 404
        assert response.get_json()["code"] == "checkout.not_found"
    assert client.get(url, headers=bearer(KEY)).get_json()["status"] == "open"


def test_cancelled_session_cannot_be_confirmed(client: FlaskClient) -> None:
    created = create_session(client)
    response = client.post(f"{API}/checkout-sessions/{created['id']}/cancel", headers=bearer(KEY))
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    refused = confirm(client, created)
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "checkout.cancelled"


def test_completed_session_cannot_be_cancelled(client: FlaskClient) -> None:
    created = create_session(client)
    assert confirm(client, created).status_code == 200
    response = client.post(f"{API}/checkout-sessions/{created['id']}/cancel", headers=bearer(KEY))
    assert response.status_code == 409
    assert response.get_json()["code"] == "checkout.completed"


def test_session_past_its_time_reads_as_expired(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = create_session(client)
    later = datetime.now(UTC) + timedelta(hours=2)
    monkeypatch.setattr(clock, "now", lambda: (later, later.date()))
    response = client.get(f"{API}/checkout-sessions/{created['id']}", headers=bearer(KEY))
    assert response.get_json()["status"] == "expired"


def test_error_messages_follow_the_request_language(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real = errors.ERROR_MESSAGES["auth.invalid_key"]

    class Recording:
        def __str__(self) -> str:
            from kassa.i18n import current_locale

            seen.append(current_locale())
            return str(real)

    monkeypatch.setitem(errors.ERROR_MESSAGES, "auth.invalid_key", Recording())
    client.post(f"{API}/checkout-sessions", json={}, headers={"Accept-Language": "sv-SE"})
    client.post(f"{API}/checkout-sessions?lang=fi", json={})
    assert seen == ["sv", "fi"]


def test_oversized_body_is_413_and_writes_nothing(app: Flask, client: FlaskClient) -> None:
    payload = order_payload()
    payload["padding"] = "x" * (guards.MAX_BODY_BYTES + 1)
    response = client.post(f"{API}/checkout-sessions", json=payload, headers=bearer(KEY))
    assert response.status_code == 413
    assert response.get_json()["code"] == "request.too_large"
    assert count(app, CheckoutSession) == 0
