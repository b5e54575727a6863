"""production_areas.gln indexed: a scanned /414/{gln} link finds its place by it

Revision ID: a11c0c0d0e05
Revises: a11c0c0d0e04
Create Date: 2026-12-10 16:00:00

"""
from alembic import op

revision = "a11c0c0d0e05"
down_revision = "a11c0c0d0e04"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("production_areas", schema=None) as batch_op:
        batch_op.create_index("ix_production_areas_gln", ["gln"], unique=False)


def downgrade():
    with op.batch_alter_table("production_areas", schema=None) as batch_op:
        batch_op.drop_index("ix_production_areas_gln")
