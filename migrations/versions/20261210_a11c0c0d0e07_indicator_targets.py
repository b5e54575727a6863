"""indicator_targets: the strategy's targets as data, seeded with the national ones

Targets (issue 12 §2) are values with a source document and a verified flag, edited by
authorities. Seeded: the 2030 targets of Decision 340/QĐ-TTg (2021) and the 2025 targets
of the 2021–2025 plan, the latter unverified (DOMAIN.md §4: "to verify"). The 70 % of
cooperatives operating effectively is in the issue but not in the reference, so it is
seeded unverified too.

Revision ID: a11c0c0d0e07
Revises: a11c0c0d0e06
Create Date: 2026-12-10 18:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e07"
down_revision = "a11c0c0d0e06"
branch_labels = None
depends_on = None

DECISION_340 = "Quyết định 340/QĐ-TTg (2021), Chiến lược phát triển kinh tế tập thể 2021–2030"
PLAN_2025 = "Kế hoạch phát triển kinh tế tập thể, hợp tác xã 2021–2025"

# (metric, year, value, unit, qualifier, source, verified)
SEED = [
    ("linked_share", 2025, 35, "share", "exact", PLAN_2025, False),
    ("high_tech_htx", 2025, 3000, "count", "more_than", PLAN_2025, False),
    ("htx_count", 2025, 35000, "count", "exact", PLAN_2025, False),
    ("linked_share", 2030, 50, "share", "about", DECISION_340, True),
    ("high_tech_htx", 2030, 5000, "count", "more_than", DECISION_340, True),
    ("htx_count", 2030, 45000, "count", "exact", DECISION_340, True),
    ("members", 2030, 8000000, "count", "exact", DECISION_340, True),
    ("tht_count", 2030, 140000, "count", "exact", DECISION_340, True),
    ("lhhtx_count", 2030, 340, "count", "exact", DECISION_340, True),
    ("effective_share", 2030, 70, "share", "exact", DECISION_340, False),
]


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    targets = op.create_table(
        "indicator_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "metric",
            _enum("target_metric", "linked_share", "high_tech_htx", "htx_count", "tht_count",
                  "lhhtx_count", "members", "effective_share"),
            nullable=False,
        ),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", _enum("target_unit", "share", "count"), nullable=False),
        sa.Column("qualifier", _enum("target_qualifier", "exact", "about", "more_than"),
                  nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint("value >= 0", name=op.f("ck_indicator_targets_value_not_negative")),
        sa.CheckConstraint("unit <> 'share' OR value <= 100",
                           name=op.f("ck_indicator_targets_share_at_most_100")),
        sa.CheckConstraint("scope = 'national' OR length(scope) = 2",
                           name=op.f("ck_indicator_targets_scope_code")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_indicator_targets_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_targets")),
        sa.UniqueConstraint(
            "metric", "scope", "year", name=op.f("uq_indicator_targets_metric_scope_year")
        ),
    )
    with op.batch_alter_table("indicator_targets", schema=None) as batch_op:
        batch_op.create_index("ix_indicator_targets_scope_year", ["scope", "year"], unique=False)
    op.bulk_insert(
        targets,
        [
            {"metric": m, "scope": "national", "year": y, "value": v, "unit": u,
             "qualifier": q, "source": s, "verified": ok, "note": ""}
            for m, y, v, u, q, s, ok in SEED
        ],
    )


def downgrade():
    with op.batch_alter_table("indicator_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_targets_scope_year")
    op.drop_table("indicator_targets")
