"""batch status void: a lot whose creating event was declared not to have occurred

Revision ID: 23ec07f2c0d7
Revises: 0731a4431ba2
Create Date: 2026-11-23 12:00:00

The status column is a string with a CHECK constraint (core.db.str_enum), so a new value is
a new constraint: altered in batch mode, which recreates the table on SQLite and alters the
constraint in place on PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '23ec07f2c0d7'
down_revision = '0731a4431ba2'
branch_labels = None
depends_on = None

OLD = ('active', 'in_transit', 'consumed', 'destroyed', 'recalled')
NEW = (*OLD, 'void')


def _status(values):
    return sa.Enum(*values, name='batch_status', native_enum=False, create_constraint=True,
                   length=32)


def upgrade():
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=_status(OLD), type_=_status(NEW),
                              existing_nullable=False)


def downgrade():
    # Before this revision a withdrawn lot simply held nothing: "consumed" is the nearest.
    op.execute("UPDATE batches SET status = 'consumed' WHERE status = 'void'")
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=_status(NEW), type_=_status(OLD),
                              existing_nullable=False)
