"""the reminder steps: drop the invoice_id index, which the unique key already covers

The unique key (invoice_id, kind, notice_number) begins with invoice_id, so it serves every
lookup of an invoice's steps; the second index only cost a write for each step taken.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_kassa_dunning_steps_invoice_id", table_name="kassa_dunning_steps")


def downgrade() -> None:
    op.create_index("ix_kassa_dunning_steps_invoice_id", "kassa_dunning_steps", ["invoice_id"])
