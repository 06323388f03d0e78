"""Payment plans a shopper agrees to after the purchase: a year of instalments fits whatever
day it starts on, and a balance too small to split is refused with a reason, not a crash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from flask import Flask

from kassa import get_state
from kassa.db import Invoice
from kassa.services.customer_service import ServiceError, put_on_plan, quote_plan
from tests.factories import make_invoice

MONDAY = date(2026, 11, 2)


@pytest.mark.parametrize("weekday", range(7))
def test_a_twelve_month_plan_can_start_on_any_day_of_the_week(app: Flask, weekday: int) -> None:
    """The last of twelve monthly instalments moves to the next business day when it falls
    on a weekend or holiday; the plan still starts, and pauses the reminders until then."""
    today = MONDAY + timedelta(days=weekday)
    invoice_id = make_invoice(app, country="FI", amount=120000, issued=today - timedelta(days=20))
    state = get_state(app)
    with state.db.session() as db:
        invoice = db.get_one(Invoice, invoice_id)
        quote = quote_plan(state.config, [invoice], 12, today)
        put_on_plan(db, [invoice], quote, today, datetime.combine(today, datetime.min.time()))
        [hold] = invoice.holds
        assert hold.reason == "plan" and hold.ends_on == quote.offer.schedule[-1].due_date
        assert hold.ends_on > today + timedelta(days=360)


def test_a_balance_smaller_than_the_months_is_refused_with_a_reason(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", amount=5)
    state = get_state(app)
    with state.db.session() as db:
        invoice = db.get_one(Invoice, invoice_id)
        with pytest.raises(ServiceError) as refused:
            quote_plan(state.config, [invoice], 12, date.today())
        assert refused.value.code == "service.plan_too_small"
        assert quote_plan(state.config, [invoice], 2, date.today()).offer.schedule


def test_a_refused_dispute_leaves_the_agreed_plan_running(app: Flask) -> None:
    """Maija is on a plan, then disputes the invoice: reminders pause beside the plan, and
    missed instalments do not end it while the team looks. The team finds the claim right
    (refused): the dispute's pause ends, the plan goes on as agreed."""
    from kassa.services.customer_service import decide, open_dispute
    from kassa.services.holds import active_holds, check_plan_instalments

    today = MONDAY
    invoice_id = make_invoice(app, country="FI", amount=60000, issued=today - timedelta(days=20))
    state = get_state(app)
    now = datetime.combine(today, datetime.min.time())
    with state.db.session() as db:
        invoice = db.get_one(Invoice, invoice_id)
        put_on_plan(db, [invoice], quote_plan(state.config, [invoice], 3, today), today, now)
        request = open_dispute(db, state, [invoice.customer_id], invoice.number,
                               reason="damaged", text="Rikki", submit_key="d1", source="pages",
                               now=now, today=today)
        assert sorted(h.reason for h in active_holds(invoice, today)) == ["disputed", "plan"]
        later = today + timedelta(days=50)  # the first instalment is overdue by then
        assert check_plan_instalments(db, later) == []
        decide(db, state, request, grant=False, note="Ehjä", by="Aino", now=now, today=today)
        assert [h.reason for h in active_holds(invoice, today + timedelta(days=1))] == ["plan"]


def test_the_plans_confirmation_does_not_call_its_charges_reminder_fees(
        make_app: Callable[..., Flask], db_url: str) -> None:
    """The plan's interest and monthly fees are added to the invoice's fees; its confirmation
    shows them as fees and charges, never as reminder fees the shopper was not charged."""
    from kassa.invoicing.notices import NoticeFacts, notice_pdf
    from tests.documents import pdf_text

    app = make_app(db_url, KASSA_SELF_SERVICE={"FI": {"plan_nominal_rate": "9.9",
                                                      "plan_monthly_fee": "0.50"}})
    today = MONDAY
    invoice_id = make_invoice(app, country="FI", amount=120000, issued=today - timedelta(days=20))
    state = get_state(app)
    with state.db.session() as db:
        invoice = db.get_one(Invoice, invoice_id)
        put_on_plan(db, [invoice], quote_plan(state.config, [invoice], 6, today), today,
                    datetime.combine(today, datetime.min.time()))
        agreed = next(e for e in invoice.events if e.kind == "plan_agreed")
        facts = NoticeFacts.from_json(agreed.data["document"])
        assert facts.fees > 0
        text = pdf_text(notice_pdf(invoice, facts, state.config, "fi"))
    assert "Maksut ja kulut" in text and "Muistutusmaksu" not in text
