"""Many rows in one statement: COPY and ``unnest`` on PostgreSQL, one executemany of plain
tuples on SQLite; a batch's ids as one array parameter (:func:`among`); and
``INSERT ... ON CONFLICT DO NOTHING`` on either database (:func:`insert_or_ignore`).

The reminder run writes a few thousand rows a batch into a handful of tables. Through an
executemany, psycopg sends each row as a statement of its own down a pipeline, and that
Python work per row was most of the run's time on PostgreSQL. Here a table's rows go in with
one ``COPY ... FROM STDIN`` and the changed columns of many rows go back with one
``UPDATE ... FROM unnest(...)``. SQLite's executemany is already a loop in C over one prepared
statement, but SQLAlchemy's own executemany builds each row's parameters through the
statement's compiled form, about 40 µs a row, four times what SQLite then takes to write it.
So on SQLite the rows go to the driver as tuples, each value through its column type's bind
processor (dates and JSON become exactly the text SQLAlchemy would write).

Both work inside the session's transaction: what they write commits or rolls back with it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, Table, any_, bindparam, insert, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def insert_rows(db: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys) into ``table``.

    Columns a row leaves out get their Python-side default, as with ``insert()``; a callable
    default (a timestamp) is taken once for all the rows. A unique-key conflict raises
    SQLAlchemy's :class:`IntegrityError` on both databases.
    """
    if not rows:
        return
    dialect = db.get_bind().dialect
    names = list(rows[0])
    defaults = {column.name: _default(column) for column in table.columns
                if column.name not in rows[0] and column.default is not None}
    if dialect.name == "sqlite":
        quote = dialect.identifier_preparer.quote
        columns = [*names, *defaults]
        statement = (f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) "
                     f"VALUES ({', '.join('?' * len(columns))})")
        plain = _plain_rows(db, table, names, rows)
        extra = _plain(db, table, defaults)
        db.connection().exec_driver_sql(
            statement, [row + extra for row in plain] if extra else plain)
        return
    from psycopg import errors, sql

    json_names = {column.name for column in table.columns if isinstance(column.type, JSON)}
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(name) for name in [*names, *defaults]))
    extra = tuple(_json(value) if name in json_names else value
                  for name, value in defaults.items())
    layout = [(name, name in json_names) for name in names]
    cursor = _driver(db).cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([*[_json(row[name]) if is_json else row[name]
                                  for name, is_json in layout], *extra])
    except errors.IntegrityError as error:
        raise IntegrityError(statement.as_string(cursor), None, error) from error
    finally:
        cursor.close()


def update_rows(db: Session, table: Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
    """Set, for each of ``rows``, the columns it names on the row of ``table`` whose ``key``
    column equals ``row[key]``. Every row names the same columns."""
    if not rows:
        return
    dialect = db.get_bind().dialect
    names = [name for name in rows[0] if name != key]
    if dialect.name == "sqlite":
        quote = dialect.identifier_preparer.quote
        statement = (f"UPDATE {quote(table.name)} SET "
                     f"{', '.join(f'{quote(name)} = ?' for name in names)} "
                     f"WHERE {quote(key)} = ?")
        db.connection().exec_driver_sql(statement, _plain_rows(db, table, [*names, key], rows))
        return
    from psycopg import sql

    columns = [key, *names]
    arrays = sql.SQL(", ").join(
        sql.SQL("%s::{}[]").format(sql.SQL(table.c[name].type.compile(dialect=dialect)))
        for name in columns)
    statement = sql.SQL("UPDATE {table} SET {sets} FROM unnest({arrays}) AS v ({columns}) "
                        "WHERE {table}.{key} = v.{key}").format(
        table=sql.Identifier(table.name), arrays=arrays, key=sql.Identifier(key),
        columns=sql.SQL(", ").join(sql.Identifier(name) for name in columns),
        sets=sql.SQL(", ").join(sql.SQL("{0} = v.{0}").format(sql.Identifier(name))
                                for name in names))
    with _driver(db).cursor() as cursor:
        cursor.execute(statement, [[row[name] for row in rows] for name in columns])


def _plain_rows(db: Session, table: Table, names: list[str],
                rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Each row's values for ``names``, in that order, as the driver takes them: through
    each column type's bind processor, as SQLAlchemy's own execution would. Column by
    column: one loop per column instead of a generator per row."""
    dialect = db.get_bind().dialect
    columns = []
    for name in names:
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        values = [row[name] for row in rows]
        columns.append(values if process is None else [process(value) for value in values])
    return list(zip(*columns, strict=True))


def _plain(db: Session, table: Table, values: dict[str, Any]) -> tuple[Any, ...]:
    """One row's ``values`` (by column name) as the driver takes them."""
    return _plain_rows(db, table, list(values), [values])[0] if values else ()


def insert_or_ignore(db: Session, model: Any) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` for the session's database."""
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql_insert(model).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite_insert(model).on_conflict_do_nothing()
    return insert(model)  # pragma: no cover - Kassa runs on SQLite and PostgreSQL


def lock_row(db: Session, row: Any) -> None:
    """Hold ``row`` (a mapped object with an ``id``) against concurrent writers until the
    commit, and read it afresh: a row lock on PostgreSQL; on SQLite a write to the row, which
    takes the database's write lock."""
    if db.get_bind().dialect.name == "postgresql":
        db.refresh(row, with_for_update=True)
    else:
        model = type(row)
        db.execute(update(model).where(model.id == row.id).values(id=model.id))
        db.refresh(row)


def among(db: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` for a batch's worth of values.

    On PostgreSQL one array parameter (``= ANY(%s::INTEGER[])``): the statement's text is the
    same for any number of values, so neither SQLAlchemy nor psycopg renders and parses a new
    statement of 500 placeholders for every batch. An ``IN`` elsewhere.
    """
    if db.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def _driver(db: Session) -> Any:
    """The psycopg connection under the session's current transaction."""
    return db.connection().connection.driver_connection


def _default(column: Any) -> Any:
    default = column.default
    return default.arg(None) if default.is_callable else default.arg


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)
