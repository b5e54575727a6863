"""Days counted from the day a test runs, not from the day pytest collected it.

A ``parametrize`` list is built at collection. A suite that runs across Vietnam's midnight
(17:00 UTC) would otherwise post as "tomorrow" a day that has meanwhile become today, and a
refusal of a future day would pass. CI saw exactly that. Put ``FromToday(n)`` in the list
and ``resolve`` the case inside the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core.clock import local_today
from linkages.indicator.period import current_statistical_year


@dataclass(frozen=True)
class FromToday:
    days: int
    iso: bool = False  # as the ISO text a form or a JSON body carries

    def value(self) -> date | str:
        day = local_today() + timedelta(days=self.days)
        return day.isoformat() if self.iso else day

    def __repr__(self) -> str:
        return f"today{self.days:+d}"


@dataclass(frozen=True)
class StatisticalYear:
    """The statistical year the test runs in (15 December starts the next), plus ``offset``."""

    offset: int = 0

    def value(self) -> int:
        return current_statistical_year(local_today()) + self.offset

    def __repr__(self) -> str:
        return f"statistical_year{self.offset:+d}"


def resolve(case: Any) -> Any:
    """``case`` with each ``FromToday`` or ``StatisticalYear`` in it, however deep, turned
    into its value now."""
    if isinstance(case, FromToday | StatisticalYear):
        return case.value()
    if isinstance(case, dict):
        return {key: resolve(value) for key, value in case.items()}
    if isinstance(case, list | tuple):
        return type(case)(resolve(value) for value in case)
    return case
