"""The linkage indicator's rule, one cooperative at a time: the implementation the app
used until the set-based rewrite (``linkages.indicator.links``), kept as a slow but
plain reference that the fast one must match row for row (tests/linkages/
test_indicator_oracle.py). Each cooperative's registry facts, contracts in force and
stages are correlated subqueries here, read straight from the version history; nothing
is shared with the set-based code but the query object, the exclusions and the grouping.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from core.db import db
from linkages.indicator.asof import fact_on, province_on
from linkages.indicator.cohort import exclusion, with_group_key
from linkages.indicator.definitions import (
    COOPERATIVE_COUNTERPARTY_ROLES,
    COOPERATIVE_COUNTERPARTY_TYPES,
    COUNTING_CONTRACT_STATUSES,
    DENOMINATOR_TYPE,
    VARIANTS,
    Breakdown,
    Variant,
    VariantCode,
)
from linkages.indicator.links import commodity_key
from linkages.indicator.query import IndicatorQuery
from linkages.indicator.states import final_reason
from linkages.models.contracts import (
    ContractStatus,
    LinkageContractLine,
    LinkageContractVersion,
    LinkageContractVersionParty,
    LinkageProject,
    PartyRole,
    project_contracts,
)
from linkages.models.cooperatives import CooperativeProfile
from linkages.models.deliveries import LinkageDelivery
from linkages.models.organisations import (
    FactField,
    Organisation,
    OrganisationFactChange,
    OrgType,
)
from traceability.models import Batch, BatchStatus, EpcisEvent, Product, Shipment

Row = dict[str, Any]


def _standing_at(moment: datetime) -> Select[tuple[int]]:
    return (
        select(Shipment.id)
        .join(EpcisEvent, EpcisEvent.id == Shipment.ship_event_pk)
        .where(or_(EpcisEvent.retracted_at.is_(None), EpcisEvent.retracted_at >= moment))
    )


def versions_in_force(on: date, cutoff: datetime) -> Subquery:
    """Every contract's version in force on ``on`` as recorded before ``cutoff``: columns
    ``contract_id, version_id, status, form, effective_from, effective_to``.

    Written as "a known version with no later known one" rather than as a join to the
    highest number per contract: the indicator asks it for one cooperative's contracts at a
    time, and the anti-join probes ``uq_linkage_contract_versions_contract_id_number`` for
    those versions alone, where a per-contract maximum aggregates every version of the
    country first (seconds at 140,000 contracts)."""
    v, later = LinkageContractVersion, aliased(LinkageContractVersion)
    known = (v.effective_on <= on, v.recorded_at < cutoff)
    superseded = exists().where(
        later.contract_id == v.contract_id,
        later.number > v.number,
        later.effective_on <= on,
        later.recorded_at < cutoff,
    )
    return (
        select(
            v.contract_id,
            v.id.label("version_id"),
            v.status,
            v.form,
            v.effective_from,
            v.effective_to,
        )
        .where(*known, ~superseded)
        .subquery("in_force")
    )


def registry(q: IndicatorQuery, org_type: OrgType = DENOMINATOR_TYPE) -> Subquery:
    """Every organisation of ``org_type`` (HTX by default; its type on the reference day)
    recorded before the cutoff, in the asked geography, with its facts on the reference
    day: ``org_id, name, registration_code, status, registered_on, province,
    legacy_province, field_group, size_class``."""
    org, on, cutoff = Organisation, q.on, q.cutoff
    # Only organisations of the type now or that ever changed type can be one on a past day.
    retyped = exists().where(
        OrganisationFactChange.organisation_id == org.id,
        OrganisationFactChange.field == FactField.ORG_TYPE,
    )
    inner = (
        select(
            org.id.label("org_id"),
            org.name,
            org.registration_code,
            fact_on(org, FactField.ORG_TYPE, on, cutoff).label("org_type"),
            fact_on(org, FactField.STATUS, on, cutoff).label("status"),
            fact_on(org, FactField.REGISTERED_ON, on, cutoff).label("registered_on"),
            province_on(org, on, cutoff).label("province"),
            fact_on(org, FactField.LEGACY_PROVINCE_CODE, on, cutoff).label("legacy_province"),
            CooperativeProfile.field_group,
            CooperativeProfile.size_class,
        )
        .outerjoin(CooperativeProfile, CooperativeProfile.organisation_id == org.id)
        .where(org.created_at < cutoff, or_(org.org_type == org_type, retyped))
        .subquery(f"{org_type.value}_facts")
    )
    stmt = select(inner).where(inner.c.org_type == org_type.value)
    for province in q.provinces:
        stmt = stmt.where(inner.c.province == province)
    return stmt.subquery("registry" if org_type == DENOMINATOR_TYPE
                         else f"{org_type.value}_registry")


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
        d.shipment_id.in_(_standing_at(q.cutoff)),
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
        d.shipment_id.in_(_standing_at(q.cutoff)),
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


def reason(q: IndicatorQuery, reg: Any) -> ColumnElement[Any]:
    org_id = reg.c.org_id
    draft_stmt, cv = contracts_of(q, org_id, "party")
    has_draft = draft_stmt.where(cv.c.status == ContractStatus.DRAFT).exists()
    broad = VARIANTS[VariantCode.B]
    counterparty_reason: Any = literal("no_enterprise_counterparty")
    if not q.variant.broad_counterparty:
        counterparty_reason = case(
            (has_contract(q, org_id, "counterparty", broad),
             "counterparty_cooperative_counts_in_b_only"),
            else_=literal("no_enterprise_counterparty"),
        )
    return case(
        (exclusion(q, reg).is_not(None), exclusion(q, reg)),
        (~has_contract(q, org_id, "party"), "no_contract_overlapping_period"),
        (~has_contract(q, org_id, "status"),
         case((has_draft, "contract_still_draft"), else_=literal("contract_not_in_force"))),
        (~has_contract(q, org_id, "counterparty"), counterparty_reason),
        (~has_contract(q, org_id, "final"), final_reason(q.variant)),
        else_=literal(None),
    )


def first_delivery(q: IndicatorQuery, org_id: Any) -> ColumnElement[Any]:
    d = LinkageDelivery
    stmt, cv = contracts_of(q, org_id, "final")
    return (
        select(func.min(d.id))
        .where(
            accepted_in_period(q, org_id),
            stmt.where(cv.c.contract_id == d.contract_id).exists(),
        )
        .scalar_subquery()
    )


def volume_groups(q: IndicatorQuery, breakdown: str) -> list[Row]:
    rows = cohort(q)
    b, d = Batch, LinkageDelivery
    a_rule = VARIANTS[VariantCode.A]
    counted_contract = contracts_of(q, b.organisation_id, "final", a_rule)
    stmt_a, cv = counted_contract
    shipped = (
        select(func.coalesce(func.sum(d.shipped_kg), 0))
        .where(
            d.batch_id == b.id,
            shipped_by(q, b.organisation_id),
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


def contract_groups(q: IndicatorQuery, breakdown: str) -> list[Row]:
    rows = cohort(q)
    vp = aliased(LinkageContractVersionParty)
    cv = versions_in_force(q.on, q.cutoff)
    stmt = (
        select(rows.c.org_id)
        .select_from(rows)
        .join(vp, vp.organisation_id == rows.c.org_id)
        .join(cv, cv.c.version_id == vp.version_id)
        .where(*conditions(q, cv, rows.c.org_id, "final"))
    )
    if breakdown == Breakdown.COMMODITY:
        line = aliased(LinkageContractLine)
        stmt = stmt.join(line, line.contract_id == cv.c.contract_id)
        key: Any = commodity_key(line)
        if q.commodity:  # the commodity asked, not every line of a contract that has it
            stmt = stmt.where(key == q.commodity)
    elif breakdown == Breakdown.FORM:
        key = cv.c.form
    else:
        key = leader_key(q, cv)
    pairs = stmt.add_columns(key.label("key")).subquery("pairs")
    denominator = select(func.count()).select_from(cohort(q)).scalar_subquery()
    grouped = select(
        pairs.c.key,
        func.count(pairs.c.org_id.distinct()).label("numerator"),
        denominator.label("denominator"),
    ).group_by(pairs.c.key)
    return [dict(r._mapping) for r in db.session.execute(grouped)]


def cohort(q: IndicatorQuery) -> Subquery:
    reg = registry(q)
    return select(reg).where(exclusion(q, reg).is_(None)).subquery("cohort")


def drill_rows(q: IndicatorQuery) -> Select[Any]:
    """Every HTX of the geography: ``org_id, province, in_denominator, counted, reason,
    contract_id, delivery_id`` (the drill-down's "all")."""
    reg = registry(q)
    why = reason(q, reg)
    delivery = (first_delivery(q, reg.c.org_id) if q.variant.needs_delivery
                else literal(None))
    rows = select(reg.c.org_id, reg.c.province, why.label("reason"),
                  first_contract(q, reg.c.org_id).label("contract_id"),
                  delivery.label("delivery_id"),
                  exclusion(q, reg).label("excluded")).subquery("oracle_drill")
    return select(rows.c.org_id, rows.c.province, rows.c.excluded.is_(None),
                  rows.c.reason.is_(None), rows.c.reason, rows.c.contract_id,
                  rows.c.delivery_id)


def counted_share(q: IndicatorQuery) -> tuple[int, int]:
    """(numerator, denominator) of a counting variant (A–E) over the whole geography."""
    rows = cohort(q)
    counted = case((has_contract(q, rows.c.org_id), 1), else_=0)
    found = db.session.execute(select(func.count(), func.sum(counted)).select_from(rows)).one()
    return int(found[1] or 0), int(found[0])
