"""Cultivation diary entries as the API takes and shows them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow.validate import Length, Range

from core.schemas import QuerySchema, StrictSchema
from traceability.models.areas import DiaryKind
from traceability.services.diary import PHI_DAYS_MAX, recorded_on


class _DiaryFields(StrictSchema):
    """Every writable field, all optional: the PATCH body."""

    kind = ma.fields.Enum(DiaryKind, by_value=True)
    occurred_on = ma.fields.Date(metadata={"description": "Not after today (Vietnam)."})
    input_name = ma.fields.String(
        allow_none=True,
        validate=Length(max=200),
        metadata={"description": "What was applied or given; required for inputs."},
    )
    active_ingredient = ma.fields.String(
        allow_none=True,
        validate=Length(max=200),
        metadata={"description": "Required for a pesticide.", "example": "Abamectin"},
    )
    dose = ma.fields.Decimal(
        allow_none=True, validate=Range(min=0, max=10**9, max_inclusive=False)
    )
    dose_unit = ma.fields.String(
        allow_none=True, validate=Length(max=20), metadata={"example": "ml/16 l"}
    )
    operator = ma.fields.String(allow_none=True, validate=Length(max=200))
    phi_days = ma.fields.Integer(
        strict=True,
        allow_none=True,
        validate=Range(min=0, max=PHI_DAYS_MAX),
        metadata={"description": "Pre-harvest interval in days; required for a pesticide."},
    )
    notes = ma.fields.String(allow_none=True, validate=Length(max=5000))


class DiaryEntryUpdateIn(_DiaryFields):
    """The same fields, every one optional: a PATCH changes only what it names."""


class DiaryEntryCreateIn(_DiaryFields):
    kind = ma.fields.Enum(DiaryKind, by_value=True, required=True)
    occurred_on = ma.fields.Date(required=True)


class DiaryListArgs(QuerySchema):
    kind = ma.fields.Enum(DiaryKind, by_value=True, load_default=None)
    since = ma.fields.Date(load_default=None)
    until = ma.fields.Date(load_default=None)


class DiaryEntryOut(ma.Schema):
    id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    kind = ma.fields.Enum(DiaryKind, by_value=True)
    occurred_on = ma.fields.Date()
    input_name = ma.fields.String()
    active_ingredient = ma.fields.String()
    dose = ma.fields.Decimal(as_string=True, allow_none=True)
    dose_unit = ma.fields.String()
    operator = ma.fields.String()
    phi_days = ma.fields.Integer(allow_none=True)
    notes = ma.fields.String()
    recorded_by_id = ma.fields.Integer(allow_none=True)
    recorded_on = ma.fields.Method(
        "_recorded_on",
        metadata={"description": "Day of recording (Vietnam): corrections only on that day."},
    )
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()

    def _recorded_on(self, entry: object) -> str:
        return recorded_on(entry).isoformat()  # type: ignore[arg-type]
