"""The demo country (``flask seed-demo``): its documented shape, its accounts, its
determinism and its refusal to touch a registry that already holds data."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from statistics import mean

import pytest
from sqlalchemy import delete, func, select

from app.auth.models import Membership, User
from app.auth.services import authenticate
from app.commands import demo as demo_command
from app.demo import country
from app.demo.country import (
    COFFEE_BUYER,
    COFFEE_HTX,
    COFFEE_UNION,
    DEMO_ACCOUNTS,
    MERGER_DATE,
    REFERENCE_DATE,
    DemoReport,
    PlacesNotLoaded,
    RegistryNotEmpty,
    load_places_index,
    plan_demo_country,
    seed_demo_country,
)
from core.actor import SYSTEM, OrgRole, PlatformRole
from core.db import db
from linkages.models import (
    Certification,
    CertScheme,
    Commune,
    LegacyProvince,
    Member,
    MemberContribution,
    MemberType,
    Organisation,
    OrgStatus,
    OrgType,
)
from linkages.models.certifications import ocop_stars_for_score
from linkages.models.cooperatives import (
    CooperativeProfile,
    FieldGroup,
    HighTechStatus,
    UnionMembership,
    YearlyFigures,
    rating_for_score,
)
from linkages.services.cooperatives import put_figures
from linkages.services.members import add_member
from linkages.taxcode import validate_registration_code
from tests.factories import make_org


def _name_code_digest(rows: list[tuple[str, str]]) -> str:
    text = "\n".join(f"{name}\t{code}" for name, code in rows)
    return hashlib.sha256(text.encode()).hexdigest()


def test_seeding_builds_the_documented_demo_country(demo_country):
    # Seeded by ``seed_demo_country()`` on today's date, once for this test and
    # test_seed_demo_traces.py (tests/conftest.py), on a database of its own.
    report = demo_country
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.id)).all()
    types = Counter(o.org_type for o in orgs)
    assert 110 <= types[OrgType.HTX] <= 130
    assert types[OrgType.LHHTX] == 6
    assert 35 <= types[OrgType.THT] <= 45
    assert 30 <= types[OrgType.DN] <= 40
    assert types[OrgType.HOUSEHOLD_BUSINESS] >= 3
    htx = [o for o in orgs if o.org_type == OrgType.HTX]
    assert 18 <= len({o.province_code for o in htx}) <= 24
    assert len({o.name for o in orgs}) == len(orgs)

    # The database holds exactly the plan: same names and codes, in creation order.
    assert report.digest == plan_demo_country(2026, load_places_index()).digest()
    assert _name_code_digest([(o.name, o.registration_code) for o in orgs]) == report.digest

    # Registration codes: valid for their type (checksums, branches, personal IDs).
    for org in orgs:
        assert validate_registration_code(org.registration_code, org.org_type) == (
            org.registration_code
        )
    assert any(re.fullmatch(r"[0-9]{10}-[0-9]{3}", o.registration_code) for o in orgs)

    # Addresses: a real commune of the organisation's province; legacy province before
    # 1 July 2025 (one merged into the province), none after.
    communes = dict(db.session.execute(select(Commune.code, Commune.province_code)).all())
    legacy = dict(
        db.session.execute(select(LegacyProvince.code, LegacyProvince.new_province_code)).all()
    )
    for org in orgs:
        assert communes[org.commune_code] == org.province_code
        assert date_between(org.registered_on, 1995, REFERENCE_DATE.year)
        if org.registered_on < MERGER_DATE:
            assert legacy[org.legacy_province_code] == org.province_code
        else:
            assert org.legacy_province_code is None
    assert {o.registered_on.year for o in htx} >= {1997, 2025}
    statuses = Counter(o.status for o in orgs)
    assert statuses[OrgStatus.ACTIVE] > 0.9 * len(orgs)
    assert statuses[OrgStatus.SUSPENDED] >= 2 and statuses[OrgStatus.DISSOLVED] >= 2

    # Profiles: about two thirds agricultural; 7–10% of those verified high-tech on an
    # official basis, a few more claimed.
    profiles = {
        p.organisation_id: p for p in db.session.scalars(select(CooperativeProfile)).all()
    }
    agricultural = [o for o in htx if profiles[o.id].field_group == FieldGroup.AGRICULTURE]
    assert 0.6 <= len(agricultural) / len(htx) <= 0.72
    assert {profiles[o.id].field_group for o in htx} == set(FieldGroup)
    verified = [o for o in agricultural
                if profiles[o.id].high_tech_status == HighTechStatus.VERIFIED]
    assert 0.07 <= len(verified) / len(agricultural) <= 0.10
    assert all(profiles[o.id].high_tech_basis.value != "self_declared" for o in verified)
    assert all(profiles[o.id].verified_at is not None for o in verified)
    claimed = [p for p in profiles.values() if p.high_tech_status == HighTechStatus.CLAIMED]
    assert len(claimed) >= 3 and all(p.technology_tags for p in claimed)

    # Yearly figures 2023–2025: national averages in the DOMAIN.md §7 bands, ratings
    # spread over the four grades and matching their scores.
    figures = db.session.scalars(
        select(YearlyFigures).join(Organisation, Organisation.id == YearlyFigures.organisation_id)
        .where(Organisation.org_type == OrgType.HTX)
    ).all()
    for year in (2023, 2024, 2025):
        rows = [f for f in figures if f.year == year]
        members = [f.official_members + f.associate_capital_members
                   + f.associate_no_capital_members for f in rows]
        assert 165 <= mean(members) <= 200, year
        assert max(members) > 2 * min(members)
        assert 2.8e9 <= mean(f.revenue_vnd for f in rows) <= 4.6e9, year
        rated = [f for f in rows if f.rating is not None]
        assert len({f.rating for f in rated}) == 4
        assert all(rating_for_score(f.rating_score) == f.rating for f in rated)

    # Members: a register of 8–30 people per HTX (plus the odd enterprise), at least five
    # official, ID numbers only as keyed hashes.
    per_org = Counter(db.session.scalars(
        select(Member.organisation_id).where(Member.member_type == MemberType.OFFICIAL)
    ).all())
    totals = Counter(db.session.scalars(select(Member.organisation_id)).all())
    for org in htx:
        assert 8 <= totals[org.id] <= 31 and per_org[org.id] >= 5
    ids = db.session.execute(
        select(Member.member_kind, Member.person_id_hash, Member.person_id_last_digits)
    ).all()
    for kind, digest, last in ids:
        if kind == "legal_entity":
            assert digest is None and last is None
        else:
            assert re.fullmatch(r"[0-9a-f]{64}", digest) and re.fullmatch(r"[0-9]{3}", last)

    # Unions: each has at least three member cooperatives.
    union_sizes = Counter(db.session.scalars(select(UnionMembership.union_id)).all())
    unions = [o for o in orgs if o.org_type == OrgType.LHHTX]
    assert all(union_sizes[u.id] >= 3 for u in unions)

    # Certifications: about 30% of HTX certified; some expired, some private; OCOP stars
    # match their scores; export fruit carries planting-area codes.
    certs = db.session.scalars(select(Certification)).all()
    htx_ids = {o.id for o in htx}
    certified = {c.organisation_id for c in certs if c.organisation_id in htx_ids}
    assert 0.25 <= len(certified) / len(htx) <= 0.35
    assert sum(1 for c in certs if not c.is_valid_on(report.today)) >= 3
    assert sum(1 for c in certs if not c.is_public) >= 3
    ocop = [c for c in certs if c.scheme == CertScheme.OCOP]
    assert ocop and all(
        3 <= c.ocop_stars <= 5 and ocop_stars_for_score(c.ocop_score) == c.ocop_stars
        for c in ocop
    )
    assert any(c.scheme == CertScheme.PLANTING_AREA_CODE for c in certs)

    _assert_demo_accounts(report)
    _assert_report_lists_organisations_by_role(report, orgs)


def date_between(day, first_year: int, last_year: int) -> bool:
    return day is not None and first_year <= day.year <= last_year


def _assert_demo_accounts(report: DemoReport) -> None:
    by_name = {o.name: o.id for o in report.all()}
    assert len(DEMO_ACCOUNTS) == len({a.email for a in DEMO_ACCOUNTS}) == 8
    for account in DEMO_ACCOUNTS:
        assert len(account.password) >= 10
        user = authenticate(account.email, account.password)
        assert user is not None, account.email
        assert user.platform_role == account.platform_role
        assert user.province_code == account.province_code
        assert {(m.organisation_id, m.role) for m in user.memberships} == {
            (by_name[name], role) for name, role in account.memberships
        }
    roles = {(a.platform_role, a.province_code) for a in DEMO_ACCOUNTS}
    assert {(PlatformRole.ADMIN, None), (PlatformRole.AUTHORITY, None),
            (PlatformRole.AUTHORITY, "66")} <= roles
    coffee = db.session.get(Organisation, by_name[COFFEE_HTX])
    assert coffee.province_code == "66" and coffee.org_type == OrgType.HTX
    members_of_coffee = {
        r for (r,) in db.session.execute(
            select(Membership.role).where(Membership.organisation_id == coffee.id)
        )
    }
    assert members_of_coffee == {OrgRole.ORG_ADMIN, OrgRole.STAFF}
    assert db.session.get(Organisation, by_name[COFFEE_BUYER]).org_type == OrgType.DN
    assert db.session.get(Organisation, by_name[COFFEE_UNION]).org_type == OrgType.LHHTX
    multi = db.session.scalar(
        select(User).where(User.email == "two.orgs@htxtrace.example")
    )
    assert len(multi.memberships) == 2


def test_members_are_stored_as_planned_with_their_own_contributions(demo_country):
    """The writer bulk-inserts the members and then their contributions by the ids the
    database gave them: every member, in plan order, has the contributions planned for it
    (on SQLite the ids are read back, so a wrong order would attach them to others)."""
    report = demo_country
    plan = plan_demo_country(report.seed, load_places_index(), report.today)
    ids = {o.key: o.id for o in report.all()}
    kinds: dict[int, list[str]] = {}
    for member_id, kind in db.session.execute(
        select(MemberContribution.member_id, MemberContribution.kind)
    ):
        kinds.setdefault(member_id, []).append(kind.value)
    members = db.session.execute(
        select(Member.id, Member.organisation_id, Member.display_name).order_by(Member.id)
    )
    stored = [(org, name, sorted(kinds.get(pk, []))) for pk, org, name in members]
    planned = [
        (ids[o.key], m["display_name"], sorted(m.get("contribution_kinds", [])))
        for o in plan.organisations
        for m in o.members
    ]
    assert stored == planned
    assert sum(len(k) for _org, _name, k in stored) > len(stored)


def _assert_report_lists_organisations_by_role(report: DemoReport, orgs) -> None:
    assert {"htx", "lhhtx", "tht", "buyer", "processor", "input_supplier", "retailer",
            "branch", "household_business"} == set(report.organisations)
    assert len(report.all()) == len(orgs)
    buyers = report.organisations["buyer"]
    assert any("coffee" in b.commodities and b.province_code == "66" for b in buyers)
    assert report.counts["members"] == db.session.scalar(select(func.count(Member.id)))


def test_the_same_seed_plans_the_same_country_and_another_seed_another():
    places = load_places_index()
    first = plan_demo_country(7, places)
    again = plan_demo_country(7, places)
    other = plan_demo_country(8, places)
    assert first.digest() == again.digest()
    assert [o.data for o in first.organisations] == [o.data for o in again.organisations]
    assert [o.members for o in first.organisations] == [o.members for o in again.organisations]
    assert other.digest() != first.digest()
    # The anchors of the demo accounts exist whatever the seed.
    names = {o.name for o in other.organisations}
    assert {COFFEE_HTX, COFFEE_BUYER, COFFEE_UNION} <= names


def test_planned_members_pass_the_member_service():
    """The writer bulk-inserts members for speed; the same data must satisfy the
    service's rules, so a sample (every kind of member) is replayed through it."""
    plan = plan_demo_country(2026, load_places_index())
    with_entity = [o for o in plan.organisations
                   if any(m["member_kind"] == "legal_entity" for m in o.members)]
    sample = plan.by_role("htx")[:4] + plan.by_role("tht")[:2] + with_entity[:2]
    kinds = set()
    for planned in sample:
        org = make_org(f"Bản sao {planned.name}", planned.org_type)
        for member in planned.members:
            add_member(SYSTEM, org.id, **member)
            kinds.add((member["member_type"], member["member_kind"]))
    assert {k for k, _ in kinds} == {t.value for t in MemberType}
    assert {"individual", "household", "legal_entity"} <= {k for _, k in kinds}


def test_planned_figures_are_stored_as_the_figures_service_stores_them():
    """The writer bulk-inserts the yearly figures; replayed through ``put_figures``, a
    sample (cooperatives with and without a rating, unions, groups) gives the very rows
    the writer inserts."""
    plan = plan_demo_country(2026, load_places_index())
    sample = plan.by_role("htx")[:6] + plan.by_role("lhhtx")[:2] + plan.by_role("tht")[:2]
    table = YearlyFigures.__table__
    columns = [c for c in table.columns if c.name not in ("id", "created_at", "updated_at")]
    rated = unrated = 0
    for planned in sample:
        org = make_org(f"Bản sao {planned.name}", planned.org_type)
        for year, figures in planned.figures.items():
            put_figures(SYSTEM, org.id, year, figures)
        query = select(*columns).where(table.c.organisation_id == org.id).order_by(table.c.id)
        stored = [dict(row) for row in db.session.execute(query).mappings()]
        written = country._figure_rows(org.id, planned.figures)
        assert stored == written, planned.name
        rated += sum(1 for row in written if row["rating"] is not None)
        unrated += sum(1 for row in written if row["rating"] is None)
    assert rated and unrated


def test_seeding_refuses_a_registry_that_already_has_organisations(app):
    make_org()
    with pytest.raises(RegistryNotEmpty):
        seed_demo_country()


def test_seeding_without_places_fails_clearly(app):
    db.session.execute(delete(Commune))
    with pytest.raises(PlacesNotLoaded, match="flask places load"):
        seed_demo_country()


def test_seed_demo_if_empty_does_nothing_when_organisations_exist(app):
    make_org()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "not seeded" in result.output
    assert db.session.scalar(select(func.count(Organisation.id))) == 1
    assert db.session.scalar(select(func.count(User.id))) == 0

    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0
    assert "already exist" in refused.output
    assert db.session.scalar(select(func.count(Organisation.id))) == 1


def test_seed_demo_prints_counts_and_the_demo_accounts(app, monkeypatch):
    """The command's output (the seeding itself is the first test's business)."""
    counts = {
        "organisations_htx": 120, "organisations_lhhtx": 6, "organisations_tht": 40,
        "organisations_dn": 36, "organisations_household_business": 5, "provinces": 23,
        "members": 2500, "yearly_figures": 450, "union_memberships": 25,
        "certifications": 60, "high_tech_verified": 7, "high_tech_claimed": 8,
    }
    calls = []

    def fake_seed(seed: int) -> DemoReport:
        calls.append(seed)
        return DemoReport(seed=seed, digest="", organisations={}, accounts=[], counts=counts)

    monkeypatch.setattr(demo_command, "seed_demo_country", fake_seed)
    result = app.test_cli_runner().invoke(args=["seed-demo", "--seed", "11"])
    assert result.exit_code == 0, result.output
    assert calls == [11]
    assert "120 cooperatives (HTX)" in result.output
    for account in DEMO_ACCOUNTS:
        line = next(line for line in result.output.splitlines() if account.email in line)
        assert account.password in line and account.role in line
        for name, _role in account.memberships:
            assert name in line
