"""The linkage indicator as the API takes and shows it (``linkages.indicator``)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow.validate import Length, OneOf, Range, Regexp

from core.schemas import QuerySchema
from linkages.indicator.definitions import Breakdown, VariantCode
from linkages.indicator.drilldown import FILTERS
from linkages.indicator.period import MAX_YEAR, MIN_YEAR
from linkages.indicator.service import MAX_TREND_YEARS
from traceability.models import Commodity

PERIODS = ("statistical_year", "calendar_year")


class IndicatorArgs(QuerySchema):
    variant = ma.fields.String(
        load_default="A", validate=OneOf([v.value for v in VariantCode]),
        metadata={"description": "A, B, C, D, E or V (volume-weighted)."})
    period = ma.fields.String(
        load_default="statistical_year", validate=OneOf(PERIODS),
        metadata={"description": "Year kind when no from/to range is given: the "
                                 "statistical year (15 Dec Y-1 – 14 Dec Y) or the calendar "
                                 "year."})
    year = ma.fields.Integer(
        validate=Range(MIN_YEAR, MAX_YEAR),
        metadata={"description": "Default: the current statistical year."})
    from_ = ma.fields.Date(data_key="from", metadata={"description": "Range start."})
    to = ma.fields.Date(metadata={"description": "Range end (at most 20 years on)."})
    as_of = ma.fields.Date(metadata={"description": "Default today; not in the future."})
    breakdown = ma.fields.String(load_default="none",
                                 validate=OneOf([b.value for b in Breakdown]))
    province = ma.fields.String(validate=Regexp(r"^[0-9]{2}$"),
                                metadata={"description": "One of the 34 current codes."})
    region_scheme = ma.fields.String(validate=[Length(min=1, max=40),
                                               Regexp(r"^[A-Za-z0-9_]+$")])
    commodity = ma.fields.String(validate=OneOf([c.value for c in Commodity]))
    include_suspended = ma.fields.Boolean(load_default=False)


class IndicatorFigureArgs(IndicatorArgs):
    target = ma.fields.Float(
        validate=Range(0, 100), allow_nan=False,
        metadata={"description": "Target share in percent: the figures carry the gap."})


class IndicatorTrendArgs(IndicatorFigureArgs):
    years = ma.fields.Integer(load_default=3, validate=Range(1, MAX_TREND_YEARS))


class IndicatorDrillArgs(IndicatorArgs):
    which = ma.fields.String(load_default="denominator", validate=OneOf(FILTERS))
    group = ma.fields.String(
        validate=[Length(min=1, max=40), Regexp(r"^[A-Za-z0-9_]+$")],
        metadata={"description": "A group key of the province, region or size-class "
                                 "breakdown."})


class IndicatorVariantOut(ma.Schema):
    code = ma.fields.String()
    version = ma.fields.String()
    name = ma.fields.String()
    definition = ma.fields.String()
    unit = ma.fields.String(metadata={"description": "htx (cooperatives) or kg."})


class IndicatorDenominatorOut(ma.Schema):
    version = ma.fields.String()
    definition = ma.fields.String()


class IndicatorDefinitionsOut(ma.Schema):
    denominator = ma.fields.Nested(IndicatorDenominatorOut)
    variants = ma.fields.List(ma.fields.Nested(IndicatorVariantOut))


class IndicatorPeriodOut(ma.Schema):
    kind = ma.fields.String()
    year = ma.fields.Integer(allow_none=True)
    start = ma.fields.Date()
    end = ma.fields.Date()


class IndicatorValueOut(ma.Schema):
    numerator = ma.fields.Float()
    denominator = ma.fields.Float()
    share = ma.fields.Float(allow_none=True)
    percent = ma.fields.Float(allow_none=True)
    gap_to_target = ma.fields.Float(allow_none=True)
    cooperatives = ma.fields.Integer(
        metadata={"description": "Volume-weighted: cooperatives with batches."})


class IndicatorGroupOut(IndicatorValueOut):
    key = ma.fields.String(allow_none=True)
    label = ma.fields.String()


class IndicatorFigureOut(ma.Schema):
    variant = ma.fields.Nested(IndicatorVariantOut)
    denominator_definition = ma.fields.String()
    denominator_version = ma.fields.String()
    period = ma.fields.Nested(IndicatorPeriodOut)
    as_of = ma.fields.Date()
    reference_day = ma.fields.Date()
    include_suspended = ma.fields.Boolean()
    province = ma.fields.String(allow_none=True)
    scope_province = ma.fields.String(allow_none=True)
    region_scheme = ma.fields.String(allow_none=True)
    commodity = ma.fields.String(allow_none=True)
    breakdown = ma.fields.String()
    target = ma.fields.Float(allow_none=True)
    total = ma.fields.Nested(IndicatorValueOut)
    groups = ma.fields.List(ma.fields.Nested(IndicatorGroupOut))


class IndicatorTrendPointOut(IndicatorValueOut):
    year = ma.fields.Integer()
    period = ma.fields.Nested(IndicatorPeriodOut)
    reference_day = ma.fields.Date()


class IndicatorTrendOut(ma.Schema):
    variant = ma.fields.Nested(IndicatorVariantOut)
    as_of = ma.fields.Date()
    province = ma.fields.String(allow_none=True)
    scope_province = ma.fields.String(allow_none=True)
    include_suspended = ma.fields.Boolean()
    target = ma.fields.Float(allow_none=True)
    points = ma.fields.List(ma.fields.Nested(IndicatorTrendPointOut))


class IndicatorDrillRowOut(ma.Schema):
    org_id = ma.fields.Integer()
    name = ma.fields.String()
    registration_code = ma.fields.String()
    province = ma.fields.String(allow_none=True)
    size_class = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "Registry status on the reference "
                                                       "day."})
    in_denominator = ma.fields.Boolean()
    counted = ma.fields.Boolean()
    reason = ma.fields.String(allow_none=True, metadata={"description": "Why it does not "
                                                         "count (a code); null when it "
                                                         "counts."})
    reason_text = ma.fields.String()
    contract_id = ma.fields.Integer(allow_none=True)
    contract_code = ma.fields.String(allow_none=True)
    delivery_id = ma.fields.Integer(allow_none=True)
