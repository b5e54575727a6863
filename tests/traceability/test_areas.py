"""Production areas: validation (commune, hectares, GLN, GeoJSON geometry, households),
isolation between cooperatives, staff rights, authority province scope, and the
certification's area foreign key and ownership check."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.actor import Actor, OrgRole, PlatformRole
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from linkages.models import Certification, CertScheme, Member, SubjectKind
from linkages.models.members import MemberKind, MemberType
from linkages.models.organisations import OrgType
from linkages.services import certifications
from tests.factories import (
    DAU_TIENG,
    HANOI,
    HCMC,
    SOC_SON,
    actor_of,
    ensure_place,
    make_org,
    make_user_with_token,
)
from traceability.models import AreaHousehold, AreaKind, ProductionArea
from traceability.services import areas as svc

GLN = "8934567000017"  # valid check digit
SQUARE = [[105.80, 21.20], [105.81, 21.20], [105.81, 21.21], [105.80, 21.21], [105.80, 21.20]]


def _actor(org, role=OrgRole.ORG_ADMIN) -> Actor:
    user, _headers = make_user_with_token(org, role)
    return actor_of(user, org)


def _authority(province_code: str | None) -> Actor:
    user, _headers = make_user_with_token(
        platform_role=PlatformRole.AUTHORITY, province_code=province_code
    )
    return actor_of(user)


def _member(org, name="Hộ Nguyễn Văn A", left_on=None) -> Member:
    member = Member(
        organisation_id=org.id,
        member_type=MemberType.OFFICIAL,
        member_kind=MemberKind.HOUSEHOLD,
        display_name=name,
        left_on=left_on,
        joined_on=date(2020, 1, 1),
    )
    db.session.add(member)
    db.session.flush()
    return member


def _plot(**overrides):
    data = {"code": "LUA-A3", "name": "Cánh đồng A3", "kind": AreaKind.PLOT}
    data.update(overrides)
    return data


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(ProductionArea))


def test_an_area_in_another_province_gets_its_province_from_the_commune():
    ensure_place(HCMC, DAU_TIENG)
    org = make_org(province_code=HANOI)
    area = svc.create_area(
        _actor(org),
        **_plot(commune_code=DAU_TIENG, area_ha="2.5", crop="Lúa", variety="ST25",
                planting_area_code="VN-HCM-0001", gln=GLN,
                geometry={"type": "Polygon", "coordinates": [SQUARE], "bbox": [0, 0, 1, 1]}),
    )
    assert (area.commune_code, area.province_code) == (DAU_TIENG, HCMC)
    assert area.area_ha == Decimal("2.5")
    assert area.geometry == {"type": "Polygon", "coordinates": [SQUARE]}
    assert area.gln == GLN and area.active is True


def test_bad_commune_hectares_and_gln_are_refused_naming_each_field_and_nothing_is_written():
    org = make_org()
    before = _count()
    with pytest.raises(ValidationFailed) as refused:
        svc.create_area(
            _actor(org),
            **_plot(commune_code="99998", area_ha=-1, gln="8934567000016", kind="garden"),
        )
    assert set(refused.value.field_errors) == {"commune_code", "area_ha", "gln", "kind"}
    with pytest.raises(ValidationFailed) as missing:
        svc.create_area(_actor(org), code=" ", name="", kind=None)
    assert set(missing.value.field_errors) == {"code", "name", "kind"}
    assert _count() == before


@pytest.mark.parametrize(
    ("geometry", "field"),
    [
        ("POINT(105 21)", "geometry"),
        ({"type": "LineString", "coordinates": [[105, 21], [106, 21]]}, "geometry.type"),
        ({"type": "Point"}, "geometry.coordinates"),
        ({"type": "Point", "coordinates": [105]}, "geometry.coordinates"),
        ({"type": "Point", "coordinates": ["105", "21"]}, "geometry.coordinates"),
        ({"type": "Point", "coordinates": [True, 21]}, "geometry.coordinates"),
        ({"type": "Point", "coordinates": [190, 21]}, "geometry.coordinates.0"),
        ({"type": "Point", "coordinates": [105, -91]}, "geometry.coordinates.1"),
        ({"type": "Point", "coordinates": [105, 21], "crs": "x"}, "geometry.crs"),
        ({"type": "Polygon", "coordinates": [SQUARE[:-1]]}, "geometry.coordinates.0"),
        ({"type": "Polygon", "coordinates": [SQUARE[:3]]}, "geometry.coordinates.0"),
        ({"type": "Polygon", "coordinates": []}, "geometry.coordinates"),
        (
            {"type": "Polygon", "coordinates": [[*SQUARE[:2], [105.8, 95], *SQUARE[3:]]]},
            "geometry.coordinates.0.2.1",
        ),
        ({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE[:-1]]]},
         "geometry.coordinates.1.0"),
    ],
)
def test_a_geometry_that_is_not_sound_geojson_is_refused_at_its_path(geometry, field):
    org = make_org()
    with pytest.raises(ValidationFailed) as refused:
        svc.create_area(_actor(org), **_plot(geometry=geometry))
    assert list(refused.value.field_errors) == [field]


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [105.85, 21.03]},
        {"type": "Point", "coordinates": [105.85, 21.03, 12.5]},
        {"type": "Polygon", "coordinates": [SQUARE]},
        {"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]},
    ],
)
def test_points_polygons_and_multipolygons_are_accepted(geometry):
    assert svc.geometry_problems(geometry) == {}


def test_households_must_be_active_members_of_the_same_organisation():
    org, other = make_org("HTX Chủ"), make_org("HTX Khác")
    active, former = _member(org), _member(org, "Hộ đã rời", left_on=date(2024, 1, 1))
    stranger = _member(other, "Hộ của HTX khác")
    actor = _actor(org)
    for bad in ([former.id], [stranger.id], [active.id, 999_999]):
        with pytest.raises(ValidationFailed) as refused:
            svc.create_area(actor, **_plot(household_ids=bad))
        assert set(refused.value.field_errors) == {"household_ids"}
    assert _count() == 0
    second = _member(org, "Hộ Trần Thị B")
    area = svc.create_area(actor, **_plot(household_ids=[second.id, active.id, second.id]))
    assert area.household_ids == sorted([second.id, active.id])
    svc.update_area(actor, area.id, household_ids=[active.id])
    db.session.expire_all()
    rows = db.session.scalars(select(AreaHousehold.member_id).where(
        AreaHousehold.area_id == area.id)).all()
    assert rows == [active.id]
    # A household that later leaves the cooperative stays on the area's record, and the
    # area can still be edited.
    active.left_on = date(2025, 1, 1)
    db.session.flush()
    assert svc.update_area(actor, area.id, name="Cánh đồng mới").household_ids == [active.id]
    with pytest.raises(ValidationFailed):
        svc.update_area(actor, area.id, household_ids=[active.id, former.id])


def test_codes_are_unique_within_a_cooperative_and_only_cooperatives_have_areas():
    first, second = make_org("HTX Một"), make_org("HTX Hai")
    area = svc.create_area(_actor(first), **_plot())
    with pytest.raises(Conflict) as refused:
        svc.create_area(_actor(first), **_plot(name="Khác"))
    assert set(refused.value.field_errors) == {"code"}
    svc.create_area(_actor(first), **_plot(code="LUA-B1"))
    with pytest.raises(Conflict):
        svc.update_area(_actor(first), area.id, code="LUA-B1")
    assert svc.create_area(_actor(second), **_plot()).code == "LUA-A3"
    company = make_org("Công ty Chế biến", OrgType.DN)
    with pytest.raises(ValidationFailed) as not_coop:
        svc.create_area(_actor(company), **_plot())
    assert set(not_coop.value.field_errors) == {"organisation_id"}


def test_staff_create_and_edit_areas():
    org = make_org()
    staff = _actor(org, OrgRole.STAFF)
    area = svc.create_area(staff, **_plot())
    updated = svc.update_area(staff, area.id, area_ha=0, crop="Lúa", active=False)
    assert (updated.area_ha, updated.crop, updated.active) == (Decimal(0), "Lúa", False)
    with pytest.raises(ValidationFailed) as unknown:
        svc.update_area(staff, area.id, owner="me")
    assert set(unknown.value.field_errors) == {"owner"}


def test_another_cooperative_can_neither_see_nor_touch_an_area():
    org, other = make_org("HTX Chủ"), make_org("HTX Lạ")
    area = svc.create_area(_actor(org), **_plot())
    outsider = _actor(other)
    with pytest.raises(NotFound):
        svc.get_area(outsider, area.id)
    with pytest.raises(NotFound):
        svc.update_area(outsider, area.id, name="Của tôi")
    with pytest.raises(NotFound):
        svc.create_area(outsider, org.id, **_plot(code="X"))
    assert db.session.scalars(svc.list_areas(outsider)).all() == []
    assert db.session.scalars(svc.list_areas(outsider, organisation_id=org.id)).all() == []
    assert db.session.scalars(svc.list_areas(_actor(org))).all() == [area]
    with pytest.raises(Unauthenticated):
        svc.get_area(Actor(), area.id)


def test_authorities_read_areas_of_their_province_by_owner_or_by_land_and_write_nothing():
    ensure_place(HCMC, DAU_TIENG)
    ensure_place(HANOI, SOC_SON)
    hanoi_coop = make_org("HTX Hà Nội", province_code=HANOI)
    hcmc_coop = make_org("HTX Sài Gòn", province_code=HCMC)
    # A Hanoi cooperative's plot on land in Ho Chi Minh City, and a plot at home.
    away = svc.create_area(_actor(hanoi_coop), **_plot(code="A", commune_code=DAU_TIENG))
    home = svc.create_area(_actor(hanoi_coop), **_plot(code="B", commune_code=SOC_SON))
    theirs = svc.create_area(_actor(hcmc_coop), **_plot(code="C"))

    def visible(actor):
        return {a.id for a in db.session.scalars(svc.list_areas(actor))}

    hanoi, hcmc, elsewhere = _authority(HANOI), _authority(HCMC), _authority("48")
    assert visible(hanoi) >= {away.id, home.id} and theirs.id not in visible(hanoi)
    assert visible(hcmc) >= {away.id, theirs.id} and home.id not in visible(hcmc)
    assert not visible(elsewhere) & {away.id, home.id, theirs.id}
    assert visible(_authority(None)) >= {away.id, home.id, theirs.id}
    assert svc.get_area(hcmc, away.id) is away
    with pytest.raises(NotFound):
        svc.get_area(hcmc, home.id)
    with pytest.raises(Forbidden):
        svc.update_area(hcmc, away.id, name="Sửa")
    with pytest.raises(Forbidden):
        svc.create_area(hanoi, hanoi_coop.id, **_plot(code="Z"))


def test_a_certification_may_cover_only_an_area_of_its_own_organisation():
    fk = next(iter(Certification.__table__.c.production_area_id.foreign_keys))
    assert (fk.column.table.name, fk.ondelete) == ("production_areas", "RESTRICT")
    org, other = make_org("HTX Chủ"), make_org("HTX Khác")
    mine = svc.create_area(_actor(org), **_plot())
    theirs = svc.create_area(_actor(other), **_plot())
    cert = {
        "scheme": CertScheme.PLANTING_AREA_CODE,
        "number": "VN-HN-0001",
        "issuer": "Chi cục Trồng trọt và BVTV",
        "issued_on": date(2024, 3, 1),
        "subject_kind": SubjectKind.PRODUCTION_AREA,
    }
    admin = _actor(org)
    for foreign in (theirs.id, theirs.id + 10_000):
        with pytest.raises(ValidationFailed) as refused:
            certifications.add_certification(
                admin, org.id, production_area_id=foreign, **cert
            )
        assert set(refused.value.field_errors) == {"production_area_id"}
    created = certifications.add_certification(admin, org.id, production_area_id=mine.id,
                                               **cert)
    assert created.production_area_id == mine.id
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            ProductionArea.__table__.delete().where(ProductionArea.id == mine.id)
        )


def test_a_page_of_areas_loads_its_households_in_one_extra_query():
    from sqlalchemy import event

    org = make_org()
    actor = _actor(org)
    for i in range(5):
        svc.create_area(actor, **_plot(code=f"A{i}", household_ids=[_member(org).id]))
    db.session.commit()
    db.session.expire_all()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = db.session.scalars(svc.list_areas(actor).limit(20)).all()
        households = [a.household_ids for a in page]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(page) == 5 and all(len(h) == 1 for h in households)
    assert len(statements) == 2, statements
