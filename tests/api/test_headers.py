"""What the API's answers tell a browser: cross-origin calls only for the shopper's
confirmation from the shop's own origins, and security headers on every answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .support import API, API_KEYS, KEY, SE_ID, bearer, create_session

SHOP = "https://shop.example"
DEV_SHOP = "http://localhost:5173"


@pytest.fixture
def shop_app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    """An app whose shop's pages live on SHOP (and DEV_SHOP while developing)."""
    return make_app(db_url, KASSA_API_KEYS=API_KEYS, KASSA_ALLOWED_ORIGINS=[SHOP, DEV_SHOP])


def preflight(client: FlaskClient, path: str, origin: str) -> Any:
    """The OPTIONS a browser sends before a JSON POST from ``origin``."""
    return client.options(path, headers={
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, idempotency-key",
    })


def confirm_from(client: FlaskClient, session: dict[str, Any], origin: str,
                 secret: str | None = None) -> Any:
    """The shop's script confirming with the client secret in the body (no Authorization)."""
    return client.post(
        f"{API}/checkout-sessions/{session['id']}/confirm",
        json={"client_secret": secret or session["client_secret"], "offer_id": "se-invoice-14",
              "channel": "email", "personal_id": SE_ID, "consent": True},
        headers={"Origin": origin},
    )


def cors_headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("Access-Control-")}


def test_the_shops_origin_may_send_the_confirmation(shop_app: Flask) -> None:
    client = shop_app.test_client()
    session = create_session(client)
    path = f"{API}/checkout-sessions/{session['id']}/confirm"
    for origin in (SHOP, DEV_SHOP):
        answer = preflight(client, path, origin)
        assert answer.status_code == 200
        assert answer.headers["Access-Control-Allow-Origin"] == origin
        assert answer.headers["Access-Control-Allow-Methods"] == "POST"
        assert {h.strip() for h in answer.headers["Access-Control-Allow-Headers"].split(",")} \
            == {"Content-Type", "Idempotency-Key"}
        assert "Origin" in answer.headers["Vary"]
        assert "Access-Control-Allow-Credentials" not in answer.headers
        assert set(answer.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


def test_the_shops_origin_may_read_the_confirmation_and_its_refusals(shop_app: Flask) -> None:
    client = shop_app.test_client()
    session = create_session(client)
    refused = confirm_from(client, session, SHOP, secret="cs_secret_not-the-one")
    assert refused.status_code == 403
    assert refused.headers["Access-Control-Allow-Origin"] == SHOP  # the script can say why
    assert refused.headers["Access-Control-Expose-Headers"] == "Retry-After"
    response = confirm_from(client, session, SHOP)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "completed"
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in response.headers["Vary"]


@pytest.mark.parametrize("origin", [
    "https://evil.example",
    "http://shop.example",  # the shop's host without TLS
    "https://shop.example.evil.example",
    "https://evil-shop.example",
    "https://shop.example:8443",
    "null",  # a sandboxed frame or a file
])
def test_every_other_origin_gets_no_cors_headers(shop_app: Flask, origin: str) -> None:
    client = shop_app.test_client()
    session = create_session(client)
    answer = preflight(client, f"{API}/checkout-sessions/{session['id']}/confirm", origin)
    assert cors_headers(answer) == {}
    assert cors_headers(confirm_from(client, session, origin)) == {}


def test_no_origin_may_confirm_across_origins_by_default(client: FlaskClient) -> None:
    session = create_session(client)
    answer = preflight(client, f"{API}/checkout-sessions/{session['id']}/confirm", SHOP)
    assert cors_headers(answer) == {}


def test_no_other_route_answers_across_origins(shop_app: Flask) -> None:
    client = shop_app.test_client()
    session = create_session(client)
    from_shop = {"Origin": SHOP}
    answers = [
        preflight(client, f"{API}/checkout-sessions", SHOP),
        preflight(client, f"{API}/checkout-sessions/{session['id']}/cancel", SHOP),
        client.get(f"{API}/checkout-sessions/{session['id']}",
                   headers={**from_shop, **bearer(KEY)}),
        client.post(f"{API}/checkout-sessions/{session['id']}/cancel",
                    headers={**from_shop, **bearer(KEY)}),
        client.get(f"{API}/support-tasks", headers={**from_shop, **bearer(KEY)}),
    ]
    assert [cors_headers(answer) for answer in answers] == [{}] * len(answers)


def test_answers_with_personal_data_are_never_stored(client: FlaskClient) -> None:
    session = create_session(client)
    for response in (client.get(f"{API}/checkout-sessions/{session['id']}",
                                headers=bearer(KEY)),
                     client.get(f"{API}/support-tasks", headers=bearer(KEY)),
                     client.post(f"{API}/checkout-sessions/{session['id']}/cancel",
                                 headers=bearer(KEY))):
        assert response.status_code == 200
        assert "no-store" in response.headers["Cache-Control"]


def test_public_documents_stay_cacheable(client: FlaskClient) -> None:
    offers = client.get(f"{API}/offers?amount=12990&currency=EUR&country=FI")
    assert offers.headers["Cache-Control"] == "public, max-age=60"
    assert offers.headers["Access-Control-Allow-Origin"] == "*"  # public, as before
    openapi = client.get(f"{API}/openapi.json")
    assert openapi.headers["Cache-Control"] == "public, max-age=300"


def test_every_answer_is_unsniffable_and_runs_nothing_if_opened(client: FlaskClient) -> None:
    session = create_session(client)
    for response in (client.get(f"{API}/offers?amount=12990&currency=EUR&country=FI"),
                     client.get(f"{API}/checkout-sessions/{session['id']}",
                                headers=bearer(KEY)),
                     client.get(f"{API}/no-such-thing")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == (
            "default-src 'none'; frame-ancestors 'none'")
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
