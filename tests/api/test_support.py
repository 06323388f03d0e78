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


def test_a_storefront_key_sees_its_own_storefronts_tasks_and_invoices_only(
        make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from tests.api.support import BACK_KEY, BACKOFFICE_KEYS, READ_KEY, bearer

    app = make_app(db_url, KASSA_API_KEYS={"test": "k" * 32, "elsewhere": "e" * 32},
                   KASSA_BACKOFFICE_KEYS=BACKOFFICE_KEYS)
    invoice_id = make_invoice(app, country="FI", issued=ISSUED)  # an order of storefront "test"
    with app.app_context():
        run_reminders(get_state(app), today=date(2026, 3, 3))
    with get_state(app).db.session() as db:
        number = db.get(Invoice, invoice_id).number
    client = app.test_client()
    url = "/kassa/api/v1/support-tasks"
    assert len(client.get(url, headers=KEY).get_json()["tasks"]) == 1
    other = bearer("e" * 32)
    assert client.get(url, headers=other).get_json()["tasks"] == []
    hold = {"reason": "disputed"}
    refused = client.post(f"/kassa/api/v1/invoices/{number}/holds", headers=other, json=hold)
    assert refused.status_code == 404 and refused.get_json()["code"] == "invoice.not_found"

    # The merchant's back office sees every storefront's queue, within its key's scopes.
    assert len(client.get(url, headers=bearer(READ_KEY)).get_json()["tasks"]) == 1
    reader = client.post(f"/kassa/api/v1/invoices/{number}/holds?lang=fi",
                         headers=bearer(READ_KEY), json=hold)
    assert reader.status_code == 403
    assert reader.get_json() == {"code": "auth.scope",
                                 "message": "Tällä API-avaimella ei ole oikeutta tähän."}
    assert client.get("/kassa/api/v1/payments/unmatched",
                      headers=bearer(READ_KEY)).status_code == 403
    office = client.post(f"/kassa/api/v1/invoices/{number}/holds", headers=bearer(BACK_KEY),
                         json=hold)
    assert office.status_code == 200
    # A back-office key opens no checkout sessions: those belong to a storefront.
    assert client.post("/kassa/api/v1/checkout-sessions", headers=bearer(BACK_KEY),
                       json={}).status_code == 401


def test_back_office_keys_are_checked_at_start_up(make_app) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from kassa.errors import ConfigurationError

    for keys, words in (({"office": {"key": "short", "scopes": ["support:read"]}}, "24"),
                        ({"office": {"key": "b" * 32, "scopes": ["everything"]}}, "unknown"),
                        ({"office": {"key": "b" * 32, "scopes": []}}, "scopes")):
        with pytest.raises(ConfigurationError, match=f"KASSA_BACKOFFICE_KEYS: .*{words}"):
            make_app(None, upgrade=False, KASSA_BACKOFFICE_KEYS=keys)
