"""A hand-built country for the linkage indicator tests (tests/linkages/test_indicator.py).

Statistical year 2025 runs 15 Dec 2024 – 14 Dec 2025; 2026 runs 15 Dec 2025 – 14 Dec 2026.
Organisations are recorded in 2020 unless said; contracts' versions are inserted with their
own effective days and recording times, so that as-of dates before "today" can be tested.

Cooperatives (HTX, agricultural, Hà Nội 01 unless said):

- h1: K1 with enterprise DN1, form 1, active 2025-01-01…2025-12-31, in an approved
  project, one accepted delivery (600 of a 1,000 kg batch) in 2025; terminated effective
  and recorded 2026-02-01;
- h2: K2 with DN1, form 2, completed, term 2024-06-01…2025-12-14 (ends exactly on 14 Dec);
  a 500 kg batch never delivered;
- h3: K3 producer, h4 its HTX leader and offtaker (HTX-led): h3 counts in B only;
- h4: leader of K3: its only counterparty, h3, neither leads nor buys;
- h5: K5 with DN1, a draft never confirmed;
- h6: K6 with DN1, signed 2025-01-10, terminated 2025-06-01;
- h7: dissolved effective 2025-07-01, with a signed contract K7 with DN1;
- h8: suspended effective 2025-03-01 but recorded only on 2026-01-05; K8 with DN1;
- h9: registered 2026-01-10 (recorded then), no contract;
- h10: a pre-2025 record in legacy province 74 (Bình Dương → 79 Hồ Chí Minh), K10 with DN2,
  open-ended from 2025-01-01;
- h11: an HTX of the trade-and-services field group with a contract K11 with DN1;
- h12: no contract; a 300 kg batch;
- h13: K13 with DN1, form 3, from 2025-01-01; dissolved effective 2026-03-01; under K13
  it shipped, on 2025-01-10, 400 kg of a lot harvested on 2024-11-20 (before 2025);
- U1: an agricultural LHHTX with a contract with DN1 (never in the denominator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from core.actor import Actor, OrgRole
from core.db import db
from linkages.models.contracts import (
    ContractStatus,
    LinkageContract,
    LinkageContractLine,
    LinkageContractParty,
    LinkageContractVersion,
    LinkageContractVersionParty,
    LinkageProject,
    PartyRole,
    PriceMechanism,
    VersionChange,
    project_contracts,
)
from linkages.models.cooperatives import CooperativeProfile, FieldGroup, SizeClass
from linkages.models.deliveries import LinkageDelivery
from linkages.models.organisations import (
    FactField,
    Organisation,
    OrganisationFactChange,
    OrgStatus,
    OrgType,
)
from tests.factories import HANOI, HCMC, ensure_place, make_org, make_user_with_token
from tests.traceability.batch_factories import make_area, make_product
from traceability.models import Shipment
from traceability.services.recording import record_harvest, record_shipping

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def at(day: date) -> datetime:
    """Noon UTC of ``day`` (19:00 in Vietnam, the same calendar day)."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@dataclass
class IndicatorWorld:
    orgs: dict[str, Organisation] = field(default_factory=dict)
    contracts: dict[str, LinkageContract] = field(default_factory=dict)
    delivery_id: int = 0

    def id(self, name: str) -> int:
        return self.orgs[name].id


def _coop(world: IndicatorWorld, name: str, *, org_type: OrgType = OrgType.HTX,
          province: str | None = HANOI, group: FieldGroup = FieldGroup.AGRICULTURE,
          size: SizeClass = SizeClass.SMALL, created: datetime = LONG_AGO,
          **fields: Any) -> Organisation:
    org = make_org(f"Indicator {name}", org_type, province_code=province,
                   registered_on=fields.pop("registered_on", date(2019, 5, 1)), **fields)
    org.created_at = created
    if org_type != OrgType.DN:
        db.session.add(CooperativeProfile(organisation_id=org.id, field_group=group,
                                          size_class=size))
    db.session.commit()
    world.orgs[name] = org
    return org


def _fact(org: Organisation, fact: FactField, old: str, new: str, effective: date,
          recorded: date) -> None:
    db.session.add(OrganisationFactChange(
        organisation_id=org.id, field=fact, old_value=old, new_value=new,
        effective_on=effective, reason="test", changed_at=at(recorded)))
    setattr(org, fact.value, OrgStatus(new) if fact == FactField.STATUS else new)


def _contract(world: IndicatorWorld, name: str, parties: list[tuple[str, PartyRole]], *,
              form_stages: tuple[bool, bool, bool] = (False, True, False),
              start: date = date(2025, 1, 1), end: date | None = None,
              history: list[tuple[ContractStatus, date]],
              commodity: str = "coffee") -> LinkageContract:
    """A contract whose versions take effect (and are recorded) on the given days."""
    from linkages.models.contracts import linkage_form

    form = linkage_form(*form_stages)
    assert form is not None
    contract = LinkageContract(
        code=f"LK-T-{name}", title=f"Contract {name}", status=history[-1][0],
        stage_inputs=form_stages[0], stage_production=form_stages[1],
        stage_processing=form_stages[2], form=form, price_mechanism=PriceMechanism.FIXED,
        effective_from=start, effective_to=end, version_count=len(history),
    )
    contract.parties = [
        LinkageContractParty(organisation_id=world.id(org), role=role, position=i)
        for i, (org, role) in enumerate(parties)
    ]
    contract.lines = [LinkageContractLine(commodity=commodity, planned_quantity=Decimal(1000),
                                          unit="kg", planned_quantity_kg=Decimal(1000))]
    db.session.add(contract)
    db.session.flush()
    for number, (status, day) in enumerate(history, start=1):
        version = LinkageContractVersion(
            contract_id=contract.id, number=number, change=VersionChange.CREATED,
            status=status, form=form, effective_from=start, effective_to=end,
            terms_version=1, effective_on=day, recorded_at=at(day), snapshot={},
        )
        db.session.add(version)
        db.session.flush()
        db.session.add_all(
            LinkageContractVersionParty(version_id=version.id, organisation_id=world.id(org),
                                        role=role, position=i)
            for i, (org, role) in enumerate(parties)
        )
    db.session.commit()
    world.contracts[name] = contract
    return contract


def _batch(org: Organisation, kg: int, harvested: date) -> int:
    user, _headers = make_user_with_token(org)
    actor = Actor(user_id=user.id, organisation_id=org.id, org_role=OrgRole.ORG_ADMIN)
    area = make_area(org)
    product = make_product(org)
    recorded = record_harvest(actor, area_ids=[area.id], product_id=product.id,
                              quantity=Decimal(kg), unit="kg", harvested_on=harvested)
    db.session.commit()
    return recorded.id


def build() -> IndicatorWorld:
    """The world of the module docstring, committed (inside the test's transaction)."""
    ensure_place(HCMC)
    w = IndicatorWorld()
    for name, province in (("DN1", HANOI), ("DN2", HCMC)):
        _coop(w, name, org_type=OrgType.DN, province=province)
    for name in ("h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h12", "h13"):
        _coop(w, name, size=SizeClass.MEDIUM if name in ("h1", "h2") else SizeClass.SMALL)
    _coop(w, "h9", registered_on=date(2026, 1, 10), created=at(date(2026, 1, 10)))
    _coop(w, "h10", province=None, legacy_province_code="74")
    _coop(w, "h11", group=FieldGroup.TRADE_SERVICES)
    _coop(w, "U1", org_type=OrgType.LHHTX)

    signed = [(ContractStatus.SIGNED, date(2024, 12, 20)),
              (ContractStatus.ACTIVE, date(2025, 1, 1))]
    dn = [("DN1", PartyRole.OFFTAKER)]
    _contract(w, "K1", [("h1", PartyRole.PRODUCER), *dn], form_stages=(True, True, True),
              end=date(2025, 12, 31),
              history=[*signed, (ContractStatus.TERMINATED, date(2026, 2, 1))])
    _contract(w, "K2", [("h2", PartyRole.PRODUCER), ("DN1", PartyRole.LEADER)],
              form_stages=(True, False, False), start=date(2024, 6, 1),
              end=date(2025, 12, 14),
              history=[(ContractStatus.ACTIVE, date(2024, 6, 1)),
                       (ContractStatus.COMPLETED, date(2025, 12, 14))])
    _contract(w, "K3", [("h4", PartyRole.LEADER), ("h3", PartyRole.PRODUCER),
                        ("h4", PartyRole.OFFTAKER)], history=signed)
    _contract(w, "K5", [("h5", PartyRole.PRODUCER), *dn],
              history=[(ContractStatus.DRAFT, date(2025, 2, 1))])
    _contract(w, "K6", [("h6", PartyRole.PRODUCER), *dn],
              history=[(ContractStatus.SIGNED, date(2025, 1, 10)),
                       (ContractStatus.ACTIVE, date(2025, 1, 11)),
                       (ContractStatus.TERMINATED, date(2025, 6, 1))])
    for name in ("h7", "h8", "h11", "U1"):
        _contract(w, f"K-{name}", [(name, PartyRole.PRODUCER), *dn], history=signed)
    _contract(w, "K10", [("h10", PartyRole.PRODUCER), ("DN2", PartyRole.OFFTAKER)],
              history=signed)
    _contract(w, "K13", [("h13", PartyRole.PRODUCER), ("DN1", PartyRole.LEADER)],
              history=signed)

    _fact(w.orgs["h7"], FactField.STATUS, "active", "dissolved", date(2025, 7, 1),
          date(2025, 7, 1))
    _fact(w.orgs["h8"], FactField.STATUS, "active", "suspended", date(2025, 3, 1),
          date(2026, 1, 5))
    _fact(w.orgs["h13"], FactField.STATUS, "active", "dissolved", date(2026, 3, 1),
          date(2026, 3, 1))

    project = LinkageProject(number="QD-1", name="Coffee chain", province_code=HANOI,
                             decision_date=date(2025, 2, 1), created_at=at(date(2025, 2, 1)))
    db.session.add(project)
    db.session.flush()
    db.session.execute(project_contracts.insert().values(
        project_id=project.id, contract_id=w.contracts["K1"].id))
    db.session.commit()

    # Volume: h1 1,000 kg (600 delivered under K1), h2 500 kg, h12 300 kg, all in 2025.
    b1 = _batch(w.orgs["h1"], 1000, date(2025, 3, 1))
    _batch(w.orgs["h2"], 500, date(2025, 5, 1))
    _batch(w.orgs["h12"], 300, date(2025, 6, 1))
    user, _headers = make_user_with_token(w.orgs["h1"])
    actor = Actor(user_id=user.id, organisation_id=w.id("h1"), org_role=OrgRole.ORG_ADMIN)
    record_shipping(actor, b1, to_organisation_id=w.id("DN1"), quantity=Decimal(600),
                    unit="kg", shipped_at=date(2025, 4, 1))
    shipment_id = db.session.scalar(select(Shipment.id).where(Shipment.batch_id == b1))
    line_id = w.contracts["K1"].lines[0].id
    delivery = LinkageDelivery(
        contract_id=w.contracts["K1"].id, line_id=line_id, shipment_id=shipment_id,
        batch_id=b1, supplier_id=w.id("h1"), buyer_id=w.id("DN1"),
        shipped_on=date(2025, 4, 1), shipped_kg=Decimal(600), received_on=date(2025, 4, 3),
        accepted_kg=Decimal(600), rejected_kg=Decimal(0), settled_at=at(date(2025, 4, 3)),
        created_at=at(date(2025, 4, 1)),
    )
    db.session.add(delivery)
    db.session.commit()
    w.delivery_id = delivery.id
    # h13 delivers under K13, in 2025, a lot harvested before the period: the volume
    # counts no batch of h13 in 2025 (not settled: nothing for C either).
    early = _batch(w.orgs["h13"], 400, date(2024, 11, 20))
    user, _headers = make_user_with_token(w.orgs["h13"])
    actor = Actor(user_id=user.id, organisation_id=w.id("h13"), org_role=OrgRole.ORG_ADMIN)
    record_shipping(actor, early, to_organisation_id=w.id("DN1"), quantity=Decimal(400),
                    unit="kg", shipped_at=date(2025, 1, 10))
    db.session.add(LinkageDelivery(
        contract_id=w.contracts["K13"].id, line_id=w.contracts["K13"].lines[0].id,
        shipment_id=db.session.scalar(select(Shipment.id).where(Shipment.batch_id == early)),
        batch_id=early, supplier_id=w.id("h13"), buyer_id=w.id("DN1"),
        shipped_on=date(2025, 1, 10), shipped_kg=Decimal(400),
        created_at=at(date(2025, 1, 10)),
    ))
    db.session.commit()
    # The organisations' rows record 2020 (their batches and users are today's).
    db.session.execute(update(Organisation).where(
        Organisation.id.in_([o.id for n, o in w.orgs.items() if n != "h9"]))
        .values(created_at=LONG_AGO))
    db.session.commit()
    return w
