"""The consumer trace page's data (``traceability.services.trace_page``): what a consumer
reads about a lot, from where, and what never reaches the page."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import pytest
from sqlalchemy import event
from sqlalchemy.orm import lazyload

from core.db import db
from tests.traceability.trace_world import (
    AREA_CODE,
    AREA_NAME,
    HARVEST_LOT,
    HOUSEHOLD,
    PLANTING_CODE,
    ROASTED_LOT,
    TraceWorld,
    at,
    build_trace_world,
)
from traceability.models import Batch, Product
from traceability.models.areas import AreaKind
from traceability.services import recording
from traceability.services.resolution import resolve_path
from traceability.services.trace_page import (
    Evidence,
    EvidenceKind,
    TracePage,
    lot_page,
    trace_page,
)


@pytest.fixture()
def world() -> TraceWorld:
    return build_trace_world()


def _page(world: TraceWorld) -> TracePage:
    return trace_page(resolve_path("/" + world.roasted_key_path))


def _kinds(page: TracePage) -> list[str]:
    return [step.kind for step in page.steps]


def test_the_page_names_the_product_lot_expiry_and_producer_with_its_address(world):
    page = _page(world)
    assert page.level == "lot"
    assert page.product is not None and page.product.name == "Cà phê rang xay Đông Á"
    assert page.product.gtin == world.roasted.gtin
    assert page.lot_code == ROASTED_LOT
    assert page.expiry == date(2027, 9, 1)
    assert page.producer is not None and page.producer.name == "Công ty Rang Xay Đông Á"
    assert page.producer.place.province == "Thành phố Hà Nội"
    coop_page = lot_page(world.harvest)
    assert coop_page.producer is not None
    assert coop_page.producer.address_line == "Thôn Đông, số 12"
    assert coop_page.producer.place.commune == "Xã Sóc Sơn"


def test_origin_is_the_commune_and_area_kind_of_the_ancestor_harvest_never_a_household(world):
    page = _page(world)
    [origin] = page.origins
    assert origin.place.commune == "Xã Kim Anh"
    assert origin.place.province == "Thành phố Hà Nội"
    assert origin.kind == AreaKind.PLOT
    assert origin.planting_area_code == PLANTING_CODE
    assert origin.grower == "HTX Sóc Sơn"
    assert origin.harvested_on == date(2026, 3, 1)
    everything = repr(asdict(page))
    # Neither the household nor the cooperative's own names for its plots reach the page.
    for private in (HOUSEHOLD, AREA_CODE, AREA_NAME, "GG-PRIVATE-9"):
        assert private not in everything


def test_the_journey_runs_through_the_ancestors_to_this_lot(world):
    page = _page(world)
    assert _kinds(page) == ["harvest", "storing", "shipping", "receiving", "transformation"]
    harvest, _stored, shipping, receiving, roasting = page.steps
    assert harvest.organisation == "HTX Sóc Sơn"
    assert harvest.place.commune == "Xã Kim Anh"  # where it was harvested
    assert shipping.day == date(2026, 3, 2)
    assert shipping.counterpart == "Công ty Rang Xay Đông Á"
    assert receiving.organisation == "Công ty Rang Xay Đông Á"
    assert receiving.counterpart == "HTX Sóc Sơn"
    assert roasting.made == ("Cà phê rang xay Đông Á",)
    assert roasting.process == "roasting"
    assert [s.this_lot for s in page.steps] == [False, False, False, False, True]


def test_an_ancestor_s_later_shipping_elsewhere_is_not_this_lot_s_journey(world):
    page = _page(world)
    shipped_to = [s.counterpart for s in page.steps if s.kind == "shipping"]
    assert shipped_to == ["Công ty Rang Xay Đông Á"]  # not the later one to another buyer
    own = lot_page(world.harvest)
    assert [s.counterpart for s in own.steps if s.kind == "shipping"] == [
        "Công ty Rang Xay Đông Á", "Công ty Thu Mua Khác",
    ]


def test_evidence_grades_each_step(world):
    page = _page(world)
    harvest, stored, shipping, receiving, roasting = page.steps
    declared_coop = Evidence(EvidenceKind.DECLARED, "HTX Sóc Sơn")
    assert stored.evidence == (declared_coop,)
    # The shipping is the coop's word, confirmed by the buyer's receiving record.
    assert shipping.evidence == (
        declared_coop, Evidence(EvidenceKind.CONFIRMED, "Công ty Rang Xay Đông Á"),
    )
    assert receiving.evidence == (Evidence(EvidenceKind.CONFIRMED, "Công ty Rang Xay Đông Á"),)
    # Production steps are backed by the certificates valid that day: the cooperative's
    # and, for a harvest, its area's.
    assert harvest.evidence == (
        declared_coop,
        Evidence(EvidenceKind.CERTIFICATE, certification_id=world.vietgap.id),
        Evidence(EvidenceKind.CERTIFICATE, certification_id=world.area_cert.id),
    )
    assert roasting.evidence[1:] == (
        Evidence(EvidenceKind.CERTIFICATE, certification_id=world.haccp.id),
    )
    [origin] = page.origins
    assert origin.evidence == (
        declared_coop, Evidence(EvidenceKind.CERTIFICATE, certification_id=world.area_cert.id),
    )


def test_an_unreceived_shipping_is_only_declared(world):
    page = lot_page(world.harvest)
    later = [s for s in page.steps if s.counterpart == "Công ty Thu Mua Khác"]
    assert [s.evidence for s in later] == [(Evidence(EvidenceKind.DECLARED, "HTX Sóc Sơn"),)]


def test_certifications_are_the_public_ones_valid_on_the_days_of_the_journey(world):
    page = _page(world)
    by_id = {c.id: c for c in page.certifications}
    # The private one and the one that expired before the harvest are not there.
    assert set(by_id) == {world.vietgap.id, world.area_cert.id, world.haccp.id}
    assert by_id[world.vietgap.id].valid_on == (date(2026, 3, 1),)
    assert by_id[world.haccp.id].valid_on == (date(2026, 3, 4),)
    assert by_id[world.haccp.id].holder == "Công ty Rang Xay Đông Á"


def test_a_certification_revoked_before_the_harvest_backs_nothing(world):
    world.vietgap.revoked_on = date(2026, 2, 1)
    db.session.commit()
    page = _page(world)
    assert world.vietgap.id not in {c.id for c in page.certifications}
    backing = {e.certification_id for e in page.steps[0].evidence}
    assert backing == {None, world.area_cert.id}  # declared, and the area's certificate


def test_no_recall_means_no_banner(world):
    assert _page(world).recalls == []


def test_a_recalled_ancestor_puts_the_recall_on_the_processed_lot(world):
    recording.record_recall(world.coop.staff, world.harvest.id, at=at(6, 9))
    db.session.commit()
    page = _page(world)
    assert page.recalled
    [recall] = page.recalls
    assert (recall.lot_code, recall.organisation, recall.this_lot) == (
        HARVEST_LOT, "HTX Sóc Sơn", False,
    )
    assert recall.day == date(2026, 3, 6)
    assert "recall" in _kinds(page)  # an ancestor's recall is on the journey whenever it came


def test_a_recalled_lot_says_so_first(world):
    recording.record_recall(world.roaster.staff, world.roasted_lot.id, at=at(6, 9))
    db.session.commit()
    recalls = _page(world).recalls
    assert recalls[0].this_lot and recalls[0].lot_code == ROASTED_LOT


def test_a_withdrawn_record_is_not_on_the_journey(world):
    stored = next(s for s in lot_page(world.harvest).steps if s.kind == "storing")
    assert stored
    event_id = next(
        e.event_id for e in _events_of(world.harvest.id) if e.biz_step == "storing"
    )
    recording.correct_event(world.coop.staff, event_id, reason="did_not_occur",
                            batch_id=world.harvest.id)
    db.session.commit()
    assert "storing" not in _kinds(_page(world))


def _events_of(batch_id: int):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from traceability.models.events import EpcisEvent, EventBatch

    return db.session.scalars(
        select(EpcisEvent).join(EventBatch, EventBatch.event_pk == EpcisEvent.id)
        .where(EventBatch.batch_id == batch_id)
    ).all()


def test_unknown_serial_walks_up_to_the_lot_and_says_so(world):
    page = trace_page(resolve_path(f"/{world.roasted_key_path}/21/NO-SUCH"))
    assert page.level == "lot"
    assert page.unknown_serial == "NO-SUCH"
    assert page.lot_code == ROASTED_LOT


def test_an_unregistered_lot_under_a_known_product_is_the_product_page(world):
    page = trace_page(resolve_path(f"/01/{world.roasted.gtin}/10/FAKE-1"))
    assert page.level == "product"
    assert page.unregistered_lot == "FAKE-1"
    assert page.product is not None and page.product.name == "Cà phê rang xay Đông Á"
    assert page.producer is not None and page.producer.name == "Công ty Rang Xay Đông Á"
    assert page.steps == [] and page.lot_code is None


def test_the_page_costs_a_fixed_number_of_queries_however_long_the_chain(world):
    short = _count_queries(world.roasted_lot.id)
    # Three more lots in the chain, each split from the last: not one query more.
    batch = world.roasted_lot
    for n in range(3):
        batch = recording.record_split(
            world.roaster.staff, batch.id,
            parts=[{"quantity": "10", "unit": "kg", "lot_code": f"S{n}"}], at=at(7 + n, 8),
        ).created[0]
    db.session.commit()
    longer = _count_queries(batch.id)
    assert longer == short
    # The product's photo, the producer's verifications and the lab results among them.
    assert short <= 14


def _count_queries(batch_id: int) -> int:
    """Statements ``lot_page`` sends for a lot loaded as the resolver loads it (with its
    product), from an otherwise empty identity map; savepoints aside."""
    statements: list[str] = []
    db.session.expire_all()
    batch = db.session.get(Batch, batch_id, options=[lazyload(Batch.areas)])
    assert batch is not None
    db.session.get(Product, batch.product_id)

    def before(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if not statement.startswith(("SAVEPOINT", "RELEASE")):
            statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", before)
    try:
        lot_page(batch)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements)


def test_a_recorded_serial_is_named(world):
    from traceability.models.serials import BatchSerial

    db.session.add(BatchSerial(batch_id=world.roasted_lot.id, serial="0001"))
    db.session.commit()
    page = trace_page(resolve_path(f"/{world.roasted_key_path}/21/0001"))
    assert (page.level, page.serial, page.unknown_serial) == ("serial", "0001", None)


def test_beyond_the_lots_shown_a_recalled_ancestor_still_raises_the_banner(world, monkeypatch):
    from traceability.services import trace_page as module

    monkeypatch.setattr(module, "MAX_TRACED_LOTS", 1)  # the lot and its received lot only
    recording.record_recall(world.coop.staff, world.harvest.id, at=at(6, 9))
    db.session.commit()
    page = _page(world)
    assert page.lots_not_shown == 1
    # The steps recorded on the harvest lot (its receipt included) are not shown …
    assert _kinds(page) == ["transformation"]
    # … but its recall is.
    assert [r.lot_code for r in page.recalls] == [HARVEST_LOT]


# --------------------------------------------------------------------------- Decree 37 items


def test_the_product_s_applied_standards_are_on_the_page(world):
    world.roasted.applied_standards = ["TCVN 11041-2:2017", "TCCS 01:2026/DA"]
    db.session.commit()
    page = _page(world)
    assert page.product is not None
    assert page.product.applied_standards == ("TCVN 11041-2:2017", "TCCS 01:2026/DA")
    unregistered = trace_page(resolve_path(f"/01/{world.roasted.gtin}/10/FAKE-1"))
    assert unregistered.product is not None
    assert unregistered.product.applied_standards == ("TCVN 11041-2:2017", "TCCS 01:2026/DA")


def _lab(world, batch, *, day: int, outcome: str = "pass", test: str = "pesticide_residues",
         number: str = "KQ-1"):
    from traceability.services import lab_results

    owner = world.coop if batch.organisation_id == world.coop.org.id else world.roaster
    result = lab_results.record_lab_result(
        owner.staff, batch.id, test=test, laboratory="Trung tâm Kiểm nghiệm Hà Nội",
        accreditation="VILAS 1234", sampled_on=date(2026, 3, day), outcome=outcome,
        report_number=number,
    )
    db.session.commit()
    return result


def test_a_passed_lab_result_of_the_lot_backs_its_claim(world):
    own = _lab(world, world.roasted_lot, day=5, test="microbiology", number="VS-9")
    _lab(world, world.roasted_lot, day=5, test="heavy_metals", outcome="fail", number="KL-2")
    page = _page(world)
    [line] = page.lab_results
    assert (line.id, line.test.value, line.this_lot) == (own.id, "microbiology", True)
    assert (line.laboratory, line.accreditation, line.sampled_on, line.report_number) == (
        "Trung tâm Kiểm nghiệm Hà Nội", "VILAS 1234", date(2026, 3, 5), "VS-9")
    assert line.evidence == (
        Evidence(EvidenceKind.LAB_RESULT, "Trung tâm Kiểm nghiệm Hà Nội", lab_result_id=own.id),)
    assert page.lab_result(own.id) is line
    # A failed result backs nothing and is not on the page at all.
    assert "KL-2" not in repr(asdict(page))


def test_an_ancestor_s_result_shows_when_sampled_before_it_went_into_the_chain(world):
    before = _lab(world, world.harvest, day=2, number="HQ-BEFORE")
    _lab(world, world.harvest, day=4, number="HQ-AFTER")  # after the roaster booked it
    page = _page(world)
    [line] = page.lab_results
    assert (line.id, line.this_lot) == (before.id, False)
    assert (line.product, line.organisation) == ("Cà phê nhân Sóc Sơn", "HTX Sóc Sơn")
    assert HARVEST_LOT not in repr(page.lab_results)  # another lot's code: not shown
    # On the harvest lot's own page both are its own results, newest first.
    own = lot_page(world.harvest)
    assert [r.report_number for r in own.lab_results] == ["HQ-AFTER", "HQ-BEFORE"]
    assert all(r.this_lot for r in own.lab_results)


def test_the_lot_s_own_results_come_before_its_ancestors(world):
    _lab(world, world.harvest, day=2, number="HQ-1")
    _lab(world, world.roasted_lot, day=4, number="RX-1")
    assert [r.report_number for r in _page(world).lab_results] == ["RX-1", "HQ-1"]
