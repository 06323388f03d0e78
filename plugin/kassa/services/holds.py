"""Pausing the reminders: a dispute, an agreed payment plan or more time to pay.

While a hold lasts the reminder engine takes no step for the invoice; when it ends (on its
end day, or when staff end it) the engine looks at the invoice again the next run, and the
policy's resume rule decides the next step (never earlier than the day after the hold).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from ..core.errors import KassaError
from ..db.models import Invoice, InvoiceEvent, InvoiceHold

#: Why reminders wait, and the trail entry each reason writes.
HOLD_REASONS = {"disputed": "disputed", "plan": "plan_agreed", "extended": "extended"}
_HOLDABLE = ("open", "partly_paid", "overdue")
#: Furthest a hold's end or an extended due date may lie ahead of today, in days: a year,
#: leap day included. A longer pause is a write-off or a new agreement, not a hold, and a
#: date centuries ahead is a typing error (or worse: past 9999 the calendar overflows).
MAX_HOLD_DAYS = 366


class HoldError(KassaError, ValueError):
    """A hold that cannot be placed (paid invoice, unknown reason, end before start)."""

    code = "hold.invalid"


def active_holds(invoice: Invoice, today: date) -> list[InvoiceHold]:
    """The holds in force on ``today``."""
    return [h for h in invoice.holds
            if h.starts_on <= today and (h.ends_on is None or h.ends_on > today)]


def place_hold(db: Session, invoice: Invoice, reason: str, *, today: date,
               until: date | None = None, new_due_date: date | None = None) -> InvoiceHold:
    """Pause the reminders of ``invoice`` from ``today``.

    ``until`` ends the hold on that day (None: until staff end it). An extension
    (``reason="extended"``) needs ``new_due_date``: the due date moves there and the hold
    lasts until it. Neither may lie more than :data:`MAX_HOLD_DAYS` days after ``today``
    (``hold.too_long``).
    """
    if reason not in HOLD_REASONS:
        raise HoldError(f"unknown hold reason {reason!r}", code="hold.reason", reason=reason)
    if invoice.status not in _HOLDABLE:
        raise HoldError(f"invoice {invoice.number} is {invoice.status}", code="hold.status")
    latest = today + timedelta(days=MAX_HOLD_DAYS)
    for day in (until, new_due_date):
        if day is not None and day > latest:
            raise HoldError(f"{day.isoformat()} is more than {MAX_HOLD_DAYS} days ahead; a "
                            f"hold ends, and a due date moves, by {latest.isoformat()} at the "
                            "latest", code="hold.too_long", days=MAX_HOLD_DAYS)
    data: dict[str, object] = {"reason": reason}
    if reason == "extended":
        if new_due_date is None or new_due_date <= max(today, invoice.due_date):
            raise HoldError("an extension needs a new due date later than today and the "
                            "current one", code="hold.due_date")
        data["due_date"] = new_due_date.isoformat()
        data["previous_due_date"] = invoice.due_date.isoformat()
        invoice.due_date = new_due_date
        until = new_due_date
    if until is not None:
        if until <= today:
            raise HoldError("a hold must end after it starts", code="hold.until")
        data["until"] = until.isoformat()
    hold = InvoiceHold(reason=reason, starts_on=today, ends_on=until)
    invoice.holds.append(hold)
    invoice.next_action_on = until + timedelta(days=1) if until else None
    db.add(InvoiceEvent(invoice_id=invoice.id, kind=HOLD_REASONS[reason], data=data))
    db.flush()
    return hold


def end_holds(db: Session, invoice: Invoice, *, today: date) -> int:
    """End every hold in force (a dispute settled, a plan broken off); returns how many."""
    ended = active_holds(invoice, today)
    for hold in ended:
        hold.ends_on = today
    if ended:
        invoice.next_action_on = today + timedelta(days=1)
        db.add(InvoiceEvent(invoice_id=invoice.id, kind="hold_ended",
                            data={"reasons": [h.reason for h in ended]}))
        db.flush()
    return len(ended)
