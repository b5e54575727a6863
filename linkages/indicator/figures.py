"""Indicator figures: one aggregate statement per variant × breakdown, plus one for the
total when the groups do not split the denominator (``PARTITIONS``). Python only adds and
divides the few sums it gets back.

- Breakdowns by the cooperative (none, province, region, size class) split numerator and
  denominator alike: ``SELECT key, COUNT(*), SUM(counted) FROM cohort GROUP BY key``.
- Breakdowns by the contract (commodity, form, leader type) count, per group, the distinct
  cooperatives with a counting contract of that group, over the whole denominator: a
  cooperative with two contracts may count in two groups, so groups need not add up.
- The volume-weighted variant sums kilograms of batches instead of counting cooperatives,
  and breaks down by the cooperative only. Asked as of today over a statistical or
  calendar year, it reads the sums kept at write time (``tallies``), one row per
  cooperative and per (cooperative, contract), not the lots and deliveries themselves.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import aliased

from core.db import db
from linkages.indicator import links, tallies
from linkages.indicator.cohort import cohort, with_group_key
from linkages.indicator.definitions import (
    DENOMINATOR_DEFINITION,
    DENOMINATOR_VERSION,
    VARIANTS,
    Breakdown,
    VariantCode,
)
from linkages.indicator.inforce import materialized
from linkages.indicator.query import IndicatorQuery
from linkages.models.contracts import LinkageContractLine
from traceability.models import Batch, Product

Row = dict[str, Any]

# Breakdowns whose groups split the denominator exactly (one province and one size class
# per cooperative, NULL its own group): the total is the groups' sum, not one more
# statement. A region scheme need not cover every province once, so it is not one.
PARTITIONS = frozenset({Breakdown.PROVINCE, Breakdown.SIZE_CLASS})


def share(numerator: Any, denominator: Any) -> float | None:
    """numerator / denominator as a 0–1 float rounded to 4 places; None over nothing."""
    if not denominator:
        return None
    return round(float(Decimal(numerator) / Decimal(denominator)), 4)


def _cohort_cte(q: IndicatorQuery, b: links.Basis) -> Any:
    return materialized(select(cohort(q, b.facts)), "cohort_rows")


def _one_province(q: IndicatorQuery) -> str | None:
    """The province a figure is confined to (asked, or the actor's scope), whose
    organisations alone then need their facts (``links.basis``); None for the country.
    Not for the contract breakdowns: the leaders' types are read from every
    organisation's facts."""
    return q.provinces[0] if q.provinces else None


def _counting_groups(q: IndicatorQuery, breakdown: str) -> list[Row]:
    b = links.basis(q, province=_one_province(q))
    rows = _cohort_cte(q, b)
    if links.by_contract(q, b, q.variant):
        found = links.counting_pairs(q, rows, b, q.variant)
        counted = case((rows.c.org_id.in_(select(found.c.org_id)), 1), else_=0)
        stmt = select(rows).select_from(rows)
    else:
        standing = links.standing(q, rows, b, q.variant, narrow=bool(q.provinces),
                                  counting_only=True)
        counted = case((standing.c.contract_id.is_not(None), 1), else_=0)
        stmt = select(rows).select_from(rows).outerjoin(standing,
                                                        standing.c.org_id == rows.c.org_id)
    stmt, key = with_group_key(q, stmt, rows, breakdown)
    stmt = stmt.with_only_columns(
        key.label("key"), func.count().label("denominator"), func.sum(counted).label("numerator")
    ).group_by(key)
    return [dict(r._mapping) for r in db.session.execute(stmt)]


def _contract_groups(q: IndicatorQuery, breakdown: str) -> list[Row]:
    b = links.basis(q)
    rows = _cohort_cte(q, b)
    counting = links.counting_pairs(q, rows, b, q.variant)
    stmt = select(counting.c.org_id).select_from(counting)
    if breakdown == Breakdown.COMMODITY:
        line = aliased(LinkageContractLine)
        stmt = stmt.join(line, line.contract_id == counting.c.contract_id)
        key: Any = links.commodity_key(line)
        if q.commodity:  # the commodity asked, not every line of a contract that has it
            stmt = stmt.where(key == q.commodity)
    elif breakdown == Breakdown.FORM:
        key = counting.c.form
    else:
        leaders = links.leaders(q, b)
        stmt = stmt.outerjoin(leaders, leaders.c.contract_id == counting.c.contract_id)
        key = func.coalesce(leaders.c.leader_key, literal("other"))
    pairs = stmt.add_columns(key.label("key")).subquery("keyed_pairs")
    denominator = select(func.count()).select_from(rows).scalar_subquery()
    grouped = select(
        pairs.c.key,
        func.count(pairs.c.org_id.distinct()).label("numerator"),
        denominator.label("denominator"),
    ).group_by(pairs.c.key)
    return [dict(r._mapping) for r in db.session.execute(grouped)]


def _volume_groups(q: IndicatorQuery, breakdown: str) -> list[Row]:
    b = links.basis(q, province=_one_province(q))
    rows = _cohort_cte(q, b)
    if tallies.answer(q):
        return _tallied_volume_groups(q, b, rows, breakdown)
    batch = Batch
    shipped = links.volume_shipped(q, rows, b, VARIANTS[VariantCode.A])
    base = (
        select(rows)
        .select_from(rows)
        .join(batch, batch.organisation_id == rows.c.org_id)
        .outerjoin(shipped, and_(shipped.c.batch_id == batch.id,
                                 shipped.c.supplier_id == batch.organisation_id))
        .where(*links.harvested_in_period(q), batch.created_at < q.cutoff)
    )
    if q.commodity:
        base = base.join(Product, Product.id == batch.product_id).where(
            Product.commodity == q.commodity
        )
    base, key = with_group_key(q, base, rows, breakdown)
    kg, sent = batch.quantity_kg, func.coalesce(shipped.c.shipped_kg, 0)
    linked = case((sent < kg, sent), else_=kg)
    stmt = base.with_only_columns(
        key.label("key"),
        func.sum(linked).label("numerator"),
        func.sum(kg).label("denominator"),
        func.count(rows.c.org_id.distinct()).label("cooperatives"),
    ).group_by(key)
    # Planned without nested loops (``query.plan_for_analysis`` says why).
    return [dict(r._mapping) for r in db.session.execute(stmt)]


def _tallied_volume_groups(q: IndicatorQuery, b: links.Basis, rows: Any,
                           breakdown: str) -> list[Row]:
    """``_volume_groups`` from the tallies (``tallies.answer`` holds): one row per
    cooperative of the cohort with lots of the year, and its kilograms shipped under the
    contracts that make it count under A."""
    counted = links.counting_pairs(q, rows, b, VARIANTS[VariantCode.A], "_a")
    harvested = tallies.harvested(q).subquery("harvested")
    shipped = tallies.shipped(q, counted).subquery("shipped")
    base = (
        select(rows)
        .select_from(rows)
        .join(harvested, harvested.c.organisation_id == rows.c.org_id)
        .outerjoin(shipped, shipped.c.organisation_id == rows.c.org_id)
    )
    base, key = with_group_key(q, base, rows, breakdown)
    stmt = base.with_only_columns(
        key.label("key"),
        func.sum(func.coalesce(shipped.c.shipped_kg, 0)).label("numerator"),
        func.sum(harvested.c.harvested_kg).label("denominator"),
        func.count(rows.c.org_id.distinct()).label("cooperatives"),
    ).group_by(key)
    return [dict(r._mapping) for r in db.session.execute(stmt)]


def groups(q: IndicatorQuery, breakdown: str) -> list[Row]:
    """Raw ``key, numerator, denominator`` rows of ``q`` broken down by ``breakdown``."""
    if q.variant.volume:
        return _volume_groups(q, breakdown)
    if breakdown in {b.value for b in (Breakdown.COMMODITY, Breakdown.FORM,
                                        Breakdown.LEADER_TYPE)}:
        return _contract_groups(q, breakdown)
    return _counting_groups(q, breakdown)


def _figure(row: Row | None, volume: bool, target: float | None) -> Row:
    numerator = (row or {}).get("numerator") or 0
    denominator = (row or {}).get("denominator") or 0
    if volume:
        numerator, denominator = Decimal(numerator), Decimal(denominator)
    value = share(numerator, denominator)
    out: Row = {
        "numerator": float(numerator) if volume else int(numerator),
        "denominator": float(denominator) if volume else int(denominator),
        "share": value,
        "percent": None if value is None else round(value * 100, 2),
        # Percentage points still missing to reach the target (negative: above it).
        "gap_to_target": None if target is None or value is None
        else round(target - value * 100, 2),
    }
    if volume:
        out["cooperatives"] = int((row or {}).get("cooperatives") or 0)
    return out


def compute(q: IndicatorQuery, target: float | None = None,
            labels: dict[str | None, str] | None = None, known_total: Row | None = None,
            ) -> Row:
    """The figure of ``q``: the total and, when broken down, one entry per group (sorted
    by key), each with numerator, denominator, share, percent and gap to ``target``
    (a percentage), and the variant's definition and version beside them.
    ``known_total``: the total of the same query under another breakdown (a figure's
    ``total``, with the same target), which the groups then need not be added up to, nor
    asked again."""
    breakdown = q.breakdown.value
    rows = groups(q, breakdown) if q.breakdown != Breakdown.NONE else []
    total_row: Row | None = None
    if known_total is None and q.breakdown in PARTITIONS:
        total_row = {name: sum(r.get(name) or 0 for r in rows)
                     for name in ("numerator", "denominator", "cooperatives")}
    elif known_total is None:
        total_rows = groups(q, Breakdown.NONE.value)
        total_row = total_rows[0] if total_rows else None
    result_groups: list[Row] = []
    if q.breakdown != Breakdown.NONE:
        for row in sorted(rows, key=lambda r: (r["key"] is None, str(r["key"]))):
            key = row["key"]
            key = None if key is None else str(getattr(key, "value", key))
            entry = {"key": key, "label": (labels or {}).get(key, key or "")}
            entry.update(_figure(row, q.variant.volume, target))
            result_groups.append(entry)
    total = known_total if known_total is not None else _figure(total_row, q.variant.volume,
                                                                  target)
    return _result(q, total, result_groups, target)


def counting_totals(q: IndicatorQuery, target: float | None = None) -> dict[str, Row]:
    """The total of every variant that counts cooperatives (``links.COUNTING_VARIANTS``)
    for the period, date, geography and commodity of ``q`` (its own variant and breakdown
    aside), in one statement: each as ``compute`` gives it with no breakdown, by code."""
    b = links.basis(q, province=_one_province(q))
    rows = _cohort_cte(q, b)
    standing = links.variant_standing(q, rows, b)
    codes = [code.value for code in links.COUNTING_VARIANTS]
    stmt = (
        select(func.count().label("denominator"),
               *(func.coalesce(func.sum(standing.c[f"counted_{code}"]), 0).label(code)
                 for code in codes))
        .select_from(rows)
        .outerjoin(standing, standing.c.org_id == rows.c.org_id)
    )
    row = db.session.execute(stmt).one()._mapping
    out: dict[str, Row] = {}
    for code in codes:
        asked = replace(q, variant=VARIANTS[VariantCode(code)], breakdown=Breakdown.NONE)
        total = _figure({"numerator": row[code], "denominator": row["denominator"]},
                        False, target)
        out[code] = _result(asked, total, [], target)
    return out


def _result(q: IndicatorQuery, total: Row, result_groups: list[Row],
            target: float | None) -> Row:
    breakdown = q.breakdown.value
    return {
        "variant": q.variant.as_dict(),
        "denominator_definition": str(DENOMINATOR_DEFINITION),
        "denominator_version": DENOMINATOR_VERSION,
        "period": q.period.as_dict(),
        "as_of": q.as_of.as_of,
        "reference_day": q.on,
        "include_suspended": q.include_suspended,
        "province": q.province,
        "scope_province": q.scope_province,
        "region_scheme": q.region_scheme,
        "commodity": q.commodity,
        "breakdown": breakdown,
        "target": target,
        "total": total,
        "groups": result_groups,
    }

