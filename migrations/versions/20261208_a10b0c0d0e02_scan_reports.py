"""scan_reports: what consumers report from the public trace page

A consumer who scanned a label may report a suspected fake, a quality problem or wrong
information; the report reaches the producer the scanned identifier names (its
``organisation_id``), and names the lot and product when the platform knows them. The
sender's address is kept only as a keyed hash (``client_fingerprint``).

Revision ID: a10b0c0d0e02
Revises: a10b0c0d0e01
Create Date: 2026-12-08 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a10b0c0d0e02"
down_revision = "a10b0c0d0e01"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scan_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("suspected_fake", "quality_problem", "wrong_information", "other",
                    name="scan_report_kind", native_enum=False, create_constraint=True,
                    length=32),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("client_fingerprint", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum("new", "seen", name="scan_report_status", native_enum=False,
                    create_constraint=True, length=8),
            nullable=False,
        ),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True),
                  server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"],
                                name=op.f("fk_scan_reports_batch_id_batches"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_scan_reports_organisation_id_organisations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"],
                                name=op.f("fk_scan_reports_product_id_products"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["seen_by_id"], ["users.id"],
                                name=op.f("fk_scan_reports_seen_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_reports")),
    )
    with op.batch_alter_table("scan_reports", schema=None) as batch_op:
        batch_op.create_index("ix_scan_reports_batch", ["batch_id"], unique=False)
        batch_op.create_index("ix_scan_reports_created", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_scan_reports_org_created", ["organisation_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_scan_reports_product_id"), ["product_id"], unique=False
        )


def downgrade():
    op.drop_table("scan_reports")
