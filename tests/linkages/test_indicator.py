"""The linkage indicator on a hand-built country (tests/linkages/indicator_world.py, whose
docstring describes every organisation). Expected figures are worked out by hand below.

Statistical year 2025 (15 Dec 2024 – 14 Dec 2025), as of today (reference day 14 Dec 2025):
the HTX are h1–h13; out of the denominator: h7 (dissolved 1 Jul 2025), h8 (suspended),
h9 (registered 2026), h11 (not agricultural); U1 is a union. Denominator = h1, h2, h3,
h4, h5, h6, h10, h12, h13 = 9.
- A: h1 (K1), h2 (K2 ends 14 Dec 2025: overlaps), h10 (legacy province), h13 = 4;
  not h3 (HTX-led), h4, h5 (draft), h6 (terminated), h12 (none).
- B: A + h3 = 5. C: h1 (accepted delivery) = 1. D: h1 (project) = 1. E: h1 (form 1) = 1.
- Volume: batches 1,000 (h1) + 500 (h2) + 300 (h12) = 1,800 kg; 600 kg of h1's shipped
  under K1 → 600 / 1,800.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale

from core.actor import Actor, PlatformRole
from core.db import db
from core.errors import Forbidden, ValidationFailed
from linkages.indicator import service
from linkages.models.contracts import LinkageContractVersionParty
from linkages.services import contracts
from tests.factories import HANOI, HCMC
from tests.linkages.indicator_world import IndicatorWorld, build

ADMIN = Actor(user_id=1, platform_role=PlatformRole.ADMIN)
HCMC_AUTHORITY = Actor(user_id=1, platform_role=PlatformRole.AUTHORITY, province_code=HCMC)


@pytest.fixture()
def world() -> IndicatorWorld:
    return build()


def total(variant: str, actor: Actor = ADMIN, **params: object) -> tuple[float, float]:
    params.setdefault("year", 2025)
    figure = service.figure(actor, variant=variant, **params)
    return figure["total"]["numerator"], figure["total"]["denominator"]


def drill(actor: Actor = ADMIN, **params: object) -> dict[str, dict[str, object]]:
    """Drill-down rows by organisation name suffix (h1…)."""
    params.setdefault("year", 2025)
    _q, stmt = service.drill(actor, **params)
    rows = [service.drill_row(r) for r in db.session.execute(stmt)]
    return {r["name"].removeprefix("Indicator "): r for r in rows}


@pytest.mark.parametrize(("variant", "expected"), [
    ("A", (4, 9)), ("B", (5, 9)), ("C", (1, 9)), ("D", (1, 9)), ("E", (1, 9)),
    ("V", (600, 1800)),
])
def test_every_variant_on_the_statistical_year(world: IndicatorWorld, variant: str,
                                               expected: tuple[int, int]) -> None:
    assert total(variant) == expected


def test_suspended_count_only_when_asked(world: IndicatorWorld) -> None:
    # h8 joins the denominator, and counts in A through K8.
    assert total("A", include_suspended=True) == (5, 10)


def test_a_contract_ending_on_14_december_belongs_to_that_year_only(
    world: IndicatorWorld,
) -> None:
    # Year 2026, as of today: h1's K1 was terminated on 1 Feb 2026; K2 ended 14 Dec 2025;
    # h13 dissolved on 1 Mar 2026 (out); h9 registered 10 Jan 2026 (in). Denominator:
    # h1–h6, h9, h10, h12 = 9; A: h10 only.
    assert total("A", year=2026) == (1, 9)
    rows = drill(year=2026, variant="A")
    assert rows["h2"]["reason"] == "no_contract_overlapping_period"
    assert rows["h1"]["reason"] == "contract_not_in_force"


def test_a_past_as_of_is_not_altered_by_later_changes(world: IndicatorWorld) -> None:
    # Year 2026 as of 20 Jan 2026: K1 still active (terminated 1 Feb), h13 still open
    # (dissolved 1 Mar): denominator h1–h6, h9, h10, h12, h13 = 10; A: h1, h10, h13.
    assert total("A", year=2026, as_of=date(2026, 1, 20)) == (3, 10)
    # Year 2025 as of 31 Dec 2025: h8's suspension (effective 1 Mar 2025) was recorded
    # only on 5 Jan 2026, so it still counts, with K8: 5 of 10.
    assert total("A", as_of=date(2025, 12, 31)) == (5, 10)


def test_calendar_year_and_ranges(world: IndicatorWorld) -> None:
    # Calendar 2025 ends 31 Dec: K2 overlaps; K1 still active on 31 Dec. Same as 2025.
    assert total("A", period="calendar_year") == (4, 9)
    # 1 Jan – 31 Jan 2024: no contract had begun but K2 (June 2024) — none overlaps; the
    # registry on 31 Jan 2024: h7 open, h8 open, h13 open, h9 not yet registered; h11 not
    # agricultural: h1–h8, h10, h12, h13 = 11.
    assert total("A", from_=date(2024, 1, 1), to=date(2024, 1, 31)) == (0, 11)


def test_breakdown_by_province_maps_the_legacy_province(world: IndicatorWorld) -> None:
    figure = service.figure(ADMIN, variant="A", year=2025, breakdown="province")
    groups = {g["key"]: (g["numerator"], g["denominator"]) for g in figure["groups"]}
    # h10's legacy province 74 (Bình Dương) is now 79.
    assert groups == {HANOI: (3, 8), HCMC: (1, 1)}


def test_breakdown_by_region_under_the_legacy_scheme(world: IndicatorWorld) -> None:
    figure = service.figure(ADMIN, variant="A", year=2025, breakdown="region",
                            region_scheme="VN6_2021_2030")
    groups = {g["key"]: (g["numerator"], g["denominator"]) for g in figure["groups"]}
    assert groups == {"DBSH": (3, 8), "DNB": (1, 1)}


def test_breakdowns_by_contract(world: IndicatorWorld) -> None:
    def groups(breakdown: str, variant: str = "A") -> dict[object, int]:
        figure = service.figure(ADMIN, variant=variant, year=2025, breakdown=breakdown)
        return {g["key"]: g["numerator"] for g in figure["groups"]}

    # K1 form 1, K2 form 2, K10 and K13 form 3.
    assert groups("form") == {"1": 1, "2": 1, "3": 2}
    # Leaders: K2 and K13 led by DN1; K1 and K10 name no leader; B adds K3 (h4 leads).
    assert groups("leader_type") == {"dn_led": 2, "other": 2}
    assert groups("leader_type", "B") == {"dn_led": 2, "other": 2, "htx_led": 1}
    assert groups("commodity") == {"coffee": 4}
    assert groups("size_class") == {"medium": 2, "small": 2}


def test_gap_to_target(world: IndicatorWorld) -> None:
    figure = service.figure(ADMIN, variant="B", year=2025, target=50)
    # 5 / 9 = 55.56 %: 5.56 points above the target.
    assert figure["total"]["percent"] == 55.56
    assert figure["total"]["gap_to_target"] == -5.56
    assert figure["variant"]["version"] == "1"
    assert figure["variant"]["definition"]


def test_trend_over_three_years(world: IndicatorWorld) -> None:
    points = service.trend(ADMIN, variant="A", year=2026, years=3)["points"]
    assert [(p["year"], p["numerator"], p["denominator"]) for p in points] == [
        # 2024 (15 Dec 2023 – 14 Dec 2024): only K2 (from June 2024) counts; h7, h8, h13
        # are open then: h1–h8, h10, h12, h13 = 11.
        (2024, 1, 11), (2025, 4, 9), (2026, 1, 9),
    ]


def test_drill_down_reasons(world: IndicatorWorld) -> None:
    rows = drill(variant="A", which="all")
    assert rows["h1"]["counted"] and rows["h1"]["contract_code"] == "LK-T-K1"
    assert rows["h3"]["reason"] == "counterparty_cooperative_counts_in_b_only"
    assert rows["h4"]["reason"] == "no_enterprise_counterparty"
    assert rows["h5"]["reason"] == "contract_still_draft"
    assert rows["h6"]["reason"] == "contract_not_in_force"
    assert rows["h7"]["reason"] == "closed_on_reference_day"
    assert rows["h8"]["reason"] == "suspended_on_reference_day"
    assert rows["h9"]["reason"] == "registered_after_period_end"
    assert rows["h11"]["reason"] == "not_agricultural"
    assert rows["h12"]["reason"] == "no_contract_overlapping_period"
    with force_locale("en"):
        english = drill(variant="A", which="all")
    assert english["h5"]["reason_text"] == "contract still a draft"
    assert rows["h5"]["reason_text"] == "hợp đồng vẫn là bản nháp"  # Vietnamese by default
    assert not rows["h7"]["in_denominator"] and rows["h5"]["in_denominator"]
    assert "U1" not in rows
    assert len(drill(variant="A")) == 9  # the denominator, by default
    assert set(drill(variant="A", which="numerator")) == {"h1", "h2", "h10", "h13"}

    c = drill(variant="C")
    assert c["h1"]["delivery_id"] == world.delivery_id
    assert c["h2"]["reason"] == "no_accepted_delivery_in_period"
    assert drill(variant="D")["h2"]["reason"] == "contract_not_in_approved_project"
    assert drill(variant="E")["h2"]["reason"] == "contract_not_form_1"
    assert drill(variant="B")["h3"]["counted"]


def test_a_province_authority_sees_only_its_province(world: IndicatorWorld) -> None:
    assert total("A", HCMC_AUTHORITY) == (1, 1)
    # Asking for Hà Nội does not widen the scope.
    assert total("A", HCMC_AUTHORITY, province=HANOI) == (0, 0)
    assert set(drill(HCMC_AUTHORITY, which="all")) == {"h10"}
    assert set(drill(HCMC_AUTHORITY, which="all", province=HANOI)) == set()


def test_organisation_users_get_no_figures(world: IndicatorWorld) -> None:
    with pytest.raises(Forbidden):
        service.figure(Actor(user_id=1, organisation_id=world.id("h1")), variant="A")


@pytest.mark.parametrize(("params", "field"), [
    ({"variant": "Z"}, "variant"),
    ({"province": "99"}, "province"),
    ({"region_scheme": "NOPE"}, "region_scheme"),
    ({"breakdown": "region"}, "region_scheme"),
    ({"commodity": "gold"}, "commodity"),
    ({"from_": date(2025, 2, 1), "to": date(2025, 1, 1)}, "to"),
    ({"from_": date(2000, 1, 1), "to": date(2021, 1, 1)}, "to"),
    ({"as_of": date(2999, 1, 1)}, "as_of"),
    ({"variant": "V", "breakdown": "form"}, "breakdown"),
])
def test_bad_input_names_the_parameter(params: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        service.build_query(ADMIN, **params)  # type: ignore[arg-type]
    assert field in raised.value.field_errors


def test_recording_a_version_writes_its_parties(world: IndicatorWorld) -> None:
    try:
        _record(world)
    except ValidationFailed as error:
        pytest.fail(str(error.field_errors))


def _record(world: IndicatorWorld) -> None:
    contract = contracts.create_contract(
        Actor(user_id=0, platform_role=PlatformRole.ADMIN),
        title="Parties as of", stages={"production": True},
        price_mechanism="fixed", price_vnd=10000, price_unit="kg",
        effective_from=date(2025, 1, 1),
        parties=[{"organisation_id": world.id("h12"), "role": "producer"},
                 {"organisation_id": world.id("DN1"), "role": "leader"},
                 {"organisation_id": world.id("DN1"), "role": "offtaker"}],
        lines=[{"commodity": "rice", "planned_quantity": Decimal(10), "unit": "kg"}],
    )
    rows = db.session.scalars(
        LinkageContractVersionParty.__table__.select().where(
            LinkageContractVersionParty.organisation_id == world.id("h12"))
    ).all()
    assert len(rows) == 1 and contract.version_count == 1
    # The draft takes effect today: 2026 (reference day today) sees it through the
    # version's parties; 2025 (reference day 14 Dec 2025) does not.
    assert drill(variant="A", year=2026)["h12"]["reason"] == "contract_still_draft"
    assert drill(variant="A")["h12"]["reason"] == "no_contract_overlapping_period"


def test_a_withdrawn_shipping_no_longer_counts_but_a_past_as_of_keeps_it(
    world: IndicatorWorld,
) -> None:
    # h1's only delivery (600 kg under K1) is what counts it in C and in the volume. Its
    # cooperative withdraws the shipping today: from today on neither counts it; as of
    # yesterday the shipping still stood, and C of that day does not change (the volume's
    # batches were recorded today: as of yesterday they are not known at all).
    from sqlalchemy import select

    from core.actor import OrgRole
    from core.clock import local_today
    from tests.factories import make_user_with_token
    from traceability.models.batches import Shipment
    from traceability.models.events import EpcisEvent
    from traceability.services.recording import correct_event

    yesterday = date.fromordinal(local_today().toordinal() - 1)
    assert total("C", as_of=yesterday) == (1, 9)
    event_id = db.session.scalar(
        select(EpcisEvent.event_id)
        .join(Shipment, Shipment.ship_event_pk == EpcisEvent.id)
        .where(Shipment.batch_id == select(Shipment.batch_id).where(
            Shipment.from_organisation_id == world.id("h1")).scalar_subquery())
    )
    user, _headers = make_user_with_token(world.orgs["h1"])
    actor = Actor(user_id=user.id, organisation_id=world.id("h1"), org_role=OrgRole.ORG_ADMIN)
    correct_event(actor, event_id, reason="did_not_occur")
    db.session.commit()
    assert total("C") == (0, 9)
    assert total("V") == (0, 1800)
    assert total("C", as_of=yesterday) == (1, 9)


@pytest.mark.parametrize("correction", [
    {"accepted_kg": Decimal(0), "rejected_kg": Decimal(600)},  # none accepted after all
    {"invoice_number": "HĐ-2025-0042"},  # the same acceptance, another invoice number
])
def test_a_settlement_corrected_today_leaves_a_past_as_of_as_it_was(
    world: IndicatorWorld, correction: dict[str, object],
) -> None:
    # h1's delivery (600 kg accepted, settled 3 Apr 2025) is what counts it in C. Its
    # buyer corrects the settlement today: C as known yesterday still reads the
    # settlement that stood then, with the delivery it names in the drill-down.
    from core.clock import local_today
    from linkages.models.deliveries import LinkageDelivery, LinkageDeliverySettlementChange
    from linkages.services.deliveries import settle_delivery
    from tests.factories import actor_of, make_user_with_token

    yesterday = date.fromordinal(local_today().toordinal() - 1)
    assert total("C", as_of=yesterday) == (1, 9)
    delivery = db.session.get(LinkageDelivery, world.delivery_id)
    assert delivery is not None
    admin = actor_of(make_user_with_token(platform_role=PlatformRole.ADMIN)[0])
    settle_delivery(admin, world.delivery_id, received_on=date(2025, 4, 3),
                    **{"accepted_kg": Decimal(600), "rejected_kg": Decimal(0),
                       "invoice_number": delivery.invoice_number, **correction})
    db.session.commit()
    [kept] = db.session.scalars(db.select(LinkageDeliverySettlementChange)).all()
    assert (kept.delivery_id, kept.accepted_kg, kept.received_on) == (
        world.delivery_id, Decimal(600), date(2025, 4, 3))
    unchanged = "invoice_number" in correction
    assert total("C") == ((1, 9) if unchanged else (0, 9))
    assert total("C", as_of=yesterday) == (1, 9)
    rows = drill(variant="C", as_of=yesterday)
    assert rows["h1"]["counted"] and rows["h1"]["delivery_id"] == world.delivery_id


def test_a_project_s_contracts_changed_today_leave_a_past_as_of_as_it_was(
    world: IndicatorWorld,
) -> None:
    # Today the province takes h1's K1 out of project QD-1 and includes h2's K2 in it:
    # D of 2025 as of today counts h2, not h1; as known yesterday, K1 was in it and K2
    # was not. The changes are kept with who made them.
    from sqlalchemy import select

    from core.clock import local_today
    from linkages.models.contracts import (
        LinkageProject,
        LinkageProjectContractChange,
        ProjectMembership,
    )
    from linkages.services import linkage_projects
    from tests.factories import actor_of, make_user_with_token

    yesterday = date.fromordinal(local_today().toordinal() - 1)
    assert total("D") == (1, 9) and drill(variant="D")["h1"]["counted"]
    project = db.session.scalar(select(LinkageProject.id))
    assert project is not None
    admin = actor_of(make_user_with_token(platform_role=PlatformRole.ADMIN)[0])
    linkage_projects.remove_project_contract(admin, project, world.contracts["K1"].id)
    linkage_projects.add_project_contract(admin, project, world.contracts["K2"].id)
    db.session.commit()
    kept = [(c.contract_id, c.change, c.changed_by_id)
            for c in db.session.scalars(select(LinkageProjectContractChange)
                                        .order_by(LinkageProjectContractChange.id))]
    assert kept == [(world.contracts["K1"].id, ProjectMembership.REMOVED, admin.user_id),
                    (world.contracts["K2"].id, ProjectMembership.ADDED, admin.user_id)]
    today = drill(variant="D")
    assert total("D") == (1, 9)
    assert today["h2"]["counted"] and not today["h1"]["counted"]
    assert today["h1"]["reason"] == "contract_not_in_approved_project"
    past = drill(variant="D", as_of=yesterday)
    assert total("D", as_of=yesterday) == (1, 9)
    assert past["h1"]["counted"] and not past["h2"]["counted"]


def test_a_shipping_corrected_today_leaves_a_past_as_of_as_it_was(
    world: IndicatorWorld,
) -> None:
    # h1 shipped 600 kg of its 1,000 kg lot under K1 (the volume's whole numerator). Today
    # it corrects the shipping to 800 kg: the delivery follows, and the volume of 2025
    # as of today reads 800 of 1,800 kg; as known yesterday, 600 (the lots' records are
    # moved three days back, so that yesterday knew them).
    from datetime import timedelta

    from sqlalchemy import select, update

    from core.actor import OrgRole
    from core.clock import local_today
    from core.db import utcnow
    from linkages.models.deliveries import LinkageDelivery
    from tests.factories import make_user_with_token
    from traceability.models import Batch, EpcisEvent, Shipment
    from traceability.services.recording import correct_event

    db.session.execute(update(Batch).values(created_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    yesterday = date.fromordinal(local_today().toordinal() - 1)
    assert total("V") == total("V", as_of=yesterday) == (600, 1800)
    delivery = db.session.get(LinkageDelivery, world.delivery_id)
    assert delivery is not None
    event_id = db.session.scalar(
        select(EpcisEvent.event_id).join(Shipment, Shipment.ship_event_pk == EpcisEvent.id)
        .where(Shipment.id == delivery.shipment_id))
    assert event_id is not None
    user, _headers = make_user_with_token(world.orgs["h1"])
    actor = Actor(user_id=user.id, organisation_id=world.id("h1"), org_role=OrgRole.ORG_ADMIN)
    correct_event(actor, event_id, reason="incorrect_data", batch_id=delivery.batch_id,
                  quantities={delivery.batch_id: (Decimal(800), "kg")})
    db.session.commit()
    assert total("V") == (800, 1800)
    assert total("V", as_of=yesterday) == (600, 1800)
    assert drill(variant="V", as_of=yesterday)["h1"]["counted"]


def test_a_lot_voided_today_still_weighs_in_a_past_as_of(world: IndicatorWorld) -> None:
    # h12's 300 kg lot, recorded three days ago, is never delivered: it weighs in the
    # volume's denominator. Today h12 withdraws the harvest that made it, and the lot
    # becomes void: from today on it weighs nothing; as known yesterday it still stood
    # (the other lots were recorded today: yesterday knew only this one).
    from datetime import timedelta

    from sqlalchemy import select, update

    from core.actor import OrgRole
    from core.clock import local_today
    from core.db import utcnow
    from tests.factories import make_user_with_token
    from traceability.models import Batch, BatchStatus, EpcisEvent, EventBatch
    from traceability.services.recording import correct_event

    h12 = world.id("h12")
    lot = db.session.scalar(select(Batch).where(Batch.organisation_id == h12))
    assert lot is not None
    db.session.execute(update(Batch).where(Batch.id == lot.id)
                       .values(created_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    yesterday = date.fromordinal(local_today().toordinal() - 1)
    assert total("V", as_of=yesterday) == (0, 300)
    harvest = db.session.scalar(
        select(EpcisEvent.event_id).join(EventBatch, EventBatch.event_pk == EpcisEvent.id)
        .where(EventBatch.batch_id == lot.id).order_by(EpcisEvent.id).limit(1))
    assert harvest is not None
    user, _headers = make_user_with_token(world.orgs["h12"])
    correct_event(Actor(user_id=user.id, organisation_id=h12, org_role=OrgRole.ORG_ADMIN),
                  harvest, reason="did_not_occur")
    db.session.commit()
    db.session.refresh(lot)
    assert lot.status == BatchStatus.VOID
    assert total("V") == (600, 1500)
    assert total("V", as_of=yesterday) == (0, 300)


def test_a_profile_change_counts_from_its_day_on_only(world: IndicatorWorld) -> None:
    # Today h10 leaves agriculture and h1 grows from medium to large. The year 2026
    # (reference day today) sees both; the year 2025 (reference day 14 Dec 2025), and 2026
    # as of yesterday, see the profiles as they stood then.
    from core.clock import local_today
    from linkages.models.cooperatives import CooperativeProfileChange
    from linkages.services import cooperatives
    from tests.factories import actor_of, make_user_with_token

    def by_size(year: int, **params: object) -> dict[object, tuple[int, int]]:
        figure = service.figure(ADMIN, variant="A", year=year, breakdown="size_class",
                                **params)
        return {g["key"]: (g["numerator"], g["denominator"]) for g in figure["groups"]}

    yesterday = date.fromordinal(local_today().toordinal() - 1)
    before = {2025: by_size(2025), 2026: by_size(2026)}
    assert before[2025] == {"medium": (2, 2), "small": (2, 7)}
    assert before[2026] == {"medium": (0, 2), "small": (1, 7)}
    assert total("A", year=2026) == (1, 9)

    admin = actor_of(make_user_with_token(platform_role=PlatformRole.ADMIN)[0])
    cooperatives.put_profile(admin, world.id("h10"),
                             {"field_group": "trade_services", "size_class": "small"})
    cooperatives.put_profile(admin, world.id("h1"),
                             {"field_group": "agriculture", "size_class": "large"})
    db.session.commit()
    changes = db.session.scalars(
        db.select(CooperativeProfileChange).order_by(CooperativeProfileChange.id)).all()
    assert [(c.organisation_id, c.field, c.old_value, c.new_value, c.effective_on)
            for c in changes] == [
        (world.id("h10"), "field_group", "agriculture", "trade_services", local_today()),
        (world.id("h1"), "size_class", "medium", "large", local_today()),
    ]

    # 2026 as of today: h10 (its only counted HTX) is out of the denominator.
    assert total("A", year=2026) == (0, 8)
    assert drill(variant="A", year=2026, which="all")["h10"]["reason"] == "not_agricultural"
    assert by_size(2026) == {"large": (0, 1), "medium": (0, 1), "small": (0, 6)}
    # The past is what it was.
    assert total("A", year=2026, as_of=yesterday) == (1, 9)
    assert by_size(2026, as_of=yesterday) == before[2026]
    assert total("A") == (4, 9)
    assert drill(variant="A")["h10"]["counted"]
    assert by_size(2025) == before[2025]
