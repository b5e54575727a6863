"""The indicator's service functions: who may ask, what a valid question is, and the
answers (figures, trend, drill-down, definitions).

Who may ask (README, "Permissions"):

- platform admins: everything;
- authorities: every figure and drill-down, restricted to their province when they are
  scoped to one, whatever province they ask for (``IndicatorQuery.scope_province``);
- organisations' users and anonymous callers: the variant definitions only (401 without a
  token, 403 with one). Published figures, open to them, come with the publication
  feature; until then no figure is shown that no one has decided to publish.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, select

from core.actor import Actor, require_authenticated
from core.db import db
from core.errors import Forbidden, ValidationFailed
from core.i18n import _l
from linkages.indicator import figures
from linkages.indicator.definitions import (
    CONTRACT_BREAKDOWNS,
    DENOMINATOR_DEFINITION,
    DENOMINATOR_VERSION,
    VARIANTS,
    Breakdown,
    VariantCode,
)
from linkages.indicator.drilldown import FILTERS, drilldown, reason_text
from linkages.indicator.period import current_statistical_year, make_as_of, make_period
from linkages.indicator.query import IndicatorQuery, plan_for_analysis
from linkages.models.places import Province, Region, RegionScheme
from traceability.models import Commodity

MAX_TREND_YEARS = 20


def definitions() -> dict[str, Any]:
    """Every variant's code, version, name and definition (request language), and the
    denominator's. Public."""
    return {
        "denominator": {"version": DENOMINATOR_VERSION,
                        "definition": str(DENOMINATOR_DEFINITION)},
        "variants": [v.as_dict() for v in VARIANTS.values()],
    }


def require_reader(actor: Actor) -> str | None:
    """Refuse all but admins and authorities (401 / 403); the province the actor is
    confined to (None: the whole country)."""
    require_authenticated(actor)
    if actor.is_admin:
        return None
    if actor.is_authority:
        return actor.province_code
    raise Forbidden(_l("Indicator figures are for authorities."))


def _one_of(value: str, allowed: Any, field: str) -> str:
    if value not in {getattr(a, "value", a) for a in allowed}:
        raise ValidationFailed(field_errors={field: [_l("Not one of the allowed values.")]})
    return value


def build_query(
    actor: Actor,
    *,
    variant: str = "A",
    period: str | None = None,
    year: int | None = None,
    from_: date | None = None,
    to: date | None = None,
    as_of: date | None = None,
    breakdown: str = "none",
    province: str | None = None,
    region_scheme: str | None = None,
    commodity: str | None = None,
    include_suspended: bool = False,
) -> IndicatorQuery:
    """A validated ``IndicatorQuery`` (422 naming the parameter at fault), scoped to the
    actor's province (403 for those who may not read figures)."""
    scope = require_reader(actor)
    code = VariantCode(_one_of(variant, VariantCode, "variant"))
    kind = Breakdown(_one_of(breakdown, Breakdown, "breakdown"))
    chosen = VARIANTS[code]
    if chosen.volume and kind in CONTRACT_BREAKDOWNS:
        raise ValidationFailed(field_errors={"breakdown": [
            _l("The volume-weighted variant breaks down by province, region or size class.")
        ]})
    if province is not None and db.session.get(Province, province) is None:
        raise ValidationFailed(field_errors={"province": [_l("No province with this code.")]})
    province_set = "2025"
    if region_scheme is not None:
        scheme = db.session.get(RegionScheme, region_scheme)
        if scheme is None:
            raise ValidationFailed(
                field_errors={"region_scheme": [_l("No region scheme with this code.")]})
        province_set = scheme.province_set
    elif kind == Breakdown.REGION:
        raise ValidationFailed(
            field_errors={"region_scheme": [_l("Required for the region breakdown.")]})
    if commodity is not None:
        _one_of(commodity, Commodity, "commodity")
    the_period = make_period(period, year, from_, to)
    plan_for_analysis()
    return IndicatorQuery(
        variant=chosen, period=the_period, as_of=make_as_of(the_period, as_of),
        breakdown=kind, province=province, scope_province=scope,
        region_scheme=region_scheme, region_province_set=province_set,
        commodity=commodity, include_suspended=include_suspended,
    )


def _labels(q: IndicatorQuery) -> dict[str | None, str]:
    """Display names of the group keys that have one (provinces, regions)."""
    if q.breakdown == Breakdown.PROVINCE:
        rows = db.session.execute(select(Province.code, Province.name))
        return {code: name for code, name in rows}
    if q.breakdown == Breakdown.REGION and q.region_scheme:
        rows = db.session.execute(
            select(Region.code, Region.name).where(Region.scheme_code == q.region_scheme))
        return {code: name for code, name in rows}
    return {}


def figure(actor: Actor, *, target: float | None = None,
           known_total: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
    """One figure: ``figures.compute`` of the validated query. ``known_total``: the total
    the caller already has for the same parameters with another breakdown (a figure's
    ``total``), used as it is rather than computed again."""
    q = build_query(actor, **params)
    return figures.compute(q, target, _labels(q), known_total)


def variant_totals(
    actor: Actor, *, target: float | None = None,
    known: Mapping[str, dict[str, Any]] | None = None, **params: Any,
) -> list[dict[str, Any]]:
    """Every variant's total for ``params`` (their own variant and breakdown aside), in
    the order A…E, V, each as ``figure`` gives it with no breakdown: the five that count
    cooperatives from one statement (``figures.counting_totals``), the volume-weighted on
    its own unless ``known`` (figures the caller already has, by code) holds it."""
    params = {**params, "variant": VariantCode.A.value, "breakdown": "none"}
    counting = figures.counting_totals(build_query(actor, **params), target)
    volume = (known or {}).get(VariantCode.VOLUME.value)
    if volume is None:
        volume = figure(actor, target=target, **{**params, "variant": VariantCode.VOLUME.value})
    return [*counting.values(), volume]


def trend(
    actor: Actor, *, years: int = 3, year: int | None = None, target: float | None = None,
    known: Mapping[int, dict[str, Any]] | None = None, **params: Any,
) -> dict[str, Any]:
    """The same variant over ``years`` consecutive years ending with ``year`` (statistical
    by default, calendar with ``period=calendar_year``), each as of the same date: one
    total per year (no breakdown). ``known``: totals the caller has already computed for
    some of those years with the same parameters (``figure``'s ``total``), used as they
    are rather than computed again."""
    if not 1 <= years <= MAX_TREND_YEARS:
        raise ValidationFailed(
            field_errors={"years": [_l("Between 1 and %(n)d.", n=MAX_TREND_YEARS)]})
    for name in ("from_", "to"):
        params.pop(name, None)
    params["breakdown"] = "none"
    last = year if year is not None else current_statistical_year()
    points = []
    for y in range(last - years + 1, last + 1):
        q = build_query(actor, year=y, **params)
        total = (known or {}).get(y)
        if total is None:
            total = figures.compute(q, target)["total"]
        points.append({"year": y, "period": q.period.as_dict(), "reference_day": q.on,
                       **total})
    first = build_query(actor, year=last, **params)
    return {"variant": first.variant.as_dict(), "as_of": first.as_of.as_of,
            "province": first.province, "scope_province": first.scope_province,
            "include_suspended": first.include_suspended, "target": target,
            "points": points}


def drill(
    actor: Actor, *, which: str = "denominator", group: str | None = None, **params: Any
) -> tuple[IndicatorQuery, Select[Any]]:
    """The validated query and the select of its drill-down rows (``drilldown``); ``group``
    must name a group of a province, region or size-class breakdown."""
    q = build_query(actor, **params)
    _one_of(which, FILTERS, "which")
    if group is not None and q.breakdown not in (
        Breakdown.PROVINCE, Breakdown.REGION, Breakdown.SIZE_CLASS
    ):
        raise ValidationFailed(field_errors={"group": [
            _l("Give a province, region or size class breakdown to open one group.")]})
    if group is not None and q.breakdown == Breakdown.PROVINCE and not db.session.scalar(
        select(exists().where(Province.code == group))
    ):
        raise ValidationFailed(field_errors={"group": [_l("No province with this code.")]})
    return q, drilldown(q, which, group)


def drill_row(row: Any) -> dict[str, Any]:
    """One drill-down row (a result row or a mapping) as the API shows it, with the
    reason's text."""
    data = dict(getattr(row, "_mapping", row))
    data["reason_text"] = reason_text(data["reason"])
    data["counted"] = bool(data["counted"])
    data["in_denominator"] = bool(data["in_denominator"])
    return data

