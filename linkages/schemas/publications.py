"""Published indicator figures as the API takes and shows them
(``linkages.indicator.publications``, ``linkages.indicator.publication_changes``)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow.validate import Length, OneOf, Range, Regexp

from core.schemas import QuerySchema, StrictSchema
from linkages.indicator.drilldown import FILTERS
from linkages.indicator.period import MAX_YEAR, MIN_YEAR
from linkages.indicator.publication_changes import KINDS
from linkages.indicator.publications import MEMBER_VARIANTS, NOTE_MAX
from linkages.models.publications import PeriodKind
from linkages.schemas.indicator import IndicatorPeriodOut, IndicatorVariantOut

_YEAR_KINDS = [PeriodKind.STATISTICAL_YEAR.value, PeriodKind.CALENDAR_YEAR.value]
_PROVINCE = Regexp(r"^[0-9]{2}$")


class PublicationCreateIn(StrictSchema):
    period = ma.fields.String(
        validate=OneOf(_YEAR_KINDS),
        metadata={"description": "Year kind when no from/to range is given: "
                                 "statistical_year (default, 15 Dec Y-1 – 14 Dec Y) or "
                                 "calendar_year."})
    year = ma.fields.Integer(
        strict=True, validate=Range(MIN_YEAR, MAX_YEAR),
        metadata={"description": "The year to publish, once it has ended (or give from "
                                 "and to)."})
    from_ = ma.fields.Date(data_key="from", metadata={"description": "Range start."})
    to = ma.fields.Date(metadata={"description": "Range end: a past day."})
    province = ma.fields.String(
        validate=_PROVINCE,
        metadata={"description": "A province code to publish its figures; default the "
                                 "whole country (a province authority: its province)."})
    include_suspended = ma.fields.Boolean(load_default=False)
    note = ma.fields.String(validate=Length(max=NOTE_MAX))


class PublicationListArgs(QuerySchema):
    scope = ma.fields.String(validate=Regexp(r"^(national|[0-9]{2})$"),
                             metadata={"description": "national or a province code."})
    year = ma.fields.Integer(validate=Range(MIN_YEAR, MAX_YEAR))
    period = ma.fields.String(validate=OneOf([k.value for k in PeriodKind]))


class PublicationMembersArgs(QuerySchema):
    variant = ma.fields.String(
        load_default="A", validate=OneOf(list(MEMBER_VARIANTS)),
        metadata={"description": "A, B, C, D or E (the volume-weighted variant keeps its "
                                 "figures only)."})
    which = ma.fields.String(load_default="denominator", validate=OneOf(FILTERS))
    province = ma.fields.String(validate=_PROVINCE,
                                metadata={"description": "Narrow a national publication."})


class PublicationChangesArgs(QuerySchema):
    variant = ma.fields.String(
        validate=OneOf(list(MEMBER_VARIANTS)),
        metadata={"description": "One of A–E; default all of them."})
    kind = ma.fields.String(validate=OneOf(list(KINDS)))


class PublishedValueOut(ma.Schema):
    numerator = ma.fields.Float()
    denominator = ma.fields.Float()
    share = ma.fields.Float(allow_none=True, metadata={"description": "0–1."})
    percent = ma.fields.Float(allow_none=True)
    cooperatives = ma.fields.Integer(
        metadata={"description": "Volume-weighted: cooperatives with batches."})


class PublishedGroupOut(PublishedValueOut):
    key = ma.fields.String(allow_none=True, metadata={"description": "Province code."})
    label = ma.fields.String()


class PublishedFigureOut(ma.Schema):
    variant = ma.fields.Nested(IndicatorVariantOut)
    total = ma.fields.Nested(PublishedValueOut)
    groups = ma.fields.List(ma.fields.Nested(PublishedGroupOut),
                            metadata={"description": "By province."})


class PublicationOut(ma.Schema):
    id = ma.fields.Integer()
    scope = ma.fields.String(metadata={"description": "national or a province code."})
    period = ma.fields.Nested(IndicatorPeriodOut)
    as_of = ma.fields.Date()
    reference_day = ma.fields.Date()
    knowledge_cutoff = ma.fields.DateTime(
        metadata={"description": "Records made from then on were not known to it."})
    include_suspended = ma.fields.Boolean()
    denominator_version = ma.fields.String()
    published_at = ma.fields.DateTime()
    published_by_id = ma.fields.Integer(allow_none=True)
    note = ma.fields.String()
    figures = ma.fields.List(ma.fields.Nested(PublishedFigureOut))


class PublicationMemberOut(ma.Schema):
    org_id = ma.fields.Integer()
    name = ma.fields.String()
    registration_code = ma.fields.String()
    province = ma.fields.String(allow_none=True,
                                metadata={"description": "On the reference day."})
    in_denominator = ma.fields.Boolean()
    counted = ma.fields.Boolean()
    reason = ma.fields.String(allow_none=True, metadata={"description": "Why it did not "
                                                         "count (a code); null when it "
                                                         "counted."})
    reason_text = ma.fields.String()
    contract_id = ma.fields.Integer(allow_none=True)
    contract_code = ma.fields.String(allow_none=True)


class PublicationChangeOut(ma.Schema):
    variant = ma.fields.String()
    kind = ma.fields.String(validate=OneOf(list(KINDS)))
    org_id = ma.fields.Integer()
    name = ma.fields.String()
    registration_code = ma.fields.String()
    province = ma.fields.String(allow_none=True)
    published_in_denominator = ma.fields.Boolean()
    published_counted = ma.fields.Boolean()
    published_reason = ma.fields.String(allow_none=True)
    published_reason_text = ma.fields.String()
    published_contract_id = ma.fields.Integer(allow_none=True)
    published_contract_code = ma.fields.String(allow_none=True)
    today_in_denominator = ma.fields.Boolean()
    today_counted = ma.fields.Boolean()
    today_reason = ma.fields.String(allow_none=True)
    today_reason_text = ma.fields.String()
    today_contract_id = ma.fields.Integer(allow_none=True)
    today_contract_code = ma.fields.String(allow_none=True)


class ChangeCountsOut(ma.Schema):
    entered = ma.fields.Integer()
    left = ma.fields.Integer()
    entered_denominator = ma.fields.Integer()
    left_denominator = ma.fields.Integer()


class DifferenceOut(ma.Schema):
    numerator = ma.fields.Float(allow_none=True)
    denominator = ma.fields.Float(allow_none=True)
    percent_points = ma.fields.Float(allow_none=True)


class ComparedVariantOut(ma.Schema):
    variant = ma.fields.Nested(IndicatorVariantOut, metadata={"description": "As "
                                                              "published."})
    current_version = ma.fields.String()
    version_changed = ma.fields.Boolean()
    published = ma.fields.Nested(PublishedValueOut)
    today = ma.fields.Nested(PublishedValueOut)
    difference = ma.fields.Nested(DifferenceOut)
    changes = ma.fields.Nested(ChangeCountsOut, metadata={"description": "Cooperatives "
                                                          "that changed (A–E)."})


class PublicationComparisonOut(ma.Schema):
    publication = ma.fields.Nested(PublicationOut)
    province = ma.fields.String(allow_none=True, metadata={"description": "The slice "
                                                           "compared (a province "
                                                           "authority's province)."})
    as_of = ma.fields.Date(allow_none=True)
    reference_day = ma.fields.Date(allow_none=True)
    variants = ma.fields.List(ma.fields.Nested(ComparedVariantOut))
