"""The demo's linkage data (``app.demo.linkages``, run by ``flask seed-demo``): contracts of
all seven Decree 98 forms in every status, the HTX-led one, the side-selling case, two
province projects, supplier verifications in each state, and deliveries under the
contracts — as the demo accounts see them through the services and the contract page.

Every test reads the shared demo country (``demo_country``, tests/conftest.py): seeding it
is the expensive part, and it is seeded once per run."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.demo.country import COFFEE_BUYER, COFFEE_HTX, DEMO_ACCOUNTS, PEPPER_HTX
from core.actor import Actor, OrgRole, PlatformRole
from core.clock import VIETNAM, local_today
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
from linkages.models.deliveries import LinkageDelivery
from linkages.models.suppliers import SupplierVerification, VerificationStatus
from linkages.services.contracts import list_contracts
from linkages.services.deliveries import contract_fulfilment
from linkages.services.scorecard import supplier_scorecard
from linkages.services.verification import list_verifications
from tests.app.web_support import login
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
        leaders = {orgs[p.organisation_id].org_type for p in contract.parties
                   if p.role == PartyRole.LEADER}
        # An enterprise takes part, or a cooperative or union leads (the cooperative-led
        # chains of the wider picture, app.demo.indicator_links).
        assert OrgType.DN in types or leaders <= {OrgType.HTX, OrgType.LHHTX}, contract.title
        assert types & {OrgType.HTX, OrgType.LHHTX}, contract.title
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


# The contracts the traces delivered, by (status, form): last season's coffee (1), this
# season's (2), the side-selling one (3), the HTX-led pepper one (6), rice (8), shrimp (9).
_DELIVERED = {
    (ContractStatus.LIQUIDATED, 3), (ContractStatus.ACTIVE, 1), (ContractStatus.ACTIVE, 2),
    (ContractStatus.ACTIVE, 4), (ContractStatus.COMPLETED, 6), (ContractStatus.BREACHED, 7),
}
_INVOICE = re.compile(r"^1C\d{2}T[A-Z]{2}-\d{7}$")  # series "1C26TXX", 7-digit number


def _side_selling_contract() -> LinkageContract:
    return next(c for c in _contracts() if (c.status, c.form) == (ContractStatus.ACTIVE, 2))


def _producer(contract: LinkageContract) -> int:
    return next(p.organisation_id for p in contract.parties if p.role == PartyRole.PRODUCER)


def test_deliveries_book_the_traced_lots_and_most_are_settled(demo_country):
    contracts = {c.id: c for c in _contracts()}
    # The story's (the wider picture's deliveries: tests/app/test_seed_demo_indicator.py).
    deliveries = db.session.scalars(
        select(LinkageDelivery)
        .where(LinkageDelivery.contract_id.not_in(demo_country.indicator_contracts))
        .order_by(LinkageDelivery.id)
    ).all()
    delivered = {d.contract_id for d in deliveries}
    assert {(contracts[i].status, contracts[i].form) for i in delivered} == _DELIVERED
    assert len(delivered) == len(_DELIVERED)

    today = demo_country.today
    for delivery in deliveries:
        contract = contracts[delivery.contract_id]
        shipment = db.session.get(Shipment, delivery.shipment_id)
        # A shipment of the supplier's own lot to the offtaker, within the term, by today.
        assert (shipment.from_organisation_id, shipment.to_organisation_id) == (
            delivery.supplier_id, delivery.buyer_id)
        assert db.session.get(Batch, delivery.batch_id).organisation_id == delivery.supplier_id
        assert contract.effective_from <= delivery.shipped_on <= contract.effective_to
        assert delivery.shipped_on <= today
        if delivery.settled:
            assert delivery.shipped_on <= delivery.received_on <= today
            assert delivery.settled_at.astimezone(VIETNAM).date() <= today
            assert delivery.price_vnd_per_kg > 0 and _INVOICE.match(delivery.invoice_number)
            assert delivery.accepted_kg + delivery.rejected_kg <= delivery.shipped_kg

    settled = [d for d in deliveries if d.settled]
    assert len(settled) >= len(deliveries) - 2
    assert 1 <= len(deliveries) - len(settled) <= 2
    # Settled short: far more turned down than a weighbridge difference.
    assert [d for d in settled if d.rejected_kg >= d.shipped_kg * Decimal("0.05")]

    # The closed contracts were delivered in full (their liquidation record says so);
    # the fulfilment figures come from the deliveries.
    admin = Actor(user_id=_user(demo_country, "admin@htxtrace.example"),
                  platform_role=PlatformRole.ADMIN)
    for contract_id in delivered:
        line = contract_fulfilment(admin, contract_id).lines[0]
        assert line.deliveries > 0 and line.fulfilment is not None
        if contracts[contract_id].status in (ContractStatus.LIQUIDATED,
                                              ContractStatus.COMPLETED):
            assert line.fulfilment >= 1 and line.shortfall_kg == 0


def test_the_side_selling_contract_shows_the_signal_and_a_shortfall(demo_country):
    contract = _side_selling_contract()
    orgs = {o.name: o for o in _orgs().values()}
    buyer = _member(demo_country, "buyer.admin@htxtrace.example", orgs[COFFEE_BUYER])
    fulfilment = contract_fulfilment(buyer, contract.id)
    assert fulfilment.side_selling
    (line,) = fulfilment.lines
    assert line.side_selling.elsewhere_kg > 0 and line.side_selling.buyers == 1
    assert line.shortfall_kg > 0 and line.accepted_kg < line.side_selling.expected_kg
    # Only its leftover came, after the window closed, still in transit: late, unsettled.
    assert line.deliveries == 1 and line.settled == 0
    assert line.with_window == 1 and line.on_time == 0
    # The lots sold to the rival buyer are the evidence, booked under no contract.
    rival = db.session.scalars(
        select(Shipment.id).where(Shipment.from_organisation_id == _producer(contract),
                                  Shipment.to_organisation_id != orgs[COFFEE_BUYER].id)
    ).all()
    assert rival and not db.session.scalars(
        select(LinkageDelivery.id).where(LinkageDelivery.shipment_id.in_(rival))).all()
    # No other contract in force shows the signal.
    admin = Actor(user_id=_user(demo_country, "admin@htxtrace.example"),
                  platform_role=PlatformRole.ADMIN)
    others = [c.id for c in _contracts()
              if c.id != contract.id and c.status == ContractStatus.ACTIVE]
    assert not [i for i in others if contract_fulfilment(admin, i).side_selling]


def test_the_buyer_sees_the_side_selling_warning_on_the_contract_page(demo_world,
                                                                     demo_country):
    contract = _side_selling_contract()
    password = next(a.password for a in DEMO_ACCOUNTS
                    if a.email == "buyer.admin@htxtrace.example")
    client = demo_world[0].test_client()
    assert login(client, "buyer.admin@htxtrace.example", password).status_code in (302, 303)
    page = client.get(f"/contracts/{contract.id}?lang=vi")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert 'data-testid="side-selling"' in html
    assert html.count('data-testid="delivery"') == 1
    # This season's contract has deliveries and no warning.
    other = next(c for c in _contracts() if (c.status, c.form) == (ContractStatus.ACTIVE, 1))
    html = client.get(f"/contracts/{other.id}?lang=vi").get_data(as_text=True)
    assert 'data-testid="delivery"' in html and 'data-testid="side-selling"' not in html
