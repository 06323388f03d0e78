"""support tasks keep their figures when they close; credit notes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 06:00:00

The team's first answer, whether it came within the service level, the channel and who closed
the task: the help console's service-level figures aggregate them by the indexed close time.
Tasks closed before this revision have none of them and are left out of those figures.
kassa_credit_notes holds the corrections the team issues (an invoice is never edited);
kassa_figure_days the figures of finished days, filled by the dashboard as it needs them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("kassa_support_tasks") as batch:
        batch.add_column(sa.Column("first_response_at", TZ, nullable=True))
        batch.add_column(sa.Column("sla_met", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_kassa_support_tasks_closed_by_id_kassa_staff_users"),
            "kassa_staff_users", ["closed_by_id"], ["id"])
        batch.create_index(op.f("ix_kassa_support_tasks_closed_at"), ["closed_at"])
    op.create_table(
        "kassa_credit_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["kassa_invoices.id"],
                                name=op.f("fk_kassa_credit_notes_invoice_id_kassa_invoices")),
        sa.ForeignKeyConstraint(["staff_id"], ["kassa_staff_users.id"],
                                name=op.f("fk_kassa_credit_notes_staff_id_kassa_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_credit_notes")),
        sa.UniqueConstraint("number", name=op.f("uq_kassa_credit_notes_number")),
    )
    op.create_index(op.f("ix_kassa_credit_notes_invoice_id"), "kassa_credit_notes",
                    ["invoice_id"])
    op.create_table(
        "kassa_figure_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("sent", sa.BigInteger(), nullable=False),
        sa.Column("answered", sa.BigInteger(), nullable=False),
        sa.Column("resolved_n", sa.BigInteger(), nullable=False),
        sa.Column("resolved_yes", sa.BigInteger(), nullable=False),
        sa.Column("recommend_n", sa.BigInteger(), nullable=False),
        sa.Column("promoters", sa.BigInteger(), nullable=False),
        sa.Column("detractors", sa.BigInteger(), nullable=False),
        sa.Column("advisor_n", sa.BigInteger(), nullable=False),
        sa.Column("advisor_top", sa.BigInteger(), nullable=False),
        sa.Column("overall_n", sa.BigInteger(), nullable=False),
        sa.Column("overall_top", sa.BigInteger(), nullable=False),
        sa.Column("closed", sa.BigInteger(), nullable=False),
        sa.Column("met", sa.BigInteger(), nullable=False),
        sa.Column("wait_seconds", sa.BigInteger(), nullable=False),
        sa.Column("waited", sa.BigInteger(), nullable=False),
        sa.Column("wait_within_60", sa.BigInteger(), nullable=False),
        sa.Column("wait_within_300", sa.BigInteger(), nullable=False),
        sa.Column("wait_within_900", sa.BigInteger(), nullable=False),
        sa.Column("wait_within_3600", sa.BigInteger(), nullable=False),
        sa.Column("wait_within_14400", sa.BigInteger(), nullable=False),
        sa.Column("wait_within_28800", sa.BigInteger(), nullable=False),
        sa.Column("wait_within_86400", sa.BigInteger(), nullable=False),
        sa.Column("wait_within_259200", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_figure_days")),
        sa.UniqueConstraint("source", "day", "agent", "country", "channel",
                            name=op.f("uq_kassa_figure_days_source")),
    )


def downgrade() -> None:
    op.drop_table("kassa_figure_days")
    op.drop_index(op.f("ix_kassa_credit_notes_invoice_id"), table_name="kassa_credit_notes")
    op.drop_table("kassa_credit_notes")
    with op.batch_alter_table("kassa_support_tasks") as batch:
        batch.drop_index(op.f("ix_kassa_support_tasks_closed_at"))
        batch.drop_constraint(op.f("fk_kassa_support_tasks_closed_by_id_kassa_staff_users"),
                              type_="foreignkey")
        for column in ("closed_by_id", "channel", "sla_met", "first_response_at"):
            batch.drop_column(column)
