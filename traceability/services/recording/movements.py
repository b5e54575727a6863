"""Movements of a lot: observations (cooling, packing in the same lot, storing), packing
into a new packed lot, shipping to another organisation and receiving a shipment (with the
booking into the receiver's lot). Nothing here commits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.actor import Actor
from core.db import db
from core.errors import NotFound, ValidationFailed
from core.formatting import quantity_text
from core.i18n import _l
from core.units import Unit, parse_unit
from linkages.models.organisations import Organisation
from traceability.models.areas import ProductionArea
from traceability.models.batches import Batch, BatchStatus, Shipment
from traceability.models.events import EpcisEvent
from traceability.services import batches as svc
from traceability.services.capture import BatchEffect, Link, PreparedEvent
from traceability.services.operations import (
    Operation,
    operable_batch,
    receivable_shipment,
)
from traceability.services.recording.common import (
    COOLING_STEP,
    ZERO,
    Recorded,
    batch_org,
    event_time,
    kg_quantity_element,
    local_day,
    object_event,
    parse_decimal,
    parse_positive,
    product_of,
    quantity_element,
    set_status_after_withdrawal,
    store,
)
from traceability.services.recording.transformations import (
    Input,
    Output,
    lot_ilmd,
    transform,
    transformation_event,
)

# --------------------------------------------------------------------------- observations

_OBSERVATIONS = {
    "cooling": (COOLING_STEP, "in_progress"),
    "packing": ("packing", "in_progress"),
    "storing": ("storing", "sellable_not_accessible"),
}


def record_observation(
    actor: Actor,
    batch_id: int,
    kind: str,
    *,
    at: date | datetime | str | None = None,
    area_id: int | None = None,
) -> Recorded:
    """Cooling, packing (same lot) or storing: an OBSERVE event naming the lot with what it
    holds now, at the organisation's premises (or one of its areas); effect 0."""
    if kind not in _OBSERVATIONS:
        raise NotFound()
    batch, held = operable_batch(actor, batch_id, Operation(kind))
    org = batch_org(actor, batch)
    location = _location(org, area_id)
    biz_step, disposition = _OBSERVATIONS[kind]
    event = object_event(
        event_time(at), "OBSERVE", [kg_quantity_element(batch, held)], biz_step, disposition,
        location, biz_location=location,
    )
    events = store(actor, [PreparedEvent(event, effects=[BatchEffect(batch.id, ZERO)])])
    return Recorded(events, batch)


def record_cooling(actor: Actor, batch_id: int, **kwargs: Any) -> Recorded:
    return record_observation(actor, batch_id, "cooling", **kwargs)


def record_storing(actor: Actor, batch_id: int, **kwargs: Any) -> Recorded:
    return record_observation(actor, batch_id, "storing", **kwargs)


def record_packing(
    actor: Actor,
    batch_id: int,
    *,
    at: date | datetime | str | None = None,
    area_id: int | None = None,
    into_new_lot: bool = False,
    product_id: int | None = None,
    quantity: Decimal | None = None,
    unit: Unit | str | None = None,
    lot_code: str | None = None,
    expiry: date | None = None,
) -> Recorded:
    """Initial packing. In the same lot: an OBSERVE ``packing`` event. Into a new packed
    lot (where FSMA 204 assigns the traceability lot code): a TransformationEvent from
    ``quantity`` of the lot (default: all it holds) to a new lot of ``product_id`` (default:
    the same product), the same kilograms, with the link."""
    if not into_new_lot:
        return record_observation(actor, batch_id, "packing", at=at, area_id=area_id)
    batch, held = operable_batch(actor, batch_id, Operation.PACKING_NEW_LOT)
    org = batch_org(actor, batch)
    source_product = product_of(batch)
    product = svc.own_product(org, product_id) if product_id else source_product
    if quantity is None:
        take_kg = held
        out_qty, out_unit = take_kg, Unit.KG
    else:
        out_unit = parse_unit(unit or batch.unit)
        out_qty = parse_positive(quantity, "quantity")
        take_kg = svc.quantity_in_kg(out_qty, out_unit, source_product)
    out_kg = svc.quantity_in_kg(out_qty, out_unit, product)
    return transform(
        actor,
        org,
        inputs=[Input(batch, out_qty, out_unit, take_kg, "quantity")],
        outputs=[Output(product, out_qty, out_unit, out_kg, lot_code, expiry, "lot_code")],
        moment=event_time(at),
        biz_step="packing",
        operation="packing",
        tag="P",
        location=_location(org, area_id),
    )


def _location(org: Organisation, area_id: int | None) -> str:
    if area_id is None:
        return svc.org_location_uri(org)
    area = db.session.get(ProductionArea, area_id)
    if area is None or area.organisation_id != org.id:
        raise NotFound(field_errors={"area_id": [_l("No such area in your organisation.")]})
    return svc.area_location_uri(area, org)


# --------------------------------------------------------------------------- shipping


def _bt_uri(org: Organisation, kind: str, reference: str) -> str:
    """A business transaction reference as a URI under the party that issued it."""
    from urllib.parse import quote

    return f"{svc.party_uri(org)}/bt/{kind}/{quote(reference, safe='')}"


def record_shipping(
    actor: Actor,
    batch_id: int,
    *,
    to_organisation_id: int,
    quantity: Decimal,
    unit: Unit | str,
    shipped_at: date | datetime | str | None = None,
    purchase_order: str = "",
    despatch_ref: str = "",
) -> Recorded:
    """Ship part or all of a lot to another organisation: −kg, a ``Shipment`` the receiver
    sees and receives. 409 naming the batch and the shortfall when it holds less."""
    batch, _held = operable_batch(actor, batch_id, Operation.SHIPPING)
    org = batch_org(actor, batch)
    receiver = db.session.get(Organisation, to_organisation_id)
    if receiver is None:
        raise NotFound(field_errors={"to_organisation_id": [_l("No such organisation.")]})
    if receiver.id == org.id:
        raise ValidationFailed(
            field_errors={"to_organisation_id": [_l("Ship to another organisation.")]}
        )
    unit = parse_unit(unit)
    quantity = parse_positive(quantity, "quantity")
    kg = svc.quantity_in_kg(quantity, unit, product_of(batch))
    held = svc.require_available(batch, kg)
    moment = event_time(shipped_at, "shipped_at")
    transactions = []
    if purchase_order:
        transactions.append(
            {"type": "po", "bizTransaction": _bt_uri(receiver, "po", purchase_order)}
        )
    if despatch_ref:
        transactions.append(
            {"type": "desadv", "bizTransaction": _bt_uri(org, "desadv", despatch_ref)}
        )
    event = object_event(
        moment, "OBSERVE", [quantity_element(batch, quantity, unit)], "shipping", "in_transit",
        svc.org_location_uri(org),
        sourceList=[
            {"type": "owning_party", "source": svc.party_uri(org)},
            {"type": "location", "source": svc.org_location_uri(org)},
        ],
        destinationList=[
            {"type": "owning_party", "destination": svc.party_uri(receiver)},
            {"type": "location", "destination": svc.org_location_uri(receiver)},
        ],
    )
    if transactions:
        event["bizTransactionList"] = transactions
    events = store(actor, [PreparedEvent(event, effects=[BatchEffect(batch.id, -kg)])])
    shipment = Shipment(
        batch_id=batch.id,
        from_organisation_id=org.id,
        to_organisation_id=receiver.id,
        quantity_kg=kg,
        shipped_at=moment.astimezone(UTC),  # SQLite keeps no offset: store UTC
        ship_event_pk=events[0].id,
        purchase_order=purchase_order or "",
        despatch_ref=despatch_ref or "",
    )
    db.session.add(shipment)
    set_status_after_withdrawal(batch, held - kg, shipped=True)
    db.session.flush()
    return Recorded(events, batch, shipment=shipment)


def record_receiving(
    actor: Actor,
    shipment_id: int,
    *,
    received_quantity: Decimal,
    unit: Unit | str = Unit.KG,
    received_at: date | datetime | str | None = None,
    into_new_lot: bool = True,
    lot_code: str | None = None,
    product_id: int | None = None,
) -> Recorded:
    """Receive a shipment addressed to the actor's organisation (anyone else: 404).

    Records the receiving event on the shipped lot and, with ``into_new_lot`` (default),
    books the goods as a new lot of the receiver (its own lot code; ``product_id`` one of
    its products, default the shipped product) linked to the shipped lot. Refuses a second
    receipt (409) and more than was shipped (422).
    """
    shipment = receivable_shipment(actor, shipment_id)
    receiver = svc.load_org(shipment.to_organisation_id)
    shipped = db.session.get(Batch, shipment.batch_id)
    assert shipped is not None
    shipped_product = product_of(shipped)
    unit = parse_unit(unit)
    quantity = parse_decimal(received_quantity, "received_quantity")
    kg = svc.quantity_in_kg(quantity, unit, shipped_product, field="received_quantity")
    if kg > shipment.quantity_kg:
        raise ValidationFailed(
            field_errors={
                "received_quantity": [
                    _l("More than was shipped (%(kg)s kg).", kg=quantity_text(shipment.quantity_kg))
                ]
            }
        )
    moment = event_time(received_at, "received_at")
    shipper = svc.load_org(shipment.from_organisation_id)
    here = svc.org_location_uri(receiver)
    receive = object_event(
        moment, "OBSERVE", [quantity_element(shipped, quantity, unit)], "receiving",
        "in_progress", here, biz_location=here,
        sourceList=[
            {"type": "owning_party", "source": svc.party_uri(shipper)},
            {"type": "location", "source": svc.org_location_uri(shipper)},
        ],
        destinationList=[
            {"type": "owning_party", "destination": svc.party_uri(receiver)},
            {"type": "location", "destination": here},
        ],
    )
    transactions = []
    if shipment.purchase_order:
        transactions.append(
            {"type": "po", "bizTransaction": _bt_uri(receiver, "po", shipment.purchase_order)}
        )
    if shipment.despatch_ref:
        transactions.append(
            {"type": "desadv", "bizTransaction": _bt_uri(shipper, "desadv",
                                                         shipment.despatch_ref)}
        )
    if transactions:
        receive["bizTransactionList"] = transactions
    items = [PreparedEvent(receive, effects=[BatchEffect(shipped.id, ZERO)])]
    created: list[Batch] = []
    if into_new_lot:
        product = svc.own_product(receiver, product_id) if product_id else shipped_product
        out_kg = svc.quantity_in_kg(quantity, unit, product, field="received_quantity")
        booked = svc.new_batch(
            actor,
            receiver,
            product,
            quantity=quantity,
            unit=unit,
            quantity_kg=out_kg,
            lot_code=lot_code,
            lot_day=local_day(moment),
            lot_tag_text="R",
            harvest_start=shipped.harvest_start,
            harvest_end=shipped.harvest_end,
            grade=shipped.grade,
            expiry=shipped.expiry,
        )
        created.append(booked)
        booking = transformation_event(
            moment,
            inputs=[quantity_element(shipped, quantity, unit)],
            outputs=[quantity_element(booked, quantity, unit)],
            biz_step="commissioning",
            operation="receiving",
            location=here,
            ilmd=lot_ilmd(booked, here),
        )
        items.append(
            PreparedEvent(
                booking,
                effects=[BatchEffect(shipped.id, ZERO), BatchEffect(booked.id, out_kg)],
                links=[Link(shipped.id, booked.id, kg)],
            )
        )
    events = store(actor, items)
    shipment.received_at = moment.astimezone(UTC)
    shipment.received_kg = kg
    shipment.receive_event_pk = events[0].id
    shipment.received_batch_id = created[0].id if created else None
    _close_if_all_received(shipped)
    db.session.flush()
    return Recorded(events, created[0] if created else shipped, created, shipment)


def _close_if_all_received(batch: Batch) -> None:
    """A lot shipped out entirely is consumed once every live shipment of it arrived."""
    if batch.status != BatchStatus.IN_TRANSIT:
        return
    db.session.flush()
    if not has_open_shipment(batch.id) and svc.current_quantity(batch.id) <= 0:
        batch.status = BatchStatus.CONSUMED


def has_open_shipment(batch_id: int) -> bool:
    """A live shipment of the lot has not been received yet."""
    open_ = db.session.scalar(
        select(Shipment.id)
        .join(EpcisEvent, EpcisEvent.id == Shipment.ship_event_pk)
        .where(
            Shipment.batch_id == batch_id,
            Shipment.received_at.is_(None),
            EpcisEvent.retracted_at.is_(None),
        )
        .limit(1)
    )
    return open_ is not None
