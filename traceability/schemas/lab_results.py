"""Lab results on a lot as the API takes and shows them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow.validate import Length

from core.schemas import StrictSchema
from traceability.models.lab_results import LabOutcome, LabTest
from traceability.services.lab_results import (
    ACCREDITATION_MAX,
    LABORATORY_MAX,
    REASON_MAX,
    REPORT_NUMBER_MAX,
)


class LabResultIn(StrictSchema):
    test = ma.fields.Enum(
        LabTest, by_value=True, required=True,
        metadata={"description": "What the sample was tested for."},
    )
    laboratory = ma.fields.String(
        required=True, validate=Length(min=1, max=LABORATORY_MAX),
        metadata={"example": "Trung tâm Kiểm nghiệm Thực phẩm Hà Nội"},
    )
    accreditation = ma.fields.String(
        load_default="", validate=Length(max=ACCREDITATION_MAX),
        metadata={"description": "The laboratory's accreditation number, e.g. VILAS 1234 "
                  "(ISO/IEC 17025 in Vietnam).", "example": "VILAS 1234"},
    )
    sampled_on = ma.fields.Date(
        required=True,
        metadata={"description": "The day the sample was taken; not after today."},
    )
    outcome = ma.fields.Enum(
        LabOutcome, by_value=True, required=True,
        metadata={"description": "pass: within the limits the report applies. Only passed "
                  "results back claims on the public trace page."},
    )
    report_number = ma.fields.String(
        required=True, validate=Length(min=1, max=REPORT_NUMBER_MAX),
        metadata={"description": "The number of the laboratory's test report; one test of "
                  "one report is recorded once per lot (409).", "example": "KQ-2026/1187"},
    )


class LabResultWithdrawalIn(StrictSchema):
    reason = ma.fields.String(
        required=True, validate=Length(min=1, max=REASON_MAX),
        metadata={"description": "Why the result was recorded in error (one line).",
                  "example": "Sai số báo cáo: đúng là KQ-2026/1178"},
    )


class LabResultOut(ma.Schema):
    id = ma.fields.Integer()
    batch_id = ma.fields.Integer()
    test = ma.fields.Enum(LabTest, by_value=True)
    laboratory = ma.fields.String()
    accreditation = ma.fields.String()
    sampled_on = ma.fields.Date()
    outcome = ma.fields.Enum(LabOutcome, by_value=True)
    report_number = ma.fields.String()
    created_at = ma.fields.DateTime()
    withdrawn_at = ma.fields.DateTime(
        allow_none=True,
        metadata={"description": "Set when the result was withdrawn as recorded in error: "
                  "it then backs nothing on the trace page."},
    )
    withdrawal_reason = ma.fields.String(allow_none=True)
