"""acceptance_tallies: variant C's accepted deliveries kept at write time

Variant C asked, of each (cooperative, contract) pair counted by A, whether the buyer
accepted one of its deliveries in the period: ~23,000 look-ups into the deliveries for a
country, each checked against the withdrawn shippings. The tallies hold, per supplier,
contract and year received (statistical and calendar), the lowest accepted delivery and
the latest day received, kept at every flush by ``linkages.indicator.tallies``; this
fills them from the deliveries recorded so far, with the same rule in SQL.

Revision ID: a11c0c0d0e23
Revises: a11c0c0d0e22
Create Date: 2026-12-20 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e23"
down_revision = "a11c0c0d0e22"
branch_labels = None
depends_on = None

ACCEPTANCE = "linkage_acceptance_tallies"


def _year_received(kind: str, postgresql: bool) -> str:
    """The year the day received falls in. A statistical year runs 15 Dec – 14 Dec and
    is named by the year it ends in: the calendar year of the day 17 days later."""
    later = kind == "statistical_year"
    if postgresql:
        day = "d.received_on + 17" if later else "d.received_on"
        return f"CAST(EXTRACT(YEAR FROM {day}) AS INTEGER)"
    shift = ", '+17 days'" if later else ""
    return f"CAST(strftime('%Y', d.received_on{shift}) AS INTEGER)"


def upgrade():
    op.create_table(
        ACCEPTANCE,
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("first_delivery_id", sa.Integer(), nullable=False),
        sa.Column("last_received_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_linkage_acceptance_tallies_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["linkage_contracts.id"],
            name=op.f("fk_linkage_acceptance_tallies_contract_id_linkage_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", "period_kind", "year", "contract_id",
                                name=op.f("pk_linkage_acceptance_tallies")),
    )
    op.create_index("ix_linkage_acceptance_tallies_year", ACCEPTANCE,
                    ["period_kind", "year", "organisation_id", "contract_id"],
                    postgresql_include=["first_delivery_id", "last_received_on"])
    postgresql = op.get_bind().dialect.name == "postgresql"
    for kind in ("statistical_year", "calendar_year"):
        year = _year_received(kind, postgresql)
        op.execute(
            f"INSERT INTO {ACCEPTANCE} (organisation_id, period_kind, year, contract_id, "
            f"first_delivery_id, last_received_on) "
            f"SELECT d.supplier_id, '{kind}', {year}, d.contract_id, MIN(d.id), "
            f"MAX(d.received_on) FROM linkage_deliveries d "
            f"WHERE d.accepted_kg > 0 AND d.received_on IS NOT NULL "
            f"AND d.settled_at IS NOT NULL AND NOT EXISTS ("
            f"SELECT 1 FROM shipments s JOIN epcis_events e ON e.id = s.ship_event_pk "
            f"WHERE s.id = d.shipment_id AND e.retracted_at IS NOT NULL) "
            f"GROUP BY d.supplier_id, {year}, d.contract_id"
        )


def downgrade():
    op.drop_table(ACCEPTANCE)
