"""Alembic migrations shipped inside the package, with Kassa's own version table."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from .database import VERSION_TABLE, Database


def alembic_config(database: Database) -> Config:
    """An Alembic config pointing at the migrations in this package and at ``database``."""
    config = Config()
    config.set_main_option("script_location", "kassa.db:migrations")
    config.set_main_option("version_table", VERSION_TABLE)
    config.attributes["engine"] = database.engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; safe to run again."""
    command.upgrade(alembic_config(database), revision)


def downgrade(database: Database, revision: str) -> None:
    """Step the schema back to ``revision``."""
    command.downgrade(alembic_config(database), revision)


def current_revision(database: Database) -> str | None:
    """The revision the database is at, or None before the first upgrade."""
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()
