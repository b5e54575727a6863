"""Indicator targets as the API takes and shows them (``linkages.indicator.targets``)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow.validate import Length, OneOf, Range, Regexp

from core.schemas import QuerySchema, StrictSchema
from linkages.indicator.period import MAX_YEAR, MIN_YEAR
from linkages.indicator.targets import NOTE_MAX, SOURCE_MAX
from linkages.models.targets import TargetMetric, TargetQualifier, TargetUnit

# Larger than any count a target names (8 million members), small enough for a double.
VALUE_MAX = 1_000_000_000_000
_SCOPE = Regexp(r"^(national|[0-9]{2})$")
_METRICS = OneOf([m.value for m in TargetMetric])


def _year(*, strict: bool = True) -> ma.fields.Integer:
    return ma.fields.Integer(strict=strict, validate=Range(MIN_YEAR, MAX_YEAR))


def _value() -> ma.fields.Float:
    return ma.fields.Float(
        allow_nan=False, validate=Range(0, VALUE_MAX),
        metadata={"description": "A share in percent (0–100) or a whole count, by the "
                                 "metric's unit."})


class TargetListArgs(QuerySchema):
    metric = ma.fields.String(validate=_METRICS)
    scope = ma.fields.String(validate=_SCOPE,
                             metadata={"description": "national or a province code."})
    year = _year(strict=False)
    verified = ma.fields.Boolean()


class TargetFields(StrictSchema):
    qualifier = ma.fields.String(
        validate=OneOf([q.value for q in TargetQualifier]),
        metadata={"description": "How the source states it: exact, about, more_than."})
    source = ma.fields.String(validate=Length(min=1, max=SOURCE_MAX),
                              metadata={"description": "The document the target comes from."})
    verified = ma.fields.Boolean(
        metadata={"description": "Checked against the source document."})
    note = ma.fields.String(validate=Length(max=NOTE_MAX))
    scope = ma.fields.String(validate=_SCOPE,
                             metadata={"description": "national (default) or a province "
                                                      "code."})


class TargetCreateIn(TargetFields):
    metric = ma.fields.String(required=True, validate=_METRICS)
    year = ma.fields.Integer(required=True, strict=True, validate=Range(MIN_YEAR, MAX_YEAR))
    value = ma.fields.Float(required=True, allow_nan=False, validate=Range(0, VALUE_MAX),
                            metadata={"description": "A share in percent (0–100) or a whole "
                                                     "count, by the metric's unit."})
    source = ma.fields.String(required=True, validate=Length(min=1, max=SOURCE_MAX),
                              metadata={"description": "The document the target comes from."})


class TargetUpdateIn(TargetFields):
    metric = ma.fields.String(validate=_METRICS)
    year = _year()
    value = _value()


class TargetOut(ma.Schema):
    id = ma.fields.Integer()
    metric = ma.fields.String()
    scope = ma.fields.String(metadata={"description": "national or a province code."})
    year = ma.fields.Integer()
    value = ma.fields.Float()
    unit = ma.fields.String(validate=OneOf([u.value for u in TargetUnit]),
                            metadata={"description": "share (percent) or count."})
    qualifier = ma.fields.String()
    source = ma.fields.String()
    verified = ma.fields.Boolean()
    note = ma.fields.String()
    recorded_by_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
