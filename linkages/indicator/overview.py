"""The figures beside the linkage indicator (issue 12 §2), in one answer: high-tech HTX,
traceability adoption, OCOP products by stars, the good/fair rating share, and the counts
of HTX, THT, LHHTX and members — each measured against the targets of the year asked and
of 2030.

Who may ask, and what a valid question is, are the linkage indicator's
(``service.build_query``): admins and authorities, a province authority confined to its
province whatever it asks; the period, as-of date and province validated there (422 naming
the parameter). The SQL is in ``population`` (who is there) and ``practice`` (what they
do). Known limit: the cooperative profile (high-tech status) has no history, so every
as-of date reads today's profile.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from core.actor import Actor
from linkages.indicator import population, practice
from linkages.indicator.figures import share
from linkages.indicator.period import Period, current_statistical_year
from linkages.indicator.query import IndicatorQuery
from linkages.indicator.service import build_query
from linkages.indicator.targets import TargetBook
from linkages.models.targets import NATIONAL, TargetMetric

# The strategy's horizon (Decision 340/QĐ-TTg): every measure also shows its target then.
HORIZON_YEAR = 2030

Row = dict[str, Any]


def figures_year(period: Period) -> int:
    """The statistical year whose yearly figures and targets the period is measured by:
    the year asked, else (a date range) the statistical year its end falls in."""
    return period.year if period.year is not None else current_statistical_year(period.end)


def target_scope(q: IndicatorQuery) -> str:
    """Whose targets apply: the actor's own province, else the province asked, else the
    country's (a province's shares fall back on national targets, its counts never:
    ``targets.TargetBook``)."""
    return q.scope_province or q.province or NATIONAL


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 2)


class _Targets:
    """The targets of one scope for the year asked and the horizon
    (``targets.TargetBook``), shaped for the overview."""

    def __init__(self, scope: str, year: int) -> None:
        self.year = year
        self.book = TargetBook(scope, {year, HORIZON_YEAR})

    def _one(self, metric: TargetMetric, year: int, value: float | None) -> Row | None:
        target = self.book.get(metric, year)
        if target is None:
            return None
        return {
            "year": target.year, "scope": target.scope, "value": target.value,
            "unit": target.unit.value, "qualifier": target.qualifier.value,
            "source": target.source, "verified": target.verified,
            # Still missing to reach it, in the target's unit (a count, or percentage
            # points); negative: above it.
            "gap": None if value is None else round(target.value - value, 2),
        }

    def measure(self, metric: TargetMetric, value: float | None, **extra: Any) -> Row:
        """A measured value with its two targets and the gap to each."""
        return {
            "metric": metric.value, "value": value, **extra,
            "target": self._one(metric, self.year, value),
            "target_2030": self._one(metric, HORIZON_YEAR, value),
        }


def overview(
    actor: Actor,
    *,
    period: str | None = None,
    year: int | None = None,
    from_: date | None = None,
    to: date | None = None,
    as_of: date | None = None,
    province: str | None = None,
    include_suspended: bool = False,
) -> Row:
    """Every figure beside the linkage indicator for a period as of a date (401/403 for
    those who may not read figures, 422 naming the parameter at fault). Shape::

        period: {kind, year, start, end}; as_of, reference_day: date
        statistical_year: int   # of the yearly figures and of ``target``
        province, scope_province: str | None; include_suspended: bool
        target_scope: "national" | province code   # whose targets
        high_tech: Measure + {verified, claimed}   # value = verified on official bases
        traceability: {numerator, denominator, share, percent}
        ocop: {products, by_stars: [{stars, products}]}   # 3★–5★ always listed
        rating: Measure + {denominator, rated, unrated, good, fair, good_fair, share}
                # value = percent of the rated HTX rated good or fair
        counts: {htx: Measure, tht: Measure, lhhtx: Measure,
                 members: Measure + {official, associate_capital, associate_no_capital,
                                     reporting}}   # reporting: HTX with yearly figures

    A Measure is ``{metric, value, target, target_2030}``; each target is None or
    ``{year, scope, value, unit, qualifier, source, verified, gap}``, ``gap`` being what
    is still missing (a count, or percentage points; negative when above it). Shares are
    0–1 floats, percents 0–100, both None over an empty denominator.
    """
    q = build_query(actor, period=period, year=year, from_=from_, to=to, as_of=as_of,
                    province=province, include_suspended=include_suspended)
    stat_year = figures_year(q.period)
    targets = _Targets(target_scope(q), stat_year)
    tally = population.tally(q, stat_year)
    traced = practice.traceability(q)
    stars = practice.ocop_by_stars(q)
    rated = practice.ratings(q, stat_year)

    traced_share = share(traced["numerator"], traced["denominator"])
    good_fair = rated["good"] + rated["fair"]
    rating_share = share(good_fair, rated["rated"])
    return {
        "period": q.period.as_dict(),
        "as_of": q.as_of.as_of,
        "reference_day": q.on,
        "statistical_year": stat_year,
        "province": q.province,
        "scope_province": q.scope_province,
        "include_suspended": q.include_suspended,
        "target_scope": target_scope(q),
        "high_tech": targets.measure(
            TargetMetric.HIGH_TECH_HTX, tally["high_tech_verified"],
            verified=tally["high_tech_verified"], claimed=tally["high_tech_claimed"]),
        "traceability": {**traced, "share": traced_share, "percent": _percent(traced_share)},
        "ocop": {
            "products": sum(stars.values()),
            "by_stars": [{"stars": s, "products": n} for s, n in
                         sorted(stars.items(), key=lambda item: (item[0] is None, item[0] or 0))],
        },
        "rating": targets.measure(
            TargetMetric.EFFECTIVE_SHARE, _percent(rating_share),
            denominator=rated["denominator"], rated=rated["rated"],
            unrated=rated["denominator"] - rated["rated"], good=rated["good"],
            fair=rated["fair"], good_fair=good_fair, share=rating_share),
        "counts": {
            "htx": targets.measure(TargetMetric.HTX_COUNT, tally["htx"]),
            "tht": targets.measure(TargetMetric.THT_COUNT, tally["tht"]),
            "lhhtx": targets.measure(TargetMetric.LHHTX_COUNT, tally["lhhtx"]),
            "members": targets.measure(
                TargetMetric.MEMBERS, tally["members"], official=tally["official_members"],
                associate_capital=tally["associate_capital_members"],
                associate_no_capital=tally["associate_no_capital_members"],
                reporting=tally["reporting"]),
        },
    }
