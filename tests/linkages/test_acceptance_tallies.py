"""The acceptance tallies (``linkages.indicator.tallies``) follow every settlement,
correction and withdrawn shipping, and variant C's figure and drill-down read from them
equal those read from the deliveries.

The world (tests/linkages/_helpers_deliveries.py): D1 received T−19 and accepted 280 kg,
D2 received T−9 and accepted 200 kg, D4 settled as received T−7 with 100 kg accepted; D3
is not settled. Each is tallied in the year its day received falls in (the statistical
year turns on 15 Dec, so the three may fall in two years).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from core.db import db
from linkages.indicator import service, tallies
from linkages.indicator.period import current_statistical_year
from linkages.models import LinkageDelivery
from linkages.services import deliveries as svc
from tests.linkages._helpers_deliveries import World, build_world, days, ship_event_id
from tests.linkages.test_volume_tallies import ADMIN, _agricultural, assert_kept
from traceability.services.recording import correct_event

YEAR = current_statistical_year


@pytest.fixture()
def world() -> World:
    return build_world()


def _expected(world: World, accepted: dict[str, date]) -> set[tuple[Any, ...]]:
    """The coop's acceptance rows for the deliveries ``accepted`` (name: day received)."""
    rows: dict[tuple[str, int], tuple[int, date]] = {}
    for name, day in accepted.items():
        delivery = world.deliveries[name]
        for kind in tallies.KINDS:
            key = (kind, tallies.python_year_of(kind, day))
            first, last = rows.get(key, (delivery, day))
            rows[key] = (min(first, delivery), max(last, day))
    return {(world.coop.org.id, kind, year, world.contract.id, first, last)
            for (kind, year), (first, last) in rows.items()}


def _mine(world: World) -> set[tuple[Any, ...]]:
    return {r for r in assert_kept()["acceptance"] if r[0] == world.coop.org.id}


def _settle(world: World, name: str, kg: str, day: date) -> None:
    svc.settle_delivery(world.buyer.actor, world.deliveries[name],
                        accepted_kg=Decimal(kg), received_on=day)
    db.session.commit()


def test_accepted_deliveries_are_tallied_by_the_year_received(world: World) -> None:
    assert _mine(world) == _expected(world, {"d1": days(-19), "d2": days(-9),
                                             "d4": days(-7)})


def test_a_settlement_corrected_to_nothing_accepted_leaves_the_tally(world: World) -> None:
    _settle(world, "d1", "0", days(-19))
    assert _mine(world) == _expected(world, {"d2": days(-9), "d4": days(-7)})
    # D3, settled late, enters it.
    _settle(world, "d3", "50", days(-1))
    assert _mine(world) == _expected(world, {"d2": days(-9), "d4": days(-7),
                                             "d3": days(-1)})


def test_a_withdrawn_shipping_leaves_the_tally(world: World) -> None:
    # D4 was settled without a receipt: its shipping may still be withdrawn.
    correct_event(world.coop.actor, ship_event_id(world.deliveries["d4"]),
                  reason="did_not_occur", batch_id=world.lot_p2)
    db.session.commit()
    assert _mine(world) == _expected(world, {"d1": days(-19), "d2": days(-9)})


# --- variant C read from them ---------------------------------------------------------


def _step(world: World, step: str) -> None:
    if step == "none_accepted":
        for name, day in (("d1", days(-19)), ("d2", days(-9)), ("d4", days(-7))):
            _settle(world, name, "0", day)
    elif step == "withdrawn":  # D1 accepted nothing, D4's shipping withdrawn: D2 alone
        _settle(world, "d1", "0", days(-19))
        correct_event(world.coop.actor, ship_event_id(world.deliveries["d4"]),
                      reason="did_not_occur", batch_id=world.lot_p2)
        db.session.commit()


def _read(monkeypatch: pytest.MonkeyPatch, *, tallied: bool,
          year: int) -> tuple[Any, list[tuple[Any, ...]]]:
    with monkeypatch.context() as m:
        if not tallied:
            m.setattr(tallies, "accepts", lambda q: False)
        total = service.figure(ADMIN, variant="C", year=year, breakdown="province")["total"]
        _q, stmt = service.drill(ADMIN, variant="C", which="all", year=year)
        rows = [(r.org_id, r.counted, r.reason, r.contract_id, r.delivery_id)
                for r in db.session.execute(stmt)]
    return (total["numerator"], total["denominator"]), rows


@pytest.mark.parametrize("step", ["as_recorded", "none_accepted", "withdrawn"])
def test_variant_c_from_the_tallies_is_variant_c_from_the_deliveries(
    world: World, monkeypatch: pytest.MonkeyPatch, step: str,
) -> None:
    _agricultural(world)
    _step(world, step)
    year = YEAR(days(-7))
    from_deliveries = _read(monkeypatch, tallied=False, year=year)
    assert _read(monkeypatch, tallied=True, year=year) == from_deliveries
    figure, rows = from_deliveries
    mine = [row[1:] for row in rows if row[0] == world.coop.org.id]
    if step == "none_accepted":
        assert figure == (0, 1)
        assert mine == [(False, "no_accepted_delivery_in_period", None, None)]
    else:
        # The lowest delivery accepted in D4's year.
        accepted = {"d2": days(-9)}
        if step == "as_recorded":
            accepted.update(d1=days(-19), d4=days(-7))
        first = min(world.deliveries[name] for name, day in accepted.items()
                    if YEAR(day) == year)
        assert figure == (1, 1)
        assert mine == [(True, None, world.contract.id, first)]


def test_the_acceptance_tallies_answer_as_of_today_for_a_whole_year(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _agricultural(world)
    asked: list[bool] = []
    real = tallies.accepts

    def spy(q: Any) -> bool:
        asked.append(real(q))
        return asked[-1]

    monkeypatch.setattr(tallies, "accepts", spy)
    year = YEAR(days(-7))
    answers = []
    for params in ({"year": year}, {"year": year, "period": "calendar_year"},
                   {"year": year, "as_of": days(-1)}, {"year": year, "commodity": "coffee"},
                   {"from_": days(-60), "to": days(0)}):
        asked.clear()
        service.figure(ADMIN, variant="C", **params)
        assert len(set(asked)) == 1, params  # asked, and answered alike each time
        answers.append(asked[0])
    # A commodity narrows the contracts, not the deliveries: the tallies still answer.
    assert answers == [True, True, False, True, False]


def test_a_delivery_received_after_the_reference_day_sends_c_to_the_deliveries(
    world: World,
) -> None:
    delivery = db.session.get(LinkageDelivery, world.deliveries["d4"])
    assert delivery is not None
    delivery.received_on = days(1)  # as no service records it: "received" tomorrow
    db.session.commit()
    q = service.build_query(ADMIN, variant="C", year=YEAR(days(0)))
    assert q.on < q.period.end and not tallies.accepts(q)
