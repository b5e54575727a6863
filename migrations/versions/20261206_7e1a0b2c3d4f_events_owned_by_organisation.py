"""eventIDs are unique per capturing organisation, not across the platform

An eventID (and its error declaration) used to be unique platform-wide, so the first
organisation to capture an ID owned it: another organisation could squat an ID (the owner's
capture was then answered "duplicate" and never stored), learn that an ID existed, or declare
it erroneous in advance. From this revision every organisation is its own EPCIS repository:
duplicates and error declarations are matched within the capturing organisation.

Revision ID: 7e1a0b2c3d4f
Revises: 5b1e0c9d4a7f
Create Date: 2026-12-06 15:00:00

"""
from alembic import op


revision = "7e1a0b2c3d4f"
down_revision = "5b1e0c9d4a7f"
branch_labels = None
depends_on = None


def upgrade():
    # An event is attached to another organisation's lot only when it is the receiving of
    # it: detach the rest already stored (observations by the addressee, the buyer's booking
    # that showed a receipt twice). Only zero-effect rows exist there; the quantities stay.
    op.execute(
        "DELETE FROM event_batches WHERE quantity_kg = 0 AND EXISTS ("
        " SELECT 1 FROM epcis_events e, batches b"
        " WHERE e.id = event_batches.event_pk AND b.id = event_batches.batch_id"
        " AND e.organisation_id IS NOT NULL AND e.organisation_id <> b.organisation_id"
        " AND (e.biz_step IS NULL OR e.biz_step <> 'receiving' OR e.declares_error))"
    )
    with op.batch_alter_table("epcis_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_epcis_events_event_id_declares_error", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_epcis_events_organisation_id_event_id_declares_error"),
            ["organisation_id", "event_id", "declares_error"],
        )
        # GET /epcis/events/{eventID} and the duplicate check look events up by ID alone.
        batch_op.create_index("ix_epcis_events_event_id", ["event_id"], unique=False)


def downgrade():
    # Detached observations stay detached (the older code refused such events anyway).
    # Fails if two organisations now hold the same eventID: that history cannot be merged.
    with op.batch_alter_table("epcis_events", schema=None) as batch_op:
        batch_op.drop_index("ix_epcis_events_event_id")
        batch_op.drop_constraint(
            "uq_epcis_events_organisation_id_event_id_declares_error", type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_epcis_events_event_id_declares_error"),
            ["event_id", "declares_error"],
        )
