"""Fast bulk seeding for the benchmarks: many open invoices with their customers, orders and
agreements, written with SQLAlchemy Core ``insert()`` executemany in chunks.

Also the plumbing the benchmarks share: :func:`bench_app` (a Kassa app like the tests'
``make_app``) and :func:`scratch_database` (a temporary SQLite file, or a dedicated PostgreSQL
database created and dropped around the bench).

Not for tests: the rows skip the checkout (no order lines, no personal identity numbers, no
``issued`` events) and carry explicit ids, so that nothing has to be read back to link them.
Seed an empty, migrated database only.

::

    from bench.seed import seed_invoices
    seed_invoices(url, 100_000, due_date=date(2026, 3, 2), due_share=0.1)
"""

from __future__ import annotations

import os
import pathlib
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import Connection, Table, create_engine, event, func, insert, select, text
from sqlalchemy.engine import make_url

from kassa import Kassa
from kassa.db import migrate
from kassa.db.models import Agreement, Customer, Invoice, Order

#: The PostgreSQL server the tests use; the benches make their own database on it.
POSTGRES_URL = os.environ.get(
    "KASSA_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

#: Rows per executemany and per transaction.
CHUNK = 10_000
#: Invoices per customer: customers are shared, as returning shoppers are.
INVOICES_PER_CUSTOMER = 10
#: The one storefront every seeded order comes from.
STOREFRONT = "bench"


def bench_app(database_url: str, *, upgrade: bool = True, **config: Any) -> Flask:
    """A Flask app with Kassa on ``database_url`` (migrated unless ``upgrade`` is false), a
    fresh encryption key and ``KASSA_*`` overrides from ``config``."""
    app = Flask("kassa_bench")
    app.config.update(
        SECRET_KEY=secrets.token_urlsafe(32),
        KASSA_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        KASSA_DATABASE_URL=database_url,
        KASSA_PUBLIC_URL="http://127.0.0.1:5000",
        **config,
    )
    Kassa(app)
    if upgrade:
        migrate.upgrade(app.extensions["kassa"].db)
    return app


@contextmanager
def scratch_database(kind: str, name: str = "kassa_bench") -> Iterator[str]:
    """The URL of an empty database, removed afterwards: a SQLite file in a temporary folder
    (``kind`` "sqlite") or the PostgreSQL database ``name`` on :data:`POSTGRES_URL`'s server,
    dropped and created again (``kind`` "postgresql"). The tests' own database is never
    touched. Dispose of every engine on the URL before the block ends."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="kassa-bench-") as folder:
            yield f"sqlite:///{pathlib.Path(folder) / f'{name}.sqlite3'}"
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}")
    create_postgres_database(name)
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        drop_postgres_database(name)


def create_postgres_database(name: str, template: str | None = None) -> None:
    """(Re)create the PostgreSQL database ``name``, empty or as a copy of ``template``."""
    drop_postgres_database(name)
    with _admin() as admin:
        suffix = f' TEMPLATE "{template}"' if template else ""
        admin.exec_driver_sql(f'CREATE DATABASE "{name}"{suffix}')


def drop_postgres_database(name: str) -> None:
    """Drop the PostgreSQL database ``name`` if it exists (closing leftover connections)."""
    if name == make_url(POSTGRES_URL).database:
        raise ValueError("refusing to drop the tests' own database")
    with _admin() as admin:
        admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _admin() -> Iterator[Connection]:
    """An autocommit connection to the tests' database: CREATE/DROP DATABASE need one."""
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


@dataclass(frozen=True)
class SeedReport:
    """What :func:`seed_invoices` wrote and how long it took (seconds)."""

    invoices: int
    customers: int
    #: Invoices whose ``next_action_on`` is the day after the due date (the rest: later).
    due: int
    seconds: float


def seed_invoices(
    url: str,
    count: int,
    *,
    due_date: date,
    due_share: float = 1.0,
    country: str = "FI",
    currency: str = "EUR",
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Write ``count`` open invoices (ids 1..count) due on ``due_date`` into the empty database
    at ``url``, with one customer per :data:`INVOICES_PER_CUSTOMER` invoices and one order and
    agreement per invoice.

    ``due_share`` (0..1) of the invoices, spread evenly over the ids, get ``next_action_on =
    due_date + 1 day`` (the friendly step is due that day); the others get a day 30 days
    later, so the reminder run of ``due_date + 1`` does not read them. References and numbers
    are the sequence number as text (unique, no check digit: the run never validates them).
    On SQLite the seeding connection runs with ``synchronous=OFF``.
    """
    if not 0.0 <= due_share <= 1.0:
        raise ValueError("due_share must be between 0 and 1")
    if chunk % INVOICES_PER_CUSTOMER:
        raise ValueError(f"chunk must be a multiple of {INVOICES_PER_CUSTOMER}")
    engine = create_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        event.listen(engine, "connect", _fast_sqlite)
    started = time.perf_counter()
    customers = due = 0
    created = datetime(due_date.year, due_date.month, due_date.day, 12, tzinfo=UTC) - timedelta(
        days=14
    )
    try:
        with engine.connect() as connection:
            if connection.scalar(select(func.count()).select_from(Invoice.__table__)):
                raise RuntimeError("seed_invoices needs an empty database")
            for first in range(1, count + 1, chunk):
                last = min(first + chunk, count + 1)  # exclusive
                rows = _Rows(first, last, due_date, due_share, country, currency, created)
                customers += _insert(connection, Customer.__table__, rows.customers())
                _insert(connection, Order.__table__, rows.orders())
                _insert(connection, Agreement.__table__, rows.agreements())
                due += _insert(connection, Invoice.__table__, rows.invoices(), count_due=True)
                connection.commit()
                if progress is not None:
                    progress(last - 1)
            if not sqlite:
                _advance_sequences(connection)
                connection.commit()
            if sqlite:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                connection.commit()
            else:
                # A book in use has been vacuumed: hint bits and the visibility map set, so
                # that the first reader does not write them (VACUUM needs autocommit).
                connection.commit()
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE")
    finally:
        engine.dispose()
    return SeedReport(
        invoices=count, customers=customers, due=due, seconds=time.perf_counter() - started
    )


def _fast_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _insert(
    connection: Connection, table: Table, rows: Iterator[dict[str, Any]], count_due: bool = False
) -> int:
    batch = list(rows)
    if batch:
        connection.execute(insert(table), batch)
    if count_due:
        return sum(1 for row in batch if row["next_action_on"] == row["due_date"] + _ONE_DAY)
    return len(batch)


_ONE_DAY = timedelta(days=1)


class _Rows:
    """The parameter dicts of one chunk: invoices ``first`` .. ``last - 1``."""

    def __init__(
        self,
        first: int,
        last: int,
        due_date: date,
        due_share: float,
        country: str,
        currency: str,
        created: datetime,
    ) -> None:
        self.first, self.last = first, last
        self.due_date, self.due_share = due_date, due_share
        self.country, self.currency, self.created = country, currency, created

    @staticmethod
    def customer_of(sequence: int) -> int:
        return (sequence - 1) // INVOICES_PER_CUSTOMER + 1

    def customers(self) -> Iterator[dict[str, Any]]:
        for customer in range(self.customer_of(self.first), self.customer_of(self.last - 1) + 1):
            yield {
                "id": customer,
                "country": self.country,
                "name": f"Bench Customer {customer}",
                "email": f"customer{customer}@example.test",
                "phone": f"+35840{customer:07d}",
                "street": "Esimerkkikatu 2",
                "postal_code": "00100",
                "city": "Helsinki",
                "locale": "fi",
                "personal_id_encrypted": None,
                "personal_id_digest": None,
                "personal_id_masked": None,
                "birth_date": None,
                "created_at": self.created,
            }

    def orders(self) -> Iterator[dict[str, Any]]:
        for sequence in range(self.first, self.last):
            yield {
                "id": sequence,
                "storefront": STOREFRONT,
                "external_id": str(sequence),
                "customer_id": self.customer_of(sequence),
                "country": self.country,
                "currency": self.currency,
                "total_minor": _amount(sequence),
                "vat_minor": 0,
                "status": "open",
                "locale": "fi",
                "created_at": self.created,
            }

    def agreements(self) -> Iterator[dict[str, Any]]:
        for sequence in range(self.first, self.last):
            yield {
                "id": sequence,
                "order_id": sequence,
                "customer_id": self.customer_of(sequence),
                "method": "invoice",
                "product_id": "invoice-14",
                "terms": {},
                "locale": "fi",
                "accepted_at": self.created,
            }

    def invoices(self) -> Iterator[dict[str, Any]]:
        due_date = self.due_date
        for sequence in range(self.first, self.last):
            # Evenly spread: invoice n is due when floor(n * share) steps up at n.
            is_due = int(sequence * self.due_share) != int((sequence - 1) * self.due_share)
            yield {
                "id": sequence,
                "number": f"B{sequence:09d}",
                "agreement_id": sequence,
                "customer_id": self.customer_of(sequence),
                "instalment_number": None,
                "reference": str(sequence),
                "reference_scheme": "fi",
                "channel": "email",
                "country": self.country,
                "currency": self.currency,
                "amount_minor": _amount(sequence),
                "fees_minor": 0,
                "interest_minor": 0,
                "paid_minor": 0,
                "issue_date": due_date - timedelta(days=14),
                "due_date": due_date,
                "status": "open",
                "reminder_fee_agreed": True,
                "interest_through": None,
                "next_action_on": due_date + (_ONE_DAY if is_due else timedelta(days=30)),
                "created_at": self.created,
            }


def _amount(sequence: int) -> int:
    """An order total between 10.00 and 509.99 (minor units)."""
    return 1_000 + (sequence * 7_919) % 50_000


def _advance_sequences(connection: Connection) -> None:
    """PostgreSQL: move the id sequences past the explicit ids written."""
    for table in ("kassa_customers", "kassa_orders", "kassa_agreements", "kassa_invoices"):
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )
