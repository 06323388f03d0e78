"""A shopper pays an invoice by card on the "pay now" page, in the system Chromium.

The Kassa app is served on loopback (werkzeug in a thread), once on SQLite and once on
PostgreSQL; its Stripe is localstripe (API and fake Stripe.js), whose webhook points back
at the live app. The shopper fills in localstripe's card inputs, pays, lands on the return
page, and the invoice turns paid when the signed webhook arrives. Screenshots:
``test-artifacts/pay-now-form.png`` (the filled form) and ``test-artifacts/pay-now.png``
(the paid return page).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from kassa.services.links import invoice_token
from tests import localstripe_server as stand_in
from tests.browser.conftest import ARTIFACTS
from tests.factories import make_invoice
from tests.localstripe_server import LocalStripe
from tests.payments.support import WEBHOOK_PATH, WEBHOOK_SECRET, LiveApp, load_invoice, wait_for

pytestmark = pytest.mark.browser

# localstripe's fixtures (see tests/localstripe_server.py)
localstripe_server = stand_in.localstripe_server
localstripe = stand_in.localstripe


def test_a_shopper_pays_an_invoice_by_card(
    make_app: Callable[..., Flask], db_url: str, localstripe: LocalStripe, chromium: Any
) -> None:
    app = make_app(db_url, **localstripe.config(KASSA_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET))
    invoice_id = make_invoice(app, amount=12990)
    with app.test_request_context():
        path = f"/kassa/pay/{invoice_token(invoice_id)}"
    problems: list[str] = []

    with LiveApp(app) as live:
        localstripe.register_webhook(live.url + WEBHOOK_PATH, WEBHOOK_SECRET)
        context = chromium.new_context(viewport={"width": 390, "height": 844})
        try:
            page = context.new_page()
            page.set_default_timeout(15000)
            page.on("pageerror", lambda error: problems.append(str(error)))

            page.goto(f"{live.url}{path}?lang=en")
            invoice = load_invoice(app, invoice_id)
            expect(page.get_by_role("heading", level=1)).to_have_text(
                f"Pay invoice {invoice.number}"
            )
            expect(page.locator(".kassa-paynow-amount")).to_have_text("€129.90")
            button = page.get_by_role("button", name="Pay €129.90")
            expect(button).to_be_enabled()  # pay.js found Stripe.js and mounted the card

            # localstripe's fake card Element: plain inputs named by their placeholders
            card = page.locator("#kassa-card")
            for field, value in (
                ("number", "4242424242424242"),
                ("exp_month", "12"),
                ("exp_year", "30"),
                ("cvc", "123"),
                ("postal_code", "00100"),
            ):
                card.locator(f'input[placeholder="{field}"]').fill(value)
            page.screenshot(path=str(ARTIFACTS / "pay-now-form.png"), full_page=True)
            button.click()

            page.wait_for_url(re.compile(re.escape(path) + r"/done"))
            expect(page.locator("[role=status]").first).to_contain_text(
                re.compile("confirming your payment|This invoice is paid")
            )
            paid = wait_for(lambda: load_invoice(app, invoice_id).status == "paid", 15)
            assert paid, localstripe.log()[-3000:]

            page.goto(f"{live.url}{path}/done?lang=en")
            expect(page.get_by_text("This invoice is paid. Thank you!")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "pay-now.png"), full_page=True)
        finally:
            context.close()

    invoice = load_invoice(app, invoice_id)
    assert invoice.balance_minor == 0
    assert [(p.source, p.amount_minor) for p in invoice.payments] == [("stripe", 12990)]
    assert "paid" in [event.kind for event in invoice.events]
    assert problems == []
