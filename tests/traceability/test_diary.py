"""The cultivation diary: pesticide entries name their active ingredient and PHI, bad
values name their field and write nothing, newest first, the same-day correction rule,
isolation between cooperatives and read-only authorities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from core.actor import Actor, OrgRole, PlatformRole
from core.clock import local_today
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.days import FromToday, resolve
from tests.factories import HANOI, actor_of, make_org, make_user_with_token
from traceability.models import AreaKind, DiaryEntry, DiaryKind
from traceability.services import areas, diary


def _actor(org, role=OrgRole.ORG_ADMIN) -> Actor:
    user, _headers = make_user_with_token(org, role)
    return actor_of(user, org)


def _area(org):
    return areas.create_area(_actor(org), code="A1", name="Ruộng 1", kind=AreaKind.PLOT)


def _spray(**overrides):
    data = {
        "kind": DiaryKind.PESTICIDE,
        "occurred_on": local_today() - timedelta(days=3),
        "input_name": "Reasgant 3.6EC",
        "active_ingredient": "Abamectin",
        "dose": Decimal("15"),
        "dose_unit": "ml/16 l",
        "operator": "Nguyễn Văn A",
        "phi_days": 7,
    }
    data.update(overrides)
    return data


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(DiaryEntry))


def test_a_pesticide_entry_is_recorded_by_the_actor_for_the_areas_organisation():
    org = make_org()
    area = _area(org)
    staff = _actor(org, OrgRole.STAFF)
    entry = diary.add_entry(staff, area.id, **_spray())
    assert (entry.area_id, entry.organisation_id) == (area.id, org.id)
    assert entry.recorded_by_id == staff.user_id
    assert (entry.active_ingredient, entry.phi_days, entry.dose) == ("Abamectin", 7, 15)
    assert diary.recorded_on(entry) == local_today()


def test_a_pesticide_without_active_ingredient_or_phi_is_refused_and_nothing_is_written():
    org = make_org()
    area = _area(org)
    actor = _actor(org)
    with pytest.raises(ValidationFailed) as refused:
        diary.add_entry(actor, area.id, **_spray(active_ingredient=" ", phi_days=None))
    assert set(refused.value.field_errors) == {"active_ingredient", "phi_days"}
    assert _count() == 0


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"dose": Decimal(-1)}, {"dose"}),
        ({"dose_unit": ""}, {"dose_unit"}),
        ({"phi_days": -1}, {"phi_days"}),
        ({"phi_days": 400}, {"phi_days"}),
        ({"occurred_on": FromToday(1)}, {"occurred_on"}),
        ({"occurred_on": None, "kind": "spraying"}, {"occurred_on", "kind"}),
        ({"input_name": ""}, {"input_name"}),
        ({"colour": "red"}, {"colour"}),
    ],
)
def test_bad_diary_values_name_their_field_and_write_nothing(overrides, fields):
    org = make_org()
    area = _area(org)
    with pytest.raises(ValidationFailed) as refused:
        diary.add_entry(_actor(org), area.id, **_spray(**resolve(overrides)))
    assert set(refused.value.field_errors) == fields
    assert _count() == 0


def test_other_kinds_need_neither_an_active_ingredient_nor_a_phi():
    org = make_org()
    area = _area(org)
    planting = diary.add_entry(
        _actor(org), area.id, kind=DiaryKind.PLANTING, occurred_on=local_today(),
        notes="Gieo sạ ST25",
    )
    assert planting.phi_days is None and planting.active_ingredient == ""
    fertiliser = diary.add_entry(
        _actor(org), area.id, kind="fertiliser", occurred_on=local_today(),
        input_name="NPK 16-16-8", dose=200, dose_unit="kg/ha",
    )
    assert fertiliser.kind == DiaryKind.FERTILISER and fertiliser.dose == Decimal(200)


def test_the_diary_lists_newest_first_and_filters():
    org = make_org()
    area = _area(org)
    actor = _actor(org)
    today = local_today()
    old = diary.add_entry(actor, area.id, **_spray(occurred_on=today - timedelta(days=10)))
    newer = diary.add_entry(
        actor, area.id, kind=DiaryKind.IRRIGATION, occurred_on=today - timedelta(days=1)
    )
    same_day = diary.add_entry(actor, area.id, **_spray(occurred_on=today - timedelta(days=1)))
    listed = db.session.scalars(diary.list_entries(actor, area.id)).all()
    assert [e.id for e in listed] == [same_day.id, newer.id, old.id]
    sprays = db.session.scalars(
        diary.list_entries(actor, area.id, kind=DiaryKind.PESTICIDE,
                           since=today - timedelta(days=5))
    ).all()
    assert sprays == [same_day]


def test_the_author_or_an_org_admin_corrects_an_entry_on_its_day_only():
    org = make_org()
    area = _area(org)
    author, colleague, admin = (
        _actor(org, OrgRole.STAFF), _actor(org, OrgRole.STAFF), _actor(org)
    )
    entry = diary.add_entry(author, area.id, **_spray())
    assert diary.correct_entry(author, area.id, entry.id, phi_days=14).phi_days == 14
    with pytest.raises(Forbidden):
        diary.correct_entry(colleague, area.id, entry.id, phi_days=1)
    with pytest.raises(ValidationFailed) as refused:
        diary.correct_entry(author, area.id, entry.id, phi_days=None)
    assert set(refused.value.field_errors) == {"phi_days"}
    assert diary.correct_entry(admin, area.id, entry.id, dose=20).dose == Decimal(20)

    # The next day the record is kept as it was: a correction is a new entry.
    db.session.execute(
        update(DiaryEntry)
        .where(DiaryEntry.id == entry.id)
        .values(created_at=datetime.now(UTC) - timedelta(days=2))
    )
    db.session.expire_all()
    for actor in (author, admin):
        with pytest.raises(Conflict):
            diary.correct_entry(actor, area.id, entry.id, phi_days=21)
    assert db.session.get(DiaryEntry, entry.id).phi_days == 14


def test_another_cooperative_cannot_read_or_write_the_diary():
    org, other = make_org("HTX Chủ"), make_org("HTX Lạ")
    area = _area(org)
    entry = diary.add_entry(_actor(org), area.id, **_spray())
    other_area = _area(other)
    outsider = _actor(other)
    with pytest.raises(NotFound):
        diary.list_entries(outsider, area.id)
    with pytest.raises(NotFound):
        diary.add_entry(outsider, area.id, **_spray())
    with pytest.raises(NotFound):
        diary.get_entry(outsider, area.id, entry.id)
    with pytest.raises(NotFound):
        diary.correct_entry(outsider, area.id, entry.id, phi_days=1)
    # Nor through an area of its own.
    with pytest.raises(NotFound):
        diary.get_entry(_actor(other), other_area.id, entry.id)
    assert _count() == 1


def test_an_authority_of_the_province_reads_the_diary_but_writes_nothing():
    org = make_org(province_code=HANOI)
    area = _area(org)
    entry = diary.add_entry(_actor(org), area.id, **_spray())
    user, _headers = make_user_with_token(
        platform_role=PlatformRole.AUTHORITY, province_code=HANOI
    )
    authority = actor_of(user)
    assert db.session.scalars(diary.list_entries(authority, area.id)).all() == [entry]
    assert diary.get_entry(authority, area.id, entry.id) is entry
    with pytest.raises(Forbidden):
        diary.add_entry(authority, area.id, **_spray())
    with pytest.raises(Forbidden):
        diary.correct_entry(authority, area.id, entry.id, phi_days=1)


def test_the_system_actor_records_without_a_user():
    from core.actor import SYSTEM

    org = make_org()
    entry = diary.add_entry(SYSTEM, _area(org).id, **_spray())
    assert entry.recorded_by_id is None
