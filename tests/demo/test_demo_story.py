"""The demo's whole story over real HTTP: buy with installments through the storefront API,
get the invoice e-mail, go past the due date, see the friendly SMS and the team's hook
arrive, import the bank statement that pays, read the trail."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from demo_shop.app import create_app
from demo_shop.mailbox import register_mailbox, start_mailbox
from demo_shop.receiver import Receiver, demo_settings, register_receiver
from kassa import get_state
from kassa.db import Invoice, migrate
from kassa.notify.outbox import deliver_pending
from kassa.services.reminders import run_reminders
from tests.conftest import TEST_KEY

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def demo(db_url: str, tmp_path: Any) -> Iterator[dict[str, Any]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mailbox = start_mailbox()
    receiver = Receiver()
    app = create_app(str(tmp_path), KASSA_ENCRYPTION_KEY=TEST_KEY, KASSA_DATABASE_URL=db_url,
                     KASSA_PUBLIC_URL=base, KASSA_SMTP_PORT=mailbox.port,
                     **demo_settings(base))
    migrate.upgrade(get_state(app).db)
    register_mailbox(app, mailbox)
    register_receiver(app, receiver)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"app": app, "base": base, "mailbox": mailbox, "receiver": receiver}
    finally:
        server.shutdown()
        mailbox.stop()
        get_state(app).db.dispose()


def token(page: requests.Response) -> str:
    found = TOKEN.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def test_the_whole_demo_story(demo: dict[str, Any]) -> None:
    app, base = demo["app"], demo["base"]
    shop = requests.Session()
    home = shop.get(f"{base}/?country=SE", timeout=10)
    shop.post(f"{base}/cart/add", data={"csrf_token": token(home), "sku": "ski-set"},
              timeout=10)
    cart = shop.get(f"{base}/cart", timeout=10)
    assert "899,00" in cart.text  # 6 899,00 kr
    hosted = shop.post(f"{base}/checkout", data={
        "csrf_token": token(cart), "name": "Sven Svensson", "email": "sven@example.se",
        "phone": "+46701234567", "street": "Storgatan 1", "postal_code": "11122",
        "city": "Stockholm"}, timeout=20)
    assert hosted.status_code == 200 and "/kassa/checkout/cs_" in hosted.url
    assert 'lang="sv"' in hosted.text and "se-12" in hosted.text
    done = shop.post(hosted.url, data={
        "csrf_token": token(hosted), "offer": "se-12", "channel": "email",
        "personal_id": "19811218-9876", "consent": "y"}, timeout=30)
    assert done.status_code == 200, done.text[:500]
    assert "/thanks" in done.url

    with app.app_context():
        deliver_pending(get_state(app), now=datetime.now(UTC))
    mails = demo["mailbox"].messages()
    assert mails, "the invoice e-mail reached the demo mailbox"
    assert shop.get(f"{base}/mailbox", timeout=10).status_code == 200

    state = get_state(app)
    with state.db.session() as db:
        first = db.query(Invoice).filter(Invoice.instalment_number == 1).one()
        due, number = first.due_date, first.number
    with app.app_context():
        run_reminders(state, today=due + timedelta(days=1))
        run_reminders(state, today=due + timedelta(days=3))  # in case due + 1 is a holiday
        deliver_pending(state, now=datetime.now(UTC))
    kinds = {item.kind for item in demo["receiver"].items()}
    assert {"sms", "team"} <= kinds
    sms = next(i for i in demo["receiver"].items() if i.kind == "sms")
    assert sms.body["to"] == "+46701234567" and "/kassa/account/invoice/" in sms.body["text"]
    page = shop.get(f"{base}/demo/receiver", timeout=10).text
    assert 'data-kind="sms"' in page and "data-verified" in page
    assert "signaturen verifierad" in page  # in the shop's language (the shopper is Swedish)

    from demo_shop.statement import pay_open_invoices

    pay_open_invoices(app, str(app.instance_path))
    with state.db.session() as db:
        invoice = db.query(Invoice).filter(Invoice.number == number).one()
        assert invoice.status == "paid"
        trail = [e.kind for e in invoice.events]
    assert trail[0] == "issued" and "sent" in trail and "friendly_contact" in trail
    assert trail[-1] == "paid"
    api = requests.get(f"{base}/kassa/api/v1/invoices/{number}", timeout=10, headers={
        "Authorization": "Bearer demo-storefront-key-0123456789abcdef"})
    assert api.json()["status"] == "paid"
