"""linkage_contract_version_parties: a contract's parties as each version recorded them

The linkage indicator asks, in SQL, who the parties of a contract were on a past day; until
now only the version's snapshot JSON said so. Each version gets its party rows (written by
the contracts recording service from now on); existing versions are backfilled from their
snapshots, which hold the parties in force when the version was recorded.

Revision ID: a11c0c0d0e06
Revises: a11c0c0d0e05
Create Date: 2026-12-10 17:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e06"
down_revision = "a11c0c0d0e05"
branch_labels = None
depends_on = None

ROLES = (
    "leader",
    "input_supplier",
    "producer",
    "processor",
    "offtaker",
    "farmers_representative",
    "witness",
)


def upgrade():
    op.create_table(
        "linkage_contract_version_parties",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                *ROLES,
                name="contract_version_party_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_linkage_contract_version_parties_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["linkage_contract_versions.id"],
            name=op.f("fk_linkage_contract_version_parties_version_id_linkage_contract_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "version_id", "organisation_id", "role",
            name=op.f("pk_linkage_contract_version_parties"),
        ),
    )
    with op.batch_alter_table("linkage_contract_version_parties", schema=None) as batch_op:
        batch_op.create_index(
            "ix_linkage_contract_version_parties_org",
            ["organisation_id", "version_id"],
            unique=False,
        )
    _backfill()


def _backfill():
    """One row per party in each existing version's snapshot (duplicates skipped, as the
    parties table's unique constraint never allowed them)."""
    bind = op.get_bind()
    versions = sa.table(
        "linkage_contract_versions", sa.column("id", sa.Integer), sa.column("snapshot", sa.JSON)
    )
    target = sa.table(
        "linkage_contract_version_parties",
        sa.column("version_id", sa.Integer),
        sa.column("organisation_id", sa.Integer),
        sa.column("role", sa.String),
        sa.column("position", sa.SmallInteger),
    )
    rows = []
    for version_id, snapshot in bind.execute(sa.select(versions.c.id, versions.c.snapshot)):
        data = json.loads(snapshot) if isinstance(snapshot, str) else (snapshot or {})
        seen = set()
        for position, party in enumerate(data.get("parties") or []):
            key = (party.get("organisation_id"), party.get("role"))
            if None in key or key[1] not in ROLES or key in seen:
                continue
            seen.add(key)
            rows.append({"version_id": version_id, "organisation_id": key[0],
                         "role": key[1], "position": position})
    if rows:
        op.bulk_insert(target, rows)


def downgrade():
    with op.batch_alter_table("linkage_contract_version_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_linkage_contract_version_parties_org")
    op.drop_table("linkage_contract_version_parties")
