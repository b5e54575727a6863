"""profile_and_figures_history: what the indicator reads of profiles and yearly figures,
as it stood

The linkage indicator reads a cooperative's field group (agricultural or not decides the
denominator), size class (a breakdown) and high-tech status and basis (the high-tech
count) from its profile, and its members and rating from its yearly figures. Without a
history, editing them changed what every past date showed. From this revision each change
of one of them is kept (a profile's effective the day it is recorded) and the indicator
reads the value a past date had. Existing rows get no history: before its first recorded
change a value is its current one.

Revision ID: a11c0c0d0e14
Revises: a11c0c0d0e13
Create Date: 2026-12-15 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e14"
down_revision = "a11c0c0d0e13"
branch_labels = None
depends_on = None

PROFILE_FACTS = ("field_group", "size_class", "high_tech_status", "high_tech_basis")
FIGURE_FACTS = ("official_members", "associate_capital_members",
                "associate_no_capital_members", "rating")


def upgrade():
    op.create_table(
        "cooperative_profile_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.Enum(*PROFILE_FACTS, name="profile_fact", native_enum=False,
                                   create_constraint=True, length=32), nullable=False),
        sa.Column("old_value", sa.String(length=40), nullable=True),
        sa.Column("new_value", sa.String(length=40), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["users.id"],
            name=op.f("fk_cooperative_profile_changes_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["cooperative_profiles.organisation_id"],
            name=op.f("fk_cooperative_profile_changes_organisation_id_cooperative_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperative_profile_changes")),
    )
    op.create_index("ix_cooperative_profile_changes_as_of", "cooperative_profile_changes",
                    ["organisation_id", "field", "effective_on", "id"])
    op.create_table(
        "yearly_figures_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("figures_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.Enum(*FIGURE_FACTS, name="figure_fact", native_enum=False,
                                   create_constraint=True, length=32), nullable=False),
        sa.Column("old_value", sa.String(length=16), nullable=True),
        sa.Column("new_value", sa.String(length=16), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["users.id"],
            name=op.f("fk_yearly_figures_changes_changed_by_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["figures_id"], ["yearly_figures.id"],
            name=op.f("fk_yearly_figures_changes_figures_id_yearly_figures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_yearly_figures_changes")),
    )
    op.create_index("ix_yearly_figures_changes_as_of", "yearly_figures_changes",
                    ["figures_id", "field", "changed_at", "id"])


def downgrade():
    op.drop_index("ix_yearly_figures_changes_as_of", table_name="yearly_figures_changes")
    op.drop_table("yearly_figures_changes")
    op.drop_index("ix_cooperative_profile_changes_as_of",
                  table_name="cooperative_profile_changes")
    op.drop_table("cooperative_profile_changes")
