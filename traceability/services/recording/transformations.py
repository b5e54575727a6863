"""Transformations: processing (``record_transformation``), split and merge, each one
TransformationEvent from input lots to new lots with the genealogy links; also the event
and the new lots that packing into a new lot and a receiver's booking are made of.
Nothing here commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.actor import Actor
from core.errors import ValidationFailed
from core.i18n import _l
from core.units import Unit, parse_unit
from linkages.models.organisations import Organisation
from traceability.models.batches import Batch
from traceability.models.products import Product
from traceability.processes import PROCESS_FIELD, Process, parse_process
from traceability.services import batches as svc
from traceability.services.capture import BatchEffect, Link, PreparedEvent
from traceability.services.operations import Operation, operable_batch
from traceability.services.recording.common import (
    ZERO,
    Recorded,
    batch_org,
    event_time,
    local_day,
    parse_positive,
    product_of,
    quantity_element,
    set_status_after_withdrawal,
    store,
    time_fields,
)


@dataclass
class Input:
    batch: Batch
    quantity: Decimal
    unit: Unit
    kg: Decimal
    field: str


@dataclass
class Output:
    product: Product
    quantity: Decimal
    unit: Unit
    kg: Decimal
    lot_code: str | None
    expiry: date | None
    field: str
    grade: str = ""


def lot_ilmd(batch: Batch, location: str) -> dict[str, Any]:
    """ILMD of a lot made by an event: its lot number and where its TLC was assigned."""
    ilmd: dict[str, Any] = {"cbvmda:lotNumber": batch.lot_code, "htx:tlcSource": location}
    if batch.expiry:
        ilmd["cbvmda:itemExpirationDate"] = batch.expiry.isoformat()
    return ilmd


def transformation_event(
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
        **time_fields(moment),
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


def _link_kg(inputs: Sequence[Input], outputs: Sequence[Output], i: Input,
             o: Output) -> Decimal:
    """Kilograms of input ``i`` that went into output ``o``: all of it into a single
    output, the output's kg from a single input, else in proportion to the outputs."""
    if len(outputs) == 1:
        return i.kg
    if len(inputs) == 1:
        return o.kg
    total = sum((x.kg for x in outputs), Decimal(0))
    return (i.kg * o.kg / total).quantize(svc.KG_PLACES) if total else ZERO


def transform(
    actor: Actor,
    org: Organisation,
    *,
    inputs: list[Input],
    outputs: list[Output],
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
    ilmd = lot_ilmd(created[0], location) if len(created) == 1 else {
        "htx:lots": [lot_ilmd(b, location) for b in created]
    }
    event = transformation_event(
        moment,
        inputs=[quantity_element(i.batch, i.quantity, i.unit) for i in inputs],
        outputs=[
            quantity_element(b, o.quantity, o.unit)
            for b, o in zip(created, outputs, strict=True)
        ],
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
    events = store(actor, [PreparedEvent(event, effects=effects, links=links)])
    for item in inputs:
        set_status_after_withdrawal(item.batch, held[item.batch.id] - item.kg, shipped=False)
    return Recorded(events, created[0], created)


def _earliest(days: Any) -> date | None:
    known = [d for d in days if d is not None]
    return min(known) if known else None


def _latest(days: Any) -> date | None:
    known = [d for d in days if d is not None]
    return max(known) if known else None


def _inputs(actor: Actor, items: Sequence[Mapping[str, Any]], op: Operation, *,
            default_all: bool) -> list[Input]:
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
            parsed.append(Input(batch, kg, Unit.KG, kg, f"{prefix}.quantity"))
            continue
        unit = parse_unit(raw.get("unit") or batch.unit, f"{prefix}.unit")
        quantity = parse_positive(raw["quantity"], f"{prefix}.quantity")
        kg = svc.quantity_in_kg(quantity, unit, product_of(batch), field=f"{prefix}.quantity")
        parsed.append(Input(batch, quantity, unit, kg, f"{prefix}.quantity"))
    if not parsed:
        raise ValidationFailed(field_errors={"inputs": [_l("List at least one input batch.")]})
    return parsed


def _same_org(actor: Actor, inputs: Sequence[Input]) -> Organisation:
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
    quantity = parse_positive(output.get("quantity"), "output.quantity")
    kg = svc.quantity_in_kg(quantity, unit, product, field="output.quantity")
    out = Output(product, quantity, unit, kg, output.get("lot_code"), output.get("expiry"),
                  "output.lot_code", output.get("grade") or "")
    return transform(
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
    org = batch_org(actor, batch)
    product = product_of(batch)
    if len(parts) < 1:
        raise ValidationFailed(field_errors={"parts": [_l("List the parts.")]})
    outputs = []
    for n, part in enumerate(parts):
        unit = parse_unit(part.get("unit") or batch.unit, f"parts.{n}.unit")
        quantity = parse_positive(part.get("quantity"), f"parts.{n}.quantity")
        kg = svc.quantity_in_kg(quantity, unit, product, field=f"parts.{n}.quantity")
        outputs.append(Output(product, quantity, unit, kg, part.get("lot_code"),
                               batch.expiry, f"parts.{n}.lot_code", batch.grade))
    total = sum((o.kg for o in outputs), Decimal(0))
    item = Input(batch, total, Unit.KG, total, "parts")
    return transform(
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
        product = product_of(parsed[0].batch)
    units = {i.unit for i in parsed}
    total_kg = sum((i.kg for i in parsed), Decimal(0))
    if len(units) == 1:
        unit = units.pop()
        quantity = sum((i.quantity for i in parsed), Decimal(0))
    else:
        unit, quantity = Unit.KG, total_kg
    expiry = _earliest(i.batch.expiry for i in parsed)
    out = Output(product, quantity, unit, total_kg, lot_code, expiry, "lot_code")
    return transform(
        actor, org, inputs=parsed, outputs=[out], moment=event_time(at),
        biz_step="commissioning", operation="merge", tag="M",
    )
