"""staff users belong to a team; a support task's clock restarts when the customer writes again

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 09:00:00

The help console's figures are shown by team as well as by agent; a staff user's team is set
with ``flask kassa create-staff --team`` or ``flask kassa update-staff --team``. A
conversation's task whose customer writes again after the team's answer runs its clock from
that message (``clock_from``).
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


def downgrade() -> None:
    with op.batch_alter_table("kassa_support_tasks") as batch:
        batch.drop_column("clock_from")
    with op.batch_alter_table("kassa_staff_users") as batch:
        batch.drop_column("team")
