"""Lineage: ancestors and descendants in SQL, one step back / forward, full traces with the
lots' details and their visibility rules, recalls from many lots.

The genealogy is built directly with the models (no event services), so these tests pin the
walk itself:

    coop A (Hà Nội)                                                   enterprise E
    h1 (area p1) ─┐
                  ├─ merge ─ mix ─┐
    h2 (area p2) ─┘               ├─ transform ─ dried ─┬─ split ─ pack1 ─┐
    h3 (pooled: m1, m2) ─ split ─ s1                    │                 ├─ merge ─ combo
                          └────── s2                    └─ split ─ pack2 ─┘        ↑
    h1 ─────────────────────────────────────────────────── (also straight into) ───┘
    pack2 ── shipped to E ──> received as r ── transform ──> x
    ghost: its transformation into dried was withdrawn, so (as capture leaves it) the event
           stays, retracted, and its edge is gone from batch_links, the live genealogy
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

from core.actor import Actor, OrgRole, PlatformRole
from core.db import db
from core.errors import NotFound
from core.units import Unit
from linkages.models.members import Member, MemberKind, MemberType
from linkages.models.organisations import Organisation, OrgType
from tests.factories import HANOI, HCMC, KIM_ANH, SOC_SON, ensure_place, make_org
from tests.traceability.batch_factories import Party, make_area, make_party, make_product
from traceability.epcis.hashing import event_hash_id
from traceability.models import (
    AreaKind,
    Batch,
    BatchArea,
    BatchContribution,
    BatchLink,
    Commodity,
    EpcisEvent,
    EventType,
    Product,
    ProductionArea,
    Shipment,
)
from traceability.services import capture, lineage
from traceability.services import recording as be
from traceability.services.recording import EVENT_CONTEXT

_serial = count(1)
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _product(org: Organisation, code: str) -> Product:
    product = Product(
        organisation_id=org.id,
        code=code,
        name=f"Product {code}",
        commodity=Commodity.COFFEE,
        default_unit=Unit.KG,
    )
    db.session.add(product)
    db.session.flush()
    return product


def _batch(org: Organisation, product: Product, lot: str, kg: str = "100") -> Batch:
    batch = Batch(
        organisation_id=org.id,
        product_id=product.id,
        lot_code=lot,
        identifier=f"https://trace.example.vn/test/{org.id}/{lot}",
        canonical_id=f"https://trace.example.vn/test/{org.id}/{lot}",
        quantity=Decimal(kg),
        unit=Unit.KG,
        quantity_kg=Decimal(kg),
        harvest_start=date(2026, 2, 1),
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def _event(org: Organisation, *, retracted: bool = False) -> EpcisEvent:
    event = EpcisEvent(
        event_id=f"ni:///sha-256;test-lineage-{next(_serial)}?ver=CBV2.0",
        event_type=EventType.TRANSFORMATION,
        event_time=NOW,
        event_tz_offset="+07:00",
        record_time=NOW,
        document={},
        organisation_id=org.id,
        retracted_at=NOW if retracted else None,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _link(event: EpcisEvent, parents: list[Batch], children: list[Batch], kg: str = "10") -> None:
    for parent in parents:
        for child in children:
            db.session.add(
                BatchLink(
                    parent_id=parent.id,
                    child_id=child.id,
                    event_pk=event.id,
                    quantity_kg=Decimal(kg),
                )
            )
    db.session.flush()


def _area(org: Organisation, code: str, commune: str) -> ProductionArea:
    area = ProductionArea(
        organisation_id=org.id, code=code, name=f"Plot {code}", kind=AreaKind.PLOT,
        commune_code=commune,
    )
    db.session.add(area)
    db.session.flush()
    return area


def _member(org: Organisation, name: str) -> Member:
    member = Member(
        organisation_id=org.id,
        member_type=MemberType.OFFICIAL,
        member_kind=MemberKind.HOUSEHOLD,
        display_name=name,
    )
    db.session.add(member)
    db.session.flush()
    return member


@pytest.fixture()
def world() -> SimpleNamespace:
    ensure_place(HANOI, SOC_SON)
    ensure_place(HANOI, KIM_ANH)
    coop = make_org("Hợp tác xã Cà phê Thử nghiệm", province_code=HANOI)
    enterprise = make_org("Công ty Chế biến Thử nghiệm", OrgType.DN, province_code=HANOI)
    stranger = make_org("Hợp tác xã Khác", province_code=HCMC)
    cherry, green = _product(coop, "CHERRY"), _product(coop, "GREEN")
    roasted = _product(enterprise, "ROAST")
    w = SimpleNamespace(coop=coop, enterprise=enterprise, stranger=stranger)
    for lot in ("h1", "h2", "h3", "mix", "s1", "s2", "dried", "pack1", "pack2", "combo", "ghost"):
        setattr(w, lot, _batch(coop, cherry if lot in {"h1", "h2", "h3", "ghost"} else green,
                               lot.upper()))
    w.r, w.x = _batch(enterprise, green, "R"), _batch(enterprise, roasted, "X")

    w.p1, w.p2 = _area(coop, "P1", SOC_SON), _area(coop, "P2", KIM_ANH)
    db.session.add_all([
        BatchArea(batch_id=w.h1.id, area_id=w.p1.id),
        BatchArea(batch_id=w.h2.id, area_id=w.p2.id),
        BatchArea(batch_id=w.h3.id, area_id=w.p1.id),
    ])
    w.m1, w.m2 = _member(coop, "Hộ Nguyễn Văn A"), _member(coop, "Hộ Trần Thị B")
    for member, area, kg in ((w.m1, w.p1, "60"), (w.m2, w.p2, "40")):
        db.session.add(BatchContribution(
            batch_id=w.h3.id, member_id=member.id, area_id=area.id, quantity=Decimal(kg),
            unit=Unit.KG, quantity_kg=Decimal(kg), delivered_on=date(2026, 2, 2),
        ))

    w.e_merge = _event(coop)
    _link(w.e_merge, [w.h1, w.h2], [w.mix], "50")
    _link(_event(coop), [w.h3], [w.s1, w.s2])
    w.e_transform = _event(coop)
    _link(w.e_transform, [w.mix, w.s1], [w.dried])
    _link(_event(coop), [w.dried], [w.pack1, w.pack2])
    _link(_event(coop), [w.pack1, w.pack2, w.h1], [w.combo])
    _event(coop, retracted=True)  # ghost → dried, withdrawn: capture deleted the edge

    ship, receive = _event(coop), _event(enterprise)
    w.shipment = Shipment(
        batch_id=w.pack2.id, from_organisation_id=coop.id, to_organisation_id=enterprise.id,
        quantity_kg=Decimal("30"), shipped_at=NOW, ship_event_pk=ship.id, received_at=NOW,
        receive_event_pk=receive.id, received_kg=Decimal("30"), received_batch_id=w.r.id,
    )
    db.session.add(w.shipment)
    _link(receive, [w.pack2], [w.r], "30")
    _link(_event(enterprise), [w.r], [w.x], "25")
    db.session.flush()

    w.owner = Actor(user_id=1, organisation_id=coop.id, org_role=OrgRole.STAFF)
    w.buyer = Actor(user_id=2, organisation_id=enterprise.id, org_role=OrgRole.STAFF)
    w.other = Actor(user_id=3, organisation_id=stranger.id, org_role=OrgRole.ORG_ADMIN)
    w.admin = Actor(user_id=4, platform_role=PlatformRole.ADMIN)
    w.hanoi_authority = Actor(user_id=5, platform_role=PlatformRole.AUTHORITY,
                              province_code=HANOI)
    w.hcmc_authority = Actor(user_id=6, platform_role=PlatformRole.AUTHORITY,
                             province_code=HCMC)
    return w


def _ids(w: SimpleNamespace, depths: dict[str, int]) -> dict[int, int]:
    return {getattr(w, name).id: depth for name, depth in depths.items()}


# --- ancestors / descendants ---------------------------------------------------------------


def test_ancestors_are_every_lot_upstream_at_its_nearest_depth(world: SimpleNamespace) -> None:
    # combo: a diamond (dried reached through pack1 and pack2) and h1 reached both directly
    # and four steps up; each lot once, at its nearest depth; the retracted ghost link ignored.
    expected = {"pack1": 1, "pack2": 1, "h1": 1, "dried": 2, "mix": 3, "s1": 3, "h2": 4, "h3": 4}
    assert lineage.ancestors(world.combo.id) == _ids(world, expected)


def test_descendants_cross_into_the_buyers_lots(world: SimpleNamespace) -> None:
    expected = {"s1": 1, "s2": 1, "dried": 2, "pack1": 3, "pack2": 3, "combo": 4, "r": 4, "x": 5}
    assert lineage.descendants(world.h3.id) == _ids(world, expected)
    expected_h1 = {"mix": 1, "combo": 1, "dried": 2, "pack1": 3, "pack2": 3, "r": 4, "x": 5}
    assert lineage.descendants(world.h1.id) == _ids(world, expected_h1)


def test_results_come_nearest_first(world: SimpleNamespace) -> None:
    depths = list(lineage.ancestors(world.x.id).values())
    assert depths == sorted(depths)


def test_a_lot_without_links_has_no_ancestors_nor_descendants(world: SimpleNamespace) -> None:
    assert lineage.ancestors(world.h2.id) == {}
    assert lineage.descendants(world.s2.id) == {}
    assert lineage.descendants(999_999) == {}


def _harvest_and_split(name: str) -> tuple[Party, Batch, be.Recorded]:
    """Through the event services: a 900 kg harvest split into 400 + 500 kg."""
    coop = make_party(name)
    harvest = be.record_harvest(
        coop.staff, area_ids=[make_area(coop.org).id], product_id=make_product(coop.org).id,
        quantity=Decimal(900), unit="kg", harvested_on=date(2026, 3, 1),
    )
    split = be.record_split(coop.staff, harvest.id, parts=[
        {"quantity": Decimal(400), "unit": "kg"}, {"quantity": Decimal(500), "unit": "kg"},
    ])
    return coop, harvest, split


def test_a_withdrawn_split_leaves_the_live_genealogy_and_its_event_stays() -> None:
    coop, harvest, split = _harvest_and_split("HTX Rút lại")
    parts = [b.id for b in split.created]
    event_pk = split.events[0].id
    assert set(lineage.descendants(harvest.id)) == set(parts)

    be.correct_event(coop.staff, split.events[0].event_id, reason="did_not_occur")

    assert lineage.descendants(harvest.id) == {}
    assert lineage.ancestors(parts[0]) == {}
    assert lineage.recall_forward([harvest.id]) == {harvest.id}
    assert db.session.scalar(
        select(func.count()).select_from(BatchLink).where(BatchLink.event_pk == event_pk)
    ) == 0
    withdrawn = db.session.get(EpcisEvent, event_pk)
    assert withdrawn is not None and withdrawn.retracted_at is not None
    assert len(withdrawn.document["outputQuantityList"]) == 2  # the record stays as it was


def test_an_event_captured_after_its_error_declaration_never_links() -> None:
    coop, harvest, split = _harvest_and_split("HTX Khai muộn")
    # A partner's document brings the error declaration of an event before the event
    # itself (a second split of the same lot, never captured here): the event arrives
    # already withdrawn and must not enter the genealogy.
    late = {k: v for k, v in split.events[0].document.items()
            if k not in ("eventID", "recordTime")}
    late["eventTime"] = "2026-03-02T09:30:00+07:00"
    late["eventID"] = event_hash_id(late, EVENT_CONTEXT)
    declaration = dict(late, errorDeclaration={
        "declarationTime": "2026-03-03T08:00:00+07:00", "reason": "did_not_occur",
    })
    capture.store_events(coop.staff, [capture.PreparedEvent(declaration)], EVENT_CONTEXT)
    link = capture.Link(harvest.id, split.created[0].id, Decimal(1))
    capture.store_events(coop.staff, [capture.PreparedEvent(late, links=[link])], EVENT_CONTEXT)
    stored = db.session.scalar(select(EpcisEvent).where(
        EpcisEvent.event_id == late["eventID"], EpcisEvent.declares_error.is_(False)))
    assert stored is not None and stored.retracted_at is not None
    assert db.session.scalar(
        select(func.count()).select_from(BatchLink).where(BatchLink.event_pk == stored.id)
    ) == 0
    assert set(lineage.descendants(harvest.id)) == {b.id for b in split.created}


def test_a_cycle_cannot_make_the_walk_run_forever(world: SimpleNamespace) -> None:
    # The event services cannot create one; the walk must end anyway.
    event = _event(world.coop)
    _link(event, [world.s2], [world.ghost])
    _link(event, [world.ghost], [world.h2])
    _link(event, [world.h2], [world.s2])  # h2 → mix … and back to s2: a cycle s2→ghost→h2→s2
    down = lineage.descendants(world.s2.id)
    assert down[world.ghost.id] == 1 and down[world.h2.id] == 2 and down[world.mix.id] == 3
    assert world.s2.id not in down
    assert {world.s2.id, world.ghost.id, world.h2.id} <= lineage.recall_forward([world.s2.id])
    up = lineage.ancestors(world.s2.id)
    assert up[world.h3.id] == 1 and up[world.h2.id] == 1 and up[world.ghost.id] == 2


# --- recall ------------------------------------------------------------------------------------


def test_recall_forward_from_several_lots_returns_them_and_all_descendants(
    world: SimpleNamespace,
) -> None:
    expected = {"h1", "s2", "mix", "combo", "dried", "pack1", "pack2", "r", "x"}
    assert lineage.recall_forward([world.h1.id, world.s2.id, world.h1.id]) == {
        getattr(world, name).id for name in expected
    }


def test_recall_forward_of_one_lot_and_of_none(world: SimpleNamespace) -> None:
    assert lineage.recall_forward([world.r.id]) == {world.r.id, world.x.id}
    assert lineage.recall_forward([]) == set()


def test_recall_forward_puts_the_planner_settings_back(world: SimpleNamespace) -> None:
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    settings = text("SELECT current_setting('enable_hashjoin'), "
                    "current_setting('enable_mergejoin'), current_setting('jit')")
    before = tuple(db.session.execute(settings).one()) if postgresql else None
    assert world.dried.id in lineage.recall_forward([world.h1.id, world.h2.id, world.h3.id])
    if postgresql:
        assert before is not None and before[:2] == ("on", "on")
        assert tuple(db.session.execute(settings).one()) == before


# --- one step back / forward -----------------------------------------------------------------


def test_one_step_back_gives_the_parents_with_event_and_kilograms(world: SimpleNamespace) -> None:
    step = lineage.one_step_back(world.owner, world.mix.id)
    assert step.batch.id == world.mix.id and step.batch.depth == 0
    assert {lot.id for lot in step.lots} == {world.h1.id, world.h2.id}
    assert all(lot.depth == 1 for lot in step.lots)
    assert {(ln.parent_id, ln.child_id, ln.event_pk, ln.quantity_kg) for ln in step.links} == {
        (world.h1.id, world.mix.id, world.e_merge.id, Decimal("50")),
        (world.h2.id, world.mix.id, world.e_merge.id, Decimal("50")),
    }
    assert step.shipments == []


def test_one_step_back_names_the_supplier_of_a_received_lot(world: SimpleNamespace) -> None:
    step = lineage.one_step_back(world.buyer, world.r.id)
    assert [lot.id for lot in step.lots] == [world.pack2.id]
    (supplier,) = step.shipments
    assert supplier.organisation_id == world.coop.id
    assert supplier.batch_id == world.pack2.id and supplier.received_batch_id == world.r.id
    assert supplier.quantity_kg == Decimal("30")


def test_one_step_forward_gives_children_and_customers(world: SimpleNamespace) -> None:
    step = lineage.one_step_forward(world.owner, world.pack2.id)
    assert {lot.id for lot in step.lots} == {world.combo.id, world.r.id}
    (customer,) = step.shipments
    assert customer.organisation_id == world.enterprise.id
    assert customer.organisation_name == world.enterprise.name
    assert customer.shipment_id == world.shipment.id


def test_one_step_is_refused_to_a_stranger(world: SimpleNamespace) -> None:
    with pytest.raises(NotFound):
        lineage.one_step_back(world.other, world.mix.id)
    with pytest.raises(NotFound):
        lineage.one_step_forward(world.other, world.mix.id)


# --- full traces -----------------------------------------------------------------------------


def test_owner_traces_back_to_areas_communes_and_households(world: SimpleNamespace) -> None:
    trace = lineage.trace_back(world.owner, world.combo.id)
    assert trace.batch.id == world.combo.id and trace.batch.lot_code == "COMBO"
    assert {lot.id: lot.depth for lot in trace.lots} == lineage.ancestors(world.combo.id)
    h3 = next(lot for lot in trace.lots if lot.id == world.h3.id)
    assert h3.product_name == "Product CHERRY"
    assert h3.organisation_name == world.coop.name
    assert h3.details_visible and h3.quantity_kg == Decimal("100")
    # Every live edge between the traced lots, once; the retracted ghost link is not one.
    assert len(trace.links) == 2 + 1 + 2 + 2 + 3
    assert world.ghost.id not in {link.parent_id for link in trace.links}
    assert {(o.batch_id, o.commune_code, o.area_code) for o in trace.origins} == {
        (world.h1.id, SOC_SON, "P1"), (world.h2.id, KIM_ANH, "P2"), (world.h3.id, SOC_SON, "P1"),
    }
    assert all(o.commune_name for o in trace.origins)
    assert {(h.batch_id, h.display_name, h.quantity_kg) for h in trace.households} == {
        (world.h3.id, "Hộ Nguyễn Văn A", Decimal("60")),
        (world.h3.id, "Hộ Trần Thị B", Decimal("40")),
    }
    assert trace.suppliers == []


def test_buyer_traces_back_through_the_shipment_to_communes_only(
    world: SimpleNamespace,
) -> None:
    trace = lineage.trace_back(world.buyer, world.x.id)
    expected = {"r": 1, "pack2": 2, "dried": 3, "mix": 4, "s1": 4, "h1": 5, "h2": 5, "h3": 5}
    assert {lot.id: lot.depth for lot in trace.lots} == _ids(world, expected)
    # The traceability minimum of the cooperative's lots, without its quantities.
    pack2 = next(lot for lot in trace.lots if lot.id == world.pack2.id)
    assert (pack2.lot_code, pack2.organisation_name, pack2.product_name) == (
        "PACK2", world.coop.name, "Product GREEN",
    )
    assert not pack2.details_visible and pack2.quantity_kg is None and pack2.unit is None
    own = next(lot for lot in trace.lots if lot.id == world.r.id)
    assert own.details_visible and own.quantity_kg == Decimal("100")
    # Communes of origin, not the cooperative's areas, and no households.
    assert {o.commune_code for o in trace.origins} == {SOC_SON, KIM_ANH}
    assert all(o.area_id is None and o.area_code is None for o in trace.origins)
    assert trace.households == []
    # Link kilograms inside the cooperative are its own business; across to E they are not.
    kg = {(ln.parent_id, ln.child_id): ln.quantity_kg for ln in trace.links}
    assert kg[(world.pack2.id, world.r.id)] == Decimal("30")
    assert kg[(world.h1.id, world.mix.id)] is None
    (supplier,) = trace.suppliers
    assert supplier.organisation_id == world.coop.id and supplier.quantity_kg == Decimal("30")


def test_forward_trace_reaches_every_descendant_and_buyer(world: SimpleNamespace) -> None:
    trace = lineage.trace_forward(world.owner, world.h3.id)
    assert {lot.id: lot.depth for lot in trace.lots} == lineage.descendants(world.h3.id)
    x = next(lot for lot in trace.lots if lot.id == world.x.id)
    assert x.organisation_name == world.enterprise.name and x.product_name == "Product ROAST"
    assert not x.details_visible and x.quantity_kg is None
    (buyer,) = trace.buyers
    assert buyer.organisation_id == world.enterprise.id
    assert buyer.batch_id == world.pack2.id and buyer.quantity_kg == Decimal("30")
    kg = {(ln.parent_id, ln.child_id): ln.quantity_kg for ln in trace.links}
    assert kg[(world.r.id, world.x.id)] is None  # the enterprise's own processing
    assert kg[(world.pack2.id, world.r.id)] == Decimal("30")


def test_buyer_may_trace_forward_a_lot_shipped_to_it(world: SimpleNamespace) -> None:
    trace = lineage.trace_forward(world.buyer, world.pack2.id)
    assert {lot.id for lot in trace.lots} == {world.combo.id, world.r.id, world.x.id}
    assert not trace.batch.details_visible


def test_trace_of_a_lot_not_shipped_to_the_buyer_is_not_found(world: SimpleNamespace) -> None:
    with pytest.raises(NotFound):
        lineage.trace_back(world.buyer, world.h1.id)
    with pytest.raises(NotFound):
        lineage.trace_forward(world.buyer, world.dried.id)


def test_stranger_and_out_of_scope_authority_get_not_found(world: SimpleNamespace) -> None:
    for actor in (world.other, world.hcmc_authority, Actor()):
        with pytest.raises(NotFound):
            lineage.trace_back(actor, world.combo.id)
        with pytest.raises(NotFound):
            lineage.trace_forward(actor, world.h1.id)


def test_unknown_lot_is_not_found(world: SimpleNamespace) -> None:
    with pytest.raises(NotFound):
        lineage.trace_back(world.admin, 999_999)


def test_admin_and_authority_in_scope_read_the_whole_trace(world: SimpleNamespace) -> None:
    for actor in (world.admin, world.hanoi_authority):
        trace = lineage.trace_back(actor, world.x.id)
        assert len(trace.lots) == 8
        assert all(lot.details_visible for lot in trace.lots)
        assert len(trace.households) == 2
        assert trace.batch.details_visible


def test_households_are_only_for_the_pooling_cooperative(world: SimpleNamespace) -> None:
    # The enterprise owns x, yet h3's households stay the cooperative's.
    assert lineage.trace_back(world.buyer, world.x.id).households == []
    assert len(lineage.trace_back(world.owner, world.h3.id).households) == 2
