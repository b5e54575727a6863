"""The words of the public pages for the values the trace page carries: report kinds here,
the rest taken from the pages that already name them (areas, certifications, products,
organisations, processes, lab tests), so a value reads the same everywhere."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import format_date

from app.web.areas import KIND_LABELS as AREA_KIND_LABELS
from app.web.batch_display import process_label
from app.web.certifications import SCHEME_LABELS
from app.web.organisations import LABELS as ORGANISATION_LABELS
from app.web.register_support import label_of
from core.i18n import _l
from traceability.models.scan_reports import ReportKind, ReportStatus
from traceability.services.lab_results import LAB_TEST_LABELS
from traceability.services.products import COMMODITY_LABELS
from traceability.services.trace_page import CertificationLine

REPORT_KINDS: dict[ReportKind, Any] = {
    ReportKind.SUSPECTED_FAKE: _l("I think it is fake"),
    ReportKind.QUALITY_PROBLEM: _l("A problem with its quality"),
    ReportKind.WRONG_INFORMATION: _l("The information here is wrong"),
    ReportKind.OTHER: _l("Something else"),
}
REPORT_STATUSES: dict[ReportStatus, Any] = {
    ReportStatus.NEW: _l("New"),
    ReportStatus.SEEN: _l("Seen"),
}


def certificate_name(cert: CertificationLine) -> Any:
    """"VietGAP (crops) 4★" and the like."""
    name = cert.scheme_name or label_of(SCHEME_LABELS, cert.scheme)
    return f"{name} {'★' * cert.ocop_stars}" if cert.ocop_stars else name


def dates_text(days: Iterable[date]) -> str:
    """Days in the reader's format, comma-separated."""
    return ", ".join(str(format_date(day)) for day in days)


def invalid(field: Any) -> dict[str, str]:
    """The attributes of a form field that failed: read out with its message."""
    if not field.errors:
        return {}
    return {"aria-invalid": "true", "aria-describedby": f"{field.id}-error"}


def helpers() -> dict[str, Any]:
    """Template helpers of the public pages (and of the reports page)."""
    return {
        "area_kind_label": lambda v: label_of(AREA_KIND_LABELS, v),
        "commodity_label": lambda v: label_of(COMMODITY_LABELS, v),
        "org_type_label": lambda v: label_of(ORGANISATION_LABELS, v),
        "process_label": process_label,
        "certificate_name": certificate_name,
        "dates_text": dates_text,
        "invalid": invalid,
        "lab_test_label": lambda v: label_of(LAB_TEST_LABELS, v),
        "report_kind_label": lambda v: label_of(REPORT_KINDS, v),
        "report_status_label": lambda v: label_of(REPORT_STATUSES, v),
    }
