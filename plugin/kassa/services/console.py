"""The help console's queue and the team's actions on a task.

One queue of open :class:`~kassa.db.SupportTask` rows, whatever made them (the reminder
run's friendly contacts, message threads, requests beyond the self-service policy, credit
reviews), each with its service-level due instant counted in the country's opening hours
(:mod:`kassa.services.sla`). Every action is written to the audit log with the fields it
changed, before and after, in the same transaction as the change.

Two agents acting on one task at once leave one result: the task and the request are read
with a row lock, closing is a conditional update (a second close changes nothing), and a
decided request refuses a second decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..db.console_models import CreditNote
from ..db.models import (
    Customer,
    Invoice,
    InvoiceEvent,
    OutboxMessage,
    Payment,
    StaffUser,
    SupportTask,
    as_utc,
)
from ..db.service_models import MessageThread, ServiceRequest
from ..i18n import format_money
from ..invoicing.notices import NoticeFacts
from ..payments import gateway
from ..state import KassaState
from . import conversations, payments
from .customer_service import (
    OPEN_STATUSES,
    ServiceError,
    apply_contact,
    change_address,
    clean_email,
    clean_phone,
    customer_scope,
    scoped_invoices,
    set_channels,
)
from .holds import HoldError, active_holds, end_holds, place_hold, queue_notice
from .invoicing import next_sequence, recipient_for
from .sla import business_seconds_between
from .staff import audit, role_rank
from .tasks import finish, mark_answered, sla_due, task_channel

__all__ = ["sla_due", "task_channel"]

#: How long before its due instant a task is flagged "due soon".
WARN_BEFORE = timedelta(hours=1)
#: What an agent may record of a call.
CALL_OUTCOMES = ("promise", "plan", "dispute", "no_answer", "wrong_number")
#: Latest promise to pay an agent may record, days from today.
PROMISE_MAX_DAYS = 60
#: Longest snooze, days.
SNOOZE_MAX_DAYS = 14


@dataclass(frozen=True)
class QueueRow:
    """A task as the queue lists it."""

    task: SupportTask
    customer: Customer
    channel: str
    due: datetime
    #: ``ok``, ``soon`` (within :data:`WARN_BEFORE`), ``breached`` or ``paused``.
    clock: str
    assignee: str | None


@dataclass(frozen=True)
class QueueFilter:
    country: str | None = None
    #: The customer's language (``fi``, ``sv``, ``nb``, ``en``).
    language: str | None = None
    kind: str | None = None
    channel: str | None = None
    segment: str | None = None
    mine: bool = False
    #: Include snoozed tasks and those waiting on the customer.
    everything: bool = False


def queue(db: Session, state: KassaState, staff: StaffUser, wanted: QueueFilter,
          now: datetime, limit: int = 200) -> list[QueueRow]:
    """The open tasks, soonest due first, as filtered."""
    query = select(SupportTask, Customer).join(Customer, SupportTask.customer_id == Customer.id) \
        .where(SupportTask.status == "open")
    if wanted.country:
        query = query.where(Customer.country == wanted.country)
    if wanted.language:
        query = query.where(Customer.locale == wanted.language)
    if wanted.kind:
        query = query.where(SupportTask.kind == wanted.kind)
    if wanted.segment:
        query = query.where(SupportTask.segment == wanted.segment)
    if wanted.mine:
        query = query.where(SupportTask.assignee_id == staff.id)
    if not wanted.everything:
        query = query.where(or_(SupportTask.snoozed_until.is_(None),
                                SupportTask.snoozed_until <= now))
    names = dict(db.execute(select(StaffUser.id, StaffUser.name)).all())
    rows = []
    for task, customer in db.execute(query.order_by(SupportTask.due_at, SupportTask.id)
                                     .limit(limit * 2)).all():
        channel = task_channel(task)
        if wanted.channel and channel != wanted.channel:
            continue
        due = sla_due(state, task, customer.country)
        if task.waiting_since is not None:
            clock = "paused"
        elif due <= now:
            clock = "breached"
        elif due - now <= WARN_BEFORE:
            clock = "soon"
        else:
            clock = "ok"
        rows.append(QueueRow(task, customer, channel, due, clock,
                             names.get(task.assignee_id) if task.assignee_id else None))
    rows.sort(key=lambda row: (row.clock == "paused", row.due, row.task.id))
    return rows[:limit]


def kinds_in_queue(db: Session) -> list[str]:
    return sorted(db.scalars(select(SupportTask.kind).distinct()))


# -- actions on a task ---------------------------------------------------------------------------


def locked_task(db: Session, task_id: int) -> SupportTask:
    """The open task, locked until the commit and read afresh (not the copy the page loaded
    before), so two agents acting at once act one after the other on what the first left.
    A task closed meanwhile is ``service.decided``."""
    task = db.scalars(select(SupportTask).where(SupportTask.id == task_id).with_for_update()
                      .execution_options(populate_existing=True)).first()
    if task is None:
        raise ServiceError(f"no task {task_id}", code="service.not_found")
    if task.status != "open":
        raise ServiceError(f"task {task_id} is closed", code="service.decided")
    return task


def _stamp(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


def assign(db: Session, staff: StaffUser, task_id: int, to: StaffUser | None,
           now: datetime) -> SupportTask:
    """Give the task to ``to`` (None: back to the shared queue). An agent takes only a task
    nobody has, and hands back only their own; taking a colleague's is a supervisor's call.
    """
    task = locked_task(db, task_id)
    holder = task.assignee_id
    if holder is not None and holder != staff.id and role_rank(staff.role) < role_rank(
            "supervisor"):
        owner = db.get(StaffUser, holder)
        raise ServiceError(f"task {task_id} is {holder}'s", code="console.taken",
                           name=owner.name if owner else "")
    before = {"assignee_id": task.assignee_id}
    task.assignee_id = to.id if to else None
    audit(db, staff, "task.assign", target=("task", task.id), before=before,
          after={"assignee_id": task.assignee_id}, now=now)
    return task


def snooze(db: Session, staff: StaffUser, task_id: int, until: date, today: date,
           now: datetime) -> SupportTask:
    """Out of the queue until the start of ``until`` (UTC), at most
    :data:`SNOOZE_MAX_DAYS` ahead."""
    if not today < until <= today + timedelta(days=SNOOZE_MAX_DAYS):
        raise ServiceError("snooze date out of range", code="console.snooze_range",
                           limit=SNOOZE_MAX_DAYS)
    task = locked_task(db, task_id)
    before = {"snoozed_until": _stamp(task.snoozed_until)}
    task.snoozed_until = datetime.combine(until, time(0), now.tzinfo)
    audit(db, staff, "task.snooze", target=("task", task.id), before=before,
          after={"snoozed_until": _stamp(task.snoozed_until)}, now=now)
    return task


def set_waiting(db: Session, state: KassaState, staff: StaffUser, task_id: int, waiting: bool,
                now: datetime) -> SupportTask:
    """Start or end waiting on the customer; ending adds the paused business time to the
    task's clock."""
    task = locked_task(db, task_id)
    if waiting and task.first_response_at is None:
        # The first answer's clock is never paused (support-metrics.md §1).
        raise ServiceError("answer the customer first", code="console.answer_first")
    before = {"waiting_since": _stamp(task.waiting_since), "paused_seconds": task.paused_seconds}
    if waiting and task.waiting_since is None:
        task.waiting_since = now
    elif not waiting and task.waiting_since is not None:
        customer = db.get_one(Customer, task.customer_id)
        hours = state.config.support_hours.get(customer.country)
        if hours is not None:
            task.paused_seconds = (task.paused_seconds or 0) + business_seconds_between(
                hours, as_utc(task.waiting_since), now)
        task.waiting_since = None
    audit(db, staff, "task.waiting" if waiting else "task.resumed", target=("task", task.id),
          before=before, after={"waiting_since": _stamp(task.waiting_since),
                                "paused_seconds": task.paused_seconds}, now=now)
    return task


def close_task(db: Session, state: KassaState, staff: StaffUser, task_id: int, now: datetime,
               survey: bool = True) -> bool:
    """Close the task; True if this call closed it, False if it was closed already (then
    nothing changes and nothing is logged).

    Closing is the end of the contact: its conversation is resolved, and the shopper gets
    the four-question survey unless the agent chose not to send it (no one was reached). A
    request still waiting for a decision keeps its task open.
    """
    task = db.get(SupportTask, task_id)
    if task is None:
        raise ServiceError(f"no task {task_id}", code="service.not_found")
    pending = db.scalars(select(ServiceRequest.id).where(
        ServiceRequest.support_task_id == task_id, ServiceRequest.status == "pending")).first()
    if pending is not None:
        raise ServiceError("decide the request first", code="console.request_pending")
    done = db.execute(update(SupportTask).where(SupportTask.id == task_id,
                                                SupportTask.status == "open")
                      .values(status="done", closed_at=now)
                      .execution_options(synchronize_session="fetch"))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False
    db.refresh(task)
    finish(db, state, task, now, closed_by=staff)
    sent = None
    thread = db.scalars(select(MessageThread).where(
        MessageThread.support_task_id == task_id)).first()
    if thread is not None and thread.status != "resolved":
        sent = conversations.resolve_thread(db, state, thread, agent=first_name(staff),
                                            now=now, survey=survey)
    elif survey and thread is None:
        customer = db.get_one(Customer, task.customer_id)
        sent = conversations.send_survey(db, customer, "task", task.id,
                                         channel=task_channel(task), agent=first_name(staff),
                                         now=now)
    audit(db, staff, "task.close", target=("task", task_id), before={"status": "open"},
          after={"status": "done", "sla_met": task.sla_met,
                 "survey_id": sent.id if sent else None}, now=now)
    return True


def first_name(staff: StaffUser) -> str:
    return (staff.name or staff.email).split()[0][:100]


def reply(db: Session, state: KassaState, staff: StaffUser, thread: MessageThread, body: str,
          submit_key: str, now: datetime,
          uploads: Sequence[conversations.Upload] = ()) -> None:
    """The team's reply, with its files checked as the shopper's are."""
    before = {"status": thread.status}
    message = conversations.add_message(db, state, thread, author="staff", body=body,
                                        uploads=uploads, submit_key=submit_key, now=now,
                                        author_name=first_name(staff))
    audit(db, staff, "thread.reply", target=("thread", thread.id), before=before,
          after={"status": thread.status, "message_id": message.id}, now=now)


def resolve(db: Session, state: KassaState, staff: StaffUser, thread: MessageThread,
            now: datetime, survey: bool = True) -> None:
    before = {"status": thread.status}
    sent = conversations.resolve_thread(db, state, thread, agent=first_name(staff), now=now,
                                        survey=survey)
    _closed_by(db, thread.support_task_id, staff)
    audit(db, staff, "thread.resolve", target=("thread", thread.id), before=before,
          after={"status": thread.status, "survey_id": sent.id if sent else None}, now=now)


def decide(db: Session, state: KassaState, staff: StaffUser, request_id: int, customers:
           Sequence[int], grant: bool, note: str, now: datetime, today: date) -> ServiceRequest:
    """Grant or refuse a pending request of one of ``customers`` (a callback is done)."""
    request = db.scalars(select(ServiceRequest).where(ServiceRequest.id == request_id)
                         .with_for_update().execution_options(populate_existing=True)).first()
    if request is None or request.customer_id not in customers:
        raise ServiceError(f"no request {request_id}", code="service.not_found")
    before = {"status": request.status}
    conversations.decide_request(db, state, request, grant=grant, note=note,
                                 by=first_name(staff), now=now, today=today)
    _closed_by(db, request.support_task_id, staff)
    audit(db, staff, "request.grant" if grant else "request.refuse",
          target=("request", request.id), before=before,
          after={"status": request.status, "note": note[:200]}, now=now)
    return request


def _closed_by(db: Session, task_id: int | None, staff: StaffUser) -> None:
    task = db.get(SupportTask, task_id) if task_id else None
    if task is not None and task.status == "done":
        task.closed_by_id = staff.id


def log_call(db: Session, staff: StaffUser, invoice: Invoice, outcome: str,
             promise_date: date | None, note: str, today: date, now: datetime,
             task: SupportTask | None = None) -> InvoiceEvent:
    """Record a call about ``invoice`` in its trail (staff only) and the audit log; the
    call answers ``task``. A promise to pay pauses the reminders up to the promised day (when
    nothing else holds them): no formal reminder goes out before the customer could keep
    it, and the run goes on the day after if the money has not come."""
    if outcome not in CALL_OUTCOMES:
        raise ServiceError(f"unknown outcome {outcome!r}", code="console.outcome")
    if outcome == "promise":
        if promise_date is None or not today <= promise_date <= today + timedelta(
                days=PROMISE_MAX_DAYS):
            raise ServiceError("promise date out of range", code="console.promise_date",
                               limit=PROMISE_MAX_DAYS)
    else:
        promise_date = None
    note = (note or "").strip()
    if len(note) > 2000:
        raise ServiceError("at most 2000 characters", code="service.too_long", limit=2000)
    data: dict[str, Any] = {"outcome": outcome, "by": first_name(staff), "staff_id": staff.id,
                            "note": note}
    if promise_date is not None:
        data["promise_date"] = promise_date.isoformat()
    event = InvoiceEvent(invoice_id=invoice.id, kind="call_logged", occurred_at=now, data=data)
    db.add(event)
    db.flush()
    if promise_date is not None and invoice.status in ("open", "partly_paid", "overdue") \
            and not active_holds(invoice, today):
        place_hold(db, invoice, "paused", today=today,
                   until=promise_date + timedelta(days=1))
    mark_answered(task, now)
    audit(db, staff, "call.logged", target=("invoice", invoice.id), before=None,
          after={**data, "event_id": event.id}, now=now)
    return event


# -- the customer's invoices and details -----------------------------------------------------------


#: Kinds of outbox message that carry an invoice's own document (the invoice, a reminder, a
#: confirmation), the ones a resend may repeat.
DOCUMENT_KINDS = ("invoice", "friendly", "reminder", "inkassovarsel", "extension", "plan")


def resend(db: Session, state: KassaState, staff: StaffUser, invoice: Invoice, channel: str,
           now: datetime) -> OutboxMessage:
    """Send the invoice's latest document again by ``channel``, to the customer's present
    details; the trail says ``resend_queued``."""
    if channel not in state.config.channels and channel != "email":
        raise ServiceError(f"channel {channel!r} is not in use", code="service.channel")
    customer = db.get_one(Customer, invoice.customer_id)
    recipient = recipient_for(customer, channel)
    if not recipient:
        raise ServiceError("no phone number", code="service.no_phone")
    latest = db.scalars(select(OutboxMessage).where(
        OutboxMessage.invoice_id == invoice.id, OutboxMessage.kind.in_(DOCUMENT_KINDS))
        .order_by(OutboxMessage.id.desc())).first()
    kind = latest.kind if latest is not None else "invoice"
    payload = dict(latest.payload or {}) if latest is not None else {}
    payload.setdefault("base_url", state.config.public_url)
    payload.setdefault("locale", customer.locale)
    message = OutboxMessage(channel=channel, kind=kind, invoice_id=invoice.id,
                            recipient=recipient, payload=payload, status="pending",
                            next_attempt_at=now, created_at=now)
    db.add(message)
    db.flush()
    db.add(InvoiceEvent(invoice_id=invoice.id, kind="resend_queued", occurred_at=now,
                        data={"channel": channel, "outbox_id": message.id, "message": kind,
                              "by": first_name(staff)}))
    audit(db, staff, "invoice.resend", target=("invoice", invoice.id), before=None,
          after={"channel": channel, "message": kind, "outbox_id": message.id}, now=now)
    return message


def change_details(db: Session, state: KassaState, staff: StaffUser, customer: Customer,
                   form: dict[str, str], now: datetime) -> list[str]:
    """What the customer told the agent: e-mail, phone, postal address, the channel for
    invoices and the one for reminders, on every record of the customer and their open
    invoices. Only the fields that changed are written; returns their names."""
    scope = customer_scope(db, customer.id)
    before = {"email": customer.email, "phone": customer.phone or "",
              "street": customer.street or "", "postal_code": customer.postal_code or "",
              "city": customer.city or "", "delivery": delivery_channel(db, scope),
              "reminders": customer.reminder_channel or "email"}
    wanted = {key: (form.get(key) or "").strip() for key in before}
    wanted["email"] = clean_email(wanted["email"])
    wanted["phone"] = clean_phone(wanted["phone"]) if wanted["phone"] else ""
    changed = [key for key in before if wanted[key] != before[key]]
    if not wanted["phone"] and "sms" in (wanted["delivery"], wanted["reminders"]):
        # Removing the number leaves no way to send by SMS: checked before anything changes.
        raise ServiceError("add a phone number first", code="service.no_phone")
    contact = {key: wanted[key] for key in ("email", "phone") if key in changed}
    if contact:
        apply_contact(db, scope, contact, now)
    if {"street", "postal_code", "city"} & set(changed):
        change_address(db, scope, street=wanted["street"], postal_code=wanted["postal_code"],
                       city=wanted["city"], now=now)
    if {"delivery", "reminders"} & set(changed):
        set_channels(db, state, scope, delivery=wanted["delivery"],
                     reminders=wanted["reminders"], now=now)
    if changed:
        audit(db, staff, "customer.details", target=("customer", customer.id),
              before={key: before[key] for key in changed},
              after={key: wanted[key] for key in changed}, now=now)
    return changed


def delivery_channel(db: Session, scope: Sequence[int]) -> str:
    """The channel of the customer's newest open invoice (the one new invoices follow)."""
    open_ones = [i for i in scoped_invoices(db, scope) if i.status in OPEN_STATUSES]
    return open_ones[-1].channel if open_ones else "email"


#: Longest pause of the reminders an agent may set, days (a promise to pay is at most
#: :data:`PROMISE_MAX_DAYS` days ahead; a longer pause is a plan or an extension).
PAUSE_MAX_DAYS = 60


def pause_reminders(db: Session, staff: StaffUser, invoice: Invoice, until: date, note: str,
                    today: date, now: datetime) -> None:
    """Hold the invoice's reminders until ``until`` (the team's pause)."""
    if not today < until <= today + timedelta(days=PAUSE_MAX_DAYS):
        raise ServiceError("pause out of range", code="console.pause_range",
                           limit=PAUSE_MAX_DAYS)
    note = _note(note)
    try:
        place_hold(db, invoice, "paused", today=today, until=until)
    except HoldError as error:
        raise ServiceError(error.message, code="console.not_holdable") from None
    audit(db, staff, "invoice.pause", target=("invoice", invoice.id), before=None,
          after={"until": until.isoformat(), "note": note}, now=now)


def resume_reminders(db: Session, staff: StaffUser, invoice: Invoice, today: date,
                     now: datetime) -> int:
    """End every hold in force; the reminders go on from the next run."""
    reasons = [hold.reason for hold in active_holds(invoice, today)]
    ended = end_holds(db, invoice, today=today)
    if ended:
        audit(db, staff, "invoice.resume", target=("invoice", invoice.id),
              before={"holds": reasons}, after={"holds": []}, now=now)
    return ended


def _note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > 2000:
        raise ServiceError("at most 2000 characters", code="service.too_long", limit=2000)
    return note


# -- refunds and credit notes ------------------------------------------------------------------


def refund(db: Session, state: KassaState, staff: StaffUser, invoice: Invoice,
           payment_id: int, amount: int, today: date, now: datetime) -> None:
    """Pay back ``amount`` of a card payment of ``invoice`` through Stripe, never more than
    the payment less what was already paid back. The invoice is locked from the check to the
    booking, so two agents refunding at once cannot both pass the check."""
    payments.lock_invoice(db, invoice)
    payment = db.get(Payment, payment_id)
    if payment is None or payment.invoice_id != invoice.id or payment.source != "stripe":
        raise ServiceError(f"no card payment {payment_id}", code="service.not_found")
    left = payments.refundable(db, payment)
    if not 0 < amount <= left:
        raise ServiceError("refund out of range", code="console.refund_amount",
                           limit=format_money(left, invoice.currency))
    try:
        refund_id = gateway.refund_intent(state, payment.external_id, amount,
                                          key=f"kassa-refund-{payment.id}-{left}-{amount}")
    except gateway.PaymentUnavailable:
        raise ServiceError("stripe unavailable", code="console.stripe") from None
    payments.book_refund(db, invoice, payment, amount=amount, refund_id=refund_id,
                         today=today, by=first_name(staff))
    audit(db, staff, "payment.refund", target=("invoice", invoice.id),
          before={"paid_minor": invoice.paid_minor + amount},
          after={"paid_minor": invoice.paid_minor, "refund_id": refund_id, "amount": amount},
          now=now)


#: Where credit note numbers start (``<year>-C000001``).
_CREDIT_NOTE_COUNTER = "credit_note"


def credit_note(db: Session, staff: StaffUser, invoice: Invoice, amount: int, reason: str,
                today: date, now: datetime) -> CreditNote:
    """Correct an issued invoice by a credit note of ``amount`` (at most what was invoiced,
    fees and interest included, less earlier credits), with the reason the customer is told."""
    reason = _note(reason)
    if not reason:
        raise ServiceError("a reason, please", code="console.credit_reason")
    payments.lock_invoice(db, invoice)
    credited = int(db.scalar(select(func.coalesce(func.sum(CreditNote.amount_minor), 0)).where(
        CreditNote.invoice_id == invoice.id)) or 0)
    most = invoice.amount_minor + invoice.fees_minor + invoice.interest_minor - credited
    if invoice.status in ("cancelled", "collection") or not 0 < amount <= most:
        raise ServiceError("credit out of range", code="console.credit_amount",
                           limit=format_money(max(most, 0), invoice.currency))
    number = f"{today.year}-C{next_sequence(db, _CREDIT_NOTE_COUNTER, 1):06d}"
    note = CreditNote(number=number, invoice_id=invoice.id, currency=invoice.currency,
                      amount_minor=amount, reason=reason, staff_id=staff.id, created_at=now)
    db.add(note)
    before = {"balance_minor": invoice.balance_minor, "status": invoice.status}
    trail = payments.book_credit(db, invoice, number=number, amount=amount, reason=reason,
                                 today=today, by=first_name(staff))
    # The customer gets the credit note as a document of its own, by the invoice's channel.
    facts = NoticeFacts(kind="credit", sent_on=today, deadline=max(invoice.due_date, today),
                        amount=invoice.amount_minor, paid=invoice.paid_minor,
                        fees=invoice.fees_minor, interest=invoice.interest_minor,
                        credit_number=number, credit=amount, reason=reason)
    queue_notice(db, invoice, facts, trail)
    db.flush()
    audit(db, staff, "invoice.credit", target=("invoice", invoice.id), before=before,
          after={"balance_minor": invoice.balance_minor, "status": invoice.status,
                 "credit_note": number, "amount": amount}, now=now)
    return note



def match_payment(db: Session, staff: StaffUser, payment_id: int, number: str,
                  now: datetime) -> Invoice:
    """Book a bank payment without an invoice on the invoice ``number``, as the team found."""
    payment = db.get(Payment, payment_id)
    if payment is None or payment.source != "bank":
        raise ServiceError(f"no bank payment {payment_id}", code="service.not_found")
    invoice = db.scalars(select(Invoice).where(Invoice.number == number.strip())).first()
    if invoice is None:
        raise ServiceError(f"no invoice {number!r}", code="console.invoice")
    before = {"invoice_id": payment.invoice_id, "status": invoice.status,
              "paid_minor": invoice.paid_minor}
    try:
        payments.match_payment(db, payment, invoice)
    except payments.PaymentError as error:
        raise ServiceError(error.message, code=error.code) from None
    audit(db, staff, "payment.match", target=("payment", payment.id), before=before,
          after={"invoice_id": invoice.id, "status": invoice.status,
                 "paid_minor": invoice.paid_minor}, now=now)
    return invoice
