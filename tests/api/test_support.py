"""The team's side of the API: the support queue, and pausing reminders for an invoice."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask

from kassa import get_state
from kassa.db import Invoice
from kassa.services.reminders import run_reminders
from tests.factories import make_invoice

KEY = {"Authorization": "Bearer " + "k" * 32}
ISSUED = date(2026, 2, 16)


def app_with_key(make_app, db_url: str) -> Flask:  # type: ignore[no-untyped-def]
    app = make_app(db_url, KASSA_API_KEYS={"test": "k" * 32})
    return app


def test_support_queue_lists_the_overdue_contact(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app = app_with_key(make_app, db_url)
    make_invoice(app, country="FI", issued=ISSUED)
    with app.app_context():
        run_reminders(get_state(app), today=date(2026, 3, 3))
    client = app.test_client()
    tasks = client.get("/kassa/api/v1/support-tasks", headers=KEY).get_json()["tasks"]
    assert len(tasks) == 1
    assert tasks[0]["kind"] == "overdue_contact" and tasks[0]["segment"] == "first_time_late"
    assert tasks[0]["case"]["task_id"] == str(tasks[0]["id"])
    assert tasks[0]["case"]["customer"]["phone"]
    assert client.get("/kassa/api/v1/support-tasks").status_code == 401
    bad = client.get("/kassa/api/v1/support-tasks?status=maybe", headers=KEY)
    assert bad.status_code == 400 and bad.get_json()["code"] == "request.field"


def test_extension_moves_the_due_date_and_pauses(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app = app_with_key(make_app, db_url)
    invoice_id = make_invoice(app, country="FI", issued=date.today() - timedelta(days=20))
    with get_state(app).db.session() as db:
        number = db.get(Invoice, invoice_id).number
    client = app.test_client()
    new_due = date.today() + timedelta(days=14)
    answer = client.post(f"/kassa/api/v1/invoices/{number}/holds", headers=KEY,
                         json={"reason": "extended", "due_date": new_due.isoformat()})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["due_date"] == new_due.isoformat()
    assert "extended" in [e["kind"] for e in answer.get_json()["events"]]
    with app.app_context():
        report = run_reminders(get_state(app), today=date.today() + timedelta(days=7))
    assert report.total_steps == 0


def test_bad_hold_changes_nothing(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app = app_with_key(make_app, db_url)
    invoice_id = make_invoice(app, country="FI")
    with get_state(app).db.session() as db:
        invoice = db.get(Invoice, invoice_id)
        number, due = invoice.number, invoice.due_date
    client = app.test_client()
    answer = client.post(f"/kassa/api/v1/invoices/{number}/holds", headers=KEY,
                         json={"reason": "extended", "due_date": "2000-01-01"})
    assert answer.status_code == 422 and answer.get_json()["code"] == "hold.due_date"
    assert client.post(f"/kassa/api/v1/invoices/{number}/holds", headers=KEY,
                       json={"reason": "vacation"}).get_json()["code"] == "hold.reason"
    with get_state(app).db.session() as db:
        invoice = db.get(Invoice, invoice_id)
        assert invoice.due_date == due and invoice.holds == []


def test_dispute_until_ended_then_reminders_resume(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app = app_with_key(make_app, db_url)
    invoice_id = make_invoice(app, country="FI", issued=date.today() - timedelta(days=30))
    with get_state(app).db.session() as db:
        number = db.get(Invoice, invoice_id).number
    client = app.test_client()
    assert client.post(f"/kassa/api/v1/invoices/{number}/holds", headers=KEY,
                       json={"reason": "disputed"}).status_code == 200
    with app.app_context():
        assert run_reminders(get_state(app), today=date.today()).total_steps == 0
    ended = client.post(f"/kassa/api/v1/invoices/{number}/holds/end", headers=KEY).get_json()
    assert ended["holds_ended"] == 1
    with app.app_context():
        later = [run_reminders(get_state(app), today=date.today() + timedelta(days=n))
                 for n in range(1, 8)]
    assert sum(r.total_steps for r in later) >= 1
