"""what each credit decision was based on, and the reviews shoppers ask for:
kassa_credit_decisions, kassa_credit_reviews

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:00:00

New tables only: no existing row changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kassa_credit_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("checkout_session_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("offer_id", sa.String(length=60), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("credit_offer", sa.Boolean(), nullable=False),
        sa.Column("personal_id_digest", sa.String(length=64), nullable=False),
        sa.Column("personal_id_masked", sa.String(length=20), nullable=False),
        sa.Column("register_status", sa.String(length=20), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("automated", sa.Boolean(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkout_session_id"], ["kassa_checkout_sessions.id"],
            name=op.f("fk_kassa_credit_decisions_checkout_session_id_kassa_checkout_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["kassa_customers.id"],
            name=op.f("fk_kassa_credit_decisions_customer_id_kassa_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["kassa_agreements.id"],
            name=op.f("fk_kassa_credit_decisions_agreement_id_kassa_agreements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_credit_decisions")),
        sa.UniqueConstraint("public_id", name=op.f("uq_kassa_credit_decisions_public_id")),
    )
    op.create_index(op.f("ix_kassa_credit_decisions_checkout_session_id"),
                    "kassa_credit_decisions", ["checkout_session_id"])
    op.create_index(op.f("ix_kassa_credit_decisions_customer_id"), "kassa_credit_decisions",
                    ["customer_id"])
    op.create_index(op.f("ix_kassa_credit_decisions_personal_id_digest"),
                    "kassa_credit_decisions", ["personal_id_digest"])
    op.create_table(
        "kassa_credit_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("support_task_id", sa.Integer(), nullable=False),
        sa.Column("requested_via", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["kassa_credit_decisions.id"],
            name=op.f("fk_kassa_credit_reviews_decision_id_kassa_credit_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["support_task_id"], ["kassa_support_tasks.id"],
            name=op.f("fk_kassa_credit_reviews_support_task_id_kassa_support_tasks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_credit_reviews")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_kassa_credit_reviews_decision_id")),
    )


def downgrade() -> None:
    op.drop_table("kassa_credit_reviews")
    op.drop_index(op.f("ix_kassa_credit_decisions_personal_id_digest"),
                  table_name="kassa_credit_decisions")
    op.drop_index(op.f("ix_kassa_credit_decisions_customer_id"),
                  table_name="kassa_credit_decisions")
    op.drop_index(op.f("ix_kassa_credit_decisions_checkout_session_id"),
                  table_name="kassa_credit_decisions")
    op.drop_table("kassa_credit_decisions")
