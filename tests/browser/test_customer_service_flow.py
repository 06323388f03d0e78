"""The shopper's customer-service pages end to end, in the system Chromium, in Finnish,
Swedish and Norwegian, on SQLite and PostgreSQL: a shopper with three open invoices opens
their own pages from the invoice's link, takes 14 more days on one, puts another on a plan
with the budget helper (in Finland after bank identification at the demo's broker), disputes
the third with a photo, switches reminders to text messages and writes to the team; the team
answers and closes the conversation through the storefront API; the shopper reads the reply
and answers the survey the closing sent them by SMS.

What the shopper would notice is asserted through the pages' ``data-`` attributes, the form
state and the database, never through English words: the pages are translated.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from demo_shop.app import DEMO_API_KEY, create_app
from demo_shop.identity_broker import broker_settings, start_identity_broker
from demo_shop.mailbox import register_mailbox, start_mailbox
from demo_shop.receiver import Receiver, demo_settings, register_receiver
from kassa import get_state
from kassa.db import Agreement, Customer, Invoice, Order, OutboxMessage, migrate
from kassa.db.service_models import Attachment, MessageThread, ServiceRequest, Survey
from kassa.notify.outbox import deliver_pending
from kassa.services.conversations import survey_token
from kassa.services.links import invoice_token
from tests.browser.serving import database_url, free_port, serving
from tests.conftest import TEST_KEY
from tests.factories import make_invoice

pytestmark = pytest.mark.browser

#: The shopper of each language: their country, their user at the demo's identity broker,
#: an invoice's amount and a month's budget (in minor units' major values) in its currency.
SHOPPERS = {
    "fi": ("FI", "maija", 12990, {"income": "2500", "rent": "800", "electricity": "90",
                                  "food": "400", "other_debts": "0"}),
    "sv": ("SE", "sven", 129900, {"income": "25000", "rent": "8000", "electricity": "900",
                                  "food": "4000", "other_debts": "0"}),
    "nb": ("NO", "kari", 129900, {"income": "30000", "rent": "10000", "electricity": "1200",
                                  "food": "4500", "other_debts": "0"}),
}
API = "/kassa/api/v1"
#: The submit button of the page's own form (not the sign-out button of the navigation).
SUBMIT = "main form.kassa-form button[type=submit]"


def small_png() -> bytes:
    """A real 2 × 2 pixel RGB PNG (a photo of the damage, as far as the dispute knows)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + b"\xcc\x33\x33" * 2 for _row in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@dataclass
class Demo:
    app: Flask
    base: str
    receiver: Receiver


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Demo]:
    """The demo shop on loopback with its SMS receiver, mailbox and bank-ID broker, once per
    database for the module."""
    folder: Path = tmp_path_factory.mktemp(f"service-{request.param}")
    db_url = database_url(request.param, folder)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mailbox = start_mailbox()
    broker = start_identity_broker()
    app = create_app(str(folder), KASSA_ENCRYPTION_KEY=TEST_KEY, KASSA_DATABASE_URL=db_url,
                     KASSA_PUBLIC_URL=base, KASSA_SMTP_PORT=mailbox.port,
                     **demo_settings(base), **broker_settings(broker))
    migrate.upgrade(get_state(app).db)
    register_mailbox(app, mailbox)
    receiver = Receiver()
    register_receiver(app, receiver)
    try:
        with serving(app, port, "kassa-service-server"):
            yield Demo(app, base, receiver)
    finally:
        broker.shutdown()
        mailbox.stop()
        get_state(app).db.dispose()


def three_invoices(app: Flask, country: str, amount: int, first: int) -> list[str]:
    """Three open invoices of the country's shopper (an e-mail address of their own: the
    pages join a shopper's records by it), bought from the demo's storefront (so that its key
    reaches them); their numbers."""
    ids = [make_invoice(app, country=country, amount=amount, sequence=first + n,
                        email=f"{country.lower()}-shopper@example.test") for n in range(3)]
    with get_state(app).db.session() as db:
        for invoice_id in ids:
            invoice = db.get_one(Invoice, invoice_id)
            db.get_one(Order, db.get_one(Agreement, invoice.agreement_id).order_id
                       ).storefront = "demo"
        return [db.get_one(Invoice, i).number for i in ids]


@pytest.mark.parametrize("lang", list(SHOPPERS))
def test_shopper_sorts_out_three_invoices_and_talks_to_the_team(
        demo: Demo, chromium: Any, lang: str) -> None:
    app, base = demo.app, demo.base
    state = get_state(app)
    country, broker_user, amount, budget = SHOPPERS[lang]
    later, planned, disputed = three_invoices(app, country, amount,
                                              7000 + 10 * list(SHOPPERS).index(lang))
    with state.db.session() as db:
        invoices = {i.number: i for i in db.scalars(select(Invoice).where(
            Invoice.number.in_([later, planned, disputed])))}
        due_before = invoices[later].due_date
        customer_id = invoices[later].customer_id
        first_id = invoices[later].id
    with app.app_context():
        invoice_link = f"{base}/kassa/account/invoice/{invoice_token(first_id)}?lang={lang}"

    context = chromium.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.set_default_timeout(15000)

        # The invoice's link (the one its e-mail carries) leads to all of the shopper's pages.
        page.goto(invoice_link)
        page.click("a[href*='/mine']")
        page.wait_for_url(re.compile(r"/kassa/account/(\?.*)?$"))
        assert page.get_attribute("html", "lang") == lang
        cards = page.locator("li.kassa-card[data-invoice]")
        assert sorted(cards.evaluate_all("els => els.map(e => e.dataset.invoice)")) == sorted(
            [later, planned, disputed])

        # 14 more days on the first invoice, agreed at once.
        page.click(f"li[data-invoice='{later}'] a")
        page.click(f"a[href$='/invoices/{later}/more-time']")
        page.click(SUBMIT)
        page.wait_for_url(re.compile(r"/kassa/account/requests/\d+"))
        assert page.locator(".kassa-done").get_attribute("data-status") == "granted"
        with state.db.session() as db:
            extension = db.scalars(select(ServiceRequest).where(
                ServiceRequest.customer_id == customer_id,
                ServiceRequest.kind == "extension")).one()
            assert extension.status == "granted" and extension.details["days"] == 14
            # 14 days on, or the next banking day after them.
            due_after = db.scalars(select(Invoice.due_date).where(
                Invoice.number == later)).one()
            assert due_after.isoformat() == extension.details["new_due_date"]
            assert timedelta(days=14) <= due_after - due_before <= timedelta(days=18)

        # A plan for the second one, sized by the budget helper.
        def show_plan() -> None:
            page.goto(f"{base}/kassa/account/plan?invoice={planned}")
            assert page.locator(f"input[name=invoice][value='{planned}']").is_checked()
            for name, value in budget.items():
                page.fill(f"#kassa-{name}", value)
            page.click("button[name=step][value=quote]")
            page.wait_for_selector("#kassa-quote-heading")
            # The helper's affordable monthly payment is shown with the plan.
            assert page.locator("fieldset p.kassa-verified[role=status]").count() == 1

        show_plan()
        identify = page.locator("button[formaction$='/identify']")
        if country in state.config.strong_auth_countries:
            # Credit in Finland: bank identification first, at the demo's broker.
            identify.click()
            page.fill("input[name=sub]", broker_user)
            page.click("button:has-text('Authorize')")
            page.wait_for_url(re.compile(r"/kassa/account/plan"))
            assert "identification=" not in page.url
            show_plan()
        assert identify.count() == 0
        page.check("#kassa-consent")
        page.click("button[name=step][value=agree]")
        page.wait_for_url(re.compile(r"/kassa/account/requests/\d+"))
        assert page.locator(".kassa-done").get_attribute("data-status") == "granted"
        assert page.locator("table.kassa-invoices tbody tr").count() >= 2  # the dates
        with state.db.session() as db:
            plan = db.scalars(select(ServiceRequest).where(
                ServiceRequest.customer_id == customer_id,
                ServiceRequest.kind == "plan")).one()
            assert plan.status == "granted" and plan.details["invoices"] == [planned]
            on_plan = db.scalars(select(Invoice).where(Invoice.number == planned)).one()
            assert any(h.reason == "plan" for h in on_plan.holds)

        # The third is wrong: a dispute with a photo.
        page.goto(f"{base}/kassa/account/invoices/{disputed}/dispute")
        page.check("#kassa-reason-damaged")
        page.fill("#kassa-text", "Lampun jalka oli rikki. / Foten var trasig.")
        page.set_input_files("#kassa-files", files=[
            {"name": "photo.png", "mimeType": "image/png", "buffer": small_png()}])
        page.click(SUBMIT)
        page.wait_for_url(re.compile(r"/kassa/account/requests/\d+"))
        assert page.locator(".kassa-done").get_attribute("data-status") == "pending"
        with state.db.session() as db:
            dispute = db.scalars(select(ServiceRequest).where(
                ServiceRequest.customer_id == customer_id,
                ServiceRequest.kind == "dispute")).one()
            assert dispute.status == "pending"
            photo = db.scalars(select(Attachment).where(
                Attachment.request_id == dispute.id)).one()
            assert photo.content_type == "image/png"
            # Collection pauses while the team looks into it.
            paused = db.scalars(select(Invoice).where(Invoice.number == disputed)).one()
            assert [h.reason for h in paused.holds] == ["disputed"]

        # Reminders by text message from now on.
        page.goto(f"{base}/kassa/account/details")
        page.check("#kassa-reminders-sms")
        page.click("form:has(input[name=action][value=channels]) button[type=submit]")
        page.wait_for_selector("p.kassa-thanks[role=status]")
        assert page.locator("#kassa-reminders-sms").is_checked()
        with state.db.session() as db:
            assert db.get_one(Customer, customer_id).reminder_channel == "sms"

        # A question to the team about the first invoice.
        page.goto(f"{base}/kassa/account/messages/new")
        page.select_option("#kassa-invoice", later)
        page.fill("#kassa-subject", f"{later}?")
        page.fill("#kassa-body", "Kiitos! / Tack! / Takk!")
        page.click(SUBMIT)
        page.wait_for_url(re.compile(r"/kassa/account/messages/\d+\?sent=1"))
        thread_id = int(re.search(r"/messages/(\d+)", page.url).group(1))  # type: ignore[union-attr]
        assert page.locator(".kassa-message-shopper").count() == 1
        assert page.locator("p.kassa-thanks[role=status]").count() == 1

        # The team answers and closes the conversation through the API, with the shop's key.
        headers = {"Authorization": f"Bearer {DEMO_API_KEY}"}
        waiting = requests.get(f"{base}{API}/message-threads", headers=headers,
                               timeout=10).json()["threads"]
        assert thread_id in [t["id"] for t in waiting]
        reply_text = f"Hei! / Hej! / Hei! {later}: 14 + 1"
        reply = requests.post(f"{base}{API}/message-threads/{thread_id}/replies",
                              headers=headers, timeout=10,
                              json={"body": reply_text, "author_name": "Aino"})
        assert reply.status_code == 201, reply.text
        resolved = requests.post(f"{base}{API}/message-threads/{thread_id}/resolve",
                                 headers=headers, timeout=10, json={"agent": "Aino"})
        assert resolved.status_code == 200, resolved.text
        survey_id = resolved.json()["survey_id"]
        assert survey_id

        # The shopper reads the reply on the conversation's page.
        page.goto(f"{base}/kassa/account/messages/{thread_id}")
        staff = page.locator(".kassa-message-staff")
        assert staff.count() == 1
        assert staff.locator(".kassa-message-body").inner_text() == reply_text
        assert "Aino" in staff.inner_text()
        with state.db.session() as db:
            assert db.get_one(MessageThread, thread_id).status == "resolved"

        # The news of the reply and the survey go by text message, as the shopper chose.
        with app.app_context():
            deliver_pending(state, now=datetime.now(UTC))
        with state.db.session() as db:
            sent = {m.kind: m.channel for m in db.scalars(select(OutboxMessage).where(
                OutboxMessage.kind.in_(("message_reply", "survey"))))
                if (m.payload or {}).get("customer_id") == customer_id}
        assert sent == {"message_reply": "sms", "survey": "sms"}
        texts = [json.dumps(item.body, ensure_ascii=False) for item in demo.receiver.items()
                 if item.kind == "sms"]
        links = [m.group(0) for text in texts
                 for m in [re.search(r"http://[^\s\"]+/survey/[^\s\"]+", text)] if m]
        token = survey_token(app.secret_key or "", survey_id)
        survey_link = next(link for link in links if f"/survey/{token}?" in link)

        # The survey from the SMS: four answers, stored.
        page.goto(survey_link)
        assert page.get_attribute("html", "lang") == lang
        page.check("#kassa-resolved-yes")
        page.check("#kassa-recommend-9")
        page.check("#kassa-advisor-10")
        page.check("#kassa-overall-8")
        page.fill("#kassa-comment", "👍")
        page.click(SUBMIT)
        page.wait_for_selector("p.kassa-thanks[role=status]")
        assert page.locator("form.kassa-form").count() == 0
        with state.db.session() as db:
            answer = db.get_one(Survey, survey_id)
            assert answer.answered_at is not None and answer.resolved is True
            assert (answer.recommend, answer.advisor, answer.overall) == (9, 10, 8)
            assert answer.contact_kind == "thread" and answer.contact_id == thread_id
    finally:
        context.close()
