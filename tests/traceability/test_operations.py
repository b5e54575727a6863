"""What an actor may do with a lot now (``operations.allowed_operations``), and every recorder
refusing the same way: events that need goods are refused on an empty or closed lot with a
message that says why, corrections stay possible, and each actor gets its own answer."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select

from core.actor import PlatformRole
from core.db import db
from core.errors import Conflict, Forbidden, NotFound
from linkages.models.organisations import COOPERATIVE_TYPES
from tests.factories import actor_of, make_user_with_token
from tests.traceability.batch_factories import Party, make_area, make_party, make_product
from traceability.models import Batch, BatchStatus, EpcisEvent
from traceability.services import batches as svc
from traceability.services import recording as be
from traceability.services.operations import (
    Operation,
    allowed_operations,
    require_operation,
)

Op = Operation
GOODS = {Op.COOLING, Op.STORING, Op.PACKING, Op.PACKING_NEW_LOT, Op.SHIPPING, Op.SPLIT, Op.MERGE,
         Op.TRANSFORMATION, Op.DESTROY}
KEEPING = {Op.COOLING, Op.STORING, Op.PACKING, Op.DESTROY}  # allowed on recalled goods


def harvest(party: Party, qty: str = "1000") -> Batch:
    return be.record_harvest(
        party.staff, area_ids=[make_area(party.org).id], product_id=make_product(party.org).id,
        quantity=Decimal(qty), unit="kg", harvested_on="2026-03-01",
    )


def ship(party: Party, batch: Batch, to: Party, qty: str) -> Any:
    return be.record_shipping(party.staff, batch.id, to_organisation_id=to.org.id,
                              quantity=Decimal(qty), unit="kg").shipment


# --------------------------------------------------------------------------- lot states


Builder = Callable[[Party, Party], tuple[Batch, Party]]


def _harvested_then(step: Callable[[Party, Party, Batch], Any]) -> Builder:
    """A lot of the cooperative, harvested, then ``step(coop, dn, lot)`` done to it."""
    def build(coop: Party, dn: Party) -> tuple[Batch, Party]:
        batch = harvest(coop)
        step(coop, dn, batch)
        return batch, coop
    return build


def _empty(coop: Party, dn: Party) -> tuple[Batch, Party]:
    """The buyer's lot booked from a receipt of 0 kg (all spoiled on the way): active, 0 kg."""
    shipment = ship(coop, harvest(coop), dn, "10")
    booked = be.record_receiving(dn.staff, shipment.id, received_quantity=Decimal(0)).batch
    return booked, dn


def _receive_all(coop: Party, dn: Party, batch: Batch) -> None:
    """The reported bug: all shipped, and the buyer received it."""
    shipment = ship(coop, batch, dn, "1000")
    be.record_receiving(dn.staff, shipment.id, received_quantity=Decimal(1000))


def _did_not_occur(coop: Party, dn: Party, batch: Batch) -> None:
    made = db.session.scalar(select(EpcisEvent).where(EpcisEvent.biz_step == "commissioning"))
    be.correct_event(coop.staff, made.event_id, reason="did_not_occur")


def _recall(coop: Party, dn: Party, batch: Batch) -> None:
    be.record_recall(coop.staff, batch.id)


def _receive_all_then_recall(coop: Party, dn: Party, batch: Batch) -> None:
    _receive_all(coop, dn, batch)
    _recall(coop, dn, batch)


_active = _harvested_then(lambda coop, dn, batch: None)
_in_transit = _harvested_then(lambda coop, dn, batch: ship(coop, batch, dn, "1000"))
_received = _harvested_then(_receive_all)
_split_up = _harvested_then(lambda coop, dn, batch: be.record_split(
    coop.staff, batch.id, parts=[{"quantity": 600}, {"quantity": 400}]))
_destroyed = _harvested_then(lambda coop, dn, batch: be.record_destroy(coop.staff, batch.id))
_void = _harvested_then(_did_not_occur)
_recalled = _harvested_then(_recall)
_recalled_empty = _harvested_then(_receive_all_then_recall)


# state: (builder, status, operations the owner may record, why the others are refused)
STATES: dict[str, tuple[Builder, BatchStatus, set[Operation], dict[Operation, str]]] = {
    "active": (_active, BatchStatus.ACTIVE, GOODS | {Op.RECALL}, {}),
    "empty": (_empty, BatchStatus.ACTIVE, {Op.RECALL}, dict.fromkeys(GOODS, "holds 0 kg")),
    "in_transit": (_in_transit, BatchStatus.IN_TRANSIT, {Op.RECALL},
                   dict.fromkeys(GOODS, "all of it was shipped")),
    "received": (_received, BatchStatus.CONSUMED, {Op.RECALL}, dict.fromkeys(GOODS, "used up")),
    "split_up": (_split_up, BatchStatus.CONSUMED, {Op.RECALL}, dict.fromkeys(GOODS, "used up")),
    "destroyed": (_destroyed, BatchStatus.DESTROYED, set(),
                  dict.fromkeys([*GOODS, Op.RECALL], "was destroyed")),
    "void": (_void, BatchStatus.VOID, set(), dict.fromkeys([*GOODS, Op.RECALL], "withdrawn")),
    "recalled": (_recalled, BatchStatus.RECALLED, KEEPING, {
        **dict.fromkeys(GOODS - KEEPING, "is recalled"), Op.RECALL: "already recalled"}),
    "recalled_empty": (_recalled_empty, BatchStatus.RECALLED, set(), {
        **dict.fromkeys(KEEPING, "holds 0 kg"),
        **dict.fromkeys(GOODS - KEEPING, "is recalled"),
        Op.RECALL: "already recalled",
    }),
}


@pytest.fixture(params=list(STATES))
def state(request, coop, dn):  # type: ignore[no-untyped-def]
    build, status, allowed, refused = STATES[request.param]
    batch, owner = build(coop, dn)
    assert batch.status == status
    return batch, owner, allowed, refused


def _stock(owner: Party) -> Batch:
    """50 kg in the owner's stock: its own harvest for a cooperative; an enterprise, which
    records no harvest, books a cooperative's shipment."""
    if owner.org.org_type in COOPERATIVE_TYPES:
        return harvest(owner, "50")
    grower = make_party("HTX Cung ứng")
    shipment = ship(grower, harvest(grower, "50"), owner, "50")
    return be.record_receiving(owner.staff, shipment.id, received_quantity=Decimal(50)).batch


def _recorders(owner: Party, batch: Batch) -> dict[Operation, Callable[[], Any]]:
    """Every recorder, as the owner's staff would call it on the lot."""
    other = _stock(owner)  # a lot in stock to merge or process with
    buyer = make_party("Người mua")
    staff, lot = owner.staff, batch.id
    return {
        Op.COOLING: lambda: be.record_cooling(staff, lot),
        Op.STORING: lambda: be.record_storing(staff, lot),
        Op.PACKING: lambda: be.record_packing(staff, lot),
        Op.PACKING_NEW_LOT: lambda: be.record_packing(staff, lot, into_new_lot=True),
        Op.SHIPPING: lambda: be.record_shipping(staff, lot, to_organisation_id=buyer.org.id,
                                               quantity=Decimal(1), unit="kg"),
        Op.SPLIT: lambda: be.record_split(staff, lot, parts=[{"quantity": 1}]),
        Op.MERGE: lambda: be.record_merge(staff, inputs=[{"batch_id": other.id},
                                                        {"batch_id": lot}],
                                         product_id=other.product_id),
        Op.TRANSFORMATION: lambda: be.record_transformation(
            staff, inputs=[{"batch_id": other.id, "quantity": 1},
                           {"batch_id": lot, "quantity": 1}],
            output={"product_id": other.product_id, "quantity": 1}),
        Op.DESTROY: lambda: be.record_destroy(staff, lot),
        Op.RECALL: lambda: be.record_recall(staff, lot),
    }


def _events() -> int:
    return db.session.scalar(select(func.count(EpcisEvent.id)))


def test_every_recorder_refuses_an_empty_or_closed_lot_saying_why(state) -> None:
    batch, owner, _allowed, refused = state
    recorders = _recorders(owner, batch)
    for op, why in refused.items():
        before = _events()
        with pytest.raises(Conflict) as err:
            recorders[op]()
        with force_locale("en"):
            message = str(err.value.detail)
        assert batch.lot_code in message and why in message, (op, message)
        assert _events() == before, op  # nothing written


def test_the_owner_is_allowed_exactly_the_recorders_that_accept(state) -> None:
    batch, owner, allowed, refused = state
    held = svc.current_quantity(batch.id)
    for actor in (owner.staff, owner.admin):
        assert allowed_operations(actor, batch) == frozenset({*allowed, Op.CORRECT})
    recorders = _recorders(owner, batch)
    assert set(refused) == set(recorders) - allowed
    for op in allowed:  # each allowed recorder accepts, tried alone and rolled back
        attempt = db.session.begin_nested()
        try:
            recorders[op]()
        finally:
            attempt.rollback()
    assert svc.current_quantity(batch.id) == held


def test_corrections_stay_possible_on_a_closed_lot(coop, dn) -> None:
    batch = harvest(coop)
    destroyed = be.record_destroy(coop.staff, batch.id)
    assert Op.CORRECT in allowed_operations(coop.staff, batch)
    be.correct_event(coop.staff, destroyed.event_ids[0], reason="did_not_occur")
    assert batch.status == BatchStatus.ACTIVE and svc.current_quantity(batch.id) == 1000


def test_a_storing_on_a_lot_the_buyer_received_is_refused(coop, dn) -> None:
    batch, _owner = _received(coop, dn)
    assert svc.current_quantity(batch.id) == 0
    with pytest.raises(Conflict) as err, force_locale("en"):
        be.record_storing(coop.staff, batch.id)
    with force_locale("en"):
        assert str(err.value.detail) == (
            f"Batch {batch.lot_code} is used up (0 kg): it holds no goods to record this on.")


# --------------------------------------------------------------------------- who acts


def test_the_addressee_may_receive_then_correct_its_receipt_and_nothing_else(coop, dn) -> None:
    batch = harvest(coop)
    shipment = ship(coop, batch, dn, "400")
    assert allowed_operations(dn.staff, batch) == {Op.RECEIVE}
    assert allowed_operations(dn.admin, batch) == {Op.RECEIVE}
    with pytest.raises(Forbidden):
        be.record_storing(dn.staff, batch.id)
    be.record_receiving(dn.staff, shipment.id, received_quantity=Decimal(400))
    assert allowed_operations(dn.staff, batch) == {Op.CORRECT}
    with pytest.raises(NotFound):
        require_operation(dn.staff, batch, Op.RECEIVE)


def test_strangers_and_authorities_may_do_nothing(coop, dn) -> None:
    batch = harvest(coop)
    stranger = make_party("HTX Khác")
    user, _headers = make_user_with_token(platform_role=PlatformRole.AUTHORITY)
    authority = actor_of(user)
    assert allowed_operations(stranger.staff, batch) == frozenset()
    assert allowed_operations(authority, batch) == frozenset()
    for op in Operation:
        with pytest.raises(NotFound):
            require_operation(stranger.staff, batch, op)
    with pytest.raises(Forbidden):
        require_operation(authority, batch, Op.STORING)
    with pytest.raises(NotFound):  # nothing is shipped to an authority
        require_operation(authority, batch, Op.RECEIVE)


def test_a_platform_admin_acts_as_the_owner(coop, dn) -> None:
    batch = harvest(coop)
    user, _headers = make_user_with_token(platform_role=PlatformRole.ADMIN)
    assert allowed_operations(actor_of(user), batch) == frozenset(GOODS | {Op.RECALL, Op.CORRECT})


def test_the_answer_costs_one_query_whatever_the_number_of_operations(coop, dn) -> None:
    batch = harvest(coop)
    ship(coop, batch, dn, "10")
    held = svc.current_quantity(batch.id)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for actor in (coop.staff, dn.staff):
            allowed_operations(actor, batch, held_kg=held)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 2, statements
