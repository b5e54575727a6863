"""Cooperative-friendly business events: each records one step of a lot's life as an EPCIS
2.0 event with the FSMA 204 key data elements, through the one capture path
(``traceability.services.capture.store_events``), with its quantity effects and genealogy
links.

Event shapes (CBV 2.0 values; ``htx:`` is the platform's extension namespace):

- harvest — ObjectEvent ADD, bizStep ``commissioning``, disposition ``active``, the new lot
  as ``quantityList`` (UN/ECE uom), readPoint/bizLocation the area (GLN Digital Link or the
  platform URI), ILMD harvest dates, country of origin, lot number, expiry and the fields
  (area codes, names, planting-area codes) — CBV has no harvesting bizStep (STANDARDS §1).
  Effect +kg.
- cooling / packing / storing — ObjectEvent OBSERVE (bizStep ``packing`` / ``storing``; CBV
  2.0 has no cooling step, so cooling is an own-vocabulary URI as CBV allows:
  ``https://ns.htx-trace.vn/epcis/bizStep/cooling``), effect 0. Packing *into a new packed
  lot* (the FSMA traceability lot code is assigned at initial packing) is a
  TransformationEvent bizStep ``packing`` from the lot to the new packed lot, with the link,
  as every identity change here is.
- shipping — ObjectEvent OBSERVE ``shipping`` / ``in_transit``; source and destination
  ``owning_party`` and ``location``; bizTransactionList ``po`` and ``desadv``; effect −kg;
  a ``Shipment`` row.
- receiving — ObjectEvent OBSERVE ``receiving`` / ``in_progress`` on the shipped lot at the
  receiver's location (effect 0: the shipper's ledger already gave the goods away); when the
  receiver books the goods into its own lot (the default), a TransformationEvent (bizStep
  ``commissioning``, ``htx:operation`` ``receiving``) from the shipped lot to the new lot
  carries +kg and the link, so the receiver's lineage continues from the shipper's.
- transformation, split, merge — TransformationEvent, inputQuantityList →
  outputQuantityList, effects −inputs / +outputs, links input → output with kg; a
  processing step may say which process in ``htx:process`` (traceability/processes.py). Split and
  merge are TransformationEvents, not AggregationEvents: they end with new lot identities
  made from old ones (a genealogy), whereas an AggregationEvent says objects were put into
  or taken out of a container (a parentID such as a pallet SSCC) and neither creates lots
  nor moves quantity between them.
- destroy — ObjectEvent DELETE ``destroying`` / ``destroyed``, effect −what is destroyed.
- recall — ObjectEvent OBSERVE ``holding`` / ``recalled`` naming the lot (and optionally its
  descendants held by the same organisation), effect 0; status ``recalled``.
- corrections — never edit or delete: ``correct_event`` captures the error declaration (the
  original event with ``errorDeclaration``) and, for ``incorrect_data``, one corrective
  event (the original with corrected quantities and/or time), and keeps the quantities true.
  A receiving is corrected by the receiver, whole (receiving event and booking); a lot
  whose making event did not occur becomes ``void``.

Rules: what an actor may record on a lot now is ``traceability.services.operations``' one
answer (``operable_batch``): only the owning organisation (its staff or admins, or a platform
admin) records events on its batches, an event that needs goods is refused on an empty or
closed lot saying why (409), a shipment is received by its addressee; a batch never goes
below zero (409 naming the batch and the shortfall in kg); a re-submitted identical event is
refused as already recorded (409).
Nothing here commits.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select, tuple_

from core.actor import Actor, require_write
from core.clock import VIETNAM
from core.db import db, utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.formatting import quantity_text
from core.i18n import _l
from core.numbers import NumberRefused, to_decimal
from core.units import UNECE, Unit, parse_unit
from linkages.models.organisations import Organisation
from traceability.epcis.hashing import event_hash_id
from traceability.epcis.validation import EPCIS_CONTEXT_URL, validate_event
from traceability.models.areas import ProductionArea
from traceability.models.batches import Batch, BatchLink, BatchStatus, Shipment
from traceability.models.events import EpcisEvent, EventBatch
from traceability.models.products import Product
from traceability.processes import PROCESS_FIELD, Process, parse_process
from traceability.services import batches as svc
from traceability.services import lineage
from traceability.services.capture import (
    QUANTITY_LIST_KEYS,
    BatchEffect,
    CaptureResult,
    Link,
    PreparedEvent,
    canonical_identifier,
    store_events,
)
from traceability.services.operations import (
    Operation,
    operable_batch,
    receivable_shipment,
)
from traceability.services.phi import check_phi

HTX_NAMESPACE = "https://ns.htx-trace.vn/epcis/"
EVENT_CONTEXT: list[Any] = [EPCIS_CONTEXT_URL, {"htx": HTX_NAMESPACE}]
ERROR_REASONS = ("did_not_occur", "incorrect_data")
ZERO = Decimal("0.0000")


@dataclass
class Recorded:
    """What a business event wrote: the stored events (in order), the batch it is about,
    the batches it created, and the shipment it made or closed."""

    events: list[EpcisEvent]
    batch: Batch
    created: list[Batch] = field(default_factory=list)
    shipment: Shipment | None = None

    @property
    def event_ids(self) -> list[str]:
        return [e.event_id for e in self.events]


# --------------------------------------------------------------------------- helpers


def event_time(value: date | datetime | str | None, field_name: str = "at") -> datetime:
    """An aware datetime: a date is midnight in Vietnam, a naive time is Vietnamese time,
    an aware one keeps its offset; None is now (Vietnamese offset)."""
    if value is None:
        return utcnow().astimezone(VIETNAM).replace(microsecond=0)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            raise ValidationFailed(
                field_errors={field_name: [_l("Enter a date or a date and time.")]}
            ) from None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=VIETNAM)
    return datetime.combine(value, time(0, 0), tzinfo=VIETNAM)


def local_day(moment: datetime) -> date:
    return moment.date()


def _time_fields(moment: datetime) -> dict[str, str]:
    offset = moment.strftime("%z")  # "+0700"
    return {
        "eventTime": moment.isoformat(),
        "eventTimeZoneOffset": f"{offset[:3]}:{offset[3:]}",
    }


def _number(value: Decimal) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _quantity(batch: Batch, quantity: Decimal | None, unit: Unit | None) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": batch.identifier}
    if quantity is not None and unit is not None:
        element["quantity"] = _number(quantity)
        element["uom"] = UNECE[Unit(unit)]
    return element


def _kg_quantity(batch: Batch, kg: Decimal) -> dict[str, Any]:
    return _quantity(batch, kg, Unit.KG)


def _decimal(value: Any, field_name: str) -> Decimal:
    try:
        return to_decimal(value, below_message=_l("Enter a quantity of zero or more."))
    except NumberRefused:
        # One message for every refusal, as before: quantities are typed, not computed.
        raise ValidationFailed(
            field_errors={field_name: [_l("Enter a quantity of zero or more.")]}
        ) from None


def _positive(value: Any, field_name: str) -> Decimal:
    number = _decimal(value, field_name)
    if number <= 0:
        raise ValidationFailed(field_errors={field_name: [_l("Enter a quantity above zero.")]})
    return number


def _writer_org(actor: Actor) -> Organisation:
    org = svc.actor_org(actor)
    require_write(actor, org.id, org.province_code)
    return org


def _batch_org(actor: Actor, batch: Batch) -> Organisation:
    return svc.load_org(batch.organisation_id)


def _product_of(batch: Batch) -> Product:
    product = db.session.get(Product, batch.product_id)
    assert product is not None
    return product


def _store(actor: Actor, items: Sequence[PreparedEvent]) -> list[EpcisEvent]:
    """Validate our own events (an error is our bug, reported as a 422 anyway), store them
    all or nothing, and return the stored rows. A re-sent identical event is a 409."""
    for item in items:
        errors = validate_event(item.event, EVENT_CONTEXT)
        if errors:
            raise ValidationFailed(
                _l("The event could not be built correctly."), field_errors=errors
            )
    results: list[CaptureResult] = store_events(actor, items, EVENT_CONTEXT)
    if any(r.status == "duplicate" for r in results):
        raise Conflict(_l("This event has already been recorded."))
    db.session.flush()
    rows = {
        e.id: e
        for e in db.session.scalars(
            select(EpcisEvent).where(EpcisEvent.id.in_([r.pk for r in results]))
        )
    }
    return [rows[r.pk] for r in results if r.pk is not None]


def _set_status_after_withdrawal(batch: Batch, remaining: Decimal, *, shipped: bool) -> None:
    if remaining > 0 or batch.status in (
        BatchStatus.DESTROYED,
        BatchStatus.RECALLED,
        BatchStatus.VOID,
    ):
        return
    batch.status = BatchStatus.IN_TRANSIT if shipped else BatchStatus.CONSUMED


# --------------------------------------------------------------------------- harvest


def record_harvest(
    actor: Actor,
    *,
    area_ids: Sequence[int],
    product_id: int,
    quantity: Decimal | None,
    unit: Unit | str,
    harvested_on: date | datetime | str,
    lot_code: str | None = None,
    grade: str = "",
    quality: dict[str, Any] | None = None,
    expiry: date | None = None,
    contributions: Sequence[svc.ContributionIn | dict[str, Any]] = (),
    phi_override_reason: str | None = None,
) -> Batch:
    """Create a harvest lot of the actor's organisation and its commissioning event.

    Areas and product must be the organisation's (else 404); the PHI gate runs on every
    area (409, or an org admin's recorded override; staff overriding get 403); member
    contributions must be active members and add up to no more than the lot (422). A
    pooled lot's quantity may be left out (None): it is then its contributions' sum.
    """
    org = _writer_org(actor)
    if not area_ids:
        raise ValidationFailed(field_errors={"area_ids": [_l("Choose at least one area.")]})
    wanted = list(dict.fromkeys(area_ids))
    found = {
        a.id: a
        for a in db.session.scalars(
            select(ProductionArea).where(
                ProductionArea.id.in_(wanted), ProductionArea.organisation_id == org.id
            )
        )
    }
    missing = [a for a in wanted if a not in found]
    if missing:
        raise NotFound(
            field_errors={"area_ids": [_l("No such area in your organisation: %(ids)s.",
                                          ids=", ".join(map(str, missing)))]}
        )
    areas = [found[a] for a in wanted]
    product = svc.own_product(org, product_id)
    unit = parse_unit(unit)
    if quantity is None:
        quantity = _pooled_total(contributions, unit, product)
    quantity = _positive(quantity, "quantity")
    kg = svc.quantity_in_kg(quantity, unit, product)
    moment = event_time(harvested_on, "harvested_on")
    day = local_day(moment)
    override = check_phi(actor, areas, day, phi_override_reason)

    batch = svc.new_batch(
        actor,
        org,
        product,
        quantity=quantity,
        unit=unit,
        quantity_kg=kg,
        lot_code=lot_code,
        lot_day=day,
        lot_tag_text=areas[0].code,
        harvest_start=day,
        harvest_end=day,
        grade=grade,
        quality=quality,
        expiry=expiry,
        area_ids=wanted,
    )
    if override:
        batch.phi_override_reason = override
        batch.phi_override_by_id = actor.user_id or None
    svc.add_contributions(org, batch, product, contributions, default_day=day)

    location = svc.area_location_uri(areas[0], org)
    ilmd: dict[str, Any] = {
        "cbvmda:lotNumber": batch.lot_code,
        "cbvmda:harvestStartDate": day.isoformat(),
        "cbvmda:harvestEndDate": day.isoformat(),
        "cbvmda:countryOfOrigin": "VN",
        "htx:productName": product.name,
        "htx:commodity": product.commodity.value,
        "htx:fields": [
            {
                "htx:areaCode": a.code,
                "htx:areaName": a.name,
                "htx:location": svc.area_location_uri(a, org),
                **({"htx:plantingAreaCode": a.planting_area_code}
                   if a.planting_area_code else {}),
                **({"htx:crop": a.crop} if a.crop else {}),
                **({"htx:variety": a.variety} if a.variety else {}),
                **({"htx:communeCode": a.commune_code} if a.commune_code else {}),
            }
            for a in areas
        ],
    }
    if expiry:
        ilmd["cbvmda:itemExpirationDate"] = expiry.isoformat()
    if grade:
        ilmd["htx:grade"] = grade
    event = {
        "type": "ObjectEvent",
        **_time_fields(moment),
        "epcList": [],
        "action": "ADD",
        "quantityList": [_quantity(batch, quantity, unit)],
        "bizStep": "commissioning",
        "disposition": "active",
        "readPoint": {"id": location},
        "bizLocation": {"id": location},
        "sourceList": [{"type": "owning_party", "source": svc.party_uri(org)}],
        "ilmd": ilmd,
    }
    _store(actor, [PreparedEvent(event, effects=[BatchEffect(batch.id, kg)])])
    return batch


def _pooled_total(
    items: Sequence[svc.ContributionIn | dict[str, Any]], unit: Unit, product: Product
) -> Decimal:
    """A pooled lot's quantity when only its members' deliveries are given: their sum in
    the lot's unit, rounded up to what is stored so that they never exceed the lot."""
    parsed = [i if isinstance(i, svc.ContributionIn) else svc.ContributionIn(**i) for i in items]
    if not parsed:
        raise ValidationFailed(field_errors={"quantity": [_l("Enter the quantity.")]})
    units = [parse_unit(c.unit, f"contributions.{i}.unit") for i, c in enumerate(parsed)]
    if all(u == unit for u in units):
        return sum((_decimal(c.quantity, f"contributions.{i}.quantity")
                    for i, c in enumerate(parsed)), Decimal(0))
    kg = sum(
        (svc.quantity_in_kg(_decimal(c.quantity, f"contributions.{i}.quantity"), u, product,
                            field=f"contributions.{i}.quantity")
         for i, (c, u) in enumerate(zip(parsed, units, strict=True))),
        Decimal(0),
    )
    per_unit = svc.quantity_in_kg(Decimal(1), unit, product)
    return (kg / per_unit).quantize(Decimal("0.0001"), rounding=ROUND_CEILING)


# --------------------------------------------------------------------------- observations

# CBV 2.0 has no cooling step: an own-vocabulary URI, as CBV allows (a bare unknown word is
# refused by validation and by other repositories).
COOLING_STEP = f"{HTX_NAMESPACE}bizStep/cooling"
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
    org = _batch_org(actor, batch)
    location = _location(org, area_id)
    biz_step, disposition = _OBSERVATIONS[kind]
    event = {
        "type": "ObjectEvent",
        **_time_fields(event_time(at)),
        "epcList": [],
        "action": "OBSERVE",
        "quantityList": [_kg_quantity(batch, held)],
        "bizStep": biz_step,
        "disposition": disposition,
        "readPoint": {"id": location},
        "bizLocation": {"id": location},
    }
    events = _store(actor, [PreparedEvent(event, effects=[BatchEffect(batch.id, ZERO)])])
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
    org = _batch_org(actor, batch)
    source_product = _product_of(batch)
    product = svc.own_product(org, product_id) if product_id else source_product
    if quantity is None:
        take_kg = held
        out_qty, out_unit = take_kg, Unit.KG
    else:
        out_unit = parse_unit(unit or batch.unit)
        out_qty = _positive(quantity, "quantity")
        take_kg = svc.quantity_in_kg(out_qty, out_unit, source_product)
    out_kg = svc.quantity_in_kg(out_qty, out_unit, product)
    return _transform(
        actor,
        org,
        inputs=[_Input(batch, out_qty, out_unit, take_kg, "quantity")],
        outputs=[_Output(product, out_qty, out_unit, out_kg, lot_code, expiry, "lot_code")],
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
    org = _batch_org(actor, batch)
    receiver = db.session.get(Organisation, to_organisation_id)
    if receiver is None:
        raise NotFound(field_errors={"to_organisation_id": [_l("No such organisation.")]})
    if receiver.id == org.id:
        raise ValidationFailed(
            field_errors={"to_organisation_id": [_l("Ship to another organisation.")]}
        )
    unit = parse_unit(unit)
    quantity = _positive(quantity, "quantity")
    kg = svc.quantity_in_kg(quantity, unit, _product_of(batch))
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
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        **_time_fields(moment),
        "epcList": [],
        "action": "OBSERVE",
        "quantityList": [_quantity(batch, quantity, unit)],
        "bizStep": "shipping",
        "disposition": "in_transit",
        "readPoint": {"id": svc.org_location_uri(org)},
        "sourceList": [
            {"type": "owning_party", "source": svc.party_uri(org)},
            {"type": "location", "source": svc.org_location_uri(org)},
        ],
        "destinationList": [
            {"type": "owning_party", "destination": svc.party_uri(receiver)},
            {"type": "location", "destination": svc.org_location_uri(receiver)},
        ],
    }
    if transactions:
        event["bizTransactionList"] = transactions
    events = _store(actor, [PreparedEvent(event, effects=[BatchEffect(batch.id, -kg)])])
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
    _set_status_after_withdrawal(batch, held - kg, shipped=True)
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
    shipped_product = _product_of(shipped)
    unit = parse_unit(unit)
    quantity = _decimal(received_quantity, "received_quantity")
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
    receive = {
        "type": "ObjectEvent",
        **_time_fields(moment),
        "epcList": [],
        "action": "OBSERVE",
        "quantityList": [_quantity(shipped, quantity, unit)],
        "bizStep": "receiving",
        "disposition": "in_progress",
        "readPoint": {"id": here},
        "bizLocation": {"id": here},
        "sourceList": [
            {"type": "owning_party", "source": svc.party_uri(shipper)},
            {"type": "location", "source": svc.org_location_uri(shipper)},
        ],
        "destinationList": [
            {"type": "owning_party", "destination": svc.party_uri(receiver)},
            {"type": "location", "destination": here},
        ],
    }
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
        booking = _transformation_event(
            moment,
            inputs=[_quantity(shipped, quantity, unit)],
            outputs=[_quantity(booked, quantity, unit)],
            biz_step="commissioning",
            operation="receiving",
            location=here,
            ilmd=_lot_ilmd(booked, here),
        )
        items.append(
            PreparedEvent(
                booking,
                effects=[BatchEffect(shipped.id, ZERO), BatchEffect(booked.id, out_kg)],
                links=[Link(shipped.id, booked.id, kg)],
            )
        )
    events = _store(actor, items)
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
    if not _has_open_shipment(batch.id) and svc.current_quantity(batch.id) <= 0:
        batch.status = BatchStatus.CONSUMED


def _has_open_shipment(batch_id: int) -> bool:
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


# --------------------------------------------------------------------------- transformations


@dataclass
class _Input:
    batch: Batch
    quantity: Decimal
    unit: Unit
    kg: Decimal
    field: str


@dataclass
class _Output:
    product: Product
    quantity: Decimal
    unit: Unit
    kg: Decimal
    lot_code: str | None
    expiry: date | None
    field: str
    grade: str = ""


def _lot_ilmd(batch: Batch, location: str) -> dict[str, Any]:
    """ILMD of a lot made by an event: its lot number and where its TLC was assigned."""
    ilmd: dict[str, Any] = {"cbvmda:lotNumber": batch.lot_code, "htx:tlcSource": location}
    if batch.expiry:
        ilmd["cbvmda:itemExpirationDate"] = batch.expiry.isoformat()
    return ilmd


def _transformation_event(
    moment: datetime,
    *,
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    biz_step: str,
    operation: str,
    location: str,
    ilmd: dict[str, Any] | None = None,
    process: Process | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "TransformationEvent",
        **_time_fields(moment),
        "inputQuantityList": inputs,
        "outputQuantityList": outputs,
        "bizStep": biz_step,
        "disposition": "active",
        "readPoint": {"id": location},
        "bizLocation": {"id": location},
        "htx:operation": operation,
    }
    if process is not None:
        event[PROCESS_FIELD] = process.value
    if ilmd:
        event["ilmd"] = ilmd
    return event


def _link_kg(inputs: Sequence[_Input], outputs: Sequence[_Output], i: _Input,
             o: _Output) -> Decimal:
    """Kilograms of input ``i`` that went into output ``o``: all of it into a single
    output, the output's kg from a single input, else in proportion to the outputs."""
    if len(outputs) == 1:
        return i.kg
    if len(inputs) == 1:
        return o.kg
    total = sum((x.kg for x in outputs), Decimal(0))
    return (i.kg * o.kg / total).quantize(svc.KG_PLACES) if total else ZERO


def _transform(
    actor: Actor,
    org: Organisation,
    *,
    inputs: list[_Input],
    outputs: list[_Output],
    moment: datetime,
    biz_step: str,
    operation: str,
    tag: str,
    location: str | None = None,
    process: Process | None = None,
) -> Recorded:
    seen: set[int] = set()
    for item in inputs:
        if item.batch.id in seen:
            raise ValidationFailed(
                field_errors={item.field: [_l("The same batch is listed twice.")]}
            )
        seen.add(item.batch.id)
        if item.kg <= 0:
            raise ValidationFailed(field_errors={item.field: [_l("Enter a quantity above zero.")]})
    held = {item.batch.id: svc.require_available(item.batch, item.kg, field=item.field)
            for item in inputs}
    location = location or svc.org_location_uri(org)
    created: list[Batch] = []
    for out in outputs:
        created.append(
            svc.new_batch(
                actor,
                org,
                out.product,
                quantity=out.quantity,
                unit=out.unit,
                quantity_kg=out.kg,
                lot_code=out.lot_code,
                lot_day=local_day(moment),
                lot_tag_text=tag,
                harvest_start=_earliest(i.batch.harvest_start for i in inputs),
                harvest_end=_latest(i.batch.harvest_end for i in inputs),
                grade=out.grade,
                expiry=out.expiry,
                field=out.field,
            )
        )
    ilmd = _lot_ilmd(created[0], location) if len(created) == 1 else {
        "htx:lots": [_lot_ilmd(b, location) for b in created]
    }
    event = _transformation_event(
        moment,
        inputs=[_quantity(i.batch, i.quantity, i.unit) for i in inputs],
        outputs=[_quantity(b, o.quantity, o.unit) for b, o in zip(created, outputs, strict=True)],
        biz_step=biz_step,
        operation=operation,
        location=location,
        ilmd=ilmd,
        process=process,
    )
    effects = [BatchEffect(i.batch.id, -i.kg) for i in inputs] + [
        BatchEffect(b.id, o.kg) for b, o in zip(created, outputs, strict=True)
    ]
    links = [
        Link(i.batch.id, b.id, _link_kg(inputs, outputs, i, o))
        for i in inputs
        for b, o in zip(created, outputs, strict=True)
    ]
    events = _store(actor, [PreparedEvent(event, effects=effects, links=links)])
    for item in inputs:
        _set_status_after_withdrawal(item.batch, held[item.batch.id] - item.kg, shipped=False)
    return Recorded(events, created[0], created)


def _earliest(days: Any) -> date | None:
    known = [d for d in days if d is not None]
    return min(known) if known else None


def _latest(days: Any) -> date | None:
    known = [d for d in days if d is not None]
    return max(known) if known else None


def _inputs(actor: Actor, items: Sequence[Mapping[str, Any]], op: Operation, *,
            default_all: bool) -> list[_Input]:
    """Input batches of the actor's organisation on which ``op`` is allowed, with their
    quantities (a missing quantity means all the batch holds, when ``default_all``)."""
    parsed = []
    for n, raw in enumerate(items):
        prefix = f"inputs.{n}"
        batch, held = operable_batch(actor, int(raw["batch_id"]), op,
                                     field=f"{prefix}.batch_id")
        if raw.get("quantity") is None:
            if not default_all:
                raise ValidationFailed(field_errors={f"{prefix}.quantity": [_l("Required.")]})
            kg = held
            parsed.append(_Input(batch, kg, Unit.KG, kg, f"{prefix}.quantity"))
            continue
        unit = parse_unit(raw.get("unit") or batch.unit, f"{prefix}.unit")
        quantity = _positive(raw["quantity"], f"{prefix}.quantity")
        kg = svc.quantity_in_kg(quantity, unit, _product_of(batch), field=f"{prefix}.quantity")
        parsed.append(_Input(batch, quantity, unit, kg, f"{prefix}.quantity"))
    if not parsed:
        raise ValidationFailed(field_errors={"inputs": [_l("List at least one input batch.")]})
    return parsed


def _same_org(actor: Actor, inputs: Sequence[_Input]) -> Organisation:
    orgs = {i.batch.organisation_id for i in inputs}
    if len(orgs) != 1:
        raise ValidationFailed(
            field_errors={"inputs": [_l("All input batches must belong to one organisation.")]}
        )
    return svc.load_org(orgs.pop())


def record_transformation(
    actor: Actor,
    *,
    inputs: Sequence[Mapping[str, Any]],
    output: Mapping[str, Any],
    at: date | datetime | str | None = None,
    process: str | None = None,
) -> Recorded:
    """Processing: ``inputs`` = [{batch_id, quantity, unit}] of the organisation's batches
    into one new lot ``output`` = {product_id, quantity, unit, lot_code?, expiry?, grade?}.
    ``process`` optionally names what was done (``traceability.processes.Process``: drying,
    hulling, roasting…), stored as ``htx:process``; an unknown one is refused (422 naming
    ``process``) before anything is written. No input may give more than it holds (409
    naming it and the shortfall)."""
    chosen = parse_process(process)
    parsed = _inputs(actor, inputs, Operation.TRANSFORMATION, default_all=False)
    org = _same_org(actor, parsed)
    product = svc.own_product(org, int(output["product_id"]), "output.product_id")
    unit = parse_unit(output.get("unit") or product.default_unit, "output.unit")
    quantity = _positive(output.get("quantity"), "output.quantity")
    kg = svc.quantity_in_kg(quantity, unit, product, field="output.quantity")
    out = _Output(product, quantity, unit, kg, output.get("lot_code"), output.get("expiry"),
                  "output.lot_code", output.get("grade") or "")
    return _transform(
        actor, org, inputs=parsed, outputs=[out], moment=event_time(at),
        biz_step="commissioning", operation="transformation", tag="T", process=chosen,
    )


def record_split(
    actor: Actor,
    batch_id: int,
    *,
    parts: Sequence[Mapping[str, Any]],
    at: date | datetime | str | None = None,
) -> Recorded:
    """Split a lot into new lots of the same product: ``parts`` = [{quantity, unit?,
    lot_code?}]; their sum may not exceed what the lot holds (409 with the shortfall)."""
    batch, _held = operable_batch(actor, batch_id, Operation.SPLIT)
    org = _batch_org(actor, batch)
    product = _product_of(batch)
    if len(parts) < 1:
        raise ValidationFailed(field_errors={"parts": [_l("List the parts.")]})
    outputs = []
    for n, part in enumerate(parts):
        unit = parse_unit(part.get("unit") or batch.unit, f"parts.{n}.unit")
        quantity = _positive(part.get("quantity"), f"parts.{n}.quantity")
        kg = svc.quantity_in_kg(quantity, unit, product, field=f"parts.{n}.quantity")
        outputs.append(_Output(product, quantity, unit, kg, part.get("lot_code"),
                               batch.expiry, f"parts.{n}.lot_code", batch.grade))
    total = sum((o.kg for o in outputs), Decimal(0))
    item = _Input(batch, total, Unit.KG, total, "parts")
    return _transform(
        actor, org, inputs=[item], outputs=outputs, moment=event_time(at),
        biz_step="commissioning", operation="split", tag="S",
    )


def record_merge(
    actor: Actor,
    *,
    inputs: Sequence[Mapping[str, Any]],
    at: date | datetime | str | None = None,
    lot_code: str | None = None,
    product_id: int | None = None,
) -> Recorded:
    """Merge (commingle) lots into one new lot: ``inputs`` = [{batch_id, quantity?, unit?}]
    (no quantity: all the lot holds). Inputs must share a product unless ``product_id``
    names the merged lot's product. The new lot holds the sum; in the inputs' unit when
    they share one, else in kg."""
    parsed = _inputs(actor, inputs, Operation.MERGE, default_all=True)
    if len(parsed) < 2:
        raise ValidationFailed(field_errors={"inputs": [_l("Merge at least two batches.")]})
    org = _same_org(actor, parsed)
    if product_id:
        product = svc.own_product(org, product_id)
    else:
        products = {i.batch.product_id for i in parsed}
        if len(products) != 1:
            raise ValidationFailed(
                field_errors={"product_id": [_l("The batches are of different products; "
                                                "name the merged lot's product.")]}
            )
        product = _product_of(parsed[0].batch)
    units = {i.unit for i in parsed}
    total_kg = sum((i.kg for i in parsed), Decimal(0))
    if len(units) == 1:
        unit = units.pop()
        quantity = sum((i.quantity for i in parsed), Decimal(0))
    else:
        unit, quantity = Unit.KG, total_kg
    expiry = _earliest(i.batch.expiry for i in parsed)
    out = _Output(product, quantity, unit, total_kg, lot_code, expiry, "lot_code")
    return _transform(
        actor, org, inputs=parsed, outputs=[out], moment=event_time(at),
        biz_step="commissioning", operation="merge", tag="M",
    )


# --------------------------------------------------------------------------- destroy, recall


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
    org = _batch_org(actor, batch)
    if quantity is None:
        kg = held
        element = _kg_quantity(batch, kg)
    else:
        parsed = parse_unit(unit or batch.unit)
        amount = _positive(quantity, "quantity")
        kg = svc.quantity_in_kg(amount, parsed, _product_of(batch))
        held = svc.require_available(batch, kg)
        element = _quantity(batch, amount, parsed)
    event = {
        "type": "ObjectEvent",
        **_time_fields(event_time(at)),
        "epcList": [],
        "action": "DELETE",
        "quantityList": [element],
        "bizStep": "destroying",
        "disposition": "destroyed",
        "readPoint": {"id": svc.org_location_uri(org)},
    }
    events = _store(actor, [PreparedEvent(event, effects=[BatchEffect(batch.id, -kg)])])
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
    org = _batch_org(actor, batch)
    lots = [batch]
    if include_descendants:
        lots += own_descendants(batch)
    event = {
        "type": "ObjectEvent",
        **_time_fields(event_time(at)),
        "epcList": [],
        "action": "OBSERVE",
        "quantityList": [_quantity(b, None, None) for b in lots],
        "bizStep": "holding",
        "disposition": "recalled",
        "readPoint": {"id": svc.org_location_uri(org)},
    }
    events = _store(
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


# --------------------------------------------------------------------------- corrections


@dataclass
class Correction:
    """What a correction wrote. ``original`` is the event asked about, ``declaration`` its
    error declaration, ``corrective`` every corrective event (none for ``did_not_occur``).
    A receiving is corrected whole — the receiving event and the booking into the
    receiver's lot — so ``originals`` and ``declarations`` list every event withdrawn."""

    original: EpcisEvent
    declaration: EpcisEvent
    corrective: list[EpcisEvent]
    originals: list[EpcisEvent] = field(default_factory=list)
    declarations: list[EpcisEvent] = field(default_factory=list)


@dataclass
class _Fix:
    """One event being withdrawn: its effects and genealogy edges and, for
    ``incorrect_data``, its corrective document with the effects and edges that follow."""

    original: EpcisEvent
    effects: dict[int, Decimal]
    links: list[BatchLink]
    corrective: dict[str, Any] | None = None
    new_effects: dict[int, Decimal] = field(default_factory=dict)
    new_links: list[Link] = field(default_factory=list)


@dataclass
class _Receipt:
    """A shipment's receiving: the receiving event on the shipped lot and, when the goods
    were booked into a lot of the receiver, the booking TransformationEvent."""

    shipment: Shipment
    receive: EpcisEvent
    booking: EpcisEvent | None


def correct_event(
    actor: Actor,
    event_id: str,
    *,
    reason: str,
    quantities: Mapping[int, tuple[Decimal, Unit | str]] | None = None,
    at: date | datetime | str | None = None,
    batch_id: int | None = None,
) -> Correction:
    """Declare an event erroneous and, for ``incorrect_data``, capture its correction.

    ``did_not_occur``: the original is withdrawn, nothing replaces it. ``incorrect_data``:
    one corrective event, the original with the corrected ``quantities`` ({batch_id:
    (quantity, unit)}, for batches the event names) and/or time ``at``; its effects and links
    follow. Only the organisation that captured the event may correct it (others: 404). No
    batch may end below zero (409 naming it). ``batch_id``, when given (the API's URL), must
    be a batch the event touched.

    A receiving (its receiving event or its booking into the receiver's lot, either names
    it) is corrected whole by the receiver: ``did_not_occur`` takes back what the booked lot
    received and leaves the shipment not received (the shipped lot back in transit when it
    was closed on receipt); ``incorrect_data`` corrects the received quantity (given for the
    shipped or the booked lot, at most what was shipped) and/or time, in both events and in
    the shipment. A shipment already received cannot be corrected by the shipper until the
    receiver has withdrawn its receiving (409).

    Statuses follow: a lot made by a withdrawn event and made by no other live one is
    ``void``; lots given back quantity are active again; withdrawing a destroy or a recall
    lifts ``destroyed`` / ``recalled``.
    """
    original = _own_original(actor, event_id, batch_id)
    if original is None:
        raise NotFound(field_errors={"event_id": [_l("No such event of your organisation.")]})
    org = svc.load_org(original.organisation_id)
    require_write(actor, org.id, org.province_code)
    if reason not in ERROR_REASONS:
        raise ValidationFailed(
            field_errors={"reason": [_l("Use did_not_occur or incorrect_data.")]}
        )
    if original.retracted_at is not None:
        raise Conflict(_l("This event has already been corrected."))
    receipt = _receipt_of(original)
    originals = (
        [original]
        if receipt is None
        else [e for e in (receipt.receive, receipt.booking) if e is not None]
    )
    fixes = [_fix_of(event) for event in originals]
    concerned = {bid for fix in fixes for bid in fix.effects}
    if batch_id is not None and batch_id not in concerned:
        raise NotFound(field_errors={"event_id": [_l("The event does not concern this batch.")]})
    touched = {
        b.id: b
        for b in db.session.scalars(
            select(Batch).where(Batch.id.in_(sorted(concerned))).with_for_update()
        )
    }
    shipment = None
    if receipt is None:
        shipment = db.session.scalar(
            select(Shipment).where(Shipment.ship_event_pk == original.id).with_for_update()
        )
        if shipment is not None and shipment.received_at is not None:
            raise Conflict(
                _l("The shipment has been received: the receiver must first correct its "
                   "receiving.")
            )

    received_kg: Decimal | None = None
    if reason == "incorrect_data":
        if receipt is None:
            _correct_document(fixes[0], touched, quantities or {}, at)
        else:
            received_kg = _correct_receipt(fixes, receipt, touched, quantities or {}, at)
        if any(f.corrective is not None and f.corrective["eventID"] == f.original.event_id
               for f in fixes):
            raise ValidationFailed(
                field_errors={"quantities": [_l("The correction changes nothing.")]}
            )
    # Quantities stay true: with the originals withdrawn and the corrections counted, no
    # batch may end below zero.
    withdrawn = [f.original.id for f in fixes]
    for bid, batch in touched.items():
        after = svc.current_quantity(bid, exclude_event_pks=withdrawn)
        after += sum((f.new_effects.get(bid, ZERO) for f in fixes if f.corrective), ZERO)
        if after < 0:
            message = _l(
                "Batch %(lot)s would hold %(kg)s kg: correct its later events first.",
                lot=batch.lot_code,
                kg=quantity_text(after),
            )
            raise Conflict(message, field_errors={"quantities": [message]})

    now = utcnow().astimezone(VIETNAM).replace(microsecond=0)
    declarations = []
    for fix in fixes:
        declaration = _base_document(fix.original)
        declaration["errorDeclaration"] = {
            "declarationTime": now.isoformat(),
            "reason": reason,
            **({"correctiveEventIDs": [fix.corrective["eventID"]]} if fix.corrective else {}),
        }
        declarations.append(PreparedEvent(declaration, organisation_id=org.id))
    # Recorded for the event's organisation even when a platform admin corrects it: an
    # error declaration withdraws only the events of its own organisation.
    correctives = [
        PreparedEvent(
            fix.corrective,
            effects=[BatchEffect(b, kg) for b, kg in fix.new_effects.items()],
            links=fix.new_links,
            organisation_id=org.id,
        )
        for fix in fixes
        if fix.corrective is not None
    ]
    stored = _store(actor, [*declarations, *correctives])
    stored_declarations, stored_correctives = stored[: len(fixes)], stored[len(fixes):]
    for fix in fixes:
        db.session.refresh(fix.original)
    if shipment is not None and stored_correctives:
        # The shipment now stands on the corrective event (a void one keeps pointing at
        # the withdrawn event, which hides it from the receiver).
        shipment.ship_event_pk = stored_correctives[0].id
        shipment.quantity_kg = -fixes[0].new_effects[shipment.batch_id]
        shipment.shipped_at = stored_correctives[0].event_time
    if receipt is not None:
        _update_receipt(receipt.shipment, stored_correctives, received_kg)
    db.session.flush()
    for bid, batch in touched.items():
        _settle_status(batch, svc.current_quantity(bid), [f.original for f in fixes])
    asked = originals.index(original)
    return Correction(
        original,
        stored_declarations[asked],
        stored_correctives,
        originals,
        stored_declarations,
    )


def _own_original(actor: Actor, event_id: str, batch_id: int | None) -> EpcisEvent | None:
    """The event (not a declaration) with this eventID that the actor may correct: its own
    organisation's; for a platform admin, the one of the batch's organisation when a batch
    is given, else the first recorded. eventIDs are unique only within an organisation."""
    query = select(EpcisEvent).where(
        EpcisEvent.event_id == event_id,
        EpcisEvent.declares_error.is_(False),
        EpcisEvent.organisation_id.is_not(None),
    )
    if not actor.is_admin:
        if actor.organisation_id is None:
            return None
        query = query.where(EpcisEvent.organisation_id == actor.organisation_id)
    elif batch_id is not None:
        query = query.where(
            EpcisEvent.organisation_id
            == select(Batch.organisation_id).where(Batch.id == batch_id).scalar_subquery()
        )
    return db.session.scalars(query.order_by(EpcisEvent.id).limit(1)).first()


def _base_document(event: EpcisEvent) -> dict[str, Any]:
    """The event as captured, without what the server or a declaration added."""
    return {
        k: v
        for k, v in copy.deepcopy(event.document).items()
        if k not in ("recordTime", "errorDeclaration", "@context")
    }


def _fix_of(event: EpcisEvent) -> _Fix:
    effects = {
        row.batch_id: Decimal(row.quantity_kg)
        for row in db.session.scalars(select(EventBatch).where(EventBatch.event_pk == event.id))
    }
    links = list(db.session.scalars(select(BatchLink).where(BatchLink.event_pk == event.id)))
    return _Fix(event, effects, links)


def _receipt_of(event: EpcisEvent) -> _Receipt | None:
    """The receipt ``event`` belongs to — as the shipment's receiving event, or as the
    booking that links the shipped lot to the lot it was received into — else None."""
    shipment = db.session.scalar(
        select(Shipment).where(Shipment.receive_event_pk == event.id).with_for_update()
    )
    if shipment is None:
        shipment = db.session.scalar(
            select(Shipment)
            .join(
                BatchLink,
                and_(
                    BatchLink.parent_id == Shipment.batch_id,
                    BatchLink.child_id == Shipment.received_batch_id,
                ),
            )
            .where(BatchLink.event_pk == event.id, Shipment.receive_event_pk.is_not(None))
            .with_for_update(of=Shipment)
        )
    if shipment is None or shipment.receive_event_pk is None:
        return None
    receive = db.session.get(EpcisEvent, shipment.receive_event_pk)
    if receive is None:
        return None
    booking = None
    if shipment.received_batch_id is not None:
        booking = db.session.scalar(
            select(EpcisEvent)
            .join(BatchLink, BatchLink.event_pk == EpcisEvent.id)
            .where(
                BatchLink.parent_id == shipment.batch_id,
                BatchLink.child_id == shipment.received_batch_id,
                EpcisEvent.retracted_at.is_(None),
                EpcisEvent.declares_error.is_(False),
            )
            .order_by(EpcisEvent.id.desc())
            .limit(1)
        )
    return _Receipt(shipment, receive, booking)


def _correct_document(
    fix: _Fix,
    touched: Mapping[int, Batch],
    quantities: Mapping[int, tuple[Decimal, Unit | str]],
    at: date | datetime | str | None,
) -> None:
    """The corrective document of one event: the corrected quantities of the batches it
    names and/or its new time; effects keep their sign, links follow."""
    doc = _base_document(fix.original)
    doc.pop("eventID", None)
    new_effects = dict(fix.effects)
    for bid, (qty, unit) in quantities.items():
        batch = touched.get(int(bid))
        if batch is None:
            raise ValidationFailed(
                field_errors={"quantities": [_l("The event does not concern batch %(id)s.",
                                                id=bid)]}
            )
        parsed = parse_unit(unit)
        amount = _decimal(qty, "quantity")
        kg = svc.quantity_in_kg(amount, parsed, _product_of(batch))
        _replace_quantity(doc, batch, amount, parsed)
        sign = fix.effects[batch.id]
        new_effects[batch.id] = kg if sign > 0 else (-kg if sign < 0 else ZERO)
    if at is not None:
        doc.update(_time_fields(event_time(at)))
    _keep_balanced(doc, new_effects)
    doc["eventID"] = event_hash_id(doc, EVENT_CONTEXT)
    fix.corrective = doc
    fix.new_effects = new_effects
    fix.new_links = _corrected_links(fix.links, fix.effects, new_effects)


def _keep_balanced(doc: Mapping[str, Any], effects: Mapping[int, Decimal]) -> None:
    """A split or a merge only moves kilograms between lots: corrected, what its inputs
    give must still be what its outputs hold (a transformation may lose weight, e.g. in
    drying, so it is not held to this)."""
    if event_kind(doc) not in ("split", "merge"):
        return
    given = -sum((kg for kg in effects.values() if kg < 0), ZERO)
    made = sum((kg for kg in effects.values() if kg > 0), ZERO)
    if given != made:
        raise ValidationFailed(
            field_errors={"quantities": [_l(
                "A split or merge keeps its kilograms: the inputs would give %(given)s kg and "
                "the new lots hold %(made)s kg. Correct both sides together.",
                given=quantity_text(given), made=quantity_text(made),
            )]}
        )


def _correct_receipt(
    fixes: Sequence[_Fix],
    receipt: _Receipt,
    touched: Mapping[int, Batch],
    quantities: Mapping[int, tuple[Decimal, Unit | str]],
    at: date | datetime | str | None,
) -> Decimal:
    """The corrective documents of a receiving and its booking: one received quantity
    (given for the shipped or the booked lot) in every quantity element of both, and/or
    their new time. Returns the received kilograms (of the shipped product)."""
    shipment = receipt.shipment
    shipped = touched[shipment.batch_id]
    booked = touched.get(shipment.received_batch_id) if shipment.received_batch_id else None
    given: dict[int, tuple[Decimal, Unit]] = {}
    for bid, (qty, unit) in quantities.items():
        if int(bid) not in (shipped.id, booked.id if booked else None):
            raise ValidationFailed(
                field_errors={"quantities": [_l("The event does not concern batch %(id)s.",
                                                id=bid)]}
            )
        given[int(bid)] = (_decimal(qty, "quantity"), parse_unit(unit))
    if len(set(given.values())) > 1:
        raise ValidationFailed(
            field_errors={"quantities": [_l("A receiving has one quantity: give it once.")]}
        )
    received_kg = Decimal(shipment.received_kg or 0)
    amount: Decimal | None = None
    unit = Unit.KG
    if given:
        amount, unit = next(iter(given.values()))
        received_kg = svc.quantity_in_kg(amount, unit, _product_of(shipped), field="quantities")
        if received_kg > shipment.quantity_kg:
            raise ValidationFailed(
                field_errors={
                    "quantities": [
                        _l("More than was shipped (%(kg)s kg).",
                           kg=quantity_text(shipment.quantity_kg))
                    ]
                }
            )
    moment = event_time(at) if at is not None else None
    for fix in fixes:
        doc = _base_document(fix.original)
        doc.pop("eventID", None)
        new_effects = dict(fix.effects)
        if amount is not None:
            _replace_quantity(doc, shipped, amount, unit)
            if booked is not None and booked.id in fix.effects:
                _replace_quantity(doc, booked, amount, unit)
                new_effects[booked.id] = svc.quantity_in_kg(
                    amount, unit, _product_of(booked), field="quantities"
                )
        if moment is not None:
            doc.update(_time_fields(moment))
        doc["eventID"] = event_hash_id(doc, EVENT_CONTEXT)
        fix.corrective = doc
        fix.new_effects = new_effects
        fix.new_links = [Link(link.parent_id, link.child_id, received_kg) for link in fix.links]
    return received_kg


def _update_receipt(shipment: Shipment, correctives: Sequence[EpcisEvent],
                    received_kg: Decimal | None) -> None:
    """The shipment follows its corrected receiving: not received any more when it did not
    occur (it may be received again), else standing on the corrective receiving event."""
    if not correctives:
        shipment.received_at = None
        shipment.receive_event_pk = None
        shipment.received_kg = None
        shipment.received_batch_id = None
        return
    receive = correctives[0]  # the receiving event comes first, its booking after
    shipment.receive_event_pk = receive.id
    shipment.received_at = receive.event_time
    if received_kg is not None:
        shipment.received_kg = received_kg


def _replace_quantity(doc: dict[str, Any], batch: Batch, amount: Decimal, unit: Unit) -> None:
    found = False
    for key in QUANTITY_LIST_KEYS:
        for element in doc.get(key) or []:
            epc_class = element.get("epcClass")
            if epc_class and canonical_identifier(epc_class) == batch.canonical_id:
                element["quantity"] = _number(amount)
                element["uom"] = UNECE[unit]
                found = True
    if not found:
        raise ValidationFailed(
            field_errors={"quantities": [_l("The event gives no quantity for batch %(lot)s.",
                                            lot=batch.lot_code)]}
        )


def _corrected_links(links: Sequence[BatchLink], old: Mapping[int, Decimal],
                     new: Mapping[int, Decimal]) -> list[Link]:
    """The original's genealogy edges with their kg following the corrected effects."""
    parents = {link.parent_id for link in links}
    children = {link.child_id for link in links}
    out = []
    for link in links:
        p_new, c_new = abs(new.get(link.parent_id, ZERO)), abs(new.get(link.child_id, ZERO))
        if len(children) == 1 and p_new:
            kg = p_new
        elif len(parents) == 1:
            kg = c_new
        else:
            p_old = abs(old.get(link.parent_id, ZERO))
            kg = (Decimal(link.quantity_kg or 0) * p_new / p_old).quantize(svc.KG_PLACES) \
                if p_old else ZERO
        out.append(Link(link.parent_id, link.child_id, kg))
    return out


def _live() -> Any:
    return and_(EpcisEvent.retracted_at.is_(None), EpcisEvent.declares_error.is_(False))


def _made_by_a_live_event(batch_id: int) -> bool:
    """Whether a live event still makes the lot: a harvest adding it, or a transformation,
    split, merge, packing or booking with it as an output (a genealogy edge into it)."""
    by_link = (
        select(BatchLink.event_pk)
        .join(EpcisEvent, EpcisEvent.id == BatchLink.event_pk)
        .where(BatchLink.child_id == batch_id, _live())
    )
    by_effect = (
        select(EventBatch.event_pk)
        .join(EpcisEvent, EpcisEvent.id == EventBatch.event_pk)
        .where(EventBatch.batch_id == batch_id, EventBatch.quantity_kg > 0, _live())
    )
    return bool(db.session.scalar(select(or_(exists(by_link), exists(by_effect)))))


def _has_live_recall(batch: Batch) -> bool:
    """A live recall by the lot's own organisation names it."""
    return bool(
        db.session.scalar(
            select(
                exists(
                    select(EventBatch.event_pk)
                    .join(EpcisEvent, EpcisEvent.id == EventBatch.event_pk)
                    .where(
                        EventBatch.batch_id == batch.id,
                        EpcisEvent.organisation_id == batch.organisation_id,
                        EpcisEvent.disposition == "recalled",
                        _live(),
                    )
                )
            )
        )
    )


def _settle_status(batch: Batch, held: Decimal, withdrawn: Sequence[EpcisEvent]) -> None:
    """The status a correction leaves: ``void`` when no live event makes the lot any more
    and it holds nothing (the event that made it did not occur); ``destroyed`` and
    ``recalled`` stay unless the destroy or the recall itself was withdrawn (a lot given
    back kilograms by a withdrawn destroy is not destroyed; one no live recall names is
    not recalled); otherwise ``active`` while it holds something, ``in_transit`` at zero
    with a shipment on its way, ``consumed`` at zero without."""
    if batch.status == BatchStatus.VOID:
        return
    kinds = {event_kind(e.document) for e in withdrawn}
    if batch.status == BatchStatus.DESTROYED:
        if "destroy" not in kinds or held <= 0:
            return
        if _has_live_recall(batch):
            batch.status = BatchStatus.RECALLED
            return
    if batch.status == BatchStatus.RECALLED and (
        "recall" not in kinds or _has_live_recall(batch)
    ):
        return
    if held <= 0 and not _made_by_a_live_event(batch.id):
        batch.status = BatchStatus.VOID
    elif held > 0:
        batch.status = BatchStatus.ACTIVE
    elif _has_open_shipment(batch.id):
        batch.status = BatchStatus.IN_TRANSIT
    else:
        batch.status = BatchStatus.CONSUMED


# --------------------------------------------------------------------------- timeline


def event_kind(document: Mapping[str, Any]) -> str:
    """A short name for what an event records (harvest, shipping, split…), for views."""
    operation = document.get("htx:operation")
    if isinstance(operation, str):
        return operation
    step = document.get("bizStep") or ""
    if document.get("type") == "ObjectEvent" and document.get("action") == "ADD" and (
        step == "commissioning"
    ):
        return "harvest"
    if document.get("disposition") == "recalled":
        return "recall"
    if step == COOLING_STEP:
        return "cooling"
    return {"destroying": "destroy"}.get(step, step or str(document.get("type", "")))


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
