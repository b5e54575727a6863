"""Products API: the commodity list, GTIN and kg-per-unit problems naming their field,
duplicates, who may write, pagination headers."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from core.actor import OrgRole, PlatformRole
from core.db import db
from linkages.models.organisations import OrgType
from tests.factories import make_org, make_user_with_token
from traceability.models import Product

URL = "/api/products"
VN_GTIN13 = "8934567890120"


def _token(org, role=OrgRole.ORG_ADMIN):
    return make_user_with_token(org, role)[1]


def _body(**overrides):
    body = {"code": "ST25-5KG", "name": "Gạo ST25 túi 5 kg", "commodity": "rice"}
    body.update(overrides)
    return body


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Product))


def _fields(response) -> set[str]:
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    return {e["field"] for e in response.get_json()["errors"]}


def test_commodities_are_listed_without_a_token_with_labels_and_default_units(client):
    response = client.get(f"{URL}/commodities", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    listed = {c["code"]: c for c in response.get_json()}
    assert len(listed) == 14
    assert listed["rice"] == {"code": "rice", "label": "Rice", "default_unit": "tan"}
    assert listed["honey"]["default_unit"] == "litre"
    assert listed["livestock"]["default_unit"] == "head"


def test_an_org_admin_creates_a_product_with_a_vietnamese_gtin(client):
    org = make_org()
    admin = _token(org)
    created = client.post(URL, json=_body(gtin=VN_GTIN13, pack_size=5, pack_unit="kg"),
                          headers=admin)
    assert created.status_code == 201, created.get_json()
    product = created.get_json()
    assert product["organisation_id"] == org.id
    assert product["gtin"] == "0" + VN_GTIN13
    assert product["is_vietnamese_gtin"] is True
    assert product["default_unit"] == "tan"
    assert Decimal(product["pack_size"]) == 5 and product["pack_unit"] == "kg"
    fetched = client.get(f"{URL}/{product['id']}", headers=admin)
    assert fetched.status_code == 200 and fetched.get_json()["code"] == "ST25-5KG"
    foreign = client.post(URL, json=_body(code="IMP-1", gtin="4006381333931"), headers=admin)
    assert foreign.status_code == 201 and foreign.get_json()["is_vietnamese_gtin"] is False


def test_a_bad_check_digit_or_a_duplicate_gtin_names_gtin_and_writes_nothing(client):
    org, other = make_org("HTX Một"), make_org("HTX Hai")
    admin, other_admin = _token(org), _token(other)
    before = _count()
    bad = client.post(URL, json=_body(gtin="8934567890125"), headers=admin)
    assert bad.status_code == 422 and _fields(bad) == {"gtin"}
    assert _count() == before
    assert client.post(URL, json=_body(gtin=VN_GTIN13), headers=admin).status_code == 201
    duplicate = client.post(URL, json=_body(gtin="0" + VN_GTIN13), headers=other_admin)
    assert duplicate.status_code == 409 and _fields(duplicate) == {"gtin"}
    same_code = client.post(URL, json=_body(), headers=admin)
    assert same_code.status_code == 409 and _fields(same_code) == {"code"}
    assert _count() == before + 1


def test_kg_per_unit_is_required_for_litres_pieces_and_heads(client):
    org = make_org()
    admin = _token(org)
    honey = _body(code="MO-1", name="Mật ong", commodity="honey")
    refused = client.post(URL, json=honey, headers=admin)
    assert refused.status_code == 422 and _fields(refused) == {"kg_per_unit"}
    by_piece = client.post(URL, json=_body(default_unit="piece"), headers=admin)
    assert by_piece.status_code == 422 and _fields(by_piece) == {"kg_per_unit"}
    created = client.post(URL, json={**honey, "kg_per_unit": 1.4}, headers=admin)
    assert created.status_code == 201
    assert created.get_json()["default_unit"] == "litre"
    negative = client.post(URL, json=_body(code="R2", kg_per_unit=-1), headers=admin)
    assert negative.status_code == 422 and _fields(negative) == {"kg_per_unit"}
    unknown = client.post(URL, json=_body(code="R3", colour="red"), headers=admin)
    assert unknown.status_code == 422 and _fields(unknown) == {"colour"}


def test_staff_write_products_but_a_gtin_needs_an_org_admin(client):
    org = make_org()
    staff, admin = _token(org, OrgRole.STAFF), _token(org)
    created = client.post(URL, json=_body(), headers=staff)
    assert created.status_code == 201
    product_url = f"{URL}/{created.get_json()['id']}"
    refused = client.patch(product_url, json={"gtin": VN_GTIN13}, headers=staff)
    assert refused.status_code == 403 and _fields(refused) == {"gtin"}
    assert client.patch(product_url, json={"name": "Gạo thơm"}, headers=staff).status_code \
        == 200
    allowed = client.patch(product_url, json={"gtin": VN_GTIN13}, headers=admin)
    assert allowed.status_code == 200 and allowed.get_json()["gtin"] == "0" + VN_GTIN13


def test_other_organisations_read_products_but_cannot_change_them(client):
    org, buyer = make_org("HTX Chủ"), make_org("Công ty Mua", OrgType.DN)
    created = client.post(URL, json=_body(), headers=_token(org)).get_json()
    outsider = _token(buyer)
    assert client.get(f"{URL}/{created['id']}", headers=outsider).status_code == 200
    refused = client.patch(f"{URL}/{created['id']}", json={"name": "X"}, headers=outsider)
    assert refused.status_code == 403
    assert client.post(URL, json=_body(organisation_id=org.id), headers=outsider).status_code \
        == 403
    assert client.get(f"{URL}/{created['id']}").status_code == 401
    assert client.get(f"{URL}/{created['id'] + 10_000}", headers=outsider).status_code == 404


def test_a_platform_admin_creates_a_product_for_a_named_organisation(client):
    org = make_org()
    _user, admin = make_user_with_token(platform_role=PlatformRole.ADMIN)
    unnamed = client.post(URL, json=_body(), headers=admin)
    assert unnamed.status_code == 422 and _fields(unnamed) == {"organisation_id"}
    named = client.post(URL, json=_body(organisation_id=org.id), headers=admin)
    assert named.status_code == 201 and named.get_json()["organisation_id"] == org.id


def test_the_product_list_is_paginated_with_link_and_total_headers(client):
    org = make_org()
    admin = _token(org)
    for i in range(5):
        client.post(URL, json=_body(code=f"P{i}", name=f"Sản phẩm {i}"), headers=admin)
    first = client.get(f"{URL}?organisation_id={org.id}&page_size=2", headers=admin)
    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == "5"
    assert [p["code"] for p in first.get_json()] == ["P0", "P1"]
    assert 'rel="next"' in first.headers["Link"] and 'rel="last"' in first.headers["Link"]
    last = client.get(f"{URL}?organisation_id={org.id}&page_size=2&page=3", headers=admin)
    assert [p["code"] for p in last.get_json()] == ["P4"]
    filtered = client.get(f"{URL}?organisation_id={org.id}&q=p3", headers=admin)
    assert [p["code"] for p in filtered.get_json()] == ["P3"]


# --- applied standards (Decree 37/2026: shown on the consumer trace page) -----------------


def test_applied_standards_are_set_tidied_changed_and_cleared(client):
    admin = _token(make_org())
    created = client.post(URL, json=_body(applied_standards=[
        "  TCVN 11041-2:2017 ", "VietGAP", "vietgap", "", "TCCS  01:2026/HTX\n"]),
        headers=admin)
    assert created.status_code == 201, created.get_json()
    product = created.get_json()
    assert product["applied_standards"] == ["TCVN 11041-2:2017", "VietGAP", "TCCS 01:2026/HTX"]
    url = f"{URL}/{product['id']}"
    changed = client.patch(url, json={"applied_standards": ["GlobalG.A.P."]}, headers=admin)
    assert changed.get_json()["applied_standards"] == ["GlobalG.A.P."]
    assert client.get(url, headers=admin).get_json()["applied_standards"] == ["GlobalG.A.P."]
    # Untouched by a PATCH that does not name it; null clears it.
    kept = client.patch(url, json={"name": "Gạo ST25"}, headers=admin)
    assert kept.get_json()["applied_standards"] == ["GlobalG.A.P."]
    cleared = client.patch(url, json={"applied_standards": None}, headers=admin)
    assert cleared.get_json()["applied_standards"] == []


def test_a_product_made_without_standards_has_an_empty_list(client):
    created = client.post(URL, json=_body(), headers=_token(make_org()))
    assert created.get_json()["applied_standards"] == []


def test_bad_standards_are_problems_naming_the_field_and_nothing_is_written(client):
    admin = _token(make_org())
    for standards in (["S" * 2048], [f"TCVN {n}" for n in range(21)], "VietGAP", [42],
                      ["Viet\x00GAP"]):
        response = client.post(URL, json=_body(applied_standards=standards), headers=admin)
        assert response.status_code in (400, 422), (standards, response.get_json())
        assert {f.split(".")[0] for f in _fields(response)} == {"applied_standards"}, standards
    assert _count() == 0
