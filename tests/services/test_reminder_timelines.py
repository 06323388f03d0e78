"""Time travel per country: one unpaid invoice walked day by day through the reminder run,
each notice held to the law in ``shared/reference/nordic-rules.md``; then the same invoice
paid, disputed, put on a plan or given more time at several points of that timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.db import DunningStep, Invoice
from kassa.services.holds import place_hold
from kassa.services.payments import record_payment
from kassa.services.reminders import run_reminders
from tests.factories import make_invoice

ISSUED = date(2026, 2, 16)
DUE = date(2026, 3, 2)  # a Monday; make_invoice gives 14 days to pay
FEE_GRACE_DAYS = 7  # KASSA_FEE_GRACE_DAYS default
COLLECTION_AFTER_DAYS = 14  # KASSA_COLLECTION_AFTER_DAYS default


@dataclass(frozen=True)
class Law:
    """One country's reminder rules (nordic-rules.md), with the shop's default fee."""

    #: Full days after the due date before the first fee-bearing reminder.
    first_after: int
    #: Full days between two fee-bearing notices.
    spacing: int
    #: Days to pay in each notice, from the receipt date (e-mail: the day it is sent).
    days_to_pay: int
    #: The shop's default fee (KASSA_REMINDER_FEES) and the cap in force in 2026.
    fee: int
    fee_cap: int
    #: Fee-bearing notices before the hand-off to collection.
    notices: int
    #: Whether the first reminder keeps the spacing after the friendly contact as well
    #: (KASSA_FRIENDLY_CONTACT_KEEPS_SPACING default: FI).
    friendly_keeps_spacing: bool = False


LAW = {
    "FI": Law(first_after=14, spacing=14, days_to_pay=10, fee=500, fee_cap=500, notices=2,
              friendly_keeps_spacing=True),
    "SE": Law(first_after=0, spacing=14, days_to_pay=10, fee=6000, fee_cap=6000, notices=1),
    "NO": Law(first_after=14, spacing=14, days_to_pay=14, fee=3500, fee_cap=3750, notices=2),
}
SEQUENCE = {"FI": 1001, "SE": 2001, "NO": 3001}


@dataclass(frozen=True)
class Taken:
    kind: str
    on: date
    fee: int
    deadline: date | None


def walk(app: Flask, start: date, end: date) -> None:
    """Run the engine once a day from ``start`` up to, not including, ``end``."""
    with app.app_context():
        day = start
        while day < end:
            run_reminders(get_state(app), today=day)
            day += timedelta(days=1)


def history(app: Flask, invoice_id: int) -> list[Taken]:
    with get_state(app).db.session() as db:
        rows = db.scalars(select(DunningStep).where(DunningStep.invoice_id == invoice_id)
                          .order_by(DunningStep.taken_on, DunningStep.id)).all()
        return [Taken(s.kind, s.taken_on, s.fee_minor, s.deadline) for s in rows]


def assert_lawful(steps: list[Taken], law: Law, due: date) -> None:
    """Every notice of ``steps`` within the law: timing, spacing, days to pay, fee."""
    friendly = [s for s in steps if s.kind == "friendly"]
    reminders = [s for s in steps if s.kind == "reminder"]
    assert len(friendly) <= 1 and len(reminders) <= law.notices
    if friendly:
        assert friendly[0].on > due and friendly[0].fee == 0
    previous: Taken | None = None
    for notice in reminders:
        assert notice.on >= due + timedelta(days=law.first_after + 1)
        if friendly:
            assert notice.on >= friendly[0].on + timedelta(days=FEE_GRACE_DAYS + 1)
            if law.friendly_keeps_spacing:
                assert notice.on >= friendly[0].on + timedelta(days=law.spacing + 1)
        assert notice.deadline is not None
        assert notice.deadline >= notice.on + timedelta(days=law.days_to_pay)
        assert notice.fee == law.fee <= law.fee_cap
        if previous is not None:
            assert previous.deadline is not None
            assert notice.on >= previous.on + timedelta(days=law.spacing + 1)
            assert notice.on > previous.deadline
        previous = notice
    collection = [s for s in steps if s.kind == "collection"]
    if collection:
        assert len(collection) == 1 and steps[-1] == collection[0]
        assert previous is not None and previous.deadline is not None
        assert collection[0].on >= previous.deadline + timedelta(days=COLLECTION_AFTER_DAYS)


@pytest.mark.parametrize("country", ["FI", "SE", "NO"])
def test_an_unpaid_invoice_walks_the_whole_way_within_the_law(app: Flask, country: str) -> None:
    law = LAW[country]
    invoice_id = make_invoice(app, country=country, issued=ISSUED, sequence=SEQUENCE[country])
    walk(app, DUE, DUE + timedelta(days=120))
    steps = history(app, invoice_id)
    assert [s.kind for s in steps] == ["friendly"] + ["reminder"] * law.notices + ["collection"]
    assert steps[0].on == DUE + timedelta(days=1)  # the friendly contact, the first day late
    assert_lawful(steps, law, DUE)
    with get_state(app).db.session() as db:
        invoice = db.get(Invoice, invoice_id)
        assert invoice.fees_minor == law.fee * law.notices
        assert invoice.status == "collection"
        assert invoice.interest_minor > 0  # late-payment interest from the due date


#: Points of the timeline: before the friendly contact, between it and the first reminder,
#: and after the first reminder.
MOMENTS = [DUE, DUE + timedelta(days=5), DUE + timedelta(days=25)]


@pytest.mark.parametrize("moment", MOMENTS, ids=["at-due", "after-friendly", "after-reminder"])
@pytest.mark.parametrize("country", ["FI", "SE", "NO"])
def test_a_payment_stops_every_further_step(app: Flask, country: str, moment: date) -> None:
    invoice_id = make_invoice(app, country=country, issued=ISSUED, sequence=SEQUENCE[country])
    walk(app, DUE, moment)
    before = history(app, invoice_id)
    with get_state(app).db.session() as db:
        invoice = db.get(Invoice, invoice_id)
        record_payment(db, invoice, source="bank", external_id=f"pay-{country}-{moment}",
                       amount=invoice.balance_minor, currency=invoice.currency,
                       received_on=moment)
    walk(app, moment, moment + timedelta(days=90))
    assert history(app, invoice_id) == before
    with get_state(app).db.session() as db:
        assert db.get(Invoice, invoice_id).status == "paid"


@pytest.mark.parametrize("moment", MOMENTS, ids=["at-due", "after-friendly", "after-reminder"])
@pytest.mark.parametrize("reason", ["disputed", "plan", "extended"])
@pytest.mark.parametrize("country", ["FI", "SE", "NO"])
def test_a_hold_pauses_the_steps_and_they_resume_within_the_law(
        app: Flask, country: str, reason: str, moment: date) -> None:
    law = LAW[country]
    invoice_id = make_invoice(app, country=country, issued=ISSUED, sequence=SEQUENCE[country])
    walk(app, DUE, moment)
    before = history(app, invoice_id)
    ends = moment + timedelta(days=30)
    with get_state(app).db.session() as db:
        invoice = db.get(Invoice, invoice_id)
        if reason == "extended":
            place_hold(db, invoice, reason, today=moment, new_due_date=ends)
        else:
            place_hold(db, invoice, reason, today=moment, until=ends)
    walk(app, moment, ends + timedelta(days=120))
    steps = history(app, invoice_id)
    assert steps[:len(before)] == before
    resumed = steps[len(before):]
    assert resumed, "the reminders resume once the hold has ended"
    assert all(s.on > ends for s in resumed)  # nothing while the hold was in force
    assert_lawful(steps, law, DUE)
    if reason == "extended":  # the new due date counts for the reminders still to come
        first_allowed = ends + timedelta(days=law.first_after + 1)
        assert all(s.on >= first_allowed for s in resumed if s.kind == "reminder")
    assert steps[-1].kind == "collection"
