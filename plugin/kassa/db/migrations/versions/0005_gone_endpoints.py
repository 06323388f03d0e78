"""receivers that answered 410 Gone: kassa_gone_endpoints

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kassa_gone_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url_digest", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("gone_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_gone_endpoints")),
        sa.UniqueConstraint("url_digest", name=op.f("uq_kassa_gone_endpoints_url_digest")),
    )


def downgrade() -> None:
    op.drop_table("kassa_gone_endpoints")
