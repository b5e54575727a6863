"""Members as the API takes and shows them.

The personal ID number comes in as ``id_number`` (load-only) and is hashed by the service;
no output field carries it, only ``id_number_masked`` ("*********123").
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow.validate import Length, Range

from core.schemas import QuerySchema, StrictSchema
from linkages.models.members import ContributionKind, MemberKind, MemberType

# Far above any cooperative's capital; stops absurd numbers before they reach BIGINT.
MAX_CAPITAL_VND = 10**15


class _MemberFields(StrictSchema):
    """Every writable field, all optional: the PATCH body. Null clears an optional field."""

    member_type = ma.fields.Enum(
        MemberType,
        by_value=True,
        metadata={"description": "Law 17/2023/QH15: official, associate with or without capital."},
    )
    member_kind = ma.fields.Enum(MemberKind, by_value=True)
    display_name = ma.fields.String(validate=Length(min=1, max=200))
    id_number = ma.fields.String(
        load_only=True,
        allow_none=True,
        validate=Length(max=40),
        metadata={
            "description": "Personal ID (CCCD, 12 digits) of the person or household head. "
            "Stored only as a keyed hash; never returned.",
            "example": "001203004567",
        },
    )
    legal_registration_code = ma.fields.String(
        allow_none=True,
        validate=Length(max=14),
        metadata={"description": "Tax code of a legal-entity member.", "example": "0100109106"},
    )
    household_size = ma.fields.Integer(strict=True, allow_none=True, validate=Range(min=1))
    commune_code = ma.fields.String(allow_none=True, validate=Length(equal=5))
    phone = ma.fields.String(allow_none=True, validate=Length(max=40))
    joined_on = ma.fields.Date(allow_none=True)
    capital_contribution_vnd = ma.fields.Integer(
        strict=True, allow_none=True, validate=Range(min=0, max=MAX_CAPITAL_VND)
    )
    contribution_kinds = ma.fields.List(
        ma.fields.Enum(ContributionKind, by_value=True), allow_none=True
    )


class MemberUpdateIn(_MemberFields):
    """The same fields, every one optional: a PATCH changes only what it names."""


class MemberCreateIn(_MemberFields):
    member_type = ma.fields.Enum(MemberType, by_value=True, required=True)
    member_kind = ma.fields.Enum(MemberKind, by_value=True, required=True)
    display_name = ma.fields.String(required=True, validate=Length(min=1, max=200))


class MemberLeaveIn(StrictSchema):
    left_on = ma.fields.Date(required=True)


class MemberListArgs(QuerySchema):
    type = ma.fields.Enum(MemberType, by_value=True, load_default=None)
    active = ma.fields.Boolean(
        load_default=True,
        metadata={"description": "true (default): current members; false: former members."},
    )


class MemberOut(ma.Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    member_type = ma.fields.Enum(MemberType, by_value=True)
    member_kind = ma.fields.Enum(MemberKind, by_value=True)
    display_name = ma.fields.String()
    id_number_masked = ma.fields.String(
        allow_none=True, metadata={"example": "*********567"}
    )
    legal_registration_code = ma.fields.String(allow_none=True)
    household_size = ma.fields.Integer(allow_none=True)
    commune_code = ma.fields.String(allow_none=True)
    phone = ma.fields.String()
    joined_on = ma.fields.Date(allow_none=True)
    left_on = ma.fields.Date(allow_none=True)
    is_active = ma.fields.Boolean()
    capital_contribution_vnd = ma.fields.Integer()
    contribution_kinds = ma.fields.List(ma.fields.Enum(ContributionKind, by_value=True))
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
