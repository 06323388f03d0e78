"""One app's connection to Kassa's database.

SQLite is the embedded default (one file, WAL mode, foreign keys on); PostgreSQL is used
when ``KASSA_DATABASE_URL`` names it. Each Flask app gets its own :class:`Database`, held in
its Kassa state, so two apps in one process never share an engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

#: Alembic's version table for Kassa, apart from the host app's own.
VERSION_TABLE = "kassa_alembic_version"


class Database:
    """An engine and a session factory for one URL."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            engine_options.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        else:
            engine_options.setdefault("pool_pre_ping", True)
        self.engine: Engine = create_engine(url, **engine_options)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self, *, lock: bool = False) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back on an exception.

        ``lock``: on SQLite, take the database's one write lock before the first read
        (``BEGIN IMMEDIATE``), so that no other writer commits between what the session reads
        and what it writes; pysqlite would otherwise run the reads outside any transaction.
        PostgreSQL needs no such thing: lock the rows read (``FOR UPDATE``) instead.
        """
        session = self.sessionmaker()
        try:
            if lock and self.is_sqlite:
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
