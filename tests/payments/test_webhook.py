"""Stripe's webhook: verified over the raw body, booked once, through localstripe too."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_wtf import CSRFProtect
from sqlalchemy import func, select

from kassa import Kassa, get_state
from kassa.db import Invoice, Payment, PaymentAttempt, ProcessedWebhook
from kassa.payments.gateway import create_payment_intent
from tests.conftest import base_config
from tests.factories import make_invoice
from tests.http_receiver import HttpReceiver, Reply
from tests.localstripe_server import LocalStripe
from tests.payments.support import (
    CARD_DECLINED,
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    LiveApp,
    intent_object,
    load_invoice,
    paid_intent,
    signed_headers,
    stripe_event,
    wait_for,
)


def _count(app: Flask, model: type) -> int:
    with get_state(app).db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _post(app: Flask, payload: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return app.test_client().post(WEBHOOK_PATH, data=payload, headers=headers)


def _succeeded(
    app: Flask, invoice_id: int, amount: int, intent_id: str = "pi_test_1", **kw: object
) -> bytes:
    """A succeeded event about an intent that exists only in the event (not in Stripe)."""
    invoice = load_invoice(app, invoice_id)
    return stripe_event("payment_intent.succeeded", intent_object(intent_id, invoice, amount), **kw)  # type: ignore[arg-type]


def _paid(
    app: Flask, localstripe: LocalStripe, invoice_id: int, amount: int, **kw: object
) -> tuple[str, bytes]:
    """The id of an intent paid in localstripe for the invoice, and its succeeded event."""
    intent = paid_intent(localstripe, load_invoice(app, invoice_id), amount)
    assert intent["status"] == "succeeded"
    return intent["id"], stripe_event("payment_intent.succeeded", intent, **kw)  # type: ignore[arg-type]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


@pytest.fixture
def stand_in() -> Iterator[HttpReceiver]:
    """A local HTTP receiver standing in for Stripe's API, answering as each test programs."""
    with HttpReceiver() as receiver:
        yield receiver


def _app_asking(make_app: Callable[..., Flask], db_url: str, api_base: str) -> Flask:
    """An app whose Stripe API is at ``api_base`` (not localstripe)."""
    return make_app(
        db_url,
        KASSA_STRIPE_SECRET_KEY="sk_test_kassa_stand_in",
        KASSA_STRIPE_API_BASE=api_base,
        KASSA_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )


def test_a_signed_succeeded_event_pays_the_invoice(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    intent_id, payload = _paid(stripe_app, localstripe, invoice_id, 12990)
    response = _post(stripe_app, payload, signed_headers(payload))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "processed" and response.get_json()["booked"]
    invoice = load_invoice(stripe_app, invoice_id)
    assert invoice.status == "paid" and invoice.balance_minor == 0
    assert "paid" in [e.kind for e in invoice.events]
    assert [(p.source, p.external_id, p.amount_minor) for p in invoice.payments] == [
        ("stripe", intent_id, 12990)
    ]


def test_the_same_event_again_books_nothing(stripe_app: Flask, localstripe: LocalStripe) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    intent = paid_intent(localstripe, load_invoice(stripe_app, invoice_id), 5000)
    payload = stripe_event("payment_intent.succeeded", intent, event_id="evt_once")
    assert _post(stripe_app, payload, signed_headers(payload)).get_json()["status"] == ("processed")
    again = _post(stripe_app, payload, signed_headers(payload))
    assert again.status_code == 200 and again.get_json() == {
        "status": "duplicate",
        "event": "evt_once",
        "type": "payment_intent.succeeded",
    }
    # another event about the same intent is not a second payment either
    other = stripe_event("payment_intent.succeeded", intent, event_id="evt_other")
    assert _post(stripe_app, other, signed_headers(other)).get_json()["booked"] is False
    invoice = load_invoice(stripe_app, invoice_id)
    assert invoice.paid_minor == 5000 and len(invoice.payments) == 1
    assert _count(stripe_app, ProcessedWebhook) == 2


def test_a_wrong_signature_is_refused_and_changes_nothing(stripe_app: Flask) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    payload = _succeeded(stripe_app, invoice_id, 12990)
    tampered = payload.replace(b'"amount": 12990', b'"amount": 99999')
    assert tampered != payload
    cases = [
        (payload, signed_headers(payload, "whsec_someone_else")),  # another secret
        (tampered, signed_headers(payload)),  # the body changed after signing
        (payload, {"Stripe-Signature": "garbage"}),
        (payload, {}),  # no signature at all
    ]
    for body, headers in cases:
        response = _post(stripe_app, body, headers)
        assert response.status_code == 400
        assert response.get_json()["code"] == "webhook.signature"
        assert response.get_json()["message"]
    invoice = load_invoice(stripe_app, invoice_id)
    assert invoice.status == "open" and invoice.paid_minor == 0 and invoice.payments == []
    assert _count(stripe_app, ProcessedWebhook) == 0


def test_an_old_timestamp_is_refused(stripe_app: Flask, localstripe: LocalStripe) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    _intent_id, payload = _paid(stripe_app, localstripe, invoice_id, 12990)
    old = int(time.time()) - 301
    response = _post(stripe_app, payload, signed_headers(payload, timestamp=old))
    assert response.status_code == 400 and response.get_json()["code"] == "webhook.signature"
    assert load_invoice(stripe_app, invoice_id).status == "open"
    # within the tolerance it passes
    fresh = _post(stripe_app, payload, signed_headers(payload, timestamp=int(time.time()) - 200))
    assert fresh.status_code == 200 and fresh.get_json()["booked"]
    assert load_invoice(stripe_app, invoice_id).status == "paid"


def test_a_timestamp_too_far_ahead_is_refused(stripe_app: Flask, localstripe: LocalStripe) -> None:
    # Stripe's own check lets any future timestamp through: a signed request captured now
    # would then pass until its time came. 360 s ahead: more than 300 however slow the test.
    invoice_id = make_invoice(stripe_app, amount=12990)
    _intent_id, payload = _paid(stripe_app, localstripe, invoice_id, 12990)
    ahead = int(time.time()) + 360
    response = _post(stripe_app, payload, signed_headers(payload, timestamp=ahead))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["code"] == "webhook.signature"
    assert "ahead of this server's clock" in response.get_json()["message"]
    invoice = load_invoice(stripe_app, invoice_id)
    assert invoice.status == "open" and invoice.paid_minor == 0 and invoice.payments == []
    assert _count(stripe_app, ProcessedWebhook) == 0
    # a clock a little behind Stripe's, within the tolerance, is fine
    near = _post(stripe_app, payload, signed_headers(payload, timestamp=int(time.time()) + 200))
    assert near.status_code == 200 and near.get_json()["booked"]
    assert load_invoice(stripe_app, invoice_id).status == "paid"


def test_an_event_about_an_intent_stripe_does_not_have_books_nothing(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    # Correctly signed, with Kassa's metadata, but Stripe answers 404 to the re-read: the
    # event's copy is not trusted then, for a payment or a failure alike.
    invoice_id = make_invoice(stripe_app, amount=12990)
    invoice = load_invoice(stripe_app, invoice_id)
    trail = [e.kind for e in invoice.events]
    events = [
        stripe_event(
            "payment_intent.succeeded",
            intent_object("pi_not_in_stripe", invoice, 12990),
            event_id="evt_missing",
        ),
        stripe_event(
            "payment_intent.payment_failed",
            intent_object("pi_not_failed", invoice, 12990, status="requires_payment_method"),
            event_id="evt_missing_failed",
        ),
    ]
    for payload in (*events, events[0]):  # the first one twice: Stripe may deliver it again
        response = _post(stripe_app, payload, signed_headers(payload))
        # 200, so that Stripe stops sending it (see the view); "missing", never "duplicate":
        # nothing was recorded as processed
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["status"] == "missing"
        assert "booked" not in response.get_json()
    invoice = load_invoice(stripe_app, invoice_id)
    assert invoice.status == "open" and invoice.paid_minor == 0 and invoice.payments == []
    assert [e.kind for e in invoice.events] == trail
    assert _count(stripe_app, ProcessedWebhook) == 0 and _count(stripe_app, Payment) == 0


@pytest.mark.parametrize(
    "stripe_answers",
    [
        "no connection",
        Reply(500, {"error": {"type": "api_error", "message": "An unknown error occurred"}}),
        Reply(503, b"Service Unavailable"),
    ],
    ids=["refused", "500", "503"],
)
def test_when_stripe_cannot_be_reached_the_signed_copy_is_booked(
    make_app: Callable[..., Flask], db_url: str, stand_in: HttpReceiver, stripe_answers: object
) -> None:
    if stripe_answers == "no connection":
        app = _app_asking(make_app, db_url, f"http://127.0.0.1:{_closed_port()}")
    else:
        stand_in.replies = [stripe_answers]  # type: ignore[list-item]
        app = _app_asking(make_app, db_url, stand_in.url("").rstrip("/"))
    invoice_id = make_invoice(app, amount=12990)
    payload = _succeeded(app, invoice_id, 12990, intent_id="pi_signed_copy")
    response = _post(app, payload, signed_headers(payload))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "processed" and response.get_json()["booked"]
    if stripe_answers != "no connection":
        assert [r.path for r in stand_in.requests] == ["/v1/payment_intents/pi_signed_copy"]
    invoice = load_invoice(app, invoice_id)
    assert invoice.status == "paid"
    assert [(p.external_id, p.amount_minor) for p in invoice.payments] == [
        ("pi_signed_copy", 12990)
    ]


@pytest.mark.parametrize(
    "refusal",
    [
        Reply(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}),
        Reply(429, {"error": {"type": "invalid_request_error", "message": "Too many requests"}}),
    ],
    ids=["401", "429"],
)
def test_when_stripe_refuses_to_answer_the_event_waits_for_stripes_retry(
    make_app: Callable[..., Flask], db_url: str, stand_in: HttpReceiver, refusal: Reply
) -> None:
    app = _app_asking(make_app, db_url, stand_in.url("").rstrip("/"))
    invoice_id = make_invoice(app, amount=12990)
    invoice = load_invoice(app, invoice_id)
    intent = intent_object("pi_asked_again", invoice, 12990)
    payload = stripe_event("payment_intent.succeeded", intent, event_id="evt_retried")
    # Stripe refuses Kassa's re-read first, then answers once the key (or rate) is fine.
    stand_in.replies = [refusal, Reply(200, intent)]
    refused = _post(app, payload, signed_headers(payload))
    assert refused.status_code == 503, refused.get_data(as_text=True)
    assert refused.get_json()["code"] == "payments.unavailable"
    assert load_invoice(app, invoice_id).payments == []
    assert _count(app, ProcessedWebhook) == 0  # so that Stripe's retry is not a duplicate
    retried = _post(app, payload, signed_headers(payload))
    assert retried.status_code == 200 and retried.get_json()["booked"]
    assert load_invoice(app, invoice_id).status == "paid"


def test_a_part_payment_leaves_the_right_balance(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    _intent_id, payload = _paid(stripe_app, localstripe, invoice_id, 4000)
    assert _post(stripe_app, payload, signed_headers(payload)).status_code == 200
    invoice = load_invoice(stripe_app, invoice_id)
    assert invoice.status == "partly_paid" and invoice.balance_minor == 8990
    assert invoice.events[-1].kind == "partly_paid"


def test_a_failed_payment_is_noted_on_the_trail(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    invoice = load_invoice(stripe_app, invoice_id)
    intent = paid_intent(localstripe, invoice, 12990, card=CARD_DECLINED)
    assert intent["status"] == "requires_payment_method"
    payload = stripe_event("payment_intent.payment_failed", intent)
    response = _post(stripe_app, payload, signed_headers(payload))
    assert response.status_code == 200 and response.get_json()["status"] == "processed"
    invoice = load_invoice(stripe_app, invoice_id)
    assert invoice.status == "open"
    failed = [e for e in invoice.events if e.kind == "payment_failed"]
    assert len(failed) == 1 and failed[0].data["external_id"] == intent["id"]
    assert failed[0].data["code"] == "card_declined"


def test_unknown_events_and_foreign_intents_are_acknowledged_and_ignored(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    payload = stripe_event(
        "customer.created", {"id": "cus_1", "object": "customer"}, event_id="evt_customer"
    )
    response = _post(stripe_app, payload, signed_headers(payload))
    assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    # the shop's own payment on the same Stripe account: no metadata of Kassa's
    foreign = stripe_event("payment_intent.succeeded", paid_intent(localstripe, None, 100))
    assert _post(stripe_app, foreign, signed_headers(foreign)).get_json()["status"] == ("ignored")
    assert _count(stripe_app, ProcessedWebhook) == 2  # both recorded as processed
    assert load_invoice(stripe_app, invoice_id).status == "open"


def test_money_in_another_currency_is_rejected_not_booked(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    invoice = load_invoice(stripe_app, invoice_id)
    payload = stripe_event(
        "payment_intent.succeeded", paid_intent(localstripe, invoice, 12990, currency="SEK")
    )
    response = _post(stripe_app, payload, signed_headers(payload))
    assert response.status_code == 200 and response.get_json()["status"] == "rejected"
    invoice = load_invoice(stripe_app, invoice_id)
    assert invoice.paid_minor == 0 and invoice.events[-1].kind == "payment_rejected"


def test_the_webhook_is_exempt_from_the_host_apps_csrf_protection(
    make_app: Callable[..., Flask], db_url: str, localstripe: LocalStripe, tmp_path: Path
) -> None:
    config = localstripe.config(KASSA_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    after = make_app(db_url, WTF_CSRF_ENABLED=True, **config)
    CSRFProtect(after)  # the host protects itself after setting up Kassa
    first = Flask("csrf_first", instance_path=str(tmp_path / "csrf_first"))
    first.config.update(base_config(db_url, WTF_CSRF_ENABLED=True, **config))
    CSRFProtect(first)  # ... or before
    Kassa(first)
    try:
        for app in (after, first):
            invoice_id = make_invoice(app, amount=12990, sequence=2001 if app is first else 1001)
            _intent_id, payload = _paid(app, localstripe, invoice_id, 12990)
            response = _post(app, payload, signed_headers(payload))
            assert response.status_code == 200, response.get_data(as_text=True)
            assert load_invoice(app, invoice_id).status == "paid"
            # the protection still holds for every other form
            refused = app.test_client().post("/kassa/pay/whatever/confirm")
            assert refused.status_code == 400 and b"CSRF" in refused.data
    finally:
        first.extensions["kassa"].db.dispose()


def test_localstripe_delivers_a_signed_event_that_pays_the_invoice(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    state = get_state(stripe_app)
    with state.db.session() as session:
        attempt = create_payment_intent(state, session, session.get_one(Invoice, invoice_id))
    with LiveApp(stripe_app) as live:
        localstripe.register_webhook(live.url + WEBHOOK_PATH, WEBHOOK_SECRET)
        token = localstripe.api(
            "POST",
            "/v1/tokens",
            **{
                "card[number]": "4242424242424242",
                "card[exp_month]": "12",
                "card[exp_year]": "2030",
                "card[cvc]": "123",
            },
        )
        localstripe.api(
            "POST", f"/v1/payment_intents/{attempt.intent_id}", payment_method=token["card"]["id"]
        )
        confirmed = localstripe.api("POST", f"/v1/payment_intents/{attempt.intent_id}/confirm")
        assert confirmed["status"] == "succeeded"
        paid = wait_for(lambda: load_invoice(stripe_app, invoice_id).status == "paid", 10)
        assert paid, localstripe.log()[-2000:]
    invoice = load_invoice(stripe_app, invoice_id)
    assert [(p.source, p.external_id) for p in invoice.payments] == [("stripe", attempt.intent_id)]
    with state.db.session() as session:
        assert (
            session.scalar(select(PaymentAttempt.status).where(PaymentAttempt.id == attempt.id))
            == "succeeded"
        )
    assert _count(stripe_app, Payment) == 1
