"""The outbox worker: delivers queued messages, retries failures, gives up after a limit.

A change that must tell someone (an invoice issued) writes an :class:`OutboxMessage` in its
own transaction; :func:`deliver_pending` (the worker, ``flask kassa deliver``) sends what is
due. A request sends at most the shopper's own invoice e-mail right away
(:func:`deliver_now`), never anything else: a hook, SMS provider or hand-over service that
is slow or never answers must not keep anyone waiting on a page. The rules:

- A message is *claimed* before it is sent: on PostgreSQL the candidate rows are read with
  ``FOR UPDATE SKIP LOCKED`` and, on every database, a conditional update moves their
  ``next_attempt_at`` a lease ahead (:data:`CLAIM_LEASE`), so two workers (the CLI loop and
  a checkout request, or workers on several hosts) never send one message twice at the same
  time. Nothing is held locked while the SMTP server is talked to. One claim takes up to
  :data:`CLAIM_BATCH` messages, the oldest first: a claim of its own for each message meant
  two commits a message, and on PostgreSQL every commit waits for the disk.
- Each message's outcome has its own transaction: one failure never loses or delays another.
- A failure counts an attempt, records ``last_error`` and waits
  ``KASSA_OUTBOX_BACKOFF_SECONDS * 2 ** (attempts - 1)`` seconds (or longer, if the receiver
  asked so); after ``KASSA_OUTBOX_MAX_ATTEMPTS`` attempts, or at once for a failure that
  cannot get better (no sender for the kind, no invoice), the message is ``dead`` and the
  invoice's trail says ``delivery_failed``.
- Success marks it ``sent``, writes ``sent`` on the invoice's trail and, after the commit,
  sends the ``invoice-sent`` signal.
- A receiver that answers ``410 Gone`` asks never to be called again (Standard Webhooks): its
  URL is recorded as a :class:`~kassa.db.models.GoneEndpoint`, and later messages to it die
  at once without a request, saying why, until the URL changes or staff switch it back on
  (``flask kassa endpoints``).
- A worker that dies between sending and recording leaves the message claimed; it is tried
  again when the lease ends. Delivery is therefore at least once, exactly once in every
  case where the worker lives to record what happened.

Senders are looked up by ``(kind, channel)`` in the app's state, where ``init_app`` puts
Kassa's own (:func:`kassa.notify.lifecycle.default_senders`); :func:`register_sender` adds
or replaces one for one app. A sender returns None or a :class:`~kassa.notify.http.DeliveryResult`,
and may raise: an exception is a failure worth retrying, :class:`PermanentDeliveryError`
one that is not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import has_app_context
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from ..db.bulk import insert_or_ignore
from ..db.models import GoneEndpoint, InvoiceEvent, OutboxMessage
from ..services.tasks import undelivered_task
from ..signals import invoice_sent, send_after_commit
from ..state import KassaState
from ..workers import run_in_threads
from .http import DeliveryResult, refusing

__all__ = [
    "CLAIM_BATCH",
    "CLAIM_LEASE",
    "DeliveryReport",
    "PermanentDeliveryError",
    "Sender",
    "deliver_code_now",
    "deliver_now",
    "deliver_pending",
    "register_sender",
    "resend",
    "sender_for",
]

logger = logging.getLogger("kassa.outbox")

#: How long a claimed message is left alone by other workers: well above the SMTP
#: timeout, so that only a worker that died gives its message up.
CLAIM_LEASE = timedelta(minutes=10)
#: Messages one claim takes. Sent one after the other, they must all be done within the
#: lease: ten that each wait out the senders' 15-second timeout to connect and another to
#: answer take five minutes.
CLAIM_BATCH = 10
_ERROR_MAX = 2000  # characters of an error kept in last_error

#: Delivers one message. Gets an open session (it may write; its writes commit with the
#: outcome), the app's state, the message and the time of the run.
Sender = Callable[[Session, KassaState, OutboxMessage, datetime], DeliveryResult | None]

class PermanentDeliveryError(Exception):
    """The message can never be delivered as it is: it is given up at once."""


@dataclass(frozen=True)
class DeliveryReport:
    """What one :func:`deliver_pending` run did."""

    #: Messages delivered.
    sent: int = 0
    #: Messages that failed and wait for another attempt.
    failed: int = 0
    #: Messages given up (attempts used up, or undeliverable).
    dead: int = 0

    @property
    def total(self) -> int:
        """Messages handled in the run."""
        return self.sent + self.failed + self.dead


def register_sender(state: KassaState, kind: str, channel: str, sender: Sender) -> None:
    """Deliver this app's outbox messages of ``kind`` on ``channel`` with ``sender``; kind
    ``"*"`` stands for every kind that has no sender of its own on that channel.

    ``init_app`` registers Kassa's own senders (:func:`kassa.notify.lifecycle.default_senders`);
    a host app may add or replace one for its app only.
    """
    state.senders[(kind, channel)] = sender


def sender_for(state: KassaState, kind: str, channel: str) -> Sender | None:
    """The sender of ``kind`` on ``channel`` in this app, or None."""
    return state.senders.get((kind, channel)) or state.senders.get(("*", channel))


def deliver_pending(state: KassaState, *, now: datetime, limit: int = 100,
                    workers: int = 1) -> DeliveryReport:
    """Deliver up to ``limit`` pending messages whose ``next_attempt_at`` is at or before
    ``now`` (UTC; a naive value is taken as UTC), oldest first.

    ``workers`` above 1 shares the ``limit`` between that many threads, each claiming and
    sending on its own: sending is mostly waiting for the receiver, so the threads overlap.
    Never raises for a failed delivery: the failure is recorded on the message. Needs the
    app context (invoice links are signed with the app's secret key).
    """
    _need_app_context("deliver_pending")
    budget = _Budget(limit)
    if workers <= 1:
        return _deliver_claimed(state, _utc(now), budget)
    reports: list[DeliveryReport] = []

    def work(_index: int) -> None:
        reports.append(_deliver_claimed(state, _utc(now), budget))

    run_in_threads(workers, work, name="kassa-outbox")
    return DeliveryReport(sent=sum(r.sent for r in reports),
                          failed=sum(r.failed for r in reports),
                          dead=sum(r.dead for r in reports))


class _Budget:
    """How many more messages one :func:`deliver_pending` may claim, shared by its workers."""

    def __init__(self, limit: int) -> None:
        self._left = limit
        self._lock = threading.Lock()

    def take(self, most: int) -> int:
        """Reserve up to ``most`` messages; 0 when the limit is reached."""
        with self._lock:
            taken = min(most, self._left)
            self._left -= taken
            return taken

    def give_back(self, count: int) -> None:
        """Return reserved messages that were not claimed."""
        with self._lock:
            self._left += count


def _need_app_context(caller: str) -> None:
    if not has_app_context():
        raise RuntimeError(f"{caller} needs the Flask app context: "
                           "call it inside `with app.app_context():`")


def _deliver_claimed(state: KassaState, now: datetime, budget: _Budget,
                     scope: Sequence[ColumnElement[bool]] = ()) -> DeliveryReport:
    """Claim and deliver messages (only those matching every condition in ``scope``) until
    none is due or ``budget`` is spent."""
    counts = {"sent": 0, "failed": 0, "dead": 0}
    while reserved := budget.take(CLAIM_BATCH):
        claimed = _claim(state, now, reserved, scope)
        budget.give_back(reserved - len(claimed))
        if not claimed:
            break
        gone = _gone_endpoints(state)
        for message_id in claimed:
            try:
                outcome = _deliver(state, message_id, now, gone)
            except Exception:  # recording failed (database trouble): the lease retries it
                logger.exception("outbox message %s: could not record the delivery", message_id)
                outcome = "failed"
            counts[outcome] += 1
    return DeliveryReport(**counts)


def _claim(state: KassaState, now: datetime, count: int = 1,
           scope: Sequence[ColumnElement[bool]] = ()) -> list[int]:
    """Take up to ``count`` of the oldest due messages (matching ``scope``) for this worker,
    oldest first; an empty list when none is left."""
    for _ in range(5):  # another worker may win the race for the rows; take the next ones
        with state.db.session() as session:
            candidates = list(session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                       *scope)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(count)
                .with_for_update(skip_locked=True)
            ))
            if not candidates:
                return []
            # Conditional: on SQLite, without row locks, another worker may have taken some.
            won = set(session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(candidates), OutboxMessage.status == "pending",
                       OutboxMessage.next_attempt_at <= now)
                .values(next_attempt_at=now + CLAIM_LEASE)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            ))
        if won:
            return [message_id for message_id in candidates if message_id in won]
    return []


def _gone_endpoints(state: KassaState) -> dict[str, str]:
    """The receivers that answered 410 Gone, by URL digest, with what to report instead."""
    with state.db.session() as session:
        return {gone.url_digest: _refusal(gone) for gone in session.scalars(select(GoneEndpoint))}


def _refusal(gone: GoneEndpoint) -> str:
    return (f"not sent: this receiver answered 410 Gone on {gone.gone_at:%Y-%m-%d} and is "
            f"switched off; give the target a new URL, or run `flask kassa endpoints enable "
            f"{gone.id}`")


def _deliver(state: KassaState, message_id: int, now: datetime,
             gone: dict[str, str] | None = None) -> str:
    """Send one claimed message and record the outcome; ``sent``, ``failed`` or ``dead``.
    Nothing is sent to the receivers in ``gone`` (:func:`_gone_endpoints`); one that answers
    410 now joins them."""
    gone = {} if gone is None else gone
    with state.db.session() as session:
        message = session.get(OutboxMessage, message_id)
        if message is None or message.status != "pending":
            return "failed"  # removed or resent by staff meanwhile; nothing to do
        sender = sender_for(state, message.kind, message.channel)
        if sender is None:
            result = DeliveryResult.failed(
                f"no sender for outbox messages of kind {message.kind!r} on channel "
                f"{message.channel!r}")
        else:
            try:
                with refusing(gone):
                    result = sender(session, state, message, now) or _DELIVERED
            except PermanentDeliveryError as exc:
                result = DeliveryResult.failed(str(exc))
            except Exception as exc:
                logger.warning("outbox message %s: %s: %s", message_id, type(exc).__name__, exc)
                result = DeliveryResult.failed(_describe(exc), retry=True)
            if not result.ok:
                session.rollback()  # drop whatever the sender wrote before failing
                message = session.get(OutboxMessage, message_id, populate_existing=True)
                if message is None:
                    return "failed"
        outcome = _record(session, state, message, result, now)
        if result.disable and result.endpoint:
            gone[result.endpoint] = _switch_off(session, message, result.endpoint, now)
        return outcome


def _switch_off(session: Session, message: OutboxMessage, digest: str, now: datetime) -> str:
    """Record that the receiver ``message`` went to answered 410 Gone (once per URL); what
    the messages not sent to it will say."""
    session.execute(insert_or_ignore(session, GoneEndpoint).values(
        url_digest=digest, recipient=message.recipient, channel=message.channel,
        error=message.last_error or "HTTP 410 Gone", gone_at=now))
    endpoint = session.scalars(select(GoneEndpoint).where(GoneEndpoint.url_digest == digest)).one()
    logger.warning("outbox: %s answered 410 Gone; nothing more is sent to it until its URL "
                   "changes or `flask kassa endpoints enable` is run", message.recipient)
    return _refusal(endpoint)


def _record(session: Session, state: KassaState, message: OutboxMessage,
            result: DeliveryResult, now: datetime) -> str:
    config = state.config
    message.attempts += 1
    if result.ok:
        message.status = "sent"
        message.sent_at = now
        message.last_error = None
        if message.invoice_id is not None:
            data: dict[str, object] = {"channel": message.channel, "outbox_id": message.id}
            if message.kind != "invoice":
                data["message"] = message.kind
            if result.external_id:
                data["external_id"] = result.external_id
            session.add(InvoiceEvent(invoice_id=message.invoice_id, kind="sent", data=data,
                                     occurred_at=now))
            if message.kind == "invoice":
                send_after_commit(session, invoice_sent, state.app, invoice_id=message.invoice_id,
                                  channel=message.channel, outbox_id=message.id)
        return "sent"
    message.last_error = (result.error or "delivery failed")[:_ERROR_MAX]
    if result.retry and message.attempts < config.outbox_max_attempts:
        delay = config.outbox_backoff_seconds * 2 ** (message.attempts - 1)
        if result.retry_after:
            delay = max(delay, result.retry_after)
        message.next_attempt_at = now + timedelta(seconds=delay)
        return "failed"
    message.status = "dead"
    if message.invoice_id is not None:
        session.add(InvoiceEvent(invoice_id=message.invoice_id, kind="delivery_failed",
                                 data={"channel": message.channel, "outbox_id": message.id,
                                       "attempts": message.attempts,
                                       "error": message.last_error},
                                 occurred_at=now))
        undelivered_task(session, message, now)  # the team finds another way
    return "dead"


def resend(state: KassaState, outbox_id: int, *, now: datetime | None = None) -> int | None:
    """Queue a message again, to be sent at the next run; returns the id of the queued
    message, or None if there is no message ``outbox_id``.

    A pending or dead message is re-queued as it is, with a fresh count of attempts; a sent
    one is copied into a new pending message, so that the first delivery stays on record.
    The invoice's trail says ``resend_queued``.
    """
    when = _utc(now or datetime.now(UTC))
    with state.db.session() as session:
        message = session.get(OutboxMessage, outbox_id)
        if message is None:
            return None
        if message.status == "sent":
            queued = OutboxMessage(channel=message.channel, kind=message.kind,
                                   invoice_id=message.invoice_id, recipient=message.recipient,
                                   payload=dict(message.payload or {}), status="pending",
                                   attempts=0, next_attempt_at=when)
            session.add(queued)
            session.flush()
        else:
            message.status, message.attempts = "pending", 0
            message.next_attempt_at, message.last_error = when, None
            queued = message
        if message.invoice_id is not None:
            session.add(InvoiceEvent(invoice_id=message.invoice_id, kind="resend_queued",
                                     data={"channel": message.channel, "outbox_id": queued.id},
                                     occurred_at=when))
        return queued.id


_DELIVERED = DeliveryResult(ok=True, retry=False, disable=False, status=None, error=None,
                            retry_after=None)


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def deliver_now(state: KassaState, *, now: datetime,
                invoice_ids: Iterable[int]) -> DeliveryReport | None:
    """Right after the commit that issued the invoices ``invoice_ids`` (a confirmed checkout,
    a fulfilled order): deliver their invoice e-mails at once, so the shopper gets the e-mail
    while still at the shop.

    Only those: kind ``invoice`` on channel ``email`` for these invoices, pending and due.
    Nothing else in the outbox is touched, whatever is waiting there: an invoice by SMS or
    letter, a hook to the merchant's team, another order's mail. Their receivers may be slow
    or never answer (each may take :data:`kassa.notify.http.DEFAULT_TIMEOUT` seconds to
    connect and as long again to answer), and the shopper would wait for all of them; the
    outbox worker (``flask kassa deliver``) sends them. Best effort: what fails stays in the
    outbox for the worker; this never raises. Needs the app context.

    ``now`` is the request's moment (UTC); the e-mails count as due at the later of it and
    the clock's time now, since the request read ``now`` before it queued them.
    """
    wanted = sorted(set(invoice_ids))
    if not wanted:
        return DeliveryReport()
    scope = (OutboxMessage.invoice_id.in_(wanted), OutboxMessage.kind == "invoice",
             OutboxMessage.channel == "email")
    # A message is due from the moment it was queued (next_attempt_at), which comes after
    # the request read ``now``. One a worker has claimed (or one waiting to be retried) lies
    # further ahead and is still left alone.
    moment = max(_utc(now), datetime.now(UTC))
    try:
        _need_app_context("deliver_now")
        # One invoice e-mail per invoice at most (instalments after the first have none).
        return _deliver_claimed(state, moment, _Budget(len(wanted)), scope)
    except Exception:  # the database is busy or down: the worker delivers later
        logger.exception("immediate delivery failed; the outbox worker will retry")
        return None


def deliver_code_now(state: KassaState, *, now: datetime, recipient: str) -> None:
    """A one-time code the shopper is waiting for on a page: its message (kind
    ``shopper_code`` to ``recipient``) is sent at once, nothing else. Best effort, like
    :func:`deliver_now`."""
    scope = (OutboxMessage.kind == "shopper_code", OutboxMessage.recipient == recipient)
    try:
        _need_app_context("deliver_code_now")
        _deliver_claimed(state, max(_utc(now), datetime.now(UTC)), _Budget(1), scope)
    except Exception:
        logger.exception("immediate delivery of a code failed; the outbox worker will retry")

