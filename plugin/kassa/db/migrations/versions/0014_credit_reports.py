"""reports to the credit registers: kassa_credit_reports

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 20:00:00

A table of its own (nothing on kassa_invoices changes): one row per event reported about a
consumer credit, unique per agreement and event.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kassa_credit_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column("event_key", sa.String(length=80), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("due_by", sa.Date(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["kassa_agreements.id"],
                                name=op.f("fk_kassa_credit_reports_agreement_id_kassa_agreements")),
        sa.ForeignKeyConstraint(["outbox_id"], ["kassa_outbox.id"],
                                name=op.f("fk_kassa_credit_reports_outbox_id_kassa_outbox")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_credit_reports")),
        sa.UniqueConstraint("agreement_id", "event_key",
                            name=op.f("uq_kassa_credit_reports_agreement_id")),
    )
    op.create_index(op.f("ix_kassa_credit_reports_due_by"), "kassa_credit_reports", ["due_by"])


def downgrade() -> None:
    op.drop_index(op.f("ix_kassa_credit_reports_due_by"), table_name="kassa_credit_reports")
    op.drop_table("kassa_credit_reports")
