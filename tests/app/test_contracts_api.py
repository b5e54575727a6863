"""Linkage contracts over the API: problems naming the field, the confirmation flow,
history and as-of, signed scans, projects."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.clock import local_today
from core.db import db
from linkages.models import (
    LinkageContract,
    LinkageContractAttachment,
    LinkageContractVersion,
    OrgType,
)
from tests.linkages._helpers_contracts import HCMC, Side, authority, body, side

PDF = b"%PDF-1.4\n" + b"1" * 200


@pytest.fixture()
def pair() -> tuple[Side, Side]:
    return side("HTX Cà phê Đắk Hà"), side("Công ty TNHH Xuất khẩu Cà phê", OrgType.DN)


def _rows() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (
        LinkageContract, LinkageContractVersion, LinkageContractAttachment))


def _problem_fields(response) -> set[str]:
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    return {e["field"] for e in response.get_json().get("errors", [])}


def _created(client, coop: Side, buyer: Side, **overrides) -> dict:
    response = client.post("/api/contracts", json=body(coop.org, buyer.org, **overrides),
                           headers=coop.headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_a_party_enters_a_draft_and_reads_it_back(client, pair):
    coop, buyer = pair
    made = _created(client, coop, buyer)
    assert made["status"] == "draft" and made["form"] == 3
    assert made["stages"] == {"inputs": False, "production": True, "processing": False,
                              "offtake": True}
    assert made["lines"][0]["planned_quantity_kg"] == "12500.0000"
    got = client.get(f"/api/contracts/{made['id']}", headers=buyer.headers)
    assert got.status_code == 200 and got.get_json()["code"] == made["code"]
    listed = client.get("/api/contracts?role=offtaker", headers=buyer.headers)
    assert [c["id"] for c in listed.get_json()] == [made["id"]]
    assert listed.headers["X-Total-Count"] == "1"


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d.update(parties=[p for p in d["parties"] if p["role"] != "offtaker"]),
     "parties"),
    (lambda d: d.update(parties=[p for p in d["parties"] if p["role"] != "leader"]), "parties"),
    (lambda d: d.update(effective_to=(local_today() - timedelta(days=400)).isoformat()),
     "effective_to"),
    (lambda d: d["parties"][2].update(organisation_id=99_999_999),
     "parties.2.organisation_id"),
    (lambda d: d.update(stages={"inputs": False, "production": False, "processing": False}),
     "stages"),
    (lambda d: d.update(price_mechanism="fixed"), "price_vnd"),
    (lambda d: d.update(form=1), "form"),
])
def test_bad_contracts_are_problems_naming_the_field_and_write_nothing(
    client, pair, change, field
):
    coop, buyer = pair
    data = body(coop.org, buyer.org)
    change(data)
    before = _rows()
    response = client.post("/api/contracts", json=data, headers=coop.headers)
    assert response.status_code == 422
    assert field in _problem_fields(response)
    assert _rows() == before


def test_confirmations_sign_and_transitions_follow_the_rules(client, pair):
    coop, buyer = pair
    made = _created(client, coop, buyer)
    url = f"/api/contracts/{made['id']}"
    stranger = side("HTX Người Lạ")
    assert client.post(f"{url}/confirm", json={}, headers=stranger.headers).status_code == 404
    early = client.post(f"{url}/transition", json={"status": "active"}, headers=coop.headers)
    assert early.status_code == 409 and "status" in _problem_fields(early)
    assert client.post(f"{url}/confirm", json={}, headers=coop.headers).get_json()[
        "status"] == "draft"
    signed = client.post(f"{url}/confirm", json={}, headers=buyer.headers).get_json()
    assert signed["status"] == "signed" and signed["terms_agreed"] is True
    active = client.post(f"{url}/transition", json={"status": "active"}, headers=buyer.headers)
    assert active.status_code == 200
    no_reason = client.post(f"{url}/transition", json={"status": "terminated"},
                            headers=coop.headers)
    assert no_reason.status_code == 422 and "reason" in _problem_fields(no_reason)
    amended = client.patch(url, json={"reason": "Thêm tiêu chuẩn", "premium_vnd": 2000},
                           headers=coop.headers)
    assert amended.status_code == 200
    assert amended.get_json()["terms_agreed"] is False
    assert amended.get_json()["status"] == "active"
    versions = client.get(f"{url}/versions", headers=buyer.headers).get_json()
    assert [v["change"] for v in versions] == ["amended", "transition", "signed", "created"]
    as_of = client.get(f"{url}/as-of", query_string={"as_of": local_today().isoformat()},
                       headers=buyer.headers).get_json()
    assert as_of["status"] == "active" and as_of["terms"]["premium_vnd"] == 2000
    assert client.get(f"{url}/as-of", headers=buyer.headers).status_code == 422


def test_an_authority_verifies_the_paper_and_reads_only_its_province(client, pair):
    coop, buyer = pair
    made = _created(client, coop, buyer)
    url = f"/api/contracts/{made['id']}"
    saigon, hanoi = authority(HCMC), authority("01")
    assert client.get(url, headers=saigon.headers).status_code == 404
    assert client.post(f"{url}/verify-paper", json={}, headers=saigon.headers).status_code == 404
    assert client.patch(url, json={"reason": "x", "title": "y"},
                        headers=hanoi.headers).status_code == 403
    verified = client.post(f"{url}/verify-paper", json={}, headers=hanoi.headers)
    assert verified.status_code == 200 and verified.get_json()["status"] == "signed"


def test_scans_upload_by_content_and_download_to_readers_only(app: Flask, client, pair):
    coop, buyer = pair
    made = _created(client, coop, buyer)
    url = f"/api/contracts/{made['id']}/attachments"
    sent = client.post(url, data={"file": (io.BytesIO(PDF), "hop-dong.png", "image/png")},
                       headers=coop.headers, content_type="multipart/form-data")
    assert sent.status_code == 201, sent.get_data(as_text=True)
    scan = sent.get_json()
    assert scan["content_type"] == "application/pdf"
    assert scan["sha256"] == hashlib.sha256(PDF).hexdigest()
    got = client.get(f"{url}/{scan['id']}", headers=authority("01").headers)
    assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"
    assert "attachment" in got.headers["Content-Disposition"]
    for outsider in (side("Công ty Đối Thủ", OrgType.DN), authority(HCMC)):
        assert client.get(f"{url}/{scan['id']}", headers=outsider.headers).status_code == 404
    before = _rows()
    fake = client.post(url, data={"file": (io.BytesIO(b"GIF89a..."), "scan.pdf",
                                           "application/pdf")},
                       headers=coop.headers, content_type="multipart/form-data")
    assert fake.status_code == 422 and "file" in _problem_fields(fake)
    kept = app.config["CONTRACT_ATTACHMENT_MAX_BYTES"]
    app.config["CONTRACT_ATTACHMENT_MAX_BYTES"] = 100
    try:
        big = client.post(url, data={"file": (io.BytesIO(PDF), "scan.pdf")},
                          headers=coop.headers, content_type="multipart/form-data")
    finally:
        app.config["CONTRACT_ATTACHMENT_MAX_BYTES"] = kept
    assert big.status_code in (413, 422)
    assert _rows() == before


def test_projects_over_the_api(client, pair):
    coop, buyer = pair
    made = _created(client, coop, buyer)
    hanoi = authority("01")
    created = client.post("/api/linkage-projects", json={
        "number": "QĐ-77/UBND", "name": "Chuỗi cà phê", "province_code": "01",
        "decision_date": local_today().isoformat(), "support_vnd": 2_000_000_000,
        "contract_ids": [made["id"]]}, headers=hanoi.headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    project = created.get_json()
    assert [c["id"] for c in project["contracts"]] == [made["id"]]
    url = f"/api/linkage-projects/{project['id']}"
    assert client.get(url, headers=coop.headers).status_code == 200
    assert client.get(url, headers=authority(HCMC).headers).status_code == 404
    assert client.delete(f"{url}/contracts/{made['id']}",
                         headers=coop.headers).status_code == 403
    removed = client.delete(f"{url}/contracts/{made['id']}", headers=hanoi.headers)
    assert removed.status_code == 200 and removed.get_json()["contracts"] == []
    listed = client.get("/api/linkage-projects", headers=hanoi.headers).get_json()
    assert [p["id"] for p in listed] == [project["id"]]
