"""The batches API: harvest, events, corrections, timeline, statements, and isolation."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.actor import PlatformRole
from core.db import db
from linkages.models.organisations import OrgType
from tests.factories import make_user_with_token
from tests.traceability.batch_factories import (
    make_area,
    make_member,
    make_party,
    make_product,
    spray,
)
from traceability.models.batches import Batch


def _harvest(client: FlaskClient, party, area, product, **extra):  # type: ignore[no-untyped-def]
    headers = extra.pop("headers", None) or party.staff_headers
    body = {"area_ids": [area.id], "product_id": product.id, "quantity": "1000",
            "unit": "kg", "harvested_on": "2026-03-01", **extra}
    return client.post("/api/batches", json=body, headers=headers)


def test_cooperative_records_a_harvest_and_reads_it(client: FlaskClient) -> None:
    coop = make_party()
    area, product = make_area(coop.org), make_product(coop.org)
    member = make_member(coop.org)
    res = _harvest(client, coop, area, product, contributions=[
        {"member_id": member.id, "quantity": "300", "unit": "kg"}])
    assert res.status_code == 201, res.json
    batch = res.json
    assert batch["current_quantity_kg"] == "1000.0000"
    assert batch["contributions"][0]["member_name"] == member.display_name
    got = client.get(f"/api/batches/{batch['id']}", headers=coop.staff_headers)
    assert got.status_code == 200 and got.json["lot_code"] == batch["lot_code"]
    listed = client.get("/api/batches", headers=coop.staff_headers)
    assert listed.headers["X-Total-Count"] == "1"
    assert listed.json[0]["current_quantity_kg"] == "1000.0000"


def test_cooperative_gets_404_for_another_cooperatives_batch(client: FlaskClient) -> None:
    coop, other = make_party(), make_party("HTX B")
    batch = _harvest(client, coop, make_area(coop.org), make_product(coop.org)).json
    assert client.get(f"/api/batches/{batch['id']}", headers=other.staff_headers
                      ).status_code == 404
    assert client.get(f"/api/batches/{batch['id']}/events", headers=other.staff_headers
                      ).status_code == 404
    res = client.post(f"/api/batches/{batch['id']}/events/cooling", json={},
                      headers=other.staff_headers)
    assert res.status_code == 404
    assert client.get("/api/batches", headers=other.staff_headers).json == []


def test_enterprise_sees_a_batch_shipped_to_it_but_not_others(client: FlaskClient) -> None:
    coop, dn = make_party(), make_party("DN", OrgType.DN)
    area, product = make_area(coop.org), make_product(coop.org)
    member = make_member(coop.org)
    shipped = _harvest(client, coop, area, product, contributions=[
        {"member_id": member.id, "quantity": "10", "unit": "kg"}]).json
    kept = _harvest(client, coop, area, product).json
    res = client.post(f"/api/batches/{shipped['id']}/events/shipping", headers=coop.staff_headers,
                      json={"to_organisation_id": dn.org.id, "quantity": "400", "unit": "kg",
                            "purchase_order": "PO-1", "despatch_ref": "D-1"})
    assert res.status_code == 201, res.json
    shipment_id = res.json["shipment"]["id"]
    listed = client.get("/api/batches", headers=dn.staff_headers).json
    assert [b["id"] for b in listed] == [shipped["id"]]
    seen = client.get(f"/api/batches/{shipped['id']}", headers=dn.staff_headers)
    assert seen.status_code == 200
    assert seen.json["contributions"] is None
    assert client.get(f"/api/batches/{kept['id']}", headers=dn.staff_headers).status_code == 404
    # the enterprise cannot record the shipper's events, but receives its shipment
    res = client.post(f"/api/batches/{shipped['id']}/events/storing", json={},
                      headers=dn.staff_headers)
    assert res.status_code == 403
    res = client.post(f"/api/batches/{shipped['id']}/events/receiving", headers=dn.staff_headers,
                      json={"shipment_id": shipment_id, "received_quantity": "400",
                            "unit": "kg"})
    assert res.status_code == 201, res.json
    booked = res.json["created"][0]
    assert booked["organisation_id"] == dn.org.id
    detail = client.get(f"/api/batches/{booked['id']}", headers=dn.staff_headers).json
    assert detail["parents"][0]["batch_id"] == shipped["id"]


def test_receiving_by_someone_else_is_404(client: FlaskClient) -> None:
    coop, dn, other = make_party(), make_party("DN", OrgType.DN), make_party("DN2", OrgType.DN)
    batch = _harvest(client, coop, make_area(coop.org), make_product(coop.org)).json
    shipment = client.post(f"/api/batches/{batch['id']}/events/shipping",
                           headers=coop.staff_headers,
                           json={"to_organisation_id": dn.org.id, "quantity": "1",
                                 "unit": "tan"}).json["shipment"]
    res = client.post(f"/api/batches/{batch['id']}/events/receiving",
                      headers=other.staff_headers,
                      json={"shipment_id": shipment["id"], "received_quantity": "1",
                            "unit": "tan"})
    assert res.status_code == 404


def test_shipping_more_than_held_is_a_409_problem_naming_the_shortfall(
    client: FlaskClient,
) -> None:
    coop, dn = make_party(), make_party("DN", OrgType.DN)
    batch = _harvest(client, coop, make_area(coop.org), make_product(coop.org),
                     lot_code="LOT-X").json
    res = client.post(f"/api/batches/{batch['id']}/events/shipping", headers=coop.staff_headers,
                      json={"to_organisation_id": dn.org.id, "quantity": "1.2",
                            "unit": "tan"})
    assert res.status_code == 409
    assert res.mimetype == "application/problem+json"
    assert "LOT-X" in res.json["detail"] and "200" in res.json["detail"]


def test_phi_gate_over_the_api(client: FlaskClient) -> None:
    coop = make_party()
    area, product = make_area(coop.org, code="A9"), make_product(coop.org)
    spray(area, date(2026, 2, 27), 7, "Abamectin")
    refused = _harvest(client, coop, area, product)
    assert refused.status_code == 409
    assert any(e["field"] == "harvested_on" and "Abamectin" in e["detail"]
               for e in refused.json["errors"])
    staff = _harvest(client, coop, area, product, phi_override_reason="gấp")
    assert staff.status_code == 403
    admin = _harvest(client, coop, area, product, phi_override_reason="gấp",
                     headers=coop.admin_headers)
    assert admin.status_code == 201 and admin.json["phi_override_reason"] == "gấp"


def test_unknown_fields_and_bad_quantities_are_422(client: FlaskClient) -> None:
    coop = make_party()
    area, product = make_area(coop.org), make_product(coop.org)
    assert _harvest(client, coop, area, product, colour="red").status_code == 422
    assert _harvest(client, coop, area, product, quantity="-5").status_code == 422
    assert _harvest(client, coop, area, product, unit="bushel").status_code == 422


def test_a_quantity_no_column_can_hold_is_422_not_a_database_overflow(
    client: FlaskClient,
) -> None:
    # 10^12 passes the schema's bound, but in tonnes it is 10^15 kg: past Numeric(18, 4).
    coop = make_party()
    area, product = make_area(coop.org), make_product(coop.org)
    res = _harvest(client, coop, area, product, quantity=str(10**12), unit="tan")
    assert res.status_code == 422
    assert res.mimetype == "application/problem+json"
    assert [e["field"] for e in res.json["errors"]] == ["quantity"]
    assert db.session.scalar(select(func.count(Batch.id))) == 0


def test_split_merge_transformation_and_timeline_with_a_correction(client: FlaskClient) -> None:
    coop, dn = make_party(), make_party("DN", OrgType.DN)
    area, product = make_area(coop.org), make_product(coop.org)
    h = coop.staff_headers
    a = _harvest(client, coop, area, product).json
    b = _harvest(client, coop, area, product).json
    split = client.post(f"/api/batches/{a['id']}/events/split", headers=h,
                        json={"parts": [{"quantity": "600", "unit": "kg"},
                                        {"quantity": "400", "unit": "kg"}]})
    assert split.status_code == 201, split.json
    p1, p2 = split.json["created"]
    too_much = client.post(f"/api/batches/{p1['id']}/events/split", headers=h,
                           json={"parts": [{"quantity": "700", "unit": "kg"}]})
    assert too_much.status_code == 409
    merge = client.post(f"/api/batches/{p2['id']}/events/merge", headers=h,
                        json={"inputs": [{"batch_id": p2["id"]}, {"batch_id": b["id"]}]})
    assert merge.status_code == 201, merge.json
    merged = merge.json["created"][0]
    transform = client.post(
        f"/api/batches/{merged['id']}/events/transformation", headers=h,
        json={"inputs": [{"batch_id": merged["id"], "quantity": "1400", "unit": "kg"}],
              "output": {"product_id": product.id, "quantity": "300", "unit": "kg"}})
    assert transform.status_code == 201, transform.json
    ship = client.post(f"/api/batches/{p1['id']}/events/shipping", headers=h,
                       json={"to_organisation_id": dn.org.id, "quantity": "100",
                             "unit": "kg"}).json
    fix = client.post(f"/api/batches/{p1['id']}/corrections", headers=h,
                      json={"event_id": ship["event_ids"][0], "reason": "incorrect_data",
                            "quantities": [{"batch_id": p1["id"], "quantity": "90",
                                            "unit": "kg"}]})
    assert fix.status_code == 201, fix.json
    timeline = client.get(f"/api/batches/{p1['id']}/events", headers=h)
    assert timeline.status_code == 200
    kinds = [(e["kind"], e["corrected"]) for e in timeline.json]
    assert kinds == [("split", False), ("shipping", True), ("shipping", False)]
    assert timeline.json[1]["correction"]["corrective_event_ids"] == (
        fix.json["corrective_event_ids"])
    detail = client.get(f"/api/batches/{p1['id']}", headers=h).json
    assert detail["current_quantity_kg"] == "510.0000"
    for kind in ("cooling", "storing", "packing"):
        assert client.post(f"/api/batches/{p1['id']}/events/{kind}", headers=h,
                           json={"at": f"2026-03-0{len(kind) % 9}T10:00:00"}
                           ).status_code == 201
    assert client.post(f"/api/batches/{p1['id']}/events/recall", headers=h,
                       json={}).status_code == 201
    assert client.post(f"/api/batches/{p1['id']}/events/destroy", headers=h,
                       json={}).status_code == 201


def test_member_statement_over_the_api(client: FlaskClient) -> None:
    coop, other = make_party(), make_party("HTX B")
    area, product = make_area(coop.org), make_product(coop.org)
    member = make_member(coop.org)
    _harvest(client, coop, area, product, contributions=[
        {"member_id": member.id, "quantity": "2", "unit": "ta"}])
    res = client.get(f"/api/batches/member-statements/{member.id}?from=2026-03-01&to=2026-03-31",
                     headers=coop.staff_headers)
    assert res.status_code == 200
    assert res.json["total_kg"] == "200.0000" and res.json["lines"][0]["quantity"] == "2.0000"
    assert client.get(f"/api/batches/member-statements/{member.id}",
                      headers=other.staff_headers).status_code == 404


def test_authority_reads_but_does_not_write(client: FlaskClient) -> None:
    coop = make_party()
    batch = _harvest(client, coop, make_area(coop.org), make_product(coop.org)).json
    _, headers = make_user_with_token(platform_role=PlatformRole.AUTHORITY)
    assert client.get(f"/api/batches/{batch['id']}", headers=headers).status_code == 200
    res = client.post(f"/api/batches/{batch['id']}/events/cooling", json={}, headers=headers)
    assert res.status_code == 403


# --------------------------------------------------------------------------- processes


def _transformation(client: FlaskClient, coop, batch, product, **extra):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/batches/{batch['id']}/events/transformation", headers=coop.staff_headers,
        json={"inputs": [{"batch_id": batch["id"], "quantity": "1000", "unit": "kg"}],
              "output": {"product_id": product.id, "quantity": "200", "unit": "kg"},
              **extra})


def test_transformation_names_its_process_in_the_event(client: FlaskClient) -> None:
    coop = make_party()
    area, product = make_area(coop.org), make_product(coop.org)
    batch = _harvest(client, coop, area, product).json
    res = _transformation(client, coop, batch, product, process="hulling")
    assert res.status_code == 201, res.json
    made = res.json["created"][0]
    timeline = client.get(f"/api/batches/{made['id']}/events", headers=coop.staff_headers).json
    assert [e["document"].get("htx:process") for e in timeline] == ["hulling"]
    assert timeline[0]["biz_step"] == "commissioning"
    other = _harvest(client, coop, area, product).json
    unstated = _transformation(client, coop, other, product, process=None)
    assert unstated.status_code == 201, unstated.json


def test_an_unknown_process_is_a_422_problem_naming_the_field(client: FlaskClient) -> None:
    coop = make_party()
    product = make_product(coop.org)
    batch = _harvest(client, coop, make_area(coop.org), product).json
    for bad in ("baking", "", 3):
        res = _transformation(client, coop, batch, product, process=bad)
        assert res.status_code == 422, bad
        assert res.mimetype == "application/problem+json"
        assert [e["field"] for e in res.json["errors"]] == ["process"]
    detail = client.get(f"/api/batches/{batch['id']}", headers=coop.staff_headers).json
    assert detail["current_quantity_kg"] == "1000.0000"
    assert client.get("/api/batches", headers=coop.staff_headers).headers["X-Total-Count"] == "1"


def test_the_openapi_lists_the_processes(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    body = spec["paths"]["/api/batches/{batch_id}/events/transformation"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"drying", "hulling", "milling", "roasting", "other"} <= set(
        schema["properties"]["process"]["enum"])
