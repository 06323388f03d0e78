"""Stripe, as "pay now" needs it: one PaymentIntent per attempt to pay an invoice.

Every call goes through the app's own :class:`stripe.StripeClient` (``KassaState.stripe``);
nothing sets ``stripe.api_key``. A Stripe that cannot be reached, refuses the key or answers
with an error becomes :class:`PaymentUnavailable` (``payments.unavailable``), which the pages
turn into a kind message with the bank transfer details. Its ``unreachable`` flag tells the
webhook whether Stripe said nothing (no connection, a timeout, a 5xx) or refused the request;
an intent Stripe says it does not have is :class:`IntentMissing`.

**Attempts and idempotency.** Attempt ``n`` of invoice ``i`` creates its intent with the
idempotency key ``kassa-invoice-{i}-attempt-{n}``, and the :class:`PaymentAttempt` row is
written only after Stripe answered. So a failed call leaves nothing behind, and the next try
uses the same number and key: if Stripe did create the intent before the connection broke,
it replays that intent instead of making a second one. An unfinished attempt for the same
amount is reused (re-read from Stripe, which also gives its ``client_secret``; the secret is
never stored); one for another amount (the balance changed) is cancelled first, so the
shopper can never pay both.

**Payment methods.** The intent allows the country's ``KASSA_STRIPE_PAYMENT_METHODS``
(``payment_method_types``; never ``automatic_payment_methods``, which localstripe rejects).
localstripe accepts and ignores the list, so tests send the same request as production.
The page itself offers a card Element; wallets (MobilePay, Swish) need Stripe's Payment
Element, not built yet.

**Stand-in Stripe.** When ``KASSA_STRIPE_API_BASE`` is set, Kassa talks to a stand-in
(localstripe in tests). Its fake Stripe.js cannot confirm an intent with a card Element, so
the page makes a card token there and :func:`confirm_on_stand_in` attaches it and confirms
on the server; 3-D Secure then runs through ``stripe.confirmCardPayment`` as usual. Against
Stripe itself the browser confirms with ``stripe.confirmCardPayment(client_secret, ...)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

import stripe
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..config import KassaConfig
from ..core.errors import KassaError
from ..db.models import Invoice, Payment, PaymentAttempt
from ..services.payments import (
    PaymentError,
    insert_or_ignore,
    record_payment,
    select_payment,
)
from ..state import KassaState

__all__ = [
    "CardDeclined",
    "IntentMissing",
    "OPEN_INTENT_STATUSES",
    "PaymentUnavailable",
    "UNFINISHED_STATUSES",
    "book_intent",
    "confirm_on_stand_in",
    "create_payment_intent",
    "idempotency_key",
    "intent_field",
    "invoice_for_intent",
    "latest_attempt",
    "payment_method_types",
    "retrieve_intent",
    "uses_stand_in",
]

logger = logging.getLogger(__name__)

#: Intent statuses in which the shopper can still pay it.
OPEN_INTENT_STATUSES = ("requires_payment_method", "requires_confirmation", "requires_action")
#: Attempt statuses that are not final: the intent may still be paid (or is being paid).
UNFINISHED_STATUSES = ("created", *OPEN_INTENT_STATUSES, "processing")
#: How many attempt numbers to try when Stripe refuses a key used before with other values.
_KEY_TRIES = 5

_T = TypeVar("_T")


class PaymentUnavailable(KassaError):
    """Stripe cannot be used right now (unreachable, not configured or answering with an
    error). Nothing was written that would block a later try."""

    code = "payments.unavailable"

    def __init__(self, message: str, *, unreachable: bool = False, code: str | None = None,
                 **params: Any) -> None:
        super().__init__(message, code=code, **params)
        #: True when Stripe's answer is unknown: no connection, a timeout or an error on
        #: Stripe's side (5xx). False when Stripe refused the request (a 4xx: the key, a
        #: permission, the rate limit) or Kassa has no key to ask with.
        self.unreachable = unreachable


class IntentMissing(PaymentUnavailable):
    """Stripe answered that the PaymentIntent does not exist (HTTP 404, ``resource_missing``).

    A :class:`PaymentUnavailable` to the pages, which show the bank details as for any Stripe
    trouble; the webhook tells it apart, since an event about an intent Stripe does not have
    must book nothing.
    """

    code = "payments.intent_missing"


class CardDeclined(KassaError):
    """The card was declined or could not be charged; ``message`` is Stripe's, in English."""

    code = "payments.declined"


def uses_stand_in(config: KassaConfig) -> bool:
    """Whether Kassa talks to a stand-in for Stripe (``KASSA_STRIPE_API_BASE`` is set)."""
    return bool(config.stripe_api_base)


def payment_method_types(config: KassaConfig, country: str) -> list[str]:
    """The Stripe payment method types "pay now" allows for ``country`` (at least card)."""
    return list(config.stripe_payment_methods.get(country) or ("card",))


def idempotency_key(invoice_id: int, attempt_no: int) -> str:
    """The Stripe idempotency key of attempt ``attempt_no`` to pay invoice ``invoice_id``."""
    return f"kassa-invoice-{invoice_id}-attempt-{attempt_no}"


def intent_field(obj: Any, name: str, default: Any = None) -> Any:
    """A field of a Stripe object (or of a plain dict from an event payload)."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    try:
        return getattr(obj, name)
    except AttributeError:
        return default


def latest_attempt(db: Session, invoice_id: int) -> PaymentAttempt | None:
    """The invoice's most recent "pay now" attempt, if any."""
    return db.scalar(
        select(PaymentAttempt)
        .where(PaymentAttempt.invoice_id == invoice_id)
        .order_by(PaymentAttempt.attempt_no.desc())
        .limit(1)
    )


def create_payment_intent(state: KassaState, db: Session, invoice: Invoice) -> PaymentAttempt:
    """The attempt (with its PaymentIntent) through which the shopper pays ``invoice`` now.

    The amount is the invoice's balance; the currency its own. An unfinished attempt for
    the same amount is reused; a new one is created otherwise (see the module docs). The
    returned attempt carries the intent's ``client_secret`` as a plain attribute, for the
    page only; it is not stored. If the last attempt turns out to have succeeded (its
    webhook is still on the way), it is booked, and returned as it is when that paid the
    invoice: check the invoice's balance afterwards. The caller commits.

    :raises PaymentUnavailable: Stripe cannot be used; nothing is written.
    :raises PaymentError: ``payments.nothing_to_pay`` when the balance is not positive.
    """
    client = _client(state)
    latest = latest_attempt(db, invoice.id)
    if (
        latest is not None
        and latest.intent_id
        and (
            latest.status in UNFINISHED_STATUSES
            or (
                latest.status == "succeeded"
                and select_payment(db, "stripe", latest.intent_id) is None
            )
        )
    ):
        # Not final, or paid but not booked yet (the webhook is on the way): ask Stripe.
        intent = retrieve_intent(state, latest.intent_id)
        latest.status = intent.status
        if intent.status == "succeeded":
            # Paid, but the webhook has not arrived yet: book it now (idempotent with it).
            book_intent(state, db, intent)
            if invoice.balance_minor <= 0:
                return _with_secret(latest, intent)  # paid: the caller shows the thanks
        elif intent.status == "processing" or (
            intent.status in OPEN_INTENT_STATUSES and _asks_for(intent, invoice)
        ):
            return _with_secret(latest, intent)
        elif intent.status in OPEN_INTENT_STATUSES:
            # The balance has changed since (a bank payment, a fee): this intent asks for the
            # wrong amount. Cancel it before making another, so both can never be paid.
            cancelled = _call(lambda: client.v1.payment_intents.cancel(latest.intent_id or ""))
            latest.status = cancelled.status
    amount = invoice.balance_minor
    if amount <= 0:
        raise PaymentError(
            f"Invoice {invoice.number} has nothing left to pay.",
            code="payments.nothing_to_pay",
            invoice=invoice.number,
        )

    attempt_no = (
        db.scalar(
            select(func.max(PaymentAttempt.attempt_no)).where(
                PaymentAttempt.invoice_id == invoice.id
            )
        )
        or 0
    ) + 1
    params: dict[str, Any] = {
        "amount": amount,
        "currency": invoice.currency.lower(),
        "payment_method_types": payment_method_types(state.config, invoice.country),
        "metadata": {"invoice_id": str(invoice.id), "invoice_number": invoice.number},
    }
    for _ in range(_KEY_TRIES):
        key = idempotency_key(invoice.id, attempt_no)
        try:
            intent = client.v1.payment_intents.create(
                params=params, options={"idempotency_key": key}
            )  # type: ignore[arg-type]
            break
        except stripe.IdempotencyError:
            # An earlier try under this number asked for another amount, and its answer
            # never reached us (so nothing was recorded): that intent was never shown to
            # anyone. Move on to the next number.
            logger.info("Stripe refused idempotency key %s with new values; trying the next", key)
            attempt_no += 1
        except stripe.StripeError as exc:
            raise _unavailable(exc) from exc
    else:
        raise PaymentUnavailable(
            f"Stripe refused every idempotency key tried for invoice {invoice.number}.",
            invoice=invoice.number,
        )

    attempt_id = db.execute(
        insert_or_ignore(db, PaymentAttempt)
        .values(
            invoice_id=invoice.id,
            attempt_no=attempt_no,
            intent_id=intent.id,
            amount_minor=amount,
            currency=invoice.currency,
            status=intent.status,
        )
        .returning(PaymentAttempt.id)
    ).scalar_one_or_none()
    if attempt_id is None:
        # A concurrent request recorded this attempt first; under the same key Stripe gave
        # it the same intent. Use that row (and its intent, should it differ).
        existing = db.scalar(
            select(PaymentAttempt).where(
                PaymentAttempt.invoice_id == invoice.id, PaymentAttempt.attempt_no == attempt_no
            )
        )
        if existing is None:
            existing = db.scalar(
                select(PaymentAttempt).where(PaymentAttempt.intent_id == intent.id)
            )
        if existing is None:  # pragma: no cover - a conflict always leaves a row behind
            raise PaymentUnavailable("The payment attempt could not be recorded.")
        if existing.intent_id != intent.id and existing.intent_id:
            intent = retrieve_intent(state, existing.intent_id)
        return _with_secret(existing, intent)
    return _with_secret(db.get_one(PaymentAttempt, attempt_id), intent)


def retrieve_intent(state: KassaState, intent_id: str) -> Any:
    """The PaymentIntent as Stripe has it now.

    :raises IntentMissing: Stripe says it has no intent ``intent_id`` (HTTP 404).
    :raises PaymentUnavailable: Stripe cannot be asked; ``unreachable`` says whether it could
        not be reached at all (network, timeout, 5xx) or refused the request.
    """
    client = _client(state)
    try:
        return client.v1.payment_intents.retrieve(intent_id)
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            raise IntentMissing(
                f"Stripe has no PaymentIntent {intent_id}.", intent=intent_id
            ) from exc
        raise _unavailable(exc) from exc
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


def invoice_for_intent(db: Session, intent: Any) -> Invoice | None:
    """The invoice an intent pays: through Kassa's own attempt record, else the intent's
    ``metadata.invoice_id``; None for an intent that is not Kassa's."""
    intent_id = intent_field(intent, "id")
    attempt = db.scalar(select(PaymentAttempt).where(PaymentAttempt.intent_id == intent_id))
    if attempt is not None:
        return db.get(Invoice, attempt.invoice_id)
    metadata = intent_field(intent, "metadata")
    raw = intent_field(metadata, "invoice_id")
    try:
        invoice = db.get(Invoice, int(raw)) if raw is not None else None
    except (TypeError, ValueError):
        return None
    number = intent_field(metadata, "invoice_number")
    if invoice is not None and number is not None and number != invoice.number:
        return None  # not the invoice the intent was made for (e.g. another installation)
    return invoice


def book_intent(
    state: KassaState, db: Session, intent: Any, *, received_on: date | None = None
) -> tuple[Invoice | None, Payment | None]:
    """Book a succeeded PaymentIntent on its invoice (idempotent on the intent id).

    :returns: the invoice (None when the intent is not Kassa's) and the new payment (None
        when it was booked before).
    :raises PaymentError: the intent's currency is not the invoice's.
    """
    invoice = invoice_for_intent(db, intent)
    if invoice is None:
        return None, None
    amount = intent_field(intent, "amount_received") or intent_field(intent, "amount")
    payment = record_payment(
        db,
        invoice,
        source="stripe",
        external_id=intent_field(intent, "id"),
        amount=int(amount),
        currency=str(intent_field(intent, "currency", "")).upper(),
        received_on=received_on or date.today(),
        app=state.app,
    )
    attempt = db.scalar(
        select(PaymentAttempt).where(PaymentAttempt.intent_id == intent_field(intent, "id"))
    )
    if attempt is not None:
        attempt.status = "succeeded"
    return invoice, payment


def confirm_on_stand_in(
    state: KassaState, db: Session, invoice: Invoice, card_token: str
) -> PaymentAttempt:
    """Pay the invoice's open attempt with a card token, confirming on the server.

    Only with a stand-in Stripe (see the module docs). The returned attempt carries
    ``client_secret`` for the 3-D Secure step, when the intent asks for one.

    :raises PaymentError: not a stand-in, no open attempt, or a malformed token.
    :raises CardDeclined: the card was declined.
    :raises PaymentUnavailable: the stand-in cannot be reached.
    """
    if not uses_stand_in(state.config):
        raise PaymentError(
            "Server-side confirmation is only for a stand-in Stripe.", code="payments.stand_in_only"
        )
    if not (
        isinstance(card_token, str) and card_token.startswith("tok_") and len(card_token) <= 100
    ):
        raise PaymentError("A card token (tok_...) is needed.", code="payments.card_token")
    attempt = latest_attempt(db, invoice.id)
    if attempt is None or not attempt.intent_id or attempt.status not in OPEN_INTENT_STATUSES:
        raise PaymentError(
            f"Invoice {invoice.number} has no payment waiting for a card.",
            code="payments.no_attempt",
            invoice=invoice.number,
        )
    client = _client(state)
    intent_id = attempt.intent_id
    if intent_field(retrieve_intent(state, intent_id), "latest_charge"):
        # A declined card was tried on this intent; localstripe cannot confirm it again
        # (Stripe could). Cancel it and continue with a fresh attempt.
        attempt.status = _call(lambda: client.v1.payment_intents.cancel(intent_id)).status
        attempt = create_payment_intent(state, db, invoice)
        intent_id = attempt.intent_id or ""
    token = _call(lambda: client.v1.tokens.retrieve(card_token))
    card_id = intent_field(intent_field(token, "card"), "id")
    _call(lambda: client.v1.payment_intents.update(intent_id, params={"payment_method": card_id}))
    intent = _call(lambda: client.v1.payment_intents.confirm(intent_id))
    attempt.status = intent.status
    return _with_secret(attempt, intent)


# -- helpers -----------------------------------------------------------------------------------


def _client(state: KassaState) -> stripe.StripeClient:
    if state.stripe is None:
        raise PaymentUnavailable("Stripe is not configured: set KASSA_STRIPE_SECRET_KEY.")
    return state.stripe


def _call(request: Callable[[], _T]) -> _T:
    """Run one Stripe request, turning Stripe's errors into Kassa's."""
    try:
        return request()
    except stripe.CardError as exc:
        raise CardDeclined(
            exc.user_message or "The card was declined.", decline_code=getattr(exc, "code", None)
        ) from exc
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


def _unavailable(exc: stripe.StripeError) -> PaymentUnavailable:
    logger.warning(
        "Stripe request failed: %s: %s", type(exc).__name__, exc.user_message or "no message"
    )
    # No answer, or Stripe's own failure: what Stripe would have said is unknown.
    unreachable = isinstance(exc, stripe.APIConnectionError) or (exc.http_status or 0) >= 500
    return PaymentUnavailable(
        f"Stripe cannot be used right now ({type(exc).__name__}).",
        unreachable=unreachable,
        reason=type(exc).__name__,
    )


def _asks_for(intent: Any, invoice: Invoice) -> bool:
    return (
        intent_field(intent, "amount") == invoice.balance_minor
        and str(intent_field(intent, "currency", "")).upper() == invoice.currency
    )


def _with_secret(attempt: PaymentAttempt, intent: Any) -> PaymentAttempt:
    # Not a column: the secret lets the shopper's browser pay; Kassa never stores it.
    attempt.client_secret = intent_field(intent, "client_secret")  # type: ignore[attr-defined]
    return attempt


def refund_intent(state: KassaState, intent_id: str, amount: int, *, key: str) -> str:
    """Pay back ``amount`` (minor units) of the PaymentIntent ``intent_id`` to the card it was
    paid with; returns Stripe's refund id. ``key`` makes a repeated request (a double click,
    a retry) one refund at Stripe."""
    client = _client(state)
    refund = _call(lambda: client.v1.refunds.create(
        params={"payment_intent": intent_id, "amount": amount},
        options={"idempotency_key": key}))
    return str(intent_field(refund, "id"))
