"""Timeline reads: a batch's events in time order with their effect on it, and the entries
a timeline page shows (each withdrawn event's correction, each shipping's or receiving's
receipt). Reads only."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select, tuple_

from core.actor import Actor
from core.db import db
from linkages.models.organisations import Organisation
from traceability.models.batches import Shipment
from traceability.models.events import EpcisEvent, EventBatch
from traceability.services import batches as svc
from traceability.services.recording import event_kind


def batch_timeline(actor: Actor, batch_id: int) -> Select[Any]:
    """The batch's events in time order (error declarations excluded: they are shown on
    the event they correct), with each event's effect on this batch. Another
    organisation's event is attached to the lot only when it is its receiving of it
    (``capture``), so a receipt shows once."""
    svc.get_batch(actor, batch_id)
    return (
        select(EpcisEvent, EventBatch.quantity_kg)
        .join(EventBatch, EventBatch.event_pk == EpcisEvent.id)
        .where(EventBatch.batch_id == batch_id, EpcisEvent.declares_error.is_(False))
        .order_by(EpcisEvent.event_time, EpcisEvent.id)
    )


def timeline_entries(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of ``batch_timeline`` as dicts; a withdrawn event carries its correction
    (reason, time, corrective event IDs), and a shipping or the receiving of a shipment
    carries the shipment's receipt (``_receipts``), each loaded in one query for the page."""
    retracted = [
        (event.organisation_id, event.event_id)
        for event, _kg in rows
        if event.retracted_at is not None and event.organisation_id is not None
    ]
    declarations: dict[tuple[int | None, str], dict[str, Any]] = {}
    if retracted:
        # The declaration of the same organisation: another may hold the same eventID.
        for decl in db.session.scalars(
            select(EpcisEvent).where(
                tuple_(EpcisEvent.organisation_id, EpcisEvent.event_id).in_(retracted),
                EpcisEvent.declares_error.is_(True),
            )
        ):
            info = decl.document.get("errorDeclaration") or {}
            declarations[(decl.organisation_id, decl.event_id)] = {
                "reason": info.get("reason"),
                "declared_at": info.get("declarationTime"),
                "corrective_event_ids": list(info.get("correctiveEventIDs") or []),
            }
    receipts = _receipts([event for event, _kg in rows])
    entries = []
    for event, kg in rows:
        entries.append(
            {
                "pk": event.id,
                "event_id": event.event_id,
                "kind": event_kind(event.document),
                "type": event.event_type.value,
                "event_time": event.event_time,
                "event_tz_offset": event.event_tz_offset,
                "biz_step": event.biz_step,
                "disposition": event.disposition,
                "quantity_kg": Decimal(kg),
                "corrected": event.retracted_at is not None,
                "retracted_at": event.retracted_at,
                "correction": declarations.get((event.organisation_id, event.event_id)),
                "shipment": receipts.get(event.id),
                "document": event.document,
            }
        )
    return entries


def _receipts(events: Sequence[EpcisEvent]) -> dict[int, dict[str, Any]]:
    """The shipment of each shipping (or receiving) event among ``events``, by event pk:
    what was shipped and to whom, and once received, what arrived, when, and the shortfall
    (shipped − received), so the shipper sees a short receipt on its own lot."""
    pks = [e.id for e in events if e.biz_step in ("shipping", "receiving")]
    if not pks:
        return {}
    found: dict[int, dict[str, Any]] = {}
    for shipment, name, short_name in db.session.execute(
        select(Shipment, Organisation.name, Organisation.short_name)
        .join(Organisation, Organisation.id == Shipment.to_organisation_id)
        .where(or_(Shipment.ship_event_pk.in_(pks), Shipment.receive_event_pk.in_(pks)))
    ):
        received = shipment.received_at is not None and shipment.received_kg is not None
        receipt = {
            "id": shipment.id,
            "batch_id": shipment.batch_id,
            "from_organisation_id": shipment.from_organisation_id,
            "to_organisation_id": shipment.to_organisation_id,
            "to_organisation_name": short_name or name,
            "quantity_kg": Decimal(shipment.quantity_kg),
            "shipped_at": shipment.shipped_at,
            "purchase_order": shipment.purchase_order,
            "despatch_ref": shipment.despatch_ref,
            "received": received,
            "received_kg": Decimal(shipment.received_kg) if received else None,
            "received_at": shipment.received_at if received else None,
            "received_batch_id": shipment.received_batch_id,
            "shortfall_kg": (
                Decimal(shipment.quantity_kg) - Decimal(shipment.received_kg)
                if received else None
            ),
        }
        found[shipment.ship_event_pk] = receipt
        if shipment.receive_event_pk is not None:
            found[shipment.receive_event_pk] = receipt
    return found
