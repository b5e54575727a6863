"""linkage contracts: contracts, parties, product lines, confirmations, versions, signed
scans, and the province-approved linkage projects that group them

A contract's every change is a version row with the full snapshot and, as columns, the
status, form and term, so that "as of" views and the linkage indicator stay plain SQL
(index on contract, effective day and number). Parties are indexed by organisation (my
contracts), confirmations by organisation, lines by product, line areas by production
area, project contracts by contract. Scans are kept in the database (LargeBinary).

Revision ID: a11c0c0d0e01
Revises: a10b0c0d0e03
Create Date: 2026-12-10 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e01"
down_revision = "a10b0c0d0e03"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "linkage_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=False),
        sa.Column("support_vnd", sa.BigInteger(), nullable=False),
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
        sa.CheckConstraint(
            "support_vnd >= 0", name=op.f("ck_linkage_projects_support_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["provinces.code"],
            name=op.f("fk_linkage_projects_province_code_provinces"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_linkage_projects_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_projects")),
        sa.UniqueConstraint(
            "province_code", "number", name=op.f("uq_linkage_projects_province_code_number")
        ),
    )
    with op.batch_alter_table("linkage_projects", schema=None) as batch_op:
        batch_op.create_index(
            "ix_linkage_projects_province_decided", ["province_code", "decision_date"], unique=False
        )

    op.create_table(
        "linkage_contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("paper_number", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "signed",
                "active",
                "completed",
                "terminated",
                "breached",
                "liquidated",
                name="contract_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("stage_inputs", sa.Boolean(), nullable=False),
        sa.Column("stage_production", sa.Boolean(), nullable=False),
        sa.Column("stage_processing", sa.Boolean(), nullable=False),
        sa.Column("form", sa.SmallInteger(), nullable=False),
        sa.Column(
            "price_mechanism",
            sa.Enum(
                "fixed",
                "floor",
                "market_plus",
                "formula",
                "negotiated_at_harvest",
                name="price_mechanism",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "price_unit",
            sa.Enum(
                "kg",
                "g",
                "ta",
                "tan",
                "litre",
                "piece",
                "head",
                name="contract_price_unit",
                native_enum=False,
                create_constraint=True,
                length=10,
            ),
            nullable=True,
        ),
        sa.Column("price_vnd", sa.BigInteger(), nullable=True),
        sa.Column("floor_price_vnd", sa.BigInteger(), nullable=True),
        sa.Column("premium_vnd", sa.BigInteger(), nullable=True),
        sa.Column("price_formula", sa.Text(), nullable=False),
        sa.Column("payment_terms", sa.Text(), nullable=False),
        sa.Column("input_advance_terms", sa.Text(), nullable=False),
        sa.Column("delivery_place", sa.Text(), nullable=False),
        sa.Column("delivery_method", sa.Text(), nullable=False),
        sa.Column("delivery_schedule", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("breach_handling", sa.Text(), nullable=False),
        sa.Column("risk_sharing", sa.Text(), nullable=False),
        sa.Column(
            "dispute_resolution",
            sa.Enum(
                "negotiation",
                "conciliation",
                "arbitration",
                "court",
                name="dispute_resolution",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_by_organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("terms_version", sa.Integer(), nullable=False),
        sa.Column("verified_terms_version", sa.Integer(), nullable=True),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version_count", sa.Integer(), nullable=False),
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
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from",
            name=op.f("ck_linkage_contracts_term_order"),
        ),
        sa.CheckConstraint("form BETWEEN 1 AND 7", name=op.f("ck_linkage_contracts_form")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_linkage_contracts_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_linkage_contracts_created_by_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_id"],
            ["users.id"],
            name=op.f("fk_linkage_contracts_verified_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_contracts")),
        sa.UniqueConstraint("code", name=op.f("uq_linkage_contracts_code")),
    )
    with op.batch_alter_table("linkage_contracts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_linkage_contracts_created_by_org", ["created_by_organisation_id"], unique=False
        )
        batch_op.create_index(
            "ix_linkage_contracts_status_term",
            ["status", "effective_from", "effective_to"],
            unique=False,
        )

    op.create_table(
        "linkage_contract_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["linkage_contracts.id"],
            name=op.f("fk_linkage_contract_attachments_contract_id_linkage_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_linkage_contract_attachments_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_contract_attachments")),
    )
    with op.batch_alter_table("linkage_contract_attachments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_linkage_contract_attachments_contract", ["contract_id", "id"], unique=False
        )

    op.create_table(
        "linkage_contract_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("terms_version", sa.Integer(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["users.id"],
            name=op.f("fk_linkage_contract_confirmations_confirmed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["linkage_contracts.id"],
            name=op.f("fk_linkage_contract_confirmations_contract_id_linkage_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_linkage_contract_confirmations_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_contract_confirmations")),
        sa.UniqueConstraint(
            "contract_id",
            "organisation_id",
            "terms_version",
            name=op.f(
                "uq_linkage_contract_confirmations_contract_id_organisation_id_terms_version"
            ),
        ),
    )
    with op.batch_alter_table("linkage_contract_confirmations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_linkage_contract_confirmations_org", ["organisation_id"], unique=False
        )

    op.create_table(
        "linkage_contract_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("commodity", sa.String(length=200), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("season", sa.String(length=100), nullable=False),
        sa.Column("planned_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "unit",
            sa.Enum(
                "kg",
                "g",
                "ta",
                "tan",
                "litre",
                "piece",
                "head",
                name="contract_line_unit",
                native_enum=False,
                create_constraint=True,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("planned_quantity_kg", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("quality_spec", sa.Text(), nullable=False),
        sa.Column("required_certifications", sa.JSON(), nullable=False),
        sa.Column("raw_material_area_ha", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.CheckConstraint(
            "planned_quantity >= 0", name=op.f("ck_linkage_contract_lines_quantity_not_negative")
        ),
        sa.CheckConstraint(
            "raw_material_area_ha IS NULL OR raw_material_area_ha >= 0",
            name=op.f("ck_linkage_contract_lines_area_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["linkage_contracts.id"],
            name=op.f("fk_linkage_contract_lines_contract_id_linkage_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_linkage_contract_lines_product_id_products"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_contract_lines")),
    )
    with op.batch_alter_table("linkage_contract_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_linkage_contract_lines_contract", ["contract_id", "position"], unique=False
        )
        batch_op.create_index("ix_linkage_contract_lines_product_id", ["product_id"], unique=False)

    op.create_table(
        "linkage_contract_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "leader",
                "input_supplier",
                "producer",
                "processor",
                "offtaker",
                "farmers_representative",
                "witness",
                name="contract_party_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("represented_households", sa.Integer(), nullable=True),
        sa.Column("represented_description", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "represented_households IS NULL OR represented_households >= 1",
            name=op.f("ck_linkage_contract_parties_households_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["linkage_contracts.id"],
            name=op.f("fk_linkage_contract_parties_contract_id_linkage_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_linkage_contract_parties_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_contract_parties")),
        sa.UniqueConstraint(
            "contract_id",
            "organisation_id",
            "role",
            name=op.f("uq_linkage_contract_parties_contract_id_organisation_id_role"),
        ),
    )
    with op.batch_alter_table("linkage_contract_parties", schema=None) as batch_op:
        batch_op.create_index(
            "ix_linkage_contract_parties_org_contract",
            ["organisation_id", "contract_id"],
            unique=False,
        )

    op.create_table(
        "linkage_contract_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "change",
            sa.Enum(
                "created",
                "amended",
                "signed",
                "verified",
                "transition",
                name="contract_change",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "signed",
                "active",
                "completed",
                "terminated",
                "breached",
                "liquidated",
                name="contract_version_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("form", sa.SmallInteger(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("terms_version", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_by_organisation_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.CheckConstraint("form BETWEEN 1 AND 7", name=op.f("ck_linkage_contract_versions_form")),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_linkage_contract_versions_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_linkage_contract_versions_changed_by_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["linkage_contracts.id"],
            name=op.f("fk_linkage_contract_versions_contract_id_linkage_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_contract_versions")),
        sa.UniqueConstraint(
            "contract_id", "number", name=op.f("uq_linkage_contract_versions_contract_id_number")
        ),
    )
    with op.batch_alter_table("linkage_contract_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_linkage_contract_versions_as_of",
            ["contract_id", "effective_on", "number"],
            unique=False,
        )
        batch_op.create_index(
            "ix_linkage_contract_versions_effective_on", ["effective_on"], unique=False
        )

    op.create_table(
        "linkage_project_contracts",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["linkage_contracts.id"],
            name=op.f("fk_linkage_project_contracts_contract_id_linkage_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["linkage_projects.id"],
            name=op.f("fk_linkage_project_contracts_project_id_linkage_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "project_id", "contract_id", name=op.f("pk_linkage_project_contracts")
        ),
    )
    with op.batch_alter_table("linkage_project_contracts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_linkage_project_contracts_contract_id"), ["contract_id"], unique=False
        )

    op.create_table(
        "linkage_contract_line_areas",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("production_area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["linkage_contract_lines.id"],
            name=op.f("fk_linkage_contract_line_areas_line_id_linkage_contract_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["production_area_id"],
            ["production_areas.id"],
            name=op.f("fk_linkage_contract_line_areas_production_area_id_production_areas"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "line_id", "production_area_id", name=op.f("pk_linkage_contract_line_areas")
        ),
    )
    with op.batch_alter_table("linkage_contract_line_areas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_linkage_contract_line_areas_production_area_id"),
            ["production_area_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("linkage_contract_line_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_linkage_contract_line_areas_production_area_id"))

    op.drop_table("linkage_contract_line_areas")
    with op.batch_alter_table("linkage_project_contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_linkage_project_contracts_contract_id"))

    op.drop_table("linkage_project_contracts")
    with op.batch_alter_table("linkage_contract_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_linkage_contract_versions_effective_on")
        batch_op.drop_index("ix_linkage_contract_versions_as_of")

    op.drop_table("linkage_contract_versions")
    with op.batch_alter_table("linkage_contract_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_linkage_contract_parties_org_contract")

    op.drop_table("linkage_contract_parties")
    with op.batch_alter_table("linkage_contract_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_linkage_contract_lines_product_id")
        batch_op.drop_index("ix_linkage_contract_lines_contract")

    op.drop_table("linkage_contract_lines")
    with op.batch_alter_table("linkage_contract_confirmations", schema=None) as batch_op:
        batch_op.drop_index("ix_linkage_contract_confirmations_org")

    op.drop_table("linkage_contract_confirmations")
    with op.batch_alter_table("linkage_contract_attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_linkage_contract_attachments_contract")

    op.drop_table("linkage_contract_attachments")
    with op.batch_alter_table("linkage_contracts", schema=None) as batch_op:
        batch_op.drop_index("ix_linkage_contracts_status_term")
        batch_op.drop_index("ix_linkage_contracts_created_by_org")

    op.drop_table("linkage_contracts")
    with op.batch_alter_table("linkage_projects", schema=None) as batch_op:
        batch_op.drop_index("ix_linkage_projects_province_decided")

    op.drop_table("linkage_projects")
