"""Stripe's webhook: verified over the raw body, booked once, through localstripe too."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask_wtf import CSRFProtect
from sqlalchemy import func, select

from kassa import Kassa, get_state
from kassa.db import Invoice, Payment, PaymentAttempt, ProcessedWebhook
from kassa.payments.gateway import create_payment_intent
from tests.conftest import base_config
from tests.factories import make_invoice
from tests.localstripe_server import LocalStripe
from tests.payments.support import (
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    LiveApp,
    intent_object,
    load_invoice,
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
    invoice = load_invoice(app, invoice_id)
    return stripe_event("payment_intent.succeeded", intent_object(intent_id, invoice, amount), **kw)  # type: ignore[arg-type]


def test_a_signed_succeeded_event_pays_the_invoice(stripe_app: Flask) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    payload = _succeeded(stripe_app, invoice_id, 12990)
    response = _post(stripe_app, payload, signed_headers(payload))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "processed" and response.get_json()["booked"]
    invoice = load_invoice(stripe_app, invoice_id)
    assert invoice.status == "paid" and invoice.balance_minor == 0
    assert "paid" in [e.kind for e in invoice.events]
    assert [(p.source, p.external_id, p.amount_minor) for p in invoice.payments] == [
        ("stripe", "pi_test_1", 12990)
    ]


def test_the_same_event_again_books_nothing(stripe_app: Flask) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    payload = _succeeded(stripe_app, invoice_id, 5000, event_id="evt_once")
    assert _post(stripe_app, payload, signed_headers(payload)).get_json()["status"] == ("processed")
    again = _post(stripe_app, payload, signed_headers(payload))
    assert again.status_code == 200 and again.get_json() == {
        "status": "duplicate",
        "event": "evt_once",
        "type": "payment_intent.succeeded",
    }
    # another event about the same intent is not a second payment either
    other = _succeeded(stripe_app, invoice_id, 5000, event_id="evt_other")
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


def test_an_old_timestamp_is_refused(stripe_app: Flask) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    payload = _succeeded(stripe_app, invoice_id, 12990)
    old = int(time.time()) - 301
    response = _post(stripe_app, payload, signed_headers(payload, timestamp=old))
    assert response.status_code == 400 and response.get_json()["code"] == "webhook.signature"
    assert load_invoice(stripe_app, invoice_id).status == "open"
    # within the tolerance it passes
    fresh = _post(stripe_app, payload, signed_headers(payload, timestamp=int(time.time()) - 200))
    assert fresh.status_code == 200


def test_a_part_payment_leaves_the_right_balance(stripe_app: Flask) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    payload = _succeeded(stripe_app, invoice_id, 4000)
    assert _post(stripe_app, payload, signed_headers(payload)).status_code == 200
    invoice = load_invoice(stripe_app, invoice_id)
    assert invoice.status == "partly_paid" and invoice.balance_minor == 8990
    assert invoice.events[-1].kind == "partly_paid"


def test_a_failed_payment_is_noted_on_the_trail(stripe_app: Flask) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    invoice = load_invoice(stripe_app, invoice_id)
    payload = stripe_event(
        "payment_intent.payment_failed",
        intent_object("pi_test_failed", invoice, 12990, status="requires_payment_method"),
    )
    response = _post(stripe_app, payload, signed_headers(payload))
    assert response.status_code == 200 and response.get_json()["status"] == "processed"
    invoice = load_invoice(stripe_app, invoice_id)
    assert invoice.status == "open"
    failed = [e for e in invoice.events if e.kind == "payment_failed"]
    assert len(failed) == 1 and failed[0].data["external_id"] == "pi_test_failed"
    assert failed[0].data["code"] == "generic_decline"


def test_unknown_events_and_foreign_intents_are_acknowledged_and_ignored(stripe_app: Flask) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    payload = stripe_event(
        "customer.created", {"id": "cus_1", "object": "customer"}, event_id="evt_customer"
    )
    response = _post(stripe_app, payload, signed_headers(payload))
    assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    foreign = stripe_event(
        "payment_intent.succeeded",
        {
            "id": "pi_shop",
            "object": "payment_intent",
            "amount": 100,
            "amount_received": 100,
            "currency": "eur",
            "status": "succeeded",
            "metadata": {},
        },
    )
    assert _post(stripe_app, foreign, signed_headers(foreign)).get_json()["status"] == ("ignored")
    assert _count(stripe_app, ProcessedWebhook) == 2  # both recorded as processed
    assert load_invoice(stripe_app, invoice_id).status == "open"


def test_money_in_another_currency_is_rejected_not_booked(stripe_app: Flask) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    invoice = load_invoice(stripe_app, invoice_id)
    payload = stripe_event(
        "payment_intent.succeeded", intent_object("pi_sek", invoice, 12990, currency="SEK")
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
            payload = _succeeded(app, invoice_id, 12990, intent_id=f"pi_{app.name}")
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
