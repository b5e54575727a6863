"""Which contracts make a cooperative count, in SQL (DOMAIN.md §4, ``definitions``), set
by set.

A cooperative's contracts on the reference day are the contracts in force that list it
among their parties (``inforce.in_force``). Each variant's rule is a chain of stages,
each adding conditions to the previous one; the drill-down reports the first stage a
cooperative fails:

1. ``party``: a contract whose term overlaps the period;
2. ``status``: … signed, active or completed on the reference day;
3. ``counterparty``: … with an enterprise as another party (B: or a union / another HTX
   leading or buying);
4. ``final``: … plus the variant's own condition (C an accepted delivery in the period,
   D an approved project, E form 1, volume-weighted a batch of the period delivered) and
   the commodity filter.

Everything is decided for all cooperatives of a registry at once: ``pairs`` lists each
(cooperative, contract in force overlapping the period) with a flag per stage, and
``standing`` folds them into one row per cooperative. Each condition that needs another
table (an enterprise among the parties, an accepted delivery, a project…) is a set
computed once and joined, never a subquery per cooperative (``inforce`` says why).

Some sets are written one way for PostgreSQL's planner (index probes through
``inforce.Among``, narrowed facts, kept look-ups: ``core.db.on_postgresql``) and left as
they were on SQLite, whose planner, without statistics, scanned whole indexes for them
instead (bench/RESULTS.md, 2026-12-07 08:01: the volume 3.9 → 8.9 s, a drill-down 1.1 →
3.4 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select, Subquery

from core.db import on_postgresql
from linkages.indicator import sides, tallies
from linkages.indicator.definitions import (
    COUNTING_CONTRACT_STATUSES,
    Variant,
    VariantCode,
)
from linkages.indicator.inforce import (
    Among,
    InForce,
    facts_on,
    in_force,
    materialized,
    maybe_in_province,
)
from linkages.indicator.query import IndicatorQuery
from linkages.models.contracts import (
    ContractStatus,
    LinkageContractLine,
    LinkageProject,
    LinkageProjectContractChange,
    PartyRole,
    ProjectMembership,
    project_contracts,
)
from linkages.models.deliveries import (
    LinkageDelivery,
    LinkageDeliverySettlementChange,
    LinkageDeliveryShippingChange,
)
from linkages.models.organisations import Organisation, OrgType
from linkages.models.sides import LinkageContractSides
from linkages.models.tallies import LinkageAcceptanceTally
from traceability.models import Batch, Commodity, EpcisEvent, Product, Shipment
from traceability.models.batches import HARVEST_DAY, not_void_at
from traceability.services.shipments import shipments_withdrawn_before

STAGES = ("party", "status", "counterparty", "final")
COMMODITY_VALUES = tuple(c.value for c in Commodity)


@dataclass(frozen=True)
class Basis:
    """What one statement reads registries and contracts from, as it stood on the
    query's reference day: every organisation's facts (or, with ``province``, those of
    the organisations that may be in it) and the contracts in force (CTEs, computed once
    however many sets read them)."""

    facts: CTE
    contracts: InForce
    # ``facts`` holds only the organisations that may be in this province: the statement
    # reads one province's registry and its contracts' sides (``narrow``), which never
    # read ``facts`` (``_contract_sides``).
    province: str | None = None


def basis(q: IndicatorQuery, tag: str = "", province: str | None = None) -> Basis:
    """The statement's ``Basis``; ``province`` (for a statement that reads only that
    province's registry, with ``narrow`` sets) keeps only its organisations' facts."""
    if not on_postgresql():
        province = None  # SQLite: every organisation's facts, as before (module docstring)
    among = None if province is None else maybe_in_province(province, q.on, q.cutoff)
    return Basis(facts=facts_on(q.on, q.cutoff, f"facts_on{tag}", among),
                 contracts=in_force(q.on, q.cutoff, tag), province=province)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def withdrawn_before(q: IndicatorQuery) -> Select[Any]:
    """The ids of the shipments whose ship event had been withdrawn before the cutoff:
    ``traceability.services.shipments.shipments_withdrawn_before``'s set, found through
    the shipments' ship-event index (``Among``). Its join, planned without nested loops,
    read all 2 million shipments to find the ~10,000 withdrawn ones (~0.4 s of the
    volume's figure, bench/RESULTS.md, 2026-12-07). SQLite keeps the join
    (module docstring)."""
    if not on_postgresql():
        return shipments_withdrawn_before(q.cutoff)
    withdrawn = select(EpcisEvent.id).where(EpcisEvent.retracted_at.is_not(None),
                                            EpcisEvent.retracted_at < q.cutoff)
    return select(Shipment.id).where(Among(Shipment.ship_event_pk, withdrawn))


def accepted_in_period(q: IndicatorQuery) -> list[ColumnElement[bool]]:
    """Conditions on ``LinkageDelivery``: accepted (above 0 kg) and received within the
    period, settled before the cutoff, its shipping still standing then. Variant C's
    rule, in its figures and its drill-down."""
    d = LinkageDelivery
    return [
        d.accepted_kg > 0,
        d.received_on >= q.period.start,
        d.received_on <= q.on,
        d.settled_at < q.cutoff,
        d.shipment_id.not_in(withdrawn_before(q)),
    ]


def shipped_known(q: IndicatorQuery, conditions: list[ColumnElement[bool]],
                  name: str) -> Subquery:
    """The deliveries shipped by the reference day, recorded before the cutoff, their
    shipping still standing then (the volume variant's rule), each with its shipping as
    known at the cutoff: ``contract_id, supplier_id, batch_id, shipped_kg``.
    ``conditions`` (on ``LinkageDelivery``) narrow them. A delivery whose shipping was
    corrected since the cutoff (``LinkageDeliveryShippingChange``) is read as the first
    of those corrections found it; the others as they stand, from the columns of the
    covering indexes (their shipment, not their id, tells them apart)."""
    d, s = LinkageDelivery, LinkageDeliveryShippingChange
    corrected = select(d.shipment_id).join(s, s.delivery_id == d.id).where(
        s.changed_at >= q.cutoff)
    standing = d.shipment_id.not_in(withdrawn_before(q))
    current = select(d.contract_id, d.supplier_id, d.batch_id, d.shipped_kg).where(
        *conditions, d.shipped_on <= q.on, d.created_at < q.cutoff, standing,
        d.shipment_id.not_in(corrected))
    former = (
        select(d.contract_id, d.supplier_id, d.batch_id, s.shipped_kg)
        .join(s, s.delivery_id == d.id)
        .where(*conditions, _first_since(s, q.cutoff),
               s.shipped_on <= q.on, d.created_at < q.cutoff, standing)
    )
    return union_all(current, former).subquery(name)


def harvested_in_period(q: IndicatorQuery) -> list[ColumnElement[bool]]:
    """Conditions on ``Batch``: not void at the cutoff, harvested within the period."""
    return [not_void_at(q.cutoff), HARVEST_DAY.between(q.period.start, q.period.end)]


def commodity_key(line: Any) -> ColumnElement[Any]:
    """SQL: a contract line's commodity code (``traceability`` ``Commodity``): its
    product's, else the line's text when it is a code, else ``other``."""
    text = func.lower(func.trim(line.commodity))
    product = (
        select(Product.commodity).where(Product.id == line.product_id).scalar_subquery()
    )
    named = case((text.in_(COMMODITY_VALUES), text), else_=literal(Commodity.OTHER.value))
    return func.coalesce(product, named)


# --- the sets each stage joins --------------------------------------------------------


def _overlapping(q: IndicatorQuery, c: Any) -> list[ColumnElement[bool]]:
    """Conditions on ``c`` (contracts in force): the term overlaps the period."""
    return [c.c.effective_from <= q.period.end,
            or_(c.c.effective_to.is_(None), c.c.effective_to >= q.period.start)]


def _relevant(q: IndicatorQuery, c: Any, counting_only: bool) -> list[ColumnElement[bool]]:
    """Conditions on ``c`` (contracts in force): the term overlaps the period and, with
    ``counting_only``, the status counts."""
    conditions = _overlapping(q, c)
    if counting_only:
        conditions.append(c.c.status.in_([s.value for s in COUNTING_CONTRACT_STATUSES]))
    return conditions


def _enterprise_parties(b: Basis, f: Any, tag: str) -> Subquery:
    """The parties of the contracts in force that are enterprises on the day (by their
    facts ``f``), through the parties' organisation index: ~117,000 of the 358,596."""
    enterprises = select(f.c.org_id).where(f.c.org_type == OrgType.DN.value)
    return b.contracts.parties_among("organisation_id", enterprises,
                                     f"enterprise_parties{tag}")


def _their_contracts(b: Basis, reg: Any, tag: str) -> CTE:
    """The contracts in force one of ``reg``'s cooperatives is a party to, found through
    the parties' organisation index and kept (a few thousand ids for a province), so that
    their terms, other parties and deliveries are looked up by contract id rather than by
    reading every contract's."""
    p = b.contracts.parties_among("organisation_id", select(reg.c.org_id),
                                  f"registry_parties{tag}")
    return materialized(select(p.c.contract_id).distinct(), f"their_contracts{tag}")


def _contract_sides(q: IndicatorQuery, b: Basis, tag: str, theirs: CTE | None = None,
                    counting_only: bool = False) -> Subquery:
    """The contracts in force whose term overlaps the period (``counting_only``: and
    whose status counts): ``contract_id, status, form``, ``enterprise`` (1: an
    enterprise, on the day, is one of the parties) and B's other counterparties — the
    parties that are an HTX or a union leading or buying, by their lowest and highest ids
    ``lead_min`` and ``lead_max``: one other than a given cooperative exists unless both
    are NULL or both are that cooperative (a distinct count would say as much but needs
    a sort). With ``theirs`` (``_their_contracts``), only those contracts (a province's,
    not the country's).

    The sides are read from the table kept at write time (``sides``) for every contract
    it holds as it stood on the day; the rest (``sides.unsettled``: changed since the day,
    or naming an organisation whose type changed) are worked out here from their parties
    in force and those parties' facts on the day, by the same rule. Worked out for every
    contract, that read the 358,596 parties of the country's contracts and their
    organisations' types: B by province 0.58 s, 0.36 s from the table (bench/RESULTS.md,
    2026-12-07 20:19)."""
    c = b.contracts.contracts
    of_theirs: list[ColumnElement[bool]] = []
    narrowed = theirs is not None and on_postgresql()
    if narrowed:
        assert theirs is not None
        # Their terms through the contracts' primary key, not a scan of every contract;
        # kept, as they are read twice (the relevant ones' ids, then their sides).
        c = materialized(select(b.contracts.contracts_among(
            select(theirs.c.contract_id), f"their_terms{tag}")), f"their_contracts_terms{tag}")
    elif theirs is not None:
        of_theirs.append(c.c.contract_id.in_(select(theirs.c.contract_id)))
    relevant = [*_relevant(q, c, counting_only), *of_theirs]
    unsettled = materialized(sides.unsettled(b.contracts.changed), f"unsettled{tag}")
    t = LinkageContractSides
    kept = select(t.contract_id, _flag(t.enterprise).label("enterprise"), t.lead_min,
                  t.lead_max).where(t.contract_id.not_in(select(unsettled.c.contract_id)))
    if narrowed:  # a province's few thousand rows through the primary key
        kept = kept.where(Among(t.contract_id, select(c.c.contract_id).where(*relevant)))
    # The unsettled ones among the relevant, through the contracts' primary key (not a
    # scan of them all): their parties in force, and those parties' facts alone, without
    # their profiles (only their types are read).
    listed = b.contracts.contracts_among(select(unsettled.c.contract_id),
                                         f"unsettled_terms{tag}")
    worked = select(listed.c.contract_id).where(*_relevant(q, listed, counting_only))
    if theirs is not None:
        worked = worked.where(listed.c.contract_id.in_(select(theirs.c.contract_id)))
    p = materialized(select(b.contracts.parties_among("contract_id", worked,
                                                      f"unsettled_parties{tag}")),
                     f"unsettled_party_rows{tag}")
    f = facts_on(q.on, q.cutoff, f"party_facts{tag}",
                 Organisation.id.in_(select(p.c.organisation_id)), profile=False)
    computed = (
        select(p.c.contract_id, *sides.side_columns(p.c.organisation_id, f.c.org_type,
                                                    p.c.role))
        .join(f, f.c.org_id == p.c.organisation_id)
        .where(sides.concerned(f.c.org_type, p.c.role))
        .group_by(p.c.contract_id)
    )
    found = union_all(kept, computed).subquery(f"party_kinds{tag}")
    return (
        select(c.c.contract_id, c.c.status, c.c.form,
               func.coalesce(found.c.enterprise, 0).label("enterprise"),
               found.c.lead_min, found.c.lead_max)
        .outerjoin(found, found.c.contract_id == c.c.contract_id)
        .where(*relevant)
        .subquery(f"contract_sides{tag}")
    )


def _first_since(change: Any, cutoff: Any) -> ColumnElement[bool]:
    """Condition on ``change`` (a delivery's kept history: ``LinkageDeliverySettlementChange``
    or ``LinkageDeliveryShippingChange``): recorded at or after ``cutoff``, and the first
    such of its delivery. Its values are what the delivery held at the cutoff."""
    later = aliased(change)
    earlier = select(later.id).where(
        later.delivery_id == change.delivery_id, later.changed_at >= cutoff,
        or_(later.changed_at < change.changed_at,
            and_(later.changed_at == change.changed_at, later.id < change.id)),
    ).correlate(change)
    return and_(change.changed_at >= cutoff, ~earlier.exists())


def _settled_before_correction(q: IndicatorQuery, contract_id: Any,
                              supplier_id: Any) -> list[ColumnElement[bool]]:
    """Conditions on ``LinkageDeliverySettlementChange``: for the pair, a delivery whose
    settlement was corrected at or after the cutoff (so that the row's own settlement is
    too late for C), and whose settlement in force at the cutoff — the values the first
    of those corrections replaced — was accepted in the period and settled before the
    cutoff, its shipping still standing then."""
    s, d = LinkageDeliverySettlementChange, LinkageDelivery
    # Uncorrelated, found once: a correlated look-up of the delivery was planned as a
    # hash join reading every delivery, for each pair asked.
    withdrawn = select(d.id).where(Among(d.shipment_id, withdrawn_before(q)))
    return [
        s.contract_id == contract_id, s.supplier_id == supplier_id,
        _first_since(s, q.cutoff),
        s.accepted_kg > 0, s.received_on >= q.period.start, s.received_on <= q.on,
        s.settled_at < q.cutoff, s.delivery_id.not_in(withdrawn),
    ]


def _first_accepted(q: IndicatorQuery, contract_id: Any, supplier_id: Any,
                    first: bool) -> ColumnElement[Any]:
    """SQL, for one (contract, supplier) pair of the enclosing statement: the id of an
    accepted delivery in the period (``first``: the lowest as the delivery stands, else
    the lowest of those whose settlement was corrected since the cutoff), else whether
    there is one. Asked only of the pairs that passed every earlier stage (a few thousand
    in a country) through the partial index ``ix_linkage_deliveries_accepted``: grouping
    the period's accepted deliveries of every supplier instead reads hundreds of
    thousands of rows (bench/RESULTS.md, 2026-12-07). The corrected settlements are
    looked at only when a correction was recorded since the cutoff (asked once per
    statement): a figure as of today never reads them."""
    if tallies.accepts(q):  # as of today, over a year: the tally's probe alone
        return tallies.first_accepted(q, contract_id, supplier_id)
    d, s = LinkageDelivery, LinkageDeliverySettlementChange
    conditions = [d.contract_id == contract_id, d.supplier_id == supplier_id,
                  *accepted_in_period(q)]
    corrected = _settled_before_correction(q, contract_id, supplier_id)
    if first:
        current = select(func.min(d.id)).where(*conditions).scalar_subquery()
        earlier = select(func.min(s.delivery_id)).where(*corrected).scalar_subquery()
    else:
        # Not EXISTS: PostgreSQL turns that into "(contract, supplier) IN (every accepted
        # delivery of the period)", which it then scanned for every pair.
        current = select(d.id).where(*conditions).limit(1).scalar_subquery()
        earlier = select(s.delivery_id).where(*corrected).limit(1).scalar_subquery()
    any_since = select(s.id).where(s.changed_at >= q.cutoff).exists()
    return func.coalesce(current, case((any_since, earlier)))


def _delivered(q: IndicatorQuery, reg: Any, tag: str, theirs: CTE | None) -> Subquery:
    """(contract, supplier) pairs under which the supplier shipped, by the reference day,
    a batch harvested in the period (the volume variant's drill-down): from the tallies
    when they answer (``tallies.answer``), else from the deliveries. With ``theirs``
    (``_their_contracts`` of ``reg``: only those pairs are asked about), the deliveries
    are read from the covering index ``ix_linkage_deliveries_contract_supplier`` for those
    contracts only, not from the 2 million deliveries."""
    if tallies.answer(q):
        return tallies.delivered(q, reg).subquery(f"delivered{tag}")
    d = LinkageDelivery
    of_registry = d.supplier_id.in_(select(reg.c.org_id))
    if theirs is not None and on_postgresql():
        # From the registry's batches of the period to their deliveries: ~36,000 for a
        # province, where its contracts have ~165,000 of every period, each then matched
        # to its batch (bench/RESULTS.md, 2026-12-07).
        batches = (select(Batch.id)
                   .where(Batch.organisation_id.in_(select(reg.c.org_id)),
                          *harvested_in_period(q)))
        shipped = shipped_known(q, [Among(d.batch_id, batches), of_registry,
                                    d.contract_id.in_(select(theirs.c.contract_id))],
                                f"delivered_shipped{tag}")
        stmt = select(shipped.c.contract_id, shipped.c.supplier_id)
        return stmt.distinct().subquery(f"delivered{tag}")
    shipped = shipped_known(q, [of_registry], f"delivered_shipped{tag}")
    stmt = (
        select(shipped.c.contract_id, shipped.c.supplier_id)
        .join(Batch, Batch.id == shipped.c.batch_id)
        .where(*harvested_in_period(q))
    )
    return stmt.distinct().subquery(f"delivered{tag}")


def _in_projects(q: IndicatorQuery, tag: str) -> Subquery:
    """Contracts of a linkage project decided on or before the reference day and
    recorded before the cutoff, in it as known at the cutoff: in it now with no change
    since, or taken out since (the first change since is a removal:
    ``LinkageProjectContractChange``)."""
    pc, ch = project_contracts, LinkageProjectContractChange
    later = (
        select(ch.project_id, ch.contract_id, ch.change,
               func.row_number().over(partition_by=(ch.project_id, ch.contract_id),
                                      order_by=(ch.changed_at, ch.id)).label("rank"))
        .where(ch.changed_at >= q.cutoff)
        .subquery(f"project_changes_since{tag}")
    )
    first = select(later.c.project_id, later.c.contract_id, later.c.change).where(
        later.c.rank == 1).subquery(f"project_first_changes{tag}")
    unchanged = ~select(first.c.project_id).where(
        first.c.project_id == pc.c.project_id, first.c.contract_id == pc.c.contract_id
    ).exists()
    members = union_all(
        select(pc.c.project_id, pc.c.contract_id).where(unchanged),
        select(first.c.project_id, first.c.contract_id)
        .where(first.c.change == ProjectMembership.REMOVED.value),
    ).subquery(f"project_members{tag}")
    return (
        select(members.c.contract_id)
        .join(LinkageProject, LinkageProject.id == members.c.project_id)
        .where(LinkageProject.decision_date <= q.on, LinkageProject.created_at < q.cutoff)
        .distinct()
        .subquery(f"in_projects{tag}")
    )


def _of_commodity(q: IndicatorQuery, tag: str) -> Subquery:
    line = LinkageContractLine
    return (
        select(line.contract_id).where(commodity_key(line) == q.commodity).distinct()
        .subquery(f"of_commodity{tag}")
    )


# --- pairs and standing ---------------------------------------------------------------


def pairs(q: IndicatorQuery, reg: Any, b: Basis, variant: Variant, tag: str = "",
          narrow: bool = False, counting_only: bool = False) -> Subquery:
    """Every (cooperative of ``reg``, contract in force overlapping the period it is a
    party to), with a 0/1 flag per stage of ``variant``: ``org_id, contract_id, form,
    status, draft, counterparty, broad, final, delivery_id`` (``broad``: the stage
    ``counterparty`` of B, for the "counts in B only" reason; ``delivery_id``: C's lowest
    accepted delivery under the contract). A cooperative listed twice on a contract (two
    roles) gives two equal rows. ``narrow``: ``reg`` is a small part of the country (a
    province, a group), so the contracts' sides are worked out for its contracts only;
    ``counting_only``: only whether a cooperative counts matters (a figure, not the
    reasons), so contracts whose status does not count are left out early."""
    # A basis of one province's facts has no others' facts: only its contracts' sides.
    narrow = narrow or b.province is not None
    theirs = _their_contracts(b, reg, tag) if narrow else None
    c = _contract_sides(q, b, tag, theirs, counting_only)
    p = b.contracts.parties_among("organisation_id", select(reg.c.org_id),
                                  f"cooperative_parties{tag}")
    org_id = p.c.organisation_id
    has_enterprise = c.c.enterprise == 1
    other_lead = or_(c.c.lead_min != org_id, c.c.lead_max != org_id)
    broad = or_(has_enterprise, other_lead)
    in_status = c.c.status.in_([s.value for s in COUNTING_CONTRACT_STATUSES])
    counterparty = broad if variant.broad_counterparty else has_enterprise
    stmt = select(p).join(c, c.c.contract_id == p.c.contract_id)
    own: list[ColumnElement[bool]] = []
    delivery: ColumnElement[Any] = literal(None)
    if variant.needs_delivery:
        # Guarded by the earlier stages, so that only their survivors are looked up.
        gate = and_(in_status, counterparty)
        if counting_only:
            found = _first_accepted(q, p.c.contract_id, org_id, False)
            own.append(case((gate, found)).is_not(None))
        else:
            delivery = case((gate, _first_accepted(q, p.c.contract_id, org_id, True)))
            if not on_postgresql():  # on PostgreSQL looked up once, below
                own.append(delivery.is_not(None))
    if variant.needs_project:
        projects = _in_projects(q, tag)
        stmt = stmt.outerjoin(projects, projects.c.contract_id == p.c.contract_id)
        own.append(projects.c.contract_id.is_not(None))
    if variant.form_one:
        own.append(c.c.form == 1)
    if variant.volume:
        delivered = _delivered(q, reg, tag, theirs)
        stmt = stmt.outerjoin(delivered, and_(delivered.c.contract_id == p.c.contract_id,
                                              delivered.c.supplier_id == org_id))
        own.append(delivered.c.contract_id.is_not(None))
    if q.commodity and not variant.volume:
        commodity = _of_commodity(q, tag)
        stmt = stmt.outerjoin(commodity, commodity.c.contract_id == p.c.contract_id)
        own.append(commodity.c.contract_id.is_not(None))
    stmt = stmt.with_only_columns(
        org_id.label("org_id"),
        p.c.contract_id,
        c.c.form,
        _flag(in_status).label("status"),
        _flag(c.c.status == ContractStatus.DRAFT.value).label("draft"),
        _flag(and_(in_status, counterparty)).label("counterparty"),
        _flag(and_(in_status, broad)).label("broad"),
        _flag(and_(in_status, counterparty, *own)).label("final"),
        delivery.label("delivery_id"),
    )
    if not (variant.needs_delivery and not counting_only and on_postgresql()):
        return stmt.subquery(f"pairs{tag}")
    # C's drill-down: each mention of the look-up runs it again (PostgreSQL inlines the
    # subquery into every expression reading it), and the flag and the delivery's id
    # both need it. Kept as found (a few thousand pairs for a province), the flag is
    # worked out from the id: a pair passes when every other condition holds and an
    # accepted delivery was found.
    kept = materialized(stmt, f"pairs_looked_up{tag}")
    return select(
        kept.c.org_id, kept.c.contract_id, kept.c.form, kept.c.status, kept.c.draft,
        kept.c.counterparty, kept.c.broad,
        _flag(and_(kept.c.final == 1, kept.c.delivery_id.is_not(None))).label("final"),
        kept.c.delivery_id,
    ).subquery(f"pairs{tag}")


def standing(q: IndicatorQuery, reg: Any, b: Basis, variant: Variant, tag: str = "",
             narrow: bool = False, counting_only: bool = False) -> CTE:
    """One row per cooperative of ``reg`` with a contract in force overlapping the period:
    ``org_id``, ``status``, ``draft``, ``counterparty``, ``broad`` (1 when one of its
    contracts passes that stage), ``contract_id`` (the lowest contract that makes it
    count, NULL when none does) and ``delivery_id`` (C: the lowest accepted delivery under
    one of those). A cooperative absent from it has no contract overlapping the period."""
    rows = pairs(q, reg, b, variant, tag, narrow, counting_only)
    final = rows.c.final == 1
    # Each mention of ``final`` repeats its look-ups (C's deliveries): a figure, which
    # reads no delivery, mentions it once.
    delivery = (cast(null(), Integer) if counting_only
                else func.min(case((final, rows.c.delivery_id))))
    return materialized(
        select(
            rows.c.org_id,
            func.max(rows.c.status).label("status"),
            func.max(rows.c.draft).label("draft"),
            func.max(rows.c.counterparty).label("counterparty"),
            func.max(rows.c.broad).label("broad"),
            func.min(case((final, rows.c.contract_id))).label("contract_id"),
            delivery.label("delivery_id"),
        ).group_by(rows.c.org_id),
        f"standing{tag}",
    )


def by_contract(q: IndicatorQuery, b: Basis, variant: Variant) -> bool:
    """Whether ``counting_pairs`` of ``variant`` are found from its counting contracts
    (``_counting_contracts``) rather than from every pair's stages (``pairs``): a
    country-wide statement of a variant whose rule is the contract's alone (A, D, E),
    or that and an accepted delivery of the pair (C), or that and a check of the pair
    against the contract's sides (B: another HTX than the cooperative itself leading).
    A province's statement reads only its own organisations' facts (``Basis.province``),
    not those of the enterprises its contracts name; the volume is summed from its A
    pairs."""
    return not variant.volume and not q.provinces and b.province is None


def _counting_contracts(q: IndicatorQuery, b: Basis, variant: Variant, tag: str) -> CTE:
    """The contracts in force that make each of their cooperative parties count under
    ``variant`` (C: given an accepted delivery of that cooperative; B: given its sides,
    ``_contract_sides``'s columns, which name another counterparty): a counting status,
    a term overlapping the period, an enterprise among the parties on the day, and the
    variant's own condition on the contract (D an approved project, E form 1) and the
    commodity asked. ``contract_id, form``: the rule of ``pairs`` decided contract by
    contract, in one pass over the enterprises' parties (A by province 0.79 → 0.50 s on
    the bench's country, bench/RESULTS.md, 2026-12-07, third session)."""
    if variant.broad_counterparty:
        # B: whether a pair counts depends on the cooperative too (another HTX than
        # itself leading or buying): the contracts with either kind of counterparty, with
        # their sides, for ``counting_pairs`` to decide pair by pair.
        c: Any = _contract_sides(q, b, tag, counting_only=True)
        conditions = [or_(c.c.enterprise == 1, c.c.lead_min.is_not(None))]
        if q.commodity:
            conditions.append(
                c.c.contract_id.in_(select(_of_commodity(q, tag).c.contract_id)))
        return materialized(select(c).where(*conditions), f"counting_contracts{tag}")
    c = b.contracts.contracts
    named = _enterprise_parties(b, b.facts, tag)
    conditions = [
        c.c.status.in_([s.value for s in COUNTING_CONTRACT_STATUSES]),
        *_overlapping(q, c),
        c.c.contract_id.in_(select(named.c.contract_id)),
    ]
    if variant.needs_project:
        conditions.append(c.c.contract_id.in_(select(_in_projects(q, tag).c.contract_id)))
    if variant.form_one:
        conditions.append(c.c.form == 1)
    if q.commodity and not variant.volume:
        conditions.append(c.c.contract_id.in_(select(_of_commodity(q, tag).c.contract_id)))
    return materialized(select(c.c.contract_id, c.c.form).where(*conditions),
                        f"counting_contracts{tag}")


def counting_pairs(q: IndicatorQuery, reg: Any, b: Basis, variant: Variant,
                   tag: str = "") -> Subquery:
    """The distinct (cooperative, contract) pairs that make a cooperative of ``reg``
    count under ``variant``: ``org_id, contract_id, form``; found contract by contract
    when ``by_contract`` says so, else from ``pairs``."""
    if not by_contract(q, b, variant):
        rows = pairs(q, reg, b, variant, tag, narrow=bool(q.provinces), counting_only=True)
        return (
            select(rows.c.org_id, rows.c.contract_id, rows.c.form)
            .where(rows.c.final == 1)
            .distinct()
            .subquery(f"counting_pairs{tag}")
        )
    counting = _counting_contracts(q, b, variant, tag)
    p = b.contracts.parties_among("contract_id", select(counting.c.contract_id),
                                  f"counting_parties{tag}")
    org_id = p.c.organisation_id
    found = (select(org_id.label("org_id"), p.c.contract_id, counting.c.form)
             .join(counting, counting.c.contract_id == p.c.contract_id)
             .where(org_id.in_(select(reg.c.org_id))))
    if variant.broad_counterparty:  # another HTX than the cooperative itself, or a firm
        found = found.where(or_(counting.c.enterprise == 1, counting.c.lead_min != org_id,
                                counting.c.lead_max != org_id))
    if variant.needs_delivery and on_postgresql() and tallies.accepts(q):
        # The pairs with an accepted delivery in the year, joined as a set. SQLite, given
        # the join, probed the tally for every cohort cooperative and counting contract
        # (C by province 1.4 → 62 s): it looks the candidate pairs up one by one, below.
        found = found.join(LinkageAcceptanceTally, and_(
            *tallies.accepted_pair(q, p.c.contract_id, p.c.organisation_id)))
    elif variant.needs_delivery:
        # The registry's pairs kept first, so that only they are looked up: left in one
        # statement, PostgreSQL asked every party of the contracts (71,879 look-ups
        # where the registry has 15,070 pairs).
        kept = materialized(found, f"candidate_pairs{tag}")
        found = select(kept).where(
            _first_accepted(q, kept.c.contract_id, kept.c.org_id, False).is_not(None))
    return found.distinct().subquery(f"counting_pairs{tag}")


def leaders(q: IndicatorQuery, b: Basis, tag: str = "") -> Subquery:
    """Per contract in force, ``leader_key``: ``dn_led`` or ``htx_led`` by the type, on
    the reference day, of its first leader party (by position, then id); contracts with
    another kind of leader are absent (callers read them as ``other``)."""
    p, f = b.contracts.parties, b.facts
    ranked = (
        select(
            p.c.contract_id,
            f.c.org_type,
            func.row_number().over(partition_by=p.c.contract_id,
                                   order_by=(p.c.position, p.c.organisation_id))
            .label("rank"),
        )
        .join(f, f.c.org_id == p.c.organisation_id)
        .where(p.c.role == PartyRole.LEADER.value)
        .subquery(f"ranked_leaders{tag}")
    )
    key = case(
        {OrgType.DN.value: "dn_led", OrgType.HTX.value: "htx_led",
         OrgType.LHHTX.value: "htx_led"},
        value=ranked.c.org_type,
        else_=literal("other"),
    )
    return (
        select(ranked.c.contract_id, key.label("leader_key"))
        .where(ranked.c.rank == 1)
        .subquery(f"leaders{tag}")
    )


def volume_shipped(q: IndicatorQuery, reg: Any, b: Basis, a_rule: Variant,
                   tag: str = "") -> Subquery:
    """Per (batch, supplier) of ``reg``, the kilograms shipped by the reference day under
    contracts that make the supplier count under ``a_rule`` (A, with the commodity asked):
    ``batch_id, supplier_id, shipped_kg``. On PostgreSQL the counting contracts'
    deliveries are read from the covering index ``ix_linkage_deliveries_contract_supplier``,
    their contracts' entries only (``Among``), where a hash join read all 2 million
    deliveries (bench/RESULTS.md, 2026-12-07); SQLite joins as before
    (module docstring)."""
    d = LinkageDelivery
    counted: Any = counting_pairs(q, reg, b, a_rule, f"{tag}_a")
    by_contract: list[ColumnElement[bool]] = []
    if on_postgresql():
        # Kept: read twice, for its contracts and for its pairs.
        counted = materialized(select(counted), f"counted{tag}")
        by_contract.append(Among(d.contract_id, select(counted.c.contract_id)))
    shipped = shipped_known(q, by_contract, f"counted_shipped{tag}")
    return (
        select(shipped.c.batch_id, shipped.c.supplier_id,
               func.sum(shipped.c.shipped_kg).label("shipped_kg"))
        .join(counted, and_(counted.c.org_id == shipped.c.supplier_id,
                            counted.c.contract_id == shipped.c.contract_id))
        .group_by(shipped.c.batch_id, shipped.c.supplier_id)
        .subquery(f"volume_shipped{tag}")
    )


# The variants that count cooperatives, whose totals ``variant_standing`` gives together
# (the volume-weighted variant sums kilograms).
COUNTING_VARIANTS = (VariantCode.A, VariantCode.B, VariantCode.C, VariantCode.D,
                     VariantCode.E)


@dataclass(frozen=True)
class EveryRule:
    """The pairs of a registry's cooperatives with their contracts in force overlapping
    the period (``stmt``, selecting from the parties ``parties`` joined to what every
    counting variant reads), and the stages as conditions on them: ``in_status`` and
    ``draft``, ``enterprise`` (A, C, D, E's counterparty stage), ``broad`` (B's) and
    ``rules``, the final rule of A, B, D and E with the commodity asked (C's is A's and
    an accepted delivery, looked up by the caller)."""

    stmt: Select[Any]
    parties: Subquery
    in_status: ColumnElement[bool]
    draft: ColumnElement[bool]
    enterprise: ColumnElement[bool]
    broad: ColumnElement[bool]
    rules: dict[VariantCode, ColumnElement[bool]]


def _every_rule(q: IndicatorQuery, reg: Any, b: Basis, tag: str,
                counting_only: bool) -> EveryRule:
    """``EveryRule`` of ``reg``: the contracts' sides, with B's counterparties, worked out
    once for every variant (``counting_only``: only contracts whose status counts)."""
    narrow = bool(q.provinces) or b.province is not None
    theirs = _their_contracts(b, reg, tag) if narrow else None
    c = _contract_sides(q, b, tag, theirs, counting_only=counting_only)
    p = b.contracts.parties_among("organisation_id", select(reg.c.org_id),
                                  f"cooperative_parties{tag}")
    org_id = p.c.organisation_id
    in_status = c.c.status.in_([s.value for s in COUNTING_CONTRACT_STATUSES])
    enterprise = and_(in_status, c.c.enterprise == 1)
    broad = and_(in_status, or_(c.c.enterprise == 1, c.c.lead_min != org_id,
                                c.c.lead_max != org_id))
    projects = _in_projects(q, tag)
    stmt = (
        select(p)
        .join(c, c.c.contract_id == p.c.contract_id)
        .outerjoin(projects, projects.c.contract_id == p.c.contract_id)
    )
    of_commodity: list[ColumnElement[bool]] = []
    if q.commodity:
        commodity = _of_commodity(q, tag)
        stmt = stmt.outerjoin(commodity, commodity.c.contract_id == p.c.contract_id)
        of_commodity.append(commodity.c.contract_id.is_not(None))
    a_rule = and_(enterprise, *of_commodity)
    rules = {
        VariantCode.A: a_rule,
        VariantCode.B: and_(broad, *of_commodity),
        VariantCode.D: and_(a_rule, projects.c.contract_id.is_not(None)),
        VariantCode.E: and_(a_rule, c.c.form == 1),
    }
    return EveryRule(stmt, p, in_status, c.c.status == ContractStatus.DRAFT.value,
                     enterprise, broad, rules)


def variant_standing(q: IndicatorQuery, reg: Any, b: Basis, tag: str = "") -> CTE:
    """One row per cooperative of ``reg`` with a counting contract in force overlapping
    the period: ``org_id`` and, for each of ``COUNTING_VARIANTS``, ``counted_<code>`` (1
    when one of its contracts makes it count under that variant), with the commodity
    asked. The rules of ``pairs`` for each variant, decided in one pass over the pairs
    (``_every_rule``; C's look-ups asked only of the pairs A counts), for a page that
    shows every variant's total."""
    every = _every_rule(q, reg, b, tag, counting_only=True)
    p = every.parties
    a_rule = every.rules[VariantCode.A]
    delivered = case((a_rule, _first_accepted(q, p.c.contract_id, p.c.organisation_id,
                                              False)))
    rules = {**every.rules, VariantCode.C: delivered.is_not(None)}
    rows = every.stmt.with_only_columns(
        p.c.organisation_id.label("org_id"),
        *(_flag(rules[code]).label(f"counted_{code.value}") for code in COUNTING_VARIANTS),
    ).subquery(f"variant_pairs{tag}")
    return materialized(
        select(rows.c.org_id,
               *(func.max(rows.c[f"counted_{code.value}"]).label(f"counted_{code.value}")
                 for code in COUNTING_VARIANTS))
        .group_by(rows.c.org_id),
        f"variant_standing{tag}",
    )


def standings(q: IndicatorQuery, reg: Any, b: Basis, tag: str = "") -> CTE:
    """``standing`` of every variant that counts cooperatives (``COUNTING_VARIANTS``) at
    once, from one pass over the pairs (``_every_rule``; C's look-ups asked only of the
    pairs A counts), for what needs all five drill-downs (a publication freezes them).
    One row per cooperative of ``reg`` with a contract in force overlapping the period:
    ``org_id, status, draft``, ``enterprise`` and ``broad`` (the counterparty stage of A,
    C, D, E and of B), ``contract_<code>`` per variant and ``delivery_C``;
    ``standing_of`` reads one variant's ``standing`` from it."""
    every = _every_rule(q, reg, b, tag, counting_only=False)
    p = every.parties
    # Each pair's look-up is kept with it, so that it runs once (``pairs`` says why).
    rows = materialized(
        every.stmt.with_only_columns(
            p.c.organisation_id.label("org_id"), p.c.contract_id,
            _flag(every.in_status).label("status"),
            _flag(every.draft).label("draft"),
            _flag(every.enterprise).label("enterprise"), _flag(every.broad).label("broad"),
            *(_flag(rule).label(f"final_{code.value}") for code, rule in every.rules.items()),
            case((every.rules[VariantCode.A],
                  _first_accepted(q, p.c.contract_id, p.c.organisation_id, True)))
            .label("delivery_id"),
        ),
        f"all_pairs{tag}",
    )
    finals = {code.value: rows.c[f"final_{code.value}"] == 1 for code in every.rules}
    finals[VariantCode.C.value] = rows.c.delivery_id.is_not(None)
    return materialized(
        select(
            rows.c.org_id,
            *(func.max(rows.c[name]).label(name)
              for name in ("status", "draft", "enterprise", "broad")),
            *(func.min(case((finals[code.value], rows.c.contract_id)))
              .label(f"contract_{code.value}") for code in COUNTING_VARIANTS),
            func.min(rows.c.delivery_id).label("delivery_C"),
        ).group_by(rows.c.org_id),
        f"standings{tag}",
    )


def standing_of(every: CTE, variant: Variant) -> Subquery:
    """``variant``'s ``standing`` (its columns) read from ``standings``."""
    code = variant.code.value
    counterparty = every.c.broad if variant.broad_counterparty else every.c.enterprise
    delivery = every.c.delivery_C if variant.needs_delivery else cast(null(), Integer)
    return select(
        every.c.org_id, every.c.status, every.c.draft, counterparty.label("counterparty"),
        every.c.broad, every.c[f"contract_{code}"].label("contract_id"),
        delivery.label("delivery_id"),
    ).subquery(f"standing_{code}")
