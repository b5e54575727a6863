"""The demo country's value-chain linkage indicator (``app.demo.indicator_links``, run by
``flask seed-demo``): about 40% of its agricultural cooperatives linked under variant B
and 13–20% under A and C in the statistical year the dashboard opens on, rising over the
three years before, with the B–A gap made of cooperative-led chains, C made of deliveries
received and settled in the year, breakdowns that show something, and a paper contract
of the previous year recorded late (what a publication made before it missed).

Every test reads the shared demo country (``demo_country``, tests/conftest.py), seeded
once per run on today's date: the figures are computed as the dashboard computes them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.demo.indicator_links import publication_days
from core.actor import Actor, PlatformRole
from core.clock import VIETNAM
from core.db import db
from linkages.indicator import publication_changes, service
from linkages.indicator.period import current_statistical_year, statistical_year
from linkages.models import Organisation, OrgType
from linkages.models.contracts import (
    ContractStatus,
    LinkageContract,
    LinkageContractParty,
    LinkageContractVersion,
    PartyRole,
)
from linkages.models.deliveries import LinkageDelivery
from linkages.models.publications import IndicatorPublication
from linkages.services.deliveries import contract_fulfilment
from traceability.models import Batch, Shipment

VARIANTS = ("A", "B", "C", "D", "E")


def _admin(report: Any) -> Actor:
    user = next(uid for account, uid in report.accounts
                if account.email == "admin@htxtrace.example")
    return Actor(user_id=user, platform_role=PlatformRole.ADMIN)


def _percent(actor: Actor, variant: str, year: int, **params: Any) -> float:
    return service.figure(actor, variant=variant, year=year, **params)["total"]["percent"]


def _counted(actor: Actor, variant: str, year: int) -> dict[int, Any]:
    _q, stmt = service.drill(actor, which="numerator", variant=variant, year=year)
    return {row.org_id: row for row in db.session.execute(stmt)}


def _wider(report: Any) -> list[LinkageContract]:
    return list(db.session.scalars(
        select(LinkageContract).where(LinkageContract.id.in_(report.indicator_contracts))
        .order_by(LinkageContract.id)))


def test_the_dashboards_year_shows_about_40_percent_under_b_and_a_rising_trend(demo_country):
    admin = _admin(demo_country)
    year = current_statistical_year()  # the dashboard's default: the seeding day's
    assert year == current_statistical_year(demo_country.today)
    figures = {y: {v: _percent(admin, v, y) for v in VARIANTS} for y in (year - 2, year - 1,
                                                                         year)}
    now = figures[year]
    assert service.figure(admin, variant="B")["total"]["percent"] == now["B"]
    assert 36 <= now["B"] <= 44, figures
    assert 13 <= now["A"] <= 20 and 13 <= now["C"] <= 20, figures
    assert now["C"] <= now["A"] and now["D"] < now["A"] and now["E"] < now["A"], figures
    # A trend over three statistical years.
    assert figures[year - 2]["B"] < figures[year - 1]["B"] < now["B"], figures
    assert figures[year - 2]["A"] < now["A"] and figures[year - 1]["C"] < now["C"], figures
    assert 20 <= figures[year - 2]["B"] <= 32, figures


def test_cooperative_led_chains_make_the_gap_between_b_and_a(demo_country):
    admin = _admin(demo_country)
    year = current_statistical_year()
    a, b = _counted(admin, "A", year), _counted(admin, "B", year)
    assert set(a) < set(b)
    orgs = {o.id: o for o in db.session.scalars(select(Organisation))}
    for org_id in set(b) - set(a):
        # Counted through a contract a union or another cooperative leads, no enterprise
        # in it: the drill-down of A says so.
        contract = db.session.get(LinkageContract, b[org_id].contract_id)
        types = {orgs[p.organisation_id].org_type for p in contract.parties}
        leader = next(orgs[p.organisation_id] for p in contract.parties
                      if p.role == PartyRole.LEADER)
        assert OrgType.DN not in types and leader.id != org_id
        assert leader.org_type in (OrgType.HTX, OrgType.LHHTX)
    _q, stmt = service.drill(admin, which="not_counted", variant="A", year=year)
    reasons = {row.org_id: row.reason for row in db.session.execute(stmt)}
    assert {reasons[i] for i in set(b) - set(a)} == {"counterparty_cooperative_counts_in_b_only"}
    leaders = service.figure(admin, variant="B", year=year, breakdown="leader_type")["groups"]
    by_type = {g["key"]: g["numerator"] for g in leaders}
    assert by_type["htx_led"] >= len(set(b) - set(a)) and by_type["dn_led"] > 0


def test_breakdowns_spread_over_provinces_regions_commodities_and_forms(demo_country):
    admin = _admin(demo_country)
    year = current_statistical_year()

    def groups(variant: str, breakdown: str, **params: Any) -> dict[str, int]:
        found = service.figure(admin, variant=variant, year=year, breakdown=breakdown,
                               **params)["groups"]
        return {g["key"]: g["numerator"] for g in found if g["numerator"]}

    assert len(groups("B", "province")) >= 10
    assert len(groups("A", "province")) >= 6
    assert len(groups("B", "region", region_scheme="VN6_2021_2030")) >= 5
    assert len(groups("B", "commodity")) >= 6
    assert len(groups("B", "form")) >= 5
    assert len(groups("C", "commodity")) >= 4


def test_c_counts_deliveries_received_and_settled_in_the_year(demo_country):
    admin = _admin(demo_country)
    year = current_statistical_year()
    period = statistical_year(year)
    today = demo_country.today
    for row in _counted(admin, "C", year).values():
        delivery = db.session.get(LinkageDelivery, row.delivery_id)
        assert delivery.accepted_kg > 0 and delivery.invoice_number
        assert period.start <= delivery.received_on <= min(period.end, today)
        assert delivery.settled_at.astimezone(VIETNAM).date() <= today
        if delivery.contract_id not in demo_country.indicator_contracts:
            continue  # the story's (tests/app/test_seed_demo_linkages.py)
        # A lot the traces left in the cooperative's store, received by the enterprise.
        shipment = db.session.get(Shipment, delivery.shipment_id)
        lot = db.session.get(Batch, delivery.batch_id)
        assert lot.organisation_id == delivery.supplier_id == shipment.from_organisation_id
        assert shipment.to_organisation_id == delivery.buyer_id
        assert shipment.received_at.astimezone(VIETNAM).date() == delivery.received_on
        assert delivery.shipped_on <= delivery.received_on
    # No contract of the wider picture shows side-selling: its cooperatives sell to the
    # enterprise they contract with, or to no one.
    for contract in _wider(demo_country):
        if contract.status == ContractStatus.ACTIVE:
            assert not contract_fulfilment(admin, contract.id).side_selling, contract.title


def test_a_paper_contract_of_last_year_is_recorded_late(demo_country):
    """What a publication of last year made on ``publish_on`` would miss: one cooperative
    counted under A and B today through a contract recorded after that day."""
    admin = _admin(demo_country)
    year = current_statistical_year()
    publish_on, recorded_on = publication_days(demo_country.today)
    assert statistical_year(year).start <= publish_on <= recorded_on <= demo_country.today
    late = []
    for contract in _wider(demo_country):
        versions = db.session.scalars(
            select(LinkageContractVersion)
            .where(LinkageContractVersion.contract_id == contract.id)
            .order_by(LinkageContractVersion.number)).all()
        if versions[0].recorded_at.astimezone(VIETNAM).date() > versions[-1].effective_on:
            late.append((contract, versions))
    assert len(late) == 1
    contract, versions = late[0]
    last = statistical_year(year - 1)
    assert [v.status for v in versions] == [ContractStatus.DRAFT, ContractStatus.SIGNED,
                                            ContractStatus.ACTIVE, ContractStatus.COMPLETED]
    assert all(last.start <= v.effective_on <= last.end for v in versions)
    assert {v.recorded_at.astimezone(VIETNAM).date() for v in versions} == {recorded_on}
    assert contract.verified_by_id is not None and contract.form == 3

    producer = next(p.organisation_id for p in contract.parties if p.role == PartyRole.PRODUCER)
    for variant in ("A", "B"):
        counted = _counted(admin, variant, year - 1)
        assert counted[producer].contract_id == contract.id
    # Its only contract: without it, last year's A and B count one cooperative less.
    assert set(db.session.scalars(select(LinkageContractParty.contract_id).where(
        LinkageContractParty.organisation_id == producer))) == {contract.id}
    assert producer not in _counted(admin, "B", year)
    # The national authority published last year before that record: the comparison
    # names the cooperative entering A and B since.
    publication = db.session.scalars(select(IndicatorPublication)).one()
    assert publication.year == year - 1 and publication.scope == "national"
    assert publication.published_at.astimezone(VIETNAM).date() == publish_on
    compared = publication_changes.compare(admin, publication.id)
    by_variant = {v["variant"]["code"]: v for v in compared["variants"]}
    for variant in ("A", "B"):
        assert by_variant[variant]["changes"]["entered"] == 1
        assert by_variant[variant]["difference"]["numerator"] == 1
    entered = db.session.execute(publication_changes.changes(
        admin, publication.id, variant="A", kind="entered")).all()
    assert [row.org_id for row in entered] == [producer]
