"""Consumers' reports that reached the signed-in organisation (``/reports``): newest first,
a page at a time, each marked seen once read; and its lots whose scans carry a warning sign
(``/reports/flags``, ``traceability.services.scan_flags``).

Who sees what is ``traceability.services.scan_reports``' answer: an organisation's own
people see its reports, a platform admin acting for none sees every report; a report of
another organisation does not exist for anyone else (404).
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.auth.current import current_actor
from app.public import labels
from app.web.batch_display import page_helpers
from app.web.form_support import page_number
from core.db import db
from traceability.services import scan_flags, scan_reports

bp = Blueprint("web_reports", __name__, url_prefix="/reports")
bp.context_processor(page_helpers)
bp.context_processor(labels.helpers)
REPORTS_PER_PAGE = 20


@bp.get("")
@login_required
def index() -> str:
    actor = current_actor()
    reports = db.paginate(
        scan_reports.list_reports(actor),
        page=page_number(),
        per_page=REPORTS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "reports/index.html",
        reports=reports,
        subjects=scan_reports.report_subjects(reports.items),
        acting_for=actor.organisation_id,
        flag_counts=(
            scan_flags.scan_flag_counts(actor.organisation_id)
            if actor.organisation_id is not None else None
        ),
    )


@bp.get("/flags")
@login_required
def flags() -> str:
    """The organisation's lots with warning signs in their scans (a copied serial, scans
    long after expiry or after a recall), a page at a time, each with its signs."""
    actor = current_actor()
    lots = db.paginate(
        scan_flags.flagged_lots(actor), page=page_number(), per_page=REPORTS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "reports/flags.html",
        lots=lots,
        rows=scan_flags.describe(actor, lots.items),
        acting_for=actor.organisation_id,
    )


@bp.post("/<int:report_id>/seen")
@login_required
def mark_seen(report_id: int) -> Response:
    scan_reports.mark_seen(current_actor(), report_id)
    db.session.commit()
    return redirect(url_for(".index", page=page_number()), code=303)
