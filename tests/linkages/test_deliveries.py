"""Deliveries under linkage contracts: fulfilment, accepted and on-time ratios and the
side-selling signal on the hand-built world of ``_helpers_deliveries`` (figures worked
out there and below), every refusal writing nothing, and who sees what."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linkages.models import LinkageDelivery, OrgType
from linkages.services import contracts
from linkages.services import deliveries as svc
from linkages.services.scorecard import delivery_figures
from tests.linkages._helpers_contracts import HCMC, authority, side
from tests.linkages._helpers_deliveries import (
    World,
    build_world,
    contract_terms,
    days,
    harvest,
    ship,
    ship_event_id,
)
from tests.traceability.batch_factories import make_area, make_product
from traceability.models.batches import Shipment
from traceability.models.events import EpcisEvent
from traceability.services.recording import correct_event


@pytest.fixture()
def world() -> World:
    return build_world()


def _rows() -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(model))
        for model in (LinkageDelivery, Shipment, EpcisEvent)
    )


def _refused(call, field: str | None, error=ValidationFailed):
    """The call is refused naming ``field``, and nothing is written."""
    db.session.commit()
    before = _rows()
    with pytest.raises(error) as caught:
        call()
    db.session.rollback()
    assert _rows() == before
    if field is not None:
        assert field in caught.value.field_errors, caught.value.field_errors
    return caught.value


# --- fulfilment and the side-selling signal ---------------------------------------------


def test_fulfilment_per_line_with_the_figures_worked_out(world: World) -> None:
    found = svc.contract_fulfilment(world.coop.actor, world.contract.id)
    line0, line1 = found.lines
    # Line 0: D1 300 + D2 200 + D3 100 shipped; accepted 280 + 200; rejected 20 + 0.
    assert (line0.planned_kg, line0.shipped_kg) == (Decimal("1000"), Decimal("600"))
    assert (line0.accepted_kg, line0.rejected_kg) == (Decimal("480"), Decimal("20"))
    assert (line0.deliveries, line0.settled) == (3, 2)
    assert line0.fulfilment == 0.48  # 480 / 1000
    assert line0.shortfall_kg == Decimal("520")  # 1000 − 480
    assert line0.accepted_ratio == 0.96  # 480 / (480 + 20)
    # D1 (T−20) and D2 (T−10) by deliver_by T−5; D3 (T−2) late: 2 / 3.
    assert (line0.on_time, line0.with_window, line0.on_time_ratio) == (2, 3, 0.6667)
    # Line 1: D4 100 kg accepted of 500; no window, so no on-time figure.
    assert (line1.accepted_kg, line1.fulfilment, line1.shortfall_kg) == (
        Decimal("100"), 0.2, Decimal("400"))
    assert line1.accepted_ratio == 1.0
    assert (line1.with_window, line1.on_time_ratio) == (0, None)


def test_side_selling_signal_with_the_figures_worked_out(world: World) -> None:
    found = svc.contract_fulfilment(world.coop.actor, world.contract.id)
    line0, line1 = found.lines
    # Line 0 names product P: 150 kg (T−15, O1) + 50 kg (T−3, O2) in the term; the 99 kg
    # of T−40 are before it, P2 and rice are other products. The window T−30…T−5 is over:
    # expected 1000 × 26/26 = 1000 > 480 accepted.
    assert line0.side_selling.elsewhere_kg == Decimal("200")
    assert line0.side_selling.buyers == 2
    assert line0.side_selling.expected_kg == Decimal("1000")
    assert line0.side_selling.signal is True
    # Line 1 names no product: the commodity of its delivered lots (coffee): P 150 + 50
    # and P2 70 = 270 kg to O1 and O2; rice is not coffee. Window = the term T−30…T+69
    # (100 days), 31 elapsed on T: expected 500 × 31/100 = 155 > 100 accepted.
    assert line1.side_selling.elsewhere_kg == Decimal("270")
    assert line1.side_selling.buyers == 2
    assert line1.side_selling.expected_kg == Decimal("155")
    assert line1.side_selling.signal is True
    assert found.side_selling is True


def test_selling_elsewhere_after_the_contract_ended_is_no_side_selling(world: World) -> None:
    # Terminated with effect from T−10: it bound the parties until T−11. Line 0 keeps the
    # 150 kg of T−15 and loses the 50 kg of T−3 (to O2): 150 kg to one other buyer.
    contracts.transition_contract(world.buyer.actor, world.contract.id, "active",
                                  effective_on=days(-29))
    contracts.transition_contract(world.buyer.actor, world.contract.id, "terminated",
                                  reason="Bên bán giao hàng cho bên khác",
                                  effective_on=days(-10))
    line0 = svc.contract_fulfilment(world.coop.actor, world.contract.id).lines[0]
    assert line0.side_selling.elsewhere_kg == Decimal("150")
    assert line0.side_selling.buyers == 1


def test_fulfilment_as_of_an_earlier_day(world: World) -> None:
    found = svc.contract_fulfilment(world.coop.actor, world.contract.id, on=days(-12))
    line0 = found.lines[0]
    # By T−12 only D1 was shipped (accepted 280); 150 kg went to O1 on T−15. Expected:
    # 1000 × (T−12 − (T−30) + 1) / 26 = 1000 × 19/26 = 730.7692.
    assert (line0.deliveries, line0.accepted_kg) == (1, Decimal("280"))
    assert line0.side_selling.elsewhere_kg == Decimal("150")
    assert line0.side_selling.buyers == 1
    assert line0.side_selling.expected_kg == Decimal("730.7692")
    assert line0.side_selling.signal is True


def test_no_signal_while_accepted_keeps_up_with_the_plan(world: World) -> None:
    # On T−25 nothing was shipped elsewhere in the term (the 99 kg were on T−40).
    early = svc.contract_fulfilment(world.coop.actor, world.contract.id, on=days(-25))
    assert early.lines[0].side_selling.elsewhere_kg == Decimal("0")
    assert early.side_selling is False
    # Line 1 amended down to 150 kg: expected on T is 150 × 31/100 = 46.5 kg, below the
    # 100 kg accepted, so the 270 kg sold elsewhere raise no signal.
    lines = [{"commodity": "Cà phê nhân", "product_id": world.product_p, "season": "2026/27",
              "planned_quantity": Decimal("1"), "unit": "tan", "deliver_from": days(-30),
              "deliver_by": days(-5)},
             {"commodity": "Cà phê nhân", "season": "2026/27 phụ",
              "planned_quantity": Decimal("150"), "unit": "kg"}]
    contracts.amend_contract(world.coop.actor, world.contract.id, reason="Giảm", lines=lines)
    line1 = svc.contract_fulfilment(world.coop.actor, world.contract.id).lines[1]
    assert line1.side_selling.elsewhere_kg == Decimal("270")
    assert line1.side_selling.expected_kg == Decimal("46.5")
    assert line1.side_selling.signal is False
    # A line with nothing sold elsewhere never signals, whatever it lacks.
    assert all(not line.side_selling.signal or line.side_selling.elsewhere_kg > 0
               for line in svc.contract_fulfilment(world.coop.actor, world.contract.id).lines)


def test_a_withdrawn_shipping_no_longer_counts(world: World) -> None:
    d3 = db.session.get(LinkageDelivery, world.deliveries["d3"])
    shipment = db.session.get(Shipment, d3.shipment_id)
    event = db.session.get(EpcisEvent, shipment.ship_event_pk)
    correct_event(world.coop.actor, event.event_id, reason="did_not_occur",
                  batch_id=world.lot_p)
    db.session.commit()
    line0 = svc.contract_fulfilment(world.coop.actor, world.contract.id).lines[0]
    assert (line0.deliveries, line0.shipped_kg, line0.with_window) == (2, Decimal("500"), 2)
    assert line0.on_time_ratio == 1.0


def test_a_delivery_follows_the_correction_of_its_shipping(world: World) -> None:
    # D3 (100 kg shipped T−2, after the window) was in fact 150 kg shipped T−6, in time:
    # line 0 then has 300 + 200 + 150 = 650 kg shipped, all three on time. What D3 read
    # before is kept for the indicator as of an earlier moment.
    from linkages.models.deliveries import LinkageDeliveryShippingChange

    correct_event(world.coop.actor, ship_event_id(world.deliveries["d3"]),
                  reason="incorrect_data", batch_id=world.lot_p,
                  quantities={world.lot_p: (Decimal("150"), "kg")}, at=days(-6))
    db.session.commit()
    d3 = db.session.get(LinkageDelivery, world.deliveries["d3"])
    assert d3 is not None and (d3.shipped_kg, d3.shipped_on) == (Decimal("150"), days(-6))
    [kept] = db.session.scalars(select(LinkageDeliveryShippingChange)).all()
    assert (kept.delivery_id, kept.shipped_kg, kept.shipped_on) == (
        d3.id, Decimal("100"), days(-2))
    line0 = svc.contract_fulfilment(world.coop.actor, world.contract.id).lines[0]
    assert (line0.deliveries, line0.shipped_kg) == (3, Decimal("650"))
    assert (line0.on_time, line0.with_window) == (3, 3)


def test_a_shipping_corrected_below_its_settlement_is_refused(world: World) -> None:
    # D4 was settled without a receipt, 100 kg accepted: the shipper cannot now say it
    # shipped 80 kg; the buyer corrects the settlement first.
    caught = _refused(lambda: correct_event(
        world.coop.actor, ship_event_id(world.deliveries["d4"]), reason="incorrect_data",
        batch_id=world.lot_p2, quantities={world.lot_p2: (Decimal("80"), "kg")}),
        "quantities", Conflict)
    assert "100" in str(caught.field_errors["quantities"][0])


def test_a_shipping_corrected_outside_the_contract_s_term_is_refused(world: World) -> None:
    # The contract runs from T−30: D3 cannot have been shipped on T−40 under it.
    _refused(lambda: correct_event(
        world.coop.actor, ship_event_id(world.deliveries["d3"]), reason="incorrect_data",
        batch_id=world.lot_p, at=days(-40)), "at", Conflict)


# --- the scorecard ----------------------------------------------------------------------


def test_the_scorecard_delivery_figures(world: World) -> None:
    figures = {f.key: f for f in delivery_figures(world.buyer.org.id, world.coop.org.id,
                                                  days(0))}
    # Planned 1000 + 500 kg; accepted 280 + 200 + 100 = 580: 580 / 1500 = 0.3867.
    assert figures["fulfilment"].value == 0.3867
    assert figures["fulfilment"].counts == {"accepted_kg": 580, "planned_kg": 1500}
    # Settled kg 300 + 200 + 100 = 600: 580 / 600 = 0.9667.
    assert figures["accepted"].value == 0.9667
    assert figures["accepted"].counts == {"accepted_kg": 580, "settled_kg": 600}
    # Deliveries with a deliver_by: D1, D2, D3; on time D1, D2: 0.6667.
    assert figures["on_time"].value == 0.6667
    assert figures["on_time"].counts == {"on_time": 2, "with_deliver_by": 3}
    link = f"/api/deliveries?buyer_id={world.buyer.org.id}&supplier_id={world.coop.org.id}"
    assert all(f.available and f.link.api == link for f in figures.values())
    # Another pair has no deliveries: no values.
    none = delivery_figures(world.other_buyer.org.id, world.coop.org.id, days(0))
    assert [f.value for f in none] == [None, None, None]


# --- refusals: nothing written ----------------------------------------------------------


def _ship(world: World, **overrides):
    args = {"batch_id": world.lot_p, "contract_id": world.contract.id,
            "line_id": world.line0, "quantity": Decimal("10"), "unit": "kg"}
    args.update(overrides)
    actor = args.pop("actor", world.coop.actor)
    return lambda: svc.ship_under_contract(actor, args.pop("batch_id"), args.pop("contract_id"),
                                           args.pop("line_id"), **args)


def test_a_draft_contract_takes_no_delivery(world: World) -> None:
    draft = contracts.create_contract(world.coop.actor, **contract_terms(world.coop, world.buyer))
    _refused(_ship(world, contract_id=draft.id, line_id=draft.lines[0].id), "contract_id")


def test_a_shipping_day_outside_the_term_is_refused(world: World) -> None:
    _refused(_ship(world, shipped_at=days(-31)), "shipped_at")


def test_a_receiver_other_than_the_offtaker_is_refused(world: World) -> None:
    _refused(_ship(world, to_organisation_id=world.other_buyer.org.id), "contract_id")


def test_a_line_of_another_contract_is_refused(world: World) -> None:
    other = contracts.create_contract(world.coop.actor, **contract_terms(world.coop, world.buyer))
    _refused(_ship(world, line_id=other.lines[0].id), "contract_line_id")


def test_a_lot_of_another_product_than_the_line_names_is_refused(world: World) -> None:
    _refused(_ship(world, batch_id=world.lot_r), "contract_line_id")


def test_another_cooperatives_lot_is_refused(world: World) -> None:
    stranger = side("HTX Người Lạ")
    lot = harvest(stranger, make_area(stranger.org).id, make_product(stranger.org).id, "50",
                  days(-3))
    _refused(_ship(world, batch_id=lot), None, NotFound)
    # Its shipment cannot be booked under the contract either.
    shipment = ship(stranger, lot, world.buyer, "10", days(-1))
    _refused(lambda: svc.deliver_shipment(world.coop.actor, shipment, world.contract.id,
                                          world.line0), "shipment_id")


def test_more_than_the_lot_holds_is_refused(world: World) -> None:
    _refused(_ship(world, quantity=Decimal("100000")), None, Conflict)


def test_only_a_supplying_party_ships_under_the_contract(world: World) -> None:
    # The buyer holds the coop's lot it was shipped to read, not to ship …
    _refused(_ship(world, actor=world.buyer.actor), "batch_id")
    # … and its own lot (booked from D1) goes under no contract where it is the offtaker.
    d1 = db.session.get(LinkageDelivery, world.deliveries["d1"])
    own = db.session.get(Shipment, d1.shipment_id).received_batch_id
    _refused(_ship(world, actor=world.buyer.actor, batch_id=own), "contract_id")


def test_a_shipment_is_delivered_under_one_contract_only(world: World) -> None:
    d1 = db.session.get(LinkageDelivery, world.deliveries["d1"])
    _refused(lambda: svc.deliver_shipment(world.coop.actor, d1.shipment_id,
                                          world.contract.id, world.line0),
             "shipment_id", Conflict)


def test_a_shipment_recorded_without_contract_can_be_booked_later(world: World) -> None:
    shipment = ship(world.coop, world.lot_p, world.buyer, "25", days(-1))
    delivery = svc.deliver_shipment(world.coop.actor, shipment, world.contract.id,
                                    world.line0)
    assert (delivery.shipped_kg, delivery.buyer_id) == (Decimal("25"), world.buyer.org.id)
    assert delivery.shipped_on == days(-1)


def test_a_settlement_beyond_what_was_shipped_is_refused(world: World) -> None:
    d3 = world.deliveries["d3"]
    _refused(lambda: svc.settle_delivery(world.buyer.actor, d3, accepted_kg=Decimal("90"),
                                         rejected_kg=Decimal("11")), "accepted_kg")
    settled = svc.settle_delivery(world.buyer.actor, d3, accepted_kg=Decimal("90"),
                                  rejected_kg=Decimal("10"), price_vnd_per_kg=94000)
    assert (settled.accepted_kg, settled.rejected_kg) == (Decimal("90"), Decimal("10"))


def test_an_unreceived_delivery_needs_its_accepted_quantity(world: World) -> None:
    _refused(lambda: svc.settle_delivery(world.buyer.actor, world.deliveries["d3"]),
             "accepted_kg")


def test_only_the_buyer_settles(world: World) -> None:
    d3 = world.deliveries["d3"]
    _refused(lambda: svc.settle_delivery(world.coop.actor, d3, accepted_kg=Decimal("1")),
             None, Forbidden)
    _refused(lambda: svc.settle_delivery(world.other_buyer.actor, d3,
                                         accepted_kg=Decimal("1")), None, NotFound)


def test_a_settlement_for_a_shipment_under_no_contract_is_refused(world: World) -> None:
    shipment = ship(world.coop, world.lot_p, world.buyer, "5", days(-1))
    _refused(lambda: svc.receive_under_contract(
        world.buyer.actor, shipment, received_quantity=Decimal("5"), unit="kg",
        settlement={"accepted_kg": Decimal("5")}), "settlement")


def test_a_bad_settlement_on_receiving_names_its_field_and_writes_nothing(world: World) -> None:
    d3 = db.session.get(LinkageDelivery, world.deliveries["d3"])
    _refused(lambda: svc.receive_under_contract(
        world.buyer.actor, d3.shipment_id, received_quantity=Decimal("100"), unit="kg",
        settlement={"accepted_kg": Decimal("100"), "rejected_kg": Decimal("5")}),
        "settlement.accepted_kg")


# --- the delivery window on lines --------------------------------------------------------


def test_the_delivery_window_lies_inside_the_term_and_in_order() -> None:
    coop, buyer = side("HTX Cửa Sổ"), side("Công ty Cửa Sổ", OrgType.DN)
    line = {"commodity": "Cà phê", "planned_quantity": Decimal("1"), "unit": "tan"}
    with pytest.raises(ValidationFailed) as caught:
        contracts.create_contract(coop.actor, **contract_terms(coop, buyer, lines=[
            {**line, "deliver_from": days(-40)},
            {**line, "deliver_from": days(0), "deliver_by": days(-1)},
        ]))
    assert "lines.0.deliver_from" in caught.value.field_errors
    assert "lines.1.deliver_by" in caught.value.field_errors


def test_amending_keeps_line_ids_and_a_delivered_line_cannot_go(world: World) -> None:
    lines = contracts.get_contract(world.coop.actor, world.contract.id).lines
    ids = [line.id for line in lines]
    kept = [{"commodity": "Cà phê nhân loại 1", "product_id": world.product_p,
             "planned_quantity": Decimal("1.2"), "unit": "tan", "deliver_by": days(0)},
            {"commodity": "Cà phê nhân", "planned_quantity": Decimal("600"), "unit": "kg"}]
    amended = contracts.amend_contract(world.coop.actor, world.contract.id,
                                       reason="Phụ lục 1", lines=kept)
    assert [line.id for line in amended.lines] == ids
    assert amended.lines[0].planned_quantity_kg == Decimal("1200")
    db.session.commit()
    _refused(lambda: contracts.amend_contract(world.coop.actor, world.contract.id,
                                              reason="Bỏ dòng", lines=kept[:1]), "lines")


# --- who sees what ----------------------------------------------------------------------


def test_another_enterprise_never_sees_the_deliveries(world: World) -> None:
    stranger = world.other_buyer.actor
    assert db.session.scalars(svc.list_deliveries(stranger)).all() == []
    with pytest.raises(NotFound):
        svc.get_delivery(stranger, world.deliveries["d1"])
    with pytest.raises(NotFound):
        svc.contract_fulfilment(stranger, world.contract.id)
    with pytest.raises(NotFound):
        svc.open_contracts_for(stranger, world.coop.org.id)


def test_a_province_authority_sees_only_its_province(world: World) -> None:
    hanoi, hcmc = authority("01").actor, authority(HCMC).actor
    assert len(db.session.scalars(svc.list_deliveries(hanoi)).all()) == 4
    assert db.session.scalars(svc.list_deliveries(hcmc)).all() == []
    with pytest.raises(NotFound):
        svc.get_delivery(hcmc, world.deliveries["d1"])
    assert svc.contract_fulfilment(hanoi, world.contract.id).lines
    with pytest.raises(Forbidden):
        svc.settle_delivery(hanoi, world.deliveries["d3"], accepted_kg=Decimal("1"))


def test_the_parties_list_deliveries_by_line_season_and_pair(world: World) -> None:
    def count(**filters) -> int:
        return len(db.session.scalars(svc.list_deliveries(world.buyer.actor, **filters)).all())

    assert count() == 4
    assert count(line_id=world.line0) == 3
    assert count(season="2026/27 phụ") == 1
    assert count(buyer_id=world.buyer.org.id, supplier_id=world.coop.org.id) == 4
    assert count(supplier_id=world.buyer.org.id) == 0


def test_open_contracts_are_those_signed_in_term_with_the_buyer(world: World) -> None:
    offered = svc.open_contracts_for(world.coop.actor, world.coop.org.id)
    assert {(o.contract_id, o.line_id, o.buyer_id) for o in offered} == {
        (world.contract.id, world.line0, world.buyer.org.id),
        (world.contract.id, world.line1, world.buyer.org.id)}
    assert svc.open_contracts_for(world.coop.actor, world.coop.org.id,
                                  world.other_buyer.org.id) == []
    # Before the term, none; the buyer supplies nothing under it.
    assert svc.open_contracts_for(world.coop.actor, world.coop.org.id, on=days(-31)) == []
    assert svc.open_contracts_for(world.buyer.actor, world.buyer.org.id) == []
