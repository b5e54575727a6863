"""What an actor may do with a lot now: the one answer every recorder enforces and the batch
page renders.

``allowed_operations(actor, batch)`` reads the lot's status and what it holds once (plus one
query for the shipments addressed to the actor) and answers with a set of ``Operation``;
``require_operation`` refuses the same way the set would leave an operation out:

- 404 to an actor who may not read the lot (its private data, or a shipment of it to them);
- 403 to a reader who may not write for the lot's organisation (an authority, the buyer);
- 409 with a message saying why when the lot's state forbids it: withdrawn (void), destroyed,
  used up, all shipped, recalled, or holding 0 kg for an event that needs goods.

The rules (owner = the lot's organisation's staff and admins, and platform admins):

=====================  =========================================  ===========
operation              statuses                                    needs goods
=====================  =========================================  ===========
cooling, storing,      active, recalled (goods kept on hold)       yes
packing (same lot),
destroy
packing into a new     active                                      yes
lot, shipping, split,
merge, transformation
recall                 active, in transit, consumed                no
correct                any (a closed lot's records stay            no
                       correctable)
=====================  =========================================  ===========

``receive`` is the addressee's (or a platform admin's): a shipment of the lot to its
organisation whose ship event stands and that is not received yet, whatever the lot's
status. An addressee that received a shipment may ``correct`` its receipt.

Two rules concern no existing lot: ``may_record_harvest`` (a new lot) and
``may_correct_event`` (one record of a lot's history, for pages that offer its "Correct").

Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from core.actor import Actor, can_write, require_authenticated, require_write
from core.db import db
from core.errors import Conflict, Forbidden, NotFound
from core.i18n import _l
from linkages.models.organisations import COOPERATIVE_TYPES, Organisation
from traceability.models.batches import Batch, BatchStatus, Shipment
from traceability.models.events import EpcisEvent
from traceability.services import batches as svc


class Operation(StrEnum):
    COOLING = "cooling"
    STORING = "storing"
    PACKING = "packing"  # observed, the lot keeps its code
    PACKING_NEW_LOT = "packing_new_lot"  # into a new packed lot
    SHIPPING = "shipping"
    SPLIT = "split"
    MERGE = "merge"
    TRANSFORMATION = "transformation"
    DESTROY = "destroy"
    RECALL = "recall"
    RECEIVE = "receive"
    CORRECT = "correct"


@dataclass(frozen=True)
class Rule:
    """When the owner may record an operation: the lot's statuses, and whether the lot
    must hold goods (more than 0 kg)."""

    statuses: frozenset[BatchStatus]
    needs_goods: bool


_KEEPING = Rule(frozenset({BatchStatus.ACTIVE, BatchStatus.RECALLED}), needs_goods=True)
_MOVING = Rule(frozenset({BatchStatus.ACTIVE}), needs_goods=True)

OWNER_RULES: dict[Operation, Rule] = {
    Operation.COOLING: _KEEPING,
    Operation.STORING: _KEEPING,
    Operation.PACKING: _KEEPING,
    Operation.DESTROY: _KEEPING,
    Operation.PACKING_NEW_LOT: _MOVING,
    Operation.SHIPPING: _MOVING,
    Operation.SPLIT: _MOVING,
    Operation.MERGE: _MOVING,
    Operation.TRANSFORMATION: _MOVING,
    # A recall concerns goods that left too (and the lots made from them).
    Operation.RECALL: Rule(
        frozenset({BatchStatus.ACTIVE, BatchStatus.IN_TRANSIT, BatchStatus.CONSUMED}),
        needs_goods=False,
    ),
    Operation.CORRECT: Rule(frozenset(BatchStatus), needs_goods=False),
}


def refusal(batch: Batch, held_kg: Decimal, op: Operation) -> Any | None:
    """Why the owner may not record ``op`` on the lot in its state (a message), or None."""
    rule = OWNER_RULES[op]
    status = batch.status
    if status not in rule.statuses:
        return _status_message(batch, op)
    if rule.needs_goods and held_kg <= 0:
        return _l("Batch %(lot)s holds 0 kg: there are no goods to record this on.",
                  lot=batch.lot_code)
    return None


def rule_clause(op: Operation) -> Any:
    """SQL: the lots whose state allows the owner ``op`` (``refusal`` as a WHERE clause, so
    a list of lots to choose from stays one query). Who acts is checked apart."""
    rule = OWNER_RULES[op]
    clause = Batch.status.in_(sorted(rule.statuses))
    if rule.needs_goods:
        clause = clause & (Batch.current_quantity_kg > 0)  # type: ignore[attr-defined]
    return clause


def _status_message(batch: Batch, op: Operation) -> Any:
    lot = batch.lot_code
    if batch.status == BatchStatus.VOID:
        return _l(
            "Batch %(lot)s is withdrawn: the event that created it did not occur. "
            "Nothing can be recorded on it.",
            lot=lot,
        )
    if batch.status == BatchStatus.DESTROYED:
        return _l("Batch %(lot)s was destroyed: nothing more can be recorded on it.", lot=lot)
    if batch.status == BatchStatus.CONSUMED:
        return _l("Batch %(lot)s is used up (0 kg): it holds no goods to record this on.",
                  lot=lot)
    if batch.status == BatchStatus.IN_TRANSIT:
        return _l("Batch %(lot)s holds 0 kg: all of it was shipped and is on its way to the "
                  "buyer.", lot=lot)
    if op == Operation.RECALL:
        return _l("Batch %(lot)s is already recalled.", lot=lot)
    return _l("Batch %(lot)s is recalled: it may not be shipped or made into new lots, only "
              "kept, stored or destroyed.", lot=lot)


# --------------------------------------------------------------------------- shipments


def _addressed_to(actor: Actor) -> Any:
    """SQL: shipments the actor receives (its organisation's; any for a platform admin)
    whose ship event still stands; None when it receives none."""
    live = EpcisEvent.retracted_at.is_(None)
    if actor.is_admin:
        return live
    if actor.organisation_id is None:
        return None
    return (Shipment.to_organisation_id == actor.organisation_id) & live


def receivable_shipments(actor: Actor, batch_id: int) -> list[Shipment]:
    """The lot's shipments the actor may receive now (not received yet), oldest first."""
    clause = _addressed_to(actor)
    if clause is None:
        return []
    return list(
        db.session.scalars(
            select(Shipment)
            .join(EpcisEvent, EpcisEvent.id == Shipment.ship_event_pk)
            .where(Shipment.batch_id == batch_id, Shipment.received_at.is_(None), clause)
            .order_by(Shipment.shipped_at, Shipment.id)
        )
    )


def receivable_shipment(actor: Actor, shipment_id: int) -> Shipment:
    """A shipment addressed to the actor, locked for update (anyone else: 404); 409 when it
    was received already."""
    require_authenticated(actor)
    clause = _addressed_to(actor)
    shipment = None
    if clause is not None:
        shipment = db.session.scalar(
            select(Shipment)
            .join(EpcisEvent, EpcisEvent.id == Shipment.ship_event_pk)
            .where(Shipment.id == shipment_id, clause)
            .with_for_update(of=Shipment)
        )
    if shipment is None:
        raise NotFound()
    if shipment.received_at is not None:
        raise Conflict(_l("This shipment has already been received."))
    return shipment


def _addressee_operations(actor: Actor, batch_id: int) -> set[Operation]:
    """Receive (a shipment waits) and correct (a receipt was recorded), in one query."""
    clause = _addressed_to(actor)
    if clause is None:
        return set()
    received = db.session.scalars(
        select(Shipment.received_at.is_not(None))
        .join(EpcisEvent, EpcisEvent.id == Shipment.ship_event_pk)
        .where(Shipment.batch_id == batch_id, clause)
    ).all()
    ops = set()
    if not all(received):
        ops.add(Operation.RECEIVE)
    if any(received):
        ops.add(Operation.CORRECT)
    return ops


# --------------------------------------------------------------------------- the answer


def allowed_operations(
    actor: Actor, batch: Batch, *, held_kg: Decimal | None = None
) -> frozenset[Operation]:
    """Every operation the actor may record on the lot now. ``held_kg``, when the caller
    already knows what the lot holds, spares the query."""
    ops: set[Operation] = set()
    if actor.is_authenticated and can_write(actor, batch.organisation_id):
        held = svc.current_quantity(batch.id) if held_kg is None else held_kg
        ops.update(op for op in OWNER_RULES if refusal(batch, held, op) is None)
    if actor.is_authenticated:
        ops.update(_addressee_operations(actor, batch.id))
    return frozenset(ops)


def require_operation(
    actor: Actor, batch: Batch, op: Operation, *, field: str | None = None
) -> Decimal:
    """Refuse ``op`` unless ``allowed_operations`` has it: 404 to those who may not read
    the lot, 403 to readers who may not write, 409 saying why for its state (naming
    ``field`` when given). Returns the kilograms the lot holds."""
    require_authenticated(actor)
    if op == Operation.RECEIVE:
        if not receivable_shipments(actor, batch.id):
            raise _not_found(field)
        return svc.current_quantity(batch.id)
    if not can_write(actor, batch.organisation_id):
        if svc.can_read_batch(actor, batch):
            raise Forbidden()
        raise _not_found(field)
    held = svc.current_quantity(batch.id)
    why = refusal(batch, held, op)
    if why is not None:
        raise Conflict(why, field_errors={field: [why]} if field else None)
    return held


def operable_batch(
    actor: Actor, batch_id: int, op: Operation, *, field: str | None = None
) -> tuple[Batch, Decimal]:
    """The lot, locked for update (two concurrent withdrawals cannot both pass), once
    ``require_operation`` allows ``op`` on it; and what it holds."""
    require_authenticated(actor)
    batch = db.session.get(Batch, batch_id, with_for_update=True)
    if batch is None:
        raise _not_found(field)
    return batch, require_operation(actor, batch, op, field=field)


def _not_found(field: str | None) -> NotFound:
    if field is None:
        return NotFound()
    return NotFound(field_errors={field: [_l("No such batch in your organisation.")]})


# --------------------------------------------------------------------------- beyond one lot


def may_record_harvest(actor: Actor, org: Organisation | None) -> bool:
    """May the actor record a harvest (a new lot) for ``org``, the organisation it acts
    for? Harvests are recorded by the cooperatives that farm production areas (HTX, union,
    cooperative group), by their own people or a platform admin: never by an enterprise,
    an authority, or for no organisation."""
    return (
        org is not None
        and actor.is_authenticated
        and org.org_type in COOPERATIVE_TYPES
        and can_write(actor, org.id)
    )


def harvesting_org(actor: Actor) -> Organisation:
    """The organisation the actor records a harvest for: its own, when
    ``may_record_harvest`` (a user acting for none: 403 asking to choose one; anyone
    else: 404 to strangers, 403 to readers, 403 to an enterprise saying why)."""
    org = svc.actor_org(actor)
    require_write(actor, org.id, org.province_code)
    if not may_record_harvest(actor, org):
        raise Forbidden(
            _l("Harvests are recorded by the cooperatives that farm the areas; "
               "an enterprise receives its lots from its suppliers.")
        )
    return org


def may_correct_event(actor: Actor, recorded_for: int | None) -> bool:
    """May the actor correct an event recorded for the organisation ``recorded_for``? Only
    that organisation's people, or a platform admin on its behalf: what ``correct_event``
    enforces (anyone else: 404), for pages that offer or hide the "Correct" link."""
    return recorded_for is not None and actor.is_authenticated and can_write(actor, recorded_for)


def operations_in(order: Iterable[Operation], allowed: frozenset[Operation]) -> list[str]:
    """The allowed operations among ``order``, in that order, as their names (for pages)."""
    return [op.value for op in order if op in allowed]


__all__ = [
    "OWNER_RULES",
    "Operation",
    "Rule",
    "allowed_operations",
    "may_correct_event",
    "may_record_harvest",
    "operable_batch",
    "receivable_shipment",
    "receivable_shipments",
    "refusal",
    "require_operation",
    "rule_clause",
]
