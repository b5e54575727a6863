"""Oversight facts, their history and change requests as the API takes and shows them.

The services re-check every rule (``linkages.services.oversight``); these schemas parse
types and refuse unknown fields.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow.validate import Length

from core.schemas import QuerySchema, StrictSchema
from linkages.models.organisations import ChangeRequestStatus, FactField, OrgStatus, OrgType
from linkages.schemas.organisations import OrganisationSchema
from linkages.services.oversight import REASON_LIMIT

_effective_doc = (
    "The date the change takes effect (not in the future, not before the field's last "
    "recorded change); reports asking for an earlier date see the old value."
)


class FactChangeInSchema(StrictSchema):
    """New values of one or more oversight facts, with the date they take effect and why.
    A status change sets `status_since` to `effective_on`."""

    registration_code = ma.fields.String(validate=Length(min=1, max=20))
    org_type = ma.fields.Enum(OrgType, by_value=True)
    status = ma.fields.Enum(OrgStatus, by_value=True)
    registered_on = ma.fields.Date(allow_none=True)
    province_code = ma.fields.String(
        allow_none=True, validate=Length(equal=2), metadata={"example": "01"}
    )
    commune_code = ma.fields.String(
        allow_none=True, validate=Length(equal=5), metadata={"example": "00376"}
    )
    legacy_province_code = ma.fields.String(allow_none=True, validate=Length(equal=2))
    effective_on = ma.fields.Date(required=True, metadata={"description": _effective_doc})
    reason = ma.fields.String(required=True, validate=Length(min=1, max=REASON_LIMIT))


class FactChangeSchema(ma.Schema):
    """One recorded change of one fact. Values are text: enum values, ISO dates, codes."""

    class Meta:
        ordered = True

    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    field = ma.fields.Enum(FactField, by_value=True)
    old_value = ma.fields.String(allow_none=True)
    new_value = ma.fields.String(allow_none=True)
    effective_on = ma.fields.Date()
    reason = ma.fields.String()
    changed_by_id = ma.fields.Integer(allow_none=True)
    changed_at = ma.fields.DateTime()
    request_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The approved request; null if direct."}
    )


class FactChangeSetSchema(ma.Schema):
    class Meta:
        ordered = True

    organisation = ma.fields.Nested(OrganisationSchema)
    changes = ma.fields.List(ma.fields.Nested(FactChangeSchema))


class FactChangeQuerySchema(QuerySchema):
    field = ma.fields.Enum(FactField, by_value=True)


class FactsAsOfQuerySchema(QuerySchema):
    on = ma.fields.Date(required=True, metadata={"description": "The date asked about."})


class FactsAsOfSchema(ma.Schema):
    """The oversight facts as they were on a date."""

    class Meta:
        ordered = True

    organisation_id = ma.fields.Integer()
    on = ma.fields.Date()
    registration_code = ma.fields.String(allow_none=True)
    org_type = ma.fields.Enum(OrgType, by_value=True, allow_none=True)
    status = ma.fields.Enum(OrgStatus, by_value=True, allow_none=True)
    registered_on = ma.fields.Date(allow_none=True)
    province_code = ma.fields.String(allow_none=True)
    commune_code = ma.fields.String(allow_none=True)
    legacy_province_code = ma.fields.String(allow_none=True)


class ChangeRequestItemSchema(ma.Schema):
    class Meta:
        ordered = True

    field = ma.fields.Enum(FactField, by_value=True)
    old_value = ma.fields.String(
        allow_none=True, metadata={"description": "The value when the request was made."}
    )
    new_value = ma.fields.String(allow_none=True)


class ChangeRequestSchema(ma.Schema):
    class Meta:
        ordered = True

    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    status = ma.fields.Enum(ChangeRequestStatus, by_value=True)
    items = ma.fields.List(ma.fields.Nested(ChangeRequestItemSchema))
    effective_on = ma.fields.Date(metadata={"description": "The date asked for."})
    reason = ma.fields.String()
    requested_by_id = ma.fields.Integer(allow_none=True)
    requested_at = ma.fields.DateTime()
    decided_by_id = ma.fields.Integer(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    decision_reason = ma.fields.String()


class ChangeRequestQuerySchema(QuerySchema):
    status = ma.fields.Enum(ChangeRequestStatus, by_value=True)


class ApproveInSchema(StrictSchema):
    effective_on = ma.fields.Date(
        metadata={"description": "Corrects the requested date (same rules as a change)."}
    )
    reason = ma.fields.String(
        validate=Length(max=REASON_LIMIT), metadata={"description": "Optional note."}
    )


class RejectInSchema(StrictSchema):
    reason = ma.fields.String(required=True, validate=Length(min=1, max=REASON_LIMIT))


__all__ = [
    "ApproveInSchema",
    "ChangeRequestItemSchema",
    "ChangeRequestQuerySchema",
    "ChangeRequestSchema",
    "FactChangeInSchema",
    "FactChangeQuerySchema",
    "FactChangeSchema",
    "FactChangeSetSchema",
    "FactsAsOfQuerySchema",
    "FactsAsOfSchema",
    "RejectInSchema",
]
