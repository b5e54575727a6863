"""The organisation page shows the history of its oversight facts and its pending change
requests to those who may read its private data; only an authority over it (or a platform
admin) gets the approve/reject form, and the decision goes through the same service."""

from __future__ import annotations

from datetime import date

import pytest

from app.auth.services import add_membership, create_user
from core.actor import OrgRole, PlatformRole
from core.db import db
from linkages.models.organisations import (
    ChangeRequestStatus,
    Organisation,
    OrganisationChangeRequest,
    OrgStatus,
)
from linkages.services import oversight
from tests.app.web_support import PASSWORD, login
from tests.factories import HANOI, HCMC, SOC_SON, actor_of, api_client, make_org


@pytest.fixture()
def web(app):
    return api_client(app)


@pytest.fixture()
def coop() -> Organisation:
    return make_org("HTX Rau Sóc Sơn", commune_code=SOC_SON)


@pytest.fixture()
def pending(coop) -> OrganisationChangeRequest:
    chair = create_user("chair@example.vn", PASSWORD)
    add_membership(chair, coop.id, OrgRole.ORG_ADMIN)
    db.session.refresh(chair)
    request = oversight.request_change(
        actor_of(chair, coop),
        coop.id,
        {"status": "suspended", "effective_on": date(2025, 3, 1),
         "reason": "Tạm ngừng vì thiên tai"},
    )
    db.session.commit()
    return request


def _sign_in(web, email: str, org: Organisation | None = None, **user_fields) -> None:
    user = create_user(email, PASSWORD, **user_fields)
    if org is not None:
        add_membership(user, org.id, OrgRole.STAFF)
    db.session.commit()
    assert login(web, email).status_code in (302, 303)


def _reload(request: OrganisationChangeRequest) -> OrganisationChangeRequest:
    db.session.expire_all()
    return db.session.get(OrganisationChangeRequest, request.id)


def test_a_member_sees_the_pending_request_but_no_decision_form(web, coop, pending):
    _sign_in(web, "staff@example.vn", coop)
    page = web.get(f"/orgs/{coop.id}").get_data(as_text=True)
    assert 'data-testid="change-requests"' in page
    assert "Tạm ngừng vì thiên tai" in page
    assert f'data-testid="decide-{pending.id}"' not in page
    response = web.post(
        f"/orgs/{coop.id}/change-requests/{pending.id}/decide", data={"decision": "approve"}
    )
    assert response.status_code == 403
    assert _reload(pending).status == ChangeRequestStatus.PENDING


def test_the_province_authority_approves_from_the_page(web, coop, pending):
    _sign_in(web, "officer@example.vn", platform_role=PlatformRole.AUTHORITY,
             province_code=HANOI)
    page = web.get(f"/orgs/{coop.id}").get_data(as_text=True)
    assert f'data-testid="decide-{pending.id}"' in page
    response = web.post(
        f"/orgs/{coop.id}/change-requests/{pending.id}/decide",
        data={"decision": "approve", "reason": ""},
    )
    assert response.status_code == 303
    assert _reload(pending).status == ChangeRequestStatus.APPROVED
    assert db.session.get(Organisation, coop.id).status == OrgStatus.SUSPENDED
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="fact-changes"' in page
    assert 'data-testid="change-requests"' not in page  # nothing pending any more


def test_a_rejection_without_a_reason_is_refused_with_a_message(web, coop, pending):
    _sign_in(web, "national@example.vn", platform_role=PlatformRole.AUTHORITY)
    path = f"/orgs/{coop.id}/change-requests/{pending.id}/decide"
    response = web.post(path, data={"decision": "reject", "reason": "  "}, follow_redirects=True)
    assert response.status_code == 200
    assert 'flash-error' in response.get_data(as_text=True)
    assert _reload(pending).status == ChangeRequestStatus.PENDING
    web.post(path, data={"decision": "reject", "reason": "Thiếu hồ sơ"})
    assert _reload(pending).status == ChangeRequestStatus.REJECTED


def test_an_authority_of_another_province_sees_nothing_and_cannot_decide(web, coop, pending):
    _sign_in(web, "elsewhere@example.vn", platform_role=PlatformRole.AUTHORITY,
             province_code=HCMC)
    page = web.get(f"/orgs/{coop.id}").get_data(as_text=True)
    assert 'data-testid="change-requests"' not in page
    response = web.post(
        f"/orgs/{coop.id}/change-requests/{pending.id}/decide", data={"decision": "approve"}
    )
    assert response.status_code == 404
    assert _reload(pending).status == ChangeRequestStatus.PENDING


def test_anonymous_visitors_are_sent_to_sign_in(web, coop, pending):
    response = web.post(
        f"/orgs/{coop.id}/change-requests/{pending.id}/decide", data={"decision": "approve"}
    )
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert _reload(pending).status == ChangeRequestStatus.PENDING
