"""The newcomer's path through the demo, in the system Chromium, on SQLite and PostgreSQL:
buy with 12-month installments in Finnish (bank-ID identification at a real OIDC provider
on loopback), see the APR and total before confirming, get the invoice e-mail with its PDF
in the demo mailbox, pay the first instalment with "pay now" (localstripe), and read it
paid, with its trail, through the storefront API."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from werkzeug.serving import make_server

from demo_shop.app import DEMO_API_KEY, create_app
from demo_shop.identity_broker import broker_settings, start_identity_broker
from demo_shop.mailbox import register_mailbox, start_mailbox
from demo_shop.receiver import Receiver, demo_settings, register_receiver
from kassa import get_state
from kassa.db import Invoice, migrate
from kassa.i18n import format_money, format_percent
from kassa.notify.outbox import deliver_pending
from tests import localstripe_server as stand_in
from tests.browser.conftest import ARTIFACTS
from tests.conftest import TEST_KEY
from tests.localstripe_server import LocalStripe
from tests.payments.support import WEBHOOK_PATH, WEBHOOK_SECRET, wait_for

pytestmark = pytest.mark.browser
localstripe_server = stand_in.localstripe_server
localstripe = stand_in.localstripe

SUBMIT = "form.kassa-checkout > button[type=submit]:not([formaction])"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def demo(db_url: str, tmp_path: Any, localstripe: LocalStripe) -> Iterator[dict[str, Any]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mailbox = start_mailbox()
    broker = start_identity_broker()
    app = create_app(str(tmp_path), KASSA_ENCRYPTION_KEY=TEST_KEY, KASSA_DATABASE_URL=db_url,
                     KASSA_PUBLIC_URL=base, KASSA_SMTP_PORT=mailbox.port,
                     **demo_settings(base), **broker_settings(broker),
                     **localstripe.config(KASSA_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET))
    migrate.upgrade(get_state(app).db)
    register_mailbox(app, mailbox)
    register_receiver(app, Receiver())
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    localstripe.register_webhook(base + WEBHOOK_PATH, WEBHOOK_SECRET)
    try:
        yield {"app": app, "base": base, "mailbox": mailbox}
    finally:
        server.shutdown()
        broker.shutdown()
        mailbox.stop()
        get_state(app).db.dispose()


def test_finnish_twelve_month_purchase_paid_with_pay_now(demo: dict[str, Any],
                                                         chromium: Any) -> None:
    app, base = demo["app"], demo["base"]
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{base}/?country=FI")
        # A 12-month plan starts at 750 €, where its monthly fees keep the APR within 20 %:
        # the lamp (349,00 €) and the ski set (599,00 €) together.
        page.click("button[data-sku=lamp]")
        page.goto(f"{base}/?country=FI")
        page.click("button[data-sku=ski-set]")
        page.click("#pay-with-kassa")
        page.wait_for_url(re.compile(r"/kassa/checkout/cs_"))
        assert page.get_attribute("html", "lang") == "fi"

        offers = requests.get(f"{base}/kassa/api/v1/offers", timeout=10, params={
            "amount": 34900 + 59900, "currency": "EUR", "country": "FI"}).json()["offers"]
        twelve = next(o for o in offers if o["months"] == 12)
        plan = page.locator(f"li[data-offer='{twelve['id']}']")
        assert plan.locator("dd[data-term=apr]").inner_text() == format_percent(
            Decimal(twelve["apr"]), "fi")
        assert plan.locator("dd[data-term=total_payable]").inner_text() == format_money(
            twelve["total_payable"], "EUR", "fi")

        page.check(f"#offer-{twelve['id']}")
        page.click("button[formaction$='/identify']")
        page.fill("input[name=sub]", "maija")
        page.click("button:has-text('Authorize')")
        page.wait_for_url(re.compile(r"/kassa/checkout/cs_[^/]+$"))
        expect(page.locator("[data-kassa-verified]")).to_contain_text("Maija Meikäläinen")
        page.check("#consent")
        page.click(SUBMIT)
        page.wait_for_url(re.compile(r"/thanks"))
        page.screenshot(path=str(ARTIFACTS / "demo-fi-installments.png"), full_page=True)

        state = get_state(app)
        with app.app_context():
            deliver_pending(state, now=datetime.now(UTC))
        # The invoice's e-mail (the credit agreement comes in a mail of its own).
        mail = next(m for m in demo["mailbox"].messages()
                    if "/kassa/account/invoice/" in m.text)
        pdf = next(a for a in mail.attachments if a.filename.endswith(".pdf"))
        assert pdf.data.startswith(b"%PDF")
        with state.db.session() as db:
            first = db.query(Invoice).filter(Invoice.instalment_number == 1).one()
            number, amount = first.number, first.amount_minor
        assert amount == twelve["schedule"][0]["amount"]

        link = re.search(r"http://\S+/kassa/account/invoice/\S+", mail.text).group(0)
        page.goto(link.replace("?via=email", ""))
        page.click("a[href*='/kassa/pay/']")
        card = page.locator("#kassa-card")
        for field, value in (("number", "4242424242424242"), ("exp_month", "12"),
                             ("exp_year", "30"), ("cvc", "123"), ("postal_code", "00100")):
            card.locator(f'input[placeholder="{field}"]').fill(value)
        page.click("#kassa-pay-button")
        page.wait_for_url(re.compile(r"/done"))
    finally:
        context.close()

    headers = {"Authorization": f"Bearer {DEMO_API_KEY}"}
    paid = wait_for(lambda: requests.get(f"{base}/kassa/api/v1/invoices/{number}",
                                         headers=headers, timeout=10).json()["status"] == "paid",
                    20)
    assert paid
    trail = [e["kind"] for e in requests.get(f"{base}/kassa/api/v1/invoices/{number}",
                                             headers=headers, timeout=10).json()["events"]]
    assert trail[0] == "issued" and "sent" in trail and trail[-1] == "paid"
