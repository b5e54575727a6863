"""Who changes the facts that decide oversight and counting: direct changes by an authority
over the organisation (or a platform admin), change requests from the organisation, and the
history that answers "what was this fact on date D"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.actor import ANONYMOUS, Actor, OrgRole, PlatformRole
from core.clock import local_today
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from linkages.models.organisations import (
    ChangeRequestStatus,
    FactField,
    Organisation,
    OrganisationChangeRequest,
    OrganisationFactChange,
    OrgStatus,
    OrgType,
)
from linkages.services import oversight
from tests.days import FromToday, resolve
from tests.factories import (
    DAU_TIENG,
    HANOI,
    HCMC,
    KIM_ANH,
    SOC_SON,
    actor_of,
    ensure_place,
    make_org,
    make_user_with_token,
    valid_tax_code,
)

D = date(2025, 3, 1)


# Real users: the history names its authors (foreign keys to users).
def platform_actor(role: PlatformRole, province_code: str | None = None) -> Actor:
    user, _ = make_user_with_token(platform_role=role, province_code=province_code)
    return actor_of(user)


def admin() -> Actor:
    return platform_actor(PlatformRole.ADMIN)


def national() -> Actor:
    return platform_actor(PlatformRole.AUTHORITY)


def officer(province_code: str) -> Actor:
    return platform_actor(PlatformRole.AUTHORITY, province_code)


def org_admin(org: Organisation) -> Actor:
    return actor_of(make_user_with_token(org, OrgRole.ORG_ADMIN)[0], org)


def org_staff(org: Organisation) -> Actor:
    return actor_of(make_user_with_token(org, OrgRole.STAFF)[0], org)


def history(org: Organisation) -> list[tuple[str, str | None, str | None, date]]:
    rows = db.session.scalars(
        select(OrganisationFactChange)
        .where(OrganisationFactChange.organisation_id == org.id)
        .order_by(OrganisationFactChange.id)
    )
    return [(r.field.value, r.old_value, r.new_value, r.effective_on) for r in rows]


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def change(**fields):  # type: ignore[no-untyped-def]
    return {"effective_on": D, "reason": "Quyết định số 12/QĐ-UBND", **fields}


@pytest.fixture()
def places() -> None:
    ensure_place(HANOI, SOC_SON)
    ensure_place(HANOI, KIM_ANH)
    ensure_place(HCMC, DAU_TIENG)


@pytest.fixture()
def org(places) -> Organisation:
    return make_org(commune_code=SOC_SON, status_since=date(2020, 1, 1))


# --- who may change, directly ------------------------------------------------------------


@pytest.mark.parametrize("make_actor", [admin, national, lambda: officer(HANOI)])
def test_admins_and_authorities_over_the_organisation_change_its_facts(org, make_actor):
    actor = make_actor()
    result = oversight.change_facts(actor, org.id, change(status="suspended"))
    assert result.organisation.status == OrgStatus.SUSPENDED
    assert org.status_since == D
    [row] = result.changes
    assert (row.field, row.old_value, row.new_value) == (FactField.STATUS, "active", "suspended")
    assert row.reason == "Quyết định số 12/QĐ-UBND"
    assert row.changed_by_id == actor.user_id and row.changed_at is not None
    assert row.request_id is None


def not_overseers(org: Organisation) -> list[tuple[Actor, type[Exception]]]:
    """Everyone else, with what they get: its own users 403, strangers 404, anonymous 401."""
    return [
        (org_admin(org), Forbidden),
        (org_staff(org), Forbidden),
        (org_admin(make_org("HTX Khác")), NotFound),
        (officer(HCMC), NotFound),
        (ANONYMOUS, Unauthenticated),
    ]


def test_nobody_else_changes_facts_and_strangers_learn_nothing(org):
    for actor, error in not_overseers(org):
        with pytest.raises(error):
            oversight.change_facts(actor, org.id, change(province_code=HCMC))
    assert history(org) == [] and org.province_code == HANOI


def test_moving_an_organisation_out_of_a_province_takes_it_out_of_that_authoritys_view(org):
    hanoi_officer = officer(HANOI)
    oversight.change_facts(
        hanoi_officer, org.id, change(province_code=HCMC, commune_code=DAU_TIENG)
    )
    assert (org.province_code, org.commune_code) == (HCMC, DAU_TIENG)
    assert history(org) == [
        ("commune_code", SOC_SON, DAU_TIENG, D),
        ("province_code", HANOI, HCMC, D),
    ]
    with pytest.raises(NotFound):
        oversight.list_fact_changes(hanoi_officer, org.id)
    assert oversight.may_oversee(officer(HCMC), org)
    assert not oversight.may_oversee(hanoi_officer, org)


def test_a_new_province_needs_a_matching_commune(org):
    with pytest.raises(ValidationFailed) as info:
        oversight.change_facts(national(), org.id, change(province_code=HCMC))
    assert "commune_code" in info.value.field_errors
    # A commune alone brings its province.
    oversight.change_facts(national(), org.id, change(commune_code=DAU_TIENG))
    assert org.province_code == HCMC


def test_registration_code_and_type_change_with_the_code_rechecked(places):
    household = make_org(org_type=OrgType.FARM_HOUSEHOLD, registration_code="001203004568")
    with pytest.raises(ValidationFailed) as info:
        oversight.change_facts(admin(), household.id, change(org_type="htx"))
    assert "registration_code" in info.value.field_errors
    code = valid_tax_code()
    oversight.change_facts(admin(), household.id, change(org_type="htx", registration_code=code))
    assert (household.org_type, household.registration_code) == (OrgType.HTX, code)
    assert {row[0] for row in history(household)} == {"org_type", "registration_code"}


def test_another_organisations_code_is_a_conflict(org):
    other = make_org()
    with pytest.raises(Conflict) as info:
        oversight.change_facts(admin(), org.id, change(registration_code=other.registration_code))
    assert "registration_code" in info.value.field_errors


# --- what a change must say ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (change(colour="red"), "colour"),
        (change(status_since=date(2024, 1, 1)), "status_since"),
        (change(status="closed"), "status"),
        ({"effective_on": D, "status": "suspended"}, "reason"),
        (change(status="suspended", reason="   "), "reason"),
        ({"reason": "x", "status": "suspended"}, "effective_on"),
        (change(status="suspended", effective_on=FromToday(1)),
         "effective_on"),
        (change(status="suspended", effective_on=date(2019, 12, 31)), "effective_on"),
        (change(commune_code="99998"), "commune_code"),
        (change(province_code="98", commune_code=None), "province_code"),
        (change(legacy_province_code="99"), "legacy_province_code"),
        (change(registered_on=FromToday(3)), "registered_on"),
        (change(registration_code="0100109107"), "registration_code"),
        (change(status="active"), "_schema"),  # nothing changes
        (change(), "_schema"),  # no fact named
    ],
)
def test_a_bad_change_names_the_field_and_writes_nothing(org, data, field):
    with pytest.raises(ValidationFailed) as info:
        oversight.change_facts(national(), org.id, resolve(data))
    assert field in info.value.field_errors
    assert history(org) == []
    assert (org.status, org.province_code, org.commune_code) == (
        OrgStatus.ACTIVE, HANOI, SOC_SON
    )


def test_a_change_cannot_take_effect_before_the_fields_last_change(org):
    oversight.change_facts(national(), org.id, change(legacy_province_code="02"))
    with pytest.raises(ValidationFailed) as info:
        oversight.change_facts(
            national(), org.id, change(legacy_province_code="04", effective_on=D - timedelta(1))
        )
    assert "effective_on" in info.value.field_errors
    # The same day is fine (a same-day correction); another field is not held back.
    oversight.change_facts(national(), org.id, change(legacy_province_code="04"))
    oversight.change_facts(national(), org.id, change(registered_on=date(2019, 1, 1),
                                                    effective_on=date(2020, 6, 1)))


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        (OrgStatus.ACTIVE, OrgStatus.DISSOLVED, True),
        (OrgStatus.SUSPENDED, OrgStatus.REVOKED, True),
        (OrgStatus.DISSOLVING, OrgStatus.ACTIVE, True),
        (OrgStatus.DISSOLVED, OrgStatus.ACTIVE, True),  # a reversal, with its reason
        (OrgStatus.BANKRUPT, OrgStatus.ACTIVE, True),
        (OrgStatus.DISSOLVED, OrgStatus.SUSPENDED, False),
        (OrgStatus.DISSOLVED, OrgStatus.BANKRUPT, False),
        (OrgStatus.REVOKED, OrgStatus.DISSOLVING, False),
    ],
)
def test_status_transitions(places, start, to, allowed):
    org = make_org(status=start, status_since=date(2020, 1, 1))
    if allowed:
        oversight.change_facts(officer(HANOI), org.id, change(status=to.value))
        assert (org.status, org.status_since) == (to, D)
    else:
        with pytest.raises(ValidationFailed) as info:
            oversight.change_facts(officer(HANOI), org.id, change(status=to.value))
        assert "status" in info.value.field_errors
        assert org.status == start


# --- as of a date ---------------------------------------------------------------------------


def test_facts_as_of_a_date_follow_the_recorded_changes(org):
    oversight.change_facts(
        national(), org.id,
        change(province_code=HCMC, commune_code=DAU_TIENG, effective_on=date(2025, 3, 1)),
    )
    oversight.change_facts(
        national(), org.id, change(status="dissolved", effective_on=date(2025, 6, 1))
    )
    oversight.change_facts(
        admin(), org.id,
        change(province_code=HANOI, commune_code=KIM_ANH, effective_on=date(2025, 6, 1)),
    )

    def on(day: date) -> tuple:
        facts = oversight.facts_as_of(admin(), org.id, day)
        return facts["province_code"], facts["commune_code"], facts["status"]

    # Before the first change: the values it was registered with.
    assert on(date(2001, 1, 1)) == (HANOI, SOC_SON, OrgStatus.ACTIVE)
    assert on(date(2025, 2, 28)) == (HANOI, SOC_SON, OrgStatus.ACTIVE)
    assert on(date(2025, 3, 1)) == (HCMC, DAU_TIENG, OrgStatus.ACTIVE)
    assert on(date(2025, 5, 31)) == (HCMC, DAU_TIENG, OrgStatus.ACTIVE)
    assert on(date(2025, 6, 1)) == (HANOI, KIM_ANH, OrgStatus.DISSOLVED)
    assert on(local_today()) == (org.province_code, org.commune_code, org.status)
    assert oversight.facts_as_of(admin(), org.id, D)["registration_code"] == org.registration_code


def test_a_same_day_correction_wins_and_nulls_are_values(org):
    oversight.change_facts(national(), org.id, change(legacy_province_code="02"))
    oversight.change_facts(national(), org.id, change(legacy_province_code=None))

    def legacy_on(day: date) -> str | None:
        return oversight.facts_as_of(admin(), org.id, day)["legacy_province_code"]

    assert legacy_on(D - timedelta(1)) is None
    assert legacy_on(D) is None
    oversight.change_facts(
        national(), org.id, change(legacy_province_code="02", effective_on=date(2025, 4, 1))
    )
    assert legacy_on(D) is None
    assert legacy_on(date(2025, 4, 1)) == "02"


def test_as_of_is_one_sql_expression_usable_across_organisations(places):
    moved = make_org("HTX Chuyển", commune_code=SOC_SON)
    stayed = make_org("HTX Ở lại", commune_code=KIM_ANH)
    closed = make_org("HTX Giải thể")
    oversight.change_facts(national(), moved.id, change(commune_code=DAU_TIENG))
    oversight.change_facts(national(), closed.id, change(status="dissolved"))
    ids = [moved.id, stayed.id, closed.id]

    def open_in_hanoi(day: date) -> set[int]:
        province = oversight.fact_as_of(FactField.PROVINCE_CODE, day)
        status = oversight.fact_as_of(FactField.STATUS, day)
        stmt = select(Organisation.id).where(
            Organisation.id.in_(ids), province == HANOI, status == "active"
        )
        return set(db.session.scalars(stmt))

    assert open_in_hanoi(D - timedelta(1)) == set(ids)
    assert open_in_hanoi(D) == {stayed.id}


def test_facts_as_of_are_private(org):
    for actor in (org_admin(make_org()), officer(HCMC)):
        with pytest.raises(NotFound):
            oversight.facts_as_of(actor, org.id, D)
    with pytest.raises(Unauthenticated):
        oversight.facts_as_of(ANONYMOUS, org.id, D)
    assert oversight.facts_as_of(org_staff(org), org.id, D)["province_code"] == HANOI


# --- change requests --------------------------------------------------------------------


def test_org_admin_requests_and_an_authority_approves_applying_the_change(org):
    request = oversight.request_change(
        org_admin(org), org.id, change(status="dissolved", reason="Đại hội thành viên 2025")
    )
    assert request.status == ChangeRequestStatus.PENDING
    assert [(i.field, i.old_value, i.new_value) for i in request.items] == [
        (FactField.STATUS, "active", "dissolved")
    ]
    assert org.status == OrgStatus.ACTIVE and history(org) == []

    approver = officer(HANOI)
    approved = oversight.approve_change_request(
        approver, org.id, request.id, {"reason": "Đủ hồ sơ"}
    )
    assert approved.status == ChangeRequestStatus.APPROVED
    assert approved.decided_by_id == approver.user_id and approved.decided_at
    assert approved.decision_reason == "Đủ hồ sơ"
    assert (org.status, org.status_since) == (OrgStatus.DISSOLVED, D)
    [row] = db.session.scalars(
        select(OrganisationFactChange).where(OrganisationFactChange.organisation_id == org.id)
    ).all()
    assert (row.request_id, row.changed_by_id) == (request.id, approver.user_id)
    assert row.reason == "Đại hội thành viên 2025"

    for decide in (oversight.approve_change_request, oversight.reject_change_request):
        with pytest.raises(Conflict):
            decide(national(), org.id, request.id, {"reason": "Lần nữa"})


def test_the_approver_may_correct_the_effective_date(org):
    request = oversight.request_change(org_admin(org), org.id, change(status="suspended"))
    oversight.approve_change_request(
        national(), org.id, request.id, {"effective_on": date(2025, 4, 15)}
    )
    assert org.status_since == date(2025, 4, 15)
    assert history(org)[0][3] == date(2025, 4, 15)
    assert request.effective_on == D  # what was asked stays on the request


def test_a_rejection_needs_a_reason_and_changes_nothing(org):
    request = oversight.request_change(
        org_admin(org), org.id, change(province_code=HCMC, commune_code=DAU_TIENG)
    )
    for data in ({}, {"reason": "  "}):
        with pytest.raises(ValidationFailed) as info:
            oversight.reject_change_request(national(), org.id, request.id, data)
        assert "reason" in info.value.field_errors
    rejected = oversight.reject_change_request(
        national(), org.id, request.id, {"reason": "Thiếu quyết định của UBND xã"}
    )
    assert rejected.status == ChangeRequestStatus.REJECTED
    assert rejected.decision_reason == "Thiếu quyết định của UBND xã"
    assert org.province_code == HANOI and history(org) == []


def test_a_request_overtaken_by_another_change_cannot_be_approved(org):
    first = oversight.request_change(org_admin(org), org.id, change(status="suspended"))
    second = oversight.request_change(org_admin(org), org.id, change(status="dissolving"))
    oversight.approve_change_request(national(), org.id, first.id, {})
    with pytest.raises(Conflict) as info:
        oversight.approve_change_request(national(), org.id, second.id, {})
    assert set(info.value.field_errors) == {"status"}
    assert org.status == OrgStatus.SUSPENDED


@pytest.mark.parametrize(
    ("start", "wanted"),
    [
        (OrgStatus.ACTIVE, OrgStatus.REVOKED),
        (OrgStatus.ACTIVE, OrgStatus.BANKRUPT),
        (OrgStatus.DISSOLVED, OrgStatus.ACTIVE),  # only an authority reverses it
    ],
)
def test_an_organisation_cannot_request_registrar_statuses_nor_leave_a_closed_one(
    places, start, wanted
):
    org = make_org(status=start, status_since=date(2020, 1, 1))
    with pytest.raises(ValidationFailed) as info:
        oversight.request_change(org_admin(org), org.id, change(status=wanted.value))
    assert "status" in info.value.field_errors
    assert count(OrganisationChangeRequest) == 0


def test_requests_are_filed_by_the_organisations_admins_only(org):
    other = make_org()
    cases = [
        (org_staff(org), Forbidden),
        (officer(HANOI), Forbidden),  # an authority changes directly instead
        (org_admin(other), NotFound),
        (officer(HCMC), NotFound),
        (ANONYMOUS, Unauthenticated),
    ]
    for actor, error in cases:
        with pytest.raises(error):
            oversight.request_change(actor, org.id, change(status="suspended"))
    assert count(OrganisationChangeRequest) == 0


def test_requests_are_decided_by_authorities_over_the_organisation_only(org):
    request = oversight.request_change(org_admin(org), org.id, change(status="suspended"))
    for actor, error in not_overseers(org):
        with pytest.raises(error):
            oversight.approve_change_request(actor, org.id, request.id, {})
        with pytest.raises(error):
            oversight.reject_change_request(actor, org.id, request.id, {"reason": "Không"})
    assert request.status == ChangeRequestStatus.PENDING and org.status == OrgStatus.ACTIVE
    # A request is reached through its own organisation only.
    with pytest.raises(NotFound):
        oversight.approve_change_request(admin(), make_org().id, request.id, {})


def test_requests_and_history_are_read_by_the_organisation_and_its_overseers(org):
    request = oversight.request_change(org_admin(org), org.id, change(status="suspended"))
    oversight.approve_change_request(national(), org.id, request.id, {})
    for actor in (org_staff(org), officer(HANOI), national(), admin()):
        listed = db.session.scalars(oversight.list_change_requests(actor, org.id)).all()
        assert [r.id for r in listed] == [request.id]
        assert oversight.get_change_request(actor, org.id, request.id) is request
        assert len(db.session.scalars(oversight.list_fact_changes(actor, org.id)).all()) == 1
    strangers = [(org_admin(make_org()), NotFound), (officer(HCMC), NotFound),
                 (ANONYMOUS, Unauthenticated)]
    for actor, error in strangers:
        with pytest.raises(error):
            oversight.list_change_requests(actor, org.id)
        with pytest.raises(error):
            oversight.get_change_request(actor, org.id, request.id)
        with pytest.raises(error):
            oversight.list_fact_changes(actor, org.id)
    pending = oversight.list_change_requests(admin(), org.id, status="pending")
    assert db.session.scalars(pending).all() == []


def test_a_registration_code_alone_is_a_change(org):
    code = valid_tax_code()
    [row] = oversight.change_facts(admin(), org.id, change(registration_code=f" {code} ")).changes
    assert (row.field, row.new_value, org.registration_code) == (
        FactField.REGISTRATION_CODE, code, code
    )
