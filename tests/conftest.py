"""Shared fixtures: Kassa apps on SQLite and on PostgreSQL.

Every test that takes ``app`` (or ``db_url``) runs twice: once on a fresh SQLite file and once
on PostgreSQL (``KASSA_TEST_DATABASE_URL``, default the local server). Without a reachable
PostgreSQL the PostgreSQL half is skipped locally, but fails when ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import create_engine, inspect, text
from werkzeug.routing import Rule

from kassa import Kassa
from kassa.db import Base, migrate
from kassa.db.database import VERSION_TABLE, Database

POSTGRES_URL = os.environ.get(
    "KASSA_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_KEY = Fernet.generate_key().decode()
#: A SECRET_KEY as random and long as Kassa asks for.
TEST_SECRET_KEY = "t3st-S3cret-k3y-0123456789-abcdefghijklmnopqrstuvwxyz"


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any driver or connection error means "not reachable"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


_PG_PROBLEM = _postgres_problem()


def _reset_postgres(url: str) -> None:
    """Drop Kassa's tables so each test starts from an empty schema."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for table in inspect(connection).get_table_names():
            if table.startswith("kassa_"):
                connection.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    engine.dispose()


def _empty_postgres(url: str) -> None:
    """Leave the test PostgreSQL at the newest schema without a row in it.

    The first time in a run it is dropped and migrated afresh. After that, when the schema is
    still the newest (the usual case after the previous test), the rows are deleted and the
    sequences restarted, children first: milliseconds instead of the third of a second a
    migration from nothing takes. Anything else (no tables, an older revision a migration
    test left, stray tables) is dropped and migrated afresh.
    """
    if url not in _MIGRATED_THIS_RUN:  # a schema left by an earlier run may be out of date
        _reset_postgres(url)
        _migrate(url)
        _MIGRATED_THIS_RUN.add(url)
        return
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            tables = set(inspect(connection).get_table_names())
            revision = (
                connection.execute(text(f'SELECT version_num FROM "{VERSION_TABLE}"')).scalar()
                if VERSION_TABLE in tables else None
            )
            if revision == _HEAD and {t for t in tables if t.startswith("kassa_")} == _TABLES:
                for table in reversed(Base.metadata.sorted_tables):
                    connection.execute(table.delete())
                for sequence in connection.execute(text(
                        "SELECT sequencename FROM pg_sequences "
                        "WHERE schemaname = current_schema()")).scalars():
                    connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
                return
    finally:
        engine.dispose()
    _reset_postgres(url)
    _migrate(url)


def _migrate(url: str) -> None:
    database = Database(url)
    try:
        migrate.upgrade(database)
    finally:
        database.dispose()


_HEAD = ScriptDirectory(str(Path(migrate.__file__).parent / "migrations")).get_current_head()
_TABLES = set(Base.metadata.tables) | {VERSION_TABLE}
_MIGRATED_THIS_RUN: set[str] = set()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once a run; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "kassa.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of a database at the newest schema with no rows: a copy of a migrated SQLite
    file, or the test PostgreSQL emptied of Kassa's rows."""
    if request.param == "sqlite":
        path = tmp_path / "kassa.sqlite3"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    if _PG_PROBLEM:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and not reachable: {_PG_PROBLEM}")
        pytest.skip(f"PostgreSQL not reachable: {_PG_PROBLEM}")
    _empty_postgres(POSTGRES_URL)
    return POSTGRES_URL


def _share_url_builders() -> None:
    """Every test builds Flask apps of its own, and werkzeug compiles two URL-building
    functions for each of Kassa's routes (with ``ast`` and ``compile``) for every app: a sixth
    of a second an app, minutes a run. A builder takes its rule as an argument and closes over
    nothing else, so rules of the same shape share the one compiled first; what a URL is built
    to stays the same."""
    compile_builder = Rule._compile_builder
    built: dict[Any, Any] = {}

    def shared(self: Rule, append_unknown: bool = True) -> Any:
        defaults = tuple(sorted(
            (name, self._converters[name].to_url(value) if name in self._converters
             else repr(value)) for name, value in (self.defaults or {}).items()))
        key = (self.rule, tuple(self._trace), append_unknown, defaults)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    Rule._compile_builder = shared  # type: ignore[method-assign]


_share_url_builders()


def base_config(db_url: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A minimal valid configuration for a test app."""
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET_KEY,
        # The test client's own host, so that links Kassa builds lead back to the app.
        "KASSA_PUBLIC_URL": "http://localhost",
        "KASSA_ENCRYPTION_KEY": TEST_KEY,
    }
    if db_url:
        config["KASSA_DATABASE_URL"] = db_url
    config.update(overrides)
    return config


@pytest.fixture
def make_app(tmp_path: Any) -> Iterator[Callable[..., Flask]]:
    """Build Flask apps with Kassa; the databases are disposed of afterwards."""
    apps: list[Flask] = []

    def build(db_url: str | None = None, *, upgrade: bool = True, **config: Any) -> Flask:
        app = Flask(f"kassa_test_{len(apps)}", instance_path=str(tmp_path / f"i{len(apps)}"))
        app.config.update(base_config(db_url, **config))
        Kassa(app)
        # A database copied from the template is at the newest revision already.
        if upgrade and migrate.current_revision(app.extensions["kassa"].db) != _HEAD:
            migrate.upgrade(app.extensions["kassa"].db)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["kassa"].db.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    """A migrated Kassa app, once on SQLite and once on PostgreSQL."""
    return make_app(db_url)
