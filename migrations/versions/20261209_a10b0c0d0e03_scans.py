"""scans: each opening of a trace page by a consumer's scan

One row per scan of a lot, a serialised item or a product (what the identifier resolved to,
the serial as scanned, the page's language, and a keyed hash of the client's address, never
the address), written in batches after the response. Indexed for one code's count and first
scan, and for a lot's scans by serial (the cooperative's flags).

Revision ID: a10b0c0d0e03
Revises: a10b0c0d0e02
Create Date: 2026-12-09 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a10b0c0d0e03"
down_revision = "a10b0c0d0e02"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("serial", sa.String(length=20), nullable=True),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"],
                                name=op.f("fk_scans_batch_id_batches"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"],
                                name=op.f("fk_scans_product_id_products"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
    )
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scans_batch_serial_time", ["batch_id", "serial", "scanned_at"], unique=False
        )
        batch_op.create_index(
            "ix_scans_product_time", ["product_id", "scanned_at"], unique=False
        )


def downgrade():
    op.drop_table("scans")
