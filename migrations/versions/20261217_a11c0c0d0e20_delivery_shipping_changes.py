"""delivery_shipping_changes: a delivery follows the correction of its shipping

Correcting a shipping (its quantity or its time) updated the shipment but not the
delivery booked on it: the contract's fulfilment and the volume-weighted indicator kept
reading the quantity and day first recorded. The delivery now follows the correction, and
the shipping it replaces is kept, so that figures as of a moment before the correction
read what stood then.

Revision ID: a11c0c0d0e20
Revises: a11c0c0d0e19
Create Date: 2026-12-17 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e20"
down_revision = "a11c0c0d0e19"
branch_labels = None
depends_on = None

TABLE = "linkage_delivery_shipping_changes"


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shipped_on", sa.Date(), nullable=False),
        sa.Column("shipped_kg", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["linkage_deliveries.id"],
            name=op.f("fk_linkage_delivery_shipping_changes_delivery_id_linkage_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_delivery_shipping_changes")),
    )
    op.create_index("ix_linkage_delivery_shipping_changes_delivery", TABLE,
                    ["delivery_id", "changed_at"])
    op.create_index("ix_linkage_delivery_shipping_changes_changed_at", TABLE, ["changed_at"])


def downgrade():
    op.drop_table(TABLE)
