"""Early repayment registered on an instalment plan: the invoices follow the new schedule to
the minor unit, every change is in their trail, the agreed terms stay as consented, and the
invoice the shopper gets says what changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from kassa import get_state
from kassa.db import Agreement, Invoice, ScheduleRevision
from kassa.errors import KassaHTTPError
from kassa.invoicing.pdf import invoice_pdf
from kassa.services.early_repayment import quote_early_repayment, register_early_repayment
from kassa.services.payments import record_payment
from kassa.services.withdrawal import withdraw
from tests.documents import pdf_text
from tests.services.plan_support import (
    TODAY,
    agreed_schedule,
    confirmed_plan,
    day,
    invoices_of,
    plan_app,
)


@pytest.fixture
def app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    return plan_app(make_app, db_url)


def pay_first(app: Flask, agreement_id: int, count: int) -> None:
    """The shopper pays the first ``count`` instalments on their due dates."""
    state = get_state(app)
    for item in invoices_of(app, agreement_id)[:count]:
        with state.db.session() as db:
            record_payment(db, db.get_one(Invoice, item["id"]), source="bank",
                           external_id=f"b-{item['id']}", amount=item["amount"],
                           currency="SEK", received_on=item["due_date"], app=app)


def quote(app: Flask, agreement_id: int, on: date, **kwargs: Any) -> Any:
    with get_state(app).db.session() as db:
        return quote_early_repayment(db, db.get_one(Agreement, agreement_id), on=on, today=on,
                                     **kwargs)


def register(app: Flask, agreement_id: int, on: date, amount: int, external_id: str = "r-1",
             keep: str = "instalments") -> Any:
    state = get_state(app)
    with state.db.session() as db:
        return register_early_repayment(
            db, state, db.get_one(Agreement, agreement_id), amount=amount, received_on=on,
            external_id=external_id, today=on, keep=keep,  # type: ignore[arg-type]
            base_url="http://127.0.0.1")


def test_repaying_everything_on_month_3_drops_the_later_interest_and_fees(app: Flask) -> None:
    agreement_id = confirmed_plan(app)
    schedule = agreed_schedule(app, agreement_id)
    pay_first(app, agreement_id, 3)
    on = day(schedule[2]["due_date"])  # the third due date: nothing of month 4 used yet
    start, end = TODAY, day(schedule[-1]["due_date"])
    later = schedule[3:]
    # The capital left, less the set-up fee's share of the remaining time (Lexitor).
    rebate_exact = Fraction(19500 * (end - on).days, (end - start).days)
    rebate = (2 * rebate_exact.numerator + rebate_exact.denominator) // (
        2 * rebate_exact.denominator)
    payoff = sum(row["principal"] for row in later) - rebate
    quoted = quote(app, agreement_id, on)
    assert quoted.figures.payoff == quoted.to_pay == payoff and quoted.also_due == 0
    assert quoted.figures.saving == sum(r["interest"] + r["fee"] for r in later) + rebate

    register(app, agreement_id, on, payoff)
    invoices = invoices_of(app, agreement_id)
    assert [i["status"] for i in invoices[:3]] == ["paid"] * 3
    assert [i["amount"] for i in invoices[:3]] == [r["amount"] for r in schedule[:3]]
    assert invoices[3]["amount"] == invoices[3]["paid"] == payoff
    assert invoices[3]["status"] == "paid"
    assert [i["status"] for i in invoices[4:]] == ["cancelled"] * 8
    assert sum(i["amount"] for i in invoices) == sum(r["amount"] for r in schedule[:3]) + payoff
    assert sum(i["balance"] for i in invoices) == 0
    with get_state(app).db.session() as db:
        revision = db.scalar(select(ScheduleRevision))
        assert revision is not None and revision.reason == "early_repayment"
        assert [row["number"] for row in revision.schedule] == [1, 2, 3, 4]
        assert db.get_one(Agreement, agreement_id).terms["offer"]["schedule"] == schedule
        # The shopper's copy of the fourth invoice shows the plan as it now is.
        text = pdf_text(invoice_pdf(db.get_one(Invoice, invoices[3]["id"]),
                                    get_state(app).config, "sv"))
    assert "betalade du hela din delbetalningsplan i förtid" in text
    assert "Avbetalning 4 av 4" in text
    assert f"4 (den här fakturan) {on.isoformat()}" in text
    assert schedule[-1]["due_date"] not in text  # the twelfth instalment is gone


def test_part_repayment_lowers_every_later_instalment_to_the_minor_unit(app: Flask) -> None:
    agreement_id = confirmed_plan(app)
    schedule = agreed_schedule(app, agreement_id)
    pay_first(app, agreement_id, 2)
    on = day(schedule[1]["due_date"]) + timedelta(days=10)
    result = register(app, agreement_id, on, 300000)
    new = result.figures.schedule
    assert [row.number for row in new] == list(range(3, 13))
    assert sum(row.principal for row in new) == sum(r["principal"] for r in schedule[2:]) - 300000
    invoices = invoices_of(app, agreement_id)
    carrier = invoices[2]
    assert carrier["amount"] == 300000 + new[0].amount and carrier["paid"] == 300000
    assert carrier["balance"] == new[0].amount and carrier["status"] == "partly_paid"
    assert [i["balance"] for i in invoices[3:]] == [row.amount for row in new[1:]]
    assert all(i["balance"] < r["amount"] for i, r in zip(invoices[2:], schedule[2:],
                                                           strict=True))
    for item, old in zip(invoices[2:], schedule[2:], strict=True):
        kind, data = next(e for e in item["events"] if e[0] == "amended")
        assert data["previous_amount"] == old["amount"] and data["reason"] == "early_repayment"
    # Still owed: exactly the new instalments; the trail of the carrier shows the money.
    assert sum(i["balance"] for i in invoices) == sum(row.amount for row in new)
    assert [e[0] for e in carrier["events"]][-2:] == ["amended", "partly_paid"]


def test_part_repayment_keeping_the_amount_cancels_the_last_instalments(app: Flask) -> None:
    agreement_id = confirmed_plan(app)
    schedule = agreed_schedule(app, agreement_id)
    pay_first(app, agreement_id, 1)
    on = day(schedule[0]["due_date"])
    result = register(app, agreement_id, on, 400000, keep="amount")
    count = len(result.figures.schedule)
    assert 0 < count < 11
    invoices = invoices_of(app, agreement_id)
    live, dropped = invoices[1:1 + count], invoices[1 + count:]
    assert [i["status"] for i in dropped] == ["cancelled"] * len(dropped)
    assert [i["amount"] for i in dropped] == [0] * len(dropped)
    assert sum(i["balance"] for i in live) == sum(r.amount for r in result.figures.schedule)
    assert result.figures.saving >= 2900 * len(dropped)  # the dropped months' fees, at least


def test_the_same_payment_twice_is_refused_and_changes_nothing(app: Flask) -> None:
    agreement_id = confirmed_plan(app)
    on = TODAY + timedelta(days=20)
    register(app, agreement_id, on, 200000, external_id="bank-77")
    before = invoices_of(app, agreement_id)
    with pytest.raises(KassaHTTPError) as refused:
        register(app, agreement_id, on, 200000, external_id="bank-77")
    assert refused.value.code == "early_repayment.duplicate" and refused.value.status == 409
    assert invoices_of(app, agreement_id) == before
    with get_state(app).db.session() as db:
        assert db.scalar(select(func.count()).select_from(ScheduleRevision)) == 1


def test_money_paid_ahead_counts_toward_the_payoff(app: Flask) -> None:
    agreement_id = confirmed_plan(app)
    schedule = agreed_schedule(app, agreement_id)
    invoices = invoices_of(app, agreement_id)
    with get_state(app).db.session() as db:  # the 5th instalment paid long before it is due
        record_payment(db, db.get_one(Invoice, invoices[4]["id"]), source="bank",
                       external_id="ahead", amount=schedule[4]["amount"], currency="SEK",
                       received_on=TODAY + timedelta(days=3), app=app)
    on = TODAY + timedelta(days=9)
    quoted = quote(app, agreement_id, on)
    assert quoted.prepaid == schedule[4]["amount"]
    assert quoted.to_pay == quoted.figures.payoff - schedule[4]["amount"]
    register(app, agreement_id, on, quoted.to_pay)
    after = invoices_of(app, agreement_id)
    assert sum(i["balance"] for i in after) == 0
    assert sum(i["paid"] for i in after) == quoted.figures.payoff
    assert after[4]["amount"] == after[4]["paid"]  # what was paid on it stays there


def test_after_a_withdrawal_there_is_nothing_to_repay_early(app: Flask) -> None:
    agreement_id = confirmed_plan(app)
    state = get_state(app)
    with state.db.session() as db:
        withdraw(db, state, db.get_one(Agreement, agreement_id),
                 notice_on=TODAY + timedelta(days=2), today=TODAY + timedelta(days=2),
                 base_url="http://127.0.0.1")
    with pytest.raises(KassaHTTPError) as refused:
        register(app, agreement_id, TODAY + timedelta(days=3), 1000)
    assert refused.value.code == "early_repayment.withdrawn"


def test_an_invoice_is_not_repaid_early(app: Flask) -> None:
    agreement_id = confirmed_plan(app, offer_id="se-invoice-14")
    with pytest.raises(KassaHTTPError) as refused:
        quote(app, agreement_id, TODAY + timedelta(days=2))
    assert refused.value.code == "early_repayment.method"
