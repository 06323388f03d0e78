"""The daily reminder run: for every invoice whose day has come, take the next step once.

Which step and when is the country policy's business (:mod:`kassa.core.dunning`); this
module reads the invoice's history, records the step (unique per invoice, kind and notice
number, so it happens once however many workers run), adds the fee, brings late-payment
interest up to date, queues the messages in the outbox in the same transaction, and plans
the invoice's next look (``Invoice.next_action_on``), so that a daily run reads only the
invoices that need it.

The run goes through the invoices in (``next_action_on``, id) order, in batches of constant
memory, each batch one range of that index (:mod:`kassa.services.due_invoices` reads them).
On PostgreSQL each batch is claimed with ``FOR UPDATE SKIP LOCKED``: several workers at once
never take the same invoice. A run that is killed midway simply continues the next time.
"""

from __future__ import annotations

import dataclasses
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core.dunning import (
    DunningPolicy,
    DunningState,
    Notice,
    Step,
    next_step,
    next_step_earliest,
    notice_kind,
)
from ..core.interest import late_interest_rates, late_interest_with_payments
from ..db.bulk import among, insert_rows, update_rows
from ..db.models import DunningStep, Invoice, InvoiceEvent, OutboxMessage, SupportTask, utcnow
from ..invoicing.notices import NoticeFacts
from ..signals import (
    invoice_handed_to_collection,
    invoice_overdue,
    reminder_sent,
    send_after_commit,
)
from ..state import KassaState
from ..workers import run_in_threads
from .due_invoices import DueInvoice, claim_batch, dunning_state, payment_history
from .holds import check_plan_instalments
from .links import invoice_token
from .overdue import OverdueCase, overdue_hook_payload, segment_for, targets_for
from .reminder_policy import policy_for

#: How long the support team has to make the friendly contact (support-metrics.md: the
#: same business day for written contacts; a call task gets one day).
TASK_SLA = timedelta(hours=24)


@dataclass
class RunReport:
    """What one run did: invoices looked at and steps taken, by kind."""

    examined: int = 0
    steps: dict[str, int] = field(default_factory=lambda: {"friendly": 0, "reminder": 0,
                                                            "collection": 0})

    @property
    def total_steps(self) -> int:
        """Steps taken in all."""
        return sum(self.steps.values())


def run_reminders(state: KassaState, *, today: date, batch_size: int = 500,
                  progress: Callable[[RunReport], None] | None = None,
                  now: datetime | None = None, workers: int = 1) -> RunReport:
    """Take today's step for every invoice whose ``next_action_on`` has come.

    Idempotent: a second run on the same day finds nothing to do. Needs the Flask app
    context (links in messages are signed with the app's secret key). ``workers`` above 1
    runs that many workers in threads of this process, sharing the work as separate
    processes would; on PostgreSQL one worker's Python then overlaps another's wait for the
    database. ``progress`` sees the workers' reports added up.
    """
    with state.db.session() as db:  # a plan behind its instalments lets reminders resume
        check_plan_instalments(db, today)
    with _older_objects_set_aside():
        if workers > 1:
            return _run_in_threads(state, today, batch_size, progress, now, workers)
        return _run(state, today, batch_size, progress, now)


@contextmanager
def _older_objects_set_aside() -> Iterator[None]:
    """Keep the garbage collector's full collections during the run off the objects that
    were alive before it (the app, its modules and configuration: a hundred thousand and
    more). A run allocates rows by the thousand, which sets off full collections, and each
    one walked all of those again: a fifth to a quarter of a SQLite run's time over 100 000
    invoices. They go back to the collector when the run ends. Where the process had already
    frozen objects of its own (a pre-forking server does), it is left as it is."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run(state: KassaState, today: date, batch_size: int,
         progress: Callable[[RunReport], None] | None, now: datetime | None) -> RunReport:
    """One worker's run (:func:`run_reminders`)."""
    report = RunReport()
    policies: dict[tuple[str, bool], DunningPolicy] = {}
    rates = {country: late_interest_rates(country, state.config.rulebook)
             for country in state.config.countries}
    after: tuple[date, int] | None = None
    conflict: tuple[list[int], IntegrityError] | None = None
    while True:
        taken: dict[str, int] = {}
        try:
            # lock: on SQLite no other worker's batch commits between this one's reads and
            # its writes (on PostgreSQL the claim locks the rows).
            with state.db.session(lock=True) as db:
                invoices = claim_batch(db, today, after, batch_size)
                claimed = [invoice.id for invoice in invoices]
                # Read before the steps move it: where the next batch starts.
                last_key = (invoices[-1].next_action_on, invoices[-1].id) if invoices else after
                if conflict is not None and conflict[0] == claimed:
                    # Nobody took a step of the batch that failed: not another worker.
                    raise conflict[1]
                batch = _Batch(db, state, today, now or utcnow())
                for invoice in invoices:
                    key = (invoice.country, invoice.reminder_fee_agreed)
                    if key not in policies:
                        policies[key] = policy_for(state.config, invoice.country, today,
                                                   fee_agreed=invoice.reminder_fee_agreed)
                    if invoice.country not in rates:  # a country the shop no longer serves
                        rates[invoice.country] = late_interest_rates(invoice.country,
                                                                     state.config.rulebook)
                    step = advance(batch, invoice, policies[key], rates[invoice.country])
                    if step is not None:
                        taken[step.kind] = taken.get(step.kind, 0) + 1
                batch.write(invoices)
        except IntegrityError as error:
            if conflict is not None and conflict[1] is error:
                raise
            # Another worker without row locks (SQLite) recorded one of these steps first:
            # nothing of this batch was kept; read it again, the taken ones are gone from it.
            conflict = (claimed, error)
            continue
        conflict = None
        if not claimed:
            break
        after = last_key
        report.examined += len(claimed)
        for kind, count in taken.items():
            report.steps[kind] += count
        if progress is not None:
            progress(report)
    return report


def _run_in_threads(state: KassaState, today: date, batch_size: int,
                    progress: Callable[[RunReport], None] | None, now: datetime | None,
                    workers: int) -> RunReport:
    reports = [RunReport() for _ in range(workers)]
    lock = threading.Lock()

    def total() -> RunReport:
        return RunReport(examined=sum(r.examined for r in reports),
                         steps={kind: sum(r.steps[kind] for r in reports)
                                for kind in reports[0].steps})

    def work(index: int) -> None:
        def report_progress(report: RunReport) -> None:
            with lock:
                reports[index] = dataclasses.replace(report, steps=dict(report.steps))
                if progress is not None:
                    progress(total())
        reports[index] = _run(state, today, batch_size, report_progress, now)

    run_in_threads(workers, work, name="kassa-reminders")
    return total()


@dataclass
class _Batch:
    """One batch's session and the rows its steps write.

    Steps, events, tasks and outbox messages are collected as plain rows and written at the
    end of the batch, each table's rows in one go, and the invoices' changed columns with one
    UPDATE (:mod:`kassa.db.bulk`: COPY and ``unnest`` on PostgreSQL, executemany on SQLite).
    The unit of work would cost more than the SQL itself.
    """

    db: Session
    state: KassaState
    today: date
    now: datetime
    #: Overdue invoices for the team, with the link their messages carry.
    overdue: list[tuple[DueInvoice, str]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)

    def event(self, invoice_id: int, kind: str, data: dict[str, Any]) -> None:
        """Add an event to the invoice's trail."""
        self.events.append({"invoice_id": invoice_id, "kind": kind, "data": data})

    def message(self, invoice_id: int, channel: str, kind: str, recipient: str,
                payload: dict[str, Any]) -> None:
        """Queue a message in the outbox."""
        self.outbox.append({"invoice_id": invoice_id, "channel": channel, "kind": kind,
                            "recipient": recipient, "payload": payload})

    def write(self, invoices: list[DueInvoice]) -> None:
        """Hand the overdue invoices to the team, then write every row of the batch.

        The steps go first: their unique key is what stops a second worker (on SQLite,
        without row locks) from taking a step twice, and its error rolls the batch back.
        """
        insert_rows(self.db, DunningStep.__table__, self.steps)
        self._hand_to_team()
        insert_rows(self.db, InvoiceEvent.__table__, self.events)
        insert_rows(self.db, OutboxMessage.__table__, self.outbox)
        update_rows(self.db, Invoice.__table__, "id", [
            {"id": invoice.id, **{name: getattr(invoice, name) for name in _RUN_CHANGES}}
            for invoice in invoices])

    def _hand_to_team(self) -> None:
        """A task in Kassa's own support queue and a hook to every matching team target,
        for each invoice of the batch that became overdue."""
        if not self.overdue:
            return
        history = payment_history(self.db, [invoice for invoice, _ in self.overdue])
        cases = []
        for invoice, link in self.overdue:
            before, late = history.get(invoice.id, (0, 0))
            case = overdue_hook_payload(_overdue_case(self.state, invoice, before, late),
                                        self.today)
            case["invoice"]["link"] = link
            cases.append((invoice, case, segment_for(late, before)))
        # The task keeps the case without its own id (the row has it); the hooks carry it.
        insert_rows(self.db, SupportTask.__table__, [
            {"invoice_id": invoice.id, "customer_id": invoice.customer_id,
             "kind": "overdue_contact", "segment": segment, "payload": case,
             "due_at": self.now + TASK_SLA} for invoice, case, segment in cases])
        # The ids back in one query (RETURNING would cost one statement a row on SQLite):
        # an invoice is handed over once, so its newest overdue task is the one just written.
        newest = dict(self.db.execute(
            select(SupportTask.invoice_id, func.max(SupportTask.id))
            .where(among(self.db, SupportTask.invoice_id,
                         [invoice.id for invoice, _, _ in cases]),
                   SupportTask.kind == "overdue_contact")
            .group_by(SupportTask.invoice_id)).all())
        for invoice, case, segment in cases:
            task_id = newest[invoice.id]
            body = {**case, "task_id": str(task_id)}
            for index, target in enumerate(self.state.config.reminder_hooks):
                if targets_for([target], invoice.country, segment):
                    self.message(invoice.id, "hook", "overdue", f"{target.type}:{index}",
                                 {"target": index, "body": body})
            self.event(invoice.id, "handed_to_team", {"task": task_id, "segment": segment})


#: The invoice columns a run changes (status, fees, interest, the next look).
_RUN_CHANGES = ("status", "fees_minor", "interest_minor", "interest_through", "next_action_on")


def advance(batch: _Batch, invoice: DueInvoice, policy: DunningPolicy,
            rate_on: Callable[[date], Any]) -> Step | None:
    """Take ``invoice``'s step for the batch's day (if any) and plan its next look."""
    today = batch.today
    _accrue_interest(invoice, today, rate_on)
    # The notice's deadline counts from its receipt by the channel it goes by.
    current = dunning_state(invoice, today, _reminder_channel(batch.state, invoice))
    step = next_step(current, policy, today)
    agreed = invoice.agreed_reminder_fee_minor
    if step is not None and agreed is not None and step.fee > agreed:
        step = dataclasses.replace(step, fee=agreed)  # never more than the shopper was shown
    if step is not None:
        _record(batch, invoice, step, policy)
        current = _with_step(current, step, invoice.balance_minor)
    upcoming = next_step_earliest(current, policy)
    if current.paused:
        # A hold ends on a known day or when staff end it; look again the day after.
        ends = [h.ends_on for h in invoice.holds if h.ends_on and h.ends_on > today]
        invoice.next_action_on = min(ends) if ends else None
    elif upcoming is None or current.balance <= 0:
        invoice.next_action_on = None
    else:
        invoice.next_action_on = max(upcoming[1], today + timedelta(days=1))
    return step


def _with_step(current: DunningState, step: Step, balance: int) -> DunningState:
    """``current`` once ``step`` is taken (what :func:`dunning_state` reads back later)."""
    if step.kind == "friendly":
        return dataclasses.replace(current, friendly_sent_on=step.on, balance=balance)
    if step.kind == "reminder":
        notice = Notice(number=step.notice_number or 0, sent_on=step.on,
                        deadline=step.deadline or step.on, fee=step.fee,
                        channel=current.channel)
        return dataclasses.replace(current, notices=(*current.notices, notice), balance=balance)
    return dataclasses.replace(current, handed_to_collection=True, balance=balance)


def _accrue_interest(invoice: DueInvoice, today: date, rate_on: Callable[[date], Any]) -> None:
    """Late-payment interest from the due date up to ``today``, each day on the principal
    unpaid that day (:func:`late_interest_with_payments`): a part payment lowers the interest
    of the days after it arrived, never what had accrued before it. Payments go to the
    principal first. Money counted in ``paid_minor`` without a payment row (Kassa books none
    that way) counts as paid on the due date."""
    if today <= invoice.due_date:
        return
    payments = list(invoice.payments)
    unexplained = invoice.paid_minor - sum(minor for _, minor in payments)
    if unexplained > 0:
        payments.append((invoice.due_date, unexplained))
    invoice.interest_minor = late_interest_with_payments(
        invoice.amount_minor, payments, invoice.due_date, today, rate_on)
    invoice.interest_through = today


def _notice_facts(invoice: DueInvoice, step: Step, policy: DunningPolicy) -> NoticeFacts:
    """What the reminder of ``step`` states, its fee already added to the invoice."""
    number = step.notice_number or 1
    return NoticeFacts(
        kind=notice_kind(invoice.country, number, policy.max_fee_notices), number=number,
        sent_on=step.on, deadline=step.deadline or step.on, amount=invoice.amount_minor,
        paid=invoice.paid_minor, fees=invoice.fees_minor, fee=step.fee,
        interest=invoice.interest_minor, interest_from=invoice.due_date,
        interest_through=invoice.interest_through)


def _record(batch: _Batch, invoice: DueInvoice, step: Step, policy: DunningPolicy) -> None:
    db, state = batch.db, batch.state
    config = state.config
    customer = invoice.customer
    channel = _friendly_channel(state, invoice) if step.kind == "friendly" \
        else _reminder_channel(state, invoice)
    batch.steps.append({"invoice_id": invoice.id, "kind": step.kind,
                        "notice_number": step.notice_number or 0, "taken_on": step.on,
                        "fee_minor": step.fee, "deadline": step.deadline,
                        "channel": channel})
    if invoice.status == "open":
        invoice.status = "overdue"
    link = (f"{config.public_url.rstrip('/')}{config.url_prefix}/account/invoice/"
            f"{invoice_token(invoice.id)}")
    base = {"base_url": config.public_url, "locale": customer.locale, "link": link}
    if step.kind == "friendly":
        batch.event(invoice.id, "friendly_contact", {"channel": channel})
        batch.message(invoice.id, channel, "friendly_reminder",
                      customer.phone if channel == "sms" else customer.email, base)
        batch.overdue.append((invoice, link))
        send_after_commit(db, invoice_overdue, state.app, invoice_id=invoice.id,
                          number=invoice.number)
    elif step.kind == "reminder":
        invoice.fees_minor += step.fee
        facts = _notice_facts(invoice, step, policy)
        deadline = facts.deadline.isoformat()
        batch.event(invoice.id, "reminded", {"notice": step.notice_number, "fee": step.fee,
                                             "channel": channel, "deadline": deadline,
                                             "document": facts.to_json()})
        if step.fee:
            batch.event(invoice.id, "fee_added", {"amount": step.fee, "reason": "reminder"})
        batch.message(invoice.id, channel, "reminder",
                      (customer.phone or "") if channel == "sms" else customer.email,
                      {**base, "notice": step.notice_number, "fee": step.fee,
                       "deadline": deadline, "document": facts.to_json()})
        send_after_commit(db, reminder_sent, state.app, invoice_id=invoice.id,
                          notice=step.notice_number, fee=step.fee)
    else:
        invoice.status = "collection"
        batch.event(invoice.id, "handed_to_collection", {})
        for index, _target in enumerate(config.collection_partner):
            batch.message(invoice.id, "collection", "collection", f"partner:{index}",
                          {**base, "target": index})
        send_after_commit(db, invoice_handed_to_collection, state.app, invoice_id=invoice.id,
                          number=invoice.number)


def _usable(state: KassaState, invoice: DueInvoice, channel: str | None) -> bool:
    """Whether a message can go to this customer by ``channel``."""
    if channel == "sms":
        return bool(invoice.customer.phone and state.config.sms_url)
    if channel == "email":
        return bool(invoice.customer.email)
    return channel is not None and channel in state.config.channels


def _reminder_channel(state: KassaState, invoice: DueInvoice) -> str:
    """Formal reminders go by the channel the customer chose on their pages, when it can
    reach them; otherwise by the invoice's own."""
    chosen = invoice.customer.reminder_channel
    return chosen if chosen and _usable(state, invoice, chosen) else invoice.channel


def _friendly_channel(state: KassaState, invoice: DueInvoice) -> str:
    """The friendly contact: by e-mail or SMS as the customer chose, else as the merchant
    set (``auto``: SMS where it can reach them)."""
    if invoice.customer.reminder_channel in ("email", "sms") and _usable(
            state, invoice, invoice.customer.reminder_channel):
        return str(invoice.customer.reminder_channel)
    chosen = state.config.friendly_channel
    can_sms = bool(invoice.customer.phone and state.config.sms_url)
    if chosen == "auto" or (chosen == "sms" and not invoice.customer.phone):
        return "sms" if can_sms else "email"
    return chosen


def _overdue_case(state: KassaState, invoice: DueInvoice, before: int, late: int) -> OverdueCase:
    customer = invoice.customer
    return OverdueCase(
        invoice_number=invoice.number, amount_minor=invoice.amount_minor,
        balance_minor=invoice.balance_minor, currency=invoice.currency,
        due_date=invoice.due_date, reference=invoice.reference, customer_name=customer.name,
        customer_email=customer.email, customer_phone=customer.phone,
        customer_locale=customer.locale, country=invoice.country,
        invoices_before=before, late_invoices_before=late,
        call_script_url=(f"{state.config.public_url.rstrip('/')}{state.config.url_prefix}"
                         f"/account/call-script/{invoice.country.lower()}"),
    )
