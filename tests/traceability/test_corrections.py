"""Corrections (EPCIS error declarations) beyond the basics in test_business_events.py:
the receiver correcting its receiving, the shipper's correction waiting for it, and the
statuses a correction leaves — ``void`` for a lot whose making event did not occur."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from core.actor import PlatformRole
from core.db import db
from core.errors import Conflict, NotFound, ValidationFailed
from linkages.models.organisations import OrgType
from tests.factories import actor_of, make_user_with_token
from tests.traceability.batch_factories import make_area, make_party, make_product
from traceability.models import BatchLink, BatchStatus, EpcisEvent, EventBatch, Shipment
from traceability.services import batches as svc
from traceability.services import lineage
from traceability.services import recording as be
from traceability.services.capture import PreparedEvent, store_events
from traceability.services.timeline import batch_timeline, timeline_entries

DAY = date(2026, 3, 1)


def harvest(party, qty="1000", **kw):  # type: ignore[no-untyped-def]
    return be.record_harvest(
        party.staff, area_ids=[make_area(party.org).id],
        product_id=kw.pop("product", None) or make_product(party.org).id,
        quantity=Decimal(qty), unit="kg", harvested_on=kw.pop("on", DAY), **kw,
    )


def ship(party, batch, to, qty):  # type: ignore[no-untyped-def]
    return be.record_shipping(party.staff, batch.id, to_organisation_id=to.org.id,
                              quantity=Decimal(qty), unit="kg", shipped_at="2026-03-05")


def receive(party, shipment, qty, **kw):  # type: ignore[no-untyped-def]
    return be.record_receiving(party.staff, shipment.id, received_quantity=Decimal(qty),
                               unit="kg", received_at=kw.pop("at", "2026-03-06T09:00:00+07:00"),
                               **kw)


def harvest_event(batch) -> EpcisEvent:  # type: ignore[no-untyped-def]
    return db.session.scalar(
        select(EpcisEvent)
        .join(EventBatch, EventBatch.event_pk == EpcisEvent.id)
        .where(EventBatch.batch_id == batch.id, EpcisEvent.action == "ADD",
               EpcisEvent.declares_error.is_(False))
    )


def declarations() -> int:
    return db.session.scalar(
        select(func.count()).select_from(EpcisEvent).where(EpcisEvent.declares_error.is_(True))
    )


# --------------------------------------------------------------------------- receiving


def test_receiver_withdraws_its_receiving_and_the_shipment_is_on_its_way_again(coop, dn) -> None:
    batch = harvest(coop)
    shipment = ship(coop, batch, dn, "1000").shipment
    received = receive(dn, shipment, "995")
    [booked] = received.created
    receive_event, booking_event = received.events
    assert batch.status == BatchStatus.CONSUMED  # closed on receipt

    # the receiver names the booking (the event on its own lot's timeline)
    correction = be.correct_event(dn.staff, booking_event.event_id, reason="did_not_occur")

    # both the receiving event and its booking are withdrawn, kept, declared erroneous
    assert correction.original.id == booking_event.id
    assert {e.id for e in correction.originals} == {receive_event.id, booking_event.id}
    assert {d.event_id for d in correction.declarations} == {
        receive_event.event_id, booking_event.event_id}
    assert all(d.document["errorDeclaration"]["reason"] == "did_not_occur"
               for d in correction.declarations)
    assert correction.corrective == []
    for event in (receive_event, booking_event):
        db.session.refresh(event)
        assert event.retracted_at is not None
    # the booked lot loses what the receiving gave it, and never existed
    assert svc.current_quantity(booked.id) == Decimal(0)
    assert booked.status == BatchStatus.VOID
    # the shipment is not received any more; the shipped lot is in transit again
    assert shipment.received_at is None and shipment.receive_event_pk is None
    assert shipment.received_kg is None and shipment.received_batch_id is None
    assert batch.status == BatchStatus.IN_TRANSIT
    assert svc.current_quantity(batch.id) == Decimal(0)
    # the genealogy edge went with the booking
    assert booked.id not in lineage.descendants(batch.id)
    # the receiver still sees the shipped lot and may receive it again
    assert svc.get_batch(dn.staff, batch.id).id == batch.id
    again = receive(dn, shipment, "990", at="2026-03-07T10:00:00+07:00")
    assert shipment.received_batch_id == again.created[0].id
    assert svc.current_quantity(again.created[0].id) == Decimal(990)
    assert batch.status == BatchStatus.CONSUMED


def test_the_receiving_event_itself_names_the_whole_receipt(coop, dn) -> None:
    batch = harvest(coop)
    shipment = ship(coop, batch, dn, "400").shipment
    received = receive(dn, shipment, "400")
    [booked] = received.created
    correction = be.correct_event(dn.admin, received.events[0].event_id,
                                  reason="did_not_occur", batch_id=booked.id)
    assert len(correction.declarations) == 2
    assert booked.status == BatchStatus.VOID
    assert shipment.received_at is None
    # partly shipped: the shipped lot was never closed and stays in stock
    assert batch.status == BatchStatus.ACTIVE
    assert svc.current_quantity(batch.id) == Decimal(600)


def test_a_receiving_without_a_booked_lot_is_withdrawn_too(coop, dn) -> None:
    batch = harvest(coop)
    shipment = ship(coop, batch, dn, "1000").shipment
    received = receive(dn, shipment, "1000", into_new_lot=False)
    assert batch.status == BatchStatus.CONSUMED
    correction = be.correct_event(dn.staff, received.events[0].event_id,
                                  reason="did_not_occur")
    assert [e.id for e in correction.originals] == [received.events[0].id]
    assert shipment.received_at is None and shipment.received_kg is None
    assert batch.status == BatchStatus.IN_TRANSIT


def test_receiving_cannot_be_withdrawn_once_the_booked_lot_was_used(coop, dn) -> None:
    other = make_party("DN mua lại", OrgType.DN)
    batch = harvest(coop)
    shipment = ship(coop, batch, dn, "500").shipment
    received = receive(dn, shipment, "500", lot_code="RX-7")
    [booked] = received.created
    ship(dn, booked, other, "200")
    before = declarations()
    with pytest.raises(Conflict) as err:
        be.correct_event(dn.staff, received.events[1].event_id, reason="did_not_occur")
    assert "RX-7" in str(err.value.detail) and "-200" in str(err.value.detail)
    # nothing written
    assert declarations() == before
    assert shipment.received_batch_id == booked.id and shipment.received_at is not None
    assert svc.current_quantity(booked.id) == Decimal(300)
    assert booked.status == BatchStatus.ACTIVE
    # lowering what was received below what was used is refused the same way
    with pytest.raises(Conflict) as err:
        be.correct_event(dn.staff, received.events[1].event_id, reason="incorrect_data",
                         quantities={booked.id: (Decimal(150), "kg")})
    assert "RX-7" in str(err.value.detail)
    assert declarations() == before


def test_only_the_receiver_corrects_a_receiving(coop, dn) -> None:
    stranger = make_party("DN khác", OrgType.DN)
    batch = harvest(coop)
    shipment = ship(coop, batch, dn, "500").shipment
    received = receive(dn, shipment, "500")
    for actor in (coop.staff, coop.admin, stranger.admin):
        for event in received.events:
            with pytest.raises(NotFound):
                be.correct_event(actor, event.event_id, reason="did_not_occur")
    assert shipment.received_at is not None


def test_receiver_corrects_the_received_quantity_and_time(coop, dn) -> None:
    batch = harvest(coop)
    shipment = ship(coop, batch, dn, "500").shipment
    received = receive(dn, shipment, "495")
    [booked] = received.created
    correction = be.correct_event(
        dn.staff, received.events[1].event_id, reason="incorrect_data",
        quantities={booked.id: (Decimal("4.8"), "ta")}, at="2026-03-06T15:30:00+07:00",
    )
    corrective_receive, corrective_booking = correction.corrective
    assert corrective_receive.document["bizStep"] == "receiving"
    assert corrective_receive.document["quantityList"] == [
        {"epcClass": batch.identifier, "quantity": 4.8, "uom": "DTN"}]
    assert corrective_booking.document["inputQuantityList"][0]["quantity"] == 4.8
    assert corrective_booking.document["outputQuantityList"] == [
        {"epcClass": booked.identifier, "quantity": 4.8, "uom": "DTN"}]
    assert corrective_receive.document["eventTime"] == "2026-03-06T15:30:00+07:00"
    # each declaration names its own corrective event
    by_id = {d.event_id: d.document["errorDeclaration"] for d in correction.declarations}
    assert by_id[received.events[0].event_id]["correctiveEventIDs"] == [
        corrective_receive.event_id]
    assert by_id[received.events[1].event_id]["correctiveEventIDs"] == [
        corrective_booking.event_id]
    # the booked lot and the shipment follow; the shipper's ledger does not move
    assert svc.current_quantity(booked.id) == Decimal(480)
    assert booked.status == BatchStatus.ACTIVE
    assert shipment.received_kg == Decimal(480)
    assert shipment.receive_event_pk == corrective_receive.id
    assert shipment.received_batch_id == booked.id
    assert shipment.received_at.astimezone(UTC) == datetime(2026, 3, 6, 8, 30, tzinfo=UTC)
    assert svc.current_quantity(batch.id) == Decimal(500)
    link = db.session.scalar(
        select(BatchLink).where(BatchLink.event_pk == corrective_booking.id))
    assert (link.parent_id, link.child_id, link.quantity_kg) == (batch.id, booked.id, 480)
    # the corrected receiving is itself corrected from its corrective events
    be.correct_event(dn.staff, corrective_receive.event_id, reason="did_not_occur")
    assert booked.status == BatchStatus.VOID and shipment.received_at is None


def test_receiving_corrections_that_are_refused(coop, dn) -> None:
    batch = harvest(coop)
    other = harvest(coop)
    shipment = ship(coop, batch, dn, "500").shipment
    received = receive(dn, shipment, "495")
    [booked] = received.created
    booking = received.events[1].event_id

    def refused(**quantities):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationFailed) as err:
            be.correct_event(dn.staff, booking, reason="incorrect_data",
                             quantities={int(k[1:]): v for k, v in quantities.items()})
        return " ".join(err.value.field_errors["quantities"])

    assert "500" in refused(**{f"b{booked.id}": (Decimal(501), "kg")})  # more than shipped
    assert refused(**{f"b{other.id}": (Decimal(400), "kg")})  # not a batch of the receipt
    assert refused(**{f"b{booked.id}": (Decimal(400), "kg"),  # two different quantities
                      f"b{batch.id}": (Decimal(410), "kg")})
    assert refused(**{f"b{booked.id}": (Decimal(495), "kg")})  # changes nothing
    # the same quantity named for both lots is one quantity
    be.correct_event(dn.staff, booking, reason="incorrect_data",
                     quantities={booked.id: (Decimal(490), "kg"), batch.id: (Decimal(490), "kg")})
    assert shipment.received_kg == Decimal(490)


# --------------------------------------------------------------------------- the shipper waits


def test_shipper_corrects_a_received_shipment_after_the_receiver_withdrew_it(coop, dn) -> None:
    batch = harvest(coop)
    shipped = ship(coop, batch, dn, "1000")
    shipment = shipped.shipment
    received = receive(dn, shipment, "1000")
    [booked] = received.created
    with pytest.raises(Conflict) as err:
        be.correct_event(coop.admin, shipped.events[0].event_id, reason="did_not_occur")
    with force_locale("en"):
        assert "receiver must first correct its receiving" in str(err.value.detail)
    assert svc.current_quantity(batch.id) == Decimal(0)

    be.correct_event(dn.staff, received.events[1].event_id, reason="did_not_occur")
    assert batch.status == BatchStatus.IN_TRANSIT
    be.correct_event(coop.admin, shipped.events[0].event_id, reason="did_not_occur")

    assert svc.current_quantity(batch.id) == Decimal(1000)
    assert batch.status == BatchStatus.ACTIVE
    assert booked.status == BatchStatus.VOID
    # the withdrawn shipment hides the shipped lot from the enterprise again
    with pytest.raises(NotFound):
        svc.get_batch(dn.staff, batch.id)
    with pytest.raises(NotFound):
        receive(dn, shipment, "1000", at="2026-03-08")


def test_shipper_corrects_the_quantity_of_a_shipment_no_longer_received(coop, dn) -> None:
    batch = harvest(coop)
    shipped = ship(coop, batch, dn, "600")
    received = receive(dn, shipped.shipment, "600")
    be.correct_event(dn.staff, received.events[0].event_id, reason="did_not_occur")
    correction = be.correct_event(coop.staff, shipped.events[0].event_id,
                                  reason="incorrect_data",
                                  quantities={batch.id: (Decimal(1000), "kg")})
    assert shipped.shipment.ship_event_pk == correction.corrective[0].id
    assert shipped.shipment.quantity_kg == Decimal(1000)
    assert svc.current_quantity(batch.id) == Decimal(0)
    assert batch.status == BatchStatus.IN_TRANSIT  # all of it on its way now
    receive(dn, shipped.shipment, "1000", at="2026-03-09")
    assert batch.status == BatchStatus.CONSUMED


# --------------------------------------------------------------------------- void lots


def test_a_harvest_that_did_not_occur_leaves_a_void_lot_that_refuses_events(coop, dn) -> None:
    batch = harvest(coop, lot_code="H-VOID")
    be.correct_event(coop.staff, harvest_event(batch).event_id, reason="did_not_occur")
    assert svc.current_quantity(batch.id) == Decimal(0)
    assert batch.status == BatchStatus.VOID
    attempts = [
        lambda: be.record_cooling(coop.staff, batch.id),
        lambda: be.record_packing(coop.staff, batch.id),
        lambda: be.record_packing(coop.staff, batch.id, into_new_lot=True),
        lambda: ship(coop, batch, dn, "1"),
        lambda: be.record_split(coop.staff, batch.id, parts=[{"quantity": 1, "unit": "kg"}]),
        lambda: be.record_destroy(coop.staff, batch.id),
        lambda: be.record_recall(coop.staff, batch.id),
        lambda: be.record_transformation(
            coop.staff, inputs=[{"batch_id": batch.id, "quantity": 1, "unit": "kg"}],
            output={"product_id": batch.product_id, "quantity": 1, "unit": "kg"}),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as err:
            attempt()
        with force_locale("en"):
            detail = str(err.value.detail)
        assert "H-VOID" in detail and "did not occur" in detail
    assert batch.status == BatchStatus.VOID


def test_a_void_lot_is_not_listed_as_in_stock(coop) -> None:
    kept, withdrawn = harvest(coop), harvest(coop)
    be.correct_event(coop.staff, harvest_event(withdrawn).event_id, reason="did_not_occur")
    active = db.session.scalars(svc.list_batches(coop.staff, status=BatchStatus.ACTIVE)).all()
    void = db.session.scalars(svc.list_batches(coop.staff, status=BatchStatus.VOID)).all()
    assert [b.id for b in active] == [kept.id]
    assert [b.id for b in void] == [withdrawn.id]


def test_a_split_that_did_not_occur_voids_its_parts_and_gives_the_lot_back(coop) -> None:
    batch = harvest(coop)
    split = be.record_split(coop.staff, batch.id, parts=[{"quantity": 600, "unit": "kg"},
                                                         {"quantity": 400, "unit": "kg"}])
    assert batch.status == BatchStatus.CONSUMED
    be.correct_event(coop.staff, split.events[0].event_id, reason="did_not_occur")
    assert [p.status for p in split.created] == [BatchStatus.VOID, BatchStatus.VOID]
    assert [svc.current_quantity(p.id) for p in split.created] == [0, 0]
    assert batch.status == BatchStatus.ACTIVE
    assert svc.current_quantity(batch.id) == Decimal(1000)
    assert not set(lineage.descendants(batch.id)) & {p.id for p in split.created}


def test_a_merge_or_transformation_that_did_not_occur_voids_its_output(coop) -> None:
    product = make_product(coop.org).id
    a, b = harvest(coop, qty="300", product=product), harvest(coop, qty="200", product=product)
    merged = be.record_merge(coop.staff, inputs=[{"batch_id": a.id}, {"batch_id": b.id}])
    [lot] = merged.created
    made = be.record_transformation(
        coop.staff, inputs=[{"batch_id": lot.id, "quantity": 100, "unit": "kg"}],
        output={"product_id": lot.product_id, "quantity": 80, "unit": "kg"})
    [roasted] = made.created

    be.correct_event(coop.staff, made.events[0].event_id, reason="did_not_occur")
    assert roasted.status == BatchStatus.VOID
    assert lot.status == BatchStatus.ACTIVE and svc.current_quantity(lot.id) == Decimal(500)

    be.correct_event(coop.staff, merged.events[0].event_id, reason="did_not_occur")
    assert lot.status == BatchStatus.VOID
    assert (a.status, b.status) == (BatchStatus.ACTIVE, BatchStatus.ACTIVE)
    assert (svc.current_quantity(a.id), svc.current_quantity(b.id)) == (300, 200)


def test_a_corrected_output_quantity_keeps_the_lot_and_a_partial_correction_no_void(coop) -> None:
    batch = harvest(coop)
    split = be.record_split(coop.staff, batch.id, parts=[{"quantity": 1000, "unit": "kg"}])
    [part] = split.created
    be.correct_event(coop.staff, split.events[0].event_id, reason="incorrect_data",
                     quantities={batch.id: (Decimal(700), "kg"), part.id: (Decimal(700), "kg")})
    assert part.status == BatchStatus.ACTIVE and svc.current_quantity(part.id) == 700
    assert batch.status == BatchStatus.ACTIVE and svc.current_quantity(batch.id) == 300


def test_a_split_corrected_on_one_side_only_is_refused_and_nothing_is_written(coop) -> None:
    batch = harvest(coop)
    split = be.record_split(coop.staff, batch.id, parts=[{"quantity": 600, "unit": "kg"},
                                                         {"quantity": 400, "unit": "kg"}])
    first, _second = split.created
    declared = declarations()
    with force_locale("en"), pytest.raises(ValidationFailed) as err:  # 700 + 400 of 1000 kg
        be.correct_event(coop.staff, split.events[0].event_id, reason="incorrect_data",
                         quantities={first.id: (Decimal(700), "kg")})
    message = str(err.value.field_errors["quantities"][0])
    assert "inputs would give 1,000 kg" in message and "new lots hold 1,100 kg" in message
    assert declarations() == declared
    assert svc.current_quantity(first.id) == 600


# --------------------------------------------------------------------------- other statuses


def test_a_withdrawn_destroy_or_recall_lifts_the_status(coop) -> None:
    batch = harvest(coop)
    destroyed = be.record_destroy(coop.staff, batch.id)
    assert batch.status == BatchStatus.DESTROYED
    be.correct_event(coop.staff, destroyed.events[0].event_id, reason="did_not_occur")
    assert batch.status == BatchStatus.ACTIVE and svc.current_quantity(batch.id) == 1000

    recalled = be.record_recall(coop.staff, batch.id, at="2026-03-09")
    assert batch.status == BatchStatus.RECALLED
    be.correct_event(coop.staff, recalled.events[0].event_id, reason="incorrect_data",
                     at="2026-03-10")
    assert batch.status == BatchStatus.RECALLED  # the corrected recall still stands
    [standing] = [e for e in db.session.scalars(select(EpcisEvent))
                  if e.document.get("disposition") == "recalled" and e.retracted_at is None
                  and not e.declares_error]
    be.correct_event(coop.staff, standing.event_id, reason="did_not_occur")
    assert batch.status == BatchStatus.ACTIVE


def test_a_partly_withdrawn_destroy_leaves_the_lot_in_stock(coop) -> None:
    batch = harvest(coop)
    destroyed = be.record_destroy(coop.staff, batch.id)
    be.correct_event(coop.staff, destroyed.events[0].event_id, reason="incorrect_data",
                     quantities={batch.id: (Decimal(900), "kg")})
    assert svc.current_quantity(batch.id) == 100 and batch.status == BatchStatus.ACTIVE


def test_a_recalled_lot_stays_recalled_when_its_harvest_did_not_occur(coop) -> None:
    batch = harvest(coop)
    be.record_recall(coop.staff, batch.id)
    be.correct_event(coop.staff, harvest_event(batch).event_id, reason="did_not_occur")
    assert batch.status == BatchStatus.RECALLED
    assert svc.current_quantity(batch.id) == 0


def test_shipments_left_open_keep_a_lot_at_zero_in_transit(coop, dn) -> None:
    batch = harvest(coop)
    shipped = ship(coop, batch, dn, "400")
    assert batch.status == BatchStatus.ACTIVE
    be.correct_event(coop.staff, shipped.events[0].event_id, reason="incorrect_data",
                     quantities={batch.id: (Decimal(1000), "kg")})
    assert batch.status == BatchStatus.IN_TRANSIT
    assert db.session.scalar(select(Shipment.quantity_kg)) == Decimal(1000)


# --------------------------------------------------------------------------- ownership


def test_a_platform_admins_correction_is_recorded_for_the_events_organisation(coop) -> None:
    admin_user, _ = make_user_with_token(platform_role=PlatformRole.ADMIN)
    admin = actor_of(admin_user)
    batch = harvest(coop)
    observed = be.record_observation(coop.staff, batch.id, "storing", at="2026-03-02")
    original = observed.events[0]
    correction = be.correct_event(admin, original.event_id, reason="did_not_occur",
                                  batch_id=batch.id)
    assert correction.declaration.organisation_id == coop.org.id
    db.session.refresh(original)
    assert original.retracted_at is not None
    # The cooperative sees the correction on its own timeline.
    rows = db.session.execute(batch_timeline(coop.staff, batch.id)).all()
    [entry] = [e for e in timeline_entries(rows) if e["event_id"] == original.event_id]
    assert entry["correction"]["reason"] == "did_not_occur"


def test_a_correction_finds_the_own_event_when_another_organisation_holds_the_same_id(
    coop,
) -> None:
    other = make_party("HTX Trùng Mã")
    batch = harvest(coop)
    observed = be.record_observation(coop.staff, batch.id, "storing", at="2026-03-02")
    original = observed.events[0]
    copy = {k: v for k, v in original.document.items() if k not in ("recordTime", "@context")}
    [squat] = store_events(other.staff, [PreparedEvent(copy)], be.EVENT_CONTEXT)
    assert squat.status == "captured"
    be.correct_event(coop.staff, original.event_id, reason="did_not_occur")
    db.session.refresh(original)
    assert original.retracted_at is not None
    assert db.session.get(EpcisEvent, squat.pk).retracted_at is None
    # And the other organisation corrects only its own copy.
    be.correct_event(other.staff, original.event_id, reason="did_not_occur")
    assert db.session.get(EpcisEvent, squat.pk).retracted_at is not None
