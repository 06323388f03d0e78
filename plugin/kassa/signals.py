"""Blinker signals integrators subscribe to; each is sent after the database commit.

Services queue a signal on the SQLAlchemy session with :func:`send_after_commit`; it is sent
only once the transaction has committed, and dropped on rollback, so a receiver never hears
of a change that did not happen.
"""

from __future__ import annotations

from typing import Any

from blinker import Namespace
from sqlalchemy import event
from sqlalchemy.orm import Session

kassa_signals = Namespace()

order_confirmed = kassa_signals.signal("order-confirmed")
invoice_issued = kassa_signals.signal("invoice-issued")
invoice_sent = kassa_signals.signal("invoice-sent")
invoice_paid = kassa_signals.signal("invoice-paid")
payment_received = kassa_signals.signal("payment-received")
invoice_opened = kassa_signals.signal("invoice-opened")
invoice_overdue = kassa_signals.signal("invoice-overdue")
reminder_sent = kassa_signals.signal("reminder-sent")
invoice_handed_to_collection = kassa_signals.signal("invoice-handed-to-collection")
payment_unmatched = kassa_signals.signal("payment-unmatched")
#: The shopper withdrew from a credit agreement (kassa.services.withdrawal).
credit_withdrawn = kassa_signals.signal("credit-withdrawn")
#: An instalment plan was repaid early, in full or in part (kassa.services.early_repayment).
credit_repaid_early = kassa_signals.signal("credit-repaid-early")

#: A shopper asked for something on their pages or through the shop (more time, a plan, a
#: dispute, a callback): ``request_id``, ``kind``, ``status`` (granted at once or pending).
service_requested = kassa_signals.signal("service-requested")
#: The team decided a pending request: ``request_id``, ``kind``, ``status``.
service_decided = kassa_signals.signal("service-decided")
#: A message in a thread: ``thread_id``, ``message_id``, ``author`` (shopper or staff).
message_posted = kassa_signals.signal("message-posted")
#: A survey was answered: ``survey_id`` and the four answers.
survey_answered = kassa_signals.signal("survey-answered")

_PENDING = "kassa_pending_signals"


def send_after_commit(session: Session, signal: Any, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` once ``session`` commits; forget it if the session rolls back."""
    session.info.setdefault(_PENDING, []).append((signal, sender, kwargs))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    for signal, sender, kwargs in session.info.pop(_PENDING, []):
        signal.send(sender, **kwargs)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
