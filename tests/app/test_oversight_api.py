"""Oversight facts over HTTP: PATCH refuses them, authorities over the organisation change
them with a history, organisations request changes that authorities decide; every
endpoint is closed to other organisations, anonymous users and authorities of other
provinces."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.actor import OrgRole, PlatformRole
from core.db import db
from linkages.models.organisations import (
    Organisation,
    OrganisationChangeRequest,
    OrganisationFactChange,
    OrgStatus,
)
from tests.days import FromToday, resolve
from tests.factories import (
    DAU_TIENG,
    HANOI,
    HCMC,
    SOC_SON,
    api_client,
    ensure_place,
    make_org,
    make_user_with_token,
)

BASE = "/api/organisations"
MOVE = {
    "province_code": HCMC,
    "commune_code": DAU_TIENG,
    "effective_on": "2025-03-01",
    "reason": "Quyết định chuyển trụ sở",
}


@pytest.fixture()
def api(app):
    ensure_place(HANOI, SOC_SON)
    ensure_place(HCMC, DAU_TIENG)
    return api_client(app)


@pytest.fixture()
def org() -> Organisation:
    return make_org("HTX Sóc Sơn", commune_code=SOC_SON)


@pytest.fixture()
def headers(org):  # type: ignore[no-untyped-def]
    """Bearer headers by who is asking."""
    return {
        "org_admin": make_user_with_token(org)[1],
        "staff": make_user_with_token(org, OrgRole.STAFF)[1],
        "other_org_admin": make_user_with_token(make_org("HTX Khác"))[1],
        "anonymous": {},
        "hanoi": make_user_with_token(platform_role=PlatformRole.AUTHORITY,
                                      province_code=HANOI)[1],
        "hcmc": make_user_with_token(platform_role=PlatformRole.AUTHORITY,
                                     province_code=HCMC)[1],
        "admin": make_user_with_token(platform_role=PlatformRole.ADMIN)[1],
    }


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def problem_fields(response) -> set[str]:  # type: ignore[no-untyped-def]
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    return {e["field"] for e in response.get_json().get("errors", [])}


def reload(org: Organisation) -> Organisation:
    db.session.expire_all()
    return db.session.get(Organisation, org.id)


# --- PATCH no longer changes them ----------------------------------------------------------


def test_org_admin_patching_its_province_gets_403_naming_it_and_the_request_endpoint(
    api, org, headers
):
    response = api.patch(
        f"{BASE}/{org.id}",
        json={"province_code": HCMC, "commune_code": DAU_TIENG, "phone": "1"},
        headers=headers["org_admin"],
    )
    assert response.status_code == 403
    assert problem_fields(response) == {"province_code", "commune_code"}
    body = response.get_json()
    assert body["type"].endswith("/problems/forbidden")
    assert f"{BASE}/{org.id}/change-requests" in body["detail"]
    assert (reload(org).province_code, org.phone) == (HANOI, "")


def test_org_admin_cannot_dissolve_its_organisation_by_patch(api, org, headers):
    response = api.patch(
        f"{BASE}/{org.id}", json={"status": "dissolved"}, headers=headers["org_admin"]
    )
    assert response.status_code == 403 and problem_fields(response) == {"status"}
    assert reload(org).status == OrgStatus.ACTIVE


def test_platform_admin_patching_a_fact_is_sent_to_fact_changes(api, org, headers):
    response = api.patch(f"{BASE}/{org.id}", json={"status": "dissolved"},
                         headers=headers["admin"])
    assert response.status_code == 422 and problem_fields(response) == {"status"}
    assert f"{BASE}/{org.id}/fact-changes" in response.get_json()["detail"]


# --- direct changes and history ------------------------------------------------------------


def test_province_authority_moves_an_organisation_and_the_history_shows_it(api, org, headers):
    response = api.post(f"{BASE}/{org.id}/fact-changes", json=MOVE, headers=headers["hanoi"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["organisation"]["province_code"] == HCMC
    assert {(c["field"], c["old_value"], c["new_value"]) for c in body["changes"]} == {
        ("province_code", HANOI, HCMC),
        ("commune_code", SOC_SON, DAU_TIENG),
    }
    assert all(c["effective_on"] == "2025-03-01" and c["request_id"] is None
               for c in body["changes"])

    # The Hanoi authority no longer oversees it; the HCMC one now reads the history.
    assert api.get(f"{BASE}/{org.id}/fact-changes", headers=headers["hanoi"]).status_code == 404
    listed = api.get(f"{BASE}/{org.id}/fact-changes?page_size=1", headers=headers["hcmc"])
    assert listed.status_code == 200
    assert listed.headers["X-Total-Count"] == "2" and 'rel="next"' in listed.headers["Link"]
    only = api.get(f"{BASE}/{org.id}/fact-changes?field=province_code", headers=headers["staff"])
    assert [c["field"] for c in only.get_json()] == ["province_code"]

    before = api.get(f"{BASE}/{org.id}/facts?on=2025-02-28", headers=headers["staff"])
    after = api.get(f"{BASE}/{org.id}/facts?on=2025-03-01", headers=headers["staff"])
    assert (before.get_json()["province_code"], after.get_json()["province_code"]) == (
        HANOI, HCMC
    )
    assert before.get_json()["status"] == "active"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"status_since": "2025-01-01"}, "status_since"),
        ({"reason": None}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"effective_on": None}, "effective_on"),
        ({"effective_on": FromToday(1, iso=True)}, "effective_on"),
        ({"commune_code": "99998"}, "commune_code"),
        ({"status": "closed"}, "status"),
        ({"legacy_province_code": "99"}, "legacy_province_code"),
    ],
)
def test_a_bad_change_answers_422_naming_the_field_and_writes_nothing(
    api, org, headers, changes, field
):
    data = resolve({**MOVE, **changes})
    if data["reason"] is None:
        del data["reason"]
    if data["effective_on"] is None:
        del data["effective_on"]
    response = api.post(f"{BASE}/{org.id}/fact-changes", json=data, headers=headers["admin"])
    assert response.status_code == 422
    assert field in problem_fields(response)
    assert count(OrganisationFactChange) == 0 and reload(org).province_code == HANOI


def test_leaving_dissolved_is_a_reversal_by_an_authority_only(api, headers):
    closed = make_org("HTX Đã giải thể", status=OrgStatus.DISSOLVED)
    _, closed_admin = make_user_with_token(closed)
    back = {"status": "active", "effective_on": "2025-03-01",
            "reason": "Quyết định giải thể bị hủy"}
    refused = api.post(f"{BASE}/{closed.id}/change-requests", json=back, headers=closed_admin)
    assert refused.status_code == 422 and problem_fields(refused) == {"status"}
    wrong = api.post(f"{BASE}/{closed.id}/fact-changes",
                     json={**back, "status": "suspended"}, headers=headers["hanoi"])
    assert wrong.status_code == 422 and problem_fields(wrong) == {"status"}
    response = api.post(f"{BASE}/{closed.id}/fact-changes", json=back, headers=headers["hanoi"])
    assert response.status_code == 201
    assert response.get_json()["organisation"]["status"] == "active"
    assert response.get_json()["organisation"]["status_since"] == "2025-03-01"


# --- change requests ----------------------------------------------------------------------


def _request(api, org, headers, data=None):  # type: ignore[no-untyped-def]
    response = api.post(
        f"{BASE}/{org.id}/change-requests",
        json=data or {"status": "dissolved", "effective_on": "2025-03-01",
                      "reason": "Đại hội thành viên quyết định giải thể"},
        headers=headers["org_admin"],
    )
    assert response.status_code == 201, response.get_json()
    return response


def test_a_request_is_approved_by_the_province_authority_and_applied(api, org, headers):
    created = _request(api, org, headers)
    request_id = created.get_json()["id"]
    assert created.headers["Location"].endswith(f"{BASE}/{org.id}/change-requests/{request_id}")
    assert created.get_json()["status"] == "pending"
    assert created.get_json()["items"] == [
        {"field": "status", "old_value": "active", "new_value": "dissolved"}
    ]
    assert reload(org).status == OrgStatus.ACTIVE

    pending = api.get(f"{BASE}/{org.id}/change-requests?status=pending", headers=headers["hanoi"])
    assert [r["id"] for r in pending.get_json()] == [request_id]
    assert pending.headers["X-Total-Count"] == "1"

    approved = api.post(f"{BASE}/{org.id}/change-requests/{request_id}/approve", json={},
                        headers=headers["hanoi"])
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "approved" and approved.get_json()["decided_at"]
    assert reload(org).status == OrgStatus.DISSOLVED
    [change] = api.get(f"{BASE}/{org.id}/fact-changes", headers=headers["staff"]).get_json()
    assert change["request_id"] == request_id

    again = api.post(f"{BASE}/{org.id}/change-requests/{request_id}/reject",
                     json={"reason": "Muộn"}, headers=headers["admin"])
    assert again.status_code == 409
    assert again.get_json()["type"].endswith("/problems/conflict")


def test_a_rejection_needs_a_reason(api, org, headers):
    request_id = _request(api, org, headers).get_json()["id"]
    path = f"{BASE}/{org.id}/change-requests/{request_id}/reject"
    missing = api.post(path, json={}, headers=headers["hanoi"])
    assert missing.status_code == 422 and problem_fields(missing) == {"reason"}
    response = api.post(path, json={"reason": "Thiếu biên bản đại hội"}, headers=headers["hanoi"])
    assert response.status_code == 200
    assert response.get_json()["status"] == "rejected"
    assert response.get_json()["decision_reason"] == "Thiếu biên bản đại hội"
    assert reload(org).status == OrgStatus.ACTIVE
    approve = api.post(f"{BASE}/{org.id}/change-requests/{request_id}/approve", json={},
                       headers=headers["hanoi"])
    assert approve.status_code == 409


# --- isolation: every endpoint, every stranger -------------------------------------------


# Reads and writes alike: anonymous callers are told to authenticate, the others that
# there is nothing here.
STRANGERS = {"other_org_admin": 404, "anonymous": 401, "hcmc": 404}


def test_every_endpoint_is_closed_to_strangers_and_writes_nothing(api, org, headers):
    request_id = _request(api, org, headers).get_json()["id"]
    one = f"{BASE}/{org.id}/change-requests/{request_id}"
    reads = [
        f"{BASE}/{org.id}/fact-changes",
        f"{BASE}/{org.id}/facts?on=2025-01-01",
        f"{BASE}/{org.id}/change-requests",
        one,
    ]
    writes = [
        (f"{BASE}/{org.id}/fact-changes", MOVE),
        (f"{BASE}/{org.id}/change-requests", MOVE),
        (f"{one}/approve", {}),
        (f"{one}/reject", {"reason": "Không"}),
    ]
    for who, status in STRANGERS.items():
        for path in reads:
            response = api.get(path, headers=headers[who])
            assert response.status_code == status, (who, path)
            assert response.mimetype == "application/problem+json"
    for who, status in STRANGERS.items():
        for path, data in writes:
            response = api.post(path, json=data, headers=headers[who])
            assert response.status_code == status, (who, path)
            assert response.mimetype == "application/problem+json"
    assert count(OrganisationFactChange) == 0 and count(OrganisationChangeRequest) == 1
    assert reload(org).province_code == HANOI
    # The request stays pending: nobody above could decide it.
    assert api.get(one, headers=headers["staff"]).get_json()["status"] == "pending"


def test_the_organisations_own_users_read_but_do_not_decide(api, org, headers):
    request_id = _request(api, org, headers).get_json()["id"]
    one = f"{BASE}/{org.id}/change-requests/{request_id}"
    for who in ("org_admin", "staff"):
        assert api.get(one, headers=headers[who]).status_code == 200
        assert api.post(f"{one}/approve", json={}, headers=headers[who]).status_code == 403
        assert api.post(f"{BASE}/{org.id}/fact-changes", json=MOVE,
                        headers=headers[who]).status_code == 403
    staff_request = api.post(f"{BASE}/{org.id}/change-requests", json=MOVE,
                             headers=headers["staff"])
    assert staff_request.status_code == 403
    # An authority changes directly; it does not file requests.
    officer_request = api.post(f"{BASE}/{org.id}/change-requests", json=MOVE,
                               headers=headers["hanoi"])
    assert officer_request.status_code == 403
    # A request is reached only through its own organisation.
    other = make_org("HTX Thứ ba")
    elsewhere = f"{BASE}/{other.id}/change-requests/{request_id}"
    assert api.get(elsewhere, headers=headers["admin"]).status_code == 404
    assert api.post(f"{elsewhere}/approve", json={}, headers=headers["admin"]).status_code == 404
    assert reload(org).status == OrgStatus.ACTIVE
