"""The demo's fake Finnish credit register: a Finnish instalment purchase in the demo shop is
reported to it at once (due by the next day), and an instalment left unpaid is reported the
day it is more than 60 days late, once; the receiver page shows both, signature checked."""

from __future__ import annotations

import re
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
from kassa.services.credit_reporting import run_credit_reporting
from tests.conftest import TEST_KEY
from tests.demo.test_demo_story import free_port, token

INSTALMENT_OFFER = re.compile(r'data-offer="([^"]+)" data-method="installments"')


@pytest.fixture
def demo(db_url: str, tmp_path: Any) -> Iterator[dict[str, Any]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mailbox = start_mailbox()
    receiver = Receiver()
    # The typed identity number stands in for the bank ID sign-in of `make demo`.
    app = create_app(str(tmp_path), KASSA_ENCRYPTION_KEY=TEST_KEY, KASSA_DATABASE_URL=db_url,
                     KASSA_PUBLIC_URL=base, KASSA_SMTP_PORT=mailbox.port,
                     KASSA_STRONG_AUTH_COUNTRIES=[], **demo_settings(base))
    migrate.upgrade(get_state(app).db)
    register_mailbox(app, mailbox)
    register_receiver(app, receiver)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"app": app, "base": base, "receiver": receiver}
    finally:
        server.shutdown()
        mailbox.stop()
        get_state(app).db.dispose()


def registered(demo: dict[str, Any]) -> list[dict[str, Any]]:
    """What the fake Finnish register received, oldest first; each had a valid signature."""
    items = [i for i in reversed(demo["receiver"].items()) if i.kind == "register-fi"]
    assert all(item.verified for item in items)
    return [item.body for item in items]


def test_the_finnish_register_hears_of_the_credit_and_of_a_delay_past_60_days(
        demo: dict[str, Any]) -> None:
    app, base = demo["app"], demo["base"]
    shop = requests.Session()
    home = shop.get(f"{base}/?country=FI", timeout=10)
    shop.post(f"{base}/cart/add", data={"csrf_token": token(home), "sku": "ski-set"},
              timeout=10)
    cart = shop.get(f"{base}/cart", timeout=10)
    hosted = shop.post(f"{base}/checkout", data={
        "csrf_token": token(cart), "name": "Maija Meikäläinen", "email": "maija@example.fi",
        "phone": "+358401234567", "street": "Esimerkkikatu 2", "postal_code": "00100",
        "city": "Helsinki"}, timeout=20)
    offers = INSTALMENT_OFFER.findall(hosted.text)
    assert offers, "the ski set can be bought on instalments in Finland"
    done = shop.post(hosted.url, data={
        "csrf_token": token(hosted), "offer": offers[0], "channel": "email",
        "personal_id": "131052-308T", "consent": "y"}, timeout=30)
    assert done.status_code == 200 and "/thanks" in done.url, done.text[:500]

    state = get_state(app)
    with app.app_context():
        deliver_pending(state, now=datetime.now(UTC))
    [new] = registered(demo)
    assert new["type"] == "credit.new" and new["person"]["personal_id"] == "131052-308T"
    agreed = datetime.fromisoformat(new["credit"]["agreed_on"]).date()
    assert new["event"]["due_by"] == (agreed + timedelta(days=1)).isoformat()
    assert new["credit"]["amount"] == 59900  # the ski set, 599,00 EUR

    with state.db.session() as db:
        first = db.query(Invoice).filter(Invoice.instalment_number == 1).one()
        due = first.due_date
    with app.app_context():
        for late in (60, 61, 62):  # a daily run on each day
            run_credit_reporting(state, today=due + timedelta(days=late))
        deliver_pending(state, now=datetime.now(UTC))
    bodies = registered(demo)
    assert [body["type"] for body in bodies] == ["credit.new", "credit.delayed_60"]
    assert bodies[1]["event"]["delay"]["days_late"] == 61

    page = requests.get(f"{base}/demo/receiver", timeout=10).text
    assert 'data-kind="register-fi"' in page and "data-verified" in page
    assert "credit.delayed_60" in page
    assert "ilmoitettava viimeistään" in page  # in the shop's language (the shopper is Finnish)
