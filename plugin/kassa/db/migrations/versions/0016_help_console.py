"""help console: staff sign-in state, the queue's working columns, the audit log

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 04:00:00

New nullable (or defaulted) columns on kassa_staff_users and kassa_support_tasks, and the
append-only kassa_audit_log. The one-time-code secret is stored encrypted with
KASSA_ENCRYPTION_KEY and re-encrypted by ``flask kassa rotate-key``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("kassa_staff_users") as batch:
        batch.add_column(sa.Column("totp_secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("locked_until", TZ, nullable=True))
        batch.add_column(sa.Column("last_seen", TZ, nullable=True))
    with op.batch_alter_table("kassa_support_tasks") as batch:
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("snoozed_until", TZ, nullable=True))
        batch.add_column(sa.Column("waiting_since", TZ, nullable=True))
        batch.add_column(sa.Column("paused_seconds", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.create_foreign_key(
            op.f("fk_kassa_support_tasks_assignee_id_kassa_staff_users"),
            "kassa_staff_users", ["assignee_id"], ["id"])
        batch.create_index(op.f("ix_kassa_support_tasks_assignee_id"), ["assignee_id"])
    op.create_table(
        "kassa_audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_email", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_kind", sa.String(length=20), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["kassa_staff_users.id"],
                                name=op.f("fk_kassa_audit_log_staff_id_kassa_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_audit_log")),
    )
    op.create_index(op.f("ix_kassa_audit_log_staff_id"), "kassa_audit_log", ["staff_id"])
    op.create_index(op.f("ix_kassa_audit_log_created_at"), "kassa_audit_log", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_kassa_audit_log_created_at"), table_name="kassa_audit_log")
    op.drop_index(op.f("ix_kassa_audit_log_staff_id"), table_name="kassa_audit_log")
    op.drop_table("kassa_audit_log")
    with op.batch_alter_table("kassa_support_tasks") as batch:
        batch.drop_index(op.f("ix_kassa_support_tasks_assignee_id"))
        batch.drop_constraint(op.f("fk_kassa_support_tasks_assignee_id_kassa_staff_users"),
                              type_="foreignkey")
        for column in ("paused_seconds", "waiting_since", "snoozed_until", "assignee_id"):
            batch.drop_column(column)
    with op.batch_alter_table("kassa_staff_users") as batch:
        for column in ("last_seen", "locked_until", "failed_logins", "totp_last_step",
                       "totp_secret"):
            batch.drop_column(column)
