"""Disposal: destroying what a lot holds, and recalling a lot (and optionally the lots its
organisation made from it). Nothing here commits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from core.actor import Actor
from core.db import db
from core.units import Unit, parse_unit
from traceability.models.batches import Batch, BatchStatus
from traceability.services import batches as svc
from traceability.services import lineage
from traceability.services.capture import BatchEffect, PreparedEvent
from traceability.services.operations import Operation, operable_batch
from traceability.services.recording.common import (
    ZERO,
    Recorded,
    batch_org,
    event_time,
    kg_quantity_element,
    object_event,
    parse_positive,
    product_of,
    quantity_element,
    store,
)


def record_destroy(
    actor: Actor,
    batch_id: int,
    *,
    at: date | datetime | str | None = None,
    quantity: Decimal | None = None,
    unit: Unit | str | None = None,
) -> Recorded:
    """Destroy what the lot holds (or ``quantity`` of it): DELETE ``destroying`` /
    ``destroyed``, effect −kg; the lot is ``destroyed`` when nothing is left."""
    batch, held = operable_batch(actor, batch_id, Operation.DESTROY)
    org = batch_org(actor, batch)
    if quantity is None:
        kg = held
        element = kg_quantity_element(batch, kg)
    else:
        parsed = parse_unit(unit or batch.unit)
        amount = parse_positive(quantity, "quantity")
        kg = svc.quantity_in_kg(amount, parsed, product_of(batch))
        held = svc.require_available(batch, kg)
        element = quantity_element(batch, amount, parsed)
    event = object_event(
        event_time(at), "DELETE", [element], "destroying", "destroyed", svc.org_location_uri(org)
    )
    events = store(actor, [PreparedEvent(event, effects=[BatchEffect(batch.id, -kg)])])
    if held - kg <= 0:
        batch.status = BatchStatus.DESTROYED
    return Recorded(events, batch)


def record_recall(
    actor: Actor,
    batch_id: int,
    *,
    at: date | datetime | str | None = None,
    include_descendants: bool = False,
) -> Recorded:
    """Recall a lot (and, optionally, the lots its organisation made from it): one OBSERVE
    ``holding`` / ``recalled`` event naming them all, effect 0, status ``recalled``."""
    batch, _held = operable_batch(actor, batch_id, Operation.RECALL)
    org = batch_org(actor, batch)
    lots = [batch]
    if include_descendants:
        lots += own_descendants(batch)
    event = object_event(
        event_time(at), "OBSERVE", [quantity_element(b, None, None) for b in lots], "holding",
        "recalled", svc.org_location_uri(org),
    )
    events = store(
        actor, [PreparedEvent(event, effects=[BatchEffect(b.id, ZERO) for b in lots])]
    )
    for b in lots:
        b.status = BatchStatus.RECALLED
    return Recorded(events, batch, lots[1:])


def own_descendants(batch: Batch) -> list[Batch]:
    """Lots of the same organisation made from ``batch`` at any depth (live edges only)."""
    return list(
        db.session.scalars(
            select(Batch)
            .where(
                Batch.id.in_(lineage.descendant_ids(batch.id)),
                Batch.organisation_id == batch.organisation_id,
            )
            .order_by(Batch.id)
        )
    )
