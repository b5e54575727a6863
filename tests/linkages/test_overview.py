"""The figures beside the linkage indicator (linkages/indicator/overview.py) on the
hand-built country of tests/linkages/overview_world.py, whose docstring describes every
organisation. Expected figures are worked out by hand below.

Statistical year 2025 as of today: reference day 14 Dec 2025.

- Open HTX (every field group): a1, a2, a3, a6, a7, a8 = 6; not a4 (dissolved 1 Jul 2025),
  a5 (suspended). THT: t1, t3 = 2 (t2 dissolved). LHHTX: u1 = 1 (u2 registered 2026).
- High-tech among them: verified a1, a6, a7 = 3 (a4 is closed); claimed a2 = 1 (a5 is
  suspended).
- Members (2025 figures of the open HTX): a1 125 + a2 50 + a3 30 + a6 10 + a8 15 = 230
  (official 205, associate with capital 20, without 5); 5 HTX report (a7 does not).
- The denominator (agricultural, open): a1, a2, a3, a7, a8 = 5 (a6 is not agricultural).
  Traceability: a1, a7 (two events each), a8 (its storing recorded 10 Jan 2026, known
  today) = 3 of 5; not a2 (one event), a3 (its two-event batch is void, the other has one
  event in the period).
- Rating over the denominator: rated a1 good, a2 fair, a3 average = 3; unrated a7 (no
  figures), a8 (figures, no rating) = 2; good or fair 2 of the 3 rated = 66.67 %.
- OCOP valid on 14 Dec 2025: 3★ a7; 4★ a1, d1; 5★ a6 = 4. Not a2's (expired 1 Jun
  2024), a3's (revoked 1 Oct 2025), d1's 3★ (issued 5 Jan 2026).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from core.actor import ANONYMOUS, Actor, OrgRole, PlatformRole
from core.db import db
from core.errors import Forbidden, Unauthenticated, ValidationFailed
from linkages.indicator.overview import overview
from linkages.models.targets import (
    METRIC_UNITS,
    NATIONAL,
    IndicatorTarget,
    TargetMetric,
    TargetQualifier,
)
from tests.factories import HANOI, HCMC
from tests.linkages.indicator_world import IndicatorWorld
from tests.linkages.overview_world import build

ADMIN = Actor(user_id=1, platform_role=PlatformRole.ADMIN)
HCMC_AUTHORITY = Actor(user_id=1, platform_role=PlatformRole.AUTHORITY, province_code=HCMC)


@pytest.fixture()
def world() -> IndicatorWorld:
    return build()


def ask(actor: Actor = ADMIN, **params: Any) -> dict[str, Any]:
    params.setdefault("year", 2025)
    return overview(actor, **params)


def counts(out: dict[str, Any]) -> tuple[int, int, int, int]:
    c = out["counts"]
    return c["htx"]["value"], c["tht"]["value"], c["lhhtx"]["value"], c["members"]["value"]


def stars(out: dict[str, Any]) -> dict[int | None, int]:
    return {row["stars"]: row["products"] for row in out["ocop"]["by_stars"]}


def rating(out: dict[str, Any]) -> tuple[int, int, int, int, int, int]:
    r = out["rating"]
    return r["denominator"], r["rated"], r["unrated"], r["good"], r["fair"], r["good_fair"]


def test_the_statistical_year_nationally(world: IndicatorWorld) -> None:
    out = ask()
    assert out["reference_day"] == date(2025, 12, 14) and out["statistical_year"] == 2025
    assert out["target_scope"] == NATIONAL
    assert counts(out) == (6, 2, 1, 230)
    members = out["counts"]["members"]
    assert (members["official"], members["associate_capital"],
            members["associate_no_capital"], members["reporting"]) == (205, 20, 5, 5)
    high_tech = out["high_tech"]
    assert (high_tech["value"], high_tech["verified"], high_tech["claimed"]) == (3, 3, 1)
    assert out["traceability"] == {"numerator": 3, "denominator": 5, "share": 0.6,
                                   "percent": 60.0}
    assert stars(out) == {3: 1, 4: 2, 5: 1} and out["ocop"]["products"] == 4
    assert rating(out) == (5, 3, 2, 1, 1, 2)
    assert out["rating"]["share"] == 0.6667 and out["rating"]["value"] == 66.67
    # No target recorded: none shown, no gap.
    assert out["counts"]["htx"]["target"] is None
    assert out["counts"]["htx"]["target_2030"] is None


def test_suspended_ones_count_only_when_asked(world: IndicatorWorld) -> None:
    # a5 joins: an open HTX with a claim, 20 members rated good, a two-event batch.
    out = ask(include_suspended=True)
    assert counts(out) == (7, 2, 1, 250)
    assert (out["high_tech"]["verified"], out["high_tech"]["claimed"]) == (3, 2)
    assert (out["traceability"]["numerator"], out["traceability"]["denominator"]) == (4, 6)
    assert rating(out) == (6, 4, 2, 2, 1, 3) and out["rating"]["share"] == 0.75


def test_as_of_a_past_date_sees_what_was_recorded_then(world: IndicatorWorld) -> None:
    # As of 31 Dec 2025 the reference day is still 14 Dec 2025, but a8's storing
    # (recorded 10 Jan 2026) is not known yet: a8 has one event.
    out = ask(as_of=date(2025, 12, 31))
    assert (out["traceability"]["numerator"], out["traceability"]["denominator"]) == (2, 5)
    assert counts(out) == (6, 2, 1, 230)

    # As of 30 Jun 2025 (the reference day): a4 not dissolved yet (1 Jul), t2 already
    # (1 May); no yearly figures recorded yet (1 Dec 2025); a8's batch not yet made
    # (1 Nov). Open HTX a1, a2, a3, a4, a6, a7, a8; verified a1, a4, a6, a7. The
    # denominator a1, a2, a3, a4, a7, a8; traced a1, a4, a7. OCOP: a3's 4★ not revoked yet.
    out = ask(as_of=date(2025, 6, 30))
    assert out["reference_day"] == date(2025, 6, 30)
    assert counts(out) == (7, 2, 1, 0) and out["counts"]["members"]["reporting"] == 0
    assert (out["high_tech"]["verified"], out["high_tech"]["claimed"]) == (4, 1)
    assert (out["traceability"]["numerator"], out["traceability"]["denominator"]) == (3, 6)
    assert stars(out) == {3: 1, 4: 3, 5: 1}
    assert rating(out) == (6, 0, 6, 0, 0, 0)
    assert out["rating"]["share"] is None and out["rating"]["value"] is None


def test_the_next_year(world: IndicatorWorld) -> None:
    # 2026 (15 Dec 2025 – 14 Dec 2026), as of today: u2 registered 1 Feb 2026 now counts;
    # no yearly figures of 2026; no event in the period.
    out = ask(year=2026)
    assert out["statistical_year"] == 2026
    assert counts(out) == (6, 2, 2, 0)
    assert (out["traceability"]["numerator"], out["traceability"]["denominator"]) == (0, 5)
    # a calendar year's figures are those of the statistical year of the same number
    assert ask(period="calendar_year")["statistical_year"] == 2025
    # a range's, those of the statistical year its end falls in (20 Dec 2025: 2026)
    ranged = ask(year=None, from_=date(2025, 1, 1), to=date(2025, 12, 20))
    assert ranged["statistical_year"] == 2026 and ranged["period"]["kind"] == "range"


def _target(metric: TargetMetric, year: int, value: float, scope: str = NATIONAL) -> None:
    db.session.add(IndicatorTarget(
        metric=metric, scope=scope, year=year, value=value, unit=METRIC_UNITS[metric],
        qualifier=TargetQualifier.EXACT, source="test", verified=True))
    db.session.commit()


def test_targets_of_the_year_and_of_2030_with_the_gap(world: IndicatorWorld) -> None:
    _target(TargetMetric.HTX_COUNT, 2025, 35000)
    _target(TargetMetric.HTX_COUNT, 2030, 45000)
    _target(TargetMetric.HIGH_TECH_HTX, 2030, 5000)
    _target(TargetMetric.EFFECTIVE_SHARE, 2030, 70)
    _target(TargetMetric.MEMBERS, 2024, 1000)  # another year: not shown
    _target(TargetMetric.HTX_COUNT, 2030, 1000, HANOI)
    _target(TargetMetric.HIGH_TECH_HTX, 2025, 10, HANOI)

    out = ask()
    htx = out["counts"]["htx"]
    assert htx["target"]["value"] == 35000 and htx["target"]["gap"] == 35000 - 6
    assert htx["target_2030"]["gap"] == 45000 - 6 and htx["target_2030"]["year"] == 2030
    assert out["high_tech"]["target"] is None
    assert out["high_tech"]["target_2030"]["gap"] == 5000 - 3
    # a share's gap is in percentage points
    assert out["rating"]["target_2030"]["gap"] == round(70 - 66.67, 2)
    assert out["rating"]["target_2030"]["unit"] == "share"
    assert out["counts"]["members"]["target"] is None
    assert out["counts"]["tht"]["target_2030"] is None

    # A province is measured against its own targets; its counts never against the
    # national ones, its shares against them when it has none of its own (saying so).
    # Hà Nội: open HTX a1, a2, a3, a6, a8 = 5; verified a1, a6 = 2.
    hanoi = ask(province=HANOI)
    assert hanoi["target_scope"] == HANOI
    assert hanoi["counts"]["htx"]["target"] is None
    assert hanoi["counts"]["htx"]["target_2030"]["gap"] == 1000 - 5
    assert hanoi["counts"]["htx"]["target_2030"]["scope"] == HANOI
    assert hanoi["high_tech"]["target"]["gap"] == 10 - 2
    assert hanoi["high_tech"]["target_2030"] is None  # the country's 5,000 is not Hà Nội's
    national_share = hanoi["rating"]["target_2030"]
    assert national_share["scope"] == NATIONAL and national_share["value"] == 70
    assert national_share["gap"] == round(70 - hanoi["rating"]["value"], 2)
    # A target of its own wins over the national one.
    _target(TargetMetric.EFFECTIVE_SHARE, 2030, 60, HANOI)
    own = ask(province=HANOI)["rating"]["target_2030"]
    assert own["scope"] == HANOI and own["value"] == 60


def test_a_province_authority_sees_its_province_only(world: IndicatorWorld) -> None:
    # Hồ Chí Minh City: a7 (verified, no figures, traced, 3★), t3.
    out = ask(HCMC_AUTHORITY)
    assert out["scope_province"] == HCMC and out["target_scope"] == HCMC
    assert counts(out) == (1, 1, 0, 0)
    assert (out["high_tech"]["verified"], out["high_tech"]["claimed"]) == (1, 0)
    assert (out["traceability"]["numerator"], out["traceability"]["denominator"]) == (1, 1)
    assert stars(out) == {3: 1, 4: 0, 5: 0}
    assert rating(out) == (1, 0, 1, 0, 0, 0)
    # Asking for Hà Nội shows nothing of Hà Nội: both the asked and the own province hold.
    other = ask(HCMC_AUTHORITY, province=HANOI)
    assert other["scope_province"] == HCMC and other["target_scope"] == HCMC
    assert counts(other) == (0, 0, 0, 0) and other["ocop"]["products"] == 0
    assert other["traceability"]["denominator"] == 0 and other["high_tech"]["value"] == 0
    # Hà Nội itself, asked by an admin: a1, a2, a3, a6, a8; t1; u1.
    hanoi = ask(province=HANOI)
    assert counts(hanoi) == (5, 1, 1, 230)
    assert (hanoi["traceability"]["numerator"], hanoi["traceability"]["denominator"]) == (2, 4)
    assert stars(hanoi) == {3: 0, 4: 2, 5: 1}


def test_only_admins_and_authorities_ask(world: IndicatorWorld) -> None:
    with pytest.raises(Unauthenticated):
        ask(ANONYMOUS)
    member = Actor(user_id=1, organisation_id=world.id("a1"), org_role=OrgRole.ORG_ADMIN)
    with pytest.raises(Forbidden):
        ask(member)


@pytest.mark.parametrize(("params", "field"), [
    ({"province": "98"}, "province"),
    ({"year": None, "from_": date(2025, 2, 1), "to": date(2025, 1, 1)}, "to"),
    ({"year": None, "from_": date(2025, 2, 1)}, "to"),
    ({"as_of": date(2999, 1, 1)}, "as_of"),
    ({"year": 1800}, "year"),
])
def test_bad_input_names_the_parameter(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        ask(**params)
    assert field in raised.value.field_errors


def test_extreme_ranges_do_not_overflow() -> None:
    # The period's days are turned into instants in Vietnam: the ends of the calendar
    # leave the range open instead.
    out = ask(year=None, from_=date(9990, 1, 1), to=date(9999, 12, 30))
    assert out["traceability"]["denominator"] == 0
    out = ask(year=None, from_=date(1, 1, 1), to=date(1, 1, 2), as_of=date(1, 1, 1))
    assert counts(out) == (0, 0, 0, 0)


def test_a_high_tech_status_counts_from_the_day_it_is_recorded(world: IndicatorWorld) -> None:
    # A platform admin verifies a2's claim today, on the basis of a provincial list: the
    # year 2026 (reference day today) counts it verified; the year 2025 (reference day
    # 14 Dec 2025), and 2026 as of yesterday, still count it claimed.
    from core.clock import local_today
    from linkages.services import cooperatives
    from tests.factories import actor_of, make_user_with_token

    def high_tech(**params: Any) -> tuple[int, int]:
        out = ask(**params)["high_tech"]
        return out["verified"], out["claimed"]

    yesterday = date.fromordinal(local_today().toordinal() - 1)
    assert high_tech() == (3, 1)
    assert high_tech(year=2026) == (3, 1)
    admin = actor_of(make_user_with_token(platform_role=PlatformRole.ADMIN)[0])
    cooperatives.put_profile(admin, world.id("a2"), {
        "field_group": "agriculture", "high_tech_status": "verified",
        "high_tech_basis": "provincial_list", "technology_tags": ["drip_irrigation"]})
    db.session.commit()
    assert high_tech(year=2026) == (4, 0)
    assert high_tech(year=2026, as_of=yesterday) == (3, 1)
    assert high_tech() == (3, 1)


def test_yearly_figures_edited_later_keep_what_was_reported_before(
    world: IndicatorWorld,
) -> None:
    # a1 corrects its 2025 figures today: 160 official members instead of 100, no
    # associates, rated average (a score of 60) instead of good. Today's computation of
    # 2025 reads the correction; as known yesterday, the 2025 figures are those reported.
    from core.clock import local_today
    from linkages.services import cooperatives
    from tests.factories import actor_of, make_user_with_token

    yesterday = date.fromordinal(local_today().toordinal() - 1)
    admin = actor_of(make_user_with_token(platform_role=PlatformRole.ADMIN)[0])
    cooperatives.put_figures(admin, world.id("a1"), 2025,
                             {"official_members": 160, "rating_score": 60})
    db.session.commit()
    out = ask()
    assert counts(out)[3] == 230 - 125 + 160
    assert out["counts"]["members"]["associate_capital"] == 0
    assert rating(out) == (5, 3, 2, 0, 1, 1)  # a1 average, a2 fair, a3 average
    past = ask(as_of=yesterday)
    assert counts(past) == (6, 2, 1, 230)
    members = past["counts"]["members"]
    assert (members["official"], members["associate_capital"],
            members["associate_no_capital"]) == (205, 20, 5)
    assert rating(past) == (5, 3, 2, 1, 1, 2)


def test_a_lot_voided_and_a_revocation_recorded_today_leave_yesterday_as_it_was(
    world: IndicatorWorld,
) -> None:
    # Today a1 withdraws the harvest that made its lot (the lot becomes void, its events
    # no longer count), and its OCOP 4★ certificate is revoked with effect from 1 Dec
    # 2025. The year 2025 as of today loses a1 from traceability and its 4★; as known
    # yesterday, the harvest, the lot and the certificate still stood.
    from sqlalchemy import select

    from core.clock import local_today
    from linkages.models.certifications import Certification
    from linkages.services.certifications import revoke_certification
    from tests.factories import make_user_with_token
    from tests.linkages.overview_world import batch_event
    from traceability.models import Batch, BatchStatus, EpcisEvent
    from traceability.services.recording import correct_event

    def traced(out: dict[str, Any]) -> tuple[int, int]:
        return out["traceability"]["numerator"], out["traceability"]["denominator"]

    yesterday = date.fromordinal(local_today().toordinal() - 1)
    assert traced(ask(as_of=yesterday)) == (3, 5)
    assert stars(ask(as_of=yesterday)) == {3: 1, 4: 2, 5: 1}
    a1 = world.id("a1")
    user, _headers = make_user_with_token(world.orgs["a1"])
    actor = Actor(user_id=user.id, organisation_id=a1, org_role=OrgRole.ORG_ADMIN)
    lot = db.session.scalar(select(Batch).where(Batch.organisation_id == a1))
    assert lot is not None
    harvest = db.session.get(EpcisEvent, batch_event(lot.id))
    assert harvest is not None
    correct_event(actor, harvest.event_id, reason="did_not_occur")
    certificate = db.session.scalar(
        select(Certification.id).where(Certification.organisation_id == a1))
    assert certificate is not None
    revoke_certification(actor, certificate, date(2025, 12, 1), "withdrawn by the council")
    db.session.commit()
    db.session.refresh(lot)
    assert lot.status == BatchStatus.VOID and lot.voided_at == harvest.retracted_at

    assert traced(ask()) == (2, 5)
    assert stars(ask()) == {3: 1, 4: 1, 5: 1}
    assert traced(ask(as_of=yesterday)) == (3, 5)
    assert stars(ask(as_of=yesterday)) == {3: 1, 4: 2, 5: 1}


@pytest.mark.parametrize(("correction", "today"), [
    ({"ocop_stars": 5, "ocop_score": 92}, {3: 1, 4: 1, 5: 2}),  # a better rank
    ({"expires_on": date(2025, 11, 1)}, {3: 1, 4: 1, 5: 1}),  # expired before 14 Dec
])
def test_a_certificate_corrected_today_leaves_yesterday_as_it_was(
    world: IndicatorWorld, correction: dict[str, Any], today: dict[int, int],
) -> None:
    # a1's OCOP 4★ certificate is corrected today. The year 2025 as of today reads the
    # correction; as known yesterday, the certificate is what was recorded then.
    from sqlalchemy import select

    from core.clock import local_today
    from linkages.models.certifications import CertFact, Certification, CertificationChange
    from linkages.services.certifications import update_certification
    from tests.factories import make_user_with_token

    yesterday = date.fromordinal(local_today().toordinal() - 1)
    a1 = world.id("a1")
    certificate = db.session.scalar(
        select(Certification.id).where(Certification.organisation_id == a1))
    assert certificate is not None
    user, _headers = make_user_with_token(world.orgs["a1"])
    update_certification(Actor(user_id=user.id, organisation_id=a1,
                               org_role=OrgRole.ORG_ADMIN), certificate, **correction)
    db.session.commit()
    kept = {c.field: (c.old_value, c.new_value)
            for c in db.session.scalars(select(CertificationChange))}
    if "ocop_stars" in correction:
        assert kept == {CertFact.OCOP_STARS: ("4", "5")}
    else:
        assert kept == {CertFact.EXPIRES_ON: ("2027-01-01", "2025-11-01")}
    assert stars(ask()) == today
    assert stars(ask(as_of=yesterday)) == {3: 1, 4: 2, 5: 1}
