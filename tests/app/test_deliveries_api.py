"""Deliveries over the API: shipping under a contract and receiving with a settlement
through the batch events, the deliveries list and detail, settling, a contract's
fulfilment, the open contracts; problems naming the field, nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.db import db
from linkages.models import LinkageDelivery, OrgType
from linkages.services import contracts
from tests.linkages._helpers_contracts import HCMC, authority, side
from tests.linkages._helpers_deliveries import World, build_world, contract_terms, days
from traceability.models.batches import Shipment


@pytest.fixture()
def world() -> World:
    return build_world()


def _rows() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(LinkageDelivery.id))) or 0,
            db.session.scalar(select(func.count(Shipment.id))) or 0)


def _problem_fields(response) -> set[str]:
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    return {e["field"] for e in response.get_json().get("errors", [])}


def _ship_body(world: World, **overrides) -> dict:
    data = {"to_organisation_id": world.buyer.org.id, "quantity": "40", "unit": "kg",
            "contract_id": world.contract.id, "contract_line_id": world.line0}
    data.update(overrides)
    return data


def test_shipping_under_a_contract_then_receiving_settles_it(app: Flask, world: World) -> None:
    client = app.test_client()
    shipped = client.post(f"/api/batches/{world.lot_p}/events/shipping",
                          headers=world.coop.headers, json=_ship_body(world))
    assert shipped.status_code == 201, shipped.get_data(as_text=True)
    delivery = shipped.get_json()["delivery"]
    assert delivery["contract_id"] == world.contract.id and delivery["line_id"] == world.line0
    assert delivery["shipped_kg"] == "40.0000" and delivery["settled"] is False
    shipment = shipped.get_json()["shipment"]
    # The contract's code stands in for a purchase order left blank.
    assert shipment["purchase_order"] == world.contract.code

    received = client.post(
        f"/api/batches/{world.lot_p}/events/receiving", headers=world.buyer.headers,
        json={"shipment_id": shipment["id"], "received_quantity": "38", "unit": "kg",
              "settlement": {"price_vnd_per_kg": 96000, "invoice_number": "HD-9"}})
    assert received.status_code == 201, received.get_data(as_text=True)
    settled = received.get_json()["delivery"]
    # Defaults: accepted = received 38, rejected = shipped − received = 2.
    assert (settled["accepted_kg"], settled["rejected_kg"]) == ("38.0000", "2.0000")
    assert (settled["price_vnd_per_kg"], settled["invoice_number"]) == (96000, "HD-9")

    one = client.get(f"/api/deliveries/{delivery['id']}", headers=world.coop.headers)
    assert one.status_code == 200 and one.get_json()["settled"] is True
    corrected = client.post(f"/api/deliveries/{delivery['id']}/settlement",
                            headers=world.buyer.headers,
                            json={"accepted_kg": "36", "rejected_kg": "4"})
    assert corrected.status_code == 200, corrected.get_data(as_text=True)
    assert corrected.get_json()["accepted_kg"] == "36.0000"


def test_plain_shipping_and_receiving_are_unchanged(app: Flask, world: World) -> None:
    client = app.test_client()
    shipped = client.post(f"/api/batches/{world.lot_p}/events/shipping",
                          headers=world.coop.headers,
                          json={"to_organisation_id": world.other_buyer.org.id,
                                "quantity": "5", "unit": "kg"})
    assert shipped.status_code == 201 and shipped.get_json()["delivery"] is None


@pytest.mark.parametrize(("overrides", "field", "status"), [
    ({"to_organisation_id": "other"}, "contract_id", 422),
    ({"contract_line_id": "other_contract"}, "contract_line_id", 422),
    ({"shipped_at": "-31"}, "shipped_at", 422),
    ({"contract_line_id": None}, "contract_line_id", 422),
    ({"quantity": "100000"}, None, 409),
    ({"contract_id": "draft"}, "contract_id", 422),
])
def test_bad_shipping_under_a_contract_is_a_problem_naming_the_field(
    app: Flask, world: World, overrides: dict, field: str | None, status: int
) -> None:
    other = contracts.create_contract(world.coop.actor, **contract_terms(world.coop, world.buyer))
    db.session.commit()
    values = {"other": world.other_buyer.org.id, "other_contract": other.lines[0].id,
              "-31": days(-31).isoformat(), "draft": other.id}
    body = _ship_body(world, **{k: values.get(v, v) if isinstance(v, str) else v
                                for k, v in overrides.items()})
    if overrides.get("contract_id") == "draft":
        body["contract_line_id"] = other.lines[0].id
    before = _rows()
    response = app.test_client().post(f"/api/batches/{world.lot_p}/events/shipping",
                                      headers=world.coop.headers, json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    if field:
        assert field in _problem_fields(response)
    assert _rows() == before


def test_another_cooperatives_batch_and_a_bad_settlement_are_refused(
    app: Flask, world: World
) -> None:
    client = app.test_client()
    stranger = side("HTX Lạ Mặt")
    before = _rows()
    foreign = client.post(f"/api/batches/{world.lot_p}/events/shipping",
                          headers=stranger.headers, json=_ship_body(world))
    assert foreign.status_code == 404
    d3 = world.deliveries["d3"]
    too_much = client.post(f"/api/deliveries/{d3}/settlement", headers=world.buyer.headers,
                           json={"accepted_kg": "100", "rejected_kg": "1"})
    assert too_much.status_code == 422 and "accepted_kg" in _problem_fields(too_much)
    by_supplier = client.post(f"/api/deliveries/{d3}/settlement", headers=world.coop.headers,
                              json={"accepted_kg": "1"})
    assert by_supplier.status_code == 403
    assert _rows() == before
    assert db.session.get(LinkageDelivery, d3).accepted_kg is None


def test_the_list_filters_and_who_sees_it(app: Flask, world: World) -> None:
    client = app.test_client()
    pair = f"buyer_id={world.buyer.org.id}&supplier_id={world.coop.org.id}"
    listed = client.get(f"/api/deliveries?{pair}", headers=world.buyer.headers)
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "4"
    by_line = client.get(f"/api/deliveries?line_id={world.line1}", headers=world.coop.headers)
    assert by_line.headers["X-Total-Count"] == "1"
    by_season = client.get("/api/deliveries?season=2026/27", headers=world.coop.headers)
    assert by_season.headers["X-Total-Count"] == "3"
    stranger = side("Công ty Không Liên Quan", OrgType.DN)
    assert client.get("/api/deliveries", headers=stranger.headers).get_json() == []
    d1 = world.deliveries["d1"]
    assert client.get(f"/api/deliveries/{d1}", headers=stranger.headers).status_code == 404
    assert client.get(f"/api/deliveries/{d1}",
                      headers=authority(HCMC).headers).status_code == 404
    assert client.get(f"/api/deliveries/{d1}",
                      headers=authority("01").headers).status_code == 200
    assert client.get(f"/api/deliveries/{d1}").status_code == 401


def test_fulfilment_and_open_contracts(app: Flask, world: World) -> None:
    client = app.test_client()
    found = client.get(f"/api/contracts/{world.contract.id}/fulfilment",
                       headers=world.buyer.headers)
    assert found.status_code == 200, found.get_data(as_text=True)
    data = found.get_json()
    assert data["side_selling"] is True
    line0 = data["lines"][0]
    assert (line0["fulfilment"], line0["accepted_ratio"], line0["on_time_ratio"]) == (
        0.48, 0.96, 0.6667)
    assert line0["side_selling"]["elsewhere_kg"] == "200.0000"
    earlier = client.get(f"/api/contracts/{world.contract.id}/fulfilment?on="
                         f"{days(-12).isoformat()}", headers=world.coop.headers)
    assert earlier.get_json()["lines"][0]["side_selling"]["expected_kg"] == "730.7692"
    stranger = side("Công ty Ngoài Cuộc", OrgType.DN)
    assert client.get(f"/api/contracts/{world.contract.id}/fulfilment",
                      headers=stranger.headers).status_code == 404

    url = f"/api/organisations/{world.coop.org.id}/open-contracts"
    offered = client.get(f"{url}?buyer_id={world.buyer.org.id}", headers=world.coop.headers)
    assert offered.status_code == 200 and offered.headers["X-Total-Count"] == "2"
    assert {o["line_id"] for o in offered.get_json()} == {world.line0, world.line1}
    assert client.get(url, headers=stranger.headers).status_code == 404
    # The contract API shows the lines' ids and windows.
    shown = client.get(f"/api/contracts/{world.contract.id}", headers=world.coop.headers)
    line = shown.get_json()["lines"][0]
    assert line["id"] == world.line0 and line["deliver_by"] == days(-5).isoformat()


def test_booking_a_recorded_shipment_later(app: Flask, world: World) -> None:
    client = app.test_client()
    plain = client.post(f"/api/batches/{world.lot_p}/events/shipping",
                        headers=world.coop.headers,
                        json={"to_organisation_id": world.buyer.org.id, "quantity": "7",
                              "unit": "kg"})
    shipment_id = plain.get_json()["shipment"]["id"]
    body = {"shipment_id": shipment_id, "contract_id": world.contract.id,
            "contract_line_id": world.line0}
    booked = client.post("/api/deliveries", headers=world.coop.headers, json=body)
    assert booked.status_code == 201, booked.get_data(as_text=True)
    again = client.post("/api/deliveries", headers=world.coop.headers, json=body)
    assert again.status_code == 409 and "shipment_id" in _problem_fields(again)
    assert Decimal(booked.get_json()["shipped_kg"]) == Decimal("7")


def test_a_shipping_correction_the_delivery_cannot_follow_is_a_problem(
    app: Flask, world: World
) -> None:
    # D4 (100 kg of lot P2) was settled without a receipt, 100 kg accepted: the shipper's
    # correction to 80 kg is a 409 naming the quantities, and nothing is written; to
    # 120 kg the delivery follows.
    from traceability.models.events import EpcisEvent

    client = app.test_client()
    delivery = db.session.get(LinkageDelivery, world.deliveries["d4"])
    shipment = db.session.get(Shipment, delivery.shipment_id)
    event_id = db.session.get(EpcisEvent, shipment.ship_event_pk).event_id
    url = f"/api/batches/{world.lot_p2}/corrections"
    events_before = db.session.scalar(select(func.count(EpcisEvent.id)))

    def correct(kg: str):
        return client.post(url, headers=world.coop.headers, json={
            "event_id": event_id, "reason": "incorrect_data",
            "quantities": [{"batch_id": world.lot_p2, "quantity": kg, "unit": "kg"}]})

    refused = correct("80")
    assert refused.status_code == 409 and "quantities" in _problem_fields(refused)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(EpcisEvent.id))) == events_before
    assert db.session.get(LinkageDelivery, delivery.id).shipped_kg == Decimal("100")
    assert correct("120").status_code == 201
    db.session.expire_all()
    assert db.session.get(LinkageDelivery, delivery.id).shipped_kg == Decimal("120")
