"""The linkage indicator's rule, one cooperative at a time, in plain Python: the reference
that the set-based statements (``linkages.indicator.links``, ``states``, ``figures``) must
match row for row (tests/linkages/test_indicator_oracle.py).

``Book.load`` reads the rows the rule looks at (contract versions and their parties,
contract lines, projects, deliveries, shipments' events, batches), none of the rule's
conditions applied, once per state of the world. Each question then walks the
cooperatives one by one, and each cooperative's contracts in force one by one, through
the rule's stages (DOMAIN.md §4). Only the registry on the reference day is read in SQL,
once per reference day, cutoff and exclusion setting: each organisation's facts in the
correlated form of the fact history (``asof.fact_on``, ``province_on``) and its exclusion
(``cohort.exclusion``). Nothing else is shared with the set-based code but the query
object, the variants' definitions, a contract line's commodity key
(``links.commodity_key``, read once per line) and the codes of the reasons.

Why Python: this used to be the app's per-cooperative SQL from before the set-based
rewrite, a statement of correlated subqueries per question and figure. Building and
compiling those took over half of the test's time, more than the code under test; over a
hand-built country of a few dozen rows, a loop states the same rule as independently of
the set-based code for next to nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.db import db
from linkages.indicator.asof import fact_on, province_on
from linkages.indicator.cohort import exclusion
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
from linkages.models.organisations import FactField, Organisation, OrgType
from traceability.models import Batch, BatchStatus, EpcisEvent, Product, Shipment

Row = dict[str, Any]
# A drill-down row: org_id, province, in_denominator, counted, reason, contract_id,
# delivery_id.
DrillRow = tuple[int, str | None, bool, bool, str | None, int | None, int | None]

COOPERATIVE_TYPES = frozenset(t.value for t in COOPERATIVE_COUNTERPARTY_TYPES)
LEADER_KEYS = {
    OrgType.DN.value: "dn_led",
    OrgType.HTX.value: "htx_led",
    OrgType.LHHTX.value: "htx_led",
}


@dataclass(frozen=True)
class Party:
    organisation_id: int
    role: PartyRole
    position: int


@dataclass(frozen=True)
class Version:
    """One recorded version of a contract, with its parties."""

    id: int
    contract_id: int
    number: int
    status: ContractStatus
    form: int
    effective_from: date
    effective_to: date | None
    effective_on: date
    recorded_at: datetime
    parties: tuple[Party, ...]


@dataclass(frozen=True)
class Delivery:
    id: int
    contract_id: int
    supplier_id: int
    batch_id: int
    shipment_id: int | None
    shipped_on: date
    shipped_kg: Decimal
    created_at: datetime
    received_on: date | None
    accepted_kg: Decimal | None
    settled_at: datetime | None


@dataclass(frozen=True)
class HarvestBatch:
    id: int
    organisation_id: int
    status: BatchStatus
    harvest_start: date | None
    harvest_end: date | None
    created_at: datetime
    quantity_kg: Decimal
    commodity: str

    @property
    def harvested(self) -> date | None:
        return self.harvest_start if self.harvest_start is not None else self.harvest_end


@dataclass(frozen=True)
class OnDay:
    """An organisation on a query's reference day, as known at its cutoff."""

    org_id: int
    org_type: str | None
    province: str | None
    size_class: Any
    recorded: bool  # its row was recorded before the cutoff
    excluded: str | None  # ``cohort.exclusion`` (meaningful for an HTX)


# The organisations on each reference day (``Book.organisations``), by what decides them.
Registries = dict[tuple[Any, ...], dict[int, OnDay]]


@dataclass
class Book:
    """The rows the rule reads, as they are when loaded (``load``): load one again after
    changing the world."""

    versions: dict[int, list[Version]]  # by contract
    lines: dict[int, list[str]]  # commodity keys of each contract's lines
    projects: dict[int, list[tuple[date, datetime]]]  # (decision day, recorded at)
    deliveries: list[Delivery]
    batches: dict[int, HarvestBatch]
    # Each shipment with a shipping event: when that event was withdrawn (None: never).
    shipping_withdrawn: dict[int, datetime | None]
    registries: Registries = field(default_factory=dict)

    @classmethod
    def load(cls, registries: Registries | None = None) -> Book:
        """The rows as they are now. ``registries`` shares the organisations on each
        reference day with other books: only between states of the world that differ in
        no organisation and no registry fact (a test's deliveries or shipments, say)."""
        parties: dict[int, list[Party]] = defaultdict(list)
        vp = LinkageContractVersionParty
        for version_id, org_id, role, position in db.session.execute(
            select(vp.version_id, vp.organisation_id, vp.role, vp.position)
        ):
            parties[version_id].append(Party(org_id, role, position))
        v = LinkageContractVersion
        versions: dict[int, list[Version]] = defaultdict(list)
        for r in db.session.execute(
            select(
                v.id,
                v.contract_id,
                v.number,
                v.status,
                v.form,
                v.effective_from,
                v.effective_to,
                v.effective_on,
                v.recorded_at,
            )
        ):
            versions[r.contract_id].append(Version(*r, parties=tuple(parties[r.id])))
        line = LinkageContractLine
        lines: dict[int, list[str]] = defaultdict(list)
        for contract_id, key in db.session.execute(select(line.contract_id, commodity_key(line))):
            lines[contract_id].append(key)
        projects: dict[int, list[tuple[date, datetime]]] = defaultdict(list)
        p = LinkageProject
        for contract_id, decided, created in db.session.execute(
            select(project_contracts.c.contract_id, p.decision_date, p.created_at).join(
                p, p.id == project_contracts.c.project_id
            )
        ):
            projects[contract_id].append((decided, created))
        d = LinkageDelivery
        deliveries = [
            Delivery(*r)
            for r in db.session.execute(
                select(
                    d.id,
                    d.contract_id,
                    d.supplier_id,
                    d.batch_id,
                    d.shipment_id,
                    d.shipped_on,
                    d.shipped_kg,
                    d.created_at,
                    d.received_on,
                    d.accepted_kg,
                    d.settled_at,
                )
            )
        ]
        b = Batch
        batches = {
            r.id: HarvestBatch(*r)
            for r in db.session.execute(
                select(
                    b.id,
                    b.organisation_id,
                    b.status,
                    b.harvest_start,
                    b.harvest_end,
                    b.created_at,
                    b.quantity_kg,
                    Product.commodity,
                ).join(Product, Product.id == b.product_id)
            )
        }
        shipping_withdrawn: dict[int, datetime | None] = {
            shipment_id: withdrawn
            for shipment_id, withdrawn in db.session.execute(
                select(Shipment.id, EpcisEvent.retracted_at).join(
                    EpcisEvent, EpcisEvent.id == Shipment.ship_event_pk
                )
            )
        }
        return cls(
            dict(versions),
            dict(lines),
            dict(projects),
            deliveries,
            batches,
            shipping_withdrawn,
            {} if registries is None else registries,
        )

    # --- the registry on the reference day (SQL, once per day) -------------------------

    def organisations(self, q: IndicatorQuery) -> dict[int, OnDay]:
        """Every organisation on the reference day, whatever its type (a counterparty's
        or a leader's type is read here too), by id."""
        key = (q.on, q.cutoff, q.period.end, q.include_suspended)
        if key not in self.registries:
            org, on, cutoff = Organisation, q.on, q.cutoff
            facts = (
                select(
                    org.id.label("org_id"),
                    fact_on(org, FactField.ORG_TYPE, on, cutoff).label("org_type"),
                    fact_on(org, FactField.STATUS, on, cutoff).label("status"),
                    fact_on(org, FactField.REGISTERED_ON, on, cutoff).label("registered_on"),
                    province_on(org, on, cutoff).label("province"),
                    CooperativeProfile.field_group,
                    CooperativeProfile.size_class,
                    (org.created_at < cutoff).label("recorded"),
                )
                .outerjoin(CooperativeProfile, CooperativeProfile.organisation_id == org.id)
                .subquery("facts_on_day")
            )
            stmt = select(
                facts.c.org_id,
                facts.c.org_type,
                facts.c.province,
                facts.c.size_class,
                facts.c.recorded,
                exclusion(q, facts).label("excluded"),
            )
            self.registries[key] = {
                r.org_id: OnDay(
                    r.org_id, r.org_type, r.province, r.size_class, bool(r.recorded), r.excluded
                )
                for r in db.session.execute(stmt)
            }
        return self.registries[key]

    def registry(self, q: IndicatorQuery) -> list[OnDay]:
        """Every HTX (its type on the reference day) recorded before the cutoff, in the
        asked geography (each province filter must hold)."""
        return [
            o
            for o in self.organisations(q).values()
            if o.recorded
            and o.org_type == DENOMINATOR_TYPE.value
            and all(o.province == province for province in q.provinces)
        ]

    def cohort(self, q: IndicatorQuery) -> list[OnDay]:
        """The denominator: the registry's HTX with no exclusion."""
        return [o for o in self.registry(q) if o.excluded is None]

    # --- one cooperative's contracts -----------------------------------------------------

    def in_force(self, q: IndicatorQuery) -> list[Version]:
        """Each contract's version in force on the reference day as known at the cutoff:
        the highest-numbered one taking effect by then and recorded before it."""
        found = []
        for versions in self.versions.values():
            known = [v for v in versions if v.effective_on <= q.on and v.recorded_at < q.cutoff]
            if known:
                found.append(max(known, key=lambda v: v.number))
        return found

    def contracts(
        self, q: IndicatorQuery, org_id: int, stage: str, variant: Variant | None = None
    ) -> list[Version]:
        """The versions in force listing the cooperative as a party that pass ``stage``
        for ``variant`` (default: the query's)."""
        return [
            v
            for v in self.in_force(q)
            if any(p.organisation_id == org_id for p in v.parties)
            and self.passes(q, v, org_id, stage, variant or q.variant)
        ]

    def passes(
        self, q: IndicatorQuery, v: Version, org_id: int, stage: str, variant: Variant
    ) -> bool:
        """Does the version ``v`` of one of the cooperative's contracts pass the stages up
        to ``stage``?"""
        period = q.period
        if v.effective_from > period.end:
            return False
        if v.effective_to is not None and v.effective_to < period.start:
            return False
        if stage == "party":
            return True
        if v.status not in COUNTING_CONTRACT_STATUSES:
            return False
        if stage == "status":
            return True
        if not self.counterparty(q, v, org_id, broad=variant.broad_counterparty):
            return False
        if stage == "counterparty":
            return True
        assert stage == "final", stage
        if variant.needs_delivery and not any(
            d.contract_id == v.contract_id and self.accepted_in_period(q, d, org_id)
            for d in self.deliveries
        ):
            return False
        if variant.needs_project and not any(
            decided <= q.on and recorded < q.cutoff
            for decided, recorded in self.projects.get(v.contract_id, ())
        ):
            return False
        if variant.form_one and v.form != 1:
            return False
        if variant.volume and not any(
            d.contract_id == v.contract_id
            and self.shipped_by(q, d, org_id)
            and self.harvested_in_period(q, self.batches[d.batch_id])
            for d in self.deliveries
        ):
            return False
        return not (
            q.commodity
            and not variant.volume
            and q.commodity not in self.lines.get(v.contract_id, ())
        )

    def counterparty(self, q: IndicatorQuery, v: Version, org_id: int, *, broad: bool) -> bool:
        """Another party of ``v`` is an enterprise on the reference day (``broad``: or an
        HTX / LHHTX leading or buying)."""
        types = self.organisations(q)
        for party in v.parties:
            if party.organisation_id == org_id:
                continue
            kind = types[party.organisation_id].org_type
            if kind == OrgType.DN.value:
                return True
            if broad and kind in COOPERATIVE_TYPES and party.role in COOPERATIVE_COUNTERPARTY_ROLES:
                return True
        return False

    def standing(self, q: IndicatorQuery, d: Delivery) -> bool:
        """The delivery's shipping was recorded and not withdrawn before the cutoff."""
        if d.shipment_id is None or d.shipment_id not in self.shipping_withdrawn:
            return False
        withdrawn = self.shipping_withdrawn[d.shipment_id]
        return withdrawn is None or withdrawn >= q.cutoff

    def accepted_in_period(self, q: IndicatorQuery, d: Delivery, org_id: int) -> bool:
        """Variant C: the cooperative supplied it, it was accepted (above 0 kg) and
        received within the period, settled before the cutoff, its shipping standing."""
        return (
            d.supplier_id == org_id
            and d.accepted_kg is not None
            and d.accepted_kg > 0
            and d.received_on is not None
            and q.period.start <= d.received_on <= q.on
            and d.settled_at is not None
            and d.settled_at < q.cutoff
            and self.standing(q, d)
        )

    def shipped_by(self, q: IndicatorQuery, d: Delivery, org_id: int) -> bool:
        """The volume variant: the cooperative supplied it, shipped by the reference day,
        recorded before the cutoff, its shipping standing."""
        return (
            d.supplier_id == org_id
            and d.shipped_on <= q.on
            and d.created_at < q.cutoff
            and self.standing(q, d)
        )

    @staticmethod
    def harvested_in_period(q: IndicatorQuery, b: HarvestBatch) -> bool:
        return (
            b.status != BatchStatus.VOID
            and b.harvested is not None
            and q.period.start <= b.harvested <= q.period.end
        )

    # --- one cooperative's place in the figure -------------------------------------------

    def reason(self, q: IndicatorQuery, o: OnDay) -> str | None:
        """The first reason the cooperative does not count (None: it counts)."""
        if o.excluded is not None:
            return o.excluded
        party = self.contracts(q, o.org_id, "party")
        if not party:
            return "no_contract_overlapping_period"
        if not self.contracts(q, o.org_id, "status"):
            if any(v.status == ContractStatus.DRAFT for v in party):
                return "contract_still_draft"
            return "contract_not_in_force"
        if not self.contracts(q, o.org_id, "counterparty"):
            if not q.variant.broad_counterparty and self.contracts(
                q, o.org_id, "counterparty", VARIANTS[VariantCode.B]
            ):
                return "counterparty_cooperative_counts_in_b_only"
            return "no_enterprise_counterparty"
        if not self.contracts(q, o.org_id, "final"):
            return final_reason(q.variant)
        return None

    def drill_rows(self, q: IndicatorQuery) -> list[DrillRow]:
        """Every HTX of the geography (the drill-down's "all"), sorted."""
        rows: list[DrillRow] = []
        for o in self.registry(q):
            why = self.reason(q, o)
            counting = {v.contract_id for v in self.contracts(q, o.org_id, "final")}
            delivery = None
            if q.variant.needs_delivery:
                delivery = _least(
                    d.id
                    for d in self.deliveries
                    if d.contract_id in counting and self.accepted_in_period(q, d, o.org_id)
                )
            rows.append(
                (
                    o.org_id,
                    o.province,
                    o.excluded is None,
                    why is None,
                    why,
                    _least(counting),
                    delivery,
                )
            )
        return sorted(rows)

    def counted_share(self, q: IndicatorQuery) -> tuple[int, int]:
        """(numerator, denominator) of a counting variant (A–E) over the whole
        geography."""
        cohort = self.cohort(q)
        counted = sum(1 for o in cohort if self.contracts(q, o.org_id, "final"))
        return counted, len(cohort)

    def contract_groups(self, q: IndicatorQuery, breakdown: str) -> list[Row]:
        """Per commodity, form or leader type: the cooperatives of the denominator with a
        counting contract of that group, over the whole denominator."""
        cohort = self.cohort(q)
        counted: dict[Any, set[int]] = defaultdict(set)
        for o in cohort:
            for v in self.contracts(q, o.org_id, "final"):
                for key in self.contract_keys(q, v, breakdown):
                    counted[key].add(o.org_id)
        return [
            {"key": key, "numerator": len(orgs), "denominator": len(cohort)}
            for key, orgs in counted.items()
        ]

    def contract_keys(self, q: IndicatorQuery, v: Version, breakdown: str) -> list[Any]:
        if breakdown == Breakdown.COMMODITY:
            # The commodity asked, not every line of a contract that has it.
            return [
                k for k in self.lines.get(v.contract_id, ()) if not q.commodity or k == q.commodity
            ]
        if breakdown == Breakdown.FORM:
            return [v.form]
        assert breakdown == Breakdown.LEADER_TYPE, breakdown
        leaders = sorted(
            (p.position, p.organisation_id) for p in v.parties if p.role == PartyRole.LEADER
        )
        if not leaders:
            return ["other"]
        kind = self.organisations(q)[leaders[0][1]].org_type
        return [LEADER_KEYS.get(kind or "", "other")]

    def volume_groups(self, q: IndicatorQuery, breakdown: str) -> list[Row]:
        """Per group of cooperatives: kilograms of their batches harvested in the period
        shipped under a contract counted by A (at most each batch's own weight), over the
        kilograms of all those batches."""
        a_rule = VARIANTS[VariantCode.A]
        groups: dict[Any, Row] = {}
        for o in self.cohort(q):
            counting = {v.contract_id for v in self.contracts(q, o.org_id, "final", a_rule)}
            for b in self.batches.values():
                if (
                    b.organisation_id != o.org_id
                    or not self.harvested_in_period(q, b)
                    or b.created_at >= q.cutoff
                    or (q.commodity and b.commodity != q.commodity)
                ):
                    continue
                shipped = sum(
                    (
                        d.shipped_kg
                        for d in self.deliveries
                        if d.batch_id == b.id
                        and d.contract_id in counting
                        and self.shipped_by(q, d, o.org_id)
                    ),
                    Decimal(0),
                )
                group = groups.setdefault(
                    _cooperative_key(o, breakdown),
                    {"numerator": Decimal(0), "denominator": Decimal(0), "orgs": set()},
                )
                group["numerator"] += min(shipped, b.quantity_kg)
                group["denominator"] += b.quantity_kg
                group["orgs"].add(o.org_id)
        return [
            {
                "key": key,
                "numerator": g["numerator"],
                "denominator": g["denominator"],
                "cooperatives": len(g["orgs"]),
            }
            for key, g in groups.items()
        ]


def _cooperative_key(o: OnDay, breakdown: str) -> Any:
    """The group of a breakdown by the cooperative (the region's is not asked here)."""
    if breakdown == Breakdown.PROVINCE:
        return o.province
    if breakdown == Breakdown.SIZE_CLASS:
        return o.size_class
    assert breakdown == Breakdown.NONE, breakdown
    return "all"


def _least(values: Iterable[int]) -> int | None:
    return min(values, default=None)
