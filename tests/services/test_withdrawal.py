"""Withdrawal from an instalment plan: the first invoice asks for the capital and the days'
interest by 30 days after the notice, the rest are cancelled, fees fall, nothing paid is lost;
after the period it is refused and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.db import Agreement, CreditWithdrawal, Invoice, OutboxMessage, ScheduleRevision
from kassa.errors import KassaHTTPError
from kassa.invoicing.pdf import invoice_pdf
from kassa.services.checkout import fulfil_order
from kassa.services.payments import record_payment
from kassa.services.withdrawal import withdraw
from kassa.signals import credit_withdrawn
from tests.documents import pdf_text
from tests.services.plan_support import TODAY, confirmed_plan, invoices_of, plan_app


def interest(capital: int, rate: str, days: int) -> int:
    """Simple interest for ``days`` days of 2026 (365 days), rounded half up."""
    exact = Fraction(capital) * Fraction(rate) / 100 * days / 365
    return (2 * exact.numerator + exact.denominator) // (2 * exact.denominator)


def notify(app: Flask, agreement_id: int, notice_on: date, **kwargs: Any) -> Any:
    state = get_state(app)
    with state.db.session() as db:
        agreement = db.get_one(Agreement, agreement_id)
        return withdraw(db, state, agreement, notice_on=notice_on,
                        today=kwargs.pop("today", notice_on), base_url="http://127.0.0.1",
                        **kwargs).figures


@pytest.mark.parametrize(("country", "offer_id", "total", "rate"),
                         [("SE", "se-12", 1_000_000, "9.9"), ("FI", "fi-12", 124990, "9.9")])
def test_withdrawal_on_day_5_owes_capital_and_five_days_of_interest_and_cancels_the_rest(
        make_app: Callable[..., Flask], db_url: str, country: str, offer_id: str, total: int,
        rate: str) -> None:
    app = plan_app(make_app, db_url)
    agreement_id = confirmed_plan(app, country=country, offer_id=offer_id, total=total)
    before = invoices_of(app, agreement_id)
    assert len(before) == 12 and sum(i["amount"] for i in before) > total
    heard: list[dict[str, Any]] = []
    credit_withdrawn.connect(lambda _sender, **kw: heard.append(kw), weak=False)
    try:
        figures = notify(app, agreement_id, TODAY + timedelta(days=5))
    finally:
        credit_withdrawn.receivers.clear()

    owed = total + interest(total, rate, 5)
    assert figures.owed == owed and figures.to_pay == owed
    after = invoices_of(app, agreement_id)
    first, rest = after[0], after[1:]
    assert first["amount"] == owed and first["status"] == "open"
    assert first["due_date"] == TODAY + timedelta(days=35)
    assert [i["status"] for i in rest] == ["cancelled"] * 11
    assert sum(i["amount"] for i in after) == owed  # not a cent more or less
    assert sum(i["balance"] for i in after) == owed
    kind, data = first["events"][-1]
    assert kind == "amended" and data["previous_amount"] == before[0]["amount"]
    assert data["reason"] == "withdrawal" and data["due_date"] == first["due_date"].isoformat()
    assert all(i["events"][-1][0] == "cancelled" for i in rest)
    assert heard and heard[0]["to_pay"] == owed and heard[0]["agreement_id"] == agreement_id
    with get_state(app).db.session() as db:
        record = db.scalar(select(CreditWithdrawal))
        assert record is not None and record.invoice_id == first["id"]
        revision = db.scalar(select(ScheduleRevision))
        assert revision is not None and revision.reason == "withdrawal"
        assert revision.schedule[0]["amount"] == owed
        # The shopper gets the first invoice again, with what is owed and by when.
        message = db.scalars(select(OutboxMessage).where(
            OutboxMessage.invoice_id == first["id"]).order_by(OutboxMessage.id)).all()[-1]
        assert message.kind == "invoice" and message.status == "pending"
        # The terms the shopper consented to are kept as they were.
        assert len(db.get_one(Agreement, agreement_id).terms["offer"]["schedule"]) == 12


def test_withdrawal_on_day_15_is_refused_and_changes_nothing(
        make_app: Callable[..., Flask], db_url: str) -> None:
    app = plan_app(make_app, db_url)
    agreement_id = confirmed_plan(app)
    before = invoices_of(app, agreement_id)
    with pytest.raises(KassaHTTPError) as refused:
        notify(app, agreement_id, TODAY + timedelta(days=15))
    assert refused.value.code == "withdrawal.too_late"
    assert refused.value.params["last_day"] == (TODAY + timedelta(days=14)).isoformat()
    assert invoices_of(app, agreement_id) == before
    # Day 14 is still in time.
    assert notify(app, agreement_id, TODAY + timedelta(days=14)).interest_days == 14


def test_a_later_receipt_of_the_terms_moves_the_period(
        make_app: Callable[..., Flask], db_url: str) -> None:
    app = plan_app(make_app, db_url)
    agreement_id = confirmed_plan(app)
    figures = notify(app, agreement_id, TODAY + timedelta(days=17),
                     terms_received_on=TODAY + timedelta(days=4))
    assert figures.last_day == TODAY + timedelta(days=18)


def test_a_second_withdrawal_is_refused(make_app: Callable[..., Flask], db_url: str) -> None:
    app = plan_app(make_app, db_url)
    agreement_id = confirmed_plan(app)
    notify(app, agreement_id, TODAY + timedelta(days=3))
    with pytest.raises(KassaHTTPError) as refused:
        notify(app, agreement_id, TODAY + timedelta(days=4))
    assert refused.value.code == "withdrawal.done" and refused.value.status == 409


def test_money_paid_before_counts_and_lowers_the_interest(
        make_app: Callable[..., Flask], db_url: str) -> None:
    app = plan_app(make_app, db_url)
    total = 1_000_000
    agreement_id = confirmed_plan(app, total=total)
    state = get_state(app)
    first = invoices_of(app, agreement_id)[0]
    with state.db.session() as db:  # the first instalment, set-up fee and all, paid on day 2
        record_payment(db, db.get_one(Invoice, first["id"]), source="bank", external_id="e-1",
                       amount=first["amount"], currency="SEK",
                       received_on=TODAY + timedelta(days=2), app=app)
    figures = notify(app, agreement_id, TODAY + timedelta(days=6))
    # Days 1-2 on the whole credit, days 3-6 on what the payment left; summed, then rounded.
    exact = ((Fraction(total) * 2 + Fraction(total - first["amount"]) * 4) * Fraction("9.9")
             / 100 / 365)
    assert figures.interest == (2 * exact.numerator + exact.denominator) // (2 * exact.denominator)
    after = invoices_of(app, agreement_id)
    assert after[0]["amount"] == total + figures.interest
    assert after[0]["balance"] == total + figures.interest - first["amount"]
    assert after[0]["status"] == "partly_paid"
    assert sum(i["balance"] for i in after) == figures.to_pay


def test_a_withdrawal_before_the_invoices_are_issued_issues_one_invoice(
        make_app: Callable[..., Flask], db_url: str) -> None:
    app = plan_app(make_app, db_url, KASSA_ISSUE_INVOICE_ON="fulfilment")
    agreement_id = confirmed_plan(app)
    assert invoices_of(app, agreement_id) == []
    figures = notify(app, agreement_id, TODAY + timedelta(days=5))
    [invoice] = invoices_of(app, agreement_id)
    assert invoice["amount"] == figures.owed == 1_000_000 + interest(1_000_000, "9.9", 5)
    assert invoice["instalment"] is None and invoice["due_date"] == TODAY + timedelta(days=35)
    state = get_state(app)
    with state.db.session() as db:  # shipping later issues no plan on top of it
        issued = fulfil_order(db, state, "demo", "A-100", TODAY + timedelta(days=6),
                              "http://127.0.0.1")
        assert [i.number for i in issued] == [invoice["number"]]


def test_the_invoice_the_shopper_gets_again_says_what_the_withdrawal_left_owed(
        make_app: Callable[..., Flask], db_url: str) -> None:
    app = plan_app(make_app, db_url)
    agreement_id = confirmed_plan(app)
    figures = notify(app, agreement_id, TODAY + timedelta(days=5))
    first = invoices_of(app, agreement_id)[0]
    state = get_state(app)
    with state.db.session() as db:
        text = pdf_text(invoice_pdf(db.get_one(Invoice, first["id"]), state.config, "sv"))
    assert ("Du ångrade kreditavtalet 2026-03-07. Du betalar tillbaka krediten, 10 000,00 kr, "
            "och ränta för 5 dagar, 13,56 kr, senast 2026-04-06. Inga avgifter tas ut") in text
    assert figures.interest == 1356
    assert "Avbetalning 1 av 1" in text
    assert "Belopp att betala 10 013,56 kr" in text


@pytest.mark.parametrize(("country", "offer_id"), [("FI", "fi-invoice-14"),
                                                   ("SE", "se-invoice-14")])
def test_an_invoice_purchase_has_no_right_to_withdraw(
        make_app: Callable[..., Flask], db_url: str, country: str, offer_id: str) -> None:
    """A free 14-day Finnish invoice from a small merchant is not consumer credit, and the
    Swedish law spares an invoice purchase the withdrawal right: a withdrawal is refused and
    changes nothing (no new due date, no register change)."""
    app = plan_app(make_app, db_url)
    agreement_id = confirmed_plan(app, country=country, offer_id=offer_id, total=49900)
    before = invoices_of(app, agreement_id)
    with pytest.raises(KassaHTTPError) as refused:
        notify(app, agreement_id, TODAY + timedelta(days=3))
    assert refused.value.code == "withdrawal.not_credit"
    assert invoices_of(app, agreement_id) == before
    with get_state(app).db.session() as db:
        assert db.scalars(select(CreditWithdrawal)).first() is None


def test_a_notice_recorded_late_still_leaves_an_invoices_time_to_pay(
        make_app: Callable[..., Flask], db_url: str) -> None:
    """The notice came on day 10 but is recorded 40 days later: the invoice asking for the
    capital is not due before it could arrive; it leaves the lawful time to pay."""
    app = plan_app(make_app, db_url)
    agreement_id = confirmed_plan(app)
    late = TODAY + timedelta(days=50)
    figures = notify(app, agreement_id, TODAY + timedelta(days=10), today=late)
    assert figures.due_date >= late + timedelta(days=14)
