"""Helpers for "pay now" tests: a Flask app served on loopback, signed Stripe events.

:class:`LiveApp` serves a Kassa app with werkzeug in a thread on ``127.0.0.1`` and a free
port (what localstripe's webhooks and the browser talk to). :func:`stripe_event` builds a
Stripe event payload and :func:`signed_headers` signs it as Stripe does
(``t=<unix>,v1=<hex HMAC-SHA256 of "t.body" keyed with the whsec_ secret as written>``).
:func:`paid_intent` makes a PaymentIntent in localstripe and pays it with a test card, so
that the webhook's re-read finds it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from kassa import get_state
from kassa.db import Invoice
from tests.localstripe_server import LocalStripe

WEBHOOK_SECRET = "whsec_kassa_test_secret"
WEBHOOK_PATH = "/kassa/pay/stripe/webhook"
#: localstripe's test cards: one that pays, one that is declined.
CARD_PAYS = "4242424242424242"
CARD_DECLINED = "4000000000000341"  # attaches, then the charge is declined


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        pass


class LiveApp:
    """A Flask app served in a thread on 127.0.0.1; use as a context manager."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LiveApp:
        self._server = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler
        )
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None, "enter the context first"
        return f"http://127.0.0.1:{self._server.server_port}"


def stripe_event(
    event_type: str, obj: dict[str, Any], *, event_id: str | None = None, created: int | None = None
) -> bytes:
    """The JSON body of a Stripe event carrying ``obj``."""
    return json.dumps(
        {
            "id": event_id or f"evt_test_{secrets.token_hex(8)}",
            "object": "event",
            "api_version": "2024-06-20",
            "created": created or int(time.time()),
            "livemode": False,
            "type": event_type,
            "data": {"object": obj},
        }
    ).encode()


def signed_headers(
    payload: bytes, secret: str = WEBHOOK_SECRET, *, timestamp: int | None = None
) -> dict[str, str]:
    """The headers Stripe sends with ``payload``, signed with ``secret`` at ``timestamp``."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(
        secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return {"Stripe-Signature": f"t={stamp},v1={signature}", "Content-Type": "application/json"}


def intent_object(
    intent_id: str,
    invoice: Invoice,
    amount: int,
    *,
    status: str = "succeeded",
    currency: str | None = None,
) -> dict[str, Any]:
    """A PaymentIntent as a webhook carries it."""
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": (currency or invoice.currency).lower(),
        "status": status,
        "metadata": {"invoice_id": str(invoice.id), "invoice_number": invoice.number},
        "last_payment_error": (
            {"code": "card_declined", "decline_code": "generic_decline"}
            if status == "requires_payment_method"
            else None
        ),
    }


def paid_intent(
    localstripe: LocalStripe,
    invoice: Invoice | None,
    amount: int,
    *,
    currency: str | None = None,
    card: str = CARD_PAYS,
) -> dict[str, Any]:
    """A PaymentIntent made in localstripe for ``invoice`` with the metadata Kassa gives its
    own (none for ``invoice=None``: the shop's own intent) and paid with the test ``card``;
    returned as Stripe has it afterwards: ``succeeded``, or ``requires_payment_method`` with
    a ``last_payment_error`` when the card was declined."""
    params: dict[str, Any] = {
        "amount": amount,
        "currency": (currency or (invoice.currency if invoice else "EUR")).lower(),
        "payment_method_types[0]": "card",
    }
    if invoice is not None:
        params["metadata[invoice_id]"] = str(invoice.id)
        params["metadata[invoice_number]"] = invoice.number
    intent_id = localstripe.api("POST", "/v1/payment_intents", **params)["id"]
    token = localstripe.api(
        "POST",
        "/v1/tokens",
        **{"card[number]": card, "card[exp_month]": "12", "card[exp_year]": "2030",
           "card[cvc]": "123"},
    )
    localstripe.api("POST", f"/v1/payment_intents/{intent_id}", payment_method=token["card"]["id"])
    # Not localstripe.api: a declined card is answered 402, and that is the point of it.
    requests.post(
        f"{localstripe.url}/v1/payment_intents/{intent_id}/confirm",
        auth=(localstripe.secret_key, ""),
        timeout=10,
    )
    return localstripe.api("GET", f"/v1/payment_intents/{intent_id}")  # type: ignore[no-any-return]


def load_invoice(app: Flask, invoice_id: int) -> Invoice:
    """The invoice as the database has it now, with its events and payments loaded."""
    with get_state(app).db.session() as session:
        invoice = session.get_one(Invoice, invoice_id)
        _ = list(invoice.events), list(invoice.payments)
        session.expunge_all()
        return invoice


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.1) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
