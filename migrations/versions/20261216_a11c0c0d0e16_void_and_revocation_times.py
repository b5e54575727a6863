"""void_and_revocation_times: when a lot became void and when a revocation was recorded

The linkage indicator's figures as of a past moment read lots and certificates as they
stood then. Neither change had a time: a lot voided today (its making events withdrawn)
left every past figure of the volume-weighted variant and of traceability adoption, and
a certificate revoked today with an earlier revocation day left past OCOP counts.

- ``batches.voided_at``: set when a correction leaves a lot void. Lots already void get
  the latest withdrawal time of their events, else their last update.
- ``certifications.revoked_at``: set when a revocation is recorded. Those already
  revoked get their last update.
- PostgreSQL: ``ix_batches_harvested`` carries ``voided_at`` too, so that the period's
  lots are still read from the index alone.

Revision ID: a11c0c0d0e16
Revises: a11c0c0d0e15
Create Date: 2026-12-16 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e16"
down_revision = "a11c0c0d0e15"
branch_labels = None
depends_on = None

HARVESTED = [sa.text("coalesce(harvest_start, harvest_end)")]
HARVESTED_INCLUDE = ["id", "organisation_id", "quantity_kg", "status", "created_at",
                     "product_id", "harvest_start", "harvest_end"]


def _harvested_index(include: list[str]) -> None:
    op.drop_index("ix_batches_harvested", table_name="batches")
    op.create_index("ix_batches_harvested", "batches", HARVESTED,
                    postgresql_include=include)


def upgrade():
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("certifications") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE batches SET voided_at = coalesce(("
        " SELECT max(e.retracted_at) FROM event_batches eb"
        " JOIN epcis_events e ON e.id = eb.event_pk"
        " WHERE eb.batch_id = batches.id), updated_at)"
        " WHERE status = 'void'"
    )
    op.execute("UPDATE certifications SET revoked_at = updated_at"
               " WHERE revoked_on IS NOT NULL")
    if op.get_bind().dialect.name == "postgresql":
        _harvested_index([*HARVESTED_INCLUDE[:4], "voided_at", *HARVESTED_INCLUDE[4:]])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _harvested_index(HARVESTED_INCLUDE)
    with op.batch_alter_table("certifications") as batch:
        batch.drop_column("revoked_at")
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("voided_at")
