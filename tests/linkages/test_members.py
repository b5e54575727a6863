"""Members: hashed ID numbers, one active membership per person, leaving keeps the row."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from core.actor import Actor, OrgRole, PlatformRole
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from linkages import person_id
from linkages.models import ContributionKind, Member, MemberKind, MemberType, OrgType
from linkages.services import members as svc
from tests.linkages._helpers_members import (
    actor_of,
    ensure_commune,
    make_org,
    platform_admin,
    valid_tax_code,
)

CCCD = "001203004567"


def _person(**overrides):
    data = {
        "member_type": MemberType.OFFICIAL,
        "member_kind": MemberKind.INDIVIDUAL,
        "display_name": "Nguyễn Văn An",
        "id_number": CCCD,
        "joined_on": date(2024, 7, 1),
        "capital_contribution_vnd": 5_000_000,
    }
    data.update(overrides)
    return data


def _add(org, **overrides):
    return svc.add_member(actor_of(org), org.id, **_person(**overrides))


def test_id_number_is_stored_only_as_a_keyed_hash(app):
    org = make_org()
    member = _add(org, id_number="0012 0300 4567")
    row = db.session.execute(
        text("SELECT * FROM members WHERE id = :id"), {"id": member.id}
    ).mappings().one()
    assert all(CCCD not in str(value) for value in row.values())
    expected = hmac.new(b"test-person-key", CCCD.encode(), hashlib.sha256).hexdigest()
    assert row["person_id_hash"] == expected
    assert row["person_id_last_digits"] == "567"
    assert member.id_number_masked == "*********567"
    assert person_id.matches(" 001203004567 ", member.person_id_hash)
    assert not person_id.matches("001203004568", member.person_id_hash)
    assert not person_id.matches("not a number", member.person_id_hash)


@pytest.mark.parametrize("bad", ["12345678901", "1234567890123", "00120300456A", "٠٠١٢٠٣٠٠٤٥٦٧"])
def test_id_number_that_is_not_twelve_ascii_digits_is_refused_naming_the_field(bad):
    org = make_org()
    with pytest.raises(ValidationFailed) as refused:
        _add(org, id_number=bad)
    assert "id_number" in refused.value.field_errors
    assert db.session.scalar(select(Member.id).where(Member.organisation_id == org.id)) is None


def test_hash_key_is_derived_from_secret_key_only_outside_production(app):
    saved = dict(app.config)
    try:
        app.config["PERSON_ID_HASH_KEY"] = None
        derived = person_id.hash_person_id(CCCD)
        assert derived != person_id.hash_person_id("001203004568")
        app.config["PERSON_ID_HASH_KEY"] = "test-person-key"
        assert person_id.hash_person_id(CCCD) != derived
        app.config["PERSON_ID_HASH_KEY"] = None
        app.config["ENV_NAME"] = "production"
        with pytest.raises(person_id.PersonIdKeyMissing):
            person_id.hash_person_id(CCCD)
    finally:
        app.config.clear()
        app.config.update(saved)


def test_same_person_cannot_be_active_twice_in_one_organisation():
    org = make_org()
    _add(org)
    with pytest.raises(Conflict) as clash:
        _add(org, display_name="Nguyen Van An", id_number="0012 0300 4567")
    assert "id_number" in clash.value.field_errors


def test_same_person_may_be_member_of_two_organisations_and_rejoin_after_leaving():
    first, second = make_org("HTX Một"), make_org("HTX Hai")
    member = _add(first)
    _add(second)
    svc.end_membership(actor_of(first), member.id, date(2025, 1, 1))
    again = _add(first)
    assert again.id != member.id
    hashes = db.session.scalars(
        select(Member.person_id_hash).where(Member.organisation_id == first.id)
    ).all()
    assert len(hashes) == 2 and len(set(hashes)) == 1


def test_database_refuses_a_second_active_row_for_the_same_person():
    org = make_org()
    member = _add(org)
    twin = Member(
        organisation_id=org.id,
        member_type=MemberType.OFFICIAL,
        member_kind=MemberKind.INDIVIDUAL,
        display_name="Twin",
        person_id_hash=member.person_id_hash,
    )
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(twin)
        db.session.flush()


def test_leaving_records_the_date_and_keeps_the_row():
    org = make_org()
    member = _add(org)
    svc.end_membership(actor_of(org), member.id, date(2025, 3, 31))
    db.session.expire_all()
    kept = db.session.get(Member, member.id)
    assert kept is not None and kept.left_on == date(2025, 3, 31) and not kept.is_active
    actor = actor_of(org)
    assert db.session.scalars(svc.list_members(actor, org.id)).all() == []
    assert db.session.scalars(svc.list_members(actor, org.id, former_only=True)).all() == [kept]
    assert db.session.scalars(svc.list_members(actor, org.id, active_only=False)).all() == [kept]


def test_leaving_twice_before_joining_or_in_the_future_is_refused():
    org = make_org()
    member = _add(org, joined_on=date(2024, 7, 1))
    with pytest.raises(ValidationFailed) as early:
        svc.end_membership(actor_of(org), member.id, date(2024, 6, 30))
    assert "left_on" in early.value.field_errors
    with pytest.raises(ValidationFailed):
        svc.end_membership(actor_of(org), member.id, svc.local_today() + timedelta(days=2))
    svc.end_membership(actor_of(org), member.id, date(2024, 12, 31))
    with pytest.raises(Conflict):
        svc.end_membership(actor_of(org), member.id, date(2025, 1, 31))


def test_count_active_members_counts_each_type_in_one_aggregate():
    org, other = make_org("HTX A"), make_org("HTX B")
    for i in range(5):
        _add(org, id_number=f"0012030045{i:02d}", display_name=f"Thành viên {i}")
    _add(org, id_number="001203004599", member_type=MemberType.ASSOCIATE_CAPITAL)
    gone = _add(org, id_number="001203004598")
    svc.end_membership(actor_of(org), gone.id, date(2025, 1, 1))
    _add(other, id_number="001203004597")
    assert svc.count_active_members(org.id) == {
        "official": 5,
        "associate_capital": 1,
        "associate_no_capital": 0,
    }
    assert svc.count_active_members(make_org("HTX trống").id) == {
        "official": 0,
        "associate_capital": 0,
        "associate_no_capital": 0,
    }


def test_list_filters_by_type_and_orders_by_name():
    org = make_org()
    _add(org, id_number="001203000001", display_name="Trần Bình")
    _add(org, id_number="001203000002", display_name="Lê Chi",
         member_type=MemberType.ASSOCIATE_NO_CAPITAL, capital_contribution_vnd=0)
    _add(org, id_number="001203000003", display_name="Đỗ An")
    names = [m.display_name for m in db.session.scalars(svc.list_members(actor_of(org), org.id))]
    assert names == sorted(names)
    associates = db.session.scalars(
        svc.list_members(actor_of(org), org.id, member_type=MemberType.ASSOCIATE_NO_CAPITAL)
    ).all()
    assert [m.display_name for m in associates] == ["Lê Chi"]


def test_associate_without_capital_contributes_no_capital():
    org = make_org()
    with pytest.raises(ValidationFailed) as refused:
        _add(org, member_type=MemberType.ASSOCIATE_NO_CAPITAL,
             contribution_kinds=[ContributionKind.CAPITAL])
    assert {"capital_contribution_vnd", "contribution_kinds"} <= set(refused.value.field_errors)
    member = _add(org, member_type=MemberType.ASSOCIATE_NO_CAPITAL, capital_contribution_vnd=0,
                  contribution_kinds=[ContributionKind.LABOUR, ContributionKind.PRODUCE])
    assert member.contribution_kinds == [ContributionKind.LABOUR, ContributionKind.PRODUCE]


def test_contribution_kinds_are_rows_that_can_be_changed():
    org = make_org()
    member = _add(org, contribution_kinds=[ContributionKind.LAND_USE_RIGHTS])
    # An amount of capital implies the capital kind.
    assert set(member.contribution_kinds) == {
        ContributionKind.CAPITAL, ContributionKind.LAND_USE_RIGHTS
    }
    svc.update_member(actor_of(org), member.id,
                      contribution_kinds=["capital", "equipment"])
    db.session.expire_all()
    assert set(db.session.get(Member, member.id).contribution_kinds) == {
        ContributionKind.CAPITAL, ContributionKind.EQUIPMENT
    }


def test_household_and_legal_entity_members_carry_their_own_identifiers():
    org = make_org()
    commune = ensure_commune()
    household = _add(org, member_kind=MemberKind.HOUSEHOLD, household_size=4,
                     commune_code=commune.code, display_name="Hộ Phạm Văn Dũng")
    assert household.household_size == 4 and household.commune_code == commune.code
    company = _add(org, member_kind=MemberKind.LEGAL_ENTITY, id_number=None,
                   legal_registration_code=valid_tax_code(42), display_name="Công ty X",
                   member_type=MemberType.ASSOCIATE_CAPITAL)
    assert company.person_id_hash is None
    with pytest.raises(Conflict):
        _add(org, member_kind=MemberKind.LEGAL_ENTITY, id_number=None,
             legal_registration_code=valid_tax_code(42), display_name="Công ty X again")


def test_inconsistent_identifiers_are_refused_with_every_field_named():
    org = make_org()
    with pytest.raises(ValidationFailed) as refused:
        _add(org, member_kind=MemberKind.LEGAL_ENTITY, legal_registration_code="0100109107",
             household_size=3, commune_code="00000")
    assert {"id_number", "legal_registration_code", "household_size", "commune_code"} <= set(
        refused.value.field_errors
    )
    with pytest.raises(ValidationFailed) as individual:
        _add(org, legal_registration_code=valid_tax_code(7))
    assert "legal_registration_code" in individual.value.field_errors


def test_update_rehashes_a_new_id_number_and_can_clear_it():
    org = make_org()
    member = _add(org)
    svc.update_member(actor_of(org), member.id, id_number="079099000123", phone=" 0901 ")
    assert person_id.matches("079099000123", member.person_id_hash)
    assert member.id_number_masked == "*********123" and member.phone == "0901"
    svc.update_member(actor_of(org), member.id, id_number=None)
    assert member.person_id_hash is None and member.id_number_masked is None


def test_update_to_a_person_already_active_conflicts():
    org = make_org()
    _add(org)
    other = _add(org, id_number="001203009999", display_name="Khác")
    with pytest.raises(Conflict):
        svc.update_member(actor_of(org), other.id, id_number=CCCD)


def test_an_enterprise_has_no_cooperative_members():
    enterprise = make_org("Công ty TNHH Y", OrgType.DN)
    with pytest.raises(ValidationFailed) as refused:
        _add(enterprise)
    assert "organisation_id" in refused.value.field_errors


def test_staff_cannot_add_or_change_members_but_org_and_platform_admins_can():
    org = make_org()
    staff = actor_of(org, OrgRole.STAFF)
    with pytest.raises(Forbidden):
        svc.add_member(staff, org.id, **_person())
    member = svc.add_member(actor_of(org), org.id, **_person())
    with pytest.raises(Forbidden):
        svc.update_member(staff, member.id, display_name="X")
    with pytest.raises(Forbidden):
        svc.end_membership(staff, member.id, date(2025, 1, 1))
    svc.update_member(platform_admin(), member.id, display_name="Nguyễn Văn Ân")
    assert member.display_name == "Nguyễn Văn Ân"
    # Staff still read.
    assert svc.get_member(staff, member.id) is member


def test_cooperative_cannot_read_another_cooperatives_members():
    mine, theirs = make_org("HTX Mình"), make_org("HTX Họ")
    member = _add(theirs)
    me = actor_of(mine)
    with pytest.raises(NotFound):
        svc.list_members(me, theirs.id)
    with pytest.raises(NotFound):
        svc.get_member(me, member.id)
    with pytest.raises(NotFound):
        svc.add_member(me, theirs.id, **_person())
    with pytest.raises(NotFound):
        svc.end_membership(me, member.id, date(2025, 1, 1))
    # Its own URL scope: a member id of another organisation is not found either.
    with pytest.raises(NotFound):
        svc.get_member(actor_of(theirs), member.id, organisation_id=mine.id)


def test_anonymous_must_authenticate_and_authority_reads_only_its_province():
    org = make_org()
    member = _add(org)
    with pytest.raises(Unauthenticated):
        svc.list_members(Actor(), org.id)
    local = Actor(user_id=9, platform_role=PlatformRole.AUTHORITY,
                  province_code=org.province_code)
    assert svc.get_member(local, member.id) is member
    elsewhere = Actor(user_id=9, platform_role=PlatformRole.AUTHORITY, province_code="00")
    with pytest.raises(NotFound):
        svc.get_member(elsewhere, member.id)
    with pytest.raises(Forbidden):
        svc.update_member(local, member.id, display_name="X")


def test_a_duplicate_that_slips_past_the_check_still_answers_409(monkeypatch):
    # Two requests racing: both pass the friendly check; the partial unique index decides.
    org = make_org()
    _add(org)
    monkeypatch.setattr(svc, "_check_unique", lambda member: None)
    with pytest.raises(Conflict):
        _add(org, display_name="Racer")
    # The SAVEPOINT kept the request's transaction usable.
    assert svc.count_active_members(org.id)["official"] == 1
