"""The members register of the HTML UI: list, register, correct, record a departure, the
Law 2023 minimum warnings and a member's printable statement of deliveries, with the
permissions the members service decides (a stranger gets 404, an authority reads only)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.actor import OrgRole, PlatformRole
from core.clock import local_today
from core.db import db
from linkages.models.members import Member, MemberType
from linkages.models.organisations import Organisation
from tests.app.register_pages import error_beside, sign_in
from tests.factories import HANOI, HCMC, actor_of, make_org
from tests.traceability.batch_factories import make_area, make_member, make_product
from traceability.services import recording as events


@pytest.fixture()
def coop() -> Organisation:
    return make_org("HTX Nông nghiệp Hòa Bình")


@pytest.fixture()
def admin(client: FlaskClient, coop: Organisation) -> FlaskClient:
    sign_in(client, "chu.nhiem@hoabinh.vn", coop)
    return client


def _count(org: Organisation) -> int:
    return db.session.scalar(
        select(func.count(Member.id)).where(Member.organisation_id == org.id)
    ) or 0


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "display_name": "Hộ Lê Thị Hoa",
        "member_type": "official",
        "member_kind": "household",
        "contribution_kinds": "produce",
        "capital_contribution_vnd": "5.000.000",
        "joined_on": "2024-03-01",
        "id_number": "001203004567",
        "household_size": "4",
        "phone": "0912 345 678",
    }
    data.update(overrides)
    return data


def test_an_admin_registers_a_member_whose_id_number_is_never_shown(admin, coop) -> None:
    response = admin.post("/members/new", data=_form())
    assert response.status_code == 302
    member = db.session.scalar(select(Member).where(Member.organisation_id == coop.id))
    assert member is not None
    assert response.headers["Location"].endswith(f"/members/{member.id}")
    assert member.capital_contribution_vnd == 5_000_000
    assert {k.value for k in member.contribution_kinds} == {"produce", "capital"}
    assert member.person_id_hash and "001203004567" not in member.person_id_hash

    page = admin.get(f"/members/{member.id}").get_data(as_text=True)
    assert "Hộ Lê Thị Hoa" in page
    assert "5.000.000" in page  # Vietnamese number format
    assert "1 thg 3, 2024" in page  # Vietnamese date format
    for shown in ("001203004567", "567", member.person_id_hash):
        assert shown not in page
    edit = admin.get(f"/members/{member.id}/edit").get_data(as_text=True)
    assert "001203004567" not in edit and member.person_id_hash not in edit

    listing = admin.get("/members").get_data(as_text=True)
    assert 'data-testid="member-row"' in listing and "Hộ Lê Thị Hoa" in listing
    assert 'data-testid="add-member"' in listing


def test_a_missing_name_comes_back_beside_the_field_and_nothing_is_written(admin, coop) -> None:
    response = admin.post("/members/new", data=_form(display_name=""))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error_beside(html, "display_name")
    assert _count(coop) == 0


def test_the_service_s_refusal_comes_back_beside_its_field(admin, coop) -> None:
    response = admin.post("/members/new", data=_form(
        member_type="associate_no_capital", contribution_kinds="labour"))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "capital_contribution_vnd")
    assert _count(coop) == 0


def test_an_admin_corrects_a_member_and_keeps_the_id_number_when_left_empty(
    admin, coop
) -> None:
    admin.post("/members/new", data=_form())
    member = db.session.scalar(select(Member).where(Member.organisation_id == coop.id))
    fingerprint = member.person_id_hash
    response = admin.post(f"/members/{member.id}/edit", data=_form(
        display_name="Hộ Lê Thị Hoa (chủ hộ)", id_number="", phone="0988 000 111"))
    assert response.status_code == 302
    db.session.expire_all()
    member = db.session.get(Member, member.id)
    assert member.display_name == "Hộ Lê Thị Hoa (chủ hộ)"
    assert member.phone == "0988 000 111"
    assert member.person_id_hash == fingerprint


def test_an_admin_records_a_departure_and_the_member_moves_to_the_former(admin, coop) -> None:
    member = make_member(coop, "Hộ Đỗ Văn Nam")
    page = admin.get(f"/members/{member.id}").get_data(as_text=True)
    assert 'data-testid="leave-form"' in page
    response = admin.post(f"/members/{member.id}/leave",
                          data={"left_on": local_today().isoformat()})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Member, member.id).left_on == local_today()
    assert "Hộ Đỗ Văn Nam" not in admin.get("/members").get_data(as_text=True)
    assert "Hộ Đỗ Văn Nam" in admin.get("/members?former=1").get_data(as_text=True)


def test_a_departure_in_the_future_comes_back_beside_the_date(admin, coop) -> None:
    member = make_member(coop, "Hộ Đỗ Văn Nam")
    response = admin.post(f"/members/{member.id}/leave",
                          data={"left_on": (local_today() + timedelta(days=3)).isoformat()})
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "left_on")
    db.session.expire_all()
    assert db.session.get(Member, member.id).left_on is None


def test_the_law_2023_minimum_warning_shows_on_the_register_and_the_member_page(
    admin, coop
) -> None:
    first = make_member(coop, "Hộ Một")
    make_member(coop, "Hộ Hai")
    associate = make_member(coop, "Hộ Ba")
    associate.member_type = MemberType.ASSOCIATE_CAPITAL
    db.session.commit()
    for url in ("/members?lang=en", f"/members/{first.id}?lang=en"):
        html = admin.get(url).get_data(as_text=True)
        assert 'data-testid="law-warnings"' in html
        assert ("The cooperative has 2 official members; the Cooperative Law 2023 requires "
                "at least 5.") in html
    assert 'data-testid="law-warnings"' in admin.get("/members").get_data(as_text=True)
    for name in ("Hộ Bốn", "Hộ Năm", "Hộ Sáu"):
        make_member(coop, name)
    assert 'data-testid="law-warnings"' not in admin.get("/members").get_data(as_text=True)


def _pooled_harvest(coop: Organisation, member: Member, on: date, kg: str) -> None:
    from tests.factories import make_user_with_token

    user, _headers = make_user_with_token(coop)
    area = make_area(coop)
    product = make_product(coop, name="Lúa ST25")
    events.record_harvest(
        actor_of(user, coop), area_ids=[area.id], product_id=product.id,
        quantity=Decimal("2000"), unit="kg", harvested_on=on,
        contributions=[{"member_id": member.id, "quantity": Decimal(kg), "unit": "kg"}],
    )
    db.session.commit()


def test_the_statement_sums_the_member_s_deliveries_in_the_period(admin, coop) -> None:
    member = make_member(coop, "Hộ Trần Văn Bình")
    today = local_today()
    _pooled_harvest(coop, member, today - timedelta(days=40), "400")
    _pooled_harvest(coop, member, today - timedelta(days=5), "850")

    everything = admin.get(f"/members/{member.id}/statement?from=&to=")
    assert everything.status_code == 200
    html = everything.get_data(as_text=True)
    assert re.search(r'data-testid="statement-total">1\.250<', html)
    assert "Lúa ST25" in html

    start = (today - timedelta(days=10)).isoformat()
    recent = admin.get(f"/members/{member.id}/statement?from={start}&to={today.isoformat()}")
    assert re.search(r'data-testid="statement-total">850<', recent.get_data(as_text=True))

    backwards = admin.get(f"/members/{member.id}/statement?from={today.isoformat()}&to={start}")
    assert backwards.status_code == 422
    assert error_beside(backwards.get_data(as_text=True), "to")


def test_the_stylesheet_prints_pages_without_the_menus_and_forms(client) -> None:
    css = client.get("/static/css/app.css").get_data(as_text=True)
    assert "@media print" in css


def test_a_stranger_gets_404_on_every_member_page(client, coop) -> None:
    member = make_member(coop, "Hộ Trần Văn Bình")
    other = make_org("HTX Người Lạ")
    sign_in(client, "la@nguoila.vn", other)
    for url in (f"/members?org={coop.id}", f"/members/new?org={coop.id}",
                f"/members/{member.id}", f"/members/{member.id}/edit",
                f"/members/{member.id}/statement"):
        assert client.get(url).status_code == 404, url
    for url, data in ((f"/members/{member.id}/edit", _form()),
                      (f"/members/{member.id}/leave", {"left_on": local_today().isoformat()})):
        assert client.post(url, data=data).status_code == 404, url
    assert "Hộ Trần Văn Bình" not in client.get("/members").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Member, member.id).left_on is None


def test_an_authority_of_another_province_gets_404(client, coop) -> None:
    member = make_member(coop, "Hộ Trần Văn Bình")
    sign_in(client, "so@hcm.gov.vn", platform_role=PlatformRole.AUTHORITY, province_code=HCMC)
    assert client.get(f"/members?org={coop.id}").status_code == 404
    assert client.get(f"/members/{member.id}").status_code == 404


def test_an_authority_reads_the_register_without_any_edit_form(client, coop) -> None:
    member = make_member(coop, "Hộ Trần Văn Bình")
    sign_in(client, "so@hanoi.gov.vn", platform_role=PlatformRole.AUTHORITY,
             province_code=HANOI)
    listing = client.get(f"/members?org={coop.id}")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "Hộ Trần Văn Bình" in html and 'data-testid="add-member"' not in html
    page = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert "Hộ Trần Văn Bình" in page
    assert 'data-testid="leave-form"' not in page and 'data-testid="edit-member"' not in page
    assert "<form method=\"post\"" not in page.split('<main id="main"')[1]
    assert client.get(f"/members/{member.id}/statement").status_code == 200
    assert client.get(f"/members/{member.id}/edit").status_code == 403
    assert client.get(f"/members/new?org={coop.id}").status_code == 403
    assert client.post(f"/members/{member.id}/leave",
                       data={"left_on": local_today().isoformat()}).status_code == 403


def test_staff_read_the_register_but_only_an_org_admin_edits_it(client, coop) -> None:
    member = make_member(coop, "Hộ Trần Văn Bình")
    sign_in(client, "nhan.vien@hoabinh.vn", coop, role=OrgRole.STAFF)
    html = client.get("/members").get_data(as_text=True)
    assert "Hộ Trần Văn Bình" in html and 'data-testid="add-member"' not in html
    assert client.get(f"/members/{member.id}/edit").status_code == 403
    assert client.post("/members/new", data=_form()).status_code == 403
    assert _count(coop) == 1


def test_a_platform_admin_registers_a_member_for_the_organisation_named_in_the_url(
    client, coop
) -> None:
    sign_in(client, "admin@htx-trace.vn", platform_role=PlatformRole.ADMIN)
    assert client.get("/members").status_code == 404  # acting for no organisation
    form = client.get(f"/members/new?org={coop.id}").get_data(as_text=True)
    assert f'action="/members/new?org={coop.id}"' in form
    response = client.post(f"/members/new?org={coop.id}", data=_form())
    assert response.status_code == 302
    assert _count(coop) == 1


def test_the_member_s_commune_is_picked_from_a_province_s_communes(admin, coop) -> None:
    from tests.factories import SOC_SON

    form = admin.get("/members/new").get_data(as_text=True)
    assert f'<option selected value="{HANOI}">' in form  # the cooperative's province
    assert f'value="{SOC_SON}"' in form
    # Another province's communes: the form comes back as typed, nothing is saved.
    other = admin.post("/members/new", data=_form(province=HCMC, show_communes="y"))
    assert other.status_code == 200
    html = other.get_data(as_text=True)
    assert f'value="{SOC_SON}"' not in html and "Phường Sài Gòn" in html
    assert 'value="Hộ Lê Thị Hoa"' in html
    assert _count(coop) == 0

    saved = admin.post("/members/new", data=_form(province=HANOI, commune_code=SOC_SON))
    assert saved.status_code == 302
    member = db.session.scalar(select(Member).where(Member.organisation_id == coop.id))
    assert member.commune_code == SOC_SON
    page = admin.get(f"/members/{member.id}").get_data(as_text=True)
    assert "Xã Sóc Sơn, Thành phố Hà Nội" in page
    edit = admin.get(f"/members/{member.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{SOC_SON}">' in edit


def test_an_unknown_commune_comes_back_beside_the_field(admin, coop) -> None:
    response = admin.post("/members/new", data=_form(commune_code="99999"))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "commune_code")
    assert _count(coop) == 0
