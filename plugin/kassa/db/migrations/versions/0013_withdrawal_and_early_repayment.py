"""withdrawal from credit and early repayment: kassa_credit_withdrawals,
kassa_schedule_revisions

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 20:30:00

Tables of their own (nothing on kassa_invoices changes): one withdrawal per agreement, and an
append-only history of the schedules that replaced the agreed one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kassa_credit_withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("notice_on", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("principal_minor", sa.BigInteger(), nullable=False),
        sa.Column("interest_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("refund_minor", sa.BigInteger(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["kassa_agreements.id"],
                                name="fk_kassa_credit_withdrawals_agreement_id_kassa_agreements"),
        sa.ForeignKeyConstraint(["invoice_id"], ["kassa_invoices.id"],
                                name="fk_kassa_credit_withdrawals_invoice_id_kassa_invoices"),
        sa.PrimaryKeyConstraint("id", name="pk_kassa_credit_withdrawals"),
        sa.UniqueConstraint("agreement_id", name="uq_kassa_credit_withdrawals_agreement_id"),
    )
    op.create_table(
        "kassa_schedule_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["kassa_agreements.id"],
                                name="fk_kassa_schedule_revisions_agreement_id_kassa_agreements"),
        sa.ForeignKeyConstraint(["payment_id"], ["kassa_payments.id"],
                                name="fk_kassa_schedule_revisions_payment_id_kassa_payments"),
        sa.PrimaryKeyConstraint("id", name="pk_kassa_schedule_revisions"),
        sa.UniqueConstraint("agreement_id", "revision",
                            name="uq_kassa_schedule_revisions_agreement_id"),
    )


def downgrade() -> None:
    op.drop_table("kassa_schedule_revisions")
    op.drop_table("kassa_credit_withdrawals")
