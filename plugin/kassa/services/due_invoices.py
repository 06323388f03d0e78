"""The invoices a reminder run reads: one batch claimed at a time, with each invoice's
customer, steps, holds and dated payments, and each customer's payment history.

The batch is read as plain rows (:class:`DueInvoice`, :class:`DueCustomer`) with Core
queries, not ORM objects: for a batch of invoices that are each read once and written once,
the ORM's identity map and attribute tracking would cost more than the SQL. The run
(:mod:`kassa.services.reminders`) writes the changed columns back itself.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, aliased

from ..core.dunning import DunningState, Notice
from ..db.bulk import among
from ..db.models import Customer, DunningStep, Invoice, InvoiceHold, Payment

#: Invoice statuses the reminder engine looks after.
DUNNING_STATUSES = ("open", "partly_paid", "overdue")


@dataclass(slots=True)
class DueCustomer:
    """The customer fields the run's messages and the team's case need."""

    name: str
    email: str
    phone: str | None
    locale: str
    #: The channel the customer chose for reminders on their pages; None: not chosen.
    reminder_channel: str | None


@dataclass(slots=True)
class DueInvoice:
    """An invoice as the run reads and changes it: plain columns, its customer, and its steps
    and holds as rows (``kind``, ``notice_number``, ``taken_on``, ...; ``starts_on``,
    ``ends_on``) and its payments as ``(received_on, amount_minor)``, oldest first. The run
    reads these with Core queries and writes the changed columns back itself: for a batch of
    invoices that are each read once and written once, the ORM's identity map and attribute
    tracking would cost more than the SQL."""

    id: int
    number: str
    customer_id: int
    reference: str
    channel: str
    country: str
    currency: str
    amount_minor: int
    fees_minor: int
    interest_minor: int
    paid_minor: int
    due_date: date
    status: str
    reminder_fee_agreed: bool
    agreed_reminder_fee_minor: int | None
    interest_through: date | None
    next_action_on: date | None
    customer: DueCustomer
    steps: list[Any] = field(default_factory=list)
    holds: list[Any] = field(default_factory=list)
    payments: list[tuple[date, int]] = field(default_factory=list)

    @property
    def balance_minor(self) -> int:
        """What is still to pay, as :attr:`Invoice.balance_minor` counts it."""
        return self.amount_minor + self.fees_minor + self.interest_minor - self.paid_minor


_INVOICES = Invoice.__table__.c
_CUSTOMERS = Customer.__table__.c
#: The columns, in the order of the classes' fields: a row builds them positionally.
_DUE_COLUMNS = [_INVOICES[f.name] for f in dataclasses.fields(DueInvoice)
                if f.name not in ("customer", "steps", "holds", "payments")]
_DUE_CUSTOMER = [_CUSTOMERS[f.name] for f in dataclasses.fields(DueCustomer)]
_STEPS = DunningStep.__table__.c
_HOLDS = InvoiceHold.__table__.c
_PAYMENTS = Payment.__table__.c


def claim_batch(db: Session, today: date, after: tuple[date, int] | None,
                 size: int) -> list[DueInvoice]:
    """The next invoices due a look after the key ``after`` (their ``next_action_on`` and
    id), in that order: one range of ``ix_kassa_invoices_next_look``. Locked for this worker
    where the database can."""
    postgresql = db.get_bind().dialect.name == "postgresql"
    # On SQLite, ``status || ''``: SQLite has no statistics to go by and would read through
    # the status index instead, and nearly every invoice of a book is open. PostgreSQL needs
    # the plain column: the expression's guessed selectivity (a few rows) makes it read every
    # due row and sort them, for each batch, instead of the first rows of the index.
    status = _INVOICES.status if postgresql else _INVOICES.status.concat("")
    query = (
        select(*_DUE_COLUMNS, *_DUE_CUSTOMER)
        .join_from(Invoice.__table__, Customer.__table__, _INVOICES.customer_id == _CUSTOMERS.id)
        .where(_INVOICES.next_action_on <= today, status.in_(DUNNING_STATUSES))
        .order_by(_INVOICES.next_action_on, _INVOICES.id).limit(size)
    )
    if after is not None:
        query = query.where(tuple_(_INVOICES.next_action_on, _INVOICES.id) > tuple_(*after))
    if postgresql:
        query = query.with_for_update(skip_locked=True, of=Invoice.__table__)
    split = len(_DUE_COLUMNS)
    invoices = {row[0]: DueInvoice(*row[:split], customer=DueCustomer(*row[split:]))
                for row in db.execute(query).all()}
    if invoices:
        ids = list(invoices)
        for row in db.execute(select(_STEPS.invoice_id, _STEPS.kind, _STEPS.notice_number,
                                     _STEPS.taken_on, _STEPS.fee_minor, _STEPS.deadline,
                                     _STEPS.channel)
                              .where(among(db, _STEPS.invoice_id, ids))
                              .order_by(_STEPS.id)):
            invoices[row.invoice_id].steps.append(row)
        for row in db.execute(select(_HOLDS.invoice_id, _HOLDS.starts_on, _HOLDS.ends_on)
                              .where(among(db, _HOLDS.invoice_id, ids))
                              .order_by(_HOLDS.id)):
            invoices[row.invoice_id].holds.append(row)
        # Payment dates for the interest, only of the invoices something was paid on.
        paid = [invoice.id for invoice in invoices.values() if invoice.paid_minor]
        if paid:
            for row in db.execute(select(_PAYMENTS.invoice_id, _PAYMENTS.received_on,
                                         _PAYMENTS.amount_minor)
                                  .where(among(db, _PAYMENTS.invoice_id, paid))
                                  .order_by(_PAYMENTS.received_on, _PAYMENTS.id)):
                invoices[row.invoice_id].payments.append((row.received_on, row.amount_minor))
    return list(invoices.values())


def dunning_state(invoice: DueInvoice, today: date,
                  channel: str | None = None) -> DunningState:
    """The invoice's reminder history as the policy sees it; ``channel`` is the one the next
    notice goes by (its deadline counts from the day it is received by that channel),
    the invoice's own unless given."""
    friendly = next((s.taken_on for s in invoice.steps if s.kind == "friendly"), None)
    notices = tuple(
        Notice(number=s.notice_number, sent_on=s.taken_on, deadline=s.deadline or s.taken_on,
               fee=s.fee_minor, channel=s.channel)
        for s in sorted(invoice.steps, key=lambda s: s.notice_number) if s.kind == "reminder"
    )
    paused = any(h.starts_on <= today and (h.ends_on is None or h.ends_on > today)
                 for h in invoice.holds)
    ended = [h.ends_on for h in invoice.holds if h.ends_on is not None and h.ends_on <= today]
    return DunningState(
        due_date=invoice.due_date, balance=invoice.balance_minor,
        channel=channel or invoice.channel,
        paused=paused, friendly_sent_on=friendly, notices=notices,
        handed_to_collection=any(s.kind == "collection" for s in invoice.steps),
        resumed_on=max(ended) if ended else None,
    )



def payment_history(db: Session, invoices: list[DueInvoice]) -> dict[int, tuple[int, int]]:
    """For each invoice: how many invoices its customer had before it, and how many of those
    went overdue (had a friendly contact); one query for the whole batch."""
    earlier = aliased(Invoice)
    went_overdue = select(DunningStep.id).where(DunningStep.invoice_id == earlier.id,
                                                DunningStep.kind == "friendly").exists()
    rows = db.execute(
        select(Invoice.id, func.count(earlier.id), func.count(earlier.id).filter(went_overdue))
        .join(earlier, (earlier.customer_id == Invoice.customer_id) & (earlier.id < Invoice.id))
        .where(among(db, Invoice.id, [invoice.id for invoice in invoices]))
        .group_by(Invoice.id)
    ).all()
    return {row[0]: (int(row[1]), int(row[2])) for row in rows}


