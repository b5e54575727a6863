"""delivery_contract_supplier_index: the volume-weighted indicator reads only the counting
contracts' deliveries

The volume-weighted variant of the linkage indicator sums, per batch, what its cooperative
shipped under the contracts that make it count. Without an index by contract and supplier
PostgreSQL read all 2 million deliveries of the bench country to keep ~350,000
(bench/RESULTS.md, 2026-12-07). This index finds the counting contracts' deliveries, and on
PostgreSQL answers from the index alone (it covers what the sum reads: batch, kilograms,
shipping day, recording time and shipment).

Revision ID: a11c0c0d0e12
Revises: a11c0c0d0e11
Create Date: 2026-12-13 07:20:00

"""
from alembic import op

revision = "a11c0c0d0e12"
down_revision = "a11c0c0d0e11"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_linkage_deliveries_contract_supplier", "linkage_deliveries",
                    ["contract_id", "supplier_id"],
                    postgresql_include=["batch_id", "shipped_kg", "shipped_on", "created_at",
                                        "shipment_id"])


def downgrade():
    op.drop_index("ix_linkage_deliveries_contract_supplier", table_name="linkage_deliveries")
