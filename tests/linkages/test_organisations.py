"""The organisations registry services: organisations, cooperative profiles, yearly
figures, union memberships and the Cooperative Law 2023 warnings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.actor import ANONYMOUS, Actor, OrgRole, PlatformRole
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from linkages.models.cooperatives import (
    CooperativeProfileChange,
    CooperativeTechnology,
    HighTechStatus,
    Rating,
    UnionMembership,
    YearlyFiguresChange,
    rating_for_score,
)
from linkages.models.members import Member, MemberKind, MemberType
from linkages.models.organisations import Organisation, OrgStatus, OrgType
from linkages.services import cooperatives as coops
from linkages.services import organisations as orgs
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

ADMIN = Actor(user_id=1, platform_role=PlatformRole.ADMIN)


def org_admin(org: Organisation) -> Actor:
    # A real user: what an org admin changes in a profile is kept with its author.
    return actor_of(make_user_with_token(org, OrgRole.ORG_ADMIN)[0], org)


def org_staff(org: Organisation) -> Actor:
    return Actor(user_id=3, organisation_id=org.id, org_role=OrgRole.STAFF)


def authority(province: str | None) -> Actor:
    return Actor(user_id=4, platform_role=PlatformRole.AUTHORITY, province_code=province)


def org_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Organisation)) or 0)


def field_errors(exc_info: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return exc_info.value.field_errors


@pytest.fixture()
def places() -> None:
    ensure_place(HANOI, SOC_SON)
    ensure_place(HANOI, KIM_ANH)
    ensure_place(HCMC, DAU_TIENG)


# --- create ------------------------------------------------------------------------------


def test_admin_registers_a_cooperative_and_its_province_follows_the_commune(places):
    code = valid_tax_code()
    org = orgs.create_organisation(
        ADMIN,
        {
            "registration_code": f" {code} ",
            "name": " Hợp tác xã Rau sạch Sóc Sơn ",
            "org_type": "htx",
            "commune_code": SOC_SON,
        },
    )
    assert org.id is not None
    assert org.registration_code == code
    assert org.name == "Hợp tác xã Rau sạch Sóc Sơn"
    assert org.province_code == HANOI
    assert org.status == OrgStatus.ACTIVE
    assert org.status_since == orgs.local_today()


def test_only_a_platform_admin_registers_organisations(places):
    org = make_org()
    data = {"registration_code": valid_tax_code(), "name": "X", "org_type": "htx"}
    with pytest.raises(Forbidden):
        orgs.create_organisation(org_admin(org), data)
    with pytest.raises(Unauthenticated):
        orgs.create_organisation(ANONYMOUS, data)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"registration_code": "0100109107"}, "registration_code"),
        ({"registration_code": "001203004567"}, "registration_code"),
        ({"commune_code": "99998"}, "commune_code"),
        ({"commune_code": DAU_TIENG, "province_code": HANOI}, "commune_code"),
        ({"province_code": "98"}, "province_code"),
        ({"org_type": "cooperative"}, "org_type"),
        ({"name": "   "}, "name"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_registration_writes_nothing_and_names_the_field(places, changes, field):
    before = org_count()
    data = {"registration_code": valid_tax_code(), "name": "HTX A", "org_type": "htx", **changes}
    with pytest.raises(ValidationFailed) as info:
        orgs.create_organisation(ADMIN, data)
    assert field in field_errors(info)
    assert org_count() == before


def test_duplicate_registration_code_conflicts_on_that_field(places):
    existing = make_org()
    with pytest.raises(Conflict) as info:
        orgs.create_organisation(
            ADMIN,
            {"registration_code": existing.registration_code, "name": "B", "org_type": "dn"},
        )
    assert "registration_code" in field_errors(info)


def test_a_farm_household_registers_with_its_personal_id(places):
    org = orgs.create_organisation(
        ADMIN,
        {"registration_code": "001203004567", "name": "Hộ Nguyễn Văn A",
         "org_type": OrgType.FARM_HOUSEHOLD},
    )
    assert org.registration_code == "001203004567"


# --- update ------------------------------------------------------------------------------


def test_org_admin_edits_name_and_street_address_but_staff_cannot(places):
    org = make_org(commune_code=SOC_SON)
    updated = orgs.update_organisation(
        org_admin(org), org.id, {"name": "HTX Kim Anh", "address_line": "Thôn Đông"}
    )
    assert updated.name == "HTX Kim Anh"
    assert updated.address_line == "Thôn Đông"
    with pytest.raises(Forbidden):
        orgs.update_organisation(org_staff(org), org.id, {"name": "Khác"})


def test_strangers_get_not_found_and_authorities_forbidden_on_update(places):
    org = make_org()
    other = make_org()
    with pytest.raises(NotFound):
        orgs.update_organisation(org_admin(other), org.id, {"name": "X"})
    with pytest.raises(Forbidden):
        orgs.update_organisation(authority(HANOI), org.id, {"name": "X"})
    with pytest.raises(NotFound):
        orgs.update_organisation(authority(HCMC), org.id, {"name": "X"})
    with pytest.raises(Unauthenticated):
        orgs.update_organisation(ANONYMOUS, org.id, {"name": "X"})


@pytest.mark.parametrize(
    "changes",
    [
        {"registration_code": "REPLACED"},
        {"org_type": "dn"},
        {"status": "dissolved"},
        {"status": "suspended", "status_since": date(2025, 3, 1)},
        {"status_since": date(2020, 1, 2)},
        {"registered_on": date(2019, 5, 1)},
        {"province_code": HCMC, "commune_code": DAU_TIENG},
        {"commune_code": KIM_ANH},
        {"legacy_province_code": "02"},
    ],
)
def test_org_admin_cannot_change_an_oversight_fact_and_is_sent_to_change_requests(
    places, changes
):
    org = make_org(commune_code=SOC_SON, status_since=date(2020, 1, 1))
    if changes.get("registration_code") == "REPLACED":
        changes = {"registration_code": valid_tax_code()}
    before = {f: getattr(org, f) for f in orgs.CREATE_FIELDS}
    with pytest.raises(Forbidden) as info:
        orgs.update_organisation(org_admin(org), org.id, {**changes, "phone": "024 1"})
    assert set(field_errors(info)) == set(changes)
    assert f"/api/organisations/{org.id}/change-requests" in str(info.value.detail)
    db.session.rollback()
    db.session.expire_all()
    assert {f: getattr(org, f) for f in orgs.CREATE_FIELDS} == before


def test_a_platform_admin_changes_facts_only_with_a_date_and_a_reason(places):
    org = make_org()
    with pytest.raises(ValidationFailed) as info:
        orgs.update_organisation(ADMIN, org.id, {"status": "dissolved"})
    assert set(field_errors(info)) == {"status"}
    assert f"/api/organisations/{org.id}/fact-changes" in str(info.value.detail)
    assert org.status == OrgStatus.ACTIVE


def test_resending_the_current_facts_is_no_change(places):
    org = make_org(commune_code=SOC_SON, status_since=date(2020, 1, 1))
    same = {
        "registration_code": f" {org.registration_code} ",
        "org_type": OrgType.HTX,
        "status": "active",
        "status_since": date(2020, 1, 1),
        "registered_on": None,
        "province_code": HANOI,
        "commune_code": SOC_SON,
        "legacy_province_code": "",
        "phone": "024 1234",
    }
    assert orgs.update_organisation(org_admin(org), org.id, same).phone == "024 1234"


# --- read and list -------------------------------------------------------------------------


def test_registry_record_is_public(places):
    org = make_org()
    assert orgs.get_organisation(ANONYMOUS, org.id) is org
    with pytest.raises(NotFound):
        orgs.get_organisation(ANONYMOUS, org.id + 10_000)


def test_list_filters_by_type_province_status_and_name(places):
    rice = make_org("HTX Lúa gạo Sóc Sơn", commune_code=SOC_SON)
    make_org("Công ty Thu mua 100%", OrgType.DN, province_code=HCMC)
    closed = make_org("HTX Đã giải thể", status=OrgStatus.DISSOLVED)

    def names(**filters):
        stmt = orgs.list_organisations(ANONYMOUS, **filters)
        return [o.name for o in db.session.scalars(stmt)]

    assert "Công ty Thu mua 100%" not in names(org_type="htx")
    assert names(province_code=HCMC) == ["Công ty Thu mua 100%"]
    assert closed.name in names(status="dissolved")
    assert rice.name not in names(status="dissolved")
    assert names(q="lúa gạo") == [rice.name]
    assert names(q="100%") == ["Công ty Thu mua 100%"]
    # Literal characters, not wildcards.
    assert names(q="%") == ["Công ty Thu mua 100%"]
    assert names(q="_") == []
    assert names(q=rice.registration_code[:6]) == [rice.name]
    with pytest.raises(ValidationFailed):
        orgs.list_organisations(ANONYMOUS, org_type="cooperative")


# --- cooperative profile ---------------------------------------------------------------


PROFILE = {"field_group": "agriculture", "agri_subtype": "crops", "size_class": "small"}


def test_org_admin_records_the_profile_and_members_read_it(places):
    org = make_org()
    profile = coops.put_profile(
        org_admin(org),
        org.id,
        {**PROFILE, "technology_tags": ["drip_irrigation", "greenhouse", "greenhouse"]},
    )
    assert profile.governance_model == "full"
    assert profile.high_tech_status == HighTechStatus.NONE
    assert profile.technology_tags == ["drip_irrigation", "greenhouse"]
    assert coops.get_profile(org_staff(org), org.id) is profile
    # A PUT replaces: the tags not sent are gone.
    coops.put_profile(org_admin(org), org.id, {**PROFILE, "technology_tags": ["drones"]})
    assert profile.technology_tags == ["drones"]
    count = select(func.count()).select_from(CooperativeTechnology)
    assert db.session.scalar(count.where(CooperativeTechnology.organisation_id == org.id)) == 1


def test_profile_is_private_to_the_organisation_and_authorities_of_its_province(places):
    org = make_org(province_code=HANOI)
    coops.put_profile(org_admin(org), org.id, PROFILE)
    stranger = make_org()
    for actor in (org_admin(stranger), authority(HCMC)):
        with pytest.raises(NotFound):
            coops.get_profile(actor, org.id)
    with pytest.raises(Unauthenticated):
        coops.get_profile(ANONYMOUS, org.id)
    assert coops.get_profile(authority(HANOI), org.id)
    assert coops.get_profile(authority(None), org.id)
    with pytest.raises(Forbidden):
        coops.put_profile(authority(HANOI), org.id, PROFILE)
    with pytest.raises(Forbidden):
        coops.put_profile(org_staff(org), org.id, PROFILE)
    with pytest.raises(NotFound):
        coops.put_profile(org_admin(stranger), org.id, PROFILE)


def test_enterprises_have_no_cooperative_profile(places):
    dn = make_org(org_type=OrgType.DN)
    with pytest.raises(ValidationFailed):
        coops.put_profile(org_admin(dn), dn.id, PROFILE)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"field_group": "finance", "agri_subtype": "crops"}, "agri_subtype"),
        ({"agri_subtype": "crops"}, "field_group"),
        ({"field_group": "agriculture", "high_tech_basis": "hitech_zone"}, "high_tech_basis"),
        ({"field_group": "agriculture", "high_tech_status": "claimed"}, "high_tech_basis"),
        (
            {"field_group": "agriculture", "high_tech_status": "claimed",
             "high_tech_basis": "self_declared"},
            "technology_tags",
        ),
        (
            {"field_group": "agriculture", "technology_tags": ["other"]},
            "technology_other",
        ),
        ({"field_group": "agriculture", "technology_tags": ["robots"]}, "technology_tags"),
        (
            {"field_group": "agriculture", "high_tech_evidence_url": "ftp://x"},
            "high_tech_evidence_url",
        ),
        ({"field_group": "agriculture", "governance": "full"}, "governance"),
    ],
)
def test_profile_rules_name_the_failing_field(places, data, field):
    org = make_org()
    with pytest.raises(ValidationFailed) as info:
        coops.put_profile(org_admin(org), org.id, data)
    assert field in field_errors(info)
    assert coops.find_profile(ADMIN, org.id) is None


def test_a_profile_keeps_the_changes_the_indicator_reads(places):
    org = make_org()
    admin = org_admin(org)

    def changes() -> list[tuple[str, str | None, str | None, int | None]]:
        rows = db.session.scalars(select(CooperativeProfileChange)
                                  .where(CooperativeProfileChange.organisation_id == org.id)
                                  .order_by(CooperativeProfileChange.id))
        return [(r.field, r.old_value, r.new_value, r.changed_by_id) for r in rows]

    # Its first values are its registration, and sending them again changes nothing.
    coops.put_profile(admin, org.id, PROFILE)
    coops.put_profile(admin, org.id, PROFILE)
    assert changes() == []
    # What the indicator does not read (governance, sub-type) is not kept.
    coops.put_profile(admin, org.id, {**PROFILE, "size_class": "medium",
                                      "governance_model": "simplified",
                                      "agri_subtype": "livestock"})
    coops.put_profile(admin, org.id, {"field_group": "trade_services",
                                      "high_tech_status": "claimed",
                                      "high_tech_basis": "hitech_zone"})
    assert changes() == [
        ("size_class", "small", "medium", admin.user_id),
        ("field_group", "agriculture", "trade_services", admin.user_id),
        ("size_class", "medium", None, admin.user_id),
        ("high_tech_status", "none", "claimed", admin.user_id),
        ("high_tech_basis", None, "hitech_zone", admin.user_id),
    ]


def test_only_a_platform_admin_verifies_high_tech_and_it_is_recorded(places):
    org = make_org()
    admin_user, _ = make_user_with_token(platform_role=PlatformRole.ADMIN)
    admin = actor_of(admin_user)
    claim = {
        **PROFILE,
        "high_tech_status": "verified",
        "high_tech_basis": "hitech_enterprise_certificate",
        "high_tech_evidence": "Giấy chứng nhận DNNNƯDCNC số 01/2024",
    }
    with pytest.raises(Forbidden) as info:
        coops.put_profile(org_admin(org), org.id, claim)
    assert "high_tech_status" in field_errors(info)
    coops.put_profile(org_admin(org), org.id, {**claim, "high_tech_status": "claimed"})

    profile = coops.put_profile(admin, org.id, claim)
    assert profile.high_tech_status == HighTechStatus.VERIFIED
    assert profile.verified_by_id == admin_user.id
    assert profile.verified_at is not None

    # The org admin may resend the verified profile unchanged (e.g. to edit the size)…
    again = coops.put_profile(org_admin(org), org.id, {**claim, "size_class": "medium"})
    assert again.high_tech_status == HighTechStatus.VERIFIED
    assert again.verified_by_id == admin_user.id
    # …but not change what was verified while keeping the status.
    with pytest.raises(Forbidden):
        coops.put_profile(
            org_admin(org), org.id, {**claim, "high_tech_evidence": "Tài liệu khác"}
        )
    # Downgrading clears the verification.
    claimed = coops.put_profile(
        org_admin(org), org.id, {**claim, "high_tech_status": "claimed"}
    )
    assert claimed.verified_by_id is None and claimed.verified_at is None


def test_a_self_declaration_cannot_be_verified(places):
    org = make_org()
    with pytest.raises(ValidationFailed) as info:
        coops.put_profile(
            ADMIN,
            org.id,
            {**PROFILE, "high_tech_status": "verified", "high_tech_basis": "self_declared",
             "technology_tags": ["hydroponics"]},
        )
    assert "high_tech_basis" in field_errors(info)


# --- Law 2023 warnings ---------------------------------------------------------------------


def _add_members(org: Organisation, n: int, member_type: MemberType = MemberType.OFFICIAL):
    for i in range(n):
        db.session.add(
            Member(
                organisation_id=org.id,
                member_type=member_type,
                member_kind=MemberKind.INDIVIDUAL,
                display_name=f"Thành viên {i}",
            )
        )
    db.session.flush()


def test_htx_below_five_official_members_is_warned_not_blocked(places):
    org = make_org()
    assert "5" in coops.profile_warnings(org)[0]  # nothing recorded yet
    _add_members(org, 4)
    _add_members(org, 3, MemberType.ASSOCIATE_CAPITAL)
    warnings = coops.profile_warnings(org)
    assert len(warnings) == 1 and "4" in warnings[0]
    _add_members(org, 1)
    assert coops.profile_warnings(org) == []


def test_member_warning_falls_back_to_the_latest_yearly_figures(places):
    org = make_org()
    coops.put_figures(org_admin(org), org.id, 2024, {"official_members": 3})
    coops.put_figures(org_admin(org), org.id, 2025, {"official_members": 120})
    assert coops.profile_warnings(org) == []
    coops.put_figures(org_admin(org), org.id, 2026, {"official_members": 2})
    assert "2" in coops.profile_warnings(org)[0]


def test_tht_needs_two_members_of_any_type(places):
    tht = make_org(org_type=OrgType.THT)
    _add_members(tht, 1, MemberType.ASSOCIATE_NO_CAPITAL)
    assert coops.profile_warnings(tht)
    _add_members(tht, 1)
    assert coops.profile_warnings(tht) == []


def test_union_below_three_member_cooperatives_is_warned(places):
    union = make_org("Liên hiệp HTX Hà Nội", OrgType.LHHTX)
    for i in range(3):
        htx = make_org(f"HTX {i}")
        coops.add_union_membership(
            ADMIN, union.id, {"counterpart_id": htx.id, "joined_on": date(2024, 1, 1)}
        )
        assert bool(coops.profile_warnings(union)) == (i < 2)


def test_closed_organisations_and_enterprises_get_no_warnings(places):
    assert coops.profile_warnings(make_org(status=OrgStatus.DISSOLVED)) == []
    assert coops.profile_warnings(make_org(org_type=OrgType.DN)) == []


# --- yearly figures ----------------------------------------------------------------------


def test_figures_for_a_year_are_replaced_and_a_score_sets_the_rating(places):
    org = make_org()
    figures, created = coops.put_figures(
        org_admin(org),
        org.id,
        2025,
        {"official_members": 180, "households": 150, "revenue_vnd": 4_600_000_000,
         "rating_score": 82},
    )
    assert created and figures.rating == Rating.GOOD
    figures, created = coops.put_figures(org_admin(org), org.id, 2025, {"official_members": 9})
    assert not created
    assert figures.households == 0 and figures.revenue_vnd is None and figures.rating is None
    assert coops.get_figures(org_staff(org), org.id, 2025).official_members == 9
    # The members and the rating are kept as they were reported (the indicator as known
    # at a past date reads them); the households and revenue are not.
    kept = db.session.scalars(select(YearlyFiguresChange)
                              .where(YearlyFiguresChange.figures_id == figures.id)
                              .order_by(YearlyFiguresChange.id))
    assert [(k.field, k.old_value, k.new_value) for k in kept] == [
        ("official_members", "180", "9"), ("rating", "good", None)]


def test_revenue_beyond_32_bits_is_kept_exactly(places):
    org = make_org()
    coops.put_figures(org_admin(org), org.id, 2025, {"revenue_vnd": 123_456_789_012_345})
    db.session.expire_all()
    assert coops.get_figures(ADMIN, org.id, 2025).revenue_vnd == 123_456_789_012_345


@pytest.mark.parametrize(
    ("score", "rating"), [(100, "good"), (80, "good"), (79, "fair"), (65, "fair"),
                          (64, "average"), (50, "average"), (49, "weak"), (0, "weak")]
)
def test_rating_bands_follow_the_thresholds(score, rating):
    assert rating_for_score(score) == rating


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rating": "good", "rating_score": 70}, "rating"),
        ({"rating_score": 101}, "rating_score"),
        ({"official_members": -1}, "official_members"),
        ({"revenue_vnd": 1.5}, "revenue_vnd"),
        ({"rating": "excellent"}, "rating"),
        ({"members": 3}, "members"),
    ],
)
def test_inconsistent_figures_are_refused(places, data, field):
    org = make_org()
    with pytest.raises(ValidationFailed) as info:
        coops.put_figures(org_admin(org), org.id, 2025, data)
    assert field in field_errors(info)
    assert db.session.scalars(coops.list_figures(ADMIN, org.id)).all() == []


def test_figures_year_must_be_plausible(places):
    org = make_org()
    for year in (1800, date.today().year + 5):
        with pytest.raises(ValidationFailed) as info:
            coops.put_figures(org_admin(org), org.id, year, {})
        assert "year" in field_errors(info)


def test_figures_are_private_and_written_by_org_admins(places):
    org = make_org(province_code=HANOI)
    coops.put_figures(org_admin(org), org.id, 2025, {"official_members": 7})
    other = make_org()
    with pytest.raises(NotFound):
        coops.list_figures(org_admin(other), org.id)
    with pytest.raises(NotFound):
        coops.get_figures(authority(HCMC), org.id, 2025)
    assert coops.get_figures(authority(HANOI), org.id, 2025).official_members == 7
    with pytest.raises(Forbidden):
        coops.put_figures(org_staff(org), org.id, 2025, {})
    with pytest.raises(Forbidden):
        coops.put_figures(authority(HANOI), org.id, 2025, {})


# --- union memberships -------------------------------------------------------------------


def test_union_admin_admits_a_cooperative_and_both_sides_see_it(places):
    union = make_org("Liên hiệp HTX", OrgType.LHHTX)
    htx = make_org("HTX Thành viên")
    m = coops.add_union_membership(
        org_admin(union), union.id, {"counterpart_id": htx.id, "joined_on": date(2024, 5, 1)}
    )
    assert (m.union.id, m.member.id) == (union.id, htx.id)
    for org in (union, htx):
        listed = db.session.scalars(coops.list_union_memberships(org_admin(org), org.id))
        assert [x.id for x in listed.unique()] == [m.id]
    with pytest.raises(Conflict):
        coops.add_union_membership(
            ADMIN, htx.id, {"counterpart_id": union.id, "joined_on": date(2024, 6, 1)}
        )


def test_a_cooperative_cannot_enrol_itself_in_a_union(places):
    union = make_org("Liên hiệp HTX", OrgType.LHHTX)
    htx = make_org()
    with pytest.raises(Forbidden):
        coops.add_union_membership(
            org_admin(htx), htx.id, {"counterpart_id": union.id, "joined_on": date(2024, 1, 1)}
        )
    assert db.session.scalar(select(func.count()).select_from(UnionMembership)) == 0


def test_only_htx_join_unions(places):
    union = make_org("Liên hiệp HTX", OrgType.LHHTX)
    for other in (make_org(org_type=OrgType.DN), make_org("LH khác", OrgType.LHHTX)):
        with pytest.raises(ValidationFailed) as info:
            coops.add_union_membership(
                ADMIN, union.id, {"counterpart_id": other.id, "joined_on": date(2024, 1, 1)}
            )
        assert "counterpart_id" in field_errors(info)


def test_a_member_leaves_and_the_history_stays(places):
    union = make_org("Liên hiệp HTX", OrgType.LHHTX)
    htx = make_org()
    m = coops.add_union_membership(
        ADMIN, union.id, {"counterpart_id": htx.id, "joined_on": date(2024, 1, 1)}
    )
    with pytest.raises(ValidationFailed):
        coops.end_union_membership(org_admin(htx), htx.id, m.id, date(2023, 1, 1))
    ended = coops.end_union_membership(org_admin(htx), htx.id, m.id, date(2025, 1, 1))
    assert ended.left_on == date(2025, 1, 1)
    with pytest.raises(Conflict):
        coops.end_union_membership(org_admin(htx), htx.id, m.id, date(2025, 2, 1))
    # Rejoining opens a new membership; the old one is kept.
    coops.add_union_membership(
        ADMIN, union.id, {"counterpart_id": htx.id, "joined_on": date(2025, 6, 1)}
    )
    assert db.session.scalar(select(func.count()).select_from(UnionMembership)) == 2
    other = make_org()
    with pytest.raises(NotFound):
        coops.end_union_membership(org_admin(other), other.id, m.id, date(2025, 1, 1))


def test_a_membership_ending_in_the_future_still_counts_today(places):
    union = make_org("Liên hiệp HTX", OrgType.LHHTX)
    htx = make_org()
    m = coops.add_union_membership(
        ADMIN, union.id, {"counterpart_id": htx.id, "joined_on": date(2024, 1, 1)}
    )
    coops.end_union_membership(ADMIN, union.id, m.id, orgs.local_today() + timedelta(days=30))
    assert coops.active_union_member_count(union.id) == 1
