"""The indicator pages' filters as the query string carries them (one GET form).

``parse_filters(args)`` reads them once: what cannot even be read (a year that is not a
number, a date that is not a date, text holding NUL) is named by field for a 400; the
rest is passed as typed to the indicator service, which names what it refuses (an unknown
variant, province, region scheme or commodity, a reversed or too long range, an as-of
date in the future: 422). ``Filters.query_args()`` writes them back for links and
downloads, so every link and file keeps exactly the filters of the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from core.boundary import NUL, ascii_int, calendar_message, in_calendar, nul_message
from core.i18n import _

PERIOD_KINDS = ("statistical_year", "calendar_year", "range")
BREAKDOWNS = ("province", "region", "commodity", "form", "leader_type", "size_class")
VARIANT_CODES = ("A", "B", "C", "D", "E", "V")
WHICH = ("numerator", "denominator", "not_counted", "excluded", "all")
DEFAULT_TREND_YEARS = 3
TEXT_MAX = 60  # longer than any code: shown back cut, still refused by the service
TRUE_WORDS = frozenset({"1", "on", "true", "yes", "y"})

FieldErrors = dict[str, list[str]]


@dataclass(frozen=True)
class Filters:
    """The filters of one request, each as the service takes it (None: its default)."""

    variant: str = "A"
    period: str = "statistical_year"
    year: int | None = None
    from_: date | None = None
    to: date | None = None
    as_of: date | None = None
    breakdown: str = "province"
    region_scheme: str | None = None
    province: str | None = None
    commodity: str | None = None
    include_suspended: bool = False
    years: int = DEFAULT_TREND_YEARS
    # Drill-down only.
    which: str = "numerator"
    group: str | None = None
    # What was typed, to show back in the form (a refused value stays visible).
    typed: Mapping[str, str] = field(default_factory=dict)

    def service_params(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments of ``service.build_query`` / ``figure`` / ``drill``."""
        params: dict[str, Any] = {
            "variant": self.variant,
            "breakdown": self.breakdown,
            "include_suspended": self.include_suspended,
            "region_scheme": self.region_scheme,
            "province": self.province,
            "commodity": self.commodity,
            "as_of": self.as_of,
        }
        if self.period == "range":
            params.update(from_=self.from_, to=self.to)
        else:
            params.update(period=self.period, year=self.year)
        params.update(overrides)
        return params

    def query_args(self, **overrides: Any) -> dict[str, str]:
        """The filters as query-string arguments (defaults left out), for ``url_for``."""
        chosen = replace(self, **overrides) if overrides else self
        out: dict[str, str] = {"variant": chosen.variant, "breakdown": chosen.breakdown}
        if chosen.period != "statistical_year":
            out["period"] = chosen.period
        if chosen.period == "range":
            if chosen.from_:
                out["from"] = chosen.from_.isoformat()
            if chosen.to:
                out["to"] = chosen.to.isoformat()
        elif chosen.year is not None:
            out["year"] = str(chosen.year)
        if chosen.as_of:
            out["as_of"] = chosen.as_of.isoformat()
        for name in ("region_scheme", "province", "commodity"):
            value = getattr(chosen, name)
            if value:
                out[name] = value
        if chosen.include_suspended:
            out["include_suspended"] = "1"
        if chosen.years != DEFAULT_TREND_YEARS:
            out["years"] = str(chosen.years)
        return out

    def drill_args(self, which: str, group: str | None = None, **overrides: Any
                   ) -> dict[str, str]:
        """The drill-down's query arguments: these filters, ``which`` and ``group``."""
        out = self.query_args(**overrides)
        out["which"] = which
        if group is not None:
            out["group"] = group
        return out


def _text(args: Mapping[str, str], name: str, errors: FieldErrors) -> str | None:
    raw = (args.get(name) or "").strip()
    if NUL in raw:
        errors.setdefault(name, []).append(nul_message())
        return None
    return raw or None


def _day(args: Mapping[str, str], name: str, errors: FieldErrors) -> date | None:
    raw = _text(args, name, errors)
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.setdefault(name, []).append(_("Enter a date, e.g. 2026-03-01."))
        return None
    if not in_calendar(day):
        errors.setdefault(name, []).append(calendar_message())
        return None
    return day


def _whole(args: Mapping[str, str], name: str, errors: FieldErrors) -> int | None:
    raw = _text(args, name, errors)
    if raw is None:
        return None
    number = ascii_int(raw)
    if number is None or len(raw) > 6:
        errors.setdefault(name, []).append(_("Enter a number."))
        return None
    return number


def parse_filters(args: Mapping[str, str], *, default_scheme: str | None = None
                  ) -> tuple[Filters, FieldErrors]:
    """The filters of ``args`` and the fields that could not be read (empty when all
    could). Empty fields take the service's defaults; the region scheme defaults to
    ``default_scheme`` (the region chart always has one)."""
    errors: FieldErrors = {}
    typed = {name: str(value)[:TEXT_MAX] for name, value in args.items()
             if isinstance(value, str) and NUL not in value}
    # A link naming only a range's ends (as the API takes them) asks for that range.
    ranged = bool((args.get("from") or "").strip() or (args.get("to") or "").strip())
    period = _text(args, "period", errors) or ("range" if ranged else "statistical_year")
    if period not in PERIOD_KINDS:
        errors.setdefault("period", []).append(_("Not one of the allowed values."))
        period = "statistical_year"
    years = _whole(args, "years", errors)
    filters = Filters(
        variant=_text(args, "variant", errors) or "A",
        period=period,
        year=_whole(args, "year", errors),
        from_=_day(args, "from", errors),
        to=_day(args, "to", errors),
        as_of=_day(args, "as_of", errors),
        breakdown=_text(args, "breakdown", errors) or "province",
        region_scheme=_text(args, "region_scheme", errors) or default_scheme,
        province=_text(args, "province", errors),
        commodity=_text(args, "commodity", errors),
        include_suspended=(args.get("include_suspended") or "").strip().lower() in TRUE_WORDS,
        years=DEFAULT_TREND_YEARS if years is None else years,
        which=_text(args, "which", errors) or "numerator",
        group=_text(args, "group", errors),
        typed=typed,
    )
    if period == "range":
        # Say which end is missing here: the service would read a half range as a year.
        for name, value in (("from", filters.from_), ("to", filters.to)):
            if value is None and name not in errors:
                errors[name] = [_("Give both ends of the range.")]
    return filters, errors


__all__ = ["BREAKDOWNS", "PERIOD_KINDS", "VARIANT_CODES", "WHICH", "Filters",
           "parse_filters"]
