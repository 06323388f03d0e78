"""invoice links that expire and can be revoked: kassa_invoices.closed_at, links_revoked_at

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kassa_invoices") as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("links_revoked_at", sa.DateTime(timezone=True),
                                      nullable=True))
    # Invoices paid before: closed when their last "paid" event happened.
    op.execute(
        "UPDATE kassa_invoices SET closed_at = (SELECT max(e.occurred_at) FROM "
        "kassa_invoice_events e WHERE e.invoice_id = kassa_invoices.id AND e.kind = 'paid') "
        "WHERE status = 'paid'"
    )


def downgrade() -> None:
    # SQLite rebuilds the table to drop a column, and batch mode cannot carry an expression
    # index across: drop it first and make it again after.
    op.drop_index("uq_kassa_invoices_agreement_instalment", table_name="kassa_invoices")
    with op.batch_alter_table("kassa_invoices") as batch_op:
        batch_op.drop_column("links_revoked_at")
        batch_op.drop_column("closed_at")
    op.create_index("uq_kassa_invoices_agreement_instalment", "kassa_invoices",
                    ["agreement_id", sa.text("coalesce(instalment_number, 0)")], unique=True)
