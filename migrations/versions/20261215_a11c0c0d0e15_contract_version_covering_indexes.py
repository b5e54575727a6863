"""contract_version_covering_indexes: a past reference day's version look-ups read an index

For a reference day in the past, the linkage indicator looks up, for each contract changed
since, its version in force then. That read the versions' table, whose rows carry the
whole terms: about 0.3 s at 543,000 versions. On PostgreSQL the as-of index now carries
what the look-up reads (the version's id, status, form, term and recording time), and a
past year's figure by province went from 1.4–1.6 to 0.9 s (bench/RESULTS.md,
2026-12-07). SQLite is left as it was (no INCLUDE there).

Revision ID: a11c0c0d0e15
Revises: a11c0c0d0e14
Create Date: 2026-12-15 12:00:00

"""
from alembic import op

revision = "a11c0c0d0e15"
down_revision = "a11c0c0d0e14"
branch_labels = None
depends_on = None

TABLE = "linkage_contract_versions"
AS_OF_INCLUDE = ["id", "status", "form", "effective_from", "effective_to", "recorded_at"]


def _recreate(covering: bool) -> None:
    def include(columns: list[str]) -> dict:
        return {"postgresql_include": columns} if covering else {}

    op.drop_index("ix_linkage_contract_versions_as_of", table_name=TABLE)
    op.create_index("ix_linkage_contract_versions_as_of", TABLE,
                    ["contract_id", "effective_on", "number"], **include(AS_OF_INCLUDE))


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _recreate(covering=True)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _recreate(covering=False)
