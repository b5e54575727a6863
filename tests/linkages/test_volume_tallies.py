"""The volume tallies (``linkages.indicator.tallies``) follow every write through the
services: after each step they (and the acceptance tallies, tests/linkages/
test_acceptance_tallies.py) equal what the rule works out from scratch."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from core.actor import Actor, PlatformRole
from core.db import db
from linkages.indicator import service, tallies
from linkages.indicator.period import current_statistical_year
from linkages.models import (
    LinkageAcceptanceTally,
    LinkageDelivery,
    LinkageDeliveryTally,
    LinkageHarvestTally,
)
from linkages.models.cooperatives import CooperativeProfile, FieldGroup
from tests.linkages._helpers_deliveries import (
    World,
    build_world,
    days,
    harvest,
    ship,
    ship_event_id,
)
from tests.traceability.batch_factories import make_area, make_product
from traceability.models import Batch, EpcisEvent, EventBatch
from traceability.models.batches import BatchStatus
from traceability.services.recording import correct_event


def _rows() -> dict[str, set[tuple[Any, ...]]]:
    db.session.flush()
    return {
        "harvest": {tuple(r) for r in db.session.execute(select(
            LinkageHarvestTally.organisation_id, LinkageHarvestTally.period_kind,
            LinkageHarvestTally.year, LinkageHarvestTally.lots,
            LinkageHarvestTally.harvested_kg))},
        "delivery": {tuple(r) for r in db.session.execute(select(
            LinkageDeliveryTally.organisation_id, LinkageDeliveryTally.period_kind,
            LinkageDeliveryTally.year, LinkageDeliveryTally.contract_id,
            LinkageDeliveryTally.shipped_kg, LinkageDeliveryTally.last_shipped_on))},
        "acceptance": {tuple(r) for r in db.session.execute(select(
            LinkageAcceptanceTally.organisation_id, LinkageAcceptanceTally.period_kind,
            LinkageAcceptanceTally.year, LinkageAcceptanceTally.contract_id,
            LinkageAcceptanceTally.first_delivery_id,
            LinkageAcceptanceTally.last_received_on))},
    }


def assert_kept() -> dict[str, set[tuple[Any, ...]]]:
    """The tallies as kept equal the tallies worked out again from scratch."""
    kept = _rows()
    tallies.rebuild(db.session)
    assert _rows() == kept
    return kept


@pytest.fixture()
def world() -> World:
    return build_world()


def test_the_lots_and_deliveries_of_a_world_are_tallied(world: World) -> None:
    kept = assert_kept()
    year = current_statistical_year(days(-45))
    coop = world.coop.org.id
    harvested = {r for r in kept["harvest"] if r[:3] == (coop, "statistical_year", year)}
    assert {r[3:] for r in harvested} == {(3, Decimal("2600"))}
    shipped = {r for r in kept["delivery"] if r[:3] == (coop, "statistical_year", year)}
    # D1 300 + D2 200 + D3 100 + D4 100 under the one contract; shipped to others: none.
    assert {r[3:5] for r in shipped} == {(world.contract.id, Decimal("700"))}


def test_a_corrected_shipping_moves_its_tally(world: World) -> None:
    correct_event(world.coop.actor, ship_event_id(world.deliveries["d3"]),
                  reason="incorrect_data", batch_id=world.lot_p,
                  quantities={world.lot_p: (Decimal("150"), "kg")}, at=days(-6))
    kept = assert_kept()
    coop, year = world.coop.org.id, current_statistical_year(days(-45))
    assert {r[4] for r in kept["delivery"]
            if r[:3] == (coop, "statistical_year", year)} == {Decimal("750")}


def test_a_withdrawn_shipping_leaves_its_tally(world: World) -> None:
    correct_event(world.coop.actor, ship_event_id(world.deliveries["d3"]),
                  reason="did_not_occur", batch_id=world.lot_p)
    kept = assert_kept()
    coop, year = world.coop.org.id, current_statistical_year(days(-45))
    assert {r[4] for r in kept["delivery"]
            if r[:3] == (coop, "statistical_year", year)} == {Decimal("600")}


def test_a_lot_whose_harvest_did_not_occur_leaves_the_tallies(world: World) -> None:
    area = make_area(world.coop.org)
    product = make_product(world.coop.org, name="Cà phê tươi")
    lot = harvest(world.coop, area.id, product.id, "800", days(-1))
    assert_kept()
    made = db.session.scalar(
        select(EpcisEvent.event_id).join(EventBatch, EventBatch.event_pk == EpcisEvent.id)
        .where(EventBatch.batch_id == lot).order_by(EpcisEvent.id).limit(1))
    correct_event(world.coop.actor, made, reason="did_not_occur", batch_id=lot)
    assert db.session.get(Batch, lot).status == BatchStatus.VOID
    assert_kept()


def test_a_lot_shipped_outside_a_contract_is_harvested_not_delivered(world: World) -> None:
    area = make_area(world.coop.org)
    product = make_product(world.coop.org, name="Cà phê chè")
    lot = harvest(world.coop, area.id, product.id, "300", days(-3))
    ship(world.coop, lot, world.buyer, "100", days(-1))
    kept = assert_kept()
    coop, year = world.coop.org.id, current_statistical_year(days(-3))
    assert any(r[:3] == (coop, "statistical_year", year) for r in kept["harvest"])


# --- the figure read from them ---------------------------------------------------------

ADMIN = Actor(user_id=1, platform_role=PlatformRole.ADMIN)


def _agricultural(world: World) -> None:
    org = world.coop.org
    org.registered_on = date(2019, 5, 1)
    db.session.add(CooperativeProfile(organisation_id=org.id,
                                      field_group=FieldGroup.AGRICULTURE))
    db.session.commit()


def _volume(monkeypatch: pytest.MonkeyPatch, *, tallied: bool,
            **params: Any) -> tuple[Any, Any, Any]:
    with monkeypatch.context() as m:
        if not tallied:
            m.setattr(tallies, "answer", lambda q: False)
        total = service.figure(ADMIN, variant="V", **params)["total"]
    return total["numerator"], total["denominator"], total["cooperatives"]


@pytest.mark.parametrize("step", ["as_recorded", "corrected", "withdrawn"])
def test_the_volume_from_the_tallies_is_the_volume_from_the_lots(
    world: World, monkeypatch: pytest.MonkeyPatch, step: str,
) -> None:
    _agricultural(world)
    if step == "corrected":
        correct_event(world.coop.actor, ship_event_id(world.deliveries["d3"]),
                      reason="incorrect_data", batch_id=world.lot_p,
                      quantities={world.lot_p: (Decimal("150"), "kg")}, at=days(-6))
    elif step == "withdrawn":
        correct_event(world.coop.actor, ship_event_id(world.deliveries["d3"]),
                      reason="did_not_occur", batch_id=world.lot_p)
    db.session.commit()
    year = current_statistical_year(days(-45))
    from_lots = _volume(monkeypatch, tallied=False, year=year)
    assert _volume(monkeypatch, tallied=True, year=year) == from_lots
    shipped = {"as_recorded": 700, "corrected": 750, "withdrawn": 600}[step]
    assert from_lots == (shipped, 2600, 1)


def test_the_tallies_answer_only_as_of_today_for_a_whole_year(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _agricultural(world)
    asked: list[bool] = []
    real = tallies.answer

    def spy(q: Any) -> bool:
        asked.append(real(q))
        return asked[-1]

    monkeypatch.setattr(tallies, "answer", spy)
    year = current_statistical_year(days(-45))
    for params in ({"year": year}, {"year": year, "period": "calendar_year"},
                   {"year": year, "as_of": days(-1)}, {"year": year, "commodity": "coffee"},
                   {"from_": days(-60), "to": days(0)}):
        service.figure(ADMIN, variant="V", **params)
    assert asked == [True, True, False, False, False]


def test_a_delivery_shipped_after_the_reference_day_sends_the_figure_to_the_lots(
    world: World,
) -> None:
    # Shipped "tomorrow" as the record says: the current year's figure, whose reference
    # day is today, must not count it, and its tally would.
    delivery = db.session.get(LinkageDelivery, world.deliveries["d1"])
    assert delivery is not None
    delivery.shipped_on = days(1)
    db.session.commit()
    q = service.build_query(ADMIN, variant="V", year=current_statistical_year(days(0)))
    assert q.on < q.period.end and not tallies.answer(q)


def _drilled(monkeypatch: pytest.MonkeyPatch, *, tallied: bool) -> list[tuple[Any, ...]]:
    with monkeypatch.context() as m:
        if not tallied:
            m.setattr(tallies, "answer", lambda q: False)
        _q, stmt = service.drill(ADMIN, variant="V", which="all",
                                 year=current_statistical_year(days(-45)))
        return [(r.org_id, r.counted, r.reason, r.contract_id)
                for r in db.session.execute(stmt)]


@pytest.mark.parametrize("lots", ["standing", "void"])
def test_the_volume_drill_down_from_the_tallies_is_the_one_from_the_lots(
    world: World, monkeypatch: pytest.MonkeyPatch, lots: str,
) -> None:
    _agricultural(world)
    if lots == "void":  # every lot it delivered from: nothing of the year delivered
        db.session.execute(update(Batch).where(Batch.id.in_([world.lot_p, world.lot_p2]))
                           .values(status=BatchStatus.VOID))
        tallies.rebuild(db.session)  # a Core UPDATE: past the upkeep
    from_lots = _drilled(monkeypatch, tallied=False)
    assert _drilled(monkeypatch, tallied=True) == from_lots
    mine = [row for row in from_lots if row[0] == world.coop.org.id]
    expected = (True, None) if lots == "standing" else (False, "no_batch_delivered_in_period")
    assert [row[1:3] for row in mine] == [expected]
