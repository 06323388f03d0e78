"""a reminder fee only where the agreement shows it: kassa_invoices.reminder_fee_agreed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 18:30:00

- Swedish invoices whose agreement has no late-payment terms (every agreement made before the
  checkout showed the reminder fee) get ``reminder_fee_agreed = false``: in Sweden a fee may be
  charged only if agreed when the debt arose, and they never saw one. Finnish and Norwegian
  invoices keep theirs; there the law allows the fee either way.
- The column's server default becomes false: nothing is agreed implicitly.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: Whether the agreement ``a`` has a late_payment object in its terms (JSON), per dialect.
_SHOWS_LATE_PAYMENT = {
    "postgresql": "json_typeof(a.terms -> 'late_payment') = 'object'",
    "sqlite": "json_type(a.terms, '$.late_payment') = 'object'",
}


def upgrade() -> None:
    connection = op.get_bind()
    shows = _SHOWS_LATE_PAYMENT[connection.dialect.name]
    connection.execute(
        sa.text(
            "UPDATE kassa_invoices SET reminder_fee_agreed = :agreed WHERE country = 'SE' "
            "AND NOT EXISTS (SELECT 1 FROM kassa_agreements a "
            f"WHERE a.id = kassa_invoices.agreement_id AND {shows})"
        ).bindparams(sa.bindparam("agreed", False, type_=sa.Boolean()))
    )
    _set_server_default(sa.false())


def downgrade() -> None:
    # The invoices set to false stay so: nobody agreed to their fee.
    _set_server_default(sa.true())


def _set_server_default(default: sa.sql.elements.ColumnElement[bool]) -> None:
    # SQLite rebuilds the table to change a default, and batch mode cannot carry an
    # expression index across: drop it first and make it again after (as 0008 does).
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.drop_index("uq_kassa_invoices_agreement_instalment", table_name="kassa_invoices")
    with op.batch_alter_table("kassa_invoices") as batch_op:
        batch_op.alter_column("reminder_fee_agreed", existing_type=sa.Boolean(),
                              existing_nullable=False, server_default=default)
    if sqlite:
        op.create_index("uq_kassa_invoices_agreement_instalment", "kassa_invoices",
                        ["agreement_id", sa.text("coalesce(instalment_number, 0)")], unique=True)
