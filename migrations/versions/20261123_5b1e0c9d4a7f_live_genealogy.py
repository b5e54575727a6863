"""batch_links holds the live genealogy: drop the edges of withdrawn events

Until now a withdrawn (error-declared) transformation, split or merge kept its rows in
batch_links and every lineage walk joined epcis_events to skip them. From this revision capture
deletes a withdrawn event's edges (the event document keeps its inputs and outputs), so the
walks read the edge index alone. Downgrade leaves the rows out: the older code filters withdrawn
edges by a join and is correct without them.

Revision ID: 5b1e0c9d4a7f
Revises: 23ec07f2c0d7
Create Date: 2026-11-23 07:40:00

"""
from alembic import op


revision = "5b1e0c9d4a7f"
down_revision = "23ec07f2c0d7"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "DELETE FROM batch_links WHERE event_pk IN "
        "(SELECT id FROM epcis_events WHERE retracted_at IS NOT NULL)"
    )


def downgrade():
    # Nothing to put back: the older code skips withdrawn edges by a join and is correct
    # without their rows (the events keep their inputs and outputs).
    pass
