"""Rate limits on Kassa's own blueprints: what a client over a limit sees (429, ``Retry-After``,
the JSON ``{code, message}`` or a friendly page in its language), per what each limit counts,
and that the host shop's own routes are never limited.

Every test runs twice: with the limits counted in memory and in Redis
(``KASSA_TEST_REDIS_URL``, default the local server; a key prefix of the test's own, reset by
the limiter afterwards). Limits are small, so that a test reaches them by count, never by time.
The limits touch no database: the apps use SQLite only.
"""

from __future__ import annotations

import html
import math
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.wrappers import Response

from kassa import ConfigurationError, get_state
from kassa.checkout.views import IDENTITY_PROVIDER_KEY
from kassa.config import DEFAULT_RATE_LIMITS, load_config
from kassa.db import Order
from kassa.i18n import catalog
from tests.api.support import (
    API,
    API_KEYS,
    KEY,
    OTHER_KEY,
    bearer,
    confirm,
    create_session,
    order_payload,
)
from tests.checkout.support import PREFIX, SE_ID, count, csrf_token, open_session
from tests.conftest import IN_CI, base_config

REDIS_URL = os.environ.get("KASSA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: A Swedish personnummer with a wrong check digit: refused as a typed identity number.
WRONG_SE_ID = "19811218-9875"
WRONG_SECRET = "cs_secret_" + "x" * 32
ELSEWHERE = "192.0.2.7"
PAGE_HEADING = "Just a moment, please"
API_MESSAGE = ("There have been too many attempts in a short time. Please wait a moment and try "
               "again.")


def _redis_problem() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest) -> dict[str, str]:
    """The settings of a rate-limit storage: memory, or Redis under a prefix of this test's."""
    if request.param == "memory":
        return {"KASSA_RATELIMIT_STORAGE_URL": "memory://"}
    problem = _redis_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"Redis is required in CI and not reachable: {problem}")
        pytest.skip(f"Redis not reachable: {problem}")
    return {"KASSA_RATELIMIT_STORAGE_URL": REDIS_URL,
            "KASSA_RATELIMIT_KEY_PREFIX": f"kassa-test-{secrets.token_hex(8)}"}


@pytest.fixture
def limited_app(make_app: Callable[..., Flask], tmp_path: Path,
                storage: dict[str, str]) -> Iterator[Callable[..., Flask]]:
    """Build an app with two storefronts and the given ``KASSA_RATE_LIMITS``; afterwards the
    limiter's own reset empties its storage (in Redis, every key under the test's prefix)."""
    built: list[Flask] = []

    def build(limits: dict[str, str] | None = None, **config: Any) -> Flask:
        app = make_app(f"sqlite:///{tmp_path / f'kassa{len(built)}.sqlite3'}",
                       KASSA_API_KEYS=API_KEYS, KASSA_RATE_LIMITS=limits or {},
                       **storage, **config)
        built.append(app)
        return app

    yield build
    for app in built:
        limiter = get_state(app).limiter
        assert limiter is not None
        limiter.reset()
    if "KASSA_RATELIMIT_KEY_PREFIX" in storage:
        left = redis.Redis.from_url(REDIS_URL).keys(storage["KASSA_RATELIMIT_KEY_PREFIX"] + ":*")
        assert left == []


def client_at(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def retry_after(response: Response, window_seconds: int) -> int:
    """The ``Retry-After`` of a 429: whole seconds, within the limit's window."""
    assert response.status_code == 429, response.get_data(as_text=True)[:300]
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= window_seconds
    return wait


def assert_friendly_page(response: Response, locale: str, window_seconds: int) -> None:
    """The shopper's 429 page: in ``locale``, telling how long to wait."""
    wait = retry_after(response, window_seconds)
    assert response.mimetype == "text/html"
    # Kassa's own headers, as on every page of its blueprints.
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    text = html.unescape(response.get_data(as_text=True))
    translations = catalog(locale)
    heading = translations.ugettext(PAGE_HEADING)
    assert heading != PAGE_HEADING, f"{locale} has no translation of the page"
    assert f'lang="{locale}"' in text and heading in text
    minutes = math.ceil(wait / 60)
    assert translations.ungettext("You can try again in about %(num)d minute.",
                                  "You can try again in about %(num)d minutes.",
                                  minutes) % {"num": minutes} in text


def assert_rate_limited_json(response: Response, locale: str, window_seconds: int) -> None:
    retry_after(response, window_seconds)
    message = catalog(locale).ugettext(API_MESSAGE)
    assert message != API_MESSAGE, f"{locale} has no translation of the message"
    assert response.get_json() == {"code": "request.rate_limited", "message": message}


# -- identity attempts per checkout session -------------------------------------------------


def hosted_form(client: FlaskClient, session_id: str) -> dict[str, str]:
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    return {"csrf_token": csrf_token(page), "offer": "se-invoice-14", "channel": "email",
            "consent": "y"}


def test_typed_identity_numbers_stop_at_the_sessions_limit_even_the_right_one(
    limited_app: Callable[..., Flask],
) -> None:
    app = limited_app({"identity_per_session": "3 per hour"})
    session_id, other_session = open_session(app), open_session(app, reference="A-101")
    client = app.test_client()
    form = hosted_form(client, session_id)
    for _ in range(3):
        refused = client.post(f"{PREFIX}/{session_id}", data={**form, "personal_id": WRONG_SE_ID})
        assert refused.status_code == 422
    stopped = client.post(f"{PREFIX}/{session_id}", data={**form, "personal_id": SE_ID},
                          headers={"Accept-Language": "sv-SE,sv;q=0.9"})
    assert_friendly_page(stopped, "sv", 3600)
    assert count(app, Order) == 0
    # Looking at the page is no attempt; another session keeps its own count.
    assert client.get(f"{PREFIX}/{session_id}").status_code == 200
    done = client.post(f"{PREFIX}/{other_session}",
                       data={**hosted_form(client, other_session), "personal_id": SE_ID})
    assert done.status_code == 303
    assert count(app, Order) == 1


def test_identity_numbers_sent_to_the_api_share_the_sessions_count_with_the_form(
    limited_app: Callable[..., Flask],
) -> None:
    app = limited_app({"identity_per_session": "3 per hour"})
    client = app.test_client()
    session = create_session(client)
    form = hosted_form(client, session["id"])
    for _ in range(2):
        refused = client.post(f"{PREFIX}/{session['id']}",
                              data={**form, "personal_id": WRONG_SE_ID})
        assert refused.status_code == 422
    assert confirm(client, session, personal_id=WRONG_SE_ID).status_code == 422
    stopped = client.post(
        f"{API}/checkout-sessions/{session['id']}/confirm",
        json={"offer_id": "se-invoice-14", "channel": "email", "personal_id": SE_ID,
              "consent": True},
        headers={**bearer(session["client_secret"]), "Accept-Language": "fi"},
    )
    assert_rate_limited_json(stopped, "fi", 3600)
    assert count(app, Order) == 0


class CountingBroker:
    """An identity broker that only counts how often Kassa sent a shopper to it."""

    def __init__(self) -> None:
        self.starts = 0

    def authorization_url(self, state: str, nonce: str, redirect_uri: str, locale: str) -> str:
        self.starts += 1
        return f"https://broker.example/authorize?state={state}"

    def verified_identity(self, args: Any, *, state: str, nonce: str,
                          redirect_uri: str) -> Any:
        raise AssertionError("no shopper comes back from this broker in these tests")


def test_bank_id_identification_starts_count_as_identity_attempts(
    limited_app: Callable[..., Flask],
) -> None:
    app = limited_app({"identity_per_session": "2 per hour"})
    broker = CountingBroker()
    app.extensions[IDENTITY_PROVIDER_KEY] = broker
    session_id = open_session(app, country="FI", total=124990)
    client = app.test_client()
    form = hosted_form(client, session_id)
    for _ in range(2):
        started = client.post(f"{PREFIX}/{session_id}/identify", data=form)
        assert started.headers["Location"].startswith("https://broker.example/")
    assert client.get(f"{PREFIX}/{session_id}/identify").status_code == 302  # shows the page
    stopped = client.post(f"{PREFIX}/{session_id}/identify?lang=fi", data=form)
    assert_friendly_page(stopped, "fi", 3600)
    assert broker.starts == 2


# -- wrong client secrets --------------------------------------------------------------------


def test_wrong_client_secrets_lock_that_session_and_only_wrong_secrets_count(
    limited_app: Callable[..., Flask],
) -> None:
    app = limited_app({"client_secret_per_session": "2 per hour"})
    client = app.test_client()
    session, other = create_session(client), create_session(client, reference="A-101")
    for _ in range(3):  # refused for another reason than the secret: not counted
        assert confirm(client, session, offer_id="no-such-offer").status_code == 422
    for _ in range(2):
        assert confirm(client, session, secret=WRONG_SECRET).status_code == 403
    stopped = client.post(
        f"{API}/checkout-sessions/{session['id']}/confirm",
        json={"offer_id": "se-invoice-14", "channel": "email", "personal_id": SE_ID,
              "consent": True},
        headers={**bearer(session["client_secret"]), "Accept-Language": "nb"},
    )
    assert_rate_limited_json(stopped, "nb", 3600)
    assert count(app, Order) == 0
    assert confirm(client, other).status_code == 200


def test_wrong_client_secrets_are_limited_per_client_address(
    limited_app: Callable[..., Flask],
) -> None:
    app = limited_app({"client_secret_per_ip": "2 per hour"})
    client = app.test_client()
    sessions = [create_session(client, reference=f"A-{n}") for n in range(3)]
    assert confirm(client, sessions[0], secret=WRONG_SECRET).status_code == 403
    assert confirm(client, sessions[1], secret=WRONG_SECRET).status_code == 403
    retry_after(confirm(client, sessions[2]), 3600)
    assert confirm(client_at(app, ELSEWHERE), sessions[2]).status_code == 200


# -- pages opened by a link's token ----------------------------------------------------------


def guessed(path: str) -> str:
    return path.format(token=secrets.token_urlsafe(24))


def test_token_pages_are_limited_per_client_address(limited_app: Callable[..., Flask]) -> None:
    app = limited_app({"token_pages_per_ip": "3 per minute"})
    client = app.test_client()
    for path in ("/kassa/account/invoice/{token}", "/kassa/account/invoice/{token}/pdf",
                 "/kassa/pay/{token}"):
        assert client.get(guessed(path)).status_code == 404
    stopped = client.get(guessed("/kassa/account/invoice/{token}/qr.svg"),
                         headers={"Accept-Language": "nb-NO"})
    assert_friendly_page(stopped, "nb", 60)
    # The pay page's script asks for JSON and gets it.
    paying = client.post(guessed("/kassa/pay/{token}/confirm"), json={},
                         headers={"Accept": "application/json", "Accept-Language": "sv"})
    assert_rate_limited_json(paying, "sv", 60)
    # The e-mail's pixel is the same image for any token: not counted, not refused.
    assert client.get(guessed("/kassa/account/invoice/{token}/seen.gif")).status_code == 200
    assert client_at(app, ELSEWHERE).get(guessed("/kassa/pay/{token}")).status_code == 404


def test_an_ipv6_client_is_counted_by_its_64_network(limited_app: Callable[..., Flask]) -> None:
    app = limited_app({"token_pages_per_ip": "2 per minute"})
    first = client_at(app, "2001:db8:1:2::1")
    same_network = client_at(app, "2001:db8:1:2:ffff:ffff:ffff:9")
    next_network = client_at(app, "2001:db8:1:3::1")
    assert first.get(guessed("/kassa/pay/{token}")).status_code == 404
    assert same_network.get(guessed("/kassa/pay/{token}")).status_code == 404
    retry_after(first.get(guessed("/kassa/pay/{token}")), 60)
    assert next_network.get(guessed("/kassa/pay/{token}")).status_code == 404


# -- storefront API calls per key ------------------------------------------------------------


def test_storefront_api_calls_are_limited_per_key(limited_app: Callable[..., Flask]) -> None:
    app = limited_app({"api_per_storefront": "3 per minute"})
    client = app.test_client()
    for _ in range(3):
        assert client.get(f"{API}/support-tasks", headers=bearer(KEY)).status_code == 200
    stopped = client.get(f"{API}/support-tasks",
                         headers={**bearer(KEY), "Accept-Language": "sv"})
    assert_rate_limited_json(stopped, "sv", 60)
    # Another storefront has its own count; the public offers, even with the key, and calls
    # without a valid key are not counted.
    assert client.get(f"{API}/support-tasks", headers=bearer(OTHER_KEY)).status_code == 200
    assert client.get(f"{API}/offers?amount=124990&currency=EUR&country=FI",
                      headers=bearer(KEY)).status_code == 200
    assert client.get(f"{API}/support-tasks", headers=bearer("n" * 32)).status_code == 401


def test_a_refused_post_leaves_its_idempotency_key_free(
    limited_app: Callable[..., Flask],
) -> None:
    app = limited_app({"api_per_storefront": "1 per minute"})
    client = app.test_client()
    assert client.get(f"{API}/support-tasks", headers=bearer(KEY)).status_code == 200
    headers = {**bearer(KEY), "Idempotency-Key": "order-A-100"}
    refused = client.post(f"{API}/checkout-sessions", json=order_payload(), headers=headers)
    retry_after(refused, 60)
    limiter = get_state(app).limiter
    assert limiter is not None
    limiter.reset()
    created = client.post(f"{API}/checkout-sessions", json=order_payload(), headers=headers)
    assert created.status_code == 201
    assert "Idempotent-Replayed" not in created.headers


# -- the host shop's routes, start-up and storage --------------------------------------------


def test_the_host_shops_own_routes_are_never_limited(limited_app: Callable[..., Flask]) -> None:
    app = limited_app({name: "1 per hour" for name in DEFAULT_RATE_LIMITS},
                      # Flask-Limiter settings the host has for its own limiter, if any.
                      RATELIMIT_DEFAULT="1 per hour", RATELIMIT_APPLICATION="1 per hour")

    @app.get("/shop/invoice/<token>")
    def shop_invoice(token: str) -> str:
        return "the shop's own page"

    @app.post("/shop/api/orders")
    def shop_orders() -> str:
        return "ok"

    client = app.test_client()
    for _ in range(3):
        assert client.get("/shop/invoice/abc", headers=bearer(KEY)).status_code == 200
        assert client.post("/shop/api/orders", headers=bearer(KEY)).status_code == 200
        # Nor do the host's defaults reach Kassa's routes that no Kassa limit counts.
        assert client.get(f"{API}/offers?amount=124990&currency=EUR&country=FI").status_code == 200
        assert client.get("/kassa/brand.css").status_code == 200
        assert client.get(f"{API}/support-tasks").status_code == 401


def test_limits_hold_in_each_process_while_redis_cannot_be_reached(
    make_app: Callable[..., Flask], tmp_path: Path,
) -> None:
    with socket.socket() as probe:  # a loopback port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(f"sqlite:///{tmp_path / 'kassa.sqlite3'}",
                   KASSA_RATELIMIT_STORAGE_URL=f"redis://127.0.0.1:{port}/0",
                   KASSA_RATE_LIMITS={"token_pages_per_ip": "2 per minute"})
    client = app.test_client()
    for _ in range(2):
        assert client.get(guessed("/kassa/pay/{token}")).status_code == 404
    retry_after(client.get(guessed("/kassa/pay/{token}")), 60)


def test_a_limit_left_out_keeps_its_default() -> None:
    config = load_config(base_config(KASSA_RATE_LIMITS={"api_per_storefront": "5 per second"}))
    assert config.rate_limits == {**DEFAULT_RATE_LIMITS, "api_per_storefront": "5 per second"}
    assert load_config(base_config()).ratelimit_storage_url == "memory://"


def test_a_storage_url_is_refused_without_showing_its_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_config(base_config(KASSA_RATELIMIT_STORAGE_URL="mongodb://kassa:s3cret@db/limits"))
    assert caught.value.key == "KASSA_RATELIMIT_STORAGE_URL"
    assert "s3cret" not in str(caught.value)


# -- the customer-service pages' sign-in -------------------------------------------------------


def test_sign_in_attempts_are_limited_per_address_and_codes_per_invoice(
        limited_app: Callable[..., Flask]) -> None:
    import re

    app = limited_app({"account_sign_in_per_ip": "3 per minute",
                       "account_code_per_invoice": "2 per minute"})
    client = app.test_client()
    page = client.get("/kassa/account/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    form = {"csrf_token": token.group(1), "number": "2026000001", "proof": "00100"}
    for _attempt in range(2):
        assert client.post("/kassa/account/sign-in", data=form).status_code == 200
    # A third code for the same invoice number, from another address, is refused too.
    elsewhere = client_at(app, ELSEWHERE)
    other_page = elsewhere.get("/kassa/account/sign-in").get_data(as_text=True)
    other_token = re.search(r'name="csrf_token" value="([^"]+)"', other_page)
    assert other_token
    retry_after(elsewhere.post("/kassa/account/sign-in",
                               data={**form, "csrf_token": other_token.group(1)}), 60)
    assert client.post("/kassa/account/sign-in",
                       data={**form, "number": "2026000002"}).status_code == 200
    retry_after(client.post("/kassa/account/sign-in",
                            data={**form, "number": "2026000003"}), 60)
