"""The organisations registry over HTTP: problem+json errors naming the field, nothing
written on failure, permission isolation, pagination."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core.actor import OrgRole, PlatformRole
from core.clock import local_today
from core.db import db
from linkages.models.cooperatives import YearlyFigures
from linkages.models.organisations import Organisation, OrgType
from tests.factories import (
    DAU_TIENG,
    HANOI,
    HCMC,
    SOC_SON,
    api_client,
    ensure_place,
    make_org,
    make_user_with_token,
    valid_tax_code,
)

BASE = "/api/organisations"


@pytest.fixture()
def api(app):
    ensure_place(HANOI, SOC_SON)
    ensure_place(HCMC, DAU_TIENG)
    return api_client(app)


@pytest.fixture()
def admin_headers():
    return make_user_with_token(platform_role=PlatformRole.ADMIN)[1]


def org_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Organisation)) or 0)


def problem_fields(response) -> set[str]:
    assert response.mimetype == "application/problem+json"
    return {e["field"] for e in response.get_json().get("errors", [])}


# --- create ------------------------------------------------------------------------------


def test_admin_registers_an_organisation(api, admin_headers):
    code = valid_tax_code()
    response = api.post(
        BASE,
        json={"registration_code": code, "name": "HTX Rau Sóc Sơn", "org_type": "htx",
              "commune_code": SOC_SON},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["registration_code"] == code
    assert body["province_code"] == HANOI
    assert response.headers["Location"].endswith(f"{BASE}/{body['id']}")


@pytest.mark.parametrize(
    ("changes", "field", "status"),
    [
        ({"registration_code": "0100109107"}, "registration_code", 422),
        ({"commune_code": "99998"}, "commune_code", 422),
        ({"commune_code": DAU_TIENG, "province_code": HANOI}, "commune_code", 422),
        ({"colour": "red"}, "colour", 422),
        ({"name": 42}, "name", 422),
        ({"org_type": "cooperative"}, "org_type", 422),
        ({"registered_on": "yesterday"}, "registered_on", 422),
    ],
)
def test_bad_registration_answers_problem_json_naming_the_field(
    api, admin_headers, changes, field, status
):
    before = org_count()
    data = {"registration_code": valid_tax_code(), "name": "HTX A", "org_type": "htx", **changes}
    response = api.post(BASE, json=data, headers=admin_headers)
    assert response.status_code == status
    assert field in problem_fields(response)
    assert org_count() == before


def test_duplicate_registration_code_is_a_conflict(api, admin_headers):
    existing = make_org()
    before = org_count()
    response = api.post(
        BASE,
        json={"registration_code": existing.registration_code, "name": "B", "org_type": "dn"},
        headers=admin_headers,
    )
    assert response.status_code == 409
    assert problem_fields(response) == {"registration_code"}
    assert org_count() == before


def test_only_platform_admins_register_and_anonymous_writes_need_authentication(api):
    org = make_org()
    _, org_admin = make_user_with_token(org)
    data = {"registration_code": valid_tax_code(), "name": "X", "org_type": "htx"}
    assert api.post(BASE, json=data, headers=org_admin).status_code == 403
    assert api.post(BASE, json=data).status_code == 401
    assert api.patch(f"{BASE}/{org.id}", json={"name": "X"}).status_code == 401
    assert api.put(f"{BASE}/{org.id}/profile", json={"field_group": "finance"}).status_code == 401
    assert api.put(f"{BASE}/{org.id}/figures/2025", json={}).status_code == 401


def test_organisations_are_never_deleted(api, admin_headers):
    org = make_org()
    assert api.delete(f"{BASE}/{org.id}", headers=admin_headers).status_code == 405
    assert db.session.get(Organisation, org.id) is not None


# --- read, list, pagination ------------------------------------------------------------


def test_registry_record_is_public(api):
    org = make_org("HTX Công khai")
    response = api.get(f"{BASE}/{org.id}")
    assert response.status_code == 200
    assert response.get_json()["name"] == "HTX Công khai"
    assert api.get(f"{BASE}/{org.id + 10_000}").status_code == 404


def test_list_is_paginated_and_filtered(api):
    for i in range(5):
        make_org(f"HTX Phân trang {i}", province_code=HCMC)
    make_org("Doanh nghiệp Phân trang", OrgType.DN, province_code=HCMC)
    response = api.get(f"{BASE}?type=htx&province_code={HCMC}&q=phân trang&page=2&page_size=2")
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "5"
    assert [o["name"] for o in response.get_json()] == ["HTX Phân trang 2", "HTX Phân trang 3"]
    links = response.headers["Link"]
    for rel in ("first", "prev", "next", "last"):
        assert f'rel="{rel}"' in links
    assert "type=htx" in links


def test_bad_list_filter_names_the_parameter(api):
    response = api.get(f"{BASE}?type=cooperative")
    assert response.status_code == 422
    assert "type" in problem_fields(response)


# --- update ------------------------------------------------------------------------------


def test_org_admin_edits_but_staff_gets_forbidden(api):
    org = make_org()
    _, admin = make_user_with_token(org, OrgRole.ORG_ADMIN)
    _, staff = make_user_with_token(org, OrgRole.STAFF)
    response = api.patch(f"{BASE}/{org.id}", json={"phone": "024 3826 0000"}, headers=admin)
    assert response.status_code == 200
    assert response.get_json()["phone"] == "024 3826 0000"
    assert api.patch(f"{BASE}/{org.id}", json={"phone": "1"}, headers=staff).status_code == 403


def test_org_admin_cannot_change_the_registration_code(api):
    org = make_org()
    code = org.registration_code
    _, admin = make_user_with_token(org)
    response = api.patch(
        f"{BASE}/{org.id}", json={"registration_code": valid_tax_code()}, headers=admin
    )
    assert response.status_code == 403
    assert problem_fields(response) == {"registration_code"}
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).registration_code == code


def test_failed_patch_writes_nothing(api):
    org = make_org(commune_code=SOC_SON)
    _, admin = make_user_with_token(org)
    response = api.patch(
        f"{BASE}/{org.id}",
        json={"name": "Tên mới", "website": "javascript:alert(1)"},
        headers=admin,
    )
    assert response.status_code == 422
    assert problem_fields(response) == {"website"}
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).name == "Hợp tác xã Thử nghiệm"


# --- profile and figures: isolation ------------------------------------------------------


PROFILE = {"field_group": "agriculture", "agri_subtype": "crops"}


def test_cooperative_cannot_read_another_cooperatives_profile_or_figures(api):
    a, b = make_org("HTX A"), make_org("HTX B")
    _, b_admin = make_user_with_token(b)
    assert api.put(f"{BASE}/{b.id}/profile", json=PROFILE, headers=b_admin).status_code == 200
    response = api.put(
        f"{BASE}/{b.id}/figures/2025", json={"official_members": 9}, headers=b_admin
    )
    assert response.status_code == 200
    _, a_user = make_user_with_token(a, OrgRole.STAFF)
    paths = ("profile", "profile/changes", "figures", "figures/2025", "figures/changes",
             "unions")
    for path in paths:
        response = api.get(f"{BASE}/{b.id}/{path}", headers=a_user)
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"
    for path in paths:  # anonymous: sign in
        assert api.get(f"{BASE}/{b.id}/{path}").status_code == 401, path
    # Writes from a stranger look the same as a missing organisation.
    _, a_admin = make_user_with_token(a)
    assert api.put(f"{BASE}/{b.id}/profile", json=PROFILE, headers=a_admin).status_code == 404


def test_staff_cannot_edit_the_profile_but_the_org_admin_can(api):
    org = make_org()
    _, staff = make_user_with_token(org, OrgRole.STAFF)
    _, admin = make_user_with_token(org, OrgRole.ORG_ADMIN)
    assert api.put(f"{BASE}/{org.id}/profile", json=PROFILE, headers=staff).status_code == 403
    response = api.put(
        f"{BASE}/{org.id}/profile",
        json={**PROFILE, "technology_tags": ["drip_irrigation"]},
        headers=admin,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["technology_tags"] == ["drip_irrigation"]
    assert body["high_tech_status"] == "none"
    assert any("5" in w for w in body["warnings"])  # no members recorded yet
    read = api.get(f"{BASE}/{org.id}/profile", headers=staff)
    assert read.status_code == 200 and read.get_json()["agri_subtype"] == "crops"


def test_profile_rule_violation_names_the_field_and_writes_nothing(api):
    org = make_org()
    _, admin = make_user_with_token(org)
    response = api.put(
        f"{BASE}/{org.id}/profile",
        json={"field_group": "finance", "agri_subtype": "crops"},
        headers=admin,
    )
    assert response.status_code == 422
    assert problem_fields(response) == {"agri_subtype"}
    assert api.get(f"{BASE}/{org.id}/profile", headers=admin).status_code == 404


def test_org_admin_cannot_verify_high_tech_but_a_platform_admin_can(api, admin_headers):
    org = make_org()
    _, admin = make_user_with_token(org)
    verified = {**PROFILE, "high_tech_status": "verified", "high_tech_basis": "hitech_zone"}
    response = api.put(f"{BASE}/{org.id}/profile", json=verified, headers=admin)
    assert response.status_code == 403
    assert problem_fields(response) == {"high_tech_status"}
    response = api.put(f"{BASE}/{org.id}/profile", json=verified, headers=admin_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["high_tech_status"] == "verified"
    assert body["verified_by_id"] is not None and body["verified_at"]


def test_province_authority_reads_in_its_province_only_and_writes_nothing(api):
    hanoi_coop = make_org("HTX Hà Nội", province_code=HANOI)
    hcm_coop = make_org("HTX Sài Gòn", province_code=HCMC)
    for org in (hanoi_coop, hcm_coop):
        _, admin = make_user_with_token(org)
        api.put(f"{BASE}/{org.id}/profile", json=PROFILE, headers=admin)
        api.put(f"{BASE}/{org.id}/figures/2025", json={"official_members": 6}, headers=admin)
    _, officer = make_user_with_token(platform_role=PlatformRole.AUTHORITY, province_code=HANOI)
    assert api.get(f"{BASE}/{hanoi_coop.id}/profile", headers=officer).status_code == 200
    figures = api.get(f"{BASE}/{hanoi_coop.id}/figures", headers=officer)
    assert figures.status_code == 200 and figures.get_json()[0]["official_members"] == 6
    assert api.get(f"{BASE}/{hcm_coop.id}/profile", headers=officer).status_code == 404
    assert api.get(f"{BASE}/{hcm_coop.id}/figures", headers=officer).status_code == 404
    write = api.put(f"{BASE}/{hanoi_coop.id}/profile", json=PROFILE, headers=officer)
    assert write.status_code == 403
    patch = api.patch(f"{BASE}/{hanoi_coop.id}", json={"name": "X"}, headers=officer)
    assert patch.status_code == 403


def test_changes_of_what_the_indicator_reads_are_listed_latest_first(api):
    org = make_org()
    _, admin = make_user_with_token(org)
    _, staff = make_user_with_token(org, OrgRole.STAFF)
    api.put(f"{BASE}/{org.id}/profile", json={**PROFILE, "size_class": "small"}, headers=admin)
    api.put(f"{BASE}/{org.id}/profile", json={**PROFILE, "size_class": "medium"}, headers=admin)
    api.put(f"{BASE}/{org.id}/profile", json={"field_group": "finance"}, headers=admin)
    api.put(f"{BASE}/{org.id}/figures/2025", json={"official_members": 7}, headers=admin)
    api.put(f"{BASE}/{org.id}/figures/2025", json={"official_members": 9, "rating_score": 70},
            headers=admin)
    changes = api.get(f"{BASE}/{org.id}/profile/changes?page_size=2", headers=staff)
    assert changes.status_code == 200 and changes.headers["X-Total-Count"] == "3"
    assert [(c["field"], c["old_value"], c["new_value"]) for c in changes.get_json()] == [
        ("size_class", "medium", None), ("field_group", "agriculture", "finance")]
    assert changes.get_json()[0]["effective_on"] == local_today().isoformat()
    corrected = api.get(f"{BASE}/{org.id}/figures/changes", headers=staff).get_json()
    assert [(c["year"], c["field"], c["old_value"], c["new_value"]) for c in corrected] == [
        (2025, "rating", None, "fair"), (2025, "official_members", "7", "9")]


# --- figures -------------------------------------------------------------------------------


def test_figures_are_listed_newest_first_with_pagination_headers(api):
    org = make_org()
    _, admin = make_user_with_token(org)
    for year in (2023, 2025, 2024):
        response = api.put(
            f"{BASE}/{org.id}/figures/{year}",
            json={"official_members": 10, "revenue_vnd": 4_600_000_000, "rating_score": 66},
            headers=admin,
        )
        assert response.status_code == 200
        assert response.get_json()["rating"] == "fair"
    response = api.get(f"{BASE}/{org.id}/figures", headers=admin)
    assert response.headers["X-Total-Count"] == "3"
    assert [f["year"] for f in response.get_json()] == [2025, 2024, 2023]
    assert response.get_json()[0]["revenue_vnd"] == 4_600_000_000


def test_inconsistent_rating_is_refused_and_nothing_written(api):
    org = make_org()
    _, admin = make_user_with_token(org)
    response = api.put(
        f"{BASE}/{org.id}/figures/2025", json={"rating": "good", "rating_score": 50},
        headers=admin,
    )
    assert response.status_code == 422
    assert problem_fields(response) == {"rating"}
    response = api.put(
        f"{BASE}/{org.id}/figures/2025", json={"households": "many"}, headers=admin
    )
    assert response.status_code == 422 and problem_fields(response) == {"households"}
    count = select(func.count()).select_from(YearlyFigures)
    assert db.session.scalar(count.where(YearlyFigures.organisation_id == org.id)) == 0


# --- union memberships -------------------------------------------------------------------


def test_union_memberships_are_added_listed_and_ended(api):
    union = make_org("Liên hiệp HTX Hà Nội", OrgType.LHHTX)
    htx = make_org("HTX Thành viên")
    _, union_admin = make_user_with_token(union)
    _, htx_admin = make_user_with_token(htx)
    denied = api.post(
        f"{BASE}/{htx.id}/unions",
        json={"counterpart_id": union.id, "joined_on": "2024-01-01"},
        headers=htx_admin,
    )
    assert denied.status_code == 403
    response = api.post(
        f"{BASE}/{union.id}/unions",
        json={"counterpart_id": htx.id, "joined_on": "2024-01-01"},
        headers=union_admin,
    )
    assert response.status_code == 201, response.get_json()
    membership = response.get_json()
    assert membership["union"]["id"] == union.id and membership["member"]["id"] == htx.id
    listed = api.get(f"{BASE}/{htx.id}/unions", headers=htx_admin)
    assert [m["id"] for m in listed.get_json()] == [membership["id"]]
    assert listed.headers["X-Total-Count"] == "1"
    ended = api.post(
        f"{BASE}/{htx.id}/unions/{membership['id']}/end",
        json={"left_on": str(date(2025, 1, 1))},
        headers=htx_admin,
    )
    assert ended.status_code == 200 and ended.get_json()["left_on"] == "2025-01-01"
    profile = api.put(f"{BASE}/{union.id}/profile", json=PROFILE, headers=union_admin)
    assert any("3" in w for w in profile.get_json()["warnings"])


def test_union_membership_with_unknown_counterpart_names_the_field(api):
    union = make_org("Liên hiệp HTX", OrgType.LHHTX)
    _, union_admin = make_user_with_token(union)
    response = api.post(
        f"{BASE}/{union.id}/unions",
        json={"counterpart_id": 987654, "joined_on": "2024-01-01"},
        headers=union_admin,
    )
    assert response.status_code == 422
    assert problem_fields(response) == {"counterpart_id"}
