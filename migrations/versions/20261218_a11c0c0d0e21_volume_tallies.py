"""volume_tallies: the volume-weighted indicator's sums kept at write time

A figure of the volume-weighted variant read every lot of the period and every delivery
of its counting contracts (~200,000 and ~370,000 in the bench country). The tallies hold
the same sums per cooperative and year (statistical and calendar), kept at every flush by
``linkages.indicator.tallies``; this fills them from the lots and deliveries recorded so
far, with the same rule in SQL.

Revision ID: a11c0c0d0e21
Revises: a11c0c0d0e20
Create Date: 2026-12-18 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e21"
down_revision = "a11c0c0d0e20"
branch_labels = None
depends_on = None

HARVEST, DELIVERY = "linkage_harvest_tallies", "linkage_delivery_tallies"
DAY = "COALESCE(b.harvest_start, b.harvest_end)"


def _part(field: str, day: str, postgresql: bool) -> str:
    if postgresql:
        return f"CAST(EXTRACT({field} FROM {day}) AS INTEGER)"
    code = {"YEAR": "%Y", "MONTH": "%m", "DAY": "%d"}[field]
    return f"CAST(strftime('{code}', {day}) AS INTEGER)"


def _year(kind: str, day: str, postgresql: bool) -> str:
    year = _part("YEAR", day, postgresql)
    if kind == "calendar_year":
        return year
    late = f"{_part('MONTH', day, postgresql)} = 12 AND {_part('DAY', day, postgresql)} >= 15"
    return f"({year} + CASE WHEN {late} THEN 1 ELSE 0 END)"


def _fill(postgresql: bool) -> None:
    for kind in ("statistical_year", "calendar_year"):
        year = _year(kind, DAY, postgresql)
        op.execute(
            f"INSERT INTO {HARVEST} (organisation_id, period_kind, year, lots, harvested_kg) "
            f"SELECT b.organisation_id, '{kind}', {year}, COUNT(*), SUM(b.quantity_kg) "
            f"FROM batches b WHERE b.status <> 'void' AND {DAY} IS NOT NULL "
            f"GROUP BY b.organisation_id, {year}"
        )
        shipped_year = _year(kind, "d.shipped_on", postgresql)
        op.execute(
            f"INSERT INTO {DELIVERY} (organisation_id, period_kind, year, contract_id, "
            f"shipped_kg, last_shipped_on) "
            f"SELECT d.supplier_id, '{kind}', {year}, d.contract_id, "
            f"SUM(CASE WHEN {shipped_year} <= {year} THEN d.shipped_kg ELSE 0 END), "
            f"MAX(d.shipped_on) "
            f"FROM linkage_deliveries d JOIN batches b "
            f"ON b.id = d.batch_id AND b.organisation_id = d.supplier_id "
            f"WHERE b.status <> 'void' AND {DAY} IS NOT NULL AND NOT EXISTS ("
            f"SELECT 1 FROM shipments s JOIN epcis_events e ON e.id = s.ship_event_pk "
            f"WHERE s.id = d.shipment_id AND e.retracted_at IS NOT NULL) "
            f"GROUP BY d.supplier_id, {year}, d.contract_id"
        )


def upgrade():
    op.create_table(
        HARVEST,
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("lots", sa.Integer(), nullable=False),
        sa.Column("harvested_kg", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_linkage_harvest_tallies_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", "period_kind", "year",
                                name=op.f("pk_linkage_harvest_tallies")),
    )
    op.create_index("ix_linkage_harvest_tallies_year", HARVEST,
                    ["period_kind", "year", "organisation_id"],
                    postgresql_include=["lots", "harvested_kg"])
    op.create_table(
        DELIVERY,
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("shipped_kg", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("last_shipped_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_linkage_delivery_tallies_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["linkage_contracts.id"],
            name=op.f("fk_linkage_delivery_tallies_contract_id_linkage_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", "period_kind", "year", "contract_id",
                                name=op.f("pk_linkage_delivery_tallies")),
    )
    op.create_index("ix_linkage_delivery_tallies_year", DELIVERY,
                    ["period_kind", "year", "organisation_id", "contract_id"],
                    postgresql_include=["shipped_kg", "last_shipped_on"])
    _fill(op.get_bind().dialect.name == "postgresql")


def downgrade():
    op.drop_table(DELIVERY)
    op.drop_table(HARVEST)
