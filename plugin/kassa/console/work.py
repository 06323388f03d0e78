"""The queue and the customer view of a task, with the team's actions on it.

Views are thin: the form in, a call to :mod:`kassa.services.console`, then back to the page
with a message (post/redirect/get). Everything works without JavaScript; ``console.js`` only
adds the queue's keyboard shortcuts (j/k to move, Enter to open).
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from ..account.call_script import script_segments
from ..account.trail import status_text
from ..config import COUNTRY_CURRENCY, OVERDUE_SEGMENTS
from ..core.money import parse_major
from ..db.models import Customer, Invoice, StaffUser, SupportTask
from ..db.service_models import Attachment, MessageThread, ServiceRequest
from ..i18n import format_day, format_money, normalize_locale
from ..i18n import gettext as _
from ..pages import attachment_download
from ..services import console as service
from ..services import conversations, payments
from ..services.customer_service import (
    OPEN_STATUSES,
    ServiceError,
    customer_scope,
    scoped_invoices,
)
from ..services.holds import active_holds
from ..services.overdue import SEGMENT_LABELS
from ..services.staff import role_rank
from ..state import get_state, request_session, transaction
from .access import requires
from .blueprint import console, service_error_text
from .labels import (
    CALL_OUTCOME_LABELS,
    CHANNEL_NAMES,
    EVENT_NAMES,
    KIND_NAMES,
    REQUEST_STATUS_NAMES,
    THREAD_STATUS_NAMES,
)


def _now() -> tuple[datetime, date]:
    now = datetime.now(UTC)
    return now, now.date()


@console.route("/")
@requires("agent")
def queue() -> Any:
    args = request.args
    country = args.get("country", "").upper()
    wanted = service.QueueFilter(
        country=country if country in COUNTRY_CURRENCY else None,
        language=normalize_locale(args.get("language")),
        kind=args.get("type") or None, channel=args.get("channel") or None,
        segment=args.get("segment") if args.get("segment") in OVERDUE_SEGMENTS else None,
        mine=args.get("mine") == "1", everything=args.get("all") == "1")
    now, _today = _now()
    db = request_session()
    rows = service.queue(db, get_state(), g.kassa_staff, wanted, now)
    return render_template("kassa/console/queue.html", rows=rows, wanted=wanted,
                           kinds=service.kinds_in_queue(db), countries=list(COUNTRY_CURRENCY),
                           segments=[(s, _(SEGMENT_LABELS[s])) for s in OVERDUE_SEGMENTS],
                           kind_names=KIND_NAMES, channel_names=CHANNEL_NAMES, now=now)


def _task_or_404(task_id: int) -> SupportTask:
    task = request_session().get(SupportTask, task_id)
    if task is None:
        abort(404)
    return task


@console.route("/tasks/<kassa_id:task_id>")
@requires("agent")
def task(task_id: int) -> Any:
    """The customer view: the customer, every invoice with its trail, requests, threads."""
    db = request_session()
    item = _task_or_404(task_id)
    customer = db.get_one(Customer, item.customer_id)
    scope = customer_scope(db, customer.id)
    invoices = scoped_invoices(db, scope)
    requests = list(db.scalars(select(ServiceRequest).where(
        ServiceRequest.customer_id.in_(scope)).order_by(ServiceRequest.id.desc())))
    threads = list(db.scalars(select(MessageThread).where(
        MessageThread.customer_id.in_(scope)).order_by(MessageThread.id.desc())))
    now, today = _now()
    due = service.sla_due(get_state(), item, customer.country)
    segment = item.segment or (item.payload or {}).get("segment")
    calls = [event for invoice in invoices for event in invoice.events
             if event.kind == "call_logged" and event.invoice_id == item.invoice_id]
    reached = not calls or calls[-1].data.get("outcome") not in UNREACHED
    return render_template(
        "kassa/console/task.html", task=item, customer=customer, invoices=invoices,
        requests=requests, threads=threads, due=due, now=now, today=today,
        channel=service.task_channel(item), segment=segment,
        segment_label=_(SEGMENT_LABELS[segment]) if segment in SEGMENT_LABELS else None,
        kind_names=KIND_NAMES, channel_names=CHANNEL_NAMES, outcomes=CALL_OUTCOME_LABELS,
        submit_key=secrets.token_urlsafe(16), survey_default=reached,
        request_files=_request_files(db, [found.id for found in requests]),
        max_mb=round(get_state().config.upload_max_bytes / 1_000_000),
        event_names=EVENT_NAMES, request_statuses=REQUEST_STATUS_NAMES,
        thread_statuses=THREAD_STATUS_NAMES, invoice_status=status_text,
        channels=list(dict.fromkeys(("email", *get_state().config.channels))),
        holds={invoice.id: active_holds(invoice, today) for invoice in invoices},
        card_payments={invoice.id: [(p, payments.refundable(db, p)) for p in invoice.payments
                                    if p.source == "stripe"] for invoice in invoices},
        reminder_channels=list(dict.fromkeys(("email", "sms", *get_state().config.channels))),
        open_statuses=OPEN_STATUSES,
        pause_from=(today + timedelta(days=1)).isoformat(),
        pause_to=(today + timedelta(days=service.PAUSE_MAX_DAYS)).isoformat(),
        delivery=service.delivery_channel(db, scope),
        promise_max=service.PROMISE_MAX_DAYS,
        colleagues=list(db.scalars(select(StaffUser).where(StaffUser.active.is_(True))
                                   .order_by(StaffUser.name))))


#: Call outcomes after which no survey is offered: nobody was reached.
UNREACHED = frozenset({"no_answer", "wrong_number"})


def _back(task_id: int) -> Any:
    return redirect(url_for("kassa_console.task", task_id=task_id))


def _done(task_id: int, text: str) -> Any:
    flash(text, "ok")
    return _back(task_id)


def _refused(task_id: int, error: ServiceError) -> Any:
    flash(service_error_text(error), "error")
    return _back(task_id)


@console.route("/tasks/<kassa_id:task_id>/<any(assign, unassign, snooze, wait, resume, close):act>",
               methods=["POST"])
@requires("agent")
def task_action(task_id: int, act: str) -> Any:
    _task_or_404(task_id)
    now, today = _now()
    staff = g.kassa_staff
    try:
        with transaction() as db:
            if act == "assign" and request.form.get("staff_id"):
                # Giving a task to someone else is a supervisor's call.
                if role_rank(staff.role) < role_rank("supervisor"):
                    abort(403)
                to = db.get(StaffUser, int(request.form["staff_id"])) \
                    if request.form["staff_id"].isdigit() else None
                if to is None or not to.active:
                    raise ServiceError("no such staff member", code="service.not_found")
                service.assign(db, staff, task_id, to, now)
                text = _("The task was given to %(name)s.", name=to.name)
            elif act in ("assign", "unassign"):
                service.assign(db, staff, task_id, staff if act == "assign" else None, now)
                text = _("The task is yours.") if act == "assign" else _(
                    "The task is back in the shared queue.")
            elif act == "snooze":
                try:
                    until = date.fromisoformat(request.form.get("until", ""))
                except ValueError:
                    raise ServiceError("bad date", code="console.snooze_range",
                                       limit=service.SNOOZE_MAX_DAYS) from None
                service.snooze(db, staff, task_id, until, today, now)
                text = _("The task is out of the queue until %(day)s.", day=until.isoformat())
            elif act in ("wait", "resume"):
                service.set_waiting(db, get_state(), staff, task_id, act == "wait", now)
                text = _("Waiting on the customer: the clock is paused.") if act == "wait" \
                    else _("The clock is running again.")
            else:
                closed = service.close_task(db, get_state(), staff, task_id, now,
                                            survey=request.form.get("survey") == "1")
                text = _("The task is closed.") if closed else _(
                    "Someone has already closed this task. Nothing was changed.")
    except ServiceError as error:
        return _refused(task_id, error)
    if act == "close":
        flash(text, "ok")
        return redirect(url_for("kassa_console.queue"))
    return _done(task_id, text)


def _scoped(task_id: int, model: Any, record_id: int) -> Any:
    db = request_session()
    item = _task_or_404(task_id)
    record = db.get(model, record_id)
    if record is None or record.customer_id not in customer_scope(db, item.customer_id):
        abort(404)
    return record


@console.route("/tasks/<kassa_id:task_id>/threads/<kassa_id:thread_id>/reply", methods=["POST"])
@requires("agent")
def reply(task_id: int, thread_id: int) -> Any:
    thread = _scoped(task_id, MessageThread, thread_id)
    now, _today = _now()
    try:
        with transaction() as db:
            service.reply(db, get_state(), g.kassa_staff, thread,
                          request.form.get("body", ""),
                          request.form.get("submit_key", "") or secrets.token_urlsafe(16), now,
                          uploads=conversations.uploads_from(
                              request.files.getlist("files"),
                              get_state().config.upload_max_bytes))
    except ServiceError as error:
        return _refused(task_id, error)
    return _done(task_id, _("Your reply was sent to the customer."))


@console.route("/tasks/<kassa_id:task_id>/threads/<kassa_id:thread_id>/resolve", methods=["POST"])
@requires("agent")
def resolve(task_id: int, thread_id: int) -> Any:
    thread = _scoped(task_id, MessageThread, thread_id)
    now, _today = _now()
    try:
        with transaction() as db:
            service.resolve(db, get_state(), g.kassa_staff, thread, now,
                            survey=request.form.get("survey", "1") != "0")
    except ServiceError as error:
        return _refused(task_id, error)
    return _done(task_id, _("The conversation is resolved. The customer gets a short survey."))


@console.route("/tasks/<kassa_id:task_id>/requests/<kassa_id:request_id>/decide", methods=["POST"])
@requires("agent")
def decide(task_id: int, request_id: int) -> Any:
    found = _scoped(task_id, ServiceRequest, request_id)
    decision = request.form.get("decision")
    grant = decision == "grant"
    now, today = _now()
    try:
        if decision not in ("grant", "refuse"):
            raise ServiceError("grant or refuse", code="console.decision")
        with transaction() as db:
            service.decide(db, get_state(), g.kassa_staff, found.id,
                           customer_scope(db, found.customer_id), grant,
                           request.form.get("note", ""), now, today)
    except ServiceError as error:
        return _refused(task_id, error)
    return _done(task_id, _("The decision was saved and the customer will be told."))


@console.route("/tasks/<kassa_id:task_id>/call", methods=["POST"])
@requires("agent")
def log_call(task_id: int) -> Any:
    item = _task_or_404(task_id)
    db = request_session()
    number = request.form.get("invoice", "")
    invoice = db.scalars(select(Invoice).where(Invoice.number == number)).first() \
        if number else (db.get(Invoice, item.invoice_id) if item.invoice_id else None)
    if invoice is None or invoice.customer_id not in customer_scope(db, item.customer_id):
        flash(_("Please choose the invoice the call was about."), "error")
        return _back(task_id)
    now, today = _now()
    promised = None
    if request.form.get("promise_date"):
        try:
            promised = date.fromisoformat(request.form["promise_date"])
        except ValueError:
            promised = None
    try:
        with transaction() as session:
            service.log_call(session, g.kassa_staff, invoice, request.form.get("outcome", ""),
                             promised, request.form.get("note", ""), today, now,
                             task=session.get(SupportTask, task_id))
    except ServiceError as error:
        return _refused(task_id, error)
    return _done(task_id, _("The call was saved in the invoice's history."))


def _customer_invoice(task_id: int, number: str) -> Invoice:
    db = request_session()
    item = _task_or_404(task_id)
    invoice = db.scalars(select(Invoice).where(Invoice.number == number)).first()
    if invoice is None or invoice.customer_id not in customer_scope(db, item.customer_id):
        abort(404)
    return invoice


@console.route("/tasks/<kassa_id:task_id>/invoices/<number>/<any(resend, pause, resume):act>",
               methods=["POST"])
@requires("agent")
def invoice_action(task_id: int, number: str, act: str) -> Any:
    """Send the invoice's latest document again by a chosen channel; pause or resume its
    reminders."""
    found = _customer_invoice(task_id, number)
    now, today = _now()
    staff = g.kassa_staff
    try:
        with transaction() as db:
            invoice = db.get_one(Invoice, found.id)
            if act == "resend":
                channel = request.form.get("channel", "")
                service.resend(db, get_state(), staff, invoice, channel, now)
                text = _("It is on its way again by %(channel)s.",
                         channel=_(CHANNEL_NAMES.get(channel, channel)).lower())
            elif act == "pause":
                try:
                    until = date.fromisoformat(request.form.get("until", ""))
                except ValueError:
                    raise ServiceError("bad date", code="console.pause_range",
                                       limit=service.PAUSE_MAX_DAYS) from None
                service.pause_reminders(db, staff, invoice, until, request.form.get("note", ""),
                                        today, now)
                text = _("Reminders are paused until %(day)s.", day=format_day(until))
            else:
                ended = service.resume_reminders(db, staff, invoice, today, now)
                text = _("Reminders go on from the next run.") if ended else _(
                    "Nothing was paused. Nothing was changed.")
    except ServiceError as error:
        return _refused(task_id, error)
    return _done(task_id, text)


@console.route("/tasks/<kassa_id:task_id>/details", methods=["POST"])
@requires("agent")
def details(task_id: int) -> Any:
    """The customer's contact details and channels, as the customer told the agent."""
    item = _task_or_404(task_id)
    now, _today = _now()
    try:
        with transaction() as db:
            changed = service.change_details(db, get_state(), g.kassa_staff,
                                             db.get_one(Customer, item.customer_id),
                                             dict(request.form.items()), now)
    except ServiceError as error:
        return _refused(task_id, error)
    return _done(task_id, _("The customer's details are updated.") if changed else _(
        "Nothing had changed. Nothing was saved."))


def _amount(invoice: Invoice) -> int:
    amount = parse_major(request.form.get("amount", ""), invoice.currency)
    if amount is None or amount <= 0:
        raise ServiceError("not an amount", code="console.amount")
    return amount


@console.route("/tasks/<kassa_id:task_id>/invoices/<number>/refund", methods=["POST"])
@requires("supervisor")
def refund(task_id: int, number: str) -> Any:
    """Pay back (part of) a card payment through Stripe: a supervisor's action."""
    found = _customer_invoice(task_id, number)
    now, today = _now()
    try:
        with transaction() as db:
            invoice = db.get_one(Invoice, found.id)
            payment_id = request.form.get("payment", "")
            service.refund(db, get_state(), g.kassa_staff, invoice,
                           int(payment_id) if payment_id.isdigit() else 0, _amount(invoice),
                           today, now)
    except ServiceError as error:
        return _refused(task_id, error)
    return _done(task_id, _("The refund is on its way to the customer's card."))


@console.route("/tasks/<kassa_id:task_id>/invoices/<number>/credit", methods=["POST"])
@requires("supervisor")
def credit(task_id: int, number: str) -> Any:
    """Correct the invoice by a credit note: a supervisor's action."""
    found = _customer_invoice(task_id, number)
    now, today = _now()
    try:
        with transaction() as db:
            invoice = db.get_one(Invoice, found.id)
            note = service.credit_note(db, g.kassa_staff, invoice, _amount(invoice),
                                       request.form.get("reason", ""), today, now)
            text = _("Credit note %(number)s is made: %(amount)s off the invoice.",
                     number=note.number, amount=format_money(note.amount_minor,
                                                              note.currency))
    except ServiceError as error:
        return _refused(task_id, error)
    return _done(task_id, text)


@console.route("/tasks/<kassa_id:task_id>/call-script")
@requires("agent")
def call_script(task_id: int) -> Any:
    """The friendly-contact script for this task's customer: who to call and about what
    (first name, invoice, amount, due date, days overdue), the customer's group with its
    channel and tone, then the script itself, in the agent's language."""
    db = request_session()
    item = _task_or_404(task_id)
    customer = db.get_one(Customer, item.customer_id)
    invoice = db.get(Invoice, item.invoice_id) if item.invoice_id else None
    _now_at, today = _now()
    segment = item.segment or (item.payload or {}).get("segment")
    return render_template(
        "kassa/console/call_script.html", task=item, customer=customer, invoice=invoice,
        first_name=(customer.name or "").split()[0] if customer.name else "",
        days_overdue=max((today - invoice.due_date).days, 0) if invoice else None,
        segment=segment, segments=script_segments(customer.country))


@console.route("/tasks/<kassa_id:task_id>/attachments/<kassa_id:attachment_id>")
@requires("agent")
def attachment(task_id: int, attachment_id: int) -> Any:
    """A file of the task's customer (a dispute's photo, a message's attachment), as a
    download: never shown inline, whatever it claims to be."""
    return attachment_download(_scoped(task_id, Attachment, attachment_id))


def _request_files(db: Any, request_ids: list[int]) -> dict[int, list[Attachment]]:
    files: dict[int, list[Attachment]] = {}
    if request_ids:
        for row in db.scalars(select(Attachment).where(Attachment.request_id.in_(request_ids))
                              .order_by(Attachment.id)):
            files.setdefault(row.request_id, []).append(row)
    return files
