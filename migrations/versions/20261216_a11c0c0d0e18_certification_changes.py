"""certification_changes: a corrected certification keeps what it said before

The figures beside the linkage indicator count valid OCOP certificates by stars, as of a
date. Correcting a certificate (its scheme, dates or stars) overwrote the row, so every
past figure changed with it. Each correction of those fields is now kept, and figures as
known at an earlier moment read the values it replaced.

Revision ID: a11c0c0d0e18
Revises: a11c0c0d0e17
Create Date: 2026-12-16 11:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e18"
down_revision = "a11c0c0d0e17"
branch_labels = None
depends_on = None

CERT_FACTS = ("scheme", "issued_on", "expires_on", "ocop_stars")


def upgrade():
    op.create_table(
        "certification_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certification_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.Enum(*CERT_FACTS, name="cert_fact", native_enum=False,
                                   create_constraint=True, length=32), nullable=False),
        sa.Column("old_value", sa.String(length=32), nullable=True),
        sa.Column("new_value", sa.String(length=32), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"], ["certifications.id"],
            name=op.f("fk_certification_changes_certification_id_certifications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["users.id"],
            name=op.f("fk_certification_changes_changed_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_changes")),
    )
    op.create_index("ix_certification_changes_as_of", "certification_changes",
                    ["certification_id", "field", "changed_at", "id"])


def downgrade():
    op.drop_table("certification_changes")
