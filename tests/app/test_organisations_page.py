"""The HTML organisation page: the registry record for anyone, the private sections only
for those who may read them."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from app.auth.models import User
from app.auth.services import add_membership, create_user
from core.actor import OrgRole, PlatformRole
from core.clock import local_today
from core.db import db
from core.formatting import format_day
from linkages.models.organisations import Organisation
from linkages.services import cooperatives as coops
from tests.app.web_support import PASSWORD, login
from tests.factories import HANOI, HCMC, SOC_SON, actor_of, api_client, make_org

PRIVATE_MARKERS = ('data-testid="cooperative-profile"', 'data-testid="yearly-figures"')


@pytest.fixture()
def web(app):
    return api_client(app)


@pytest.fixture()
def coop() -> Organisation:
    org = make_org("HTX Rau an toàn Sóc Sơn", commune_code=SOC_SON, phone="024 1111 2222")
    admin = create_user("chairwoman@example.vn", PASSWORD)
    add_membership(admin, org.id, OrgRole.ORG_ADMIN)
    db.session.refresh(admin)
    coops.put_profile(
        actor_of(admin, org),
        org.id,
        {"field_group": "agriculture", "agri_subtype": "crops",
         "technology_tags": ["drip_irrigation"]},
    )
    coops.put_figures(
        actor_of(admin, org), org.id, 2025, {"official_members": 3, "revenue_vnd": 2_800_000_000}
    )
    db.session.commit()
    return org


def _signed_in(web, email: str, org: Organisation | None = None, **user_fields) -> None:
    user = create_user(email, PASSWORD, **user_fields)
    if org is not None:
        add_membership(user, org.id, OrgRole.STAFF)
    db.session.commit()
    assert login(web, email).status_code in (302, 303)


def test_anyone_sees_the_public_registry_record_but_no_private_section(web, coop):
    response = web.get(f"/orgs/{coop.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "HTX Rau an toàn Sóc Sơn" in page
    assert coop.registration_code in page
    assert "Xã Sóc Sơn" in page and "024 1111 2222" in page
    for marker in PRIVATE_MARKERS:
        assert marker not in page
    assert 'data-testid="org-warnings"' not in page


def test_a_member_sees_profile_figures_and_warnings(web, coop):
    _signed_in(web, "staff@example.vn", coop)
    page = web.get(f"/orgs/{coop.id}").get_data(as_text=True)
    for marker in PRIVATE_MARKERS:
        assert marker in page
    assert 'data-testid="org-warnings"' in page  # 3 official members < 5
    assert "2025" in page


def test_a_member_of_another_cooperative_sees_only_the_public_record(web, coop):
    other = make_org("HTX Khác")
    _signed_in(web, "stranger@example.vn", other)
    response = web.get(f"/orgs/{coop.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert coop.registration_code in page
    for marker in PRIVATE_MARKERS:
        assert marker not in page


@pytest.mark.parametrize(("province", "sees_private"), [(HANOI, True), (HCMC, False)])
def test_a_province_authority_sees_private_sections_only_in_its_province(
    web, coop, province, sees_private
):
    _signed_in(
        web, f"officer{province}@example.vn",
        platform_role=PlatformRole.AUTHORITY, province_code=province,
    )
    page = web.get(f"/orgs/{coop.id}").get_data(as_text=True)
    assert all((m in page) == sees_private for m in PRIVATE_MARKERS)


def test_an_unknown_organisation_is_not_found(web):
    assert web.get("/orgs/987654").status_code == 404


def test_changes_of_what_the_indicator_reads_are_shown_to_private_readers(web, coop):
    chair = db.session.scalar(db.select(User).where(User.email == "chairwoman@example.vn"))
    admin = actor_of(chair, coop)
    coops.put_profile(admin, coop.id, {"field_group": "agriculture", "size_class": "medium",
                                       "technology_tags": ["drip_irrigation"]})
    coops.put_figures(admin, coop.id, 2025, {"official_members": 1200, "rating_score": 82})
    db.session.commit()
    _signed_in(web, "member@example.vn", coop)
    page = web.get(f"/orgs/{coop.id}").get_data(as_text=True)
    assert 'data-testid="profile-changes"' in page
    with force_locale("vi"):
        today = format_day(local_today())
    assert today in page
    # size: none → medium, in a row of its own
    assert re.search(rf"<tr>\s*<td>{today}</td>\s*<td>Quy mô</td>\s*<td>—</td>\s*"
                     r"<td>Vừa</td>\s*</tr>", page)
    assert "1.200" in page  # 3 → 1,200 official members, as Vietnamese write it
    assert "Thành viên chính thức, năm 2025" in page
    web.post("/logout")
    stranger = make_org("HTX Khác")
    _signed_in(web, "stranger2@example.vn", stranger)
    assert 'data-testid="profile-changes"' not in web.get(f"/orgs/{coop.id}").get_data(
        as_text=True)
