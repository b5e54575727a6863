"""Lab results API (``/api/batches/<id>/lab-results``): the lot's organisation records, its
readers read, bad input is an RFC 9457 problem naming the field (never a 500), and the
operations are documented under their own tag."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from core.db import db
from linkages.models.organisations import OrgType
from tests.days import FromToday, resolve
from tests.traceability.batch_factories import Party, make_party
from tests.traceability.test_lab_results import harvest
from traceability.models import Batch, BatchStatus, LabResult
from traceability.services import recording

BODY: dict[str, Any] = {
    "test": "pesticide_residues",
    "laboratory": "Trung tâm Kiểm nghiệm Thực phẩm Hà Nội",
    "accreditation": "VILAS 1234",
    "sampled_on": "2026-03-02",
    "outcome": "pass",
    "report_number": "KQ-2026/118",
}


@pytest.fixture()
def coop() -> Party:
    return make_party("HTX Kiểm nghiệm")


def _lot(party: Party) -> Batch:
    batch = harvest(party)
    db.session.commit()  # as a request would find it
    return batch


def _url(batch: Batch) -> str:
    return f"/api/batches/{batch.id}/lab-results"


def _count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(LabResult)) or 0)


def _fields(response: Any) -> set[str]:
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    return {e["field"] for e in response.get_json()["errors"]}


def test_the_owner_records_a_result_and_reads_it_back(client, coop):
    batch = _lot(coop)
    created = client.post(_url(batch), json=BODY, headers=coop.staff_headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert {k: body[k] for k in BODY} == BODY
    assert body["batch_id"] == batch.id and body["id"] and body["created_at"]
    listed = client.get(_url(batch), headers=coop.admin_headers)
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "1"
    assert [r["report_number"] for r in listed.get_json()] == ["KQ-2026/118"]


def test_a_hostile_laboratory_name_is_kept_as_text(client, coop):
    batch = _lot(coop)
    name = "<script>alert('x')</script>\"; DROP TABLE lab_results; --"
    created = client.post(_url(batch), json={**BODY, "laboratory": name},
                          headers=coop.staff_headers)
    assert created.status_code == 201
    assert created.get_json()["laboratory"] == name


@pytest.mark.parametrize(("field", "value"), [
    ("laboratory", "L" * 2048),
    ("laboratory", ""),
    ("laboratory", "Phòng\x00thí nghiệm"),
    ("laboratory", "Phòng thí nghiệm\x1b[31m"),
    ("accreditation", "V" * 2048),
    ("report_number", "R" * 2048),
    ("sampled_on", "1899-12-31"),
    ("sampled_on", "9999-01-01"),
    ("sampled_on", "2026-02-30"),
    ("sampled_on", FromToday(1, iso=True)),
    ("test", "astrology"),
    ("outcome", "maybe"),
    ("colour", "red"),
])
def test_bad_input_is_a_problem_naming_the_field(client, coop, field, value):
    batch = _lot(coop)
    response = client.post(_url(batch), json={**BODY, field: resolve(value)},
                           headers=coop.staff_headers)
    assert response.status_code in (400, 422), response.get_json()
    assert field in _fields(response)
    assert _count() == 0


@pytest.mark.parametrize("missing", ["test", "laboratory", "sampled_on", "outcome",
                                     "report_number"])
def test_a_missing_field_is_named(client, coop, missing):
    batch = _lot(coop)
    body = {k: v for k, v in BODY.items() if k != missing}
    response = client.post(_url(batch), json=body, headers=coop.staff_headers)
    assert response.status_code == 422 and missing in _fields(response)


def test_the_same_test_of_a_report_twice_is_a_conflict(client, coop):
    batch = _lot(coop)
    assert client.post(_url(batch), json=BODY, headers=coop.staff_headers).status_code == 201
    again = client.post(_url(batch), json=BODY, headers=coop.admin_headers)
    assert again.status_code == 409 and "report_number" in _fields(again)
    assert _count() == 1


def test_a_withdrawn_lot_takes_none(client, coop):
    batch = _lot(coop)
    batch.status = BatchStatus.VOID
    db.session.commit()
    response = client.post(_url(batch), json=BODY, headers=coop.staff_headers)
    assert response.status_code == 409 and _count() == 0


def test_a_buyer_reads_the_shipped_lot_s_results_but_may_not_record(client, coop):
    buyer = make_party("Công ty Thu Mua", OrgType.DN)
    batch = _lot(coop)
    client.post(_url(batch), json=BODY, headers=coop.staff_headers)
    recording.record_shipping(coop.staff, batch.id, to_organisation_id=buyer.org.id,
                              quantity=Decimal(10), unit="kg")
    db.session.commit()
    read = client.get(_url(batch), headers=buyer.staff_headers)
    assert read.status_code == 200 and len(read.get_json()) == 1
    refused = client.post(_url(batch), json={**BODY, "report_number": "B-1"},
                          headers=buyer.admin_headers)
    assert refused.status_code == 403 and _count() == 1


def test_strangers_get_404_and_anonymous_callers_401(client, coop):
    stranger = make_party("HTX Người Lạ")
    batch = _lot(coop)
    assert client.get(_url(batch), headers=stranger.admin_headers).status_code == 404
    assert client.post(_url(batch), json=BODY,
                       headers=stranger.admin_headers).status_code == 404
    assert client.get(_url(batch)).status_code == 401
    assert client.post(_url(batch), json=BODY).status_code == 401
    assert client.get("/api/batches/2147483648/lab-results",
                      headers=coop.admin_headers).status_code == 404
    assert _count() == 0


def test_the_operations_are_documented_under_lab_results(client):
    spec = client.get("/api/openapi.json").get_json()
    item = spec["paths"]["/api/batches/{batch_id}/lab-results"]
    assert item["get"]["tags"] == item["post"]["tags"] == ["Lab results"]
    schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/LabResultIn")
    fields = spec["components"]["schemas"]["LabResultIn"]["properties"]
    assert fields["test"]["enum"] == ["pesticide_residues", "heavy_metals", "microbiology",
                                      "mycotoxins", "veterinary_drug_residues", "other"]


def _withdrawal(batch: Batch, result_id: int) -> str:
    return f"{_url(batch)}/{result_id}/withdrawal"


def test_the_owner_withdraws_a_result_then_records_the_corrected_one(client, coop):
    batch = _lot(coop)
    wrong = client.post(_url(batch), json={**BODY, "outcome": "fail"},
                        headers=coop.staff_headers).get_json()
    url = _withdrawal(batch, wrong["id"])
    done = client.post(url, json={"reason": "Sai kết quả: báo cáo ghi Đạt"},
                       headers=coop.admin_headers)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["withdrawn_at"]
    assert done.get_json()["withdrawal_reason"] == "Sai kết quả: báo cáo ghi Đạt"
    again = client.post(url, json={"reason": "Lần nữa"}, headers=coop.admin_headers)
    assert again.status_code == 409
    assert client.post(_url(batch), json=BODY, headers=coop.staff_headers).status_code == 201
    listed = client.get(_url(batch), headers=coop.admin_headers).get_json()
    assert sorted(bool(r["withdrawn_at"]) for r in listed) == [False, True]


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 501},
                                  {"reason": "ok", "extra": 1}])
def test_a_bad_reason_is_a_problem_naming_the_field(client, coop, body):
    batch = _lot(coop)
    result = client.post(_url(batch), json=BODY, headers=coop.staff_headers).get_json()
    response = client.post(_withdrawal(batch, result["id"]), json=body,
                           headers=coop.staff_headers)
    assert response.status_code == 422 and _fields(response)
    assert db.session.scalar(select(LabResult.withdrawn_at)) is None


def test_strangers_get_404_and_a_buyer_403_on_withdrawal(client, coop):
    stranger = make_party("HTX Người Lạ")
    buyer = make_party("Công ty Thu Mua", OrgType.DN)
    batch = _lot(coop)
    result = client.post(_url(batch), json=BODY, headers=coop.staff_headers).get_json()
    recording.record_shipping(coop.staff, batch.id, to_organisation_id=buyer.org.id,
                              quantity=Decimal(10), unit="kg")
    db.session.commit()
    url, body = _withdrawal(batch, result["id"]), {"reason": "Nhầm"}
    assert client.post(url, json=body, headers=stranger.admin_headers).status_code == 404
    assert client.post(url, json=body, headers=buyer.admin_headers).status_code == 403
    assert client.post(url, json=body).status_code == 401
    assert client.post(_withdrawal(batch, 2147483647), json=body,
                       headers=coop.admin_headers).status_code == 404
    assert db.session.scalar(select(LabResult.withdrawn_at)) is None
