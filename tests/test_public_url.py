"""Links Kassa hands out are built on KASSA_PUBLIC_URL, never on the request's Host header."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from kassa.config import load_config
from kassa.errors import ConfigurationError

from .api.support import API, API_KEYS, KEY, bearer, order_payload
from .conftest import base_config

SHOP = "https://shop.example"


def test_the_hosted_checkout_url_ignores_a_forged_host(make_app: Callable[..., Flask],
                                                       db_url: str) -> None:
    app = make_app(db_url, KASSA_API_KEYS=API_KEYS, KASSA_PUBLIC_URL=SHOP + "/")
    response = app.test_client().post(
        f"{API}/checkout-sessions", json=order_payload(), base_url="http://evil.example",
        headers=bearer(KEY) | {"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["url"] == f"{SHOP}/kassa/checkout/{body['id']}"
    assert "evil" not in response.get_data(as_text=True)


def test_the_public_url_is_required_outside_debug_and_testing() -> None:
    config = base_config()
    config.pop("KASSA_PUBLIC_URL")
    config["TESTING"] = False
    with pytest.raises(ConfigurationError, match="KASSA_PUBLIC_URL: is required"):
        load_config(config)
    assert load_config({**config, "DEBUG": True}).public_url == "http://127.0.0.1:5000"


@pytest.mark.parametrize("url", ["shop.example", "ftp://shop.example", "https://", "https://s.example/?a=1"])
def test_a_public_url_that_is_not_an_absolute_http_url_stops_start_up(url: str) -> None:
    with pytest.raises(ConfigurationError, match="KASSA_PUBLIC_URL"):
        load_config(base_config(KASSA_PUBLIC_URL=url))
