"""Certifications as the API takes and shows them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow.validate import Length, Range

from core.clock import local_today
from core.schemas import QuerySchema, StrictSchema
from linkages.models.certifications import Certification, CertScheme, SubjectKind, Validity


class _CertificationFields(StrictSchema):
    """Every writable field, all optional: the PATCH body."""

    scheme = ma.fields.Enum(CertScheme, by_value=True)
    scheme_name = ma.fields.String(
        allow_none=True,
        validate=Length(max=200),
        metadata={"description": "The scheme's name when scheme is \"other\"."},
    )
    number = ma.fields.String(validate=Length(min=1, max=100))
    issuer = ma.fields.String(validate=Length(min=1, max=255))
    issued_on = ma.fields.Date()
    expires_on = ma.fields.Date(
        allow_none=True,
        metadata={"description": "Inclusive. OCOP: 36 months after issue when omitted."},
    )
    scope = ma.fields.String(allow_none=True, validate=Length(max=5000))
    subject_kind = ma.fields.Enum(SubjectKind, by_value=True)
    production_area_id = ma.fields.Integer(strict=True, allow_none=True)
    product_id = ma.fields.Integer(strict=True, allow_none=True)
    is_public = ma.fields.Boolean(
        metadata={"description": "Shown on the consumer trace page (default true)."}
    )
    ocop_stars = ma.fields.Integer(strict=True, allow_none=True, validate=Range(1, 5))
    ocop_score = ma.fields.Integer(strict=True, allow_none=True, validate=Range(0, 100))


class CertificationUpdateIn(_CertificationFields):
    """The same fields, every one optional: a PATCH changes only what it names."""


class CertificationCreateIn(_CertificationFields):
    scheme = ma.fields.Enum(CertScheme, by_value=True, required=True)
    number = ma.fields.String(required=True, validate=Length(min=1, max=100))
    issuer = ma.fields.String(required=True, validate=Length(min=1, max=255))
    issued_on = ma.fields.Date(required=True)


class CertificationRevokeIn(StrictSchema):
    revoked_on = ma.fields.Date(
        load_default=None, metadata={"description": "Defaults to today (Vietnam)."}
    )
    reason = ma.fields.String(load_default="", validate=Length(max=500))


class CertificationListArgs(QuerySchema):
    scheme = ma.fields.Enum(CertScheme, by_value=True, load_default=None)
    subject_kind = ma.fields.Enum(SubjectKind, by_value=True, load_default=None)
    validity = ma.fields.Enum(Validity, by_value=True, load_default=None)
    on = ma.fields.Date(
        load_default=None,
        metadata={"description": "Day the validity filter and field refer to (default today)."},
    )


class CertificationOut(ma.Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    scheme = ma.fields.Enum(CertScheme, by_value=True)
    scheme_name = ma.fields.String()
    number = ma.fields.String()
    issuer = ma.fields.String()
    issued_on = ma.fields.Date()
    expires_on = ma.fields.Date(allow_none=True)
    scope = ma.fields.String()
    subject_kind = ma.fields.Enum(SubjectKind, by_value=True)
    production_area_id = ma.fields.Integer(allow_none=True)
    product_id = ma.fields.Integer(allow_none=True)
    is_public = ma.fields.Boolean()
    ocop_stars = ma.fields.Integer(allow_none=True)
    ocop_score = ma.fields.Integer(allow_none=True)
    revoked_on = ma.fields.Date(allow_none=True)
    revocation_reason = ma.fields.String()
    validity = ma.fields.Method(
        "_validity",
        metadata={"description": "Today (Vietnam): valid, expired, not_yet_valid or revoked."},
    )
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()

    def _validity(self, cert: Certification) -> str:
        return cert.validity_on(local_today()).value
