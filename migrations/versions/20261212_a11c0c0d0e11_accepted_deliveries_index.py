"""accepted_deliveries_index: the indicator's C asks each pair, not every delivery

Variant C of the linkage indicator asks, for each (cooperative, contract) pair left after
the earlier stages, whether the supplier has an accepted delivery under the contract in
the period. Grouping every accepted delivery of the period instead read hundreds of
thousands of rows at national scale (bench/RESULTS.md, 2026-12-07). This partial index
answers one pair by a short range scan, and on PostgreSQL from the index alone.

Revision ID: a11c0c0d0e11
Revises: a11c0c0d0e10
Create Date: 2026-12-12 04:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e11"
down_revision = "a11c0c0d0e10"
branch_labels = None
depends_on = None

ACCEPTED = sa.text("accepted_kg > 0")


def upgrade():
    op.create_index("ix_linkage_deliveries_accepted", "linkage_deliveries",
                    ["contract_id", "supplier_id", "received_on"],
                    postgresql_include=["id", "settled_at", "shipment_id"],
                    postgresql_where=ACCEPTED, sqlite_where=ACCEPTED)


def downgrade():
    op.drop_index("ix_linkage_deliveries_accepted", table_name="linkage_deliveries")
