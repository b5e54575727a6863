"""Targets the indicator figures are measured against (issue 12 §2): data, not code.

A target is one value of one metric for one year and one scope (the whole country or one
province), with the document it comes from and whether anyone has checked it against that
document (DOMAIN.md §4: the 2025 targets are "to verify"). Shares are percents (0–100),
counts are whole numbers. Authorities edit them (``linkages.indicator.targets``).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Timestamped, db, str_enum

NATIONAL = "national"  # the scope of a country-wide target; else a province code


class TargetMetric(StrEnum):
    """What a target measures."""

    LINKED_SHARE = "linked_share"  # % of agricultural HTX linked along value chains
    HIGH_TECH_HTX = "high_tech_htx"  # HTX applying high technology (verified bases)
    HTX_COUNT = "htx_count"
    THT_COUNT = "tht_count"
    LHHTX_COUNT = "lhhtx_count"
    MEMBERS = "members"  # members of HTX
    EFFECTIVE_SHARE = "effective_share"  # % of HTX operating effectively (rated good/fair)


class TargetUnit(StrEnum):
    SHARE = "share"  # a percent, 0–100
    COUNT = "count"  # a whole number


class TargetQualifier(StrEnum):
    """How the source states the value: "about 50 %", "more than 3,000", or as is."""

    EXACT = "exact"
    ABOUT = "about"
    MORE_THAN = "more_than"


# Each metric has one unit.
METRIC_UNITS: dict[TargetMetric, TargetUnit] = {
    TargetMetric.LINKED_SHARE: TargetUnit.SHARE,
    TargetMetric.EFFECTIVE_SHARE: TargetUnit.SHARE,
    TargetMetric.HIGH_TECH_HTX: TargetUnit.COUNT,
    TargetMetric.HTX_COUNT: TargetUnit.COUNT,
    TargetMetric.THT_COUNT: TargetUnit.COUNT,
    TargetMetric.LHHTX_COUNT: TargetUnit.COUNT,
    TargetMetric.MEMBERS: TargetUnit.COUNT,
}


class IndicatorTarget(Timestamped, db.Model):
    """One target: ``metric`` reaches ``value`` (in ``unit``) in ``year`` within ``scope``."""

    __tablename__ = "indicator_targets"
    __table_args__ = (
        UniqueConstraint("metric", "scope", "year"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("unit <> 'share' OR value <= 100", name="share_at_most_100"),
        CheckConstraint("scope = 'national' OR length(scope) = 2", name="scope_code"),
        Index("ix_indicator_targets_scope_year", "scope", "year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[TargetMetric] = mapped_column(str_enum(TargetMetric, "target_metric"))
    # "national", or the code of one of the 34 current provinces.
    scope: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(SmallInteger)
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[TargetUnit] = mapped_column(str_enum(TargetUnit, "target_unit"))
    qualifier: Mapped[TargetQualifier] = mapped_column(
        str_enum(TargetQualifier, "target_qualifier"), default=TargetQualifier.EXACT
    )
    source: Mapped[str] = mapped_column(String(255))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    # Who last recorded or changed it (when: ``updated_at``); None for the seeded ones.
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
