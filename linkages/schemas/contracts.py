"""Linkage contracts as the API takes and shows them; linkage projects too."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow.validate import Length, Range

from core.db import MAX_BIGINT
from core.schemas import QuerySchema, StrictSchema
from core.units import Unit
from linkages.models.certifications import CertScheme
from linkages.models.contracts import (
    ContractStatus,
    DisputeResolution,
    PartyRole,
    PriceMechanism,
    VersionChange,
)

_VND = Range(min=0, max=MAX_BIGINT)
_TEXT = Length(max=5000)


def _vnd(description: str) -> ma.fields.Integer:
    return ma.fields.Integer(
        strict=True, allow_none=True, validate=_VND, metadata={"description": description}
    )


def _text() -> ma.fields.String:
    return ma.fields.String(allow_none=True, validate=_TEXT)


class StagesIn(StrictSchema):
    inputs = ma.fields.Boolean(load_default=False)
    production = ma.fields.Boolean(load_default=False)
    processing = ma.fields.Boolean(load_default=False)


class PartyIn(StrictSchema):
    organisation_id = ma.fields.Integer(strict=True, required=True)
    role = ma.fields.Enum(PartyRole, by_value=True, required=True)
    represented_households = ma.fields.Integer(
        strict=True, allow_none=True, validate=Range(min=1, max=10**6),
        metadata={"description": "Households (or a THT's members) this cooperative represents."},
    )
    represented_description = ma.fields.String(allow_none=True, validate=Length(max=2000))


class LineIn(StrictSchema):
    commodity = ma.fields.String(required=True, validate=Length(min=1, max=200))
    product_id = ma.fields.Integer(
        strict=True, allow_none=True,
        metadata={"description": "A traceability product of one of the parties."},
    )
    season = ma.fields.String(allow_none=True, validate=Length(max=100))
    planned_quantity = ma.fields.Decimal(
        required=True, allow_nan=False, validate=Range(min=0, max=10**12)
    )
    unit = ma.fields.Enum(Unit, by_value=True, required=True)
    quality_spec = _text()
    required_certifications = ma.fields.List(
        ma.fields.Enum(CertScheme, by_value=True), validate=Length(max=20)
    )
    raw_material_area_ha = ma.fields.Decimal(
        allow_none=True, allow_nan=False, validate=Range(min=0, max=10**7, max_inclusive=False)
    )
    production_area_ids = ma.fields.List(
        ma.fields.Integer(strict=True), validate=Length(max=500),
        metadata={"description": "Production areas of a producing party."},
    )
    deliver_from = ma.fields.Date(
        allow_none=True, metadata={"description": "Delivery window opens (inside the term)."}
    )
    deliver_by = ma.fields.Date(
        allow_none=True,
        metadata={"description": "Delivery window closes: a delivery shipped on or before "
                  "this day is on time."},
    )


class _ContractFields(StrictSchema):
    """Every term, all optional: the PATCH body's terms."""

    title = ma.fields.String(validate=Length(min=1, max=255))
    paper_number = ma.fields.String(allow_none=True, validate=Length(max=100))
    stages = ma.fields.Nested(
        StagesIn,
        metadata={"description": "Stages besides offtake; the Decree 98 form follows."},
    )
    parties = ma.fields.List(ma.fields.Nested(PartyIn), validate=Length(max=100))
    lines = ma.fields.List(ma.fields.Nested(LineIn), validate=Length(max=100))
    price_mechanism = ma.fields.Enum(PriceMechanism, by_value=True)
    price_unit = ma.fields.Enum(Unit, by_value=True, allow_none=True)
    price_vnd = _vnd("Fixed price, VND per price_unit.")
    floor_price_vnd = _vnd("Floor price, VND per price_unit.")
    premium_vnd = _vnd("Premium over the market price, VND per price_unit.")
    price_formula = _text()
    payment_terms = _text()
    input_advance_terms = _text()
    delivery_place = _text()
    delivery_method = _text()
    delivery_schedule = _text()
    effective_from = ma.fields.Date()
    effective_to = ma.fields.Date(allow_none=True, metadata={"description": "None: open-ended."})
    breach_handling = _text()
    risk_sharing = _text()
    dispute_resolution = ma.fields.Enum(DisputeResolution, by_value=True)


class ContractCreateIn(_ContractFields):
    title = ma.fields.String(required=True, validate=Length(min=1, max=255))
    stages = ma.fields.Nested(StagesIn, required=True)
    parties = ma.fields.List(ma.fields.Nested(PartyIn), required=True, validate=Length(max=100))
    lines = ma.fields.List(ma.fields.Nested(LineIn), required=True, validate=Length(max=100))
    price_mechanism = ma.fields.Enum(PriceMechanism, by_value=True, required=True)
    effective_from = ma.fields.Date(required=True)
    effective_on = ma.fields.Date(
        load_default=None,
        metadata={"description": "When this record takes effect (default today)."},
    )


class ContractAmendIn(_ContractFields):
    reason = ma.fields.String(required=True, validate=Length(min=1, max=2000))
    effective_on = ma.fields.Date(
        load_default=None, metadata={"description": "When the amendment takes effect."}
    )


class ConfirmIn(StrictSchema):
    signed_on = ma.fields.Date(
        load_default=None,
        metadata={"description": "Day the paper was signed, when this confirmation signs it."},
    )


class TransitionIn(StrictSchema):
    status = ma.fields.Enum(ContractStatus, by_value=True, required=True)
    reason = ma.fields.String(load_default="", validate=Length(max=2000))
    effective_on = ma.fields.Date(load_default=None)


class ContractListArgs(QuerySchema):
    status = ma.fields.Enum(ContractStatus, by_value=True, load_default=None)
    role = ma.fields.Enum(
        PartyRole, by_value=True, load_default=None,
        metadata={"description": "Contracts where my organisation holds this role."},
    )
    counterparty_id = ma.fields.Integer(load_default=None)
    form = ma.fields.Integer(load_default=None, validate=Range(1, 7))


class AsOfArgs(QuerySchema):
    as_of = ma.fields.Date(required=True, metadata={"description": "YYYY-MM-DD."})


class PartyOut(ma.Schema):
    organisation_id = ma.fields.Integer()
    role = ma.fields.Enum(PartyRole, by_value=True)
    represented_households = ma.fields.Integer(allow_none=True)
    represented_description = ma.fields.String()


class LineOut(ma.Schema):
    id = ma.fields.Integer(
        metadata={"description": "Kept through amendments: deliveries name it."}
    )
    commodity = ma.fields.String()
    product_id = ma.fields.Integer(allow_none=True)
    season = ma.fields.String()
    planned_quantity = ma.fields.Decimal(as_string=True)
    unit = ma.fields.Enum(Unit, by_value=True)
    planned_quantity_kg = ma.fields.Decimal(as_string=True, allow_none=True)
    quality_spec = ma.fields.String()
    required_certifications = ma.fields.List(ma.fields.String())
    raw_material_area_ha = ma.fields.Decimal(as_string=True, allow_none=True)
    production_area_ids = ma.fields.List(ma.fields.Integer())
    deliver_from = ma.fields.Date(allow_none=True)
    deliver_by = ma.fields.Date(allow_none=True)


class ConfirmationOut(ma.Schema):
    organisation_id = ma.fields.Integer()
    terms_version = ma.fields.Integer()
    confirmed_at = ma.fields.DateTime()


class ContractOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    title = ma.fields.String()
    paper_number = ma.fields.String()
    status = ma.fields.Enum(ContractStatus, by_value=True)
    form = ma.fields.Integer(metadata={"description": "Decree 98 form 1–7, from the stages."})
    stages = ma.fields.Method("_stages")
    parties = ma.fields.List(ma.fields.Nested(PartyOut))
    lines = ma.fields.List(ma.fields.Nested(LineOut))
    price_mechanism = ma.fields.Enum(PriceMechanism, by_value=True)
    price_unit = ma.fields.Enum(Unit, by_value=True, allow_none=True)
    price_vnd = ma.fields.Integer(allow_none=True)
    floor_price_vnd = ma.fields.Integer(allow_none=True)
    premium_vnd = ma.fields.Integer(allow_none=True)
    price_formula = ma.fields.String()
    payment_terms = ma.fields.String()
    input_advance_terms = ma.fields.String()
    delivery_place = ma.fields.String()
    delivery_method = ma.fields.String()
    delivery_schedule = ma.fields.String()
    effective_from = ma.fields.Date()
    effective_to = ma.fields.Date(allow_none=True)
    breach_handling = ma.fields.String()
    risk_sharing = ma.fields.String()
    dispute_resolution = ma.fields.Enum(DisputeResolution, by_value=True)
    terms_version = ma.fields.Integer()
    terms_agreed = ma.fields.Boolean(
        metadata={"description": "All parties confirmed, or an authority verified, the terms."}
    )
    confirmations = ma.fields.List(ma.fields.Nested(ConfirmationOut))
    verified_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()

    def _stages(self, contract: Any) -> dict[str, bool]:
        return {
            "inputs": contract.stage_inputs,
            "production": contract.stage_production,
            "processing": contract.stage_processing,
            "offtake": True,
        }


class VersionSummaryOut(ma.Schema):
    number = ma.fields.Integer()
    change = ma.fields.Enum(VersionChange, by_value=True)
    status = ma.fields.Enum(ContractStatus, by_value=True)
    form = ma.fields.Integer()
    effective_from = ma.fields.Date()
    effective_to = ma.fields.Date(allow_none=True)
    terms_version = ma.fields.Integer()
    effective_on = ma.fields.Date()
    reason = ma.fields.String()
    changed_by_organisation_id = ma.fields.Integer(allow_none=True)
    recorded_at = ma.fields.DateTime()


class VersionOut(VersionSummaryOut):
    snapshot = ma.fields.Dict(metadata={"description": "Terms and status after the change."})


class ContractAsOfOut(ma.Schema):
    contract_id = ma.fields.Integer()
    code = ma.fields.String()
    as_of = ma.fields.Date(attribute="on")
    status = ma.fields.Enum(ContractStatus, by_value=True)
    form = ma.fields.Integer()
    version = ma.fields.Nested(VersionSummaryOut)
    terms = ma.fields.Dict(metadata={"description": "Terms and status as they stood."})


class AttachmentOut(ma.Schema):
    id = ma.fields.Integer()
    contract_id = ma.fields.Integer()
    filename = ma.fields.String()
    content_type = ma.fields.String()
    size_bytes = ma.fields.Integer()
    sha256 = ma.fields.String()
    uploaded_at = ma.fields.DateTime()


class AttachmentIn(ma.Schema):
    file = ma.fields.Raw(
        required=True,
        metadata={"type": "string", "format": "binary",
                  "description": "The signed scan: PDF, JPEG or PNG."},
    )


# --- linkage projects ---------------------------------------------------------------------


class ProjectCreateIn(StrictSchema):
    number = ma.fields.String(required=True, validate=Length(min=1, max=64))
    name = ma.fields.String(required=True, validate=Length(min=1, max=255))
    province_code = ma.fields.String(required=True, validate=Length(min=1, max=2))
    decision_date = ma.fields.Date(required=True)
    support_vnd = ma.fields.Integer(strict=True, load_default=0, validate=_VND)
    contract_ids = ma.fields.List(
        ma.fields.Integer(strict=True), load_default=list, validate=Length(max=500)
    )


class ProjectContractIn(StrictSchema):
    contract_id = ma.fields.Integer(strict=True, required=True)


class ProjectListArgs(QuerySchema):
    province_code = ma.fields.String(load_default=None, validate=Length(max=2))


class ProjectContractOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Enum(ContractStatus, by_value=True)
    form = ma.fields.Integer()


class ProjectOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    name = ma.fields.String()
    province_code = ma.fields.String()
    decision_date = ma.fields.Date()
    support_vnd = ma.fields.Integer()
    contract_count = ma.fields.Method("_count")

    def _count(self, project: Any) -> int:
        return len(project.contracts)


class ProjectDetailOut(ma.Schema):
    """A project with the contracts the caller may read."""

    id = ma.fields.Integer(attribute="project.id")
    number = ma.fields.String(attribute="project.number")
    name = ma.fields.String(attribute="project.name")
    province_code = ma.fields.String(attribute="project.province_code")
    decision_date = ma.fields.Date(attribute="project.decision_date")
    support_vnd = ma.fields.Integer(attribute="project.support_vnd")
    contracts = ma.fields.List(ma.fields.Nested(ProjectContractOut))
