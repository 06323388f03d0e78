"""customer service: one-time codes, requests, message threads, attachments, surveys

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 03:00:00

New tables only, and one nullable column on kassa_customers (the reminder channel a
shopper chose on their pages).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    with op.batch_alter_table("kassa_customers") as batch:
        batch.add_column(sa.Column("reminder_channel", sa.String(length=20), nullable=True))
    op.create_table(
        "kassa_shopper_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("sent_to", sa.String(length=320), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        _fk("kassa_shopper_codes", "customer_id", "kassa_customers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_shopper_codes")),
    )
    op.create_index(op.f("ix_kassa_shopper_codes_customer_id"), "kassa_shopper_codes",
                    ["customer_id"])
    op.create_table(
        "kassa_service_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=True),
        sa.Column("submit_key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("support_task_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("decided_at", TZ, nullable=True),
        _fk("kassa_service_requests", "customer_id", "kassa_customers"),
        _fk("kassa_service_requests", "invoice_id", "kassa_invoices"),
        _fk("kassa_service_requests", "support_task_id", "kassa_support_tasks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_service_requests")),
        sa.UniqueConstraint("customer_id", "submit_key",
                            name=op.f("uq_kassa_service_requests_customer_id")),
    )
    for column in ("customer_id", "invoice_id", "status"):
        op.create_index(op.f(f"ix_kassa_service_requests_{column}"), "kassa_service_requests",
                        [column])
    op.create_table(
        "kassa_message_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("support_task_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("resolved_at", TZ, nullable=True),
        _fk("kassa_message_threads", "customer_id", "kassa_customers"),
        _fk("kassa_message_threads", "invoice_id", "kassa_invoices"),
        _fk("kassa_message_threads", "support_task_id", "kassa_support_tasks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_message_threads")),
    )
    for column in ("customer_id", "status"):
        op.create_index(op.f(f"ix_kassa_message_threads_{column}"), "kassa_message_threads",
                        [column])
    op.create_table(
        "kassa_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=10), nullable=False),
        sa.Column("author_name", sa.String(length=100), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("submit_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _fk("kassa_messages", "thread_id", "kassa_message_threads"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_messages")),
        sa.UniqueConstraint("thread_id", "submit_key", name=op.f("uq_kassa_messages_thread_id")),
    )
    op.create_index(op.f("ix_kassa_messages_thread_id"), "kassa_messages", ["thread_id"])
    op.create_table(
        "kassa_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_as", sa.String(length=100), nullable=False),
        sa.Column("scan", sa.String(length=20), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _fk("kassa_attachments", "customer_id", "kassa_customers"),
        _fk("kassa_attachments", "message_id", "kassa_messages"),
        _fk("kassa_attachments", "request_id", "kassa_service_requests"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_attachments")),
        sa.UniqueConstraint("stored_as", name=op.f("uq_kassa_attachments_stored_as")),
    )
    op.create_index(op.f("ix_kassa_attachments_customer_id"), "kassa_attachments",
                    ["customer_id"])
    op.create_table(
        "kassa_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_kind", sa.String(length=20), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=True),
        sa.Column("sent_at", TZ, nullable=False),
        sa.Column("answered_at", TZ, nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("recommend", sa.Integer(), nullable=True),
        sa.Column("advisor", sa.Integer(), nullable=True),
        sa.Column("overall", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        _fk("kassa_surveys", "customer_id", "kassa_customers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_surveys")),
        sa.UniqueConstraint("contact_kind", "contact_id",
                            name=op.f("uq_kassa_surveys_contact_kind")),
    )
    op.create_index(op.f("ix_kassa_surveys_customer_id"), "kassa_surveys", ["customer_id"])
    op.create_index(op.f("ix_kassa_surveys_sent_at"), "kassa_surveys", ["sent_at"])


def downgrade() -> None:
    for table in ("kassa_surveys", "kassa_attachments", "kassa_messages",
                  "kassa_message_threads", "kassa_service_requests", "kassa_shopper_codes"):
        op.drop_table(table)
    with op.batch_alter_table("kassa_customers") as batch:
        batch.drop_column("reminder_channel")
