"""product_images: a product's photo for the consumer trace page (Decree 37/2026)

One row per product, the re-encoded JPEG in the database (every worker serves it, a backup
holds it), named publicly by its SHA-256 (unique: the public URL looks it up). A table of
its own, so that reading products never reads the bytes.

Revision ID: a11c0c0d0e03
Revises: a11c0c0d0e02
Create Date: 2026-12-10 13:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e03"
down_revision = "a11c0c0d0e02"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "product_images",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True),
                  server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"],
            name=op.f("fk_product_images_product_id_products"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_images")),
        sa.UniqueConstraint("sha256", name=op.f("uq_product_images_sha256")),
    )


def downgrade():
    op.drop_table("product_images")
