"""reminders: dunning steps, holds, support tasks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 06:56:59.194986
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kassa_dunning_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("notice_number", sa.Integer(), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["kassa_invoices.id"],
            name=op.f("fk_kassa_dunning_steps_invoice_id_kassa_invoices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_dunning_steps")),
        sa.UniqueConstraint(
            "invoice_id", "kind", "notice_number", name=op.f("uq_kassa_dunning_steps_invoice_id")
        ),
    )
    with op.batch_alter_table("kassa_dunning_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kassa_dunning_steps_invoice_id"), ["invoice_id"], unique=False
        )

    op.create_table(
        "kassa_invoice_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["kassa_invoices.id"],
            name=op.f("fk_kassa_invoice_holds_invoice_id_kassa_invoices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_invoice_holds")),
    )
    with op.batch_alter_table("kassa_invoice_holds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kassa_invoice_holds_invoice_id"), ["invoice_id"], unique=False
        )

    op.create_table(
        "kassa_support_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("segment", sa.String(length=30), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["kassa_customers.id"],
            name=op.f("fk_kassa_support_tasks_customer_id_kassa_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["kassa_invoices.id"],
            name=op.f("fk_kassa_support_tasks_invoice_id_kassa_invoices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_support_tasks")),
    )
    with op.batch_alter_table("kassa_support_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kassa_support_tasks_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_kassa_support_tasks_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_kassa_support_tasks_status"), ["status"], unique=False)

    with op.batch_alter_table("kassa_invoices", schema=None) as batch_op:
        # Invoices issued before this revision had the fee agreed in their terms.
        batch_op.add_column(
            sa.Column("reminder_fee_agreed", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("interest_through", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("next_action_on", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_kassa_invoices_next_action_on"), ["next_action_on"], unique=False
        )



def downgrade() -> None:
    with op.batch_alter_table("kassa_invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kassa_invoices_next_action_on"))
        batch_op.drop_column("next_action_on")
        batch_op.drop_column("interest_through")
        batch_op.drop_column("reminder_fee_agreed")

    with op.batch_alter_table("kassa_support_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kassa_support_tasks_status"))
        batch_op.drop_index(batch_op.f("ix_kassa_support_tasks_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_kassa_support_tasks_customer_id"))

    op.drop_table("kassa_support_tasks")
    with op.batch_alter_table("kassa_invoice_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kassa_invoice_holds_invoice_id"))

    op.drop_table("kassa_invoice_holds")
    with op.batch_alter_table("kassa_dunning_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kassa_dunning_steps_invoice_id"))

    op.drop_table("kassa_dunning_steps")
