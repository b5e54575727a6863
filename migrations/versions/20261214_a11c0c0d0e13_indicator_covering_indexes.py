"""indicator_covering_indexes: the linkage indicator's C and volume-weighted figures and
drill-downs read from indexes alone on PostgreSQL

- Withdrawn shippings: C and the volume leave out deliveries whose shipping was withdrawn
  before the cutoff (``shipments_withdrawn_before``). That set was found through the
  withdrawn events' partial index, then one heap page per withdrawn event and per
  shipment: ~40 ms of each such figure over the bench country's ~10,000 withdrawn
  shippings. Both indexes now carry the id.
- Lots harvested in a period: a new expression index, covering what the volume reads of
  them (~200,000 of 1.1 million lots), where a scan read the whole table.
- A lot's deliveries: the batch index carries the contract, supplier and what the
  volume's conditions read, so a province's drill-down goes from its lots of the period
  to their contracts without reading the deliveries' table.

Figures: bench/RESULTS.md, 2026-12-07. SQLite is left as it was (no INCLUDE there, and
its planner is kept on the plans it was measured with).

Revision ID: a11c0c0d0e13
Revises: a11c0c0d0e12
Create Date: 2026-12-14 09:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e13"
down_revision = "a11c0c0d0e12"
branch_labels = None
depends_on = None

WITHDRAWN = sa.text("retracted_at IS NOT NULL")
DELIVERY_BATCH_INCLUDE = ["contract_id", "supplier_id", "shipped_on", "created_at",
                          "shipment_id"]
HARVESTED_INCLUDE = ["id", "organisation_id", "quantity_kg", "status", "created_at",
                     "product_id", "harvest_start", "harvest_end"]


def _recreate(covering: bool) -> None:
    def include(columns: list[str]) -> dict:
        return {"postgresql_include": columns} if covering else {}

    op.drop_index("ix_epcis_events_retracted_at", table_name="epcis_events")
    op.create_index("ix_epcis_events_retracted_at", "epcis_events", ["retracted_at"],
                    postgresql_where=WITHDRAWN, **include(["id"]))
    op.drop_index("ix_shipments_ship_event", table_name="shipments")
    op.create_index("ix_shipments_ship_event", "shipments", ["ship_event_pk"],
                    **include(["id"]))
    op.drop_index("ix_linkage_deliveries_batch", table_name="linkage_deliveries")
    op.create_index("ix_linkage_deliveries_batch", "linkage_deliveries", ["batch_id"],
                    **include(DELIVERY_BATCH_INCLUDE))


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # nothing changes on SQLite
    _recreate(covering=True)
    op.create_index("ix_batches_harvested", "batches",
                    [sa.text("coalesce(harvest_start, harvest_end)")],
                    postgresql_include=HARVESTED_INCLUDE)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_batches_harvested", table_name="batches")
    _recreate(covering=False)
