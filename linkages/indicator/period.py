"""Periods and the as-of point of an indicator query.

Two dates decide what a figure shows:

- the **reference day** ``on``: the earlier of the period end and the as-of date. The
  registry facts (type, status, registration date, province) and the contract versions and
  parties are taken as they stood on that day: "not dissolved at the period end", "status
  signed/active/completed" are read there;
- the **knowledge cutoff**: the end of the as-of day in Vietnam. Only fact changes,
  contract versions, deliveries and organisations recorded before it are seen, so a
  change recorded later — even one taking effect on an earlier day — never alters what a
  past as-of shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from core.clock import VIETNAM, local_today
from core.errors import ValidationFailed
from core.i18n import _l

MAX_YEARS = 20
# The national cooperative database's year Y runs 15 Dec Y-1 – 14 Dec Y (DOMAIN.md §2).
STAT_YEAR_START = (12, 15)
MIN_YEAR, MAX_YEAR = 1990, 2100


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    kind: str  # "statistical_year" | "calendar_year" | "range"
    year: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "year": self.year, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class AsOf:
    """The as-of date with what it implies for one period (module docstring)."""

    as_of: date
    on: date  # reference day
    cutoff: datetime  # aware, UTC-comparable: records before it are known


def statistical_year(year: int) -> Period:
    """15 Dec ``year``-1 – 14 Dec ``year``."""
    _check_year(year)
    month, day = STAT_YEAR_START
    return Period(date(year - 1, month, day), date(year, month, day - 1), "statistical_year",
                  year)


def calendar_year(year: int) -> Period:
    _check_year(year)
    return Period(date(year, 1, 1), date(year, 12, 31), "calendar_year", year)


def date_range(start: date, end: date) -> Period:
    """Any range of at most ``MAX_YEARS`` years, start ≤ end (422 naming ``to``/``from``)."""
    if end < start:
        raise ValidationFailed(field_errors={"to": [_l("The end is before the start.")]})
    if start.year + MAX_YEARS > date.max.year:
        limit = date.max
    else:
        try:
            limit = start.replace(year=start.year + MAX_YEARS)
        except ValueError:  # 29 February, in a year that has none
            limit = date(start.year + MAX_YEARS, 3, 1)
    if end >= limit:
        raise ValidationFailed(
            field_errors={"to": [_l("At most %(n)d years.", n=MAX_YEARS)]}
        )
    return Period(start, end, "range")


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(
            field_errors={"year": [_l("Between %(low)d and %(high)d.", low=MIN_YEAR,
                                      high=MAX_YEAR)]}
        )


def current_statistical_year(today: date | None = None) -> int:
    """The statistical year ``today`` falls in (15 Dec starts the next one)."""
    today = today or local_today()
    return today.year + 1 if (today.month, today.day) >= STAT_YEAR_START else today.year


def make_period(
    kind: str | None = None,
    year: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Period:
    """The period asked: a range when ``from``/``to`` are given, else the (statistical by
    default) year ``year`` (default: the current statistical year)."""
    if start is not None or end is not None:
        if start is None or end is None:
            missing = "from" if start is None else "to"
            raise ValidationFailed(
                field_errors={missing: [_l("Give both ends of the range.")]}
            )
        return date_range(start, end)
    if kind == "calendar_year":
        return calendar_year(year if year is not None else local_today().year)
    return statistical_year(year if year is not None else current_statistical_year())


def make_as_of(period: Period, as_of: date | None = None) -> AsOf:
    """The as-of point for ``period`` (default today; 422 naming ``as_of`` when in the
    future)."""
    today = local_today()
    day = as_of or today
    if day > today:
        raise ValidationFailed(field_errors={"as_of": [_l("This date is in the future.")]})
    cutoff = datetime.combine(day + timedelta(days=1), time.min, VIETNAM)
    return AsOf(day, min(period.end, day), cutoff)
