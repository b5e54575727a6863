"""Supplier lists, verifications and scorecards as the API takes and shows them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow.validate import Length, OneOf

from core.clock import local_today
from core.schemas import QuerySchema, StrictSchema
from linkages.models.certifications import CertScheme
from linkages.models.suppliers import (
    NOTE_MAX,
    REASON_MAX,
    SupplierLink,
    SupplierVerification,
    VerificationState,
    VerificationStatus,
)

_STATUS_DOC = (
    "Today (Vietnam): requested, verified, rejected, or expired (a verified one after its "
    "expiry date; derived from the date, never stored)."
)


class SupplierAddIn(StrictSchema):
    supplier_id = ma.fields.Integer(
        strict=True, required=True,
        metadata={"description": "A cooperative (HTX, LHHTX or THT)."},
    )
    note = ma.fields.String(load_default="", validate=Length(max=NOTE_MAX),
                            metadata={"description": "Private to the buyer."})


class SupplierOut(ma.Schema):
    id = ma.fields.Integer()
    buyer_id = ma.fields.Integer()
    supplier_id = ma.fields.Integer()
    note = ma.fields.String()
    created_at = ma.fields.DateTime()
    current_verification_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The pair's latest verification."}
    )
    current_status = ma.fields.Method(
        "_status", allow_none=True,
        metadata={"description": _STATUS_DOC + " None: never verified."},
    )
    current_expires_on = ma.fields.Date(allow_none=True)

    def _status(self, link: SupplierLink) -> str | None:
        status = link.current_status(local_today())
        return status.value if status else None


class VerificationRequestIn(StrictSchema):
    supplier_id = ma.fields.Integer(
        strict=True, required=True,
        metadata={"description": "A cooperative on the buyer's supplier list."},
    )
    for_export = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "The goods are for export: areas need planting-area codes."},
    )
    required_schemes = ma.fields.List(
        ma.fields.Enum(CertScheme, by_value=True), load_default=list,
        validate=Length(max=len(CertScheme)),
        metadata={"description": "Certification schemes the buyer requires. None given: "
                  "those the lines of its contracts with the supplier require (contracts "
                  "both are parties to, neither terminated nor liquidated)."},
    )
    note = ma.fields.String(load_default="", validate=Length(max=NOTE_MAX),
                            metadata={"description": "Private to the buyer."})


class VerificationDecisionIn(StrictSchema):
    decision = ma.fields.String(
        required=True,
        validate=OneOf([VerificationState.VERIFIED.value, VerificationState.REJECTED.value]),
    )
    expires_on = ma.fields.Date(
        load_default=None,
        metadata={"description": "Required for verified: after today; inclusive."},
    )
    reason = ma.fields.String(load_default="", validate=Length(max=REASON_MAX),
                              metadata={"description": "Required for rejected."})


class VerificationListArgs(QuerySchema):
    buyer_id = ma.fields.Integer(load_default=None)
    supplier_id = ma.fields.Integer(load_default=None)
    status = ma.fields.Enum(VerificationStatus, by_value=True, load_default=None)
    on = ma.fields.Date(
        load_default=None, metadata={"description": "Day the status filter refers to."}
    )


class ChecklistItemOut(ma.Schema):
    key = ma.fields.String(
        metadata={"description": "registration_active, certifications_valid, "
                  "planting_area_codes or traceability_complete."}
    )
    applicable = ma.fields.Boolean()
    passed = ma.fields.Boolean()
    figures = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Raw(allow_none=True),
        metadata={"description": "What the item counted. certifications_valid's "
                  "required_by names, for each required scheme a contract of the buyer "
                  "with the supplier asks for, those contracts ({scheme: [{id, code}]})."},
    )


class ChecklistOut(ma.Schema):
    on = ma.fields.String(metadata={"description": "The day it was computed (ISO 8601)."})
    for_export = ma.fields.Boolean()
    required_schemes = ma.fields.List(ma.fields.String())
    passed = ma.fields.Boolean()
    items = ma.fields.List(ma.fields.Nested(ChecklistItemOut))


class VerificationOut(ma.Schema):
    id = ma.fields.Integer()
    buyer_id = ma.fields.Integer()
    supplier_id = ma.fields.Integer()
    state = ma.fields.Enum(VerificationState, by_value=True,
                           metadata={"description": "As stored (the decision)."})
    status = ma.fields.Method("_status", metadata={"description": _STATUS_DOC})
    for_export = ma.fields.Boolean()
    required_schemes = ma.fields.List(ma.fields.String())
    note = ma.fields.String(
        attribute="visible_note", allow_none=True,
        metadata={"description": "The buyer's note: null to anyone but the buyer."},
    )
    requested_by_id = ma.fields.Integer(allow_none=True)
    requested_at = ma.fields.DateTime()
    request_checklist = ma.fields.Nested(ChecklistOut)
    decided_by_id = ma.fields.Integer(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    decision_checklist = ma.fields.Nested(ChecklistOut, allow_none=True)
    expires_on = ma.fields.Date(allow_none=True)
    reason = ma.fields.String()

    def _status(self, verification: SupplierVerification) -> str:
        return verification.status_on(local_today()).value


class LinkOut(ma.Schema):
    api = ma.fields.String(allow_none=True)
    web = ma.fields.String(allow_none=True)


class FigureOut(ma.Schema):
    key = ma.fields.String()
    value = ma.fields.Float(allow_none=True)
    available = ma.fields.Boolean(
        metadata={"description": "False until the records it needs exist (deliveries)."}
    )
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    link = ma.fields.Nested(LinkOut)
    count_links = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(LinkOut))


class ScorecardOut(ma.Schema):
    buyer_id = ma.fields.Integer()
    supplier_id = ma.fields.Integer()
    on = ma.fields.Date()
    figures = ma.fields.List(ma.fields.Nested(FigureOut))


class ScorecardArgs(QuerySchema):
    on = ma.fields.Date(load_default=None, metadata={"description": "Default today."})
