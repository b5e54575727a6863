"""Each cooperative's place in a figure, for a whole registry at once: whether it is in
the denominator, whether it counts, the contract (and for C the delivery) that made it
count, or the first reason it does not — what the drill-down pages, what a publication
freezes and what its comparison with today reads.

The rule is ``links``' chain of stages, decided set by set (``links.standing``): each
registry row is left-joined with its cooperative's standing, and its reason is the first
stage it fails, after the denominator's own exclusions (``cohort.Excluded``). The codes
and their texts are ``drilldown.REASONS``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CTE, ColumnElement, Integer, Select, case, cast, literal, null, select

from linkages.indicator import links
from linkages.indicator.cohort import exclusion, registry
from linkages.indicator.definitions import Variant
from linkages.indicator.inforce import materialized
from linkages.indicator.query import IndicatorQuery


def registry_cte(q: IndicatorQuery, name: str, b: links.Basis,
                 stmt: Select[Any] | None = None) -> CTE:
    """``cohort.registry`` of ``q`` (read from ``b``), or ``stmt`` selecting its rows,
    as a CTE computed once however many joins of one statement read it."""
    return materialized(stmt if stmt is not None else select(registry(q, facts=b.facts)),
                        name)


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


def states(q: IndicatorQuery, reg: CTE | None = None, tag: str = "",
           b: links.Basis | None = None, narrow: bool | None = None,
           standing: Any = None) -> Select[Any]:
    """A select of one row per HTX of ``q``'s geography (``cohort.registry``, or ``reg``
    read from ``b``): ``org_id, name, registration_code, province, size_class, status,
    in_denominator, counted, reason, contract_id, delivery_id``. ``reg`` and ``b`` share
    a registry and its basis between several variants of one statement; ``tag`` keeps the
    names of their subqueries apart; ``narrow`` says the registry is a small part of the
    country (``links.pairs``; by default, when the query names a province); ``standing``:
    the variant's ``links.standing`` of ``reg``, already worked out (``links.standing_of``
    of ``links.standings``, for every variant at once)."""
    if b is None:
        b = links.basis(q, tag)
    if reg is None:
        reg = registry_cte(q, f"states_registry{tag}", b)
    v = q.variant
    s = standing if standing is not None else links.standing(
        q, reg, b, v, tag, bool(q.provinces) if narrow is None else narrow)
    counterparty: ColumnElement[Any] = literal("no_enterprise_counterparty")
    if not v.broad_counterparty:
        counterparty = case((s.c.broad == 1, "counterparty_cooperative_counts_in_b_only"),
                            else_=literal("no_enterprise_counterparty"))
    excluded = exclusion(q, reg)
    reason = case(
        (excluded.is_not(None), excluded),
        (s.c.org_id.is_(None), "no_contract_overlapping_period"),
        (s.c.status == 0, case((s.c.draft == 1, "contract_still_draft"),
                               else_=literal("contract_not_in_force"))),
        (s.c.counterparty == 0, counterparty),
        (s.c.contract_id.is_(None), final_reason(v)),
        else_=literal(None),
    )
    delivery = s.c.delivery_id if v.needs_delivery else cast(null(), Integer)
    return (
        select(
            reg.c.org_id,
            reg.c.name,
            reg.c.registration_code,
            reg.c.province,
            reg.c.size_class,
            reg.c.status,
            excluded.is_(None).label("in_denominator"),
            (excluded.is_(None) & s.c.contract_id.is_not(None)).label("counted"),
            reason.label("reason"),
            s.c.contract_id.label("contract_id"),
            delivery.label("delivery_id"),
        )
        .select_from(reg)
        .outerjoin(s, s.c.org_id == reg.c.org_id)
    )
