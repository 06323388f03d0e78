"""A reminder fee is charged only where the law allows it: in Sweden only when the shopper's
agreement showed it (nordic-rules.md §1), in Finland and Norway by law.

Swedish fee 60 kr, Finnish 5 €, Norwegian 35 kr: the shop's default fees, within each cap."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from flask import Flask
from sqlalchemy import inspect, select

from kassa import get_state
from kassa.db import Agreement, DunningStep, Invoice, migrate
from kassa.services.checkout import confirm_checkout, create_checkout_session, fulfil_order
from kassa.services.reminders import run_reminders
from tests.factories import make_invoice

from .test_checkout_service import SE_ID, order_data

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ISSUED = date(2026, 2, 16)  # due Mon 2.3.2026


def reminder_fees(app: Flask, invoice_id: int) -> list[int]:
    """The fee of each reminder the run sent for the invoice, in order."""
    with get_state(app).db.session() as db:
        return list(db.scalars(select(DunningStep.fee_minor).where(
            DunningStep.invoice_id == invoice_id, DunningStep.kind == "reminder")
            .order_by(DunningStep.notice_number)))


def walk(app: Flask, start: date, days: int) -> None:
    """The daily reminder run, every day from ``start``."""
    with app.app_context():
        for offset in range(days):
            run_reminders(get_state(app), today=start + timedelta(days=offset))


def checkout(app: Flask, reference: str = "A-100") -> int:
    """A Swedish invoice purchase confirmed through the checkout; the agreement's id."""
    state = get_state(app)
    with state.db.session() as db:
        cs, _secret = create_checkout_session(db, state.config, "demo",
                                              order_data(order={**order_data()["order"],
                                                                "reference": reference}), NOW)
        result = confirm_checkout(db, state, cs, offer_id="se-invoice-14", channel="email",
                                  personal_id=SE_ID, consent=True, today=NOW.date(), now=NOW,
                                  base_url="http://localhost")
        return result.agreement.id


def test_swedish_invoice_of_a_checkout_that_showed_the_fee_gets_it_on_its_reminder(
    app: Flask,
) -> None:
    agreement_id = checkout(app)
    with get_state(app).db.session() as db:
        invoice = db.scalars(select(Invoice).where(Invoice.agreement_id == agreement_id)).one()
        invoice_id, due = invoice.id, invoice.due_date
    walk(app, due, 30)
    assert reminder_fees(app, invoice_id) == [6000]


def test_a_fee_raised_after_the_purchase_is_not_charged_on_it(
    make_app: Callable[..., Flask], db_url: str
) -> None:
    app = make_app(db_url, KASSA_REMINDER_FEES={"FI": "5.00", "SE": "40.00", "NO": "35.00"})
    agreement_id = checkout(app)  # the page showed 40 kr
    raised = make_app(db_url, upgrade=False,
                      KASSA_REMINDER_FEES={"FI": "5.00", "SE": "60.00", "NO": "35.00"})
    with get_state(raised).db.session() as db:
        invoice = db.scalars(select(Invoice).where(Invoice.agreement_id == agreement_id)).one()
        invoice_id, due = invoice.id, invoice.due_date
        assert invoice.agreed_reminder_fee_minor == 4000
    walk(raised, due, 30)
    assert reminder_fees(raised, invoice_id) == [4000]


def test_swedish_invoice_of_an_agreement_without_the_fee_is_reminded_without_one(
    make_app: Callable[..., Flask], db_url: str
) -> None:
    """An agreement confirmed before the checkout showed the fee, invoiced at fulfilment."""
    app = make_app(db_url, KASSA_ISSUE_INVOICE_ON="fulfilment")
    agreement_id = checkout(app)
    state = get_state(app)
    with state.db.session() as db:
        agreement = db.get(Agreement, agreement_id)
        agreement.terms = {k: v for k, v in agreement.terms.items() if k != "late_payment"}
    with state.db.session() as db:
        invoice = fulfil_order(db, state, "demo", "A-100", NOW.date(), "http://localhost")[0]
        assert invoice.reminder_fee_agreed is False
        invoice_id, due = invoice.id, invoice.due_date
    walk(app, due, 30)
    assert reminder_fees(app, invoice_id) == [0]
    with state.db.session() as db:
        assert db.get(Invoice, invoice_id).fees_minor == 0


def test_finnish_and_norwegian_fees_need_no_agreement(app: Flask) -> None:
    finnish = make_invoice(app, country="FI", issued=ISSUED, sequence=1001, fee_agreed=False)
    norwegian = make_invoice(app, country="NO", issued=ISSUED, sequence=3001, fee_agreed=False)
    walk(app, date(2026, 3, 1), 45)
    assert reminder_fees(app, finnish)[0] == 500
    assert reminder_fees(app, norwegian)[0] == 3500


def test_migration_takes_the_fee_from_swedish_invoices_whose_agreement_did_not_show_it(
    make_app: Callable[..., Flask], db_url: str
) -> None:
    app = make_app(db_url)
    db = get_state(app).db
    # Issued before 0009: every invoice had the fee agreed by the column's default. (The rows
    # are made with today's model, then the schema goes back to 0008 around them.)
    old_swedish = make_invoice(app, country="SE", issued=ISSUED, sequence=2001)
    shown_swedish = make_invoice(app, country="SE", issued=ISSUED, sequence=2002)
    finnish = make_invoice(app, country="FI", issued=ISSUED, sequence=1001)
    with db.session() as session:
        agreement = session.get(Invoice, shown_swedish).agreement
        agreement.terms = {"late_payment": {"currency": "SEK", "reminder_fee": 6000,
                                            "late_interest_rate": "10.0",
                                            "reminder_fee_needs_agreement": True}}
        for invoice_id in (old_swedish, shown_swedish, finnish):
            session.get(Invoice, invoice_id).reminder_fee_agreed = True
    migrate.downgrade(db, "0008")
    migrate.upgrade(db)
    with db.session() as session:
        agreed = {i: session.get(Invoice, i).reminder_fee_agreed
                  for i in (old_swedish, shown_swedish, finnish)}
    assert agreed == {old_swedish: False, shown_swedish: True, finnish: True}
    column = next(c for c in inspect(db.engine).get_columns("kassa_invoices")
                  if c["name"] == "reminder_fee_agreed")
    assert str(column["default"]).strip("'").lower() in ("false", "0")
    walk(app, date(2026, 3, 1), 45)
    assert reminder_fees(app, old_swedish) == [0]
    assert reminder_fees(app, shown_swedish) == [6000]
    assert reminder_fees(app, finnish)[0] == 500
    migrate.downgrade(db, "0008")
    column = next(c for c in inspect(db.engine).get_columns("kassa_invoices")
                  if c["name"] == "reminder_fee_agreed")
    assert str(column["default"]).strip("'").lower() in ("true", "1")
