"""The figures beside the linkage indicator as the API takes and shows them
(``linkages.indicator.overview``)."""

from __future__ import annotations

import marshmallow as ma

from linkages.schemas.indicator import IndicatorArgs, IndicatorPeriodOut


class IndicatorOverviewArgs(IndicatorArgs):
    """The indicator's period, as-of date, province and suspended switch: no variant nor
    breakdown (these figures have neither), no region scheme nor commodity (they do not
    break down), no target (the stored targets are used)."""

    class Meta(IndicatorArgs.Meta):
        exclude = ("variant", "breakdown", "region_scheme", "commodity")


class OverviewTargetOut(ma.Schema):
    year = ma.fields.Integer()
    scope = ma.fields.String(metadata={"description": "national, or a province code."})
    value = ma.fields.Float()
    unit = ma.fields.String(metadata={"description": "count, or share (a percent)."})
    qualifier = ma.fields.String(metadata={"description": "exact, about or more_than."})
    source = ma.fields.String()
    verified = ma.fields.Boolean()
    gap = ma.fields.Float(
        allow_none=True,
        metadata={"description": "Still missing to reach the target: a count, or "
                                 "percentage points; negative when above it."})


class OverviewMeasureOut(ma.Schema):
    metric = ma.fields.String()
    value = ma.fields.Float(allow_none=True)
    target = ma.fields.Nested(OverviewTargetOut, allow_none=True,
                              metadata={"description": "The target of the year asked."})
    target_2030 = ma.fields.Nested(OverviewTargetOut, allow_none=True)


class OverviewHighTechOut(OverviewMeasureOut):
    verified = ma.fields.Integer(metadata={"description": "HTX verified on an official "
                                                          "basis: the official count."})
    claimed = ma.fields.Integer(metadata={"description": "HTX with any other claim."})


class OverviewShareOut(ma.Schema):
    numerator = ma.fields.Integer()
    denominator = ma.fields.Integer()
    share = ma.fields.Float(allow_none=True)
    percent = ma.fields.Float(allow_none=True)


class OverviewStarsOut(ma.Schema):
    stars = ma.fields.Integer(allow_none=True)
    products = ma.fields.Integer()


class OverviewOcopOut(ma.Schema):
    products = ma.fields.Integer(metadata={"description": "Valid OCOP certificates on the "
                                                          "reference day."})
    by_stars = ma.fields.List(ma.fields.Nested(OverviewStarsOut))


class OverviewRatingOut(OverviewMeasureOut):
    denominator = ma.fields.Integer(metadata={"description": "The linkage indicator's "
                                                             "denominator."})
    rated = ma.fields.Integer()
    unrated = ma.fields.Integer()
    good = ma.fields.Integer()
    fair = ma.fields.Integer()
    good_fair = ma.fields.Integer()
    share = ma.fields.Float(allow_none=True, metadata={"description": "good_fair / rated."})


class OverviewMembersOut(OverviewMeasureOut):
    official = ma.fields.Integer()
    associate_capital = ma.fields.Integer()
    associate_no_capital = ma.fields.Integer()
    reporting = ma.fields.Integer(metadata={"description": "HTX with yearly figures for "
                                                           "the statistical year."})


class OverviewCountsOut(ma.Schema):
    htx = ma.fields.Nested(OverviewMeasureOut)
    tht = ma.fields.Nested(OverviewMeasureOut)
    lhhtx = ma.fields.Nested(OverviewMeasureOut)
    members = ma.fields.Nested(OverviewMembersOut)


class IndicatorOverviewOut(ma.Schema):
    period = ma.fields.Nested(IndicatorPeriodOut)
    as_of = ma.fields.Date()
    reference_day = ma.fields.Date()
    statistical_year = ma.fields.Integer(
        metadata={"description": "The year of the yearly figures and of ``target``."})
    province = ma.fields.String(allow_none=True)
    scope_province = ma.fields.String(allow_none=True)
    include_suspended = ma.fields.Boolean()
    target_scope = ma.fields.String(metadata={"description": "Whose targets: national or "
                                                             "a province code."})
    high_tech = ma.fields.Nested(OverviewHighTechOut)
    traceability = ma.fields.Nested(
        OverviewShareOut,
        metadata={"description": "Agricultural HTX of the denominator with a batch "
                                 "carrying two or more events in the period."})
    ocop = ma.fields.Nested(OverviewOcopOut)
    rating = ma.fields.Nested(OverviewRatingOut)
    counts = ma.fields.Nested(OverviewCountsOut)
