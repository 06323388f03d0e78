"""create_payment_intent against localstripe: one intent per attempt, nothing half-made."""

from __future__ import annotations

import dataclasses
import socket
from typing import Any

import pytest
import stripe
from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.db import Invoice, PaymentAttempt
from kassa.payments.gateway import (
    PaymentUnavailable,
    create_payment_intent,
    idempotency_key,
    payment_method_types,
)
from kassa.state import KassaState
from tests.factories import make_invoice
from tests.localstripe_server import LocalStripe
from tests.payments.support import load_invoice


class RecordingClient(stripe.RequestsClient):
    """Stripe's own HTTP client, noting each request's method, path and headers."""

    def __init__(self) -> None:
        super().__init__(timeout=10)
        self.calls: list[tuple[str, str, dict[str, str]]] = []

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        self.calls.append((method.upper(), url, dict(headers or {})))
        return super().request(method, url, headers, post_data)


def _state_with(app: Flask, base: str, http_client: Any = None) -> KassaState:
    client = stripe.StripeClient(
        get_state(app).config.stripe_secret_key or "",
        base_addresses={"api": base},
        max_network_retries=0,
        http_client=http_client,
    )
    return dataclasses.replace(get_state(app), stripe=client)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


def _create(app: Flask, state: KassaState, invoice_id: int) -> PaymentAttempt:
    with state.db.session() as session:
        invoice = session.get_one(Invoice, invoice_id)
        return create_payment_intent(state, session, invoice)


def _attempts(app: Flask, invoice_id: int) -> list[PaymentAttempt]:
    with get_state(app).db.session() as session:
        return list(
            session.scalars(
                select(PaymentAttempt)
                .where(PaymentAttempt.invoice_id == invoice_id)
                .order_by(PaymentAttempt.attempt_no)
            )
        )


def test_the_intent_asks_for_the_balance_with_the_invoice_in_its_metadata(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    recorder = RecordingClient()
    attempt = _create(stripe_app, _state_with(stripe_app, localstripe.url, recorder), invoice_id)
    intent = localstripe.api("GET", f"/v1/payment_intents/{attempt.intent_id}")
    invoice = load_invoice(stripe_app, invoice_id)
    assert intent["amount"] == 12990 and intent["currency"] == "eur"
    assert intent["metadata"] == {"invoice_id": str(invoice_id), "invoice_number": invoice.number}
    assert attempt.client_secret == intent["client_secret"]  # type: ignore[attr-defined]
    assert (attempt.attempt_no, attempt.amount_minor, attempt.currency, attempt.status) == (
        1,
        12990,
        "EUR",
        "requires_payment_method",
    )
    method, url, headers = recorder.calls[0]
    assert (method, url.split("?")[0]) == ("POST", f"{localstripe.url}/v1/payment_intents")
    assert headers["Idempotency-Key"] == f"kassa-invoice-{invoice_id}-attempt-1"
    config = get_state(stripe_app).config
    assert payment_method_types(config, "FI") == ["card", "mobilepay"]
    assert payment_method_types(config, "NO") == ["card"]


def test_creating_twice_gives_one_intent(stripe_app: Flask, localstripe: LocalStripe) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    state = get_state(stripe_app)
    first = _create(stripe_app, state, invoice_id)
    second = _create(stripe_app, state, invoice_id)
    assert first.intent_id == second.intent_id
    assert first.client_secret == second.client_secret  # type: ignore[attr-defined]
    assert len(_attempts(stripe_app, invoice_id)) == 1
    assert len(localstripe.api("GET", "/v1/payment_intents")["data"]) == 1


def test_a_retry_after_a_lost_answer_sends_the_same_idempotency_key(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    # Stripe answered, but the transaction that would record the attempt rolled back (a
    # crash, a lost connection): the next try must reuse the key so Stripe replays that
    # intent instead of creating another.
    invoice_id = make_invoice(stripe_app, amount=12990)
    recorder = RecordingClient()
    state = _state_with(stripe_app, localstripe.url, recorder)
    session = state.db.sessionmaker()
    try:
        create_payment_intent(state, session, session.get_one(Invoice, invoice_id))
        session.rollback()
    finally:
        session.close()
    assert _attempts(stripe_app, invoice_id) == []
    attempt = _create(stripe_app, state, invoice_id)
    keys = [headers["Idempotency-Key"] for method, _, headers in recorder.calls if method == "POST"]
    assert keys == [idempotency_key(invoice_id, 1)] * 2
    assert attempt.attempt_no == 1


def test_a_changed_balance_cancels_the_old_intent_and_makes_a_new_attempt(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    state = get_state(stripe_app)
    first = _create(stripe_app, state, invoice_id)
    with state.db.session() as session:
        session.get_one(Invoice, invoice_id).paid_minor = 2990  # e.g. a bank part payment
    second = _create(stripe_app, state, invoice_id)
    assert second.attempt_no == 2 and second.amount_minor == 10000
    assert second.intent_id != first.intent_id
    assert localstripe.api("GET", f"/v1/payment_intents/{first.intent_id}")["status"] == (
        "canceled"
    )
    assert [a.status for a in _attempts(stripe_app, invoice_id)] == [
        "canceled",
        "requires_payment_method",
    ]


def test_unreachable_stripe_writes_nothing_and_a_later_try_works(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    down = _state_with(stripe_app, f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(PaymentUnavailable) as raised:
        _create(stripe_app, down, invoice_id)
    assert raised.value.code == "payments.unavailable"
    assert _attempts(stripe_app, invoice_id) == []
    attempt = _create(stripe_app, get_state(stripe_app), invoice_id)
    assert attempt.attempt_no == 1 and attempt.intent_id


def test_stripe_refusing_the_key_is_unavailable_too(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    state = get_state(stripe_app)
    refused = dataclasses.replace(
        state,
        stripe=stripe.StripeClient(
            "not_a_secret_key", base_addresses={"api": localstripe.url}, max_network_retries=0
        ),
    )
    with pytest.raises(PaymentUnavailable):
        _create(stripe_app, refused, invoice_id)
    assert _attempts(stripe_app, invoice_id) == []


def test_a_paid_intent_whose_webhook_is_late_is_booked_not_paid_twice(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    state = get_state(stripe_app)
    first = _create(stripe_app, state, invoice_id)
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
        "POST", f"/v1/payment_intents/{first.intent_id}", payment_method=token["card"]["id"]
    )
    localstripe.api("POST", f"/v1/payment_intents/{first.intent_id}/confirm")
    with state.db.session() as session:  # as the stand-in confirmation records it
        session.get_one(PaymentAttempt, first.id).status = "succeeded"
    again = _create(stripe_app, state, invoice_id)  # the shopper reloads the pay page
    assert again.intent_id == first.intent_id
    invoice = load_invoice(stripe_app, invoice_id)
    assert invoice.status == "paid"
    assert [(p.source, p.external_id) for p in invoice.payments] == [("stripe", first.intent_id)]
    assert len(localstripe.api("GET", "/v1/payment_intents")["data"]) == 1
