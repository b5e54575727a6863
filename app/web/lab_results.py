"""A lot's laboratory results on a phone: the short form on the batch page posts here.

- ``GET /batches/<id>/lab-results``: the lot's results and the form (the lot's organisation;
  403 to others who may read the lot, 404 to the rest: the page is a form that writes);
- ``POST``: records one result (CSRF-protected) and goes back to the batch page; bad input
  shows this page again with the message beside the field (422; 409 when the same test of
  the same report is recorded already), and nothing is written;
- ``POST /batches/<id>/lab-results/<result_id>/withdrawal``: withdraws a result recorded in
  error, with a reason (the small form beside each result on the batch page); bad input
  shows the lab results page with the message beside that result's field (422; 409 when
  it is withdrawn already).

Who may and what is checked: ``traceability.services.lab_results``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import RadioField, SelectField
from wtforms.validators import DataRequired

from app.auth.current import current_actor
from app.web import register_support as reg
from app.web.batch_display import page_helpers, render
from app.web.form_support import date_field, submit_to_service
from core.db import db
from core.i18n import _, _l
from traceability.models.batches import Batch, BatchStatus
from traceability.models.lab_results import LabResult
from traceability.models.products import Product
from traceability.services import lab_results as lab_svc

bp = Blueprint("web_lab_results", __name__, url_prefix="/batches")
bp.context_processor(page_helpers)


def lab_helpers() -> dict[str, Any]:
    """The words of tests and outcomes, for the pages that list results."""
    return {
        "lab_test_label": lambda v: reg.label_of(lab_svc.LAB_TEST_LABELS, v),
        "lab_outcome_label": lambda v: reg.label_of(lab_svc.LAB_OUTCOME_LABELS, v),
    }


bp.context_processor(lab_helpers)


class LabResultForm(FlaskForm):
    test = SelectField(
        _l("Test"), choices=reg.enum_choices(lab_svc.LAB_TEST_LABELS, blank=_l("Choose…")),
        # The service names a value not in the list, in the reader's language.
        validators=[DataRequired(message=_l("Required."))], validate_choice=False,
    )
    laboratory = reg.text_field(_l("Laboratory"), lab_svc.LABORATORY_MAX, required=True)
    accreditation = reg.text_field(
        _l("Accreditation number"), lab_svc.ACCREDITATION_MAX,
        description=_l("As on the report, e.g. VILAS 1234."),
        render_kw={"autocomplete": "off"},
    )
    sampled_on = date_field(_l("Sample taken on"))
    outcome = RadioField(
        _l("Result"), choices=reg.enum_choices(lab_svc.LAB_OUTCOME_LABELS),
        default="pass", validate_choice=False,  # the service names a wrong value
    )
    report_number = reg.text_field(
        _l("Report number"), lab_svc.REPORT_NUMBER_MAX, required=True,
        render_kw={"autocomplete": "off"},
    )


FIELDS = {name: name for name in lab_svc.FIELDS}


class WithdrawalForm(FlaskForm):
    reason = reg.text_field(_l("Why it was recorded in error"), lab_svc.REASON_MAX,
                            required=True)


def offered_form(batch: Batch) -> LabResultForm | None:
    """An empty form for the batch page, when the actor may record a result on the lot."""
    if batch.status == BatchStatus.VOID or not lab_svc.may_record_lab_results(
        current_actor(), batch
    ):
        return None
    return LabResultForm(formdata=None)


def may_withdraw(batch: Batch) -> bool:
    """May the actor withdraw the lot's results (the batch page's small forms)?"""
    return lab_svc.may_record_lab_results(current_actor(), batch)


def results(batch_id: int) -> list[LabResult]:
    """The lot's results, newest sample first (the caller has checked access)."""
    return list(db.session.scalars(lab_svc.results_of(batch_id)))


@bp.route("/<int:batch_id>/lab-results", methods=["GET", "POST"])
@login_required
def page(batch_id: int) -> Response | tuple[str, int]:
    actor = current_actor()
    batch = lab_svc.recording_batch(actor, batch_id, refuse_void=request.method == "POST")
    form = LabResultForm()
    recorded, errors, status = submit_to_service(
        form,
        lambda: lab_svc.record_lab_result(
            actor, batch.id, test=form.test.data, laboratory=form.laboratory.data,
            accreditation=form.accreditation.data, sampled_on=form.sampled_on.data,
            outcome=form.outcome.data, report_number=form.report_number.data,
        ),
        FIELDS,
        "report_number",
    )
    if recorded is not None:
        flash(_("Lab result recorded: %(test)s, report %(number)s.",
                test=lab_svc.LAB_TEST_LABELS[recorded.test], number=recorded.report_number),
              "success")
        return redirect(url_for("web_batches.show", batch_id=batch.id, _anchor="lab-results"))
    return _page(batch, status, errors, form if batch.status != BatchStatus.VOID else None)


def _page(batch: Batch, status: int, errors: list[str], form: LabResultForm | None,
          failed_withdrawal: tuple[int, WithdrawalForm] | None = None) -> tuple[str, int]:
    """The lab results page: the lot's results (each with its withdrawal form) and ``form``;
    ``failed_withdrawal`` is the refused withdrawal, shown with its message."""
    return render(
        "lab_results/page.html",
        status,
        batch=batch,
        product=db.session.get(Product, batch.product_id),
        form=form,
        errors=errors,
        results=results(batch.id),
        may_withdraw=True,
        failed_withdrawal=failed_withdrawal,
    )


@bp.route("/<int:batch_id>/lab-results/<int:result_id>/withdrawal", methods=["POST"])
@login_required
def withdraw(batch_id: int, result_id: int) -> Response | tuple[str, int]:
    actor = current_actor()
    batch = lab_svc.recording_batch(actor, batch_id, refuse_void=False)
    form = WithdrawalForm()
    withdrawn, errors, status = submit_to_service(
        form,
        lambda: lab_svc.withdraw_lab_result(actor, batch.id, result_id, form.reason.data),
        {"reason": "reason"},
        "reason",
    )
    if withdrawn is not None:
        flash(_("Lab result withdrawn: %(test)s, report %(number)s.",
                test=lab_svc.LAB_TEST_LABELS[withdrawn.test],
                number=withdrawn.report_number), "success")
        return redirect(url_for("web_batches.show", batch_id=batch.id, _anchor="lab-results"))
    return _page(batch, status, errors, None, (result_id, form))
