"""Areas and diary API: private to the cooperative (others 404), authority province scope,
field-named problems for geometry, households and pesticide entries, pagination, the
same-day correction rule."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from core.actor import OrgRole, PlatformRole
from core.clock import local_today
from core.db import db
from linkages.models import Member
from linkages.models.members import MemberKind, MemberType
from tests.factories import DAU_TIENG, HANOI, HCMC, ensure_place, make_org, make_user_with_token
from traceability.models import DiaryEntry, ProductionArea

URL = "/api/areas"
SQUARE = [[105.80, 21.20], [105.81, 21.20], [105.81, 21.21], [105.80, 21.21], [105.80, 21.20]]


def _token(org, role=OrgRole.ORG_ADMIN):
    return make_user_with_token(org, role)[1]


def _body(**overrides):
    body = {"code": "LUA-A3", "name": "Cánh đồng A3", "kind": "plot"}
    body.update(overrides)
    return body


def _spray(**overrides):
    body = {
        "kind": "pesticide",
        "occurred_on": (local_today() - timedelta(days=2)).isoformat(),
        "input_name": "Reasgant 3.6EC",
        "active_ingredient": "Abamectin",
        "dose": "15",
        "dose_unit": "ml/16 l",
        "phi_days": 7,
    }
    body.update(overrides)
    return body


def _member(org, left_on=None) -> int:
    member = Member(organisation_id=org.id, member_type=MemberType.OFFICIAL,
                    member_kind=MemberKind.HOUSEHOLD, display_name="Hộ Lê Văn C",
                    left_on=left_on, joined_on=date(2020, 1, 1))
    db.session.add(member)
    db.session.commit()
    return member.id


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _fields(response) -> set[str]:
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    return {e["field"] for e in response.get_json()["errors"]}


def test_staff_create_an_area_with_households_geometry_and_a_derived_province(client):
    ensure_place(HCMC, DAU_TIENG)
    org = make_org(province_code=HANOI)
    staff = _token(org, OrgRole.STAFF)
    household = _member(org)
    created = client.post(
        URL,
        json=_body(commune_code=DAU_TIENG, area_ha="1.25", household_ids=[household],
                   geometry={"type": "Polygon", "coordinates": [SQUARE]}),
        headers=staff,
    )
    assert created.status_code == 201, created.get_json()
    area = created.get_json()
    assert (area["commune_code"], area["province_code"]) == (DAU_TIENG, HCMC)
    assert area["household_ids"] == [household]
    assert area["geometry"]["type"] == "Polygon" and area["area_ha"] == "1.2500"
    changed = client.patch(f"{URL}/{area['id']}", json={"household_ids": [], "crop": "Lúa"},
                           headers=staff)
    assert changed.status_code == 200
    assert changed.get_json()["household_ids"] == [] and changed.get_json()["crop"] == "Lúa"


def test_bad_geometry_households_and_commune_are_problems_naming_the_field(client):
    org, other = make_org("HTX Chủ"), make_org("HTX Khác")
    admin = _token(org)
    before = _count(ProductionArea)
    unclosed = client.post(URL, json=_body(geometry={"type": "Polygon",
                                                     "coordinates": [SQUARE[:-1]]}),
                           headers=admin)
    assert unclosed.status_code == 422 and _fields(unclosed) == {"geometry.coordinates.0"}
    assert unclosed.get_json()["errors"][0]["pointer"] == "/geometry/coordinates/0"
    latitude = client.post(URL, json=_body(geometry={"type": "Point",
                                                     "coordinates": [105, 99]}),
                           headers=admin)
    assert latitude.status_code == 422 and _fields(latitude) == {"geometry.coordinates.1"}
    strangers = client.post(URL, json=_body(household_ids=[_member(other)]), headers=admin)
    assert strangers.status_code == 422 and _fields(strangers) == {"household_ids"}
    former = client.post(
        URL, json=_body(household_ids=[_member(org, left_on=date(2024, 1, 1))]), headers=admin
    )
    assert former.status_code == 422 and _fields(former) == {"household_ids"}
    commune = client.post(URL, json=_body(commune_code="99998", gln="123"), headers=admin)
    assert commune.status_code == 422 and _fields(commune) == {"commune_code", "gln"}
    negative = client.post(URL, json=_body(area_ha=-2), headers=admin)
    assert negative.status_code == 422 and _fields(negative) == {"area_ha"}
    assert _count(ProductionArea) == before
    assert client.post(URL, json=_body(), headers=admin).status_code == 201
    duplicate = client.post(URL, json=_body(), headers=admin)
    assert duplicate.status_code == 409 and _fields(duplicate) == {"code"}


def test_another_cooperative_gets_404_for_an_area_and_its_diary(client):
    org, other = make_org("HTX Chủ"), make_org("HTX Lạ")
    admin, outsider = _token(org), _token(other)
    area = client.post(URL, json=_body(), headers=admin).get_json()
    assert client.post(f"{URL}/{area['id']}/diary", json=_spray(), headers=admin).status_code \
        == 201
    for response in (
        client.get(f"{URL}/{area['id']}", headers=outsider),
        client.patch(f"{URL}/{area['id']}", json={"name": "X"}, headers=outsider),
        client.get(f"{URL}/{area['id']}/diary", headers=outsider),
        client.post(f"{URL}/{area['id']}/diary", json=_spray(), headers=outsider),
    ):
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
    listed = client.get(f"{URL}?organisation_id={org.id}", headers=outsider)
    assert listed.status_code == 200 and listed.get_json() == []
    assert client.get(f"{URL}/{area['id']}").status_code == 401
    assert _count(DiaryEntry) == 1


def test_an_authority_reads_areas_of_its_province_only_and_writes_nothing(client):
    ensure_place(HCMC)
    hanoi_coop = make_org("HTX Hà Nội", province_code=HANOI)
    area = client.post(URL, json=_body(), headers=_token(hanoi_coop)).get_json()
    _u, hanoi = make_user_with_token(platform_role=PlatformRole.AUTHORITY,
                                     province_code=HANOI)
    _u, hcmc = make_user_with_token(platform_role=PlatformRole.AUTHORITY, province_code=HCMC)
    assert client.get(f"{URL}/{area['id']}", headers=hanoi).status_code == 200
    assert client.get(f"{URL}/{area['id']}/diary", headers=hanoi).status_code == 200
    assert client.patch(f"{URL}/{area['id']}", json={"name": "X"}, headers=hanoi).status_code \
        == 403
    assert client.get(f"{URL}/{area['id']}", headers=hcmc).status_code == 404
    ids = [a["id"] for a in client.get(URL, headers=hcmc).get_json()]
    assert area["id"] not in ids


def test_a_pesticide_entry_without_phi_is_refused_and_the_diary_pages_newest_first(client):
    org = make_org()
    staff = _token(org, OrgRole.STAFF)
    area = client.post(URL, json=_body(), headers=staff).get_json()
    diary_url = f"{URL}/{area['id']}/diary"
    missing = client.post(diary_url, json=_spray(phi_days=None, active_ingredient=""),
                          headers=staff)
    assert missing.status_code == 422
    assert _fields(missing) == {"phi_days", "active_ingredient"}
    negative = client.post(diary_url, json=_spray(dose="-1"), headers=staff)
    assert negative.status_code == 422 and _fields(negative) == {"dose"}
    assert _count(DiaryEntry) == 0
    for days_ago in (5, 1, 3):
        day = (local_today() - timedelta(days=days_ago)).isoformat()
        assert client.post(diary_url, json=_spray(occurred_on=day), headers=staff) \
            .status_code == 201
    first = client.get(f"{diary_url}?page_size=2", headers=staff)
    assert first.headers["X-Total-Count"] == "3"
    assert 'rel="next"' in first.headers["Link"]
    days = [e["occurred_on"] for e in first.get_json()]
    assert days == sorted(days, reverse=True) and len(days) == 2
    second = client.get(f"{diary_url}?page_size=2&page=2", headers=staff).get_json()
    assert second[0]["occurred_on"] < days[-1]


def test_an_entry_is_corrected_on_its_day_by_its_author_not_by_a_colleague(client):
    org = make_org()
    author, colleague, admin = (
        _token(org, OrgRole.STAFF), _token(org, OrgRole.STAFF), _token(org)
    )
    area = client.post(URL, json=_body(), headers=admin).get_json()
    entry = client.post(f"{URL}/{area['id']}/diary", json=_spray(), headers=author).get_json()
    assert entry["recorded_on"] == local_today().isoformat()
    entry_url = f"{URL}/{area['id']}/diary/{entry['id']}"
    assert client.patch(entry_url, json={"phi_days": 14}, headers=author).get_json()[
        "phi_days"
    ] == 14
    assert client.patch(entry_url, json={"phi_days": 1}, headers=colleague).status_code == 403
    assert client.patch(entry_url, json={"notes": "Đã kiểm tra"}, headers=admin).status_code \
        == 200
    assert client.get(entry_url, headers=colleague).get_json()["phi_days"] == 14
