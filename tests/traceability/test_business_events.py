"""Business events: the PHI gate, quantities kept true, shipping and receiving, genealogy
edges, destroy, recall, and corrections that never edit or delete."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linkages.models.organisations import OrgType
from tests.traceability.batch_factories import (
    make_area,
    make_party,
    make_product,
    new_gtin,
    spray,
)
from traceability.epcis.validation import validate_event
from traceability.models import (
    Batch,
    BatchLink,
    BatchStatus,
    EpcisEvent,
    Shipment,
)
from traceability.services import batches as svc
from traceability.services import recording as be
from traceability.services.timeline import batch_timeline, timeline_entries

DAY = date(2026, 3, 1)


def harvest(party, area, product, qty="1000", unit="kg", actor=None, **kw):  # type: ignore[no-untyped-def]
    return be.record_harvest(
        actor or party.staff, area_ids=[area.id], product_id=product.id,
        quantity=Decimal(qty), unit=unit, harvested_on=kw.pop("on", DAY), **kw,
    )


def docs(batch_id: int, actor) -> list[dict]:  # type: ignore[no-untyped-def]
    rows = db.session.execute(batch_timeline(actor, batch_id)).all()
    return timeline_entries(rows)


# --------------------------------------------------------------------------- harvest


def test_harvest_event_is_a_commissioning_object_event_with_fsma_harvest_kdes(coop) -> None:
    gln = "8934567000017"
    area = make_area(coop.org, code="A1", gln=gln, planting_area_code="VN-DL-001")
    batch = harvest(coop, area, make_product(coop.org, gtin=new_gtin()), qty="3", unit="ta",
                    expiry=date(2027, 3, 1))
    [entry] = docs(batch.id, coop.staff)
    doc = entry["document"]
    assert doc["type"] == "ObjectEvent" and doc["action"] == "ADD"
    assert doc["bizStep"] == "commissioning" and doc["disposition"] == "active"
    assert doc["quantityList"] == [{"epcClass": batch.identifier, "quantity": 3, "uom": "DTN"}]
    assert doc["readPoint"]["id"] == f"https://trace.example.vn/414/{gln}"
    assert doc["eventTime"] == "2026-03-01T00:00:00+07:00"
    assert doc["eventTimeZoneOffset"] == "+07:00"
    ilmd = doc["ilmd"]
    assert ilmd["cbvmda:harvestStartDate"] == "2026-03-01"
    assert ilmd["cbvmda:lotNumber"] == batch.lot_code
    assert ilmd["cbvmda:itemExpirationDate"] == "2027-03-01"
    assert ilmd["htx:fields"][0]["htx:areaCode"] == "A1"
    assert ilmd["htx:fields"][0]["htx:plantingAreaCode"] == "VN-DL-001"
    assert doc["eventID"].startswith("ni:///sha-256;")
    assert entry["kind"] == "harvest" and entry["quantity_kg"] == Decimal(300)
    assert validate_event({k: v for k, v in doc.items() if k != "@context"},
                          be.EVENT_CONTEXT) == {}


def test_area_without_gln_is_located_by_a_platform_uri(coop) -> None:
    area = make_area(coop.org)
    batch = harvest(coop, area, make_product(coop.org))
    [entry] = docs(batch.id, coop.staff)
    assert entry["document"]["bizLocation"]["id"] == (
        f"https://trace.example.vn/loc/{coop.org.registration_code}/areas/{area.id}"
    )


def test_harvest_time_with_an_offset_keeps_it(coop) -> None:
    moment = datetime(2026, 3, 1, 6, 30, tzinfo=timezone(timedelta(hours=8)))
    batch = harvest(coop, make_area(coop.org), make_product(coop.org), on=moment)
    [entry] = docs(batch.id, coop.staff)
    assert entry["document"]["eventTime"] == "2026-03-01T06:30:00+08:00"
    assert entry["document"]["eventTimeZoneOffset"] == "+08:00"


# --------------------------------------------------------------------------- PHI gate


def test_harvest_inside_a_pre_harvest_interval_is_refused_naming_area_ingredient_and_day(
    coop,
) -> None:
    area = make_area(coop.org, code="A7")
    spray(area, date(2026, 2, 25), 10, "Abamectin")
    with pytest.raises(Conflict) as err:
        harvest(coop, area, make_product(coop.org))
    message = " ".join(str(m) for m in err.value.field_errors["harvested_on"])
    # The first safe day in the reader's date format (Vietnamese by default).
    assert "A7" in message and "Abamectin" in message and "7 thg 3, 2026" in message
    assert "25 thg 2, 2026" in message
    assert db.session.scalar(select(Batch.id)) is None


def test_harvest_after_the_interval_and_applications_after_the_harvest_do_not_block(
    coop,
) -> None:
    area = make_area(coop.org)
    spray(area, date(2026, 2, 1), 10)  # safe from 11 Feb
    spray(area, date(2026, 3, 2), 30)  # after the harvest: the next crop's business
    spray(area, date(2026, 2, 19), 10)  # safe from 1 Mar exactly
    assert harvest(coop, area, make_product(coop.org)).id


def test_org_admin_may_override_the_interval_and_the_reason_is_recorded(coop) -> None:
    area = make_area(coop.org)
    spray(area, date(2026, 2, 28), 7)
    batch = harvest(coop, area, make_product(coop.org), actor=coop.admin,
                    phi_override_reason="Thu hoạch gấp trước bão")
    assert batch.phi_override_reason == "Thu hoạch gấp trước bão"
    assert batch.phi_override_by_id == coop.admin.user_id


def test_staff_may_not_override_the_interval(coop) -> None:
    area = make_area(coop.org)
    spray(area, date(2026, 2, 28), 7)
    with pytest.raises(Forbidden):
        harvest(coop, area, make_product(coop.org), phi_override_reason="Tôi muốn")


def test_phi_gate_checks_every_area_of_the_harvest(coop) -> None:
    clean, sprayed = make_area(coop.org, code="OK"), make_area(coop.org, code="BAD")
    spray(sprayed, date(2026, 2, 27), 5, "Imidacloprid")
    with pytest.raises(Conflict) as err:
        be.record_harvest(coop.staff, area_ids=[clean.id, sprayed.id],
                          product_id=make_product(coop.org).id, quantity=Decimal(1),
                          unit="kg", harvested_on=DAY)
    assert "BAD" in err.value.field_errors["harvested_on"][0]


# --------------------------------------------------------------------------- observations


@pytest.mark.parametrize(("kind", "step"), [("cooling", be.COOLING_STEP), ("storing", "storing"),
                                             ("packing", "packing")])
def test_observations_record_the_step_without_changing_the_quantity(coop, kind, step) -> None:
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    result = be.record_observation(coop.staff, batch.id, kind, at="2026-03-02T08:00:00+07:00")
    doc = result.events[0].document
    assert doc["action"] == "OBSERVE" and doc["bizStep"] == step
    assert be.event_kind(doc) == kind
    assert svc.current_quantity(batch.id) == Decimal(1000)


def test_the_same_observation_sent_twice_is_refused_as_already_recorded(coop) -> None:
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    be.record_cooling(coop.staff, batch.id, at="2026-03-02T08:00:00+07:00")
    with pytest.raises(Conflict):
        be.record_cooling(coop.staff, batch.id, at="2026-03-02T08:00:00+07:00")


def test_packing_into_a_new_lot_assigns_a_lot_code_and_links_it(coop) -> None:
    source = harvest(coop, make_area(coop.org), make_product(coop.org))
    packed_product = make_product(coop.org, gtin=new_gtin(), name="Cà phê túi 5 kg")
    result = be.record_packing(coop.staff, source.id, into_new_lot=True,
                               product_id=packed_product.id, quantity=Decimal(400), unit="kg",
                               at="2026-03-03")
    [packed] = result.created
    assert packed.lot_code == "260303-P-1" and packed.product_id == packed_product.id
    doc = result.events[0].document
    assert doc["type"] == "TransformationEvent" and doc["bizStep"] == "packing"
    assert doc["ilmd"]["cbvmda:lotNumber"] == "260303-P-1"
    assert svc.current_quantity(source.id) == Decimal(600)
    assert svc.current_quantity(packed.id) == Decimal(400)
    link = db.session.scalar(select(BatchLink).where(BatchLink.child_id == packed.id))
    assert link.parent_id == source.id and link.quantity_kg == Decimal(400)


# --------------------------------------------------------------------------- shipping


def test_shipping_records_parties_documents_and_a_shipment(coop, dn) -> None:
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    result = be.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                                quantity=Decimal("0.4"), unit="tan", shipped_at="2026-03-05",
                                purchase_order="PO-77", despatch_ref="PXK 12")
    doc = result.events[0].document
    assert doc["bizStep"] == "shipping" and doc["disposition"] == "in_transit"
    assert doc["quantityList"][0]["uom"] == "TNE"
    assert {"type": "owning_party",
            "source": svc.party_uri(coop.org)} in doc["sourceList"]
    assert {"type": "owning_party",
            "destination": svc.party_uri(dn.org)} in doc["destinationList"]
    types = {t["type"]: t["bizTransaction"] for t in doc["bizTransactionList"]}
    assert types["po"].endswith("/bt/po/PO-77")
    assert types["desadv"].endswith("/bt/desadv/PXK%2012")
    shipment = result.shipment
    assert shipment.quantity_kg == Decimal(400) and shipment.to_organisation_id == dn.org.id
    assert shipment.ship_event_pk == result.events[0].id
    assert svc.current_quantity(batch.id) == Decimal(600)


def test_shipping_more_than_held_is_a_conflict_naming_the_batch_and_shortfall(coop, dn) -> None:
    batch = harvest(coop, make_area(coop.org), make_product(coop.org), lot_code="LOT9")
    with pytest.raises(Conflict) as err:
        be.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                           quantity=Decimal("1.25"), unit="tan")
    assert "LOT9" in str(err.value.detail) and "250" in str(err.value.detail)
    assert db.session.scalar(select(Shipment.id)) is None


def test_shipping_everything_puts_the_batch_in_transit_then_consumed_on_receipt(coop, dn) -> None:
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    result = be.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                                quantity=Decimal(1000), unit="kg")
    assert batch.status == BatchStatus.IN_TRANSIT
    be.record_receiving(dn.staff, result.shipment.id, received_quantity=Decimal(1000),
                        unit="kg")
    assert batch.status == BatchStatus.CONSUMED


def test_another_cooperatives_batch_cannot_be_shipped(coop, dn) -> None:
    other = make_party("HTX B")
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    with pytest.raises(NotFound):
        be.record_shipping(other.staff, batch.id, to_organisation_id=dn.org.id,
                           quantity=Decimal(1), unit="kg")


# --------------------------------------------------------------------------- receiving


def test_receiving_books_a_new_lot_of_the_receiver_linked_to_the_shipped_lot(coop, dn) -> None:
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    shipment = be.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                                  quantity=Decimal(500), unit="kg", purchase_order="PO1").shipment
    result = be.record_receiving(dn.staff, shipment.id, received_quantity=Decimal(495),
                                 unit="kg", received_at="2026-03-06T09:00:00+07:00")
    [booked] = result.created
    assert booked.organisation_id == dn.org.id and booked.lot_code == "260306-R-1"
    receive, booking = (e.document for e in result.events)
    assert receive["bizStep"] == "receiving" and receive["disposition"] == "in_progress"
    assert receive["quantityList"][0]["epcClass"] == batch.identifier
    assert booking["type"] == "TransformationEvent"
    assert booking["outputQuantityList"][0]["epcClass"] == booked.identifier
    assert shipment.received_kg == Decimal(495) and shipment.received_batch_id == booked.id
    assert svc.current_quantity(booked.id) == Decimal(495)
    assert svc.current_quantity(batch.id) == Decimal(500)
    link = db.session.scalar(select(BatchLink).where(BatchLink.child_id == booked.id))
    assert link.parent_id == batch.id


def test_only_the_addressee_records_receiving(coop, dn) -> None:
    stranger = make_party("DN khác", OrgType.DN)
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    shipment = be.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                                  quantity=Decimal(10), unit="kg").shipment
    for actor in (stranger.staff, coop.staff):
        with pytest.raises(NotFound):
            be.record_receiving(actor, shipment.id, received_quantity=Decimal(10))


def test_a_shipment_is_received_once_and_not_beyond_what_was_shipped(coop, dn) -> None:
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    shipment = be.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                                  quantity=Decimal(10), unit="kg").shipment
    with pytest.raises(ValidationFailed) as err:
        be.record_receiving(dn.staff, shipment.id, received_quantity=Decimal(11))
    assert "received_quantity" in err.value.field_errors
    be.record_receiving(dn.staff, shipment.id, received_quantity=Decimal(10),
                        into_new_lot=False)
    assert shipment.received_batch_id is None
    with pytest.raises(Conflict):
        be.record_receiving(dn.staff, shipment.id, received_quantity=Decimal(10))


# --------------------------------------------------------------------------- transformations


def test_transformation_consumes_inputs_and_makes_a_linked_output(coop) -> None:
    area, cherry = make_area(coop.org), make_product(coop.org, name="Cà phê tươi")
    green = make_product(coop.org, name="Cà phê nhân")
    a, b = harvest(coop, area, cherry, qty="600"), harvest(coop, area, cherry, qty="400")
    result = be.record_transformation(
        coop.staff,
        inputs=[{"batch_id": a.id, "quantity": Decimal(600), "unit": "kg"},
                {"batch_id": b.id, "quantity": Decimal(1), "unit": "ta"}],
        output={"product_id": green.id, "quantity": Decimal(150), "unit": "kg"},
        at="2026-03-10",
    )
    [out] = result.created
    doc = result.events[0].document
    assert doc["type"] == "TransformationEvent"
    assert [q["quantity"] for q in doc["inputQuantityList"]] == [600, 1]
    assert doc["outputQuantityList"][0]["epcClass"] == out.identifier
    assert svc.current_quantity(a.id) == 0 and a.status == BatchStatus.CONSUMED
    assert svc.current_quantity(b.id) == Decimal(300) and b.status == BatchStatus.ACTIVE
    assert svc.current_quantity(out.id) == Decimal(150)
    links = {(x.parent_id, x.quantity_kg) for x in
             db.session.scalars(select(BatchLink).where(BatchLink.child_id == out.id))}
    assert links == {(a.id, Decimal(600)), (b.id, Decimal(100))}


def test_transformation_inputs_exceeding_what_they_hold_are_refused(coop) -> None:
    area, product = make_area(coop.org), make_product(coop.org)
    a = harvest(coop, area, product, qty="100", lot_code="IN-A")
    with pytest.raises(Conflict) as err:
        be.record_transformation(
            coop.staff, inputs=[{"batch_id": a.id, "quantity": Decimal(120), "unit": "kg"}],
            output={"product_id": product.id, "quantity": Decimal(100), "unit": "kg"})
    assert "IN-A" in str(err.value.detail) and "20" in str(err.value.detail)
    assert "inputs.0.quantity" in err.value.field_errors


def test_split_parts_exceeding_the_batch_are_refused(coop) -> None:
    batch = harvest(coop, make_area(coop.org), make_product(coop.org), qty="100")
    with pytest.raises(Conflict) as err:
        be.record_split(coop.staff, batch.id,
                        parts=[{"quantity": Decimal(60), "unit": "kg"},
                               {"quantity": Decimal(50), "unit": "kg"}])
    assert "10" in str(err.value.detail)


def test_merge_of_batches_of_different_products_needs_a_product(coop) -> None:
    area = make_area(coop.org)
    a = harvest(coop, area, make_product(coop.org), qty="10")
    b = harvest(coop, area, make_product(coop.org), qty="10")
    with pytest.raises(ValidationFailed) as err:
        be.record_merge(coop.staff, inputs=[{"batch_id": a.id}, {"batch_id": b.id}])
    assert "product_id" in err.value.field_errors


def test_inputs_of_another_organisation_are_not_found(coop) -> None:
    other = make_party("HTX B")
    theirs = harvest(other, make_area(other.org), make_product(other.org))
    mine = harvest(coop, make_area(coop.org), make_product(coop.org))
    with pytest.raises(NotFound):
        be.record_merge(coop.staff, inputs=[{"batch_id": mine.id}, {"batch_id": theirs.id}])


def test_genealogy_edges_across_three_generations_with_a_split_and_a_merge(coop, dn) -> None:
    area, product = make_area(coop.org), make_product(coop.org)
    h1, h2 = harvest(coop, area, product, qty="1000"), harvest(coop, area, product, qty="500")
    # generation 2: h1 split in two; generation 3: one part merged with h2
    s = be.record_split(coop.staff, h1.id, parts=[{"quantity": Decimal(700), "unit": "kg"},
                                                  {"quantity": Decimal(300), "unit": "kg"}])
    p1, p2 = s.created
    m = be.record_merge(coop.staff, inputs=[{"batch_id": p2.id}, {"batch_id": h2.id}])
    [merged] = m.created
    assert merged.quantity_kg == Decimal(800)
    # generation 4: shipped and received by the enterprise into its own lot
    ship = be.record_shipping(coop.staff, merged.id, to_organisation_id=dn.org.id,
                              quantity=Decimal(800), unit="kg")
    booked = be.record_receiving(dn.staff, ship.shipment.id, received_quantity=Decimal(800),
                                 unit="kg").created[0]
    edges = {(x.parent_id, x.child_id, x.quantity_kg) for x in db.session.scalars(
        select(BatchLink))}
    assert edges == {
        (h1.id, p1.id, Decimal(700)), (h1.id, p2.id, Decimal(300)),
        (p2.id, merged.id, Decimal(300)), (h2.id, merged.id, Decimal(500)),
        (merged.id, booked.id, Decimal(800)),
    }
    assert svc.current_quantity(h1.id) == 0 and h1.status == BatchStatus.CONSUMED
    split_doc = s.events[0].document
    assert split_doc["type"] == "TransformationEvent" and split_doc["htx:operation"] == "split"
    assert len(split_doc["outputQuantityList"]) == 2

    from traceability.services import lineage

    assert set(lineage.ancestors(booked.id)) >= {merged.id, p2.id, h1.id, h2.id}
    assert p1.id not in lineage.ancestors(booked.id)
    assert set(lineage.descendants(h1.id)) >= {p1.id, p2.id, merged.id, booked.id}


# --------------------------------------------------------------------------- destroy, recall


def test_destroy_removes_what_is_left_and_closes_the_batch(coop) -> None:
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    result = be.record_destroy(coop.staff, batch.id, at="2026-03-04")
    doc = result.events[0].document
    assert doc["action"] == "DELETE" and doc["disposition"] == "destroyed"
    assert svc.current_quantity(batch.id) == 0 and batch.status == BatchStatus.DESTROYED
    with pytest.raises(Conflict):
        be.record_cooling(coop.staff, batch.id)


def test_recall_marks_the_batch_and_its_own_descendants_recalled(coop, dn) -> None:
    area, product = make_area(coop.org), make_product(coop.org)
    batch = harvest(coop, area, product)
    part = be.record_split(coop.staff, batch.id,
                           parts=[{"quantity": Decimal(100), "unit": "kg"}]).created[0]
    result = be.record_recall(coop.staff, batch.id, include_descendants=True, at="2026-03-09")
    doc = result.events[0].document
    assert doc["disposition"] == "recalled" and doc["bizStep"] == "holding"
    assert {q["epcClass"] for q in doc["quantityList"]} == {batch.identifier, part.identifier}
    assert batch.status == part.status == BatchStatus.RECALLED
    with pytest.raises(Conflict):
        be.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                           quantity=Decimal(1), unit="kg")


# --------------------------------------------------------------------------- corrections


def test_did_not_occur_withdraws_the_event_from_the_quantities_and_the_timeline_shows_it(
    coop, dn,
) -> None:
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    ship = be.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                              quantity=Decimal(300), unit="kg")
    event_id = ship.events[0].event_id
    correction = be.correct_event(coop.staff, event_id, reason="did_not_occur")
    assert correction.corrective == []
    assert svc.current_quantity(batch.id) == Decimal(1000)
    original = db.session.get(EpcisEvent, ship.events[0].id)
    assert original.retracted_at is not None  # kept, not deleted
    declaration = correction.declaration
    assert declaration.declares_error and declaration.event_id == event_id
    assert declaration.document["errorDeclaration"]["reason"] == "did_not_occur"
    entries = docs(batch.id, coop.staff)
    shipped = next(e for e in entries if e["event_id"] == event_id)
    assert shipped["corrected"] and shipped["correction"]["reason"] == "did_not_occur"
    assert len(entries) == 2  # the declaration is shown on the event, not as a row
    # the void shipment no longer shows the batch to the enterprise
    with pytest.raises(NotFound):
        svc.get_batch(dn.staff, batch.id)


def test_incorrect_data_captures_a_corrective_event_that_counts_instead(coop, dn) -> None:
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    ship = be.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                              quantity=Decimal(300), unit="kg")
    correction = be.correct_event(coop.admin, ship.events[0].event_id,
                                  reason="incorrect_data",
                                  quantities={batch.id: (Decimal(250), "kg")})
    [corrective] = correction.corrective
    assert corrective.document["quantityList"][0]["quantity"] == 250
    assert correction.declaration.document["errorDeclaration"]["correctiveEventIDs"] == [
        corrective.event_id]
    assert svc.current_quantity(batch.id) == Decimal(750)
    assert ship.shipment.quantity_kg == Decimal(250)
    assert ship.shipment.ship_event_pk == corrective.id
    entries = docs(batch.id, coop.staff)
    assert [e["corrected"] for e in entries] == [False, True, False]
    assert entries[1]["correction"]["corrective_event_ids"] == [corrective.event_id]
    with pytest.raises(Conflict):
        be.correct_event(coop.admin, ship.events[0].event_id, reason="did_not_occur")


def test_corrected_transformation_moves_its_links_and_quantities(coop) -> None:
    area, product = make_area(coop.org), make_product(coop.org)
    a = harvest(coop, area, product, qty="100")
    result = be.record_transformation(
        coop.staff, inputs=[{"batch_id": a.id, "quantity": Decimal(80), "unit": "kg"}],
        output={"product_id": product.id, "quantity": Decimal(60), "unit": "kg"})
    [out] = result.created
    be.correct_event(coop.staff, result.events[0].event_id, reason="incorrect_data",
                     quantities={a.id: (Decimal(90), "kg"), out.id: (Decimal(70), "kg")})
    assert svc.current_quantity(a.id) == Decimal(10)
    assert svc.current_quantity(out.id) == Decimal(70)
    from traceability.services import lineage

    assert a.id in lineage.ancestors(out.id)


def test_a_correction_may_not_leave_a_batch_below_zero(coop, dn) -> None:
    batch = harvest(coop, make_area(coop.org), make_product(coop.org), qty="100")
    be.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                       quantity=Decimal(80), unit="kg")
    [harvest_event] = [e for e in docs(batch.id, coop.staff) if e["kind"] == "harvest"]
    with pytest.raises(Conflict):
        be.correct_event(coop.staff, harvest_event["event_id"], reason="incorrect_data",
                         quantities={batch.id: (Decimal(50), "kg")})
    assert svc.current_quantity(batch.id) == Decimal(20)


def test_only_the_capturing_organisation_may_correct_an_event(coop) -> None:
    other = make_party("HTX B")
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    [entry] = docs(batch.id, coop.staff)
    with pytest.raises(NotFound):
        be.correct_event(other.admin, entry["event_id"], reason="did_not_occur")
    with pytest.raises(ValidationFailed):
        be.correct_event(coop.admin, entry["event_id"], reason="oops")
    with pytest.raises(ValidationFailed):
        be.correct_event(coop.admin, entry["event_id"], reason="incorrect_data")


# --------------------------------------------------------------------------- processes


def _count(column, *where) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func

    return db.session.scalar(select(func.count(column)).where(*where))


def _roast(coop, process):  # type: ignore[no-untyped-def]
    area, cherry = make_area(coop.org), make_product(coop.org, name="Cà phê nhân")
    roasted = make_product(coop.org, name="Cà phê rang")
    green = harvest(coop, area, cherry, qty="100", lot_code="GREEN-1")
    return green, roasted, lambda: be.record_transformation(
        coop.staff,
        inputs=[{"batch_id": green.id, "quantity": Decimal(100), "unit": "kg"}],
        output={"product_id": roasted.id, "quantity": Decimal(82), "unit": "kg"},
        at="2026-03-10",
        process=process,
    )


def test_processing_names_its_process_in_an_event_that_still_validates(coop) -> None:
    _green, _roasted, record = _roast(coop, "roasting")
    result = record()
    stored = db.session.get(EpcisEvent, result.events[0].id).document
    assert stored["htx:process"] == "roasting"
    assert stored["bizStep"] == "commissioning"
    assert stored["htx:operation"] == "transformation"
    assert validate_event({k: v for k, v in stored.items() if k != "@context"},
                          be.EVENT_CONTEXT) == {}


def test_processing_without_a_process_says_none(coop) -> None:
    _green, _roasted, record = _roast(coop, None)
    assert "htx:process" not in record().events[0].document


def test_every_process_of_the_vocabulary_is_accepted(coop) -> None:
    from traceability.processes import Process, parse_process

    assert [parse_process(p.value) for p in Process] == list(Process)
    assert {"drying", "hulling", "milling", "roasting", "other"} <= {p.value for p in Process}
    assert parse_process("") is None and parse_process(None) is None


@pytest.mark.parametrize("process", ["baking", "Roasting", "roasting; drop", 7])
def test_an_unknown_process_is_refused_naming_the_field_and_nothing_is_written(
    coop, process
) -> None:
    green, roasted, record = _roast(coop, process)
    events_before = _count(EpcisEvent.id)
    with pytest.raises(ValidationFailed) as err:
        record()
    assert list(err.value.field_errors) == ["process"]
    assert _count(EpcisEvent.id) == events_before
    assert _count(Batch.id, Batch.product_id == roasted.id) == 0
    assert svc.current_quantity(green.id) == Decimal(100)


def test_split_and_merge_name_no_process(coop) -> None:
    batch = harvest(coop, make_area(coop.org), make_product(coop.org), qty="100")
    split = be.record_split(coop.staff, batch.id, parts=[{"quantity": Decimal(40)},
                                                         {"quantity": Decimal(60)}])
    merge = be.record_merge(coop.staff, inputs=[{"batch_id": b.id} for b in split.created])
    assert "htx:process" not in split.events[0].document
    assert "htx:process" not in merge.events[0].document


def test_a_corrected_processing_keeps_its_process(coop) -> None:
    green, _roasted, record = _roast(coop, "drying")
    result = record()
    [out] = result.created
    correction = be.correct_event(
        coop.staff, result.events[0].event_id, reason="incorrect_data",
        quantities={green.id: (Decimal(100), "kg"), out.id: (Decimal(80), "kg")})
    [corrective] = correction.corrective
    assert corrective.document["htx:process"] == "drying"
