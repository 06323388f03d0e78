"""The outbox worker against a real SMTP server on loopback: delivered once, retried with
growing pauses when the server refuses or is down, given up after the configured attempts."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pypdf
import pytest
from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.db import Invoice, InvoiceEvent, OutboxMessage, SupportTask
from kassa.notify import outbox
from kassa.notify.outbox import DeliveryReport, deliver_now, deliver_pending, resend
from kassa.services.links import invoice_id_from_token
from kassa.signals import invoice_sent
from tests.factories import make_invoice

from .conftest import SmtpServer, free_port

BASE_URL = "https://shop.example"


def queue(app: Flask, invoice_id: int | None, *, recipient: str = "maija@example.test",
          locale: str = "fi", kind: str = "invoice", channel: str = "email") -> int:
    with get_state(app).db.session() as session:
        message = OutboxMessage(channel=channel, kind=kind, invoice_id=invoice_id,
                                recipient=recipient,
                                payload={"base_url": BASE_URL, "locale": locale})
        session.add(message)
        session.flush()
        return message.id


def outbox_row(app: Flask, message_id: int) -> OutboxMessage:
    with get_state(app).db.session() as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        return row


def trail(app: Flask, invoice_id: int) -> list[InvoiceEvent]:
    with get_state(app).db.session() as session:
        return list(session.scalars(select(InvoiceEvent).where(
            InvoiceEvent.invoice_id == invoice_id).order_by(InvoiceEvent.id)))


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@pytest.fixture
def now() -> datetime:
    """A moment just after the messages of the test were queued."""
    return datetime.now(UTC) + timedelta(seconds=5)


@pytest.fixture
def sent_signals() -> Iterator[list[dict[str, Any]]]:
    received: list[dict[str, Any]] = []

    def receiver(_sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    invoice_sent.connect(receiver)
    yield received
    invoice_sent.disconnect(receiver)


def test_invoice_email_arrives_in_finnish_with_link_and_pdf(
        app: Flask, smtp_server: SmtpServer, now: datetime,
        sent_signals: list[dict[str, Any]]) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1234567)
    message_id = queue(app, invoice_id)

    report = deliver_pending(get_state(app), now=now)

    assert report == DeliveryReport(sent=1, failed=0, dead=0)
    assert len(smtp_server.received) == 1
    mail_from, rcpt_tos, _raw = smtp_server.received[0]
    assert (mail_from, rcpt_tos) == ("laskut@shop.test", ["maija@example.test"])
    email = smtp_server.messages()[0]
    number = _number(app, invoice_id)
    assert email["Subject"] == f"Kassa demo shop: lasku {number}"
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert "129,90\u00a0€" in text and "123 45672" in text  # Finnish money, printed reference
    link = next(word for word in text.split() if word.startswith(BASE_URL))
    prefix = f"{BASE_URL}/kassa/account/invoice/"
    token, _, query = link[len(prefix):].partition("?")
    assert link.startswith(prefix) and invoice_id_from_token(token) == invoice_id
    assert query == "via=email"  # the tracked link records that the invoice was opened
    html = email.get_body(preferencelist=("html",)).get_content()
    assert link.replace("&", "&amp;") in html or link in html
    assert f"{prefix}{token}/seen.gif" in html
    attachment = next(email.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"lasku-{number}.pdf"  # named in Finnish too
    assert "Viitenumero" in text  # a Finnish invoice's reference, named as Finns name it
    pdf = pypdf.PdfReader(io.BytesIO(attachment.get_content()))
    assert "123 45672" in pdf.pages[0].extract_text()

    row = outbox_row(app, message_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert aware(row.sent_at) == now  # type: ignore[arg-type]
    sent = [e for e in trail(app, invoice_id) if e.kind == "sent"]
    assert [e.data for e in sent] == [{"channel": "email", "outbox_id": message_id}]
    assert sent_signals == [{"invoice_id": invoice_id, "channel": "email",
                             "outbox_id": message_id}]


def _number(app: Flask, invoice_id: int) -> str:
    with get_state(app).db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        return invoice.number


def test_refused_message_waits_and_is_delivered_once_when_the_server_accepts(
        app: Flask, smtp_server: SmtpServer, now: datetime,
        sent_signals: list[dict[str, Any]]) -> None:
    message_id = queue(app, make_invoice(app))
    smtp_server.refuse = "550 5.7.1 Not today"
    state = get_state(app)

    assert deliver_pending(state, now=now) == DeliveryReport(failed=1)
    row = outbox_row(app, message_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "550" in (row.last_error or "")
    assert aware(row.next_attempt_at) == now + timedelta(seconds=30)
    assert sent_signals == []

    smtp_server.refuse = None
    assert deliver_pending(state, now=now + timedelta(seconds=29)).total == 0  # still waiting
    assert deliver_pending(state, now=now + timedelta(seconds=30)) == DeliveryReport(sent=1)
    assert deliver_pending(state, now=now + timedelta(hours=1)).total == 0
    assert len(smtp_server.received) == 1
    row = outbox_row(app, message_id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(sent_signals) == 1


def test_a_server_that_is_down_costs_an_attempt_and_loses_nothing(
        make_app: Callable[..., Flask], db_url: str, now: datetime) -> None:
    port = free_port()  # nothing listens here yet
    app = make_app(db_url, KASSA_SMTP_PORT=port)
    message_id = queue(app, make_invoice(app))
    state = get_state(app)
    with app.app_context():
        assert deliver_pending(state, now=now) == DeliveryReport(failed=1)
        row = outbox_row(app, message_id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert "refused" in (row.last_error or "").lower()

        server = SmtpServer(port=port)
        server.start()
        try:
            later = now + timedelta(seconds=30)
            assert deliver_pending(state, now=later) == DeliveryReport(sent=1)
            assert deliver_pending(state, now=later + timedelta(days=1)).total == 0
        finally:
            server.stop()
    assert len(server.received) == 1


def test_pauses_double_and_the_message_is_given_up_after_the_last_attempt(
        make_app: Callable[..., Flask], db_url: str, now: datetime) -> None:
    app = make_app(db_url, KASSA_SMTP_PORT=free_port(), KASSA_OUTBOX_MAX_ATTEMPTS=3,
                   KASSA_OUTBOX_BACKOFF_SECONDS=10)
    invoice_id = make_invoice(app)
    message_id = queue(app, invoice_id)
    state = get_state(app)
    with app.app_context():
        assert deliver_pending(state, now=now) == DeliveryReport(failed=1)
        first_retry = aware(outbox_row(app, message_id).next_attempt_at)
        assert first_retry == now + timedelta(seconds=10)
        assert deliver_pending(state, now=first_retry) == DeliveryReport(failed=1)
        second_retry = aware(outbox_row(app, message_id).next_attempt_at)
        assert second_retry == first_retry + timedelta(seconds=20)
        assert deliver_pending(state, now=second_retry) == DeliveryReport(dead=1)
        assert deliver_pending(state, now=second_retry + timedelta(days=30)).total == 0
    row = outbox_row(app, message_id)
    assert (row.status, row.attempts) == ("dead", 3)
    failed = [e for e in trail(app, invoice_id) if e.kind == "delivery_failed"]
    assert len(failed) == 1 and failed[0].data["outbox_id"] == message_id
    assert failed[0].data["attempts"] == 3


def test_an_undeliverable_message_dies_at_once_without_holding_back_the_next(
        app: Flask, smtp_server: SmtpServer, now: datetime) -> None:
    invoice_id = make_invoice(app)
    unknown_kind = queue(app, invoice_id, kind="postcard")
    unknown_channel = queue(app, invoice_id, channel="pigeon")
    no_invoice = queue(app, None)
    good = queue(app, invoice_id)

    report = deliver_pending(get_state(app), now=now)

    assert report == DeliveryReport(sent=1, dead=3)
    assert "'postcard'" in (outbox_row(app, unknown_kind).last_error or "")
    assert "'pigeon'" in (outbox_row(app, unknown_channel).last_error or "")
    assert "does not exist" in (outbox_row(app, no_invoice).last_error or "")
    assert outbox_row(app, unknown_kind).attempts == 1
    assert outbox_row(app, good).status == "sent"
    assert len(smtp_server.received) == 1
    # The team gets one task to reach the shopper another way, however many messages died.
    with get_state(app).db.session() as session:
        tasks = session.scalars(select(SupportTask).where(
            SupportTask.kind == "undelivered")).all()
        assert [(t.invoice_id, t.status) for t in tasks] == [(invoice_id, "open")]
        assert tasks[0].payload["outbox_id"] in (unknown_kind, unknown_channel)


def test_a_claimed_message_is_not_sent_by_a_second_worker(
        app: Flask, smtp_server: SmtpServer, now: datetime) -> None:
    message_id = queue(app, make_invoice(app))
    state = get_state(app)
    assert outbox._claim(state, now) == [message_id]  # another worker is busy with it
    assert deliver_pending(state, now=now).total == 0
    assert smtp_server.received == []
    # the other worker died: once its lease is over, the message is delivered
    assert deliver_pending(state, now=now + outbox.CLAIM_LEASE) == DeliveryReport(sent=1)



def test_one_claim_takes_the_oldest_messages_and_the_next_worker_the_rest(
        app: Flask, now: datetime) -> None:
    invoice_id = make_invoice(app)
    ids = [queue(app, invoice_id) for _ in range(outbox.CLAIM_BATCH + 2)]
    state = get_state(app)
    assert outbox._claim(state, now, outbox.CLAIM_BATCH) == ids[:outbox.CLAIM_BATCH]
    assert outbox._claim(state, now, outbox.CLAIM_BATCH) == ids[outbox.CLAIM_BATCH:]
    assert outbox._claim(state, now, outbox.CLAIM_BATCH) == []
    assert {outbox_row(app, i).status for i in ids} == {"pending"}  # leased, not sent

def test_limit_bounds_one_run(app: Flask, smtp_server: SmtpServer, now: datetime) -> None:
    invoice_id = make_invoice(app)
    for _ in range(3):
        queue(app, invoice_id)
    state = get_state(app)
    assert deliver_pending(state, now=now, limit=2) == DeliveryReport(sent=2)
    assert deliver_pending(state, now=now, limit=2) == DeliveryReport(sent=1)
    assert len(smtp_server.received) == 3


def test_resend_requeues_a_dead_message_and_copies_a_sent_one(
        app: Flask, smtp_server: SmtpServer, now: datetime) -> None:
    invoice_id = make_invoice(app)
    message_id = queue(app, invoice_id)
    state = get_state(app)
    assert deliver_pending(state, now=now) == DeliveryReport(sent=1)

    copy_id = resend(state, message_id, now=now)
    assert copy_id is not None and copy_id != message_id
    assert outbox_row(app, message_id).status == "sent"
    assert deliver_pending(state, now=now) == DeliveryReport(sent=1)
    assert len(smtp_server.received) == 2

    dead_id = queue(app, invoice_id, kind="postcard")
    assert deliver_pending(state, now=now) == DeliveryReport(dead=1)
    assert resend(state, dead_id, now=now) == dead_id
    row = outbox_row(app, dead_id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)
    assert resend(state, 999_999) is None
    kinds = [e.kind for e in trail(app, invoice_id)]
    assert kinds.count("resend_queued") == 2


def test_cli_deliver_prints_a_summary(app: Flask, smtp_server: SmtpServer) -> None:
    queue(app, make_invoice(app))
    result = app.test_cli_runner().invoke(args=["kassa", "deliver"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 to retry later, 0 given up" in result.output
    assert len(smtp_server.received) == 1



def test_the_command_with_several_workers_sends_each_message_once(
        app: Flask, smtp_server: SmtpServer) -> None:
    invoice_id = make_invoice(app)
    ids = [queue(app, invoice_id) for _ in range(outbox.CLAIM_BATCH * 2 + 3)]
    result = app.test_cli_runner().invoke(args=["kassa", "deliver", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert f"{len(ids)} sent, 0 to retry later, 0 given up" in result.output
    assert len(smtp_server.received) == len(ids)
    sent_ids = sorted(e.data["outbox_id"] for e in trail(app, invoice_id) if e.kind == "sent")
    assert sent_ids == ids


def test_workers_share_the_limit(app: Flask, smtp_server: SmtpServer, now: datetime) -> None:
    invoice_id = make_invoice(app)
    for _ in range(outbox.CLAIM_BATCH + 5):
        queue(app, invoice_id)
    state = get_state(app)
    with app.app_context():
        assert deliver_pending(state, now=now, limit=7, workers=3) == DeliveryReport(sent=7)
        assert deliver_pending(state, now=now, limit=50, workers=3) == DeliveryReport(
            sent=outbox.CLAIM_BATCH - 2)
    assert len(smtp_server.received) == outbox.CLAIM_BATCH + 5

def test_deliver_pending_needs_the_app_context(make_app: Callable[..., Flask],
                                               now: datetime) -> None:
    app = make_app()
    with pytest.raises(RuntimeError, match="app context"):
        deliver_pending(get_state(app), now=now)


def test_two_workers_at_once_send_each_message_exactly_once(
        app: Flask, smtp_server: SmtpServer, now: datetime) -> None:
    invoice_id = make_invoice(app)
    ids = {queue(app, invoice_id) for _ in range(6)}
    state = get_state(app)
    reports: list[DeliveryReport] = []
    start = threading.Barrier(2)

    def worker() -> None:
        with app.app_context():
            start.wait()
            reports.append(deliver_pending(state, now=now))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(report.sent for report in reports) == 6
    assert sum(report.total for report in reports) == 6
    assert len(smtp_server.received) == 6
    assert {outbox_row(app, i).status for i in ids} == {"sent"}
    sent_ids = sorted(e.data["outbox_id"] for e in trail(app, invoice_id) if e.kind == "sent")
    assert sent_ids == sorted(ids)


def test_deliver_now_sends_only_the_invoice_emails_of_the_invoices_it_is_given(
        app: Flask, smtp_server: SmtpServer) -> None:
    ours = make_invoice(app, sequence=1001)
    other_order = make_invoice(app, sequence=1002, email="someone.else@example.test")
    claimed = make_invoice(app, sequence=1003)
    mail = queue(app, ours, recipient="maija@example.test")
    left = [queue(app, other_order, recipient="someone.else@example.test"),
            queue(app, ours, kind="friendly_reminder"),
            queue(app, ours, channel="sms", recipient="+358401234567")]
    busy = queue(app, claimed)
    state = get_state(app)
    # A moment read before the messages were queued, as a request reads it: they are due
    # all the same. The busy one is claimed by a worker, which sends it itself.
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert outbox._claim(state, datetime.now(UTC), scope=(OutboxMessage.id == busy,)) == [busy]

    with app.app_context():
        report = deliver_now(state, now=before, invoice_ids=[ours, claimed])

    assert report == DeliveryReport(sent=1)
    assert [to for _from, to, _raw in smtp_server.received] == [["maija@example.test"]]
    assert outbox_row(app, mail).status == "sent"
    for message_id in (*left, busy):
        row = outbox_row(app, message_id)
        assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)
    with app.app_context():
        assert deliver_now(state, now=before, invoice_ids=[]) == DeliveryReport()
