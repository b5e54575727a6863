"""oversight facts of organisations: their history and change requests

An organisation's registration code, type, status, registration date and place codes decide
which authority oversees it and how the linkage indicator counts it. From this revision they
change only through an authority over the organisation (or a platform admin), directly or by
approving the organisation's change request, and every change is kept with its author, time,
reason and effective date. Existing organisations get no history rows: before its first
recorded change a fact has the value on the organisation row.

Revision ID: 9c3d5e7f9a12
Revises: 8b2c4d6e8f01
Create Date: 2026-12-07 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "9c3d5e7f9a12"
down_revision = "8b2c4d6e8f01"
branch_labels = None
depends_on = None

FACT_FIELDS = (
    "registration_code", "org_type", "status", "registered_on", "province_code",
    "commune_code", "legacy_province_code",
)


def _fact_field() -> sa.Enum:
    return sa.Enum(
        *FACT_FIELDS, name="fact_field", native_enum=False, create_constraint=True, length=32
    )


def upgrade():
    op.create_table(
        "organisation_change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "approved", "rejected", name="change_request_status",
                    native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True),
                  server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.CheckConstraint(
            "(status = 'pending' AND decided_at IS NULL) "
            "OR (status <> 'pending' AND decided_at IS NOT NULL)",
            name=op.f("ck_organisation_change_requests_decided_unless_pending"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"],
            name=op.f("fk_organisation_change_requests_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_organisation_change_requests_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"],
            name=op.f("fk_organisation_change_requests_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_change_requests")),
    )
    with op.batch_alter_table("organisation_change_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_organisation_change_requests_org_status",
            ["organisation_id", "status"],
            unique=False,
        )

    op.create_table(
        "organisation_change_request_items",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("field", _fact_field(), nullable=False),
        sa.Column("old_value", sa.String(length=32), nullable=True),
        sa.Column("new_value", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["organisation_change_requests.id"],
            name=op.f("fk_organisation_change_request_items_request_id_organisation_change_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "request_id", "field", name=op.f("pk_organisation_change_request_items")
        ),
    )

    op.create_table(
        "organisation_fact_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("field", _fact_field(), nullable=False),
        sa.Column("old_value", sa.String(length=32), nullable=True),
        sa.Column("new_value", sa.String(length=32), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["users.id"],
            name=op.f("fk_organisation_fact_changes_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_organisation_fact_changes_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["organisation_change_requests.id"],
            name=op.f("fk_organisation_fact_changes_request_id_organisation_change_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_fact_changes")),
    )
    with op.batch_alter_table("organisation_fact_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_organisation_fact_changes_as_of",
            ["organisation_id", "field", "effective_on", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_organisation_fact_changes_request_id", ["request_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("organisation_fact_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_organisation_fact_changes_request_id")
        batch_op.drop_index("ix_organisation_fact_changes_as_of")
    op.drop_table("organisation_fact_changes")
    op.drop_table("organisation_change_request_items")
    with op.batch_alter_table("organisation_change_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_organisation_change_requests_org_status")
    op.drop_table("organisation_change_requests")
