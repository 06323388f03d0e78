"""Shared fixtures: Kassa apps on SQLite and on PostgreSQL.

Every test that takes ``app`` (or ``db_url``) runs twice: once on a fresh SQLite file and once
on PostgreSQL (``KASSA_TEST_DATABASE_URL``, default the local server). Without a reachable
PostgreSQL the PostgreSQL half is skipped locally, but fails when ``CI=true``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import create_engine, inspect, text

from kassa import Kassa
from kassa.db import migrate

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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A URL of an empty database: a SQLite file, or the test PostgreSQL emptied of Kassa."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kassa.sqlite3'}"
    if _PG_PROBLEM:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and not reachable: {_PG_PROBLEM}")
        pytest.skip(f"PostgreSQL not reachable: {_PG_PROBLEM}")
    _reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


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
        if upgrade:
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
