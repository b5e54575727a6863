"""Corrections over the JSON API: the receiver corrects its receiving on its booked lot
(or on the shipped lot), the shipper's correction waits for it, void lots."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from linkages.models.organisations import OrgType
from tests.traceability.batch_factories import Party, make_area, make_party, make_product


def _post(client: FlaskClient, url: str, party: Party, body: dict[str, Any]) -> Any:
    # In English, so that the messages can be asserted (Vietnamese is the default).
    return client.post(url, json=body, headers={**party.staff_headers, "Accept-Language": "en"})


def _chain(client: FlaskClient, shipped_kg: str = "1000") -> dict[str, Any]:
    """A harvest of 1000 kg, shipped (``shipped_kg``) to an enterprise that receives it
    into its own lot."""
    coop, dn = make_party(), make_party("DN", OrgType.DN)
    harvest = _post(client, "/api/batches", coop, {
        "area_ids": [make_area(coop.org).id], "product_id": make_product(coop.org).id,
        "quantity": "1000", "unit": "kg", "harvested_on": "2026-03-01", "lot_code": "H-1"})
    assert harvest.status_code == 201, harvest.json
    lot = harvest.json
    shipped = _post(client, f"/api/batches/{lot['id']}/events/shipping", coop, {
        "to_organisation_id": dn.org.id, "quantity": shipped_kg, "unit": "kg",
        "shipped_at": "2026-03-05"})
    assert shipped.status_code == 201, shipped.json
    received = _post(client, f"/api/batches/{lot['id']}/events/receiving", dn, {
        "shipment_id": shipped.json["shipment"]["id"], "received_quantity": shipped_kg,
        "unit": "kg", "received_at": "2026-03-06", "lot_code": "RX-1"})
    assert received.status_code == 201, received.json
    return {"coop": coop, "dn": dn, "lot": lot, "shipping": shipped.json,
            "receiving": received.json, "booked": received.json["created"][0]}


def _booking_event_id(client: FlaskClient, party: Party, booked_id: int) -> str:
    """What a receiver sees of its receiving on its own lot's timeline."""
    timeline = client.get(f"/api/batches/{booked_id}/events", headers=party.staff_headers)
    [entry] = [e for e in timeline.json if e["kind"] == "receiving" and not e["corrected"]]
    return entry["event_id"]


def test_receiver_withdraws_its_receiving_on_its_booked_lot_then_the_shipper_corrects(
    client: FlaskClient,
) -> None:
    c = _chain(client)
    coop, dn, lot, booked = c["coop"], c["dn"], c["lot"], c["booked"]
    ship_event = c["shipping"]["event_ids"][0]

    refused = _post(client, f"/api/batches/{lot['id']}/corrections", coop,
                    {"event_id": ship_event, "reason": "did_not_occur"})
    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    assert "receiver must first correct its receiving" in refused.json["detail"]

    event_id = _booking_event_id(client, dn, booked["id"])
    res = _post(client, f"/api/batches/{booked['id']}/corrections", dn,
                {"event_id": event_id, "reason": "did_not_occur"})
    assert res.status_code == 201, res.json
    assert res.json["corrected_event_id"] == event_id
    assert res.json["corrective_event_ids"] == []

    mine = client.get(f"/api/batches/{booked['id']}", headers=dn.staff_headers).json
    assert mine["status"] == "void" and mine["current_quantity_kg"] == "0.0000"
    theirs = client.get(f"/api/batches/{lot['id']}", headers=coop.staff_headers).json
    assert theirs["status"] == "in_transit"
    [shipment] = theirs["shipments"]
    assert shipment["received_at"] is None and shipment["received_batch_id"] is None
    assert shipment["received_kg"] is None
    timeline = client.get(f"/api/batches/{booked['id']}/events",
                          headers=dn.staff_headers).json
    assert [(e["kind"], e["corrected"]) for e in timeline] == [("receiving", True)]
    assert timeline[0]["correction"]["reason"] == "did_not_occur"

    res = _post(client, f"/api/batches/{lot['id']}/corrections", coop,
                {"event_id": ship_event, "reason": "did_not_occur"})
    assert res.status_code == 201, res.json
    theirs = client.get(f"/api/batches/{lot['id']}", headers=coop.staff_headers).json
    assert theirs["status"] == "active" and theirs["current_quantity_kg"] == "1000.0000"
    assert client.get(f"/api/batches/{lot['id']}", headers=dn.staff_headers).status_code == 404


def test_receiver_corrects_the_received_quantity_on_the_shipped_lot(client: FlaskClient) -> None:
    c = _chain(client, shipped_kg="500")
    dn, lot, booked = c["dn"], c["lot"], c["booked"]
    receive_event = c["receiving"]["event_ids"][0]
    res = _post(client, f"/api/batches/{lot['id']}/corrections", dn, {
        "event_id": receive_event, "reason": "incorrect_data",
        "quantities": [{"batch_id": booked["id"], "quantity": "480", "unit": "kg"}]})
    assert res.status_code == 201, res.json
    assert len(res.json["corrective_event_ids"]) == 2  # the receiving and its booking
    mine = client.get(f"/api/batches/{booked['id']}", headers=dn.staff_headers).json
    assert mine["current_quantity_kg"] == "480.0000" and mine["status"] == "active"
    [shipment] = client.get(f"/api/batches/{lot['id']}", headers=dn.staff_headers
                            ).json["shipments"]
    assert shipment["received_kg"] == "480.0000"
    assert shipment["received_batch_id"] == booked["id"]
    timeline = client.get(f"/api/batches/{booked['id']}/events",
                          headers=dn.staff_headers).json
    assert [(e["kind"], e["corrected"]) for e in timeline] == [
        ("receiving", True), ("receiving", False)]
    assert timeline[1]["quantity_kg"] == "480.0000"
    assert timeline[1]["event_id"] in res.json["corrective_event_ids"]


def test_receiving_corrections_refused_over_the_api(client: FlaskClient) -> None:
    c = _chain(client, shipped_kg="500")
    coop, dn, lot, booked = c["coop"], c["dn"], c["lot"], c["booked"]
    booking = _booking_event_id(client, dn, booked["id"])
    url = f"/api/batches/{booked['id']}/corrections"
    more = _post(client, url, dn, {
        "event_id": booking, "reason": "incorrect_data",
        "quantities": [{"batch_id": booked["id"], "quantity": "501", "unit": "kg"}]})
    assert more.status_code == 422
    assert any(e["field"] == "quantities" and "500" in e["detail"] for e in more.json["errors"])
    # the shipper may not correct the receiver's events, whichever lot it names
    for batch_id in (lot["id"], booked["id"]):
        res = _post(client, f"/api/batches/{batch_id}/corrections", coop,
                    {"event_id": booking, "reason": "did_not_occur"})
        assert res.status_code == 404
    # a lot the receiving does not concern: another delivery, booked apart (an enterprise
    # records no harvest)
    again = _post(client, f"/api/batches/{lot['id']}/events/shipping", coop, {
        "to_organisation_id": dn.org.id, "quantity": "5", "unit": "kg",
        "shipped_at": "2026-03-07"}).json
    other = _post(client, f"/api/batches/{lot['id']}/events/receiving", dn, {
        "shipment_id": again["shipment"]["id"], "received_quantity": "5", "unit": "kg",
        "received_at": "2026-03-08", "lot_code": "RX-2"}).json["created"][0]
    res = _post(client, f"/api/batches/{other['id']}/corrections", dn,
                {"event_id": booking, "reason": "did_not_occur"})
    assert res.status_code == 404
    # the booked lot already used: 409 naming it
    split = _post(client, f"/api/batches/{booked['id']}/events/split", dn,
                  {"parts": [{"quantity": "100", "unit": "kg"}]})
    assert split.status_code == 201, split.json
    res = _post(client, url, dn, {"event_id": booking, "reason": "did_not_occur"})
    assert res.status_code == 409 and "RX-1" in res.json["detail"]
    mine = client.get(f"/api/batches/{booked['id']}", headers=dn.staff_headers).json
    assert mine["status"] == "active" and mine["current_quantity_kg"] == "400.0000"


def test_a_void_lot_refuses_events_and_is_filtered_by_status(client: FlaskClient) -> None:
    coop = make_party()
    harvest = _post(client, "/api/batches", coop, {
        "area_ids": [make_area(coop.org).id], "product_id": make_product(coop.org).id,
        "quantity": "10", "unit": "kg", "harvested_on": "2026-03-01", "lot_code": "GONE"}).json
    [entry] = client.get(f"/api/batches/{harvest['id']}/events",
                         headers=coop.staff_headers).json
    res = _post(client, f"/api/batches/{harvest['id']}/corrections", coop,
                {"event_id": entry["event_id"], "reason": "did_not_occur"})
    assert res.status_code == 201, res.json
    refused = _post(client, f"/api/batches/{harvest['id']}/events/cooling", coop, {})
    assert refused.status_code == 409
    assert "GONE" in refused.json["detail"] and "did not occur" in refused.json["detail"]
    listed = client.get("/api/batches?status=void", headers=coop.staff_headers).json
    assert [b["lot_code"] for b in listed] == ["GONE"]
    assert client.get("/api/batches?status=active", headers=coop.staff_headers).json == []
