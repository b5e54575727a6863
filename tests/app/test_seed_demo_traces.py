"""The demo's traceability data (``app.demo.traces``, run by ``flask seed-demo``): products,
areas, diaries, lots and event histories that show full traces to the demo accounts.

One test checks the traces on one seeding, others the demo's lots to scan
(``app.demo.showcase``, ``flask demo-urls``) over HTTP: seeding the whole demo country is the
expensive part, and every check reads the same data. That seeding (``demo_country``,
tests/conftest.py) is shared with the documented-country test of test_seed_demo.py."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.demo.country import (
    COFFEE_BUYER,
    COFFEE_HTX,
    DEMO_TIMEZONE,
    load_places_index,
)
from app.demo.showcase import KINDS, showcase_lots
from app.demo.traces import (
    LABORATORY,
    VIETGAP,
    company_standard,
    lots_digest,
    plan_demo_traces,
    registered_members,
)
from core.actor import Actor, OrgRole, PlatformRole
from core.db import db
from core.errors import NotFound
from linkages.models import Member, Organisation, OrgType
from traceability import gs1
from traceability.models import (
    Batch,
    BatchContribution,
    BatchLink,
    BatchSerial,
    BatchStatus,
    DiaryEntry,
    DiaryKind,
    EpcisEvent,
    LabOutcome,
    LabResult,
    LabTest,
    Product,
    ProductionArea,
    Shipment,
)
from traceability.services import batches as svc
from traceability.services import lineage
from traceability.services.phi import phi_violations
from traceability.services.timeline import batch_timeline


def _count(column) -> int:
    return db.session.scalar(select(func.count(column)))


def test_seed_demo_creates_full_traces_for_the_demo_accounts(demo_country):
    report = demo_country  # seed_demo_country() on today's date (tests/conftest.py)
    counts = report.counts
    orgs = {o.id: o for o in db.session.scalars(select(Organisation))}
    by_name = {o.name: o for o in orgs.values()}
    coffee_htx, buyer = by_name[COFFEE_HTX], by_name[COFFEE_BUYER]
    users = {account.email: user_id for account, user_id in report.accounts}

    # Counts: as documented, and as the report says.
    expected = {
        "products": (55, 130), "production_areas": (45, 130), "diary_entries": (100, 330),
        "batches": (200, 480), "events": (350, 900), "shipments": (40, 120),
        "batch_links": (150, 420),
    }
    models = {
        "products": Product.id, "production_areas": ProductionArea.id,
        "diary_entries": DiaryEntry.id, "batches": Batch.id, "events": EpcisEvent.id,
        "shipments": Shipment.id, "batch_links": BatchLink.child_id,
    }
    for name, (low, high) in expected.items():
        assert low <= counts[name] <= high, (name, counts[name])
        assert _count(models[name]) == counts[name]
    batches = db.session.scalars(select(Batch).order_by(Batch.id)).all()
    traced_htx = {b.organisation_id for b in batches
                  if orgs[b.organisation_id].org_type == OrgType.HTX}
    assert 30 <= len(traced_htx) <= 40 and coffee_htx.id in traced_htx

    # Quantities never below zero.
    held = svc.current_quantities([b.id for b in batches])
    assert min(held.values()) >= 0

    # Products: a few Vietnamese GTINs (893…, valid check digit), most without.
    gtins = db.session.scalars(select(Product.gtin).where(Product.gtin.is_not(None))).all()
    assert 3 <= len(gtins) < counts["products"] / 2
    for gtin in gtins:
        assert gtin.startswith("0893") and gs1.normalise_gtin(gtin) == gtin

    # Areas: in the organisation's province, some with planting-area codes, GLNs, polygons.
    areas = db.session.scalars(select(ProductionArea)).all()
    assert all(a.province_code == orgs[a.organisation_id].province_code for a in areas)
    assert any(a.planting_area_code for a in areas)
    assert all(gs1.is_valid_gln(a.gln) for a in areas if a.gln)
    assert sum(1 for a in areas if a.gln) >= 4
    assert sum(1 for a in areas if a.geometry) >= 4
    assert all(1 <= c <= 4 for c in Counter(a.organisation_id for a in areas).values())

    # Member deliveries come from the cooperative's own registered members.
    contributions = db.session.execute(
        select(BatchContribution.member_id, Batch.organisation_id, Member.organisation_id)
        .join(Batch, Batch.id == BatchContribution.batch_id)
        .join(Member, Member.id == BatchContribution.member_id)
    ).all()
    assert len(contributions) >= 100
    assert all(batch_org == member_org for _m, batch_org, member_org in contributions)

    # PHI: every harvest respects the diary's intervals, except the one documented override
    # (by the coffee cooperative's admin).
    harvests = [b for b in batches if b.areas]
    assert len(harvests) >= 60
    pesticides = db.session.scalar(
        select(func.count(DiaryEntry.id)).where(DiaryEntry.kind == DiaryKind.PESTICIDE)
    )
    assert pesticides >= 20
    overridden = [b for b in harvests if b.phi_override_reason]
    assert len(overridden) == 1
    override = overridden[0]
    assert override.organisation_id == coffee_htx.id
    assert override.phi_override_by_id == users["htx.admin@htxtrace.example"]
    area_rows = {a.id: a for a in areas}
    for batch in harvests:
        blocked = phi_violations([area_rows[a.area_id] for a in batch.areas],
                                 batch.harvest_start)
        assert bool(blocked) == (batch is override), batch.lot_code

    # Times: Vietnamese, never after the seeding day (the demo's "today").
    events = db.session.scalars(select(EpcisEvent)).all()
    assert {e.event_tz_offset for e in events} == {"+07:00"}
    assert all(e.event_time.astimezone(DEMO_TIMEZONE).date() <= report.today for e in events)

    # One recall, one corrected event (error declaration + corrective event).
    assert sum(1 for b in batches if b.status == BatchStatus.RECALLED) >= 1
    assert sum(1 for e in events if e.disposition == "recalled") == 1
    retracted = [e for e in events if e.retracted_at is not None]
    assert len(retracted) == 1
    declaration = next(e for e in events if e.declares_error)
    assert declaration.event_id == retracted[0].event_id
    info = declaration.document["errorDeclaration"]
    assert info["reason"] == "incorrect_data"
    corrective = [e for e in events if e.event_id in info["correctiveEventIDs"]]
    assert len(corrective) == 1 and corrective[0].retracted_at is None
    assert retracted[0].organisation_id == coffee_htx.id

    # The coffee cooperative: several lots with full timelines, whose lineage reaches the
    # coffee buyer through a merge, a transformation and a split.
    own = [b for b in batches if b.organisation_id == coffee_htx.id]
    assert len(own) >= 6
    htx_staff = Actor(users["htx.staff@htxtrace.example"], coffee_htx.id, OrgRole.STAFF)
    full = 0
    reached: set[str] = set()
    for batch in own:
        steps = {e.biz_step for e, _kg in db.session.execute(batch_timeline(htx_staff, batch.id))}
        if {"commissioning", "storing", "shipping"} <= steps:
            full += 1
        down = lineage.descendants(batch.id)
        buyer_depths = [d for bid, d in down.items()
                        if db.session.get(Batch, bid).organisation_id == buyer.id]
        if buyer_depths and max(buyer_depths) >= 2:
            operations = {
                e.document.get("htx:operation")
                for e in db.session.scalars(
                    select(EpcisEvent).join(BatchLink, BatchLink.event_pk == EpcisEvent.id)
                    .where(BatchLink.child_id.in_(list(down)))
                )
            }
            reached |= operations
    assert full >= 5
    assert {"receiving", "merge", "transformation", "split"} <= reached
    assert any(b.status == BatchStatus.ACTIVE and held[b.id] > 0 for b in own)

    # The buyer's admin sees its received lots and its processing lots.
    buyer_admin = Actor(users["buyer.admin@htxtrace.example"], buyer.id, OrgRole.ORG_ADMIN)
    seen = db.session.scalars(svc.list_batches(buyer_admin)).all()
    assert {b.organisation_id for b in seen} >= {buyer.id, coffee_htx.id}
    buyer_lots = [b.lot_code for b in seen if b.organisation_id == buyer.id]
    for tag in ("-R-", "-M-", "-T-", "-XK-"):
        assert any(tag in code for code in buyer_lots), tag

    # The Đắk Lắk authority reads the province's lots, not others'.
    daklak = Actor(users["daklak@htxtrace.example"], platform_role=PlatformRole.AUTHORITY,
                   province_code="66")
    assert svc.get_batch(daklak, own[0].id).id == own[0].id
    elsewhere = next(b for b in batches if orgs[b.organisation_id].province_code != "66"
                     and not db.session.scalar(select(Shipment.id).where(
                         Shipment.batch_id == b.id).limit(1)))
    with pytest.raises(NotFound):
        svc.get_batch(daklak, elsewhere.id)

    # Determinism: the plan for the seed names exactly the lots in the database, and is
    # the same every time; another seed plans other lots.
    htx_ids = [o.id for o in report.organisations["htx"]]
    members = registered_members(htx_ids)
    places = load_places_index()
    plan = plan_demo_traces(report.seed, report, members, places)
    stored = [(orgs[b.organisation_id].registration_code, b.lot_code) for b in batches]
    assert lots_digest(stored) == plan.digest()
    assert plan_demo_traces(report.seed, report, members, places).digest() == plan.digest()
    assert plan_demo_traces(report.seed + 1, report, members, places).digest() != (
        plan.digest()
    )


def test_the_demo_has_a_lot_of_each_kind_to_scan_and_each_resolves(demo_world, demo_country):
    """``flask demo-urls`` (``app.demo.showcase``): a GTIN lot, a platform-URI lot, a lot
    made from a recalled one and a serialised unit; each label's URI redirects (307) to the
    trace page, which answers 200; the recall banner shows through the lineage."""
    demo_app = demo_world[0]
    lots = {lot.kind: lot for lot in showcase_lots()}
    assert set(lots) == set(KINDS)
    batches = {kind: db.session.get(Batch, lot.batch_id) for kind, lot in lots.items()}
    products = {kind: db.session.get(Product, b.product_id) for kind, b in batches.items()}

    # GTIN: Viet Nam's prefix, a valid check digit; the label is a GS1 Digital Link. The
    # journey reaches back to the cooperative's harvests.
    gtin = products["gtin"].gtin
    assert gtin.startswith("0893") and gs1.normalise_gtin(gtin) == gtin
    assert lots["gtin"].key_path == f"01/{gtin}/10/{batches['gtin'].lot_code}"
    assert len(lineage.ancestors(batches["gtin"].id)) >= 3
    # Platform URI: a product without a GTIN, labelled /p/{registration code}.{code}.
    assert products["platform"].gtin is None
    assert lots["platform"].key_path.startswith("p/")
    # Recalled: not itself, an ancestor at another organisation is.
    recalled = batches["recalled"]
    assert recalled.status != BatchStatus.RECALLED
    up = db.session.scalars(select(Batch).where(
        Batch.id.in_(list(lineage.ancestors(recalled.id))))).all()
    assert any(b.status == BatchStatus.RECALLED and b.organisation_id != recalled.organisation_id
               for b in up)
    # Serialised: a recorded range, the unit's label names its serial.
    serials = db.session.scalars(select(BatchSerial.serial).where(
        BatchSerial.batch_id == batches["serialised"].id).order_by(BatchSerial.id)).all()
    assert len(serials) >= 10 and serials[0] == lots["serialised"].serial
    assert lots["serialised"].key_path.endswith(f"/21/{serials[0]}")
    assert products["serialised"].gtin is not None

    client = demo_app.test_client()
    for kind, lot in lots.items():
        redirect = client.get(lot.label_path)
        assert redirect.status_code == 307, kind
        assert lot.trace_path in redirect.headers["Location"], kind
        page = client.get(lot.trace_path, headers={"Accept-Language": "en"})
        assert page.status_code == 200, kind
        banner = 'data-testid="recall-banner"' in page.get_data(as_text=True)
        assert banner == (kind == "recalled"), kind

    # The command prints them.
    output = demo_app.test_cli_runner().invoke(args=["demo-urls"]).output
    for lot in lots.values():
        assert lot.url(lot.trace_path) in output and lot.url(lot.label_path) in output


def test_the_gtin_lot_shows_its_standards_and_lab_results(demo_world, demo_country):
    """The demo's GTIN lot names the standards its product is made to, and its trace page
    shows two passed lab results of its ancestors (the cooperative's harvest, the buyer's
    green coffee), each recorded by its lot's organisation through the service and sampled
    before that lot went on into the chain, never after the seeding day. Standards are on
    some of the demo's products, not on every one."""
    report = demo_country
    users = {account.email: user_id for account, user_id in report.accounts}
    by_name = {o.name: o for o in db.session.scalars(select(Organisation))}
    coffee_htx, buyer = by_name[COFFEE_HTX], by_name[COFFEE_BUYER]
    lot = next(lot for lot in showcase_lots() if lot.kind == "gtin")
    product = db.session.get(Product, db.session.get(Batch, lot.batch_id).product_id)
    assert product.applied_standards == ["TCVN 4193:2014 (cà phê nhân)", "TCCS 01:2024/CPCNV"]
    assert company_standard(COFFEE_HTX) == "TCCS 01:2024/HTXNNCPHTX"
    raw = db.session.scalars(select(Product).where(
        Product.organisation_id == coffee_htx.id, Product.gtin.is_(None))).all()
    assert any(p.applied_standards == [VIETGAP, "TCCS 01:2024/HTXNNCPHTX"] for p in raw)
    standards = db.session.scalars(select(Product.applied_standards)).all()
    assert 5 <= sum(1 for names in standards if names) < len(standards)

    results = db.session.scalars(select(LabResult).order_by(LabResult.id)).all()
    assert len(results) == report.counts["lab_results"] == 2
    made_from = lineage.ancestors(lot.batch_id)
    owners = {}
    for result in results:
        assert result.batch_id in made_from
        assert result.outcome == LabOutcome.PASS
        assert (result.laboratory, result.accreditation) == (LABORATORY, "VILAS 004")
        assert result.sampled_on <= report.today - timedelta(days=2)
        owners[db.session.get(Batch, result.batch_id).organisation_id] = result
    harvest, green = owners[coffee_htx.id], owners[buyer.id]
    assert harvest.test == LabTest.PESTICIDE_RESIDUES
    assert harvest.recorded_by_id == users["htx.admin@htxtrace.example"]
    assert green.test == LabTest.MYCOTOXINS
    assert green.recorded_by_id == users["buyer.admin@htxtrace.example"]

    page = demo_world[0].test_client().get(lot.trace_path, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="applied-standards"' in html
    assert all(name in html for name in product.applied_standards)
    assert 'data-testid="lab-results"' in html
    assert "Pesticide residues: passed" in html and "Mycotoxins: passed" in html
    assert html.count(f"Backed by a lab result: {LABORATORY} (VILAS 004), sample of") == 2


def test_demo_urls_without_a_demo_says_how_to_seed_one(app):
    result = app.test_cli_runner().invoke(args=["demo-urls"])
    assert result.exit_code != 0 and "flask seed-demo" in result.output
