"""indicator_set_indexes: what the set-based indicator looks up by range

The indicator finds the contracts changed since a reference day (versions taking effect
after it or recorded after the knowledge cutoff), and the shipments whose ship event was
withdrawn before the cutoff. Without these indexes both are sequential scans of tables
that hold millions of rows at national scale (bench/RESULTS.md, 2026-12-07):

- ``linkage_contract_versions (recorded_at)``, beside the existing ``effective_on`` one;
- ``epcis_events (retracted_at)`` for withdrawn events only (partial: nearly none are);
- ``shipments (ship_event_pk)``: from a withdrawn ship event to its shipment.

Revision ID: a11c0c0d0e09
Revises: a11c0c0d0e08
Create Date: 2026-12-11 01:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e09"
down_revision = "a11c0c0d0e08"
branch_labels = None
depends_on = None

WITHDRAWN = sa.text("retracted_at IS NOT NULL")


def upgrade():
    op.create_index("ix_linkage_contract_versions_recorded_at", "linkage_contract_versions",
                    ["recorded_at"])
    op.create_index("ix_epcis_events_retracted_at", "epcis_events", ["retracted_at"],
                    postgresql_where=WITHDRAWN, sqlite_where=WITHDRAWN)
    op.create_index("ix_shipments_ship_event", "shipments", ["ship_event_pk"])


def downgrade():
    op.drop_index("ix_shipments_ship_event", table_name="shipments")
    op.drop_index("ix_epcis_events_retracted_at", table_name="epcis_events")
    op.drop_index("ix_linkage_contract_versions_recorded_at",
                  table_name="linkage_contract_versions")
