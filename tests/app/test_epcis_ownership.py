"""Events belong to the organisation that recorded them (issue 8 §1).

Each test replays an attack of the outside review through the HTTP interfaces, with the
tokens of two organisations: B, a cooperative recording its history, and C, another
organisation (a stranger, or B's buyer) capturing through ``/epcis/``.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.db import db
from linkages.models.organisations import OrgType
from tests.traceability.batch_factories import Party, make_area, make_party, make_product
from traceability.models import Batch, EpcisEvent, EventBatch
from traceability.services import batches as svc
from traceability.services import recording as be

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
SHIPPED_AT = "2026-03-05T09:00:00+07:00"


def document(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T00:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def as_sent(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored event document as a client would send it (no server fields)."""
    return {k: v for k, v in copy.deepcopy(stored).items() if k not in ("recordTime", "@context")}


def declaration_of(event: dict[str, Any]) -> dict[str, Any]:
    return {
        **event,
        "errorDeclaration": {"declarationTime": "2026-03-01T00:00:00Z", "reason": "did_not_occur"},
    }


@pytest.fixture()
def b() -> Party:
    return make_party("HTX Cà phê Bình Minh")


@pytest.fixture()
def c() -> Party:
    return make_party("HTX Cà phê Lạ")


@pytest.fixture()
def buyer() -> Party:
    return make_party("Công ty Cà phê Thu Mua", OrgType.DN)


def harvested(party: Party, kg: str = "1000") -> Batch:
    return be.record_harvest(
        party.staff, area_ids=[make_area(party.org).id], product_id=make_product(party.org).id,
        quantity=Decimal(kg), unit="kg", harvested_on="2026-03-01",
    )


def shipped_lot(party: Party, to: Party) -> Batch:
    """A lot of ``party``, 400 of its 1,000 kg shipped to ``to`` and not received yet."""
    batch = harvested(party)
    be.record_shipping(party.staff, batch.id, to_organisation_id=to.org.id,
                       quantity=Decimal(400), unit="kg", shipped_at=SHIPPED_AT)
    return batch


def shipping_body(to: Party, kg: int = 400) -> dict[str, Any]:
    return {"to_organisation_id": to.org.id, "quantity": kg, "unit": "kg",
            "shipped_at": SHIPPED_AT}


def held(batch_id: int) -> Decimal:
    return svc.current_quantity(batch_id)


def timeline_ids(client: FlaskClient, party: Party, batch_id: int) -> list[str]:
    response = client.get(f"/api/batches/{batch_id}/events", headers=party.staff_headers)
    assert response.status_code == 200, response.get_json()
    return [entry["event_id"] for entry in response.get_json()]


def receiving_of(batch: Batch, biz_step: str = "receiving") -> dict[str, Any]:
    """A receiving of 400 kg of ``batch``, as a buyer's system would capture it."""
    return {
        "type": "ObjectEvent", "eventTime": "2026-03-06T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00", "epcList": [], "action": "OBSERVE",
        "quantityList": [{"epcClass": batch.identifier, "quantity": 400, "uom": "KGM"}],
        "bizStep": biz_step,
    }


def capture(client: FlaskClient, party: Party, *events: dict[str, Any]) -> Any:
    return client.post("/epcis/capture", json=document(*events), headers=party.staff_headers)


def test_a_pre_emptive_error_declaration_cannot_cancel_another_organisations_shipping(
    client: FlaskClient, b: Party, c: Party, buyer: Party
) -> None:
    batch = harvested(b)
    # C works out B's next shipping event (its ID is the deterministic event hash) …
    rehearsal = db.session.begin_nested()
    planned = be.record_shipping(b.staff, batch.id, to_organisation_id=buyer.org.id,
                                 quantity=Decimal(400), unit="kg", shipped_at=SHIPPED_AT)
    future = as_sent(planned.events[0].document)
    rehearsal.rollback()
    # … and declares it erroneous before B records it.
    response = capture(client, c, declaration_of(future))
    assert response.status_code == 201, response.get_json()

    response = client.post(f"/api/batches/{batch.id}/events/shipping",
                           json=shipping_body(buyer), headers=b.staff_headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["event_ids"] == [future["eventID"]]
    stored = db.session.scalar(select(EpcisEvent).where(
        EpcisEvent.event_id == future["eventID"], EpcisEvent.organisation_id == b.org.id,
        EpcisEvent.declares_error.is_(False)))
    assert stored is not None and stored.retracted_at is None
    assert held(batch.id) == Decimal(600)  # the quantity moved
    shipment_id = response.get_json()["shipment"]["id"]
    received = client.post(f"/api/batches/{batch.id}/events/receiving",
                           json={"shipment_id": shipment_id, "received_quantity": 400,
                                 "unit": "kg"},
                           headers=buyer.staff_headers)
    assert received.status_code == 201, received.get_json()


def test_an_event_id_squatted_by_another_organisation_is_still_captured(
    client: FlaskClient, b: Party, c: Party
) -> None:
    event = {
        "type": "ObjectEvent", "eventID": "urn:uuid:7d1c1a54-4a0e-4c55-9b43-0f3d2a9b6f01",
        "eventTime": "2026-03-01T08:00:00+07:00", "eventTimeZoneOffset": "+07:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"], "action": "OBSERVE",
        "bizStep": "inspecting",
    }
    squatted = capture(client, c, event)
    assert squatted.get_json()["capturedCount"] == 1
    mine = capture(client, b, event)
    assert mine.status_code == 201
    assert mine.get_json()["capturedCount"] == 1 and mine.get_json()["duplicateCount"] == 0
    # Single-event capture too: C's copy does not make B's a 409.
    other = {**event, "eventID": "urn:uuid:7d1c1a54-4a0e-4c55-9b43-0f3d2a9b6f02"}
    assert client.post("/epcis/events", json={**other, "@context": CONTEXT},
                       headers=c.staff_headers).status_code == 201
    assert client.post("/epcis/events", json={**other, "@context": CONTEXT},
                       headers=b.staff_headers).status_code == 201
    owners = db.session.scalars(
        select(EpcisEvent.organisation_id).where(EpcisEvent.event_id == event["eventID"])
    ).all()
    assert sorted(owners) == sorted([b.org.id, c.org.id])
    # Each reads its own event under the shared ID.
    for party in (b, c):
        response = client.get(f"/epcis/events/{quote(event['eventID'], safe='')}",
                              headers=party.staff_headers)
        assert response.status_code == 200


def test_resending_another_organisations_event_reveals_nothing(
    client: FlaskClient, b: Party, c: Party
) -> None:
    batch = harvested(b)
    recorded = be.record_observation(b.staff, batch.id, "storing", at="2026-03-02")
    secret = as_sent(recorded.events[0].document)
    path = f"/epcis/events/{quote(secret['eventID'], safe='')}"
    assert client.get(path, headers=c.staff_headers).status_code == 404
    # Re-sending it is answered as any new event of C's would be: captured, not duplicate.
    reply = capture(client, c, secret)
    assert reply.status_code == 201
    assert reply.get_json()["events"][0]["status"] == "captured"
    single = client.post("/epcis/events", json={**secret, "@context": CONTEXT},
                         headers=c.staff_headers)
    assert single.status_code == 409  # now C's own duplicate, and only because of C's copy
    # C's copy is C's: B's timeline and quantity are untouched.
    assert timeline_ids(client, b, batch.id).count(secret["eventID"]) == 1
    assert held(batch.id) == Decimal(1000)


@pytest.mark.parametrize(
    "step, extra",
    [
        ("destroying", {"action": "DELETE", "disposition": "destroyed"}),
        ("holding", {"action": "OBSERVE", "disposition": "recalled"}),
        ("commissioning", {"action": "ADD"}),
        ("transformation", {}),
    ],
)
def test_an_addressee_cannot_write_into_the_shippers_lot_before_receiving_it(
    client: FlaskClient, b: Party, buyer: Party, step: str, extra: dict[str, Any]
) -> None:
    batch = shipped_lot(b, buyer)
    before = timeline_ids(client, b, batch.id)
    lot = {"epcClass": batch.identifier, "quantity": 400, "uom": "KGM"}
    if step == "transformation":
        made = {**lot, "epcClass": "urn:epc:class:lgtin:4012345.022222.X1"}
        event = {"type": "TransformationEvent", "inputQuantityList": [lot],
                 "outputQuantityList": [made], "bizStep": "commissioning"}
    else:
        event = {"type": "ObjectEvent", "epcList": [], "quantityList": [lot], "bizStep": step,
                 **extra}
    event.update(eventTime="2026-03-06T08:00:00+07:00", eventTimeZoneOffset="+07:00")
    reply = capture(client, buyer, event)
    assert reply.status_code == 201, reply.get_json()
    # Kept as the buyer's own observation: queryable by it, absent from the shipper's lot.
    assert timeline_ids(client, b, batch.id) == before
    assert held(batch.id) == Decimal(600)
    pk = db.session.scalar(select(EpcisEvent.id).where(
        EpcisEvent.event_id == reply.get_json()["events"][0]["eventID"]))
    attached = select(func.count()).where(EventBatch.event_pk == pk)
    assert db.session.scalar(attached) == 0
    mine = client.get("/epcis/events", query_string={"MATCH_anyEPCClass": batch.identifier},
                      headers=buyer.staff_headers).get_json()
    assert reply.get_json()["events"][0]["eventID"] in {
        e["eventID"] for e in mine["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    }


def test_the_addressees_receiving_is_attached_to_the_shipped_lot(
    client: FlaskClient, b: Party, buyer: Party
) -> None:
    batch = shipped_lot(b, buyer)
    receive = receiving_of(batch)
    reply = capture(client, buyer, receive)
    assert reply.status_code == 201
    assert reply.get_json()["events"][0]["eventID"] in timeline_ids(client, b, batch.id)
    assert held(batch.id) == Decimal(600)
    # The same receiving from an organisation the lot was not shipped to stays its own.
    stranger = make_party("HTX Không Liên Quan")
    stray = capture(client, stranger, {**receive, "eventTime": "2026-03-07T08:00:00+07:00"})
    assert stray.get_json()["events"][0]["eventID"] not in timeline_ids(client, b, batch.id)


@pytest.mark.parametrize(
    "spelling", ["urn:epcglobal:cbv:bizstep:receiving", "https://ref.gs1.org/cbv/BizStep-receiving"]
)
def test_a_receiving_in_any_cbv_spelling_is_attached_and_queryable(
    client: FlaskClient, b: Party, buyer: Party, spelling: str
) -> None:
    batch = shipped_lot(b, buyer)
    receive = receiving_of(batch, spelling)
    event_id = capture(client, buyer, receive).get_json()["events"][0]["eventID"]
    assert event_id in timeline_ids(client, b, batch.id)
    found = client.get("/epcis/events", query_string={"EQ_bizStep": "receiving"},
                       headers=buyer.staff_headers).get_json()
    assert event_id in {
        e["eventID"] for e in found["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    }


def test_a_receiving_does_not_carry_other_events_of_the_same_capture_into_the_lot(
    client: FlaskClient, b: Party, buyer: Party
) -> None:
    batch = shipped_lot(b, buyer)
    destroy = {**receiving_of(batch), "bizStep": "destroying", "action": "DELETE",
               "disposition": "destroyed", "eventTime": "2026-03-06T09:00:00+07:00"}
    reply = capture(client, buyer, receiving_of(batch), destroy).get_json()
    received, destroyed = (e["eventID"] for e in reply["events"])
    shown = timeline_ids(client, b, batch.id)
    assert received in shown and destroyed not in shown


def test_the_buyers_booking_shows_the_receipt_once_on_the_shippers_lot(
    client: FlaskClient, b: Party, buyer: Party
) -> None:
    batch = harvested(b)
    shipped = be.record_shipping(b.staff, batch.id, to_organisation_id=buyer.org.id,
                                 quantity=Decimal(400), unit="kg", shipped_at=SHIPPED_AT)
    received = be.record_receiving(buyer.staff, shipped.shipment.id,
                                   received_quantity=Decimal(400), unit="kg")
    receiving, booking = (e.event_id for e in received.events)
    shown = timeline_ids(client, b, batch.id)
    assert shown.count(receiving) == 1 and booking not in shown
