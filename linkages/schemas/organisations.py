"""Organisations, cooperative profiles, yearly figures and union memberships as the API
takes and shows them.

Input schemas refuse unknown fields (``StrictSchema``); the services re-check every rule,
so the HTML forms and the CLI get the same answers.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow.validate import Length, Range

from core.schemas import StrictSchema
from linkages.models.cooperatives import (
    AgriSubtype,
    FieldGroup,
    FigureFact,
    GovernanceModel,
    HighTechBasis,
    HighTechStatus,
    ProfileFact,
    Rating,
    SizeClass,
    TechnologyTag,
)
from linkages.models.organisations import OrgStatus, OrgType

_code_doc = (
    "Tax code (MST): 10 digits with check digit, optional branch suffix -001…-999; a "
    "12-digit personal ID for household businesses and farm households."
)


class OrganisationSchema(ma.Schema):
    """The public registry record."""

    class Meta:
        ordered = True

    id = ma.fields.Integer(dump_only=True)
    registration_code = ma.fields.String(metadata={"description": _code_doc})
    name = ma.fields.String()
    short_name = ma.fields.String()
    org_type = ma.fields.Enum(OrgType, by_value=True)
    status = ma.fields.Enum(OrgStatus, by_value=True)
    status_since = ma.fields.Date(allow_none=True)
    registered_on = ma.fields.Date(allow_none=True)
    address_line = ma.fields.String()
    commune_code = ma.fields.String(allow_none=True)
    province_code = ma.fields.String(allow_none=True)
    legacy_province_code = ma.fields.String(allow_none=True)
    phone = ma.fields.String()
    email = ma.fields.String()
    website = ma.fields.String()


class OrganisationPatchSchema(StrictSchema):
    """Fields to change; all optional. The oversight facts (registration code, type,
    status and its dates, place codes) are accepted here only unchanged: they change
    through `POST /api/organisations/{id}/fact-changes` (an authority over the
    organisation, or a platform admin) or a change request
    (`POST /api/organisations/{id}/change-requests`, the organisation's admins); a changed
    one answers 403 (422 for a platform admin) naming the field."""

    registration_code = ma.fields.String(
        validate=Length(min=1, max=20), metadata={"description": _code_doc}
    )
    name = ma.fields.String(validate=Length(min=1, max=255))
    short_name = ma.fields.String(validate=Length(max=100))
    org_type = ma.fields.Enum(OrgType, by_value=True)
    status = ma.fields.Enum(OrgStatus, by_value=True)
    status_since = ma.fields.Date(
        allow_none=True, metadata={"description": "On registration: today unless given."}
    )
    registered_on = ma.fields.Date(allow_none=True)
    address_line = ma.fields.String(validate=Length(max=255))
    commune_code = ma.fields.String(
        allow_none=True, validate=Length(equal=5), metadata={"example": "00376"}
    )
    province_code = ma.fields.String(
        allow_none=True, validate=Length(equal=2), metadata={"example": "01"}
    )
    legacy_province_code = ma.fields.String(allow_none=True, validate=Length(equal=2))
    phone = ma.fields.String(validate=Length(max=40))
    email = ma.fields.String(validate=Length(max=254))
    website = ma.fields.String(validate=Length(max=255))


class OrganisationCreateSchema(OrganisationPatchSchema):
    registration_code = ma.fields.String(
        required=True, validate=Length(min=1, max=20), metadata={"description": _code_doc}
    )
    name = ma.fields.String(required=True, validate=Length(min=1, max=255))
    org_type = ma.fields.Enum(OrgType, by_value=True, required=True)


class OrganisationQuerySchema(ma.Schema):
    """List filters. Unknown query parameters are ignored: ``page``/``page_size`` belong to
    the pagination parser."""

    class Meta:
        unknown = ma.EXCLUDE

    org_type = ma.fields.Enum(OrgType, by_value=True, data_key="type")
    province_code = ma.fields.String(validate=Length(equal=2))
    status = ma.fields.Enum(OrgStatus, by_value=True)
    q = ma.fields.String(
        validate=Length(max=100),
        metadata={"description": "Part of the name or short name, or a code prefix."},
    )


class OrganisationRefSchema(ma.Schema):
    class Meta:
        ordered = True

    id = ma.fields.Integer()
    registration_code = ma.fields.String()
    name = ma.fields.String()
    org_type = ma.fields.Enum(OrgType, by_value=True)


# --- cooperative profile -----------------------------------------------------------------


class ProfileInSchema(StrictSchema):
    """The whole profile (PUT replaces it)."""

    field_group = ma.fields.Enum(FieldGroup, by_value=True, required=True)
    agri_subtype = ma.fields.Enum(
        AgriSubtype,
        by_value=True,
        allow_none=True,
        metadata={"description": "Agricultural field group only (Decree 113/2024)."},
    )
    governance_model = ma.fields.Enum(GovernanceModel, by_value=True)
    size_class = ma.fields.Enum(SizeClass, by_value=True, allow_none=True)
    high_tech_status = ma.fields.Enum(
        HighTechStatus,
        by_value=True,
        metadata={"description": "`verified` is set by platform administrators only."},
    )
    high_tech_basis = ma.fields.Enum(HighTechBasis, by_value=True, allow_none=True)
    technology_tags = ma.fields.List(ma.fields.Enum(TechnologyTag, by_value=True))
    technology_other = ma.fields.String(validate=Length(max=255))
    high_tech_evidence = ma.fields.String(validate=Length(max=5000))
    high_tech_evidence_url = ma.fields.String(validate=Length(max=500))


class ProfileSchema(ma.Schema):
    class Meta:
        ordered = True

    organisation_id = ma.fields.Integer()
    field_group = ma.fields.Enum(FieldGroup, by_value=True)
    agri_subtype = ma.fields.Enum(AgriSubtype, by_value=True, allow_none=True)
    governance_model = ma.fields.Enum(GovernanceModel, by_value=True)
    size_class = ma.fields.Enum(SizeClass, by_value=True, allow_none=True)
    high_tech_status = ma.fields.Enum(HighTechStatus, by_value=True)
    high_tech_basis = ma.fields.Enum(HighTechBasis, by_value=True, allow_none=True)
    technology_tags = ma.fields.List(ma.fields.Enum(TechnologyTag, by_value=True))
    technology_other = ma.fields.String()
    high_tech_evidence = ma.fields.String()
    high_tech_evidence_url = ma.fields.String()
    verified_by_id = ma.fields.Integer(allow_none=True)
    verified_at = ma.fields.DateTime(allow_none=True)
    updated_at = ma.fields.DateTime()
    warnings = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "Cooperative Law 2023 minimums not met (not refusals)."},
    )


# --- yearly figures ------------------------------------------------------------------


class FiguresInSchema(StrictSchema):
    """Figures for one statistical year (15 Dec of the previous year to 14 Dec)."""

    official_members = ma.fields.Integer(validate=Range(min=0))
    associate_capital_members = ma.fields.Integer(validate=Range(min=0))
    associate_no_capital_members = ma.fields.Integer(validate=Range(min=0))
    households = ma.fields.Integer(validate=Range(min=0))
    revenue_vnd = ma.fields.Integer(
        allow_none=True,
        validate=Range(min=0, max=2**63 - 1),
        metadata={"description": "Revenue in whole VND."},
    )
    rating = ma.fields.Enum(
        Rating,
        by_value=True,
        allow_none=True,
        metadata={"description": "good ≥80, fair 65–<80, average 50–<65, weak <50 points."},
    )
    rating_score = ma.fields.Integer(allow_none=True, validate=Range(min=0, max=100))


class FiguresSchema(ma.Schema):
    class Meta:
        ordered = True

    organisation_id = ma.fields.Integer()
    year = ma.fields.Integer()
    official_members = ma.fields.Integer()
    associate_capital_members = ma.fields.Integer()
    associate_no_capital_members = ma.fields.Integer()
    households = ma.fields.Integer()
    revenue_vnd = ma.fields.Integer(allow_none=True)
    rating = ma.fields.Enum(Rating, by_value=True, allow_none=True)
    rating_score = ma.fields.Integer(allow_none=True)
    updated_at = ma.fields.DateTime()


class ProfileChangeSchema(ma.Schema):
    """One kept change of the cooperative profile, in effect from the day it was recorded
    (Vietnam). Values are the enum values as text."""

    class Meta:
        ordered = True

    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    field = ma.fields.Enum(ProfileFact, by_value=True)
    old_value = ma.fields.String(allow_none=True)
    new_value = ma.fields.String(allow_none=True)
    effective_on = ma.fields.Date()
    changed_by_id = ma.fields.Integer(allow_none=True)
    changed_at = ma.fields.DateTime()


class FiguresChangeSchema(ma.Schema):
    """One kept correction of a reported yearly figure. Values are text: a count, or a
    rating's value."""

    class Meta:
        ordered = True

    id = ma.fields.Integer()
    year = ma.fields.Integer(attribute="figures.year")
    field = ma.fields.Enum(FigureFact, by_value=True)
    old_value = ma.fields.String(allow_none=True)
    new_value = ma.fields.String(allow_none=True)
    changed_by_id = ma.fields.Integer(allow_none=True)
    changed_at = ma.fields.DateTime()


# --- union memberships -------------------------------------------------------------


class UnionMembershipInSchema(StrictSchema):
    counterpart_id = ma.fields.Integer(
        required=True,
        metadata={"description": "The union (for an HTX) or the member HTX (for a union)."},
    )
    joined_on = ma.fields.Date(required=True)


class UnionMembershipEndSchema(StrictSchema):
    left_on = ma.fields.Date(required=True)


class UnionMembershipSchema(ma.Schema):
    class Meta:
        ordered = True

    id = ma.fields.Integer()
    union = ma.fields.Nested(OrganisationRefSchema)
    member = ma.fields.Nested(OrganisationRefSchema)
    joined_on = ma.fields.Date()
    left_on = ma.fields.Date(allow_none=True)


__all__ = [
    "FiguresInSchema",
    "FiguresSchema",
    "OrganisationCreateSchema",
    "OrganisationPatchSchema",
    "OrganisationQuerySchema",
    "OrganisationRefSchema",
    "OrganisationSchema",
    "ProfileInSchema",
    "ProfileSchema",
    "UnionMembershipEndSchema",
    "UnionMembershipInSchema",
    "UnionMembershipSchema",
]
