"""Kassa's pages under their Content-Security-Policy, in the system Chromium: the browser
refuses nothing the page needs, the brand colour still shows, and Stripe.js still mounts the
card form. Screenshot: ``test-artifacts/checkout-under-csp.png``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from kassa.services.links import invoice_token
from tests import localstripe_server as stand_in
from tests.browser.conftest import ARTIFACTS
from tests.checkout.support import open_session
from tests.factories import make_invoice
from tests.localstripe_server import LocalStripe
from tests.payments.support import WEBHOOK_SECRET, LiveApp

pytestmark = pytest.mark.browser

# localstripe's fixtures (see tests/localstripe_server.py)
localstripe_server = stand_in.localstripe_server
localstripe = stand_in.localstripe

BRAND = "#0f766e"
BRAND_RGB = "rgb(15, 118, 110)"  # 0x0f, 0x76, 0x6e
#: Collects every CSP violation the browser reports on the page (runs before the page's code).
WATCH_VIOLATIONS = """
window.kassaViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.kassaViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def open_page(chromium: Any, url: str) -> tuple[Any, Any, list[str]]:
    """The page at ``url``, its response and the console's CSP complaints."""
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.add_init_script(WATCH_VIOLATIONS)
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(message.text)
            if "Content Security Policy" in message.text else None)
    response = page.goto(url)
    return page, response, complaints


def test_the_checkout_page_keeps_its_brand_colour_under_its_policy(
    make_app: Callable[..., Flask], db_url: str, chromium: Any
) -> None:
    app = make_app(db_url, KASSA_BRAND_COLOUR=BRAND)
    session_id = open_session(app)
    with LiveApp(app) as live:
        page, response, complaints = open_page(chromium, f"{live.url}/kassa/checkout/{session_id}")
        try:
            assert "default-src 'none'" in response.headers["content-security-policy"]
            expect(page.locator(".kassa-header")).to_have_css("border-bottom-color", BRAND_RGB)
            page.screenshot(path=str(ARTIFACTS / "checkout-under-csp.png"), full_page=True)
            assert page.evaluate("window.kassaViolations") == []
            assert complaints == []
        finally:
            page.context.close()


def test_the_pay_page_mounts_stripe_js_under_its_policy(
    make_app: Callable[..., Flask], db_url: str, localstripe: LocalStripe, chromium: Any
) -> None:
    app = make_app(db_url, **localstripe.config(KASSA_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET))
    invoice_id = make_invoice(app, amount=12990)
    with app.test_request_context():
        path = f"/kassa/pay/{invoice_token(invoice_id)}?lang=en"
    with LiveApp(app) as live:
        page, response, complaints = open_page(chromium, live.url + path)
        try:
            assert localstripe.url in response.headers["content-security-policy"]
            # pay.js found Stripe.js and mounted the card form: the button is enabled
            expect(page.get_by_role("button", name="Pay €129.90")).to_be_enabled()
            expect(page.locator('#kassa-card input[placeholder="number"]')).to_be_visible()
            assert page.evaluate("window.kassaViolations") == []
            assert complaints == []
        finally:
            page.context.close()
