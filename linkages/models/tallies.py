"""Tallies kept at write time for the volume-weighted linkage indicator and variant C
(DOMAIN.md §4).

The volume-weighted variant weighs each cooperative by the kilograms of its lots harvested
in the period, and of those the kilograms it shipped under contracts that count. Read from
the lots and deliveries themselves, a country's figure reads ~200,000 lots and ~370,000
deliveries (bench/RESULTS.md); these tallies hold the same sums per cooperative and year,
so a figure asked as of today reads one row per cooperative and one per (cooperative,
contract). Variant C asks of each (cooperative, contract) pair whether the buyer accepted
one of its deliveries in the period: ~23,000 look-ups into the deliveries for a country,
each checked against the withdrawn shippings; the acceptance tallies hold the answer per
pair and year. ``linkages.indicator.tallies`` keeps them all and says when they answer.

Each row is for one kind of year: the statistical year (15 Dec – 14 Dec, the default
period) or the calendar year, named by the year it ends in.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db


class _OfYear:
    """The key of a tally row: a cooperative, a kind of year, the year."""

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)


class _OfContractYear(_OfYear):
    """The key of a tally row of one contract: and the contract."""

    contract_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_contracts.id", ondelete="CASCADE"), primary_key=True)


class LinkageHarvestTally(_OfYear, db.Model):
    """A cooperative's lots harvested in one year, not void: their count and kilograms."""

    __tablename__ = "linkage_harvest_tallies"
    __table_args__ = (
        # A figure reads one year's rows (of every cooperative), from the index alone on
        # PostgreSQL.
        Index("ix_linkage_harvest_tallies_year", "period_kind", "year", "organisation_id",
              postgresql_include=["lots", "harvested_kg"]),
    )

    lots: Mapped[int] = mapped_column(Integer)
    harvested_kg: Mapped[Decimal] = mapped_column(Numeric(18, 4))


class LinkageDeliveryTally(_OfContractYear, db.Model):
    """The kilograms a cooperative shipped under one contract from its lots harvested in
    one year (not void, the shipping not withdrawn), shipped by the end of that year; and
    the latest day any of them was shipped, which tells whether a figure whose reference
    day comes before the year's end may read the row (``linkages.indicator.tallies``)."""

    __tablename__ = "linkage_delivery_tallies"
    __table_args__ = (
        # A figure reads one year's rows, from the index alone on PostgreSQL.
        Index("ix_linkage_delivery_tallies_year", "period_kind", "year", "organisation_id",
              "contract_id", postgresql_include=["shipped_kg", "last_shipped_on"]),
    )

    shipped_kg: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    last_shipped_on: Mapped[date] = mapped_column(Date)


class LinkageAcceptanceTally(_OfContractYear, db.Model):
    """A cooperative's deliveries under one contract accepted (above 0 kg) by the buyer
    and received in one year, settled, their shipping not withdrawn: the lowest such
    delivery (variant C's "an accepted delivery in the period" and the drill-down's
    delivery) and the latest day any of them was received, which tells whether a figure
    whose reference day comes before the year's end may read the row
    (``linkages.indicator.tallies``)."""

    __tablename__ = "linkage_acceptance_tallies"
    __table_args__ = (
        # A figure reads one year's rows, from the index alone on PostgreSQL.
        Index("ix_linkage_acceptance_tallies_year", "period_kind", "year", "organisation_id",
              "contract_id", postgresql_include=["first_delivery_id", "last_received_on"]),
    )

    first_delivery_id: Mapped[int] = mapped_column(Integer)
    last_received_on: Mapped[date] = mapped_column(Date)
