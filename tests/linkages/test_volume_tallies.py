"""The volume tallies (``linkages.indicator.tallies``) follow every write through the
services: after each step they equal what the rule works out from scratch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.db import db
from linkages.indicator import tallies
from linkages.indicator.period import current_statistical_year
from linkages.models import LinkageDeliveryTally, LinkageHarvestTally
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

