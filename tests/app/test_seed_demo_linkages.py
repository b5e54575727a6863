"""The demo's linkage data (``app.demo.linkages``, run by ``flask seed-demo``): contracts of
all seven Decree 98 forms in every status, the HTX-led one, the side-selling case, two
province projects, and supplier verifications in each state — as the demo accounts see
them through the services.

Every test reads the shared demo country (``demo_country``, tests/conftest.py): seeding it
is the expensive part, and it is seeded once per run."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.demo.country import COFFEE_BUYER, COFFEE_HTX, PEPPER_HTX
from core.actor import Actor, OrgRole, PlatformRole
from core.clock import local_today
from core.db import db
from linkages.models import Organisation, OrgType
from linkages.models.contracts import (
    ContractStatus,
    LinkageContract,
    LinkageContractVersion,
    LinkageProject,
    PartyRole,
    VersionChange,
)
from linkages.models.suppliers import SupplierVerification, VerificationStatus
from linkages.services.contracts import list_contracts
from linkages.services.scorecard import supplier_scorecard
from linkages.services.verification import list_verifications
from traceability.models import Batch, Shipment


def _orgs() -> dict[int, Organisation]:
    return {o.id: o for o in db.session.scalars(select(Organisation))}


def _contracts() -> list[LinkageContract]:
    return list(db.session.scalars(select(LinkageContract).order_by(LinkageContract.id)))


def _user(report, email: str) -> int:
    return next(uid for account, uid in report.accounts if account.email == email)


def _member(report, email: str, org: Organisation) -> Actor:
    return Actor(user_id=_user(report, email), organisation_id=org.id,
                 org_role=OrgRole.ORG_ADMIN)


def test_contracts_cover_the_seven_forms_and_every_status(demo_country):
    contracts = _contracts()
    assert {c.form for c in contracts} == set(range(1, 8))
    assert {c.status for c in contracts} == set(ContractStatus)
    orgs = _orgs()
    today = local_today()
    for contract in contracts:
        types = {orgs[p.organisation_id].org_type for p in contract.parties}
        assert OrgType.DN in types and types & {OrgType.HTX, OrgType.LHHTX}, contract.title
        assert contract.paper_number and contract.lines
        versions = db.session.scalars(
            select(LinkageContractVersion)
            .where(LinkageContractVersion.contract_id == contract.id)
            .order_by(LinkageContractVersion.number)
        ).all()
        days = [v.effective_on for v in versions]
        assert days == sorted(days) and days[-1] <= demo_country.today <= today
        assert versions[-1].status == contract.status
        if contract.status in (ContractStatus.TERMINATED, ContractStatus.BREACHED):
            assert versions[-1].reason
        # Closed contracts were agreed; a draft waits for at least one party.
        assert contract.terms_agreed == (contract.status != ContractStatus.DRAFT)


def test_one_contract_is_htx_led_and_one_shows_side_selling(demo_country):
    orgs = _orgs()
    contracts = _contracts()

    def role(contract: LinkageContract, wanted: PartyRole) -> list[Organisation]:
        return [orgs[p.organisation_id] for p in contract.parties if p.role == wanted]

    led = [c for c in contracts
           if role(c, PartyRole.LEADER)[0].org_type == OrgType.HTX
           and any(o.org_type == OrgType.DN for o in role(c, PartyRole.OFFTAKER))]
    assert [role(c, PartyRole.LEADER)[0].name for c in led] == [PEPPER_HTX]
    assert led[0].status == ContractStatus.ACTIVE

    # Side-selling: an active contract whose producing cooperative shipped lots of the
    # contracted commodity to another buyer during the term (the traces record it).
    buyer = next(o for o in orgs.values() if o.name == COFFEE_BUYER)
    cases = []
    for contract in contracts:
        if contract.status != ContractStatus.ACTIVE:
            continue
        offtakers = {o.id for o in role(contract, PartyRole.OFFTAKER)}
        for producer in role(contract, PartyRole.PRODUCER):
            product_ids = {line.product_id for line in contract.lines}
            elsewhere = db.session.scalars(
                select(Shipment)
                .join(Batch, Batch.id == Shipment.batch_id)
                .where(Shipment.from_organisation_id == producer.id,
                       Shipment.to_organisation_id.not_in(offtakers),
                       Batch.product_id.in_(product_ids))
            ).all()
            if any(contract.effective_from <= s.shipped_at.date() <= contract.effective_to
                   for s in elsewhere):
                cases.append((contract, producer))
    assert len(cases) == 1
    contract, producer = cases[0]
    assert contract.form == 2 and contract.price_mechanism.value == "fixed"
    assert buyer.id in {o.id for o in role(contract, PartyRole.OFFTAKER)}
    assert producer.name != COFFEE_HTX


def test_the_demo_accounts_find_their_contracts(demo_country):
    report = demo_country
    orgs = {o.name: o for o in _orgs().values()}
    htx = _member(report, "htx.admin@htxtrace.example", orgs[COFFEE_HTX])
    buyer = _member(report, "buyer.admin@htxtrace.example", orgs[COFFEE_BUYER])

    def waiting_for(actor: Actor) -> list[LinkageContract]:
        mine = db.session.scalars(list_contracts(actor, status=ContractStatus.DRAFT)).all()
        return [c for c in mine if actor.organisation_id not in c.confirmed_organisation_ids]

    assert len(waiting_for(htx)) == 1 and len(waiting_for(buyer)) == 1
    seen = db.session.scalars(list_contracts(buyer)).all()
    assert {c.form for c in seen} == {1, 2, 3} and len(seen) == 4
    amended = [c for c in seen if db.session.scalar(
        select(LinkageContractVersion.reason).where(
            LinkageContractVersion.contract_id == c.id,
            LinkageContractVersion.change == VersionChange.AMENDED))]
    assert len(amended) == 1 and amended[0].terms_agreed and amended[0].premium_vnd == 1_200

    daklak = Actor(user_id=_user(report, "daklak@htxtrace.example"),
                   platform_role=PlatformRole.AUTHORITY, province_code="66")
    assert db.session.scalars(list_contracts(daklak)).all()


def test_two_province_projects_group_contracts_with_a_party_there(demo_country):
    orgs = _orgs()
    projects = db.session.scalars(select(LinkageProject).order_by(LinkageProject.id)).all()
    assert len(projects) == 2
    assert len({p.province_code for p in projects}) == 2
    for project in projects:
        assert project.contracts and project.support_vnd > 0 and "/QĐ-UBND" in project.number
        assert project.decision_date <= demo_country.today
        for contract in project.contracts:
            assert project.province_code in {
                orgs[p.organisation_id].province_code for p in contract.parties
            }


def test_verifications_in_each_state_with_scorecards(demo_country):
    report = demo_country
    today = local_today()
    rows = db.session.scalars(select(SupplierVerification)).all()
    statuses = [v.status_on(today) for v in rows]
    assert set(statuses) >= {VerificationStatus.VERIFIED, VerificationStatus.REJECTED,
                             VerificationStatus.REQUESTED}
    verified = [v for v in rows if v.status_on(today) == VerificationStatus.VERIFIED]
    assert all(v.decision_checklist and v.decision_checklist["passed"] for v in verified)
    assert any(v.expires_on <= today + timedelta(days=60) for v in verified)
    assert any(v.expires_on > today + timedelta(days=60) for v in verified)
    assert all(v.reason for v in rows if v.status_on(today) == VerificationStatus.REJECTED)
    assert all(v.requested_at.date() <= today for v in rows)

    orgs = {o.name: o for o in _orgs().values()}
    buyer_org = orgs[COFFEE_BUYER]
    buyer = _member(report, "buyer.admin@htxtrace.example", buyer_org)
    own = db.session.scalars(list_verifications(buyer, buyer_id=buyer_org.id)).all()
    assert {v.status_on(today) for v in own} == {
        VerificationStatus.VERIFIED, VerificationStatus.REJECTED, VerificationStatus.REQUESTED
    }
    # The scorecard computes from the demo's records: the coffee cooperative's lots.
    card = supplier_scorecard(buyer, buyer_org.id, orgs[COFFEE_HTX].id)
    figures = {f.key: f for f in card.figures}
    assert figures["kde_completeness"].counts["lots"] > 0
    assert figures["certifications"].value >= 1
