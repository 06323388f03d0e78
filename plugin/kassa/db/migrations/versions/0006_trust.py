"""trust: one record per typed identity, billed party on each invoice, one invoice set

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:40:00

- kassa_customers.personal_id_digest is no longer unique (a typed number gets a record per
  purchase); identity_verified marks records proven by strong identification.
- kassa_invoices.billed_to keeps who was billed, as at issue (filled from the customer for
  invoices issued before).
- uq_kassa_invoices_agreement_instalment: one invoice per agreement and instalment.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_CONTACT = ("name", "email", "phone", "street", "postal_code", "city")


def upgrade() -> None:
    with op.batch_alter_table("kassa_customers") as batch_op:
        batch_op.drop_constraint("uq_kassa_customers_personal_id_digest", type_="unique")
        batch_op.add_column(sa.Column("identity_verified", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index("ix_kassa_customers_personal_id_digest", ["personal_id_digest"])
    with op.batch_alter_table("kassa_invoices") as batch_op:
        batch_op.add_column(sa.Column("billed_to", sa.JSON(), nullable=True))
    _fill_billed_to()
    op.create_index("uq_kassa_invoices_agreement_instalment", "kassa_invoices",
                    ["agreement_id", sa.text("coalesce(instalment_number, 0)")], unique=True)


def _fill_billed_to() -> None:
    connection = op.get_bind()
    customers = sa.table("kassa_customers", sa.column("id"),
                         *(sa.column(name) for name in _CONTACT))
    invoices = sa.table("kassa_invoices", sa.column("id"), sa.column("customer_id"),
                        sa.column("billed_to", sa.JSON()))
    rows = connection.execute(sa.select(customers)).mappings().all()
    for row in rows:
        connection.execute(
            invoices.update().where(invoices.c.customer_id == row["id"],
                                    invoices.c.billed_to.is_(None))
            .values(billed_to={name: row[name] for name in _CONTACT}))


def downgrade() -> None:
    op.drop_index("uq_kassa_invoices_agreement_instalment", table_name="kassa_invoices")
    with op.batch_alter_table("kassa_invoices") as batch_op:
        batch_op.drop_column("billed_to")
    with op.batch_alter_table("kassa_customers") as batch_op:
        batch_op.drop_index("ix_kassa_customers_personal_id_digest")
        batch_op.drop_column("identity_verified")
        batch_op.create_unique_constraint("uq_kassa_customers_personal_id_digest",
                                          ["personal_id_digest"])
