"""indicator_publications: published figures of the linkage indicator, frozen

An authority publishes the figures of a period for the country or a province (issue 12
§3): the parameters, each variant's version, definition and results, and the drill-down
rows of the counting variants are stored as they were computed, so that a published number
never changes silently. One publication per scope and period. Nothing to backfill.

Revision ID: a11c0c0d0e08
Revises: a11c0c0d0e07
Create Date: 2026-12-10 19:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e08"
down_revision = "a11c0c0d0e07"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "indicator_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column(
            "period_kind",
            sa.Enum("statistical_year", "calendar_year", "range", name="publication_period",
                    native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("year", sa.SmallInteger(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("reference_day", sa.Date(), nullable=False),
        sa.Column("knowledge_cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("include_suspended", sa.Boolean(), nullable=False),
        sa.Column("denominator_version", sa.String(length=16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint("scope = 'national' OR length(scope) = 2",
                           name=op.f("ck_indicator_publications_scope_code")),
        sa.CheckConstraint("period_start <= period_end",
                           name=op.f("ck_indicator_publications_period_order")),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_indicator_publications_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_publications")),
        sa.UniqueConstraint(
            "scope", "period_start", "period_end",
            name=op.f("uq_indicator_publications_scope_period_start_period_end"),
        ),
    )
    with op.batch_alter_table("indicator_publications", schema=None) as batch_op:
        batch_op.create_index("ix_indicator_publications_year", ["year", "scope"], unique=False)

    op.create_table(
        "indicator_publication_figures",
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=4), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("variant_version", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("name_vi", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("definition_vi", sa.Text(), nullable=False),
        sa.Column("definition_en", sa.Text(), nullable=False),
        sa.Column("numerator", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("denominator", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("share", sa.Numeric(precision=6, scale=4), nullable=True),
        sa.Column("cooperatives", sa.Integer(), nullable=True),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["indicator_publications.id"],
            name=op.f("fk_indicator_publication_figures_publication_id_indicator_publications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("publication_id", "variant",
                                name=op.f("pk_indicator_publication_figures")),
    )

    op.create_table(
        "indicator_publication_members",
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=4), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("province", sa.String(length=8), nullable=True),
        sa.Column("in_denominator", sa.Boolean(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["linkage_contracts.id"],
            name=op.f("fk_indicator_publication_members_contract_id_linkage_contracts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_indicator_publication_members_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["indicator_publications.id"],
            name=op.f("fk_indicator_publication_members_publication_id_indicator_publications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("publication_id", "variant", "organisation_id",
                                name=op.f("pk_indicator_publication_members")),
    )
    with op.batch_alter_table("indicator_publication_members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_indicator_publication_members_province",
            ["publication_id", "variant", "province"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("indicator_publication_members", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_publication_members_province")
    op.drop_table("indicator_publication_members")
    op.drop_table("indicator_publication_figures")
    with op.batch_alter_table("indicator_publications", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_publications_year")
    op.drop_table("indicator_publications")
