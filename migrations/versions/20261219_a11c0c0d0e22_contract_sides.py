"""contract_sides: each contract's enterprise and leading cooperatives kept at write time

Every figure of the linkage indicator asked, of every contract in force, whether an
enterprise is among its parties and (variant B) which HTX or unions lead or buy under it,
reading every party of the country's contracts with its organisation's type. The table
holds the answer per contract, kept at every flush by ``linkages.indicator.sides``; this
fills it from the parties and types as they stand, with the same rule in SQL.

Revision ID: a11c0c0d0e22
Revises: a11c0c0d0e21
Create Date: 2026-12-19 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e22"
down_revision = "a11c0c0d0e21"
branch_labels = None
depends_on = None

SIDES = "linkage_contract_sides"
LEAD = "o.org_type IN ('htx', 'lhhtx') AND p.role IN ('leader', 'offtaker')"


def upgrade():
    op.create_table(
        SIDES,
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("enterprise", sa.Boolean(), nullable=False),
        sa.Column("lead_min", sa.Integer(), nullable=True),
        sa.Column("lead_max", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["linkage_contracts.id"],
            name=op.f("fk_linkage_contract_sides_contract_id_linkage_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_linkage_contract_sides")),
    )
    op.execute(
        f"INSERT INTO {SIDES} (contract_id, enterprise, lead_min, lead_max) "
        f"SELECT p.contract_id, "
        f"MAX(CASE WHEN o.org_type = 'dn' THEN 1 ELSE 0 END) = 1, "
        f"MIN(CASE WHEN {LEAD} THEN p.organisation_id END), "
        f"MAX(CASE WHEN {LEAD} THEN p.organisation_id END) "
        f"FROM linkage_contract_parties p JOIN organisations o ON o.id = p.organisation_id "
        f"WHERE o.org_type = 'dn' OR ({LEAD}) "
        f"GROUP BY p.contract_id"
    )


def downgrade():
    op.drop_table(SIDES)
