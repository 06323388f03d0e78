"""The help console end to end, in the system Chromium, on SQLite and PostgreSQL, in the
agent's language (Finnish, Swedish, Norwegian):

The reminder run finds an overdue invoice and puts a friendly contact in the team's queue.
The shopper writes to the team from their customer-service pages and asks for a longer plan
than the merchant's policy grants by itself. The newcomer signs in with the demo's staff user,
sets up a one-time code from the set-up page, finds the friendly contact in the queue, opens
the call script, logs a promise to pay, answers the shopper's message, grants the plan and
closes the contact. The shopper gets the survey by e-mail, answers it, and the dashboard shows
the answer.

Success is read from the pages' ``data-`` attributes, form state and the database, never
from English words: the pages are translated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select

from demo_shop.app import create_app
from demo_shop.mailbox import Mailbox, register_mailbox, start_mailbox
from demo_shop.receiver import Receiver, demo_settings, register_receiver
from demo_shop.run import STAFF_EMAIL, STAFF_PASSWORD
from demo_shop.run import seed as seed_staff
from kassa import get_state
from kassa.db import (
    Invoice,
    InvoiceEvent,
    Message,
    MessageThread,
    ServiceRequest,
    StaffUser,
    SupportTask,
    Survey,
    migrate,
)
from kassa.notify.outbox import deliver_pending
from kassa.services import customer_service
from kassa.services.conversations import survey_token
from kassa.services.links import invoice_token
from kassa.services.reminders import run_reminders
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ARTIFACTS
from tests.browser.serving import database_url, free_port, serving
from tests.conftest import TEST_KEY
from tests.factories import make_invoice

pytestmark = pytest.mark.browser

#: (database, the agent's language, the shopper's country).
RUNS = [("sqlite", "fi", "FI"), ("postgresql", "sv", "SE"), ("sqlite", "nb", "NO")]
SUBMIT = "main form.kassa-form button[type=submit]"
#: A plan's amount in the country's minor units, large enough for twelve instalments.
PLAN_AMOUNT = {"FI": 300000, "SE": 3000000, "NO": 3000000}


@dataclass
class Demo:
    app: Flask
    base: str
    mailbox: Mailbox


@pytest.fixture
def demo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Demo]:
    db_url = database_url(request.param, tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mailbox = start_mailbox()
    app = create_app(str(tmp_path), KASSA_ENCRYPTION_KEY=TEST_KEY, KASSA_DATABASE_URL=db_url,
                     KASSA_PUBLIC_URL=base, KASSA_SMTP_PORT=mailbox.port, **demo_settings(base))
    migrate.upgrade(get_state(app).db)
    seed_staff(app)  # the staff user `make demo` prints
    register_mailbox(app, mailbox)
    register_receiver(app, Receiver())
    try:
        with serving(app, port, "kassa-console-server"):
            yield Demo(app, base, mailbox)
    finally:
        mailbox.stop()
        get_state(app).db.dispose()


def friendly_contact(app: Flask, country: str) -> tuple[int, int]:
    """An invoice overdue since last week and the reminder run's friendly contact for it, run
    day by day as the daily scheduler would (``make demo-remind``); (invoice id, task id)."""
    today = datetime.now(UTC).date()
    invoice_id = make_invoice(app, country=country, amount=PLAN_AMOUNT[country],
                              issued=today - timedelta(days=21))
    state = get_state(app)
    with app.app_context():
        for offset in range(-6, 8):
            run_reminders(state, today=today + timedelta(days=offset))
            with state.db.session() as db:
                task = db.scalars(select(SupportTask).where(
                    SupportTask.invoice_id == invoice_id,
                    SupportTask.kind == "overdue_contact")).first()
                if task is not None:
                    return invoice_id, task.id
    raise AssertionError("the reminder run made no friendly contact")


def shopper_writes(page: Any, base: str, app: Flask, invoice_id: int, lang: str) -> int:
    """From the invoice's link to the shopper's pages, and a message to the team."""
    with app.app_context():
        page.goto(f"{base}/kassa/account/invoice/{invoice_token(invoice_id)}?lang={lang}")
    page.click("a[href*='/mine']")
    page.wait_for_url(re.compile(r"/kassa/account/(\?.*)?$"))
    page.goto(f"{base}/kassa/account/messages/new")
    page.fill("#kassa-subject", "?")
    page.fill("#kassa-body", "Voinko maksaa perjantaina? / Kan jag betala på fredag?")
    page.click(SUBMIT)
    page.wait_for_url(re.compile(r"/kassa/account/messages/\d+\?sent=1"))
    return int(re.search(r"/messages/(\d+)", page.url).group(1))  # type: ignore[union-attr]


def ask_for_a_long_plan(app: Flask, invoice_id: int) -> int:
    """Twelve months, beyond the six the policy grants by itself: a request for the team."""
    state = get_state(app)
    now = datetime.now(UTC)
    with app.app_context(), state.db.session() as db:
        invoice = db.get_one(Invoice, invoice_id)
        asked = customer_service.agree_plan(
            db, state, [invoice.customer_id], [invoice.number], months=12, budget=None,
            consent=True, submit_key="console-flow-plan", source="pages", now=now,
            today=now.date())
        assert asked.status == "pending"
        return asked.id


def survey_link(demo: Demo, survey_id: int) -> str:
    with demo.app.app_context():
        deliver_pending(get_state(demo.app), now=datetime.now(UTC))
    token = survey_token(demo.app.secret_key or "", survey_id)
    for message in demo.mailbox.messages():
        found = re.search(r"http://\S+/survey/" + re.escape(token) + r"\?\S*", message.text)
        if found:
            return found.group(0)
    raise AssertionError("no survey e-mail reached the shopper")


@pytest.mark.parametrize(("demo", "lang", "country"), RUNS, indirect=["demo"],
                         ids=[f"{d}-{lang}" for d, lang, _c in RUNS])
def test_newcomer_works_a_friendly_contact_to_the_survey_answer(
        demo: Demo, chromium: Any, lang: str, country: str) -> None:
    app, base = demo.app, demo.base
    state = get_state(app)
    invoice_id, task_id = friendly_contact(app, country)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        shopper = context.new_page()
        shopper.set_default_timeout(15000)
        thread_id = shopper_writes(shopper, base, app, invoice_id, lang)
        request_id = ask_for_a_long_plan(app, invoice_id)

        # The newcomer signs in with the printed staff user and sets up a one-time code.
        staff_context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = staff_context.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{base}/kassa/console/sign-in?lang={lang}")
        assert page.get_attribute("html", "lang") == lang
        page.fill("#email", STAFF_EMAIL)
        page.fill("#password", STAFF_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"/kassa/console/sign-in/set-up-code"))
        assert page.locator("figure.kassa-qr-figure svg").count() == 1
        assert_accessible(page, f"console set-up code ({lang})")
        secret = page.locator("code.kassa-code").inner_text().replace(" ", "")
        page.fill("#code", pyotp.TOTP(secret).now())
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"/kassa/console/$"))
        with state.db.session() as db:
            staff = db.scalars(select(StaffUser).where(StaffUser.email == STAFF_EMAIL)).one()
            assert staff.totp_secret  # kept, sealed: the next sign-in asks for a code

        # The friendly contact is in the queue; j and Enter open the first task.
        row = page.locator(f"tr[data-kind=overdue_contact][data-task='{task_id}']")
        assert row.count() == 1
        assert_accessible(page, f"console queue ({lang})")
        row.locator("a").click()
        page.wait_for_url(re.compile(rf"/kassa/console/tasks/{task_id}$"))
        assert_accessible(page, f"console customer view ({lang})")

        # The call script opens with the customer's details, in the agent's language.
        page.click("a[href$='/call-script']")
        page.wait_for_url(re.compile(rf"/kassa/console/tasks/{task_id}/call-script$"))
        assert page.get_attribute("html", "lang") == lang
        with state.db.session() as db:
            number = db.get_one(Invoice, invoice_id).number
        assert page.locator(f"[data-call-script='{task_id}'] dd[data-invoice='{number}']"
                            ).count() == 1
        assert_accessible(page, f"console call script ({lang})")
        page.go_back()
        page.wait_for_url(re.compile(rf"/kassa/console/tasks/{task_id}$"))

        # A promise to pay by Friday next week.
        promised = date.today() + timedelta(days=(4 - date.today().weekday()) % 7 + 7)
        page.check("#outcome-promise")
        page.fill("#promise-date", promised.isoformat())
        page.click("form[action$='/call'] button")
        page.wait_for_url(re.compile(rf"/kassa/console/tasks/{task_id}$"))
        with state.db.session() as db:
            call = db.scalars(select(InvoiceEvent).where(
                InvoiceEvent.invoice_id == invoice_id,
                InvoiceEvent.kind == "call_logged")).one()
            assert call.data["outcome"] == "promise"
            assert call.data["promise_date"] == promised.isoformat()

        # The shopper's message, answered from the same customer view.
        page.fill(f"#reply-{thread_id}", "Hei! Perjantai sopii hyvin. / Fredag går bra.")
        page.click(f"form[action$='/threads/{thread_id}/reply'] button")
        page.wait_for_url(re.compile(rf"/kassa/console/tasks/{task_id}$"))
        with state.db.session() as db:
            assert db.scalars(select(Message).where(Message.thread_id == thread_id,
                                                    Message.author == "staff")).one()
            assert db.get_one(MessageThread, thread_id).status == "answered"

        # The plan beyond the policy, granted.
        page.click(f"form[action$='/requests/{request_id}/decide'] "
                   "button[name=decision][value=grant]")
        page.wait_for_url(re.compile(rf"/kassa/console/tasks/{task_id}$"))
        with state.db.session() as db:
            assert db.get_one(ServiceRequest, request_id).status == "granted"

        # The contact is closed; the call reached the customer, so the survey goes out.
        assert page.locator("#close-survey").is_checked()
        page.click("form.kassa-console-close button")
        page.wait_for_url(re.compile(r"/kassa/console/$"))
        assert page.locator(f"tr[data-task='{task_id}']").count() == 0
        with state.db.session() as db:
            task = db.get_one(SupportTask, task_id)
            assert task.status == "done" and task.sla_met is not None
            survey = db.scalars(select(Survey).where(Survey.contact_kind == "task",
                                                     Survey.contact_id == task_id)).one()
            survey_id = survey.id

        # The shopper answers the survey from the e-mail.
        shopper.goto(survey_link(demo, survey_id))
        assert shopper.get_attribute("html", "lang") == lang
        shopper.check("#kassa-resolved-yes")
        shopper.check("#kassa-recommend-10")
        shopper.check("#kassa-advisor-9")
        shopper.check("#kassa-overall-9")
        shopper.click(SUBMIT)
        shopper.wait_for_selector("p.kassa-thanks[role=status]")

        # The dashboard shows the answer.
        page.goto(f"{base}/kassa/console/dashboard")
        answer_row = page.locator(f"tr[data-survey='{survey_id}']")
        assert answer_row.count() == 1
        cells = answer_row.locator("td").all_inner_texts()
        assert cells[5:8] == ["10", "9", "9"]
        charts = page.locator("img.kassa-chart")
        assert charts.count() == 3
        assert all(charts.nth(n).evaluate("img => img.naturalWidth > 0")
                   for n in range(charts.count()))
        assert_accessible(page, f"console dashboard ({lang})")
        page.screenshot(path=str(ARTIFACTS / f"console-dashboard-{lang}.png"), full_page=True)
        staff_context.close()
    finally:
        context.close()
