"""The pay page's Content-Security-Policy: Stripe.js where the card form needs it, nowhere
else, and nothing inline."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from kassa.config import load_config
from kassa.pages import page_policy
from kassa.services.links import invoice_token
from tests.conftest import base_config
from tests.factories import make_invoice
from tests.localstripe_server import LocalStripe
from tests.page_policy import assert_obeys_its_policy, policy_of


def _pay_url(app: Flask, invoice_id: int, suffix: str = "") -> str:
    with app.test_request_context():
        return f"/kassa/pay/{invoice_token(invoice_id)}{suffix}"


def test_the_card_form_may_load_stripe_js_and_nothing_inline(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    response = stripe_app.test_client().get(_pay_url(stripe_app, make_invoice(stripe_app)))
    assert response.status_code == 200
    page = assert_obeys_its_policy(response)
    assert localstripe.js_url in page.scripts and "/kassa/static/pay.js" in page.scripts
    policy = policy_of(response)
    assert policy["script-src"] == ["'self'", localstripe.url]
    assert policy["connect-src"] == ["'self'", localstripe.url]  # the fake Stripe.js's API
    assert policy["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def test_the_return_page_loads_no_stripe(stripe_app: Flask, localstripe: LocalStripe) -> None:
    response = stripe_app.test_client().get(
        _pay_url(stripe_app, make_invoice(stripe_app), "/done"))
    assert response.status_code == 200
    assert_obeys_its_policy(response)
    assert localstripe.url not in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def test_a_shop_in_frame_ancestors_may_embed_the_pay_page(
    make_app: Callable[..., Flask], db_url: str, localstripe: LocalStripe
) -> None:
    app = make_app(db_url, **localstripe.config(KASSA_FRAME_ANCESTORS=["https://shop.example"]))
    response = app.test_client().get(_pay_url(app, make_invoice(app)))
    assert policy_of(response)["frame-ancestors"] == ["https://shop.example"]
    assert "X-Frame-Options" not in response.headers


def test_real_stripe_gets_what_stripes_csp_guide_lists() -> None:
    # Stripe's list: script-src js.stripe.com, *.js.stripe.com; connect-src api.stripe.com;
    # frame-src js.stripe.com, *.js.stripe.com, hooks.stripe.com (3-D Secure).
    header = page_policy(load_config(base_config()), stripe=True)
    policy = dict(part.split(" ", 1) for part in header.split("; "))
    assert policy["script-src"] == "'self' https://js.stripe.com https://*.js.stripe.com"
    assert policy["connect-src"] == "'self' https://api.stripe.com"
    assert policy["frame-src"] == ("https://js.stripe.com https://*.js.stripe.com "
                                   "https://hooks.stripe.com")
    assert "unsafe" not in header
