"""Every cooperative's drill-down row at once, set by set: what a publication freezes and
what its comparison with today reads.

``drilldown.drilldown`` answers one page of a figure's cooperatives: it decides each row's
reason with correlated subqueries, one per stage of the variant's rule, which is the right
shape for 50 rows and the wrong one for a whole country (thousands of rows, each asking for
the contracts in force again). Here the same rule is evaluated the other way round: for
each stage (``links`` module docstring), one join of the contract versions in force with
their parties gives the set of cooperatives that have a contract passing it; each registry
row is then left-joined with those sets, and its reason is the first stage whose set lacks
it — the drill-down's own order and codes (``drilldown.REASONS``), built from the same
conditions (``links.conditions``), so the two cannot count differently
(tests/linkages/test_publications.py checks them equal, row for row, on every variant).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CTE, ColumnElement, Select, case, func, literal, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from linkages.indicator import links
from linkages.indicator.asof import versions_in_force
from linkages.indicator.cohort import exclusion, registry
from linkages.indicator.definitions import VARIANTS, Variant, VariantCode
from linkages.indicator.query import IndicatorQuery
from linkages.models.contracts import ContractStatus, LinkageContractVersionParty


def registry_cte(q: IndicatorQuery, name: str) -> CTE:
    """``cohort.registry`` of ``q`` as a CTE, to be read by several joins of one
    statement (computed once)."""
    return select(registry(q)).cte(name)


def _with_contract(q: IndicatorQuery, reg: CTE, stage: str, variant: Variant,
                   name: str, *, draft: bool = False) -> Subquery:
    """The registry's cooperatives with a contract in force passing ``stage`` of
    ``variant`` (``draft``: a draft overlapping the period), one row each, with the lowest
    such contract id: ``org_id, contract_id``."""
    vp = aliased(LinkageContractVersionParty)
    cv = versions_in_force(q.on, q.cutoff)
    stmt = (
        select(vp.organisation_id.label("org_id"),
               func.min(cv.c.contract_id).label("contract_id"))
        .select_from(vp)
        .join(cv, cv.c.version_id == vp.version_id)
        .where(vp.organisation_id.in_(select(reg.c.org_id)),
               *links.conditions(q, cv, vp.organisation_id, stage, variant))
        .group_by(vp.organisation_id)
    )
    if draft:
        stmt = stmt.where(cv.c.status == ContractStatus.DRAFT)
    return stmt.subquery(name)


def final_reason(variant: Variant) -> str:
    """Why a cooperative with an enterprise contract still does not count: the variant's
    own condition (the drill-down's codes)."""
    if variant.needs_delivery:
        return "no_accepted_delivery_in_period"
    if variant.needs_project:
        return "contract_not_in_approved_project"
    if variant.form_one:
        return "contract_not_form_1"
    if variant.volume:
        return "no_batch_delivered_in_period"
    return "no_contract_for_commodity"


def states(q: IndicatorQuery, reg: CTE | None = None, tag: str = "") -> Select[Any]:
    """A select of one row per HTX of ``q``'s geography (``cohort.registry``): ``org_id,
    province, in_denominator, counted, reason, contract_id`` — as ``drilldown(q, "all")``
    has them. ``reg`` shares a registry CTE between several variants of one statement;
    ``tag`` keeps the names of its subqueries apart."""
    reg = reg if reg is not None else registry_cte(q, f"states_registry{tag}")
    v = q.variant
    sets = {stage: _with_contract(q, reg, stage, v, f"{stage}{tag}")
            for stage in links.STAGES}
    drafts = _with_contract(q, reg, "party", v, f"drafts{tag}", draft=True)
    stmt = select(reg.c.org_id).select_from(reg)
    for joined in (*sets.values(), drafts):
        stmt = stmt.outerjoin(joined, joined.c.org_id == reg.c.org_id)
    lacks = {stage: sets[stage].c.org_id.is_(None) for stage in links.STAGES}
    counterparty: ColumnElement[Any] = literal("no_enterprise_counterparty")
    if not v.broad_counterparty:
        broad = _with_contract(q, reg, "counterparty", VARIANTS[VariantCode.B],
                               f"broad{tag}")
        stmt = stmt.outerjoin(broad, broad.c.org_id == reg.c.org_id)
        counterparty = case((broad.c.org_id.is_not(None),
                             "counterparty_cooperative_counts_in_b_only"),
                            else_=literal("no_enterprise_counterparty"))
    excluded = exclusion(q, reg)
    reason = case(
        (excluded.is_not(None), excluded),
        (lacks["party"], "no_contract_overlapping_period"),
        (lacks["status"], case((drafts.c.org_id.is_not(None), "contract_still_draft"),
                               else_=literal("contract_not_in_force"))),
        (lacks["counterparty"], counterparty),
        (lacks["final"], final_reason(v)),
        else_=literal(None),
    )
    return stmt.with_only_columns(
        reg.c.org_id,
        reg.c.province,
        excluded.is_(None).label("in_denominator"),
        (excluded.is_(None) & ~lacks["final"]).label("counted"),
        reason.label("reason"),
        sets["final"].c.contract_id.label("contract_id"),
    )
