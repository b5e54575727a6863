"""Suppliers, verifications and scorecards over the API: the whole flow, problems naming
the field, nothing written on bad input, and who gets what."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.db import db
from linkages.models import OrgType, SupplierLink, SupplierVerification
from tests.linkages.supplier_helpers import admin, authority, certify, farm, in_days, side


def _count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _fields(response) -> set[str]:
    assert response.mimetype == "application/problem+json", response.get_data()
    return {e["field"] for e in response.get_json().get("errors", [])}


def test_an_enterprise_lists_verifies_and_scores_its_supplier(client: FlaskClient) -> None:
    buyer = side("Công ty Xuất khẩu", OrgType.DN)
    supplier = side("HTX Vải Lục Ngạn")
    farm(supplier)
    certify(supplier)
    base = f"/api/organisations/{buyer.org.id}"
    added = client.post(f"{base}/suppliers", headers=buyer.headers,
                        json={"supplier_id": supplier.org.id, "note": "Giao đúng hẹn"})
    assert added.status_code == 201, added.get_data()
    assert added.get_json()["current_status"] is None
    asked = client.post(f"{base}/verifications", headers=buyer.headers,
                        json={"supplier_id": supplier.org.id, "for_export": True,
                              "required_schemes": ["vietgap"], "note": "Riêng"})
    assert asked.status_code == 201, asked.get_data()
    body = asked.get_json()
    assert body["status"] == "requested" and body["request_checklist"]["passed"] is True
    url = f"/api/verifications/{body['id']}"
    decided = client.post(f"{url}/decision", headers=buyer.headers,
                          json={"decision": "verified", "expires_on": in_days(365).isoformat()})
    assert decided.status_code == 200, decided.get_data()
    assert decided.get_json()["status"] == "verified"
    assert decided.get_json()["decision_checklist"]["passed"] is True
    listed = client.get(f"{base}/suppliers", headers=buyer.headers)
    assert listed.headers["X-Total-Count"] == "1"
    assert listed.get_json()[0]["current_status"] == "verified"
    assert listed.get_json()[0]["current_expires_on"] == in_days(365).isoformat()
    card = client.get(f"{base}/suppliers/{supplier.org.id}/scorecard", headers=buyer.headers)
    assert card.status_code == 200, card.get_data()
    figures = {f["key"]: f for f in card.get_json()["figures"]}
    assert figures["kde_completeness"]["value"] == 1.0
    assert figures["fulfilment"] == {**figures["fulfilment"], "available": True,
                                     "value": None}
    # The supplier reads the verification of itself, not the buyer's note; nor decides.
    own = client.get(url, headers=supplier.headers)
    assert own.status_code == 200 and own.get_json()["note"] is None
    assert client.get(url, headers=buyer.headers).get_json()["note"] == "Riêng"
    again = client.post(f"{url}/decision", headers=buyer.headers,
                        json={"decision": "rejected", "reason": "Đổi ý"})
    assert again.status_code == 409 and _fields(again) == {"decision"}
    removed = client.delete(f"{base}/suppliers/{supplier.org.id}", headers=buyer.headers)
    assert removed.status_code == 204
    assert _count(SupplierLink) == 0 and _count(SupplierVerification) == 1


def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(
    client: FlaskClient,
) -> None:
    buyer = side("Công ty Xuất khẩu", OrgType.DN)
    supplier = side("HTX Vải Lục Ngạn")
    other_dn = side("Công ty Khác", OrgType.DN)
    farm(supplier)
    certify(supplier)
    base = f"/api/organisations/{buyer.org.id}"
    for body, status in (({"supplier_id": other_dn.org.id}, 422),
                         ({"supplier_id": 2_000_000_000}, 422),
                         ({"supplier_id": buyer.org.id}, 422),
                         ({"supplier_id": 2**40}, 422),
                         ({"supplier": supplier.org.id}, 422)):
        refused = client.post(f"{base}/suppliers", headers=buyer.headers, json=body)
        assert refused.status_code == status, (body, refused.get_data())
        assert _fields(refused) & {"supplier_id", "supplier"}, body
    assert _count(SupplierLink) == 0
    client.post(f"{base}/suppliers", headers=buyer.headers, json={"supplier_id": supplier.org.id})
    dup = client.post(f"{base}/suppliers", headers=buyer.headers,
                      json={"supplier_id": supplier.org.id})
    assert dup.status_code == 409 and _fields(dup) == {"supplier_id"}
    bad_scheme = client.post(f"{base}/verifications", headers=buyer.headers,
                             json={"supplier_id": supplier.org.id, "required_schemes": ["x"]})
    assert bad_scheme.status_code == 422 and _fields(bad_scheme) == {"required_schemes.0"}
    assert _count(SupplierVerification) == 0
    asked = client.post(f"{base}/verifications", headers=buyer.headers,
                        json={"supplier_id": supplier.org.id}).get_json()
    url = f"/api/verifications/{asked['id']}/decision"
    for body, field in (({"decision": "verified"}, "expires_on"),
                        ({"decision": "verified", "expires_on": in_days(-1).isoformat()},
                         "expires_on"),
                        ({"decision": "rejected"}, "reason"),
                        ({"decision": "maybe"}, "decision")):
        refused = client.post(url, headers=buyer.headers, json=body)
        assert refused.status_code == 422 and _fields(refused) == {field}, body
    stranger = client.post(url, headers=other_dn.headers,
                           json={"decision": "rejected", "reason": "x"})
    assert stranger.status_code == 404
    by_supplier = client.post(url, headers=supplier.headers,
                              json={"decision": "rejected", "reason": "x"})
    assert by_supplier.status_code == 403
    assert client.post(url, json={"decision": "rejected", "reason": "x"}).status_code == 401
    row = db.session.get(SupplierVerification, asked["id"])
    db.session.refresh(row)
    assert row.state == "requested" and row.decided_at is None


def test_enterprise_a_never_sees_enterprise_b_s_verifications(client: FlaskClient) -> None:
    a = side("Công ty A", OrgType.DN)
    b = side("Công ty B", OrgType.DN)
    supplier = side("HTX Chung")
    far = side("HTX Phương Nam", province="79")
    for s in (supplier, far):
        farm(s)
    for who, s in ((a, supplier), (b, supplier), (b, far)):
        client.post(f"/api/organisations/{who.org.id}/suppliers", headers=who.headers,
                    json={"supplier_id": s.org.id})
        client.post(f"/api/organisations/{who.org.id}/verifications", headers=who.headers,
                    json={"supplier_id": s.org.id, "note": f"note {who.org.name}"})

    def seen(headers, query=""):
        response = client.get(f"/api/verifications{query}", headers=headers)
        assert response.status_code == 200, response.get_data()
        return {(v["buyer_id"], v["supplier_id"]) for v in response.get_json()}

    assert seen(a.headers) == {(a.org.id, supplier.org.id)}
    assert seen(a.headers, f"?buyer_id={b.org.id}") == set()
    b_ids = [v["id"] for v in client.get("/api/verifications", headers=b.headers).get_json()]
    for vid in b_ids:
        assert client.get(f"/api/verifications/{vid}", headers=a.headers).status_code == 404
    assert client.get(f"/api/organisations/{b.org.id}/suppliers",
                      headers=a.headers).status_code == 404
    assert client.get(f"/api/organisations/{b.org.id}/suppliers/{far.org.id}/scorecard",
                      headers=a.headers).status_code == 404
    assert seen(supplier.headers) == {(a.org.id, supplier.org.id), (b.org.id, supplier.org.id)}
    assert all(v["note"] is None for v in
               client.get("/api/verifications", headers=supplier.headers).get_json())
    _, hanoi = authority("01")
    _, saigon = authority("79")
    assert seen(hanoi) == {(a.org.id, supplier.org.id), (b.org.id, supplier.org.id)}
    assert seen(saigon) == {(b.org.id, far.org.id)}
    _, platform = admin()
    assert len(seen(platform)) == 3
    assert client.get("/api/verifications").status_code == 401
