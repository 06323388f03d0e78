"""the reminder run's index: (next_action_on, id) instead of next_action_on alone

The run reads the invoices whose day has come in (next_action_on, id) order and continues
each batch after the last key it read, so every batch is one range of this index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_kassa_invoices_next_look", "kassa_invoices", ["next_action_on", "id"])
    op.drop_index("ix_kassa_invoices_next_action_on", table_name="kassa_invoices")


def downgrade() -> None:
    op.create_index("ix_kassa_invoices_next_action_on", "kassa_invoices", ["next_action_on"])
    op.drop_index("ix_kassa_invoices_next_look", table_name="kassa_invoices")
