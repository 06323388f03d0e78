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
