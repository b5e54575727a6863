"""What the authority dashboard shows, put together from the indicator service's answers:
the chosen variant's figure broken down, every variant's total side by side, the trend,
the region and commodity figures, the linked-share targets the figures are measured
against, and the figures published for the period and scope shown (what changed since, or
whether the reader may publish them); and the drill-down's page of cooperatives.

Nothing is counted here: every number is ``linkages.indicator.service``'s, which checks who
asks (403), scopes a province authority to its province whatever it asks, and names the
parameter it refuses (422). This module only decides which questions a page asks and
which target applies (the province's own when it has one for the year, else the
national one).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import get_locale
from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from app.auth.services import display_names
from app.web.indicator_filters import Filters
from core.actor import Actor
from core.clock import local_today
from core.db import db
from core.paging import PageNumbers, rows_and_total
from linkages.indicator import overview, publication_changes, publications, service, targets
from linkages.indicator.period import current_statistical_year
from linkages.indicator.query import IndicatorQuery
from linkages.models.places import RegionScheme
from linkages.models.publications import IndicatorPublication, PeriodKind
from linkages.models.targets import NATIONAL, IndicatorTarget, TargetMetric
from linkages.services.places import region_schemes_query
from linkages.services.registry import provinces_in_scope

HORIZON_YEAR = 2030  # the strategy's horizon (Decision 340/QĐ-TTg): always shown
DRILL_PER_PAGE = 25
DRILL_CHUNK = 500  # rows fetched at a time for a drill-down file


@dataclass(frozen=True)
class SchemeChoice:
    code: str
    name: str
    provisional: bool
    regions: dict[str, str]  # region code -> name, in the reader's language


@dataclass(frozen=True)
class Places:
    """The provinces the actor may filter on and the region schemes, with names."""

    provinces: list[tuple[str, str]]
    schemes: list[SchemeChoice]

    @property
    def province_names(self) -> dict[str, str]:
        return dict(self.provinces)

    @property
    def default_scheme(self) -> str | None:
        """The official scheme (not provisional) first."""
        return self.schemes[0].code if self.schemes else None

    def scheme(self, code: str | None) -> SchemeChoice | None:
        return next((s for s in self.schemes if s.code == code), None)


def places(actor: Actor) -> Places:
    """The provinces in the actor's scope (its own only when scoped) and every region
    scheme with its regions."""
    english = str(get_locale() or "") == "en"
    schemes = db.session.scalars(
        region_schemes_query().options(selectinload(RegionScheme.regions))
    ).all()
    choices = [
        SchemeChoice(
            s.code, (s.name_en if english and s.name_en else s.name), s.provisional,
            {r.code: (r.name_en if english and r.name_en else r.name) for r in s.regions},
        )
        for s in sorted(schemes, key=lambda s: (s.provisional, s.code))
    ]
    return Places([(code, name) for code, name in provinces_in_scope(actor)], choices)


@dataclass(frozen=True)
class TargetView:
    """A linked-share target and the chosen figure's gap to it (percentage points still
    missing; negative: above it)."""

    year: int
    value: float
    qualifier: str
    scope: str
    source: str
    verified: bool
    gap: float | None


@dataclass(frozen=True)
class Dashboard:
    query: IndicatorQuery
    figure: dict[str, Any]  # the chosen variant, broken down as asked
    variants: list[dict[str, Any]]  # every variant's total, in the order A…E, V
    trend: dict[str, Any]
    region: dict[str, Any] | None
    commodity: dict[str, Any] | None  # None for the volume-weighted variant
    target_year: int
    target: TargetView | None
    horizon: TargetView | None
    overview: dict[str, Any]  # linkages.indicator.overview.overview: the other figures
    published: PublishedView | None = None  # the period's published figures, if any


def _target_year(q: IndicatorQuery) -> int:
    return q.period.year if q.period.year is not None else q.period.end.year


def _linked_share_target(year: int, province: str | None) -> IndicatorTarget | None:
    """The linked-share target ``year``'s figure is read against (``TargetBook``: the
    province's own, else the national one)."""
    return targets.TargetBook(province or NATIONAL, {year}).get(TargetMetric.LINKED_SHARE, year)


def _view(target: IndicatorTarget | None, percent: float | None) -> TargetView | None:
    if target is None:
        return None
    gap = None if percent is None else round(target.value - percent, 2)
    return TargetView(target.year, target.value, target.qualifier.value, target.scope,
                      target.source, target.verified, gap)


def dashboard(actor: Actor, filters: Filters) -> Dashboard:
    """Every figure of the dashboard for ``filters`` (``ValidationFailed`` naming the first
    parameter the service refuses)."""
    params = filters.service_params()
    q = service.build_query(actor, **params)
    year = _target_year(q)
    province = q.scope_province or q.province
    book = targets.TargetBook(province or NATIONAL, {year, HORIZON_YEAR})
    target = book.get(TargetMetric.LINKED_SHARE, year)
    horizon = book.get(TargetMetric.LINKED_SHARE, HORIZON_YEAR) if year != HORIZON_YEAR else None
    value = None if target is None else target.value
    figure = service.figure(actor, target=value, **params)
    # The chosen variant's total is the figure's own (a breakdown's groups leave it as it
    # is): the trend's point of the same year does not ask again, nor, for the
    # volume-weighted variant, the variants' table (the others come from one statement).
    own_total = {**figure, "breakdown": "none", "groups": []}
    variants = service.variant_totals(actor, target=value,
                                      known={q.variant.code.value: own_total},
                                      **filters.service_params())
    trend_params = _trend_params(filters, q)
    same_year = (q.period.year == trend_params["year"]
                 and q.period.kind == trend_params["period"])
    trend = service.trend(actor, **trend_params, target=value,
                          known={q.period.year: figure["total"]} if same_year else None)
    # The region and commodity figures break down the same question: their total is the
    # figure's (a region scheme and a contract's commodities need not split it, so it
    # would otherwise be asked again, once for each).
    region = figure if filters.breakdown == "region" else service.figure(
        actor, target=value, known_total=figure["total"],
        **filters.service_params(breakdown="region"))
    commodity = None
    if not q.variant.volume:
        commodity = figure if filters.breakdown == "commodity" else service.figure(
            actor, target=value, known_total=figure["total"],
            **filters.service_params(breakdown="commodity"))
    percent = figure["total"]["percent"]
    return Dashboard(q, figure, variants, trend, region, commodity, year,
                     _view(target, percent), _view(horizon, percent),
                     overview_of(actor, filters), published(actor, q))


# --------------------------------------------------------------------------- published


@dataclass(frozen=True)
class PublishedView:
    """The figures published for the period and scope a page shows
    (``linkages.indicator.publications``): the publication, who published it (a display
    name) and, for the chosen variant, ``publication_changes.compare``'s entry (published
    beside today, the difference and the cooperatives that entered or left); else whether
    the period has ended and whether the reader may publish that scope."""

    scope: str  # "national" or a province code
    period_ended: bool
    may_publish: bool
    publication: dict[str, Any] | None = None  # publications.publication_dict
    published_by: str | None = None
    comparison: dict[str, Any] | None = None  # compare()'s entry of the chosen variant
    today_as_of: date | None = None  # the day today's computation is as of

    @property
    def offer(self) -> bool:
        """Offer the "publish" form: unpublished, ended, and the reader's to publish."""
        return self.publication is None and self.period_ended and self.may_publish


def publication_scope(q: IndicatorQuery) -> str:
    """The scope whose publication matches the figures of ``q``: the province an
    authority is confined to, else the province asked, else the whole country."""
    return q.scope_province or q.province or NATIONAL


def publish_params(q: IndicatorQuery) -> dict[str, Any]:
    """``publications.publish``'s keyword arguments for the period and scope of ``q``
    (the year the page resolved, or its range), without the note."""
    scope = publication_scope(q)
    params: dict[str, Any] = {
        "province": None if scope == NATIONAL else scope,
        "include_suspended": q.include_suspended,
    }
    if q.period.kind == PeriodKind.RANGE:
        params.update(from_=q.period.start, to=q.period.end)
    else:
        params.update(period=q.period.kind, year=q.period.year)
    return params


def _publication_of(actor: Actor, q: IndicatorQuery, scope: str) -> dict[str, Any] | None:
    """The publication of the period of ``q`` for ``scope`` (a year's by
    ``latest_for``; a range's by its two ends, whatever the kind it was published as: one
    publication per scope and pair of ends), as ``publication_dict``."""
    if q.period.kind != PeriodKind.RANGE:
        return publications.latest_for(actor, year=q.period.year, scope=scope,
                                       period=q.period.kind)
    p = IndicatorPublication
    found = db.session.scalar(
        publications.list_publications(actor, scope=scope)
        .where(p.period_start == q.period.start, p.period_end == q.period.end).limit(1))
    return None if found is None else publications.publication_dict(found)


def published(actor: Actor, q: IndicatorQuery) -> PublishedView:
    """What the dashboard says about the published figures of the period and scope of
    ``q``: the chosen variant published beside today's computation, or whether it may be
    published (the service decides when asked)."""
    scope = publication_scope(q)
    ended = q.period.end < local_today()
    found = _publication_of(actor, q, scope)
    if found is None:
        return PublishedView(scope, ended, publications.may_publish(actor, scope))
    compared = publication_changes.compare(actor, found["id"], q.variant.code.value)
    chosen = next((v for v in compared["variants"]
                   if v["variant"]["code"] == q.variant.code.value), None)
    by = found["published_by_id"]
    return PublishedView(
        scope, ended, publications.may_publish(actor, scope), found,
        display_names([by]).get(by) if by is not None else None, chosen,
        compared["as_of"],
    )


OVERVIEW_PARAMS = ("period", "year", "from_", "to", "as_of", "province", "include_suspended")


def overview_of(actor: Actor, filters: Filters) -> dict[str, Any]:
    """The figures beside the indicator for the same period, date and scope (they have no
    variant, breakdown or commodity)."""
    params = filters.service_params()
    return overview.overview(actor, **{k: v for k, v in params.items() if k in OVERVIEW_PARAMS})


def _trend_params(filters: Filters, q: IndicatorQuery) -> dict[str, Any]:
    """The trend's question: ``filters.years`` years of the period's kind ending with the
    period's year (a date range: the statistical years up to the one of its end)."""
    params = filters.service_params()
    for name in ("from_", "to", "year", "period", "breakdown"):
        params.pop(name, None)
    if q.period.kind == "calendar_year":
        params["period"] = "calendar_year"
        last = q.period.year
    else:
        params["period"] = "statistical_year"
        last = q.period.year or current_statistical_year(q.period.end)
    return {**params, "years": filters.years, "year": last}


def trend(actor: Actor, filters: Filters) -> dict[str, Any]:
    """The trend alone (its download), as the dashboard asks it, with the target."""
    q = service.build_query(actor, **filters.service_params())
    target = _linked_share_target(_target_year(q), q.scope_province or q.province)
    return service.trend(actor, **_trend_params(filters, q),
                         target=None if target is None else target.value)


def figure(actor: Actor, filters: Filters, **overrides: Any) -> dict[str, Any]:
    """One figure (a download of the breakdown table), with the target's gaps."""
    params = filters.service_params(**overrides)
    q = service.build_query(actor, **params)
    target = _linked_share_target(_target_year(q), q.scope_province or q.province)
    return service.figure(actor, target=None if target is None else target.value, **params)


def variant_totals(actor: Actor, filters: Filters) -> list[dict[str, Any]]:
    """Every variant's total (a download of the side-by-side table)."""
    q = service.build_query(actor, **filters.service_params(breakdown="none"))
    target = _linked_share_target(_target_year(q), q.scope_province or q.province)
    value = None if target is None else target.value
    return service.variant_totals(actor, target=value, **filters.service_params())


# --------------------------------------------------------------------------- drill-down


@dataclass(frozen=True)
class RowPage(PageNumbers):
    """One page of drill-down rows, shaped for ``_pager.html``."""

    items: Sequence[dict[str, Any]]
    page: int
    per_page: int
    total: int


def _drill(actor: Actor, filters: Filters) -> tuple[IndicatorQuery, Select[Any]]:
    return service.drill(actor, which=filters.which, group=filters.group,
                         **filters.service_params())


def drill_page(actor: Actor, filters: Filters, page: int
               ) -> tuple[IndicatorQuery, RowPage]:
    """The ``page``-th page of the drill-down (a page past the last is empty, and never
    asked of the database)."""
    q, stmt = _drill(actor, filters)
    rows, total = rows_and_total(stmt, (page - 1) * DRILL_PER_PAGE, DRILL_PER_PAGE)
    return q, RowPage([service.drill_row(r) for r in rows], page, DRILL_PER_PAGE, total)


def drill_rows(actor: Actor, filters: Filters) -> tuple[IndicatorQuery, Iterator[dict[str, Any]]]:
    """Every drill-down row, fetched ``DRILL_CHUNK`` at a time as they are read. The
    question is checked now (403, 422), before any row is read."""
    q, stmt = _drill(actor, filters)

    def rows() -> Iterator[dict[str, Any]]:
        result = db.session.execute(stmt.execution_options(yield_per=DRILL_CHUNK))
        for row in result:
            yield service.drill_row(row)

    return q, rows()


__all__ = [
    "DRILL_PER_PAGE",
    "HORIZON_YEAR",
    "Dashboard",
    "Places",
    "PublishedView",
    "RowPage",
    "TargetView",
    "dashboard",
    "drill_page",
    "drill_rows",
    "figure",
    "places",
    "publication_scope",
    "publish_params",
    "published",
    "trend",
    "variant_totals",
]
