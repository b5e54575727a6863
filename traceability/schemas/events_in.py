"""Business events as the API takes them (``POST /api/batches/…``).

Times (``harvested_on``, ``at``, ``shipped_at``, ``received_at``) take a date
(``2026-03-01``, midnight in Viet Nam) or a date-time; a date-time without an offset is
Vietnamese time (+07:00). Quantities are decimals of zero or more with a unit
(kg, g, ta = 100 kg, tan = 1,000 kg, litre, piece, head).
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow.validate import Length, OneOf, Range

from core.schemas import StrictSchema, iso_in_calendar
from core.units import Unit
from traceability.processes import Process

_QTY = Range(min=0, max=10**12)


def _when(name: str, required: bool = False) -> ma.fields.String:
    return ma.fields.String(
        required=required,
        validate=[Length(min=10, max=40), iso_in_calendar],
        data_key=name,
        metadata={
            "description": "A date (YYYY-MM-DD) or an ISO 8601 date-time; without an offset, "
            "Vietnamese time (+07:00). Default: now.",
            "example": "2026-03-01T07:30:00+07:00",
        },
    )


def _quantity(required: bool = True) -> ma.fields.Decimal:
    return ma.fields.Decimal(required=required, validate=_QTY, allow_nan=False)


def _unit(required: bool = False) -> ma.fields.Enum:
    return ma.fields.Enum(Unit, by_value=True, required=required)


def _lot() -> ma.fields.String:
    return ma.fields.String(
        validate=Length(min=1, max=20),
        load_default=None,
        metadata={
            "description": "GS1 lot (AI 10): up to 20 letters without accents, digits and "
            "symbols. Default: generated YYMMDD-<area or step>-<n>.",
        },
    )


class BatchContributionIn(StrictSchema):
    member_id = ma.fields.Integer(required=True, strict=True)
    area_id = ma.fields.Integer(strict=True, load_default=None)
    quantity = _quantity()
    unit = _unit(required=True)
    delivered_on = ma.fields.Date(load_default=None)


class HarvestIn(StrictSchema):
    area_ids = ma.fields.List(ma.fields.Integer(strict=True), required=True,
                              validate=Length(min=1, max=50))
    product_id = ma.fields.Integer(required=True, strict=True)
    quantity = _quantity()
    unit = _unit(required=True)
    harvested_on = _when("harvested_on", required=True)
    lot_code = _lot()
    grade = ma.fields.String(validate=Length(max=40), load_default="")
    quality = ma.fields.Dict(keys=ma.fields.String(), load_default=None)
    expiry = ma.fields.Date(load_default=None)
    contributions = ma.fields.List(ma.fields.Nested(BatchContributionIn), load_default=list)
    phi_override_reason = ma.fields.String(
        validate=Length(max=2000),
        load_default=None,
        metadata={"description": "Org admins only: why a harvest inside a pre-harvest "
                  "interval goes ahead. Recorded on the batch with who gave it."},
    )


class ObserveIn(StrictSchema):
    """Cooling and storing."""

    at = _when("at")
    area_id = ma.fields.Integer(strict=True, load_default=None)


class PackingIn(ObserveIn):
    into_new_lot = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Pack into a new packed lot (the FSMA 204 traceability lot "
                  "code is assigned here): a TransformationEvent with a genealogy link."},
    )
    product_id = ma.fields.Integer(strict=True, load_default=None)
    quantity = _quantity(required=False)
    unit = _unit()
    lot_code = _lot()
    expiry = ma.fields.Date(load_default=None)


class ShippingIn(StrictSchema):
    to_organisation_id = ma.fields.Integer(required=True, strict=True)
    quantity = _quantity()
    unit = _unit(required=True)
    shipped_at = _when("shipped_at")
    purchase_order = ma.fields.String(validate=Length(max=100), load_default="")
    despatch_ref = ma.fields.String(validate=Length(max=100), load_default="")


class ReceivingIn(StrictSchema):
    shipment_id = ma.fields.Integer(required=True, strict=True)
    received_quantity = _quantity()
    unit = _unit(required=True)
    received_at = _when("received_at")
    into_new_lot = ma.fields.Boolean(load_default=True)
    lot_code = _lot()
    product_id = ma.fields.Integer(strict=True, load_default=None)


class BatchInputIn(StrictSchema):
    batch_id = ma.fields.Integer(required=True, strict=True)
    quantity = _quantity(required=False)
    unit = _unit()


class BatchOutputIn(StrictSchema):
    product_id = ma.fields.Integer(required=True, strict=True)
    quantity = _quantity()
    unit = _unit()
    lot_code = _lot()
    expiry = ma.fields.Date(load_default=None)
    grade = ma.fields.String(validate=Length(max=40), load_default="")


class TransformationIn(StrictSchema):
    inputs = ma.fields.List(ma.fields.Nested(BatchInputIn), required=True,
                            validate=Length(min=1, max=100),
                            metadata={"description": "Must include the batch of the URL."})
    output = ma.fields.Nested(BatchOutputIn, required=True)
    at = _when("at")
    process = ma.fields.String(
        validate=OneOf([p.value for p in Process]),
        load_default=None,
        metadata={"description": "What the processing did (drying, hulling, milling, "
                  "roasting…), stored on the event as the extension field htx:process. "
                  "Default: not stated."},
    )


class BatchPartIn(StrictSchema):
    quantity = _quantity()
    unit = _unit()
    lot_code = _lot()


class SplitIn(StrictSchema):
    parts = ma.fields.List(ma.fields.Nested(BatchPartIn), required=True,
                           validate=Length(min=1, max=100))
    at = _when("at")


class MergeIn(StrictSchema):
    inputs = ma.fields.List(ma.fields.Nested(BatchInputIn), required=True,
                            validate=Length(min=2, max=100),
                            metadata={"description": "Must include the batch of the URL; "
                                      "no quantity means all the batch holds."})
    lot_code = _lot()
    product_id = ma.fields.Integer(strict=True, load_default=None)
    at = _when("at")


class DestroyIn(StrictSchema):
    at = _when("at")
    quantity = _quantity(required=False)
    unit = _unit()


class RecallIn(StrictSchema):
    at = _when("at")
    include_descendants = ma.fields.Boolean(load_default=False)


class BatchCorrectedQuantityIn(StrictSchema):
    batch_id = ma.fields.Integer(required=True, strict=True)
    quantity = _quantity()
    unit = _unit(required=True)


class CorrectionIn(StrictSchema):
    event_id = ma.fields.String(required=True, validate=Length(min=1, max=300))
    reason = ma.fields.String(required=True,
                              validate=OneOf(["did_not_occur", "incorrect_data"]))
    quantities = ma.fields.List(ma.fields.Nested(BatchCorrectedQuantityIn), load_default=list)
    at = _when("at")
