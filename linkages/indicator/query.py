"""What one indicator query asks, resolved and validated once: variant, period, as-of,
geography (the actor's scope included), breakdown, filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core.db import set_local
from linkages.indicator.definitions import Breakdown, Variant
from linkages.indicator.period import AsOf, Period


@dataclass(frozen=True)
class IndicatorQuery:
    variant: Variant
    period: Period
    as_of: AsOf
    breakdown: Breakdown = Breakdown.NONE
    # The province asked for, and the actor's own scope: both apply (an authority of one
    # province sees only it, whatever it asks).
    province: str | None = None
    scope_province: str | None = None
    region_scheme: str | None = None
    region_province_set: str = "2025"
    commodity: str | None = None
    include_suspended: bool = False

    @property
    def on(self) -> date:
        return self.as_of.on

    @property
    def cutoff(self) -> datetime:
        return self.as_of.cutoff

    @property
    def provinces(self) -> tuple[str, ...]:
        """The province filters that apply (each must hold)."""
        return tuple(p for p in (self.province, self.scope_province) if p)


def plan_for_analysis() -> None:
    """Before a transaction runs indicator statements (whoever builds an
    ``IndicatorQuery`` to run calls it), for the rest of it on PostgreSQL:

    - no JIT: the statements' estimated costs (CTEs over millions of rows) pass the JIT
      thresholds, and compiling each plan with LLVM cost more than running it
      (bench/RESULTS.md, 2026-12-07: one province's drill-down 19.7 s with JIT, 2.3 s
      without, before the set-based rewrite);
    - no nested-loop joins: PostgreSQL estimates a cohort at one row (its filters are
      CASE expressions over the registry's facts), and from that estimate it joins tens
      of thousands of (cooperative, contract) pairs to every contract by a nested loop
      (C by province: over two minutes, against under a second with hash joins; the
      volume: over 60 s against 2 s). The look-ups meant to go row by row (C's accepted
      delivery of a pair) are correlated subqueries, which this does not touch.

    Nothing on SQLite."""
    set_local(jit="off", enable_nestloop="off")

