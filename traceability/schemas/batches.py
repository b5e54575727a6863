"""Batches, their timeline and member statements as the API shows them."""

from __future__ import annotations

import marshmallow as ma

from core.schemas import QuerySchema
from core.units import Unit
from traceability.models.batches import BatchStatus


def _kg() -> ma.fields.Decimal:
    return ma.fields.Decimal(as_string=True)


class BatchOut(ma.Schema):
    class Meta:
        ordered = True

    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    lot_code = ma.fields.String()
    identifier = ma.fields.String(metadata={"description": "The label URI (Digital Link)."})
    canonical_id = ma.fields.String()
    quantity = ma.fields.Decimal(as_string=True, metadata={"description": "As first recorded."})
    unit = ma.fields.Enum(Unit, by_value=True)
    quantity_kg = _kg()
    current_quantity_kg = ma.fields.Method("_current")
    harvest_start = ma.fields.Date(allow_none=True)
    harvest_end = ma.fields.Date(allow_none=True)
    grade = ma.fields.String()
    quality = ma.fields.Dict(allow_none=True)
    expiry = ma.fields.Date(allow_none=True)
    status = ma.fields.Enum(BatchStatus, by_value=True)
    created_at = ma.fields.DateTime()

    def _current(self, batch: object) -> str | None:
        # Loaded by the list query (undefer); never lazily per row.
        value = getattr(batch, "__dict__", {}).get("current_quantity_kg")
        return None if value is None else str(value)


class BatchAreaRefOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    planting_area_code = ma.fields.String()
    commune_code = ma.fields.String(allow_none=True)
    commune_name = ma.fields.String(allow_none=True)


class BatchCommuneOut(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String(allow_none=True)


class BatchContributionOut(ma.Schema):
    id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    member_name = ma.fields.String()
    area_id = ma.fields.Integer(allow_none=True)
    quantity = ma.fields.Decimal(as_string=True)
    unit = ma.fields.Enum(Unit, by_value=True)
    quantity_kg = _kg()
    delivered_on = ma.fields.Date()


class BatchShipmentOut(ma.Schema):
    id = ma.fields.Integer()
    batch_id = ma.fields.Integer()
    from_organisation_id = ma.fields.Integer()
    to_organisation_id = ma.fields.Integer()
    quantity_kg = _kg()
    shipped_at = ma.fields.DateTime()
    purchase_order = ma.fields.String()
    despatch_ref = ma.fields.String()
    received_at = ma.fields.DateTime(allow_none=True)
    received_kg = ma.fields.Decimal(as_string=True, allow_none=True)
    received_batch_id = ma.fields.Integer(allow_none=True)


class BatchNeighbourOut(ma.Schema):
    batch_id = ma.fields.Integer()
    lot_code = ma.fields.String()
    organisation_id = ma.fields.Integer()
    quantity_kg = ma.fields.Decimal(as_string=True, allow_none=True)


class BatchDetailOut(BatchOut):
    current_quantity_kg = ma.fields.Decimal(as_string=True)
    product_name = ma.fields.Function(lambda d: d["product"].name)
    organisation_name = ma.fields.Function(lambda d: d["organisation"].name)
    phi_override_reason = ma.fields.String()
    areas = ma.fields.List(ma.fields.Nested(BatchAreaRefOut))
    contributions = ma.fields.List(
        ma.fields.Nested(BatchContributionOut),
        allow_none=True,
        metadata={"description": "Member households: only for the owning organisation "
                  "(null for others, who see `communes`)."},
    )
    communes = ma.fields.List(ma.fields.Nested(BatchCommuneOut))
    shipments = ma.fields.List(ma.fields.Nested(BatchShipmentOut))
    parents = ma.fields.List(ma.fields.Nested(BatchNeighbourOut))
    children = ma.fields.List(ma.fields.Nested(BatchNeighbourOut))


class BatchListArgs(QuerySchema):
    status = ma.fields.Enum(BatchStatus, by_value=True, load_default=None)
    product_id = ma.fields.Integer(load_default=None)
    lot_code = ma.fields.String(load_default=None)
    organisation_id = ma.fields.Integer(load_default=None)
    kde_complete = ma.fields.Boolean(
        load_default=None,
        metadata={"description": "true: lots whose key data elements are complete; false: "
                  "those missing one (product, quantity, a live event, origin and date). "
                  "Void lots are in neither."},
    )
    scan_flagged = ma.fields.Boolean(
        load_default=None,
        metadata={"description": "true: lots carrying a scan flag (a copied serial, scans "
                  "long after expiry or after a recall); false: lots carrying none."},
    )


class RecordedOut(ma.Schema):
    batch = ma.fields.Nested(BatchOut)
    created = ma.fields.List(ma.fields.Nested(BatchOut))
    event_ids = ma.fields.List(ma.fields.String())
    shipment = ma.fields.Nested(BatchShipmentOut, allow_none=True)


class CorrectionOut(ma.Schema):
    corrected_event_id = ma.fields.Function(lambda c: c.original.event_id)
    declaration_pk = ma.fields.Function(lambda c: c.declaration.id)
    corrective_event_ids = ma.fields.Function(lambda c: [e.event_id for e in c.corrective])


class BatchCorrectionInfoOut(ma.Schema):
    reason = ma.fields.String(allow_none=True)
    declared_at = ma.fields.String(allow_none=True)
    corrective_event_ids = ma.fields.List(ma.fields.String())


class TimelineShipmentOut(BatchShipmentOut):
    to_organisation_name = ma.fields.String()
    received = ma.fields.Boolean()
    shortfall_kg = ma.fields.Decimal(as_string=True, allow_none=True, metadata={
        "description": "Shipped − received, once received (0 for a full receipt)."})


class TimelineEntryOut(ma.Schema):
    class Meta:
        ordered = True

    event_id = ma.fields.String()
    kind = ma.fields.String()
    type = ma.fields.String()
    event_time = ma.fields.DateTime()
    event_tz_offset = ma.fields.String()
    biz_step = ma.fields.String(allow_none=True)
    disposition = ma.fields.String(allow_none=True)
    quantity_kg = ma.fields.Decimal(as_string=True, metadata={
        "description": "The event's effect on this batch: + adds, − removes, 0 observes."})
    corrected = ma.fields.Boolean(metadata={
        "description": "Withdrawn by an error declaration; no longer counts."})
    retracted_at = ma.fields.DateTime(allow_none=True)
    correction = ma.fields.Nested(BatchCorrectionInfoOut, allow_none=True)
    shipment = ma.fields.Nested(TimelineShipmentOut, allow_none=True, metadata={
        "description": "On a shipping (or the receiving of a shipment): the shipment, and "
        "once received, what arrived, when, and the shortfall."})
    document = ma.fields.Dict()


class StatementArgs(QuerySchema):
    date_from = ma.fields.Date(data_key="from", load_default=None)
    date_to = ma.fields.Date(data_key="to", load_default=None)


class BatchStatementLineOut(ma.Schema):
    product_id = ma.fields.Integer()
    product_name = ma.fields.String()
    batch_id = ma.fields.Integer()
    lot_code = ma.fields.String()
    unit = ma.fields.Enum(Unit, by_value=True)
    quantity = ma.fields.Decimal(as_string=True)
    quantity_kg = _kg()
    deliveries = ma.fields.Integer()
    first_delivery = ma.fields.Date()
    last_delivery = ma.fields.Date()


class StatementOut(ma.Schema):
    member_id = ma.fields.Function(lambda s: s.member.id)
    member_name = ma.fields.Function(lambda s: s.member.display_name)
    date_from = ma.fields.Date(allow_none=True)
    date_to = ma.fields.Date(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(BatchStatementLineOut))
    total_kg = _kg()
