"""A support task's service-level clock, and what is kept of it when it closes.

Every task is due at an instant counted in the country's opening hours
(:mod:`kassa.services.sla`): by kind, a number of business hours from its creation, or the
close of the same business day for a message; a kind not listed keeps the due instant it was
created with (the reminder run's friendly contact). Time spent waiting on the customer is added.
When the customer writes again after the team's answer, the clock runs from that message
(:func:`restart_clock`).

When a task closes, wherever that happens (the console, a decision through the API, a
conversation resolved), :func:`finish` keeps what the console's figures count: when the team
first answered, whether that was within the service level, the channel and who closed it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import Customer, Invoice, OutboxMessage, StaffUser, SupportTask, as_utc
from ..db.service_models import Survey
from ..state import KassaState
from .sla import add_business_time, same_business_day_due

#: Business hours from a task's creation to its due instant, by kind.
SLA_BUSINESS_HOURS: dict[str, int] = {"callback_request": 4, "extension_request": 8,
                                      "plan_request": 8, "dispute_request": 8,
                                      "credit_review": 16, "undelivered": 8,
                                      "survey_followup": 16}
SAME_DAY_KINDS = frozenset({"message"})
#: Messages received after this local time are due at the close of the next business day.
SAME_DAY_CUTOFF = time(14, 0)


def task_channel(task: SupportTask) -> str:
    """How the team answers the task: ``message``, ``phone``, ``sms``, ``email`` or
    ``self_service`` (a decision the shopper sees on their pages)."""
    if task.kind == "message":
        return "message"
    if task.kind == "callback_request":
        return "phone"
    if task.kind == "survey_followup":
        return "phone"
    if task.kind == "undelivered":  # the channel that failed
        return str((task.payload or {}).get("channel") or "email")
    recommended = (task.payload or {}).get("recommended") or {}
    return str(recommended.get("channel") or "self_service")


def sla_due(state: KassaState, task: SupportTask, country: str) -> datetime:
    """The task's due instant in UTC, with the time spent waiting on the customer added."""
    hours = state.config.support_hours.get(country)
    created = as_utc(task.clock_from or task.created_at)
    paused = task.paused_seconds or 0
    if hours is None:
        return as_utc(task.due_at) + timedelta(seconds=paused)
    if task.kind in SAME_DAY_KINDS:
        due = same_business_day_due(hours, created, SAME_DAY_CUTOFF)
        return add_business_time(hours, due, paused) if paused else due
    if task.kind in SLA_BUSINESS_HOURS:
        return add_business_time(hours, created, SLA_BUSINESS_HOURS[task.kind] * 3600 + paused)
    return add_business_time(hours, as_utc(task.due_at), paused) if paused \
        else as_utc(task.due_at)


def mark_answered(task: SupportTask | None, now: datetime) -> None:
    """The team's first answer on ``task`` (a reply, a logged call, a decision)."""
    if task is not None and task.first_response_at is None:
        task.first_response_at = now


def record_reply(db: Session, state: KassaState, task: SupportTask | None,
                 now: datetime) -> None:
    """The team answered on ``task``: its first answer, or the answer that stops the clock a
    later customer message started (counted for the figures: the wait and whether it was
    within the service level)."""
    if task is None:
        return
    mark_answered(task, now)
    started = as_utc(task.clock_from) if task.clock_from is not None else None
    if started is not None and (task.replied_at is None or as_utc(task.replied_at) < started):
        country = db.get_one(Customer, task.customer_id).country
        task.replies = (task.replies or 0) + 1
        task.replies_met = (task.replies_met or 0) + int(now <= sla_due(state, task, country))
        task.reply_seconds = (task.reply_seconds or 0) + max(
            int((now - started).total_seconds()), 0)
    task.replied_at = now


def restart_clock(db: Session, state: KassaState, task: SupportTask, now: datetime) -> None:
    """The customer wrote again after the team's answer: ``task`` is back in the queue with
    its clock running from ``now``. Whether the first answer came in time is decided first,
    on the clock it had, and kept."""
    country = db.get_one(Customer, task.customer_id).country
    if task.first_response_at is not None and task.sla_met is None:
        task.sla_met = as_utc(task.first_response_at) <= sla_due(state, task, country)
    task.status, task.closed_at = "open", None
    task.clock_from, task.paused_seconds, task.waiting_since = now, 0, None
    task.due_at = sla_due(state, task, country)


def finish(db: Session, state: KassaState, task: SupportTask, now: datetime,
           closed_by: StaffUser | None = None) -> None:
    """Close ``task`` and keep its figures. Closing answers a task nobody answered before;
    the service level is met when that first answer came by the due instant (decided once:
    a task the customer reopened keeps the verdict on its first answer)."""
    record_reply(db, state, task, now)
    task.status, task.closed_at = "done", now
    if task.sla_met is None:
        country = db.get_one(Customer, task.customer_id).country
        assert task.first_response_at is not None
        task.sla_met = as_utc(task.first_response_at) <= sla_due(state, task, country)
    task.channel = task_channel(task)
    task.closed_by_id = closed_by.id if closed_by is not None else task.assignee_id


def undelivered_task(db: Session, message: OutboxMessage, now: datetime) -> None:
    """A task for the team when a message about an invoice could not be delivered; one open
    task per invoice, however many messages fail."""
    if message.invoice_id is None:
        return
    invoice = db.get(Invoice, message.invoice_id)
    if invoice is None:
        return
    exists_open = db.scalars(select(SupportTask.id).where(
        SupportTask.invoice_id == invoice.id, SupportTask.kind == "undelivered",
        SupportTask.status == "open")).first()
    if exists_open is not None:
        return
    db.add(SupportTask(invoice_id=invoice.id, customer_id=invoice.customer_id,
                       kind="undelivered", status="open",
                       payload={"outbox_id": message.id, "channel": message.channel,
                                "message": message.kind, "error": message.last_error},
                       due_at=now + timedelta(hours=SLA_BUSINESS_HOURS["undelivered"]),
                       created_at=now))


def follow_up_survey(db: Session, survey: Survey, now: datetime) -> None:
    """A task to call back a shopper whose matter was not resolved or who graded us low."""
    db.add(SupportTask(customer_id=survey.customer_id, kind="survey_followup", status="open",
                       payload={"survey_id": survey.id, "resolved": survey.resolved,
                                "overall": survey.overall, "agent": survey.agent,
                                "comment": survey.comment},
                       due_at=now + timedelta(hours=SLA_BUSINESS_HOURS["survey_followup"]),
                       created_at=now))
