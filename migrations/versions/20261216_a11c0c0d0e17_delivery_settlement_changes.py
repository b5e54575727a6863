"""delivery_settlement_changes: a corrected settlement keeps the one it replaced

The linkage indicator's C counts a cooperative with an accepted delivery in the period,
settled before its knowledge cutoff. Correcting a settlement (even its invoice number)
moved ``settled_at`` to the correction and overwrote what was accepted, so the delivery
left every figure as of an earlier moment. The settlement it replaces is now kept, and
figures as of a moment before the correction read it.

Revision ID: a11c0c0d0e17
Revises: a11c0c0d0e16
Create Date: 2026-12-16 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e17"
down_revision = "a11c0c0d0e16"
branch_labels = None
depends_on = None

TABLE = "linkage_delivery_settlement_changes"


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("accepted_kg", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["linkage_deliveries.id"],
            name=op.f("fk_linkage_delivery_settlement_changes_delivery_id_linkage_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_delivery_settlement_changes")),
    )
    op.create_index("ix_linkage_delivery_settlement_changes_pair", TABLE,
                    ["contract_id", "supplier_id", "changed_at"])
    op.create_index("ix_linkage_delivery_settlement_changes_delivery", TABLE,
                    ["delivery_id", "changed_at"])
    op.create_index("ix_linkage_delivery_settlement_changes_changed_at", TABLE,
                    ["changed_at"])


def downgrade():
    op.drop_table(TABLE)
