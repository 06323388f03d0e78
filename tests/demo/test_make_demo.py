"""``make demo`` and its companions as the processes a newcomer runs, on SQLite.

``make demo`` must serve the shop, deliver the invoice e-mail to the demo mailbox and take
"pay now" through its own localstripe, whose signed webhook books the payment.
``make demo-remind`` and ``make demo-statement``, run beside it, must take the invoice past
its due date (the friendly SMS and the team's hook arrive at the demo receiver) and pay it
from a bank statement.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from demo_shop.app import DEMO_API_KEY
from demo_shop.local_stripe import SECRET_KEY
from tests.payments.support import wait_for

ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
API = {"Authorization": f"Bearer {DEMO_API_KEY}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def demo_process(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``python -m demo_shop.run`` (what ``make demo`` runs) on a free port and a fresh
    instance folder, stopped by its pid afterwards."""
    port = free_port()
    log = (tmp_path / "demo.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "demo_shop.run", "--port", str(port),
         "--instance", str(tmp_path / "instance")],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"

    def serving() -> bool:
        try:
            return requests.get(f"{base}/", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        up = wait_for(lambda: serving() or process.poll() is not None, 60)
        output = (tmp_path / "demo.log").read_text(errors="replace")
        assert up and process.poll() is None, output
        yield {"base": base, "output": output, "port": port,
               "instance": str(tmp_path / "instance")}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()


def token(page: requests.Response) -> str:
    found = TOKEN.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def demo_command(demo: dict[str, Any], *arguments: str) -> str:
    """``python -m demo_shop.run --port P --instance I ARGUMENTS`` beside the running demo,
    as ``make demo-remind`` and ``make demo-statement`` run it; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "demo_shop.run", "--port", str(demo["port"]),
         "--instance", demo["instance"], *arguments],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def buy_on_invoice(base: str) -> tuple[requests.Session, str, str]:
    """A Swedish shopper buys the lamp on invoice through the shop; the browser session,
    the checkout session's id and the invoice's number."""
    shop = requests.Session()
    home = shop.get(f"{base}/?country=SE", timeout=10)
    shop.post(f"{base}/cart/add", data={"csrf_token": token(home), "sku": "lamp"}, timeout=10)
    cart = shop.get(f"{base}/cart", timeout=10)
    hosted = shop.post(f"{base}/checkout", data={
        "csrf_token": token(cart), "name": "Sven Svensson", "email": "sven@example.se",
        "phone": "+46701234567", "street": "Storgatan 1", "postal_code": "11122",
        "city": "Stockholm"}, timeout=20)
    assert "/kassa/checkout/cs_" in hosted.url, hosted.text[:500]
    invoice_offer = re.search(r'data-offer="([^"]+)" data-method="invoice"', hosted.text)
    assert invoice_offer, hosted.text[:2000]
    done = shop.post(hosted.url, data={
        "csrf_token": token(hosted), "offer": invoice_offer.group(1), "channel": "email",
        "personal_id": "19811218-9876", "consent": "y"}, timeout=30)
    assert "/thanks" in done.url, done.text[:1000]
    session_id = hosted.url.rsplit("/", 1)[-1].split("?")[0]
    invoices = requests.get(f"{base}/kassa/api/v1/checkout-sessions/{session_id}",
                            headers=API, timeout=10).json()["invoices"]
    assert len(invoices) == 1
    return shop, session_id, invoices[0]


def invoice(base: str, number: str) -> dict[str, Any]:
    """The invoice as the storefront API shows it."""
    return dict(requests.get(f"{base}/kassa/api/v1/invoices/{number}", headers=API,
                             timeout=10).json())


def test_make_demo_serves_the_shop_and_takes_pay_now(demo_process: dict[str, Any]) -> None:
    base = demo_process["base"]
    assert f"{base}/" in demo_process["output"] and "Staff login" in demo_process["output"]
    shop, _session_id, number = buy_on_invoice(base)

    # The demo's outbox worker delivers the invoice e-mail to the demo mailbox.
    assert wait_for(lambda: "/mailbox/1" in shop.get(f"{base}/mailbox", timeout=10).text, 30)
    mail = shop.get(f"{base}/mailbox/1", timeout=10).text
    link = re.search(r"http://127\.0\.0\.1:\d+/kassa/account/invoice/[^\s\"<&]+", mail)
    assert link, mail[:2000]
    invoice_page = shop.get(link.group(0), timeout=10)
    pay_link = re.search(r'href="(/kassa/pay/[^"?]+)', invoice_page.text)
    assert pay_link, invoice_page.text[:2000]

    pay_page = shop.get(base + pay_link.group(1), timeout=20)
    assert pay_page.status_code == 200, pay_page.text[:1000]  # not 503: Stripe is there
    stripe_js = re.search(r'src="(http://127\.0\.0\.1:\d+)/js\.stripe\.com/v3/', pay_page.text)
    assert stripe_js, pay_page.text[:2000]
    card = requests.post(f"{stripe_js.group(1)}/v1/tokens", auth=(SECRET_KEY, ""), data={
        "card[number]": "4242424242424242", "card[exp_month]": "12",
        "card[exp_year]": "2030", "card[cvc]": "123"}, timeout=10).json()["id"]
    paid = shop.post(base + pay_link.group(1) + "/confirm", json={"card_token": card},
                     timeout=20)
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.text

    # localstripe signs its webhook about a second after the payment; Kassa books it.
    assert wait_for(lambda: invoice(base, number)["status"] == "paid", 30)
    trail = [event["kind"] for event in invoice(base, number)["events"]]
    assert trail[0] == "issued" and "sent" in trail and trail[-1] == "paid"


def test_demo_remind_and_demo_statement_beside_the_running_demo(
        demo_process: dict[str, Any]) -> None:
    base = demo_process["base"]
    _shop, _session_id, number = buy_on_invoice(base)
    due = date.fromisoformat(invoice(base, number)["due_date"])
    days = (due - date.today()).days + 1  # the first day the invoice is overdue

    said = demo_command(demo_process, "remind", "--days", str(days))
    assert "1 friendly contacts" in said, said
    # The running demo's outbox worker sends the SMS and the team's signed hook.
    def receiver_page() -> str:
        return requests.get(f"{base}/demo/receiver", timeout=10).text

    assert wait_for(lambda: all(f'data-kind="{kind}"' in receiver_page()
                                for kind in ("sms", "team")), 30)
    assert "data-verified" in receiver_page()  # the hook's signature checked out
    assert invoice(base, number)["status"] == "overdue"

    said = demo_command(demo_process, "statement")
    assert ".xml" in said, said
    paid = invoice(base, number)
    assert paid["status"] == "paid" and paid["balance"] == 0
    trail = [event["kind"] for event in paid["events"]]
    assert "friendly_contact" in trail and "handed_to_team" in trail and trail[-1] == "paid"
