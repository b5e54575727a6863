"""Published figures of the linkage indicator (issue 12 §3): frozen, never edited.

An authority publishes the figures of one period for one scope (the country or a
province). What the indicator computed then is stored, not recomputed: every variant's
version, definition and results (``IndicatorPublicationFigure``) and, for the counting
variants A–E, each cooperative's drill-down row (``IndicatorPublicationMember``: in the
denominator or not, counted or not, the reason, the contract that made it count). A later
change to a contract or to the registry therefore never alters a published number; it shows
as a difference between the publication and today's computation of the same period
(``linkages.indicator.publication_changes``).

One publication per scope and period (``uq_…_scope_period_start_period_end``): a figure is
published once. The volume-weighted variant keeps its figures only (its drill-down is by
batch, not by cooperative).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UtcDateTime, db, str_enum, utcnow
from linkages.models.targets import NATIONAL

__all__ = ["NATIONAL", "IndicatorPublication", "IndicatorPublicationFigure",
           "IndicatorPublicationMember", "PeriodKind"]


class PeriodKind(StrEnum):
    STATISTICAL_YEAR = "statistical_year"
    CALENDAR_YEAR = "calendar_year"
    RANGE = "range"


class IndicatorPublication(db.Model):
    """The figures of one period and scope as published: the parameters they were computed
    with (period, as-of date and knowledge cutoff, suspended cooperatives or not, the
    denominator's version), who published them and when."""

    __tablename__ = "indicator_publications"
    __table_args__ = (
        UniqueConstraint("scope", "period_start", "period_end"),
        CheckConstraint("scope = 'national' OR length(scope) = 2", name="scope_code"),
        CheckConstraint("period_start <= period_end", name="period_order"),
        Index("ix_indicator_publications_year", "year", "scope"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "national", or the code of one of the 34 current provinces.
    scope: Mapped[str] = mapped_column(String(8))
    period_kind: Mapped[PeriodKind] = mapped_column(str_enum(PeriodKind, "publication_period"))
    year: Mapped[int | None] = mapped_column(SmallInteger)  # None for a range
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    # The as-of point the figures were computed at (``linkages.indicator.period``).
    as_of: Mapped[date] = mapped_column(Date)
    reference_day: Mapped[date] = mapped_column(Date)
    knowledge_cutoff: Mapped[datetime] = mapped_column(UtcDateTime())
    include_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    denominator_version: Mapped[str] = mapped_column(String(16))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(Text, default="")

    figures: Mapped[list[IndicatorPublicationFigure]] = relationship(
        back_populates="publication", cascade="all, delete-orphan", lazy="selectin",
        order_by="IndicatorPublicationFigure.position",
    )


class IndicatorPublicationFigure(db.Model):
    """One variant's figure in a publication: its version and its definition's text as
    they were (both languages), the total and the groups by province."""

    __tablename__ = "indicator_publication_figures"

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("indicator_publications.id", ondelete="CASCADE"), primary_key=True
    )
    # A variant code (``linkages.indicator.definitions.VariantCode``): text, so that a
    # variant added later needs no migration of what was published before it.
    variant: Mapped[str] = mapped_column(String(4), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)  # order shown
    variant_version: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(8))  # htx or kg
    name_vi: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    definition_vi: Mapped[str] = mapped_column(Text)
    definition_en: Mapped[str] = mapped_column(Text)
    # Cooperatives (A–E) or kilograms (volume-weighted).
    numerator: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    denominator: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    share: Mapped[Decimal | None] = mapped_column(Numeric(6, 4))  # 0–1, None over nothing
    cooperatives: Mapped[int | None] = mapped_column(Integer)  # volume: HTX with batches
    # By province: [{key, label, numerator, denominator, share, percent[, cooperatives]}].
    groups: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    publication: Mapped[IndicatorPublication] = relationship(back_populates="figures")


class IndicatorPublicationMember(db.Model):
    """A cooperative of the publication's registry under one counting variant, as the
    drill-down showed it when published. ``province`` is its province on the reference day
    (what a province authority's view of a national publication filters on)."""

    __tablename__ = "indicator_publication_members"
    __table_args__ = (
        Index("ix_indicator_publication_members_province", "publication_id", "variant",
              "province"),
    )

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("indicator_publications.id", ondelete="CASCADE"), primary_key=True
    )
    variant: Mapped[str] = mapped_column(String(4), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True
    )
    province: Mapped[str | None] = mapped_column(String(8))
    in_denominator: Mapped[bool] = mapped_column(Boolean)
    counted: Mapped[bool] = mapped_column(Boolean)
    # The drill-down's reason code (``linkages.indicator.drilldown``); None when counted.
    reason: Mapped[str | None] = mapped_column(String(64))
    contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("linkage_contracts.id", ondelete="RESTRICT")
    )
