"""Alembic environment for Kassa: runs on the engine handed over by :mod:`kassa.db.migrate`."""

from __future__ import annotations

from alembic import context

from kassa.db.database import VERSION_TABLE
from kassa.db.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode changes a SQLite table by copying it and dropping the old one; with
        # foreign keys on, the drop fails once other rows point to it (an invoice's events).
        # The pragma only takes effect outside a transaction: off for the run, checked after.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            version_table=VERSION_TABLE,
            render_as_batch=sqlite,
            include_name=lambda name, type_, _parent: (
                type_ != "table" or name.startswith("kassa_")),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows without their parent: {broken}")
        connection.commit()
    finally:
        if sqlite:
            connection.rollback()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
