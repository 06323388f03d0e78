"""Reminder hooks: signed webhooks, Slack, Zendesk, Freshdesk and the team inbox, against a
local HTTP receiver; the segment and recommendation rules; the settings that configure them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from kassa.config import OVERDUE_SEGMENTS, HookTarget, load_config
from kassa.errors import ConfigurationError
from kassa.notify.hooks import (
    send_hook,
    slack_message,
    standard_webhook_headers,
    verify_standard_webhook,
)
from kassa.notify.http import post
from kassa.services import overdue
from kassa.services.overdue import (
    OverdueCase,
    overdue_hook_payload,
    recommendation,
    segment_for,
    targets_for,
)
from tests.conftest import base_config
from tests.http_receiver import HttpReceiver, Reply

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
NOW = datetime(2026, 5, 20, 9, 30, tzinfo=UTC)
TODAY = date(2026, 5, 20)
IDENTITY_NUMBER = "131052-308T"


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as running:
        yield running


def make_case(**changes: Any) -> OverdueCase:
    case = OverdueCase(
        invoice_number="1001",
        amount_minor=12990,
        balance_minor=7990,
        currency="EUR",
        due_date=date(2026, 5, 15),
        reference="1 00013",
        customer_name="Maija Meikäläinen",
        customer_email="maija@example.fi",
        customer_phone="+358401234567",
        customer_locale="fi",
        country="FI",
        invoices_before=3,
        late_invoices_before=0,
        call_script_url="https://shop.example/kassa/console/scripts/friendly-call",
        task_id=42,
    )
    return replace(case, **changes)


def payload(**changes: Any) -> dict[str, Any]:
    return overdue_hook_payload(make_case(**changes), TODAY)


# -- Standard Webhooks signatures ------------------------------------------------------------


def test_signature_reproduces_the_published_standard_webhooks_vector() -> None:
    headers = standard_webhook_headers(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_signature_is_hmac_sha256_with_the_base64_decoded_key() -> None:
    body = b'{"type":"invoice.overdue"}'
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, b"msg_1." + b"1779269400." + body, hashlib.sha256).digest()
    ).decode()
    headers = standard_webhook_headers(SECRET, "msg_1", 1779269400, body)
    assert headers["webhook-signature"] == f"v1,{expected}"


def test_verification_accepts_the_delivery_and_rejects_any_change() -> None:
    body = b'{"amount":"79.90"}'
    stamp = int(NOW.timestamp())
    headers = standard_webhook_headers(SECRET, "msg_1", stamp, body)
    assert verify_standard_webhook(SECRET, headers, body, NOW)
    assert not verify_standard_webhook(SECRET, headers, b'{"amount":"7.90"}', NOW)
    other = "whsec_" + base64.b64encode(bytes(32)).decode()
    assert not verify_standard_webhook(other, headers, body, NOW)
    assert not verify_standard_webhook(SECRET, {**headers, "webhook-id": "msg_2"}, body, NOW)
    # Replays outside the five-minute tolerance fail, either way in time.
    assert verify_standard_webhook(SECRET, headers, body, NOW + timedelta(seconds=300))
    assert not verify_standard_webhook(SECRET, headers, body, NOW + timedelta(seconds=301))
    assert not verify_standard_webhook(SECRET, headers, body, NOW - timedelta(seconds=301))


def test_verification_accepts_any_of_the_signatures_sent_during_rotation() -> None:
    body = b"{}"
    stamp = int(NOW.timestamp())
    headers = standard_webhook_headers(SECRET, "msg_1", stamp, body)
    rotated = {**headers, "Webhook-Signature": "v1,bm9wZQ== " + headers["webhook-signature"]}
    del rotated["webhook-signature"]
    assert verify_standard_webhook(SECRET, rotated, body, stamp)
    assert not verify_standard_webhook(
        SECRET, {**headers, "webhook-signature": "v1,bm9wZQ=="}, body, stamp
    )


def test_webhook_ids_with_a_dot_are_refused() -> None:
    with pytest.raises(ValueError, match="no '.'"):
        standard_webhook_headers(SECRET, "msg.1", 1, b"")


# -- delivery to a webhook -------------------------------------------------------------------


def webhook(receiver: HttpReceiver) -> HookTarget:
    return HookTarget(type="webhook", url=receiver.url("/hooks/kassa"), secret=SECRET)


def test_receiver_gets_a_signed_json_body_it_can_verify(receiver: HttpReceiver) -> None:
    now = datetime.now(UTC)
    result = send_hook(webhook(receiver), payload(), message_id="msg_42", now=now)
    assert result.ok and result.status == 200
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/hooks/kassa"
    assert request.headers["webhook-id"] == "msg_42"
    assert request.headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["Content-Type"] == "application/json"
    assert verify_standard_webhook(SECRET, dict(request.headers), request.body, now)
    assert request.json() == payload()


def test_a_retry_keeps_the_webhook_id_and_signs_afresh(receiver: HttpReceiver) -> None:
    receiver.replies = [500, 200]
    first = send_hook(webhook(receiver), payload(), message_id="msg_42", now=NOW)
    later = NOW + timedelta(seconds=5)
    second = send_hook(webhook(receiver), payload(), message_id="msg_42", now=later)
    assert (first.ok, first.retry, first.status) == (False, True, 500)
    assert second.ok and not second.retry
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    stamps = [r.headers["webhook-timestamp"] for r in receiver.requests]
    assert ids == ["msg_42", "msg_42"]
    assert stamps == [str(int(NOW.timestamp())), str(int(later.timestamp()))]
    assert verify_standard_webhook(
        SECRET, dict(receiver.requests[1].headers), receiver.requests[1].body, later
    )


# -- the shared sender's answers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "ok", "retry", "disable", "retry_after"),
    [
        (Reply(204), True, False, False, None),
        (Reply(410, "gone"), False, False, True, None),
        (Reply(429, headers={"Retry-After": "120"}), False, True, False, 120),
        (Reply(503, headers={"Retry-After": "30"}), False, True, False, 30),
        (Reply(502), False, True, False, None),
        (Reply(504), False, True, False, None),
        (Reply(500), False, True, False, None),
        (Reply(408), False, True, False, None),
        (Reply(400, "bad"), False, False, False, None),
        (Reply(401), False, False, False, None),
        (Reply(404), False, False, False, None),
    ],
)
def test_answers_are_classified_for_the_outbox(
    receiver: HttpReceiver,
    reply: Reply,
    ok: bool,
    retry: bool,
    disable: bool,
    retry_after: int | None,
) -> None:
    receiver.replies = [reply]
    result = post(receiver.url("/"), body=b"{}", headers={})
    assert (result.ok, result.retry, result.disable, result.status, result.retry_after) == (
        ok,
        retry,
        disable,
        reply.status,
        retry_after,
    )
    assert (result.error is None) == ok


def test_retry_after_as_an_http_date_becomes_seconds(receiver: HttpReceiver) -> None:
    when = datetime.now(UTC) + timedelta(minutes=10)
    receiver.replies = [
        Reply(503, headers={"Retry-After": when.strftime("%a, %d %b %Y %H:%M:%S GMT")})
    ]
    result = post(receiver.url("/"), body=b"{}", headers={})
    assert result.retry and result.retry_after is not None
    assert 590 <= result.retry_after <= 600


def test_410_from_a_hook_asks_to_disable_it(receiver: HttpReceiver) -> None:
    receiver.replies = [410]
    result = send_hook(webhook(receiver), payload(), message_id="msg_1", now=NOW)
    assert result.disable and not result.retry and not result.ok


def test_a_receiver_slower_than_the_timeout_is_retried(receiver: HttpReceiver) -> None:
    receiver.replies = [Reply(200, delay=3)]
    result = send_hook(webhook(receiver), payload(), message_id="msg_1", now=NOW, timeout=1)
    assert not result.ok and result.retry and result.status is None
    assert "1 s" in (result.error or "")


def test_redirects_are_failures_and_are_not_followed(receiver: HttpReceiver) -> None:
    receiver.replies = [Reply(302, headers={"Location": receiver.url("/elsewhere")}), 200]
    result = send_hook(webhook(receiver), payload(), message_id="msg_1", now=NOW)
    assert not result.ok and result.status == 302
    assert [r.path for r in receiver.requests] == ["/hooks/kassa"]


def test_a_closed_port_is_retried_without_naming_the_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    secret_url = f"http://127.0.0.1:{port}/services/T000/B000/secret-token"
    result = send_hook(
        HookTarget(type="slack", url=secret_url), payload(), message_id="m1", now=NOW
    )
    assert not result.ok and result.retry
    assert "secret-token" not in (result.error or "") and str(port) not in (result.error or "")


# -- Slack, Zendesk, Freshdesk, e-mail -------------------------------------------------------


def test_slack_gets_text_and_blocks_without_identity_number_or_contact_details(
    receiver: HttpReceiver,
) -> None:
    data = payload(late_invoices_before=2, invoices_before=3)
    data["customer"]["personal_id"] = IDENTITY_NUMBER  # even if a caller adds it
    result = send_hook(
        HookTarget(type="slack", url=receiver.url("/services/T/B/x")),
        data,
        message_id="msg_1",
        now=NOW,
    )
    assert result.ok
    body = receiver.requests[0].json()
    assert set(body) == {"text", "blocks"}
    assert body["text"] == "Overdue invoice 1001: Maija Meikäläinen"
    assert all(block["type"] in ("section", "context") for block in body["blocks"])
    raw = receiver.requests[0].body.decode()
    assert "Often late" in raw and "Plan together" in raw and "€79.90" in raw
    for private in (IDENTITY_NUMBER, "maija@example.fi", "+358401234567"):
        assert private not in raw
    assert len(raw) < 3000  # short and readable


def test_slack_text_is_escaped() -> None:
    message = slack_message(payload(customer_name="Anna <@channel> & co"))
    text = json.dumps(message)
    assert "<@channel>" not in text and "&lt;@channel&gt; &amp; co" in text


def test_zendesk_ticket_is_private_with_basic_token_auth(receiver: HttpReceiver) -> None:
    target = HookTarget(
        type="zendesk",
        url=receiver.url("/api/v2/tickets"),
        email="agent@shop.example",
        api_token="zd-token-123",
    )
    result = send_hook(target, payload(), message_id="msg_7", now=NOW)
    assert result.ok
    request = receiver.requests[0]
    scheme, _, encoded = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == "agent@shop.example/token:zd-token-123"
    assert request.headers["Idempotency-Key"] == "msg_7"
    ticket = request.json()["ticket"]
    assert set(ticket) == {"subject", "comment", "requester", "priority", "tags"}
    assert ticket["subject"] == "Overdue invoice 1001: Maija Meikäläinen"
    assert ticket["comment"]["public"] is False
    assert "+358401234567" in ticket["comment"]["body"]
    assert "SMS" in ticket["comment"]["body"]
    assert ticket["requester"] == {"name": "Maija Meikäläinen", "email": "maija@example.fi"}
    assert ticket["priority"] == "normal"
    assert ticket["tags"] == ["kassa", "overdue", "first_time_late"]


def test_freshdesk_ticket_uses_the_key_as_user_and_escapes_html(receiver: HttpReceiver) -> None:
    receiver.replies = [Reply(201, {"id": 9})]
    target = HookTarget(type="freshdesk", url=receiver.url("/api/v2/tickets"), api_key="fd-key")
    result = send_hook(
        target, payload(customer_name="Ann <script>alert(1)</script>"), message_id="msg_8", now=NOW
    )
    assert result.ok and result.status == 201
    request = receiver.requests[0]
    encoded = request.headers["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(encoded).decode() == "fd-key:X"
    ticket = request.json()
    assert ticket["email"] == "maija@example.fi"
    assert (ticket["status"], ticket["priority"]) == (2, 2)
    assert ticket["tags"] == ["kassa", "overdue", "first_time_late"]
    assert "<script>" not in ticket["description"]
    assert "&lt;script&gt;" in ticket["description"]
    assert "<li>" in ticket["description"]


def test_freshdesk_falls_back_to_the_phone_as_requester(receiver: HttpReceiver) -> None:
    target = HookTarget(type="freshdesk", url=receiver.url("/t"), api_key="fd-key")
    send_hook(target, payload(customer_email=None), message_id="m", now=NOW)
    ticket = receiver.requests[0].json()
    assert "email" not in ticket
    assert (ticket["phone"], ticket["name"]) == ("+358401234567", "Maija Meikäläinen")


def test_team_inbox_gets_an_email_through_the_outbox_sender() -> None:
    sent: list[EmailMessage] = []
    target = HookTarget(type="email", to="team@shop.example")
    result = send_hook(
        target,
        payload(),
        message_id="msg_9",
        now=NOW,
        smtp_send=sent.append,
        mail_from="kassa@shop.example",
    )
    assert result.ok
    [message] = sent
    assert message["To"] == "team@shop.example" and message["From"] == "kassa@shop.example"
    assert message["Subject"] == "Overdue invoice 1001: Maija Meikäläinen"
    assert message["Message-ID"] == "<msg_9@kassa.invalid>"
    text = message.get_content()
    assert "+358401234567" in text and "79.90" in text and "friendly-call" in text


def test_team_inbox_failures_are_classified() -> None:
    target = HookTarget(type="email", to="team@shop.example")

    def busy(message: EmailMessage) -> None:
        raise smtplib.SMTPResponseException(451, b"try later")

    def refused(message: EmailMessage) -> None:
        raise smtplib.SMTPRecipientsRefused({"team@shop.example": (550, b"no such user")})

    assert send_hook(target, payload(), message_id="m", now=NOW, smtp_send=busy).retry
    assert not send_hook(target, payload(), message_id="m", now=NOW, smtp_send=refused).retry
    missing = send_hook(target, payload(), message_id="m", now=NOW, smtp_send=None)
    assert not missing.ok and "smtp_send" in (missing.error or "")


# -- payload, segments, recommendations, filters ---------------------------------------------


def test_payload_has_what_the_agent_needs() -> None:
    data = payload()
    assert data == {
        "type": "invoice.overdue",
        "invoice": {
            "number": "1001",
            "amount": "129.90",
            "amount_minor": 12990,
            "balance": "79.90",
            "balance_minor": 7990,
            "currency": "EUR",
            "due_date": "2026-05-15",
            "days_overdue": 5,
            "reference": "1 00013",
        },
        "customer": {
            "name": "Maija Meikäläinen",
            "email": "maija@example.fi",
            "phone": "+358401234567",
            "locale": "fi",
            "country": "FI",
        },
        "segment": "first_time_late",
        "recommended": {"channel": "sms", "tone": "reminder"},
        "call_script_url": "https://shop.example/kassa/console/scripts/friendly-call",
        "task_id": "42",
    }
    assert len(json.dumps(data)) < 20_000


def test_payload_before_the_due_date_is_refused() -> None:
    with pytest.raises(ValueError, match="not due"):
        overdue_hook_payload(make_case(), date(2026, 5, 14))
    assert overdue_hook_payload(make_case(), date(2026, 5, 15))["invoice"]["days_overdue"] == 0


@pytest.mark.parametrize(
    ("late", "total", "segment"),
    [
        (0, 0, "first_time_late"),
        (0, 10, "first_time_late"),
        (1, 1, "occasionally_late"),  # one slip is not a habit, even on a single invoice
        (1, 2, "occasionally_late"),
        (2, 5, "occasionally_late"),
        (2, 4, "often_late"),
        (2, 3, "often_late"),
        (5, 10, "often_late"),
        (4, 10, "occasionally_late"),
    ],
)
def test_segment_rule(late: int, total: int, segment: str) -> None:
    assert segment_for(late, total) == segment


def test_segment_needs_consistent_counts() -> None:
    with pytest.raises(ValueError):
        segment_for(3, 2)
    with pytest.raises(ValueError):
        segment_for(-1, 2)


@pytest.mark.parametrize("country", ["FI", "SE", "NO"])
def test_recommendations_follow_the_design_table(country: str) -> None:
    assert recommendation("first_time_late", country) == ("sms", "reminder")
    assert recommendation("occasionally_late", country) == ("phone", "reminder")
    assert recommendation("often_late", country) == ("phone", "plan_together")


def test_every_segment_has_a_recommendation_and_a_label() -> None:
    assert set(overdue._RECOMMENDATIONS) == set(OVERDUE_SEGMENTS) == set(overdue.SEGMENT_LABELS)
    with pytest.raises(ValueError):
        recommendation("never_late", "FI")


def test_targets_are_filtered_by_country_and_segment() -> None:
    everyone = HookTarget(type="email", to="a@x.fi")
    finland = HookTarget(type="email", to="fi@x.fi", countries=("FI",))
    plans = HookTarget(type="email", to="plans@x.fi", segments=("often_late",))
    both = HookTarget(type="email", to="se@x.fi", countries=("SE",), segments=("often_late",))
    targets = [everyone, finland, plans, both]
    assert targets_for(targets, "FI", "first_time_late") == [everyone, finland]
    assert targets_for(targets, "SE", "often_late") == [everyone, plans, both]
    assert targets_for(targets, "NO", "occasionally_late") == [everyone]


# -- KASSA_REMINDER_HOOKS --------------------------------------------------------------------

HOOKS = [
    {"type": "webhook", "url": "https://crm.example/hooks", "secret": SECRET},
    {"type": "slack", "url": "https://hooks.slack.com/services/T1/B2/xyz", "countries": ["fi"]},
    {
        "type": "zendesk",
        "url": "https://shop.zendesk.com/api/v2/tickets",
        "email": "agent@shop.example",
        "api_token": "tok",
        "segments": ["often_late"],
    },
    {"type": "freshdesk", "url": "https://shop.freshdesk.com/api/v2/tickets", "api_key": "k"},
    {"type": "email", "to": "team@shop.example"},
]


def test_reminder_hooks_are_parsed_into_targets_that_hide_secrets() -> None:
    targets = load_config(base_config(KASSA_REMINDER_HOOKS=HOOKS)).reminder_hooks
    assert [t.type for t in targets] == ["webhook", "slack", "zendesk", "freshdesk", "email"]
    assert targets[0].secret == SECRET
    assert targets[1].countries == ("FI",) and targets[2].segments == ("often_late",)
    shown = repr(targets)
    assert SECRET not in shown and "xyz" not in shown and "'tok'" not in shown
    assert load_config(base_config()).reminder_hooks == ()


@pytest.mark.parametrize(
    ("hook", "message"),
    [
        (
            {"type": "webhook", "url": "https://x.example", "secret": "whsec_c2hvcnQ="},
            "24 to 64 random bytes",
        ),
        (
            {
                "type": "webhook",
                "url": "https://x.example",
                "secret": base64.b64encode(bytes(32)).decode(),
            },
            "'whsec_'",
        ),
        ({"type": "slack", "url": "http://hooks.slack.com/services/x"}, "https://"),
        (
            {"type": "zendesk", "url": "https://x.zendesk.com/api/v2/tickets", "email": "a@b.fi"},
            "api_token is required",
        ),
        ({"type": "email", "to": "team"}, "e-mail address"),
        ({"type": "email", "to": "t@x.fi", "segments": ["late"]}, "unknown segment 'late'"),
        ({"type": "email", "to": "t@x.fi", "countries": ["DK"]}, "unknown country 'DK'"),
        ({"type": "email", "to": "t@x.fi", "url": "https://x"}, "unknown key 'url'"),
        ({"type": "pager"}, "type is one of"),
    ],
)
def test_invalid_reminder_hooks_stop_start_up(hook: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match="KASSA_REMINDER_HOOKS") as caught:
        load_config(base_config(KASSA_REMINDER_HOOKS=[hook]))
    assert message in str(caught.value)
    assert "slack.com/services/x" not in str(caught.value)


@pytest.mark.parametrize(
    ("country", "locale", "label"),
    [("FI", "sv", "Referensnummer"), ("SE", "sv", "OCR-nummer"), ("NO", "fi", "KID-viite"),
     ("FI", "en", "Reference number")],
)
def test_the_team_reads_the_reference_named_as_the_invoice_country_names_it(
        country: str, locale: str, label: str) -> None:
    sent: list[EmailMessage] = []
    send_hook(HookTarget(type="email", to="team@shop.example"), payload(country=country),
              message_id="m", now=NOW, smtp_send=sent.append, locale=locale)
    assert f"{label}: 1 00013" in sent[0].get_content()
