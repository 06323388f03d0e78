"""Alembic environment for Kassa: runs on the engine handed over by :mod:`kassa.db.migrate`."""

from __future__ import annotations

from alembic import context

from kassa.db.database import VERSION_TABLE
from kassa.db.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=lambda name, type_, _parent: type_ != "table" or name.startswith("kassa_"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
