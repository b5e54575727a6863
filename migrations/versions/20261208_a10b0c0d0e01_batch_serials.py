"""batch_serials: the serial numbers (AI 21) issued under a lot

The resolver reads it to tell a recorded serial from an unknown one (which it walks up to the
lot); the labelling service writes it when it issues serial ranges and label sheets. A serial
is unique within its lot; the rows go with their lot.

Revision ID: a10b0c0d0e01
Revises: 9c3d5e7f9a12
Create Date: 2026-12-08 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a10b0c0d0e01"
down_revision = "9c3d5e7f9a12"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "batch_serials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"],
            name=op.f("fk_batch_serials_batch_id_batches"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_batch_serials_created_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_serials")),
        sa.UniqueConstraint("batch_id", "serial", name=op.f("uq_batch_serials_batch_id_serial")),
    )


def downgrade():
    op.drop_table("batch_serials")
