"""Which contracts make a cooperative count, in SQL (DOMAIN.md §4, ``definitions``).

A cooperative's contracts on the reference day are the versions in force
(``asof.versions_in_force``) that list it among their parties
(``LinkageContractVersionParty``). Each variant's rule is a chain of stages, each adding
conditions to the previous one; the drill-down reports the first stage a cooperative fails:

1. ``party``: a contract whose term overlaps the period;
2. ``status``: … signed, active or completed on the reference day;
3. ``counterparty``: … with an enterprise as another party (B: or a union / another HTX
   leading or buying);
4. ``final``: … plus the variant's own condition (C an accepted delivery in the period,
   D an approved project, E form 1) and the commodity filter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from linkages.indicator.asof import fact_on, versions_in_force
from linkages.indicator.definitions import (
    COOPERATIVE_COUNTERPARTY_ROLES,
    COOPERATIVE_COUNTERPARTY_TYPES,
    COUNTING_CONTRACT_STATUSES,
    Variant,
)
from linkages.indicator.query import IndicatorQuery
from linkages.models.contracts import (
    LinkageContractLine,
    LinkageContractVersionParty,
    LinkageProject,
    PartyRole,
    project_contracts,
)
from linkages.models.deliveries import LinkageDelivery
from linkages.models.organisations import FactField, Organisation, OrgType
from traceability.models import Batch, BatchStatus, Commodity, Product
from traceability.services.shipments import shipments_standing_at

STAGES = ("party", "status", "counterparty", "final")
COMMODITY_VALUES = tuple(c.value for c in Commodity)


def counterparty_exists(
    q: IndicatorQuery, cv: Subquery, org_id: Any, *, broad: bool
) -> ColumnElement[bool]:
    """SQL: the version ``cv`` has another party that is an enterprise on the reference
    day (``broad``: or an HTX / LHHTX in a leader or offtaker role)."""
    cp = aliased(LinkageContractVersionParty)
    co = aliased(Organisation)
    kind = fact_on(co, FactField.ORG_TYPE, q.on, q.cutoff)
    rule: ColumnElement[bool] = kind == OrgType.DN.value
    if broad:
        rule = or_(
            rule,
            kind.in_([t.value for t in COOPERATIVE_COUNTERPARTY_TYPES])
            & cp.role.in_(list(COOPERATIVE_COUNTERPARTY_ROLES)),
        )
    return exists(
        select(literal(1))
        .select_from(cp)
        .join(co, co.id == cp.organisation_id)
        .where(cp.version_id == cv.c.version_id, cp.organisation_id != org_id, rule)
        # The cooperative is two queries out: auto-correlation reaches only one.
        .correlate_except(cp, co)
    )


def accepted_in_period(q: IndicatorQuery, org_id: Any) -> ColumnElement[bool]:
    """SQL, on ``LinkageDelivery``: the cooperative supplied it, it was accepted (above
    0 kg) and received within the period, settled before the cutoff, and its shipping
    still stood then. Variant C's rule: its figures and its drill-down both ask it."""
    d = LinkageDelivery
    return and_(
        d.supplier_id == org_id,
        d.accepted_kg > 0,
        d.received_on >= q.period.start,
        d.received_on <= q.on,
        d.settled_at < q.cutoff,
        d.shipment_id.in_(shipments_standing_at(q.cutoff)),
    )


def shipped_by(q: IndicatorQuery, org_id: Any) -> ColumnElement[bool]:
    """SQL, on ``LinkageDelivery``: the cooperative supplied it, shipped by the reference
    day, recorded before the cutoff, its shipping still standing then (the volume
    variant's rule, in its figures and its drill-down)."""
    d = LinkageDelivery
    return and_(
        d.supplier_id == org_id,
        d.shipped_on <= q.on,
        d.created_at < q.cutoff,
        d.shipment_id.in_(shipments_standing_at(q.cutoff)),
    )


def accepted_delivery(q: IndicatorQuery, cv: Subquery, org_id: Any) -> ColumnElement[bool]:
    """SQL: a delivery under the contract meets ``accepted_in_period``."""
    d = LinkageDelivery
    return exists(
        select(literal(1))
        .where(d.contract_id == cv.c.contract_id, accepted_in_period(q, org_id))
        .correlate_except(d)
    )


def delivered_batch(q: IndicatorQuery, cv: Subquery, org_id: Any) -> ColumnElement[bool]:
    """SQL: the cooperative shipped, under the contract, a batch harvested in the period
    (the volume-weighted variant's drill-down)."""
    d, b = LinkageDelivery, Batch
    harvested = func.coalesce(b.harvest_start, b.harvest_end)
    return exists(
        select(literal(1))
        .select_from(d)
        .join(b, b.id == d.batch_id)
        .where(
            d.contract_id == cv.c.contract_id,
            shipped_by(q, org_id),
            b.status != BatchStatus.VOID,
            harvested >= q.period.start,
            harvested <= q.period.end,
        )
        .correlate_except(d, b)
    )


def in_approved_project(q: IndicatorQuery, cv: Subquery) -> ColumnElement[bool]:
    """SQL: the contract belongs to a linkage project decided on or before the reference
    day and recorded before the cutoff."""
    return exists(
        select(literal(1))
        .select_from(project_contracts)
        .join(LinkageProject, LinkageProject.id == project_contracts.c.project_id)
        .where(
            project_contracts.c.contract_id == cv.c.contract_id,
            LinkageProject.decision_date <= q.on,
            LinkageProject.created_at < q.cutoff,
        )
        .correlate_except(project_contracts, LinkageProject)
    )


def commodity_key(line: Any) -> ColumnElement[Any]:
    """SQL: a contract line's commodity code (``traceability`` ``Commodity``): its
    product's, else the line's text when it is a code, else ``other``."""
    text = func.lower(func.trim(line.commodity))
    product = (
        select(Product.commodity).where(Product.id == line.product_id).scalar_subquery()
    )
    named = case((text.in_(COMMODITY_VALUES), text), else_=literal(Commodity.OTHER.value))
    return func.coalesce(product, named)


def has_commodity(q: IndicatorQuery, cv: Subquery) -> ColumnElement[bool]:
    line = aliased(LinkageContractLine)
    return exists().where(line.contract_id == cv.c.contract_id,
                          commodity_key(line) == q.commodity)


def conditions(
    q: IndicatorQuery, cv: Subquery, org_id: Any, stage: str, variant: Variant | None = None
) -> list[ColumnElement[bool]]:
    """The conditions on ``cv`` (a version in force listing the cooperative ``org_id``)
    up to ``stage`` for ``variant`` (default: the query's)."""
    variant = variant or q.variant
    conds: list[ColumnElement[bool]] = [
        cv.c.effective_from <= q.period.end,
        or_(cv.c.effective_to.is_(None), cv.c.effective_to >= q.period.start),
    ]
    if stage == "party":
        return conds
    conds.append(cv.c.status.in_(list(COUNTING_CONTRACT_STATUSES)))
    if stage == "status":
        return conds
    conds.append(counterparty_exists(q, cv, org_id, broad=variant.broad_counterparty))
    if stage == "counterparty":
        return conds
    if variant.needs_delivery:
        conds.append(accepted_delivery(q, cv, org_id))
    if variant.needs_project:
        conds.append(in_approved_project(q, cv))
    if variant.form_one:
        conds.append(cv.c.form == 1)
    if variant.volume:
        conds.append(delivered_batch(q, cv, org_id))
    if q.commodity and not variant.volume:
        conds.append(has_commodity(q, cv))
    return conds


def contracts_of(
    q: IndicatorQuery, org_id: Any, stage: str, variant: Variant | None = None
) -> tuple[Select[Any], Subquery]:
    """A select (of nothing yet) over the cooperative's versions in force that pass
    ``stage``, and the versions subquery to pick columns from."""
    vp = aliased(LinkageContractVersionParty)
    cv = versions_in_force(q.on, q.cutoff)
    stmt = (
        select(literal(1))
        .select_from(vp)
        .join(cv, cv.c.version_id == vp.version_id)
        .where(vp.organisation_id == org_id, *conditions(q, cv, org_id, stage, variant))
        .correlate_except(vp, cv)
    )
    return stmt, cv


def has_contract(
    q: IndicatorQuery, org_id: Any, stage: str = "final", variant: Variant | None = None
) -> ColumnElement[bool]:
    """SQL: the cooperative has a contract passing ``stage`` (module docstring)."""
    stmt, _cv = contracts_of(q, org_id, stage, variant)
    return exists(stmt)


def first_contract(q: IndicatorQuery, org_id: Any) -> ColumnElement[Any]:
    """SQL: the lowest id of the contracts that make the cooperative count (NULL when
    none does)."""
    stmt, cv = contracts_of(q, org_id, "final")
    return stmt.with_only_columns(func.min(cv.c.contract_id)).scalar_subquery()


def leader_key(q: IndicatorQuery, cv: Subquery) -> ColumnElement[Any]:
    """SQL: ``dn_led`` or ``htx_led`` by the type of the version's leader party on the
    reference day (``other`` for any other leader, or none)."""
    lp = aliased(LinkageContractVersionParty)
    lo = aliased(Organisation)
    kind = (
        select(fact_on(lo, FactField.ORG_TYPE, q.on, q.cutoff))
        .select_from(lp)
        .join(lo, lo.id == lp.organisation_id)
        .where(lp.version_id == cv.c.version_id, lp.role == PartyRole.LEADER)
        .order_by(lp.position, lp.organisation_id)
        .limit(1)
        .scalar_subquery()
    )
    return case(
        {OrgType.DN.value: "dn_led", OrgType.HTX.value: "htx_led",
         OrgType.LHHTX.value: "htx_led"},
        value=kind,
        else_=literal("other"),
    )
