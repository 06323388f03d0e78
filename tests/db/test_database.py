"""Persistence on SQLite and PostgreSQL: migrations, identity numbers at rest, the trail."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect, select, text

from kassa import get_state
from kassa.core.identity import parse_personal_id
from kassa.db import Agreement, Base, Customer, Invoice, InvoiceEvent, Order, migrate
from kassa.db.database import VERSION_TABLE
from kassa.signals import invoice_issued, send_after_commit


def test_migrations_create_exactly_the_models(app: Flask) -> None:
    db = get_state(app).db
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    tables = set(inspect(db.engine).get_table_names())
    assert VERSION_TABLE in tables
    assert all(t.startswith("kassa_") for t in tables)
    assert migrate.current_revision(db) is not None


def test_upgrade_twice_changes_nothing_and_downgrade_empties(app: Flask) -> None:
    db = get_state(app).db
    head = migrate.current_revision(db)
    migrate.upgrade(db)
    assert migrate.current_revision(db) == head
    migrate.downgrade(db, "base")
    assert set(inspect(db.engine).get_table_names()) <= {VERSION_TABLE}


def test_sqlite_runs_in_wal_mode(make_app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    with get_state(app).db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_default_database_is_sqlite_in_the_instance_folder(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(None)
    db = get_state(app).db
    assert db.is_sqlite and db.url.endswith("kassa.sqlite3")
    assert app.instance_path in db.url


def make_customer(app: Flask, number: str = "131052-308T") -> Customer:
    person = parse_personal_id("FI", number)
    customer = Customer(country="FI", name="Maija Meikäläinen", email="maija@example.fi",
                        locale="fi")
    get_state(app).vault.store(customer, person)
    return customer


def test_identity_number_is_encrypted_masked_and_never_logged(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    try:
        state = get_state(app)
        with state.db.session() as session:
            session.add(make_customer(app))
        with state.db.engine.connect() as connection:
            row = connection.execute(text(
                "select personal_id_encrypted, personal_id_masked from kassa_customers")).one()
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert b"131052-308T" not in bytes(row[0]) and b"308T" not in bytes(row[0])
    assert row[1] == "131052-****"
    assert "308T" not in caplog.text
    with state.db.session() as session:
        customer = session.scalars(select(Customer)).one()
        assert state.vault.reveal(customer) == "131052-308T"
        assert "308T" not in repr(customer)


def test_returning_customer_is_found_by_digest(app: Flask) -> None:
    state = get_state(app)
    with state.db.session() as session:
        session.add(make_customer(app))
    digest = state.vault.digest(parse_personal_id("FI", "131052-308t"))
    with state.db.session() as session:
        assert session.scalars(select(Customer).where(
            Customer.personal_id_digest == digest)).one().name == "Maija Meikäläinen"


def add_invoice(app: Flask) -> int:
    with get_state(app).db.session() as session:
        customer = make_customer(app)
        order = Order(storefront="demo", external_id="A-1", customer=customer, country="FI",
                      currency="EUR", total_minor=12990, vat_minor=2640, locale="fi")
        agreement = Agreement(order=order, customer=customer, method="invoice",
                              product_id="fi-invoice-14", terms={"apr": "0.0"}, locale="fi")
        session.add(agreement)
        invoice = Invoice(number="2026-000001", agreement=agreement, customer=customer,
                          reference="12345672", reference_scheme="fi", channel="email",
                          country="FI", currency="EUR", amount_minor=12990,
                          issue_date=date(2026, 11, 2), due_date=date(2026, 11, 16))
        session.add(invoice)
        session.flush()
        session.add(InvoiceEvent(invoice=invoice, kind="issued", data={}))
        return invoice.id


def test_invoice_trail_is_append_only(app: Flask) -> None:
    invoice_id = add_invoice(app)
    state = get_state(app)
    with pytest.raises(ValueError, match="append-only"):
        with state.db.session() as session:
            event = session.scalars(select(InvoiceEvent)).one()
            event.kind = "paid"
    with pytest.raises(ValueError, match="append-only"):
        with state.db.session() as session:
            session.delete(session.scalars(select(InvoiceEvent)).one())
    with state.db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        assert [e.kind for e in invoice.events] == ["issued"]
        assert invoice.balance_minor == 12990


def test_signal_is_sent_after_commit_and_not_after_rollback(app: Flask) -> None:
    heard: list[str] = []

    def listener(sender: object, **kwargs: object) -> None:
        heard.append(str(kwargs["number"]))

    invoice_issued.connect(listener)
    try:
        state = get_state(app)
        with state.db.session() as session:
            send_after_commit(session, invoice_issued, app, number="1")
            assert heard == []
        assert heard == ["1"]
        with pytest.raises(RuntimeError):
            with state.db.session() as session:
                send_after_commit(session, invoice_issued, app, number="2")
                raise RuntimeError("boom")
        assert heard == ["1"]
    finally:
        invoice_issued.disconnect(listener)
