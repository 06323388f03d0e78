"""staff users belong to a team; a support task's clock restarts when the customer writes again

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 09:00:00

The help console's figures are shown by team as well as by agent; a staff user's team is set
with ``flask kassa create-staff --team`` or ``flask kassa update-staff --team``. A
conversation's task whose customer writes again after the team's answer runs its clock from
that message (``clock_from``), and the answers to such later messages are counted for the
figures (``replies``, ``replies_met``, ``reply_seconds``, per task and per kept day).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kassa_staff_users") as batch:
        batch.add_column(sa.Column("team", sa.String(length=100), nullable=True))
    with op.batch_alter_table("kassa_support_tasks") as batch:
        batch.add_column(sa.Column("clock_from", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True))
        for name in ("replies", "replies_met"):
            batch.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("reply_seconds", sa.BigInteger(), server_default="0",
                                   nullable=False))
    with op.batch_alter_table("kassa_figure_days") as batch:
        for name in ("replies", "replies_met", "reply_seconds"):
            batch.add_column(sa.Column(name, sa.BigInteger(), server_default="0",
                                       nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("kassa_figure_days") as batch:
        for name in ("replies", "replies_met", "reply_seconds"):
            batch.drop_column(name)
    with op.batch_alter_table("kassa_support_tasks") as batch:
        for name in ("clock_from", "replied_at", "replies", "replies_met", "reply_seconds"):
            batch.drop_column(name)
    with op.batch_alter_table("kassa_staff_users") as batch:
        batch.drop_column("team")
