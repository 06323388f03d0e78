"""Reporting consumer credit to the registers: a fake register on loopback receives what the
law wants it told (a new credit by the next day, changes, the end, a delay past 60 days),
each once, with the figures the shopper agreed to; a plain invoice is not credit."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.core.identity import parse_personal_id
from kassa.db import Agreement, CreditReport, Invoice, OutboxMessage
from kassa.notify.hooks import verify_standard_webhook
from kassa.notify.outbox import deliver_pending
from kassa.services.credit_reporting import run_credit_reporting
from kassa.services.holds import place_hold
from kassa.services.payments import record_payment
from kassa.services.withdrawal import withdraw
from tests.http_receiver import HttpReceiver, Reply
from tests.services.credit_support import PRODUCTS, buy

TOKEN = "register-token-0123456789"
SECRET = "whsec_" + base64.b64encode(b"register-signing-secret-32-bytes").decode()


@pytest.fixture
def registers() -> Iterator[dict[str, HttpReceiver]]:
    """A fake Finnish positive credit register and a fake Norwegian debt register."""
    with HttpReceiver() as finnish, HttpReceiver() as norwegian:
        yield {"FI": finnish, "NO": norwegian}


@pytest.fixture
def app(make_app: Callable[..., Flask], db_url: str,
        registers: dict[str, HttpReceiver]) -> Flask:
    return make_app(
        db_url, KASSA_COUNTRIES=["FI", "NO"], KASSA_PRODUCTS=PRODUCTS,
        KASSA_STRONG_AUTH_COUNTRIES=[],
        KASSA_CREDIT_REPORTING={
            "FI": {"url": registers["FI"].url("/fi/credits"), "token": TOKEN,
                   "secret": SECRET},
            "NO": {"url": registers["NO"].url("/no/gjeld"), "token": TOKEN,
                   "creditor_id": "923609016"}})


def deliver(app: Flask, later: timedelta = timedelta(0)) -> None:
    """Run the outbox worker now (messages are queued at the clock's time), or ``later``."""
    with app.app_context():
        deliver_pending(get_state(app), now=datetime.now(UTC) + later)


def run(app: Flask, day: date) -> dict[str, int]:
    with app.app_context():
        return run_credit_reporting(get_state(app), today=day).queued


def received(register: HttpReceiver, event: str | None = None) -> list[dict[str, Any]]:
    bodies = [request.json() for request in register.requests]
    return [body for body in bodies if event is None or body["type"] == event]


def invoices_of(app: Flask, agreement_id: int) -> list[Invoice]:
    with get_state(app).db.session() as db:
        return list(db.scalars(select(Invoice).where(Invoice.agreement_id == agreement_id)
                               .order_by(Invoice.instalment_number)))


def reports(app: Flask) -> list[CreditReport]:
    with get_state(app).db.session() as db:
        return list(db.scalars(select(CreditReport).order_by(CreditReport.id)))


def two_weekdays_after(day: date) -> date:
    """The second Monday-to-Friday day after ``day`` (for dates with no public holiday near)."""
    found = 0
    while found < 2:
        day += timedelta(days=1)
        found += day.weekday() < 5
    return day


def test_a_finnish_instalment_plan_reaches_the_register_by_the_next_day_with_its_figures(
        app: Flask, registers: dict[str, HttpReceiver]) -> None:
    agreement_id = buy(app, "FI", 120000, "fi-12")  # 1 200,00 EUR in 12 instalments
    deliver(app)

    [request] = registers["FI"].requests
    assert request.path == "/fi/credits"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    body = request.json()
    assert request.headers["Idempotency-Key"] == body["id"]
    assert verify_standard_webhook(SECRET, dict(request.headers), request.body,
                                   int(request.headers["webhook-timestamp"]))
    assert not verify_standard_webhook(SECRET, dict(request.headers), request.body + b" ",
                                       int(request.headers["webhook-timestamp"]))
    assert body["type"] == "credit.new" and body["country"] == "FI"
    assert body["creditor"]["id"] == "1234567-1"  # KASSA_MERCHANT_BUSINESS_ID's default
    credit = body["credit"]
    assert credit["id"] == str(agreement_id) and credit["type"] == "instalment"
    # 1 200,00 over 12 months at 0 %, 2,95 a month: 12 x 102,95 = 1 235,40.
    assert (credit["amount"], credit["total_payable"]) == (120000, 123540)
    assert credit["instalments"]["count"] == 12 and credit["instalments"]["amount"] == 10295
    assert (credit["balance"], credit["principal_outstanding"]) == (123540, 120000)
    assert credit["overdue_amount"] == 0 and credit["agreed_on"] == "2026-11-20"
    first_due = invoices_of(app, agreement_id)[0].due_date
    assert credit["instalments"]["first_due_date"] == first_due.isoformat()
    # Agreed on Friday 20.11: the register must have it by Saturday 21.11.
    assert body["event"] == {"occurred_on": "2026-11-20", "due_by": "2026-11-21"}
    assert body["person"] == {"country": "FI", "personal_id": "131052-308T",
                              "name": "Maija Meikäläinen", "birth_date": "1952-10-13"}
    assert registers["NO"].requests == []

    [report] = reports(app)
    assert report.reported_at is not None and report.due_by == date(2026, 11, 21)
    # The identity number travels in the request only: not in the report kept, nor in the
    # outbox message.
    with get_state(app).db.session() as db:
        message = db.get_one(OutboxMessage, report.outbox_id)
        assert message.status == "sent"
        kept = json.dumps([report.payload, message.payload], ensure_ascii=False)
    assert "308T" not in kept and "131052" not in kept


def test_a_plan_agreed_after_midnight_in_finland_is_due_by_the_next_finnish_day(
        app: Flask, registers: dict[str, HttpReceiver]) -> None:
    # 22.30 UTC on Friday 20.11 is already 00.30 on Saturday 21.11 in Helsinki.
    buy(app, "FI", 120000, "fi-12", now=datetime(2026, 11, 20, 22, 30, tzinfo=UTC))
    deliver(app)
    [request] = registers["FI"].requests
    body = request.json()
    assert body["credit"]["agreed_on"] == "2026-11-21"
    assert body["event"] == {"occurred_on": "2026-11-21", "due_by": "2026-11-22"}


def test_a_plain_invoice_is_not_credit_and_nothing_is_reported(
        app: Flask, registers: dict[str, HttpReceiver]) -> None:
    agreement_id = buy(app, "FI", 12990, "fi-invoice-14")
    [invoice] = invoices_of(app, agreement_id)
    deliver(app)
    # Not even when it is long overdue: the register never heard of it.
    assert run(app, invoice.due_date + timedelta(days=90)) == {
        "credit.changed": 0, "credit.delayed_60": 0, "credit.repaid": 0}
    deliver(app)
    assert reports(app) == []
    assert registers["FI"].requests == []


def test_an_instalment_61_days_late_is_reported_once(
        app: Flask, registers: dict[str, HttpReceiver]) -> None:
    agreement_id = buy(app, "FI", 120000, "fi-12")
    first = invoices_of(app, agreement_id)[0]
    assert run(app, first.due_date + timedelta(days=60))["credit.delayed_60"] == 0
    day61 = first.due_date + timedelta(days=61)
    assert run(app, day61)["credit.delayed_60"] == 1
    deliver(app)
    assert run(app, day61)["credit.delayed_60"] == 0  # the same day again
    assert run(app, day61 + timedelta(days=1))["credit.delayed_60"] == 0  # and the next
    deliver(app)

    [delay] = received(registers["FI"], "credit.delayed_60")
    assert delay["event"]["delay"] == {
        "invoice": first.number, "instalment": 1, "due_date": first.due_date.isoformat(),
        "days_late": 61, "amount": 10295}
    assert delay["event"]["occurred_on"] == day61.isoformat()
    assert delay["event"]["due_by"] == two_weekdays_after(day61).isoformat()
    # Two instalments are due by then, one of them late.
    assert delay["credit"]["overdue_amount"] == 2 * 10295
    assert delay["person"]["personal_id"] == "131052-308T"
    assert len(received(registers["FI"])) == 2  # the new credit and the one delay


def test_a_disputed_instalment_is_not_reported_as_delayed(app: Flask) -> None:
    agreement_id = buy(app, "FI", 120000, "fi-12")
    first = invoices_of(app, agreement_id)[0]
    with get_state(app).db.session() as db:
        place_hold(db, db.get_one(Invoice, first.id), "disputed", today=first.due_date)
    assert run(app, first.due_date + timedelta(days=61))["credit.delayed_60"] == 0


def test_a_credit_paid_off_is_reported_repaid_once_and_a_delay_ended_before_it(
        app: Flask, registers: dict[str, HttpReceiver]) -> None:
    agreement_id = buy(app, "FI", 120000, "fi-12")
    invoices = invoices_of(app, agreement_id)
    day61 = invoices[0].due_date + timedelta(days=61)
    run(app, day61)  # the first instalment's delay is reported
    paid_on = day61 + timedelta(days=3)
    state = get_state(app)
    with state.db.session() as db:
        for invoice in invoices[:-1]:
            record_payment(db, db.get_one(Invoice, invoice.id), source="bank",
                           external_id=f"pay-{invoice.id}", amount=invoice.balance_minor,
                           currency="EUR", received_on=paid_on)
    # The late instalment is paid: the delay has ended. One instalment is still open.
    assert run(app, paid_on) == {"credit.changed": 1, "credit.delayed_60": 0,
                                 "credit.repaid": 0}
    with state.db.session() as db:
        last = db.get_one(Invoice, invoices[-1].id)
        record_payment(db, last, source="bank", external_id="pay-last",
                       amount=last.balance_minor, currency="EUR", received_on=paid_on)
    # The run of the day after finds the credit ended on the day of the last payment.
    assert run(app, paid_on + timedelta(days=1)) == {"credit.changed": 0,
                                                     "credit.delayed_60": 0,
                                                     "credit.repaid": 1}
    assert run(app, paid_on + timedelta(days=2))["credit.repaid"] == 0
    deliver(app)

    types = [body["type"] for body in received(registers["FI"])]
    assert types == ["credit.new", "credit.delayed_60", "credit.changed", "credit.repaid"]
    ended = received(registers["FI"], "credit.changed")[0]["event"]
    assert ended["change"]["kind"] == "delay_ended"
    assert ended["change"]["paid_on"] == paid_on.isoformat()
    repaid = received(registers["FI"], "credit.repaid")[0]
    assert repaid["event"]["repaid_on"] == paid_on.isoformat()
    assert repaid["event"]["due_by"] == two_weekdays_after(paid_on).isoformat()
    assert (repaid["credit"]["balance"], repaid["credit"]["principal_outstanding"],
            repaid["credit"]["instalments_left"]) == (0, 0, 0)


def test_more_time_is_a_change_due_in_two_finnish_business_days(
        app: Flask, registers: dict[str, HttpReceiver]) -> None:
    agreement_id = buy(app, "FI", 120000, "fi-12")
    first = invoices_of(app, agreement_id)[0]
    agreed = date(2026, 12, 23)  # a Wednesday; 24.-26.12 banks are closed in Finland
    with get_state(app).db.session() as db:
        place_hold(db, db.get_one(Invoice, first.id), "extended", today=agreed,
                   new_due_date=first.due_date + timedelta(days=14))
    assert run(app, agreed)["credit.changed"] == 1
    assert run(app, agreed + timedelta(days=1))["credit.changed"] == 0
    deliver(app)
    [change] = received(registers["FI"], "credit.changed")
    # Thu 24.12 and Fri 25.12 are holidays, then a weekend: Mon 28.12 is the first business
    # day after, Tue 29.12 the second.
    assert change["event"]["due_by"] == "2026-12-29"
    assert change["event"]["change"]["kind"] == "extended"
    assert change["event"]["change"]["due_date"] == (
        first.due_date + timedelta(days=14)).isoformat()


def test_a_norwegian_plan_goes_to_the_norwegian_register_and_no_delay_is_sent(
        app: Flask, registers: dict[str, HttpReceiver]) -> None:
    agreement_id = buy(app, "NO", 1200000, "no-12")  # 12 000,00 NOK
    deliver(app)
    [body] = received(registers["NO"])
    assert registers["NO"].requests[0].path == "/no/gjeld"
    assert "webhook-signature" not in registers["NO"].requests[0].headers  # no secret set
    assert body["type"] == "credit.new" and body["creditor"]["id"] == "923609016"
    # 12 x (1 000,00 + 39,00) = 12 468,00 NOK.
    assert (body["credit"]["amount"], body["credit"]["total_payable"]) == (1200000, 1246800)
    assert body["credit"]["currency"] == "NOK"
    assert body["person"]["personal_id"] == "01010750160"
    assert registers["FI"].requests == []
    # Whether Norway's registers take delays is unconfirmed: Kassa sends none.
    first = invoices_of(app, agreement_id)[0]
    assert run(app, first.due_date + timedelta(days=90))["credit.delayed_60"] == 0


def test_a_register_that_fails_is_asked_again_with_the_same_key(
        app: Flask, registers: dict[str, HttpReceiver]) -> None:
    registers["FI"].replies = [Reply(503), Reply(200, {"id": "PLR-1"})]
    buy(app, "FI", 120000, "fi-12")
    deliver(app)
    [report] = reports(app)
    assert report.reported_at is None  # the register did not take it yet
    deliver(app, later=timedelta(hours=1))  # after the backoff
    first, second = registers["FI"].requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.body == second.body
    [report] = reports(app)
    assert report.reported_at is not None and report.receipt == "PLR-1"


def test_the_daily_command_queues_the_reports_and_warns_of_a_late_one(
        app: Flask, registers: dict[str, HttpReceiver]) -> None:
    registers["FI"].replies = [Reply(400)]  # the register refuses: never delivered
    agreement_id = buy(app, "FI", 120000, "fi-12")
    deliver(app)
    day61 = invoices_of(app, agreement_id)[0].due_date + timedelta(days=61)
    result = app.test_cli_runner().invoke(
        args=["kassa", "run-reminders", "--today", day61.isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 payment delays" in result.output
    assert "WARNING 1 credit reports have passed their legal deadline" in result.output


def test_the_identity_number_is_read_from_the_encrypted_record_when_sent(app: Flask) -> None:
    buy(app, "FI", 120000, "fi-12")
    state = get_state(app)
    [report] = reports(app)
    with state.db.session() as db:
        customer = db.get_one(CreditReport, report.id).agreement.customer
        assert customer.personal_id_encrypted is not None
        assert b"308T" not in customer.personal_id_encrypted
        assert state.vault.reveal(customer) == parse_personal_id("FI", "131052-308T").compact


def test_a_withdrawal_is_reported_as_a_change_and_the_credit_ends_when_it_is_settled(
        app: Flask, registers: dict[str, HttpReceiver]) -> None:
    agreement_id = buy(app, "FI", 120000, "fi-12")
    notice_on = date(2026, 11, 25)  # day 5 of the 14
    state = get_state(app)
    with state.db.session() as db:
        withdraw(db, state, db.get_one(Agreement, agreement_id), notice_on=notice_on,
                 today=notice_on, base_url="http://127.0.0.1")
    deliver(app)
    [change] = received(registers["FI"], "credit.changed")
    assert change["event"]["change"]["kind"] == "withdrawal"
    assert change["event"]["occurred_on"] == notice_on.isoformat()
    assert change["event"]["due_by"] == "2026-11-27"  # Wed 25.11: Thu 26, Fri 27
    # One invoice is left to pay: the principal (and a few cents of interest), no fees.
    [carrier] = [i for i in invoices_of(app, agreement_id) if i.status != "cancelled"]
    assert change["credit"]["instalments_left"] == 1
    assert change["credit"]["balance"] == carrier.balance_minor
    assert 120000 <= carrier.balance_minor < 123540

    with state.db.session() as db:
        invoice = db.get_one(Invoice, carrier.id)
        record_payment(db, invoice, source="bank", external_id="withdrawn",
                       amount=invoice.balance_minor, currency="EUR",
                       received_on=date(2026, 12, 1))
    assert run(app, date(2026, 12, 2))["credit.repaid"] == 1
    deliver(app)
    [repaid] = received(registers["FI"], "credit.repaid")
    assert repaid["event"]["repaid_on"] == "2026-12-01"
    assert repaid["credit"]["balance"] == 0
