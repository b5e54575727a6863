"""project_contract_changes: when a contract entered or left a linkage project

The linkage indicator's D counts contracts of an approved project. Including a contract
in a project, or taking it out, wrote or deleted a row with no time, so every past D
figure changed with it. Each inclusion and removal is now kept with when and by whom,
and D as known at an earlier moment reads the projects' contracts as they were then.
Contracts already in a project are taken as in it since the project was recorded.

Revision ID: a11c0c0d0e19
Revises: a11c0c0d0e18
Create Date: 2026-12-16 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e19"
down_revision = "a11c0c0d0e18"
branch_labels = None
depends_on = None

TABLE = "linkage_project_contract_changes"


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.Enum("added", "removed", name="project_membership",
                                    native_enum=False, create_constraint=True, length=32),
                  nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["linkage_contracts.id"],
            name=op.f("fk_linkage_project_contract_changes_contract_id_linkage_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["linkage_projects.id"],
            name=op.f("fk_linkage_project_contract_changes_project_id_linkage_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["users.id"],
            name=op.f("fk_linkage_project_contract_changes_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_project_contract_changes")),
    )
    op.create_index("ix_linkage_project_contract_changes_as_of", TABLE,
                    ["changed_at", "project_id", "contract_id"])


def downgrade():
    op.drop_table(TABLE)
