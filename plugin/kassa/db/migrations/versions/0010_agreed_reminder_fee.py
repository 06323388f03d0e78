"""the reminder fee shown at checkout caps each invoice's reminders:
kassa_invoices.agreed_reminder_fee_minor

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 19:00:00

Invoices issued before keep NULL: the shop's fee within the law's cap applies to them as
before (Swedish ones without agreed terms get none, by 0009).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kassa_invoices") as batch_op:
        batch_op.add_column(sa.Column("agreed_reminder_fee_minor", sa.BigInteger(),
                                      nullable=True))


def downgrade() -> None:
    # SQLite rebuilds the table to drop a column, and batch mode cannot carry an expression
    # index across: drop it first and make it again after (as 0008 and 0009 do).
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.drop_index("uq_kassa_invoices_agreement_instalment", table_name="kassa_invoices")
    with op.batch_alter_table("kassa_invoices") as batch_op:
        batch_op.drop_column("agreed_reminder_fee_minor")
    if sqlite:
        op.create_index("uq_kassa_invoices_agreement_instalment", "kassa_invoices",
                        ["agreement_id", sa.text("coalesce(instalment_number, 0)")], unique=True)
