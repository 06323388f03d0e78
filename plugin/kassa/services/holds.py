"""Pausing the reminders: a dispute, an agreed payment plan or more time to pay.

While a hold lasts the reminder engine takes no step for the invoice; when it ends (on its
end day, or when staff end it) the engine looks at the invoice again the next run, and the
policy's resume rule decides the next step (never earlier than the day after the hold).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..core.errors import KassaError
from ..db.models import Invoice, InvoiceEvent, InvoiceHold, OutboxMessage
from ..invoicing.notices import NoticeFacts

#: Why reminders wait, and the trail entry each reason writes.
#: The reasons a hold may have, and the trail entry each writes. ``paused`` is the team's own
#: pause (a promise to pay, a case being looked into): it always has an end.
HOLD_REASONS = {"disputed": "disputed", "plan": "plan_agreed", "extended": "extended",
                "paused": "reminders_paused"}
_HOLDABLE = ("open", "partly_paid", "overdue")
#: Furthest a hold's end or an extended due date may lie ahead of today, in days: a year,
#: leap day included. A longer pause is a write-off or a new agreement, not a hold, and a
#: date centuries ahead is a typing error (or worse: past 9999 the calendar overflows).
MAX_HOLD_DAYS = 366
#: Most instalments a plan agreed by the team may have.
MAX_PLAN_INSTALMENTS = 24
#: Furthest a plan's last instalment may lie ahead: a year of monthly instalments, the last
#: one moved past a weekend or holiday to the next business day.
MAX_PLAN_DAYS = MAX_HOLD_DAYS + 7
#: Largest instalment, minor units: the largest order KASSA_MAX_ORDER_AMOUNT can allow.
MAX_INSTALMENT_MINOR = 100_000_000_000


class HoldError(KassaError, ValueError):
    """A hold that cannot be placed (paid invoice, unknown reason, end before start)."""

    code = "hold.invalid"


def active_holds(invoice: Invoice, today: date) -> list[InvoiceHold]:
    """The holds in force on ``today``."""
    return [h for h in invoice.holds
            if h.starts_on <= today and (h.ends_on is None or h.ends_on > today)]


def place_hold(db: Session, invoice: Invoice, reason: str, *, today: date,
               until: date | None = None, new_due_date: date | None = None,
               instalments: list[tuple[date, int]] | None = None) -> InvoiceHold:
    """Pause the reminders of ``invoice`` from ``today``.

    ``until`` ends the hold on that day (None: until staff end it). An extension
    (``reason="extended"``) needs ``new_due_date``: the due date moves there and the hold
    lasts until it. A plan may list its ``instalments`` (due day, minor units; 2 to
    :data:`MAX_PLAN_INSTALMENTS`, days ascending after today, adding up to the balance,
    ``hold.plan``): the hold then lasts until the last one, and the shopper gets a
    confirmation with the schedule. None of these days may lie more than
    :data:`MAX_HOLD_DAYS` days after ``today``, a plan's last instalment
    :data:`MAX_PLAN_DAYS` (``hold.too_long``).
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
        previous_due = invoice.due_date
        invoice.due_date = new_due_date
        until = new_due_date
        _confirm_extension(db, invoice, today, previous_due, data)
    if instalments is not None:
        if reason != "plan":
            raise HoldError("only a payment plan has instalments", code="hold.plan")
        _check_plan(invoice, instalments, today)
        until = until or instalments[-1][0]
    if reason == "paused" and until is None:
        raise HoldError("the team's pause needs its last day", code="hold.until")
    if until is not None:
        if until <= today:
            raise HoldError("a hold must end after it starts", code="hold.until")
        data["until"] = until.isoformat()
    hold = InvoiceHold(reason=reason, starts_on=today, ends_on=until)
    invoice.holds.append(hold)
    invoice.next_action_on = until + timedelta(days=1) if until else None
    if instalments is not None:
        _confirm_plan(db, invoice, today, instalments, data)
    db.add(InvoiceEvent(invoice_id=invoice.id, kind=HOLD_REASONS[reason], data=data))
    db.flush()
    return hold


def _check_plan(invoice: Invoice, instalments: list[tuple[date, int]], today: date) -> None:
    days = [day for day, _amount in instalments]
    if not 2 <= len(instalments) <= MAX_PLAN_INSTALMENTS:
        raise HoldError(f"a plan has 2 to {MAX_PLAN_INSTALMENTS} instalments",
                        code="hold.plan", limit=MAX_PLAN_INSTALMENTS)
    if days[0] <= today or any(b <= a for a, b in zip(days, days[1:], strict=False)):
        raise HoldError("the instalments' due dates must come after today, each after the "
                        "one before", code="hold.plan")
    if days[-1] > today + timedelta(days=MAX_PLAN_DAYS):
        raise HoldError(f"the last instalment is more than {MAX_PLAN_DAYS} days ahead",
                        code="hold.too_long", days=MAX_PLAN_DAYS)
    total = sum(amount for _day, amount in instalments)
    if any(amount <= 0 for _day, amount in instalments) or total != invoice.balance_minor:
        raise HoldError(f"the instalments add up to {total}, the balance is "
                        f"{invoice.balance_minor} (minor units)", code="hold.plan",
                        total=total, balance=invoice.balance_minor)


def _confirm_plan(db: Session, invoice: Invoice, today: date,
                  instalments: list[tuple[date, int]], data: dict[str, object]) -> None:
    """Queue the plan's confirmation, with its schedule, by the invoice's channel."""
    facts = NoticeFacts(kind="plan", sent_on=today, deadline=instalments[0][0],
                        amount=invoice.amount_minor, paid=invoice.paid_minor,
                        fees=invoice.fees_minor, interest=invoice.interest_minor,
                        interest_from=invoice.due_date,
                        interest_through=invoice.interest_through,
                        schedule=tuple(instalments))
    queue_notice(db, invoice, facts, data)


def _confirm_extension(db: Session, invoice: Invoice, today: date, previous_due: date,
                       data: dict[str, object]) -> None:
    """Queue the confirmation of the new due date, with its own document, by the invoice's
    channel; the trail entry keeps the document's facts."""
    facts = NoticeFacts(kind="extension", sent_on=today, deadline=invoice.due_date,
                        amount=invoice.amount_minor, paid=invoice.paid_minor,
                        fees=invoice.fees_minor, interest=invoice.interest_minor,
                        interest_from=previous_due, interest_through=invoice.interest_through)
    queue_notice(db, invoice, facts, data)


def queue_notice(db: Session, invoice: Invoice, facts: NoticeFacts,
                  data: dict[str, object]) -> None:
    """The notice's message by the invoice's channel; ``data`` (the trail entry's) keeps its
    facts, so the shopper's pages can show the document again."""
    data["document"] = facts.to_json()
    billed = invoice.billed
    recipient = (billed.get("phone") or "") if invoice.channel == "sms" else billed["email"]
    db.add(OutboxMessage(invoice_id=invoice.id, channel=invoice.channel, kind=facts.kind,
                         recipient=recipient, payload={"locale": invoice.customer.locale,
                                                       "document": facts.to_json()}))


def end_holds(db: Session, invoice: Invoice, *, today: date,
              reasons: tuple[str, ...] | None = None) -> int:
    """End the holds in force (a dispute settled, a plan broken off), or only those of
    ``reasons``; returns how many."""
    ended = [hold for hold in active_holds(invoice, today)
             if reasons is None or hold.reason in reasons]
    for hold in ended:
        hold.ends_on = today
    if ended:
        invoice.next_action_on = today + timedelta(days=1)
        db.add(InvoiceEvent(invoice_id=invoice.id, kind="hold_ended",
                            data={"reasons": [h.reason for h in ended]}))
        db.flush()
    return len(ended)


#: Days an instalment of an agreed plan may stay unpaid before the plan counts as missed.
PLAN_GRACE_DAYS = 7


def check_plan_instalments(db: Session, today: date) -> list[int]:
    """End the plans whose instalments are behind: when what was paid since the plan was
    agreed is less than the instalments due more than :data:`PLAN_GRACE_DAYS` days ago, the
    hold ends and the reminders resume from the next day (trail ``plan_missed``). Returns
    the invoice ids whose plans ended."""
    ended: list[int] = []
    holds = db.scalars(select(InvoiceHold).where(
        InvoiceHold.reason == "plan", InvoiceHold.starts_on <= today,
        or_(InvoiceHold.ends_on.is_(None), InvoiceHold.ends_on > today))).all()
    for hold in holds:
        invoice = db.get(Invoice, hold.invoice_id)
        if invoice is None or invoice.status not in _HOLDABLE:
            continue
        if any(other.reason == "disputed" for other in active_holds(invoice, today)):
            continue  # nothing is owed for sure while the team looks into a dispute
        agreed = next((e for e in reversed(invoice.events) if e.kind == "plan_agreed"
                       and isinstance((e.data or {}).get("document"), dict)), None)
        if agreed is None:
            continue
        document = agreed.data["document"]
        due = sum(int(item["amount"]) for item in document.get("schedule", [])
                  if date.fromisoformat(item["due_date"]) + timedelta(days=PLAN_GRACE_DAYS)
                  < today)
        paid_since = invoice.paid_minor - int(document.get("paid") or 0)
        if due > paid_since:
            end_holds(db, invoice, today=today)
            db.add(InvoiceEvent(invoice_id=invoice.id, kind="plan_missed",
                                data={"due": due, "paid": paid_since}))
            ended.append(invoice.id)
    return ended
