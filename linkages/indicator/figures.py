"""Indicator figures: one aggregate statement per variant × breakdown, plus one for the
total when the figure is broken down. Python only divides the few sums it gets back.

- Breakdowns by the cooperative (none, province, region, size class) split numerator and
  denominator alike: ``SELECT key, COUNT(*), SUM(counted) FROM cohort GROUP BY key``.
- Breakdowns by the contract (commodity, form, leader type) count, per group, the distinct
  cooperatives with a counting contract of that group, over the whole denominator: a
  cooperative with two contracts may count in two groups, so groups need not add up.
- The volume-weighted variant sums kilograms of batches instead of counting cooperatives,
  and breaks down by the cooperative only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from core.db import db
from linkages.indicator import links
from linkages.indicator.asof import versions_in_force
from linkages.indicator.cohort import cohort, with_group_key
from linkages.indicator.definitions import (
    DENOMINATOR_DEFINITION,
    DENOMINATOR_VERSION,
    VARIANTS,
    Breakdown,
    VariantCode,
)
from linkages.indicator.query import IndicatorQuery
from linkages.models.contracts import LinkageContractLine, LinkageContractVersionParty
from linkages.models.deliveries import LinkageDelivery
from traceability.models import Batch, BatchStatus, Product

Row = dict[str, Any]


def share(numerator: Any, denominator: Any) -> float | None:
    """numerator / denominator as a 0–1 float rounded to 4 places; None over nothing."""
    if not denominator:
        return None
    return round(float(Decimal(numerator) / Decimal(denominator)), 4)


def _counting_groups(q: IndicatorQuery, breakdown: str) -> list[Row]:
    rows = cohort(q)
    counted = case((links.has_contract(q, rows.c.org_id), 1), else_=0)
    stmt, key = with_group_key(q, select(rows).select_from(rows), rows, breakdown)
    stmt = stmt.with_only_columns(
        key.label("key"), func.count().label("denominator"), func.sum(counted).label("numerator")
    ).group_by(key)
    return [dict(r._mapping) for r in db.session.execute(stmt)]


def _contract_groups(q: IndicatorQuery, breakdown: str) -> list[Row]:
    rows = cohort(q)
    vp = aliased(LinkageContractVersionParty)
    cv = versions_in_force(q.on, q.cutoff)
    stmt = (
        select(rows.c.org_id)
        .select_from(rows)
        .join(vp, vp.organisation_id == rows.c.org_id)
        .join(cv, cv.c.version_id == vp.version_id)
        .where(*links.conditions(q, cv, rows.c.org_id, "final"))
    )
    if breakdown == Breakdown.COMMODITY:
        line = aliased(LinkageContractLine)
        stmt = stmt.join(line, line.contract_id == cv.c.contract_id)
        key: Any = links.commodity_key(line)
        if q.commodity:  # the commodity asked, not every line of a contract that has it
            stmt = stmt.where(key == q.commodity)
    elif breakdown == Breakdown.FORM:
        key = cv.c.form
    else:
        key = links.leader_key(q, cv)
    pairs = stmt.add_columns(key.label("key")).subquery("pairs")
    denominator = select(func.count()).select_from(cohort(q)).scalar_subquery()
    grouped = select(
        pairs.c.key,
        func.count(pairs.c.org_id.distinct()).label("numerator"),
        denominator.label("denominator"),
    ).group_by(pairs.c.key)
    return [dict(r._mapping) for r in db.session.execute(grouped)]


def _volume_groups(q: IndicatorQuery, breakdown: str) -> list[Row]:
    rows = cohort(q)
    b, d = Batch, LinkageDelivery
    a_rule = VARIANTS[VariantCode.A]
    counted_contract = links.contracts_of(q, b.organisation_id, "final", a_rule)
    stmt_a, cv = counted_contract
    shipped = (
        select(func.coalesce(func.sum(d.shipped_kg), 0))
        .where(
            d.batch_id == b.id,
            links.shipped_by(q, b.organisation_id),
            stmt_a.where(cv.c.contract_id == d.contract_id).exists(),
        )
        .scalar_subquery()
    )
    harvested = func.coalesce(b.harvest_start, b.harvest_end)
    base = (
        select(rows)
        .select_from(rows)
        .join(b, b.organisation_id == rows.c.org_id)
        .where(
            b.status != BatchStatus.VOID,
            harvested >= q.period.start,
            harvested <= q.period.end,
            b.created_at < q.cutoff,
        )
    )
    if q.commodity:
        base = base.join(Product, Product.id == b.product_id).where(
            Product.commodity == q.commodity
        )
    base, key = with_group_key(q, base, rows, breakdown)
    per_batch = base.with_only_columns(
        key.label("key"), rows.c.org_id, b.quantity_kg.label("kg"), shipped.label("shipped")
    ).subquery("per_batch")
    linked = case((per_batch.c.shipped < per_batch.c.kg, per_batch.c.shipped),
                  else_=per_batch.c.kg)
    stmt = select(
        per_batch.c.key,
        func.sum(linked).label("numerator"),
        func.sum(per_batch.c.kg).label("denominator"),
        func.count(per_batch.c.org_id.distinct()).label("cooperatives"),
    ).group_by(per_batch.c.key)
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
            labels: dict[str | None, str] | None = None) -> Row:
    """The figure of ``q``: the total and, when broken down, one entry per group (sorted
    by key), each with numerator, denominator, share, percent and gap to ``target``
    (a percentage), and the variant's definition and version beside them."""
    breakdown = q.breakdown.value
    total_rows = groups(q, Breakdown.NONE.value)
    total = _figure(total_rows[0] if total_rows else None, q.variant.volume, target)
    result_groups: list[Row] = []
    if q.breakdown != Breakdown.NONE:
        for row in sorted(groups(q, breakdown), key=lambda r: (r["key"] is None,
                                                                str(r["key"]))):
            key = row["key"]
            key = None if key is None else str(getattr(key, "value", key))
            entry = {"key": key, "label": (labels or {}).get(key, key or "")}
            entry.update(_figure(row, q.variant.volume, target))
            result_groups.append(entry)
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

