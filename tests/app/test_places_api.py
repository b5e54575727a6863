"""The public places API: paginated lists, details, and problem+json for unknown codes."""

from __future__ import annotations

import pytest


def test_provinces_are_paginated_with_total_count_and_link_headers(client):
    response = client.get("/api/places/provinces?page=2&page_size=10")
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "34"
    link = response.headers["Link"]
    for rel in ("first", "prev", "next", "last"):
        assert f'rel="{rel}"' in link
    assert "page=4" in link  # last of 34 rows in pages of 10
    codes = [p["code"] for p in response.get_json()]
    assert len(codes) == 10 and codes == sorted(codes)


def test_province_list_needs_no_authentication(client):
    body = client.get("/api/places/provinces?page_size=100").get_json()
    assert len(body) == 34
    assert body[0] == {
        "code": "01",
        "name": "Thành phố Hà Nội",
        "short_name": "Hà Nội",
        "name_en": "Ha Noi City",
        "kind": "thành phố trung ương",
    }


def test_province_detail_lists_the_legacy_provinces_merged_into_it(client):
    body = client.get("/api/places/provinces/08").get_json()
    assert body["name"] == "Tỉnh Tuyên Quang"
    assert [lp["code"] for lp in body["legacy_provinces"]] == ["02", "08"]


def test_communes_of_a_province_are_paginated_and_searchable_without_accents(client):
    response = client.get("/api/places/provinces/01/communes?page_size=5")
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "126"
    assert 'rel="next"' in response.headers["Link"]
    assert {c["province_code"] for c in response.get_json()} == {"01"}

    found = client.get("/api/places/provinces/01/communes?q=ba%20dinh").get_json()
    assert [c["code"] for c in found] == ["00004"]


def test_communes_of_a_province_filter_by_kind(client):
    response = client.get("/api/places/provinces/01/communes?kind=phường&page_size=100")
    assert response.headers["X-Total-Count"] == "51"
    bad = client.get("/api/places/provinces/01/communes?kind=huyện")
    assert bad.status_code == 422
    assert bad.headers["Content-Type"].startswith("application/problem+json")


def test_commune_detail_names_its_province(client):
    body = client.get("/api/places/communes/00004").get_json()
    assert body["name"] == "Phường Ba Đình"
    assert body["province"]["code"] == "01"


def test_legacy_provinces_carry_their_new_province(client):
    response = client.get("/api/places/legacy-provinces?page_size=100")
    assert response.headers["X-Total-Count"] == "63"
    by_code = {lp["code"]: lp for lp in response.get_json()}
    assert by_code["02"]["new_province_code"] == "08"
    assert by_code["02"]["new_province"]["short_name"] == "Tuyên Quang"


def test_region_schemes_list_and_detail(client):
    response = client.get("/api/places/region-schemes")
    assert response.headers["X-Total-Count"] == "2"
    schemes = {s["code"]: s for s in response.get_json()}
    assert schemes["VN6_2025_PROVISIONAL"]["provisional"] is True
    assert schemes["VN6_2021_2030"]["province_set"] == "legacy"

    detail = client.get("/api/places/region-schemes/VN6_2021_2030").get_json()
    assert detail["regions"][0]["name"] == "Trung du và miền núi phía Bắc"
    assert len(detail["memberships"]) == 63
    first = detail["memberships"][0]
    assert first == {"province_code": "01", "region_code": "DBSH", "valid_from": "2021-01-01"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/places/provinces/03",
        "/api/places/provinces/03/communes",
        "/api/places/communes/00000",
        "/api/places/region-schemes/NOPE",
    ],
)
def test_unknown_codes_answer_404_problem_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.get_json()
    assert body["status"] == 404
    assert body["instance"] == path
