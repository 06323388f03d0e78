"""Stripe's webhook: verified over the raw body, handled once per event id, re-fetched.

:func:`verify_stripe_event` checks the ``Stripe-Signature`` header over the raw request
body (HMAC-SHA256 keyed with the ``whsec_...`` secret as written; any matching ``v1``
passes; a timestamp more than 300 s old, or more than 300 s ahead of this server's clock,
is refused). :func:`process_stripe_event` then handles a verified event exactly once: the
:class:`ProcessedWebhook` row that marks the event id as seen is inserted in the same
transaction as the booking it causes, so a redelivered or concurrent duplicate changes
nothing.

Events are hints: for ``payment_intent.*`` the intent is re-read from Stripe with Kassa's own
key, and what Stripe answers decides:

- the intent: it is used instead of the event's copy;
- no such intent (404): nothing is booked or noted, and the event is not recorded as
  processed (outcome ``missing``, answered 200, see :func:`process_stripe_event`);
- no answer (no connection, a timeout, a 5xx on Stripe's side): the signed event's copy is
  used, since the signature proves Stripe sent it;
- a refusal (the key, a permission, the rate limit) or no key configured:
  :class:`~kassa.payments.gateway.PaymentUnavailable` is raised, nothing is written, and
  Stripe, answered 503, sends the event again later.

- ``payment_intent.succeeded``: books ``amount_received`` on the intent's invoice through
  :func:`kassa.services.payments.record_payment` (idempotent on the intent id) and marks the
  attempt ``succeeded``.
- ``payment_intent.payment_failed``: appends ``payment_failed`` to the invoice's trail and
  updates the attempt; the shopper can try again from the same page.
- anything else: recorded as processed and ignored.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import KassaError
from ..db.models import InvoiceEvent, PaymentAttempt, ProcessedWebhook, utcnow
from ..services.payments import PaymentError, claim_once
from ..state import KassaState
from .gateway import (
    IntentMissing,
    PaymentUnavailable,
    book_intent,
    intent_field,
    invoice_for_intent,
    retrieve_intent,
)

__all__ = [
    "HANDLED_EVENTS",
    "PROVIDER",
    "TOLERANCE_SECONDS",
    "WebhookOutcome",
    "WebhookSignatureError",
    "process_stripe_event",
    "verify_stripe_event",
]

logger = logging.getLogger(__name__)

#: ``ProcessedWebhook.provider`` of Stripe's events.
PROVIDER = "stripe"
#: How old a signed timestamp may be (Stripe's own default), and how far ahead of this
#: server's clock.
TOLERANCE_SECONDS = 300
#: Event types Kassa acts on; others are acknowledged and ignored.
HANDLED_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed")


class WebhookSignatureError(KassaError):
    """A webhook request whose signature, timestamp or body does not check out."""

    code = "webhook.signature"


@dataclass(frozen=True)
class WebhookOutcome:
    """What handling one event did."""

    #: ``processed``, ``duplicate`` (this event id was handled before), ``ignored`` (not an
    #: event or an intent of Kassa's), ``rejected`` (money that cannot be booked) or
    #: ``missing`` (Stripe says the event's PaymentIntent does not exist; not recorded).
    status: str
    #: The event's id and type.
    event_id: str
    event_type: str
    #: The invoice concerned, when there is one.
    invoice_id: int | None = None
    #: For ``succeeded``: whether this event booked a new payment.
    booked: bool = False

    def as_json(self) -> dict[str, Any]:
        """The JSON answer to Stripe."""
        body: dict[str, Any] = {
            "status": self.status,
            "event": self.event_id,
            "type": self.event_type,
        }
        if self.invoice_id is not None:
            body["booked"] = self.booked
        return body


def verify_stripe_event(payload: bytes, signature: str | None, secret: str) -> Any:
    """The event in ``payload`` (the raw request body) if ``signature`` (the
    ``Stripe-Signature`` header) proves Stripe sent it, signed at most
    :data:`TOLERANCE_SECONDS` before or after this server's clock says now.

    :raises WebhookSignatureError: anything else; the message says what failed.
    """
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as exc:
        raise WebhookSignatureError(
            f"The Stripe-Signature header does not verify: {exc.user_message or 'no detail'}"
        ) from None
    except ValueError:  # not UTF-8 or not JSON, though correctly signed
        raise WebhookSignatureError("The webhook body is not a JSON event.") from None
    # Stripe's check refuses only old timestamps. One far ahead would stay "fresh" until
    # its time came, so a signed request captured now could be replayed for that long.
    signed_at = _signed_at(signature or "")
    clock = int(time.time())
    if signed_at is None:  # construct_event read one; kept for a header it might not need
        raise WebhookSignatureError("The Stripe-Signature header has no timestamp (t=).")
    if signed_at > clock + TOLERANCE_SECONDS:
        raise WebhookSignatureError(
            f"The Stripe-Signature timestamp is {signed_at - clock} s ahead of this server's "
            f"clock, more than the {TOLERANCE_SECONDS} s allowed: check the server's clock."
        )
    return event


def _signed_at(signature: str) -> int | None:
    """The timestamp of a ``Stripe-Signature`` header (Unix seconds), read as stripe-python
    reads it (the first ``t=``), or None."""
    for item in signature.split(","):
        name, _, value = item.partition("=")
        if name == "t":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def process_stripe_event(state: KassaState, event: Any) -> WebhookOutcome:
    """Handle a verified Stripe event once, in transactions of its own.

    An event whose PaymentIntent Stripe says does not exist books nothing and is not
    recorded as processed: outcome ``missing``. Nothing was done that a redelivery could
    repeat, so there is nothing to guard against; and if the 404 came from a wrong key (an
    account or mode other than the one that sent the event), a resend after the fix is
    re-read afresh and books, instead of being taken for a duplicate.

    :raises PaymentUnavailable: Stripe refused to re-read the intent (not a missing one) or
        no key is configured; nothing is committed, and Stripe, answered 503, sends the
        event again later.
    Raises otherwise only for errors worth a retry (the database is down): then nothing is
    committed, Stripe gets a 5xx and sends the event again.
    """
    event_id = str(intent_field(event, "id"))
    event_type = str(intent_field(event, "type"))
    with state.db.session() as db:
        if _seen(db, event_id):
            return WebhookOutcome("duplicate", event_id, event_type)

    intent = intent_field(intent_field(event, "data"), "object")
    if event_type in HANDLED_EVENTS and intent_field(intent, "id"):
        intent_id = str(intent_field(intent, "id"))
        try:  # re-read before writing anything: no transaction waits on the network
            intent = retrieve_intent(state, intent_id)
        except IntentMissing:
            logger.warning(
                "Stripe event %s (%s): Stripe has no PaymentIntent %s; nothing booked",
                event_id,
                event_type,
                intent_id,
            )
            return WebhookOutcome("missing", event_id, event_type)
        except PaymentUnavailable as exc:
            if not exc.unreachable:
                raise  # Stripe said no to Kassa's own request: the event waits for a retry
            logger.info("Stripe event %s: Stripe not reachable, using the signed copy", event_id)

    with state.db.session() as db:
        if not claim_once(
            db, ProcessedWebhook, provider=PROVIDER, event_id=event_id, processed_at=utcnow()
        ):
            return WebhookOutcome("duplicate", event_id, event_type)
        if event_type == "payment_intent.succeeded":
            return _succeeded(
                state, db, event_id, event_type, intent, _day_of(intent_field(event, "created"))
            )
        if event_type == "payment_intent.payment_failed":
            return _failed(db, event_id, event_type, intent)
        return WebhookOutcome("ignored", event_id, event_type)


def _seen(db: Session, event_id: str) -> bool:
    return (
        db.scalar(
            select(ProcessedWebhook.id).where(
                ProcessedWebhook.provider == PROVIDER, ProcessedWebhook.event_id == event_id
            )
        )
        is not None
    )


def _succeeded(
    state: KassaState, db: Session, event_id: str, event_type: str, intent: Any, received_on: date
) -> WebhookOutcome:
    if intent_field(intent, "status") != "succeeded":
        # Stripe says otherwise now (the event's copy was stale): nothing to book.
        return WebhookOutcome("ignored", event_id, event_type)
    invoice = invoice_for_intent(db, intent)
    if invoice is None:
        return WebhookOutcome("ignored", event_id, event_type)
    try:
        _, payment = book_intent(state, db, intent, received_on=received_on)
    except PaymentError as exc:
        logger.warning(
            "Stripe payment %s not booked on invoice %s: %s",
            intent_field(intent, "id"),
            invoice.number,
            exc.message,
        )
        db.add(
            InvoiceEvent(
                invoice_id=invoice.id,
                kind="payment_rejected",
                data={
                    "source": PROVIDER,
                    "external_id": intent_field(intent, "id"),
                    "code": exc.code,
                    "amount": intent_field(intent, "amount_received")
                    or intent_field(intent, "amount"),
                    "currency": str(intent_field(intent, "currency", "")).upper(),
                },
            )
        )
        return WebhookOutcome("rejected", event_id, event_type, invoice.id)
    return WebhookOutcome("processed", event_id, event_type, invoice.id, payment is not None)


def _failed(db: Session, event_id: str, event_type: str, intent: Any) -> WebhookOutcome:
    invoice = invoice_for_intent(db, intent)
    if invoice is None:
        return WebhookOutcome("ignored", event_id, event_type)
    intent_id = intent_field(intent, "id")
    error = intent_field(intent, "last_payment_error")
    db.add(
        InvoiceEvent(
            invoice_id=invoice.id,
            kind="payment_failed",
            data={
                "source": PROVIDER,
                "external_id": intent_id,
                "code": intent_field(error, "decline_code") or intent_field(error, "code"),
            },
        )
    )
    attempt = db.scalar(select(PaymentAttempt).where(PaymentAttempt.intent_id == intent_id))
    if attempt is not None and attempt.status != "succeeded":
        attempt.status = str(intent_field(intent, "status") or "requires_payment_method")
    return WebhookOutcome("processed", event_id, event_type, invoice.id)


def _day_of(created: Any) -> date:
    try:
        return datetime.fromtimestamp(int(created), UTC).date()
    except (TypeError, ValueError, OverflowError):
        return date.today()
