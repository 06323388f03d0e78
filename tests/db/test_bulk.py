"""Bulk writes (COPY and unnest on PostgreSQL, executemany on SQLite) write what insert() and
update() would, inside the session's transaction."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kassa import get_state
from kassa.db import DunningStep, Invoice, InvoiceEvent, OutboxMessage
from kassa.db.bulk import insert_rows, update_rows
from tests.factories import make_invoice

TRICKY = {"text": "Tab\there, new\nline, back\\slash, \"quotes\", ä ø å €", "n": [1, None]}


def test_rows_go_in_with_their_defaults_and_json_intact(app: Flask) -> None:
    invoice_id = make_invoice(app)
    state = get_state(app)
    with state.db.session() as db:
        insert_rows(db, OutboxMessage.__table__, [
            {"invoice_id": invoice_id, "channel": "email", "kind": "reminder",
             "recipient": f"r{n}@example.test", "payload": {**TRICKY, "row": n}}
            for n in range(3)])
        insert_rows(db, InvoiceEvent.__table__, [])  # nothing to write is fine
    with state.db.session() as db:
        messages = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.recipient for m in messages] == [f"r{n}@example.test" for n in range(3)]
    assert [m.payload for m in messages] == [{**TRICKY, "row": n} for n in range(3)]
    for message in messages:  # the model's defaults, as insert() would have set them
        assert (message.status, message.attempts, message.last_error) == ("pending", 0, None)
        assert message.next_attempt_at is not None and message.created_at is not None


def test_a_unique_conflict_is_an_integrity_error_and_the_batch_is_gone(app: Flask) -> None:
    invoice_id = make_invoice(app)
    state = get_state(app)
    step = {"invoice_id": invoice_id, "kind": "friendly", "notice_number": 0,
            "taken_on": date(2026, 3, 3), "fee_minor": 0, "deadline": None, "channel": "email"}
    with state.db.session() as db:
        insert_rows(db, DunningStep.__table__, [step])
    with pytest.raises(IntegrityError), state.db.session() as db:
        insert_rows(db, InvoiceEvent.__table__, [
            {"invoice_id": invoice_id, "kind": "friendly_contact", "data": {}}])
        insert_rows(db, DunningStep.__table__, [{**step, "kind": "reminder"}, step])
    with state.db.session() as db:
        assert len(db.scalars(select(DunningStep)).all()) == 1
        assert [e.kind for e in db.scalars(select(InvoiceEvent)).all()] == ["issued"]


def test_update_sets_each_rows_own_values_nulls_included(app: Flask) -> None:
    ids = [make_invoice(app, sequence=1001 + n) for n in range(4)]
    state = get_state(app)
    with state.db.session() as db:
        update_rows(db, Invoice.__table__, "id", [
            {"id": invoice_id, "status": "overdue", "fees_minor": 500 * n,
             "interest_through": date(2026, 3, 3 + n), "next_action_on": None}
            for n, invoice_id in enumerate(ids[:3])])
        update_rows(db, Invoice.__table__, "id", [])
    with state.db.session() as db:
        rows = {i.id: i for i in db.scalars(select(Invoice)).all()}
    for n, invoice_id in enumerate(ids[:3]):
        invoice = rows[invoice_id]
        assert (invoice.status, invoice.fees_minor, invoice.interest_through,
                invoice.next_action_on) == ("overdue", 500 * n, date(2026, 3, 3 + n), None)
    untouched = rows[ids[3]]
    assert (untouched.status, untouched.fees_minor, untouched.interest_through) == (
        "open", 0, None)
    assert untouched.next_action_on is not None
