"""the credit documents a shopper consented to, kept unchanged: kassa_agreement_documents

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kassa_agreement_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["kassa_agreements.id"],
                                name=op.f("fk_kassa_agreement_documents_agreement_id_"
                                          "kassa_agreements")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kassa_agreement_documents")),
        sa.UniqueConstraint("agreement_id", "kind",
                            name=op.f("uq_kassa_agreement_documents_agreement_id")),
    )


def downgrade() -> None:
    op.drop_table("kassa_agreement_documents")
