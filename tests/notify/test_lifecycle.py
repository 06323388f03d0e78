"""After the due date: friendly SMS/e-mail, team hooks, formal reminders, hand-overs and
collection, each delivered through the outbox to a real local receiver."""

from __future__ import annotations

import base64
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.core.calendar import business_calendar
from kassa.db import Invoice, InvoiceEvent, OutboxMessage, SupportTask
from kassa.notify.hooks import verify_standard_webhook
from kassa.notify.outbox import DeliveryReport, deliver_pending
from kassa.services.reminders import run_reminders
from tests.factories import make_invoice
from tests.http_receiver import HttpReceiver
from tests.notify.conftest import SmtpServer

ISSUED = date(2026, 2, 16)  # due Mon 2.3.2026
SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()


def deliver(app: Flask, when: datetime) -> Any:
    with app.app_context():
        return deliver_pending(get_state(app), now=when, limit=100)


def remind(app: Flask, day: date) -> Any:
    with app.app_context():
        return run_reminders(get_state(app), today=day)


def kinds(app: Flask, invoice_id: int) -> list[str]:
    with get_state(app).db.session() as db:
        return [e.kind for e in db.get(Invoice, invoice_id).events]


def test_friendly_sms_and_signed_team_hook_with_a_receiver_that_recovers(
        make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    with HttpReceiver() as sms, HttpReceiver(replies=[500, 200]) as team:
        app = make_app(db_url, KASSA_SMS_URL=sms.url("/sms"), KASSA_SMS_API_KEY="k" * 20,
                       KASSA_SMS_SENDER="NordicHome",
                       KASSA_REMINDER_HOOKS=[{"type": "webhook", "url": team.url("/hook"),
                                              "secret": SECRET}])
        invoice_id = make_invoice(app, country="FI", issued=ISSUED, phone="+358401234567")
        report = remind(app, date(2026, 3, 3))
        assert report.steps["friendly"] == 1
        when = datetime.now(UTC)  # messages are queued at the real time of the run
        first = deliver(app, when)
        assert first.sent == 1 and first.failed == 1  # the SMS went, the team's server failed
        assert deliver(app, when + timedelta(hours=1)).sent == 1
        assert deliver(app, when + timedelta(hours=2)).total == 0  # nothing twice

    assert len(sms.requests) == 1
    text = sms.requests[0].json()["text"]
    assert "/account/invoice/" in text and "via=sms" in text
    assert sms.requests[0].headers["Authorization"] == "Bearer " + "k" * 20
    assert len(team.requests) == 2
    retried = team.requests[-1]
    assert retried.headers["webhook-id"] == team.requests[0].headers["webhook-id"]
    assert verify_standard_webhook(SECRET, retried.headers, retried.body,
                                   int(retried.headers["webhook-timestamp"]))
    body = retried.json()
    assert body["invoice"]["days_overdue"] == 1
    assert body["segment"] == "first_time_late"
    assert body["customer"]["phone"] == "+358401234567"
    assert "personal_id" not in retried.body.decode()
    with get_state(app).db.session() as db:
        task = db.scalars(select(SupportTask)).one()
        assert task.payload["invoice"]["number"] == body["invoice"]["number"]
        assert body["task_id"] == str(task.id)  # the agent can open the task from the hook
    assert "friendly_contact" in kinds(app, invoice_id)


def test_friendly_email_link_records_opened(make_app, db_url: str,
                                            smtp_server: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url, KASSA_SMTP_PORT=smtp_server.port)
    invoice_id = make_invoice(app, country="SE", issued=ISSUED, phone=None, sequence=2101)
    remind(app, date(2026, 3, 3))
    assert deliver(app, datetime.now(UTC)).sent == 1
    mail = smtp_server.messages()[0]
    body = mail.get_body(("plain",)).get_content()
    assert "No fee" in body or "avgift" in body
    link = next(word for word in body.split() if "/account/invoice/" in word)
    client = app.test_client()
    assert link.startswith("http://localhost/kassa/account/invoice/")  # KASSA_PUBLIC_URL
    path = link.removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200  # a reload within the hour adds nothing
    assert kinds(app, invoice_id).count("opened") == 1


def test_formal_reminder_email_names_the_fee_and_deadline(make_app, db_url: str,
                                                          smtp_server: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url, KASSA_SMTP_PORT=smtp_server.port)
    make_invoice(app, country="FI", issued=ISSUED, phone=None)
    # The friendly contact, then the first reminder 14 full days after it (FI default).
    for day in (date(2026, 3, 3), date(2026, 3, 18)):
        remind(app, day)
    assert deliver(app, datetime.now(UTC)).sent == 2
    reminder = smtp_server.messages()[-1]
    text = reminder.get_body(("plain",)).get_content()
    assert "5,00" in text or "5.00" in text
    assert any(part.get_content_type() == "application/pdf" for part in reminder.iter_attachments())


def test_letter_handover_records_the_receipt_date(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    with HttpReceiver() as printer:
        app = make_app(db_url, KASSA_PRINT_SERVICE_URL=printer.url("/print"),
                       KASSA_HANDOVER_TOKEN="t" * 24)
        invoice_id = make_invoice(app, country="FI", issued=ISSUED, channel="letter")
        with get_state(app).db.session() as db:
            db.add(OutboxMessage(channel="letter", kind="invoice", invoice_id=invoice_id,
                                 recipient="Maija", payload={"locale": "fi"}))
        sent_at = datetime.now(UTC)
        assert deliver(app, sent_at).sent == 1
    payload = printer.requests[0].json()
    assert payload["channel"] == "letter"
    assert base64.b64decode(payload["pdf_base64"]).startswith(b"%PDF")
    with get_state(app).db.session() as db:
        event = db.scalars(select(InvoiceEvent).where(
            InvoiceEvent.invoice_id == invoice_id, InvoiceEvent.kind == "handed_over")).one()
        # four Finnish business days after the hand-over
        expected = business_calendar("FI").add_business_days(sent_at.date(), 4)
        assert event.data["receipt_date"] == expected.isoformat()


def test_collection_partner_gets_the_case_and_the_cli_exports_it(
        make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    with HttpReceiver() as partner:
        app = make_app(db_url, KASSA_COLLECTION_PARTNER=[
            {"type": "webhook", "url": partner.url("/cases"), "secret": SECRET}])
        invoice_id = make_invoice(app, country="SE", issued=ISSUED, phone=None, sequence=2201)
        for offset in range(60):
            remind(app, date(2026, 3, 1) + timedelta(days=offset))
        assert "handed_to_collection" in kinds(app, invoice_id)
        deliver(app, datetime.now(UTC))
    cases = [r.json() for r in partner.requests]
    assert cases and cases[0]["type"] == "invoice.collection"
    assert cases[0]["notices"][0]["fee"] == 6000
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["kassa", "export-collection", "--format", "csv"])
    assert exported.exit_code == 0, exported.output
    assert "Sven Svensson" in exported.output


def test_cli_run_reminders_reports_the_steps(app: Flask) -> None:
    make_invoice(app, country="FI", issued=ISSUED)
    result = app.test_cli_runner().invoke(args=["kassa", "run-reminders", "--today",
                                                "2026-03-03"])
    assert result.exit_code == 0, result.output
    assert "1 friendly contacts" in result.output
    again = app.test_cli_runner().invoke(args=["kassa", "run-reminders", "--today",
                                               "2026-03-03"])
    assert "0 friendly contacts" in again.output


def test_cli_resend_queues_a_dead_message_again(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", issued=ISSUED)
    with get_state(app).db.session() as db:
        message = OutboxMessage(channel="email", kind="invoice", invoice_id=invoice_id,
                                recipient="shopper@example.test", payload={}, status="dead",
                                attempts=8, last_error="550 mailbox unavailable")
        db.add(message)
        db.flush()
        message_id = message.id
    runner = app.test_cli_runner()
    result = runner.invoke(args=["kassa", "resend", str(message_id)])
    assert result.exit_code == 0, result.output
    with get_state(app).db.session() as db:
        again = db.get(OutboxMessage, message_id)
        assert again.status == "pending" and again.attempts == 0
    missing = runner.invoke(args=["kassa", "resend", "999999"])
    assert missing.exit_code != 0 and "no outbox message" in missing.output


def test_a_receiver_that_answers_410_gets_nothing_more_until_its_url_or_staff_change_it(
        make_app, db_url: str, smtp_server: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    with HttpReceiver(replies=[410]) as team:
        hooks = [{"type": "webhook", "url": team.url("/hook"), "secret": SECRET}]
        app = make_app(db_url, KASSA_SMTP_PORT=smtp_server.port, KASSA_REMINDER_HOOKS=hooks)
        for sequence in (2301, 2302):
            make_invoice(app, country="FI", issued=ISSUED, phone=None, sequence=sequence)
        remind(app, date(2026, 3, 3))
        when = datetime.now(UTC) + timedelta(minutes=1)
        assert deliver(app, when) == DeliveryReport(sent=2, dead=2)  # the e-mails; the hooks
        assert len(team.requests) == 1  # the second hook was not sent to a gone receiver
        with get_state(app).db.session() as db:
            hooks_sent = db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "hook")
                                    .order_by(OutboxMessage.id)).all()
            first, second = (message.id for message in hooks_sent)
            assert "410 Gone" in (hooks_sent[0].last_error or "")
            assert "flask kassa endpoints enable 1" in (hooks_sent[1].last_error or "")
        runner = app.test_cli_runner()
        listed = runner.invoke(args=["kassa", "endpoints", "list"])
        assert listed.exit_code == 0 and "webhook:0 (hook)" in listed.output
        assert team.url("/hook") not in listed.output  # the URL may be a credential

        team.replies = [200]  # the receiver is back, but Kassa does not know it yet
        runner.invoke(args=["kassa", "resend", str(first)])
        assert deliver(app, when + timedelta(minutes=1)) == DeliveryReport(dead=1)
        assert len(team.requests) == 1

        moved = [{**hooks[0], "url": team.url("/moved")}]  # a new URL is a new receiver
        moved_app = make_app(db_url, KASSA_SMTP_PORT=smtp_server.port,
                             KASSA_REMINDER_HOOKS=moved)
        moved_app.test_cli_runner().invoke(args=["kassa", "resend", str(first)])
        assert deliver(moved_app, when + timedelta(minutes=2)) == DeliveryReport(sent=1)

        enabled = runner.invoke(args=["kassa", "endpoints", "enable", "1"])
        assert enabled.exit_code == 0 and "webhook:0 is switched on again" in enabled.output
        runner.invoke(args=["kassa", "resend", str(second)])
        assert deliver(app, when + timedelta(minutes=3)) == DeliveryReport(sent=1)
        assert runner.invoke(args=["kassa", "endpoints", "enable", "1"]).exit_code != 0
    assert [request.path for request in team.requests] == ["/hook", "/moved", "/hook"]
