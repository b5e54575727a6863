"""A buyer's supplier cooperatives on a phone: the list with each one's verification and
its expiry, adding one by registration code, requesting a verification, the verification
page (computed checklists at request and decision, the buyer's decision form) and the
scorecard. A cooperative reads here the verifications of itself, without the buyer's note.

Who may do what is ``linkages.services.supplier_access``; the services decide and record
(``suppliers``, ``verification``, ``scorecard``), these views parse, call and render.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask_babel import format_percent
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.validators import Length, Optional

from app.auth.current import current_actor
from app.web import register_support as reg
from app.web.batch_display import page_helpers, render
from app.web.certifications import cert_label
from app.web.contract_forms import scheme_checkboxes
from app.web.contracts import iso_day
from app.web.form_support import select_choices, submit_to_service
from core.actor import Actor
from core.clock import local_today
from core.db import db
from core.errors import Forbidden, ValidationFailed
from core.i18n import _, _l
from linkages.labels import (
    CHECKLIST_LABELS,
    ORG_STATUS_LABELS,
    SCORECARD_LABELS,
    VERIFICATION_STATUS_LABELS,
)
from linkages.models.organisations import Organisation
from linkages.models.suppliers import NOTE_MAX, REASON_MAX, SupplierVerification, VerificationStatus
from linkages.services import deliveries as delivery_svc
from linkages.services import scorecard as scorecard_svc
from linkages.services import suppliers as supplier_svc
from linkages.services import verification as verification_svc
from linkages.services.contract_schemes import default_schemes
from linkages.services.party_lookup import organisations_by_codes, organisations_by_ids
from linkages.services.supplier_access import (
    SupplierListOp,
    VerificationOp,
    supplier_list_operations,
    verification_operations,
)
from traceability.services.batches import lot_codes

bp = Blueprint("web_suppliers", __name__, url_prefix="/suppliers")
bp.context_processor(page_helpers)
bp.context_processor(lambda: {
    "verification_label": lambda s: VERIFICATION_STATUS_LABELS.get(s, s) if s else "",
    "checklist_label": lambda key: CHECKLIST_LABELS.get(key, key),
    "scorecard_label": lambda key: SCORECARD_LABELS.get(key, key),
    "org_status_label": lambda s: ORG_STATUS_LABELS.get(s, s) if s else "",
    "cert_label": cert_label,
    "format_percent": format_percent,
    "iso_day": iso_day,
})

VERIFICATIONS_SHOWN = 20


def _note_field(label: Any, limit: int) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[Optional(), Length(max=limit, message=_l("At most %(n)d characters.",
                                                             n=limit))],
    )


class AddSupplierForm(FlaskForm):
    registration_code = reg.text_field(
        _l("The cooperative's registration code"), 20, required=True,
        description=_l("The tax or registration code of the HTX, LHHTX or THT."),
    )
    note = _note_field(_l("Private note"), NOTE_MAX)


class RequestForm(FlaskForm):
    for_export = BooleanField(_l("The goods are for export (check planting-area codes)"))
    required_schemes = scheme_checkboxes(_l("Certifications the supplier must hold"))
    note = _note_field(_l("Private note"), NOTE_MAX)


class DecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=select_choices([("verified", _l("Verified")), ("rejected", _l("Rejected"))]),
        validate_choice=False,
    )
    expires_on = reg.optional_date_field(_l("Verified until"),
                                         description=_l("Only when verified."))
    reason = _note_field(_l("Reason"), REASON_MAX)


# --------------------------------------------------------------------------- the list


def _may_write(org: Organisation) -> Any:
    """The service's answer to "may this actor change the organisation's list?"."""
    return lambda actor, org_id: SupplierListOp.WRITE in supplier_list_operations(
        actor, org_id, org.province_code
    )


def _to_list(org: Organisation) -> str:
    return url_for("web_suppliers.index", **reg.org_args(org, current_actor()))


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    actor = current_actor()
    org = reg.page_organisation(actor)
    links = reg.paginated(supplier_svc.list_suppliers(actor, org.id))
    of_us = db.session.scalars(
        verification_svc.list_verifications(actor, supplier_id=org.id).limit(VERIFICATIONS_SHOWN)
    ).all()
    waiting = db.session.scalars(
        verification_svc.list_verifications(
            actor, buyer_id=org.id, status=VerificationStatus.REQUESTED
        ).limit(VERIFICATIONS_SHOWN)
    ).all()
    return reg.register_page(
        "suppliers/index.html",
        actor,
        org,
        _may_write(org),
        links=links,
        of_us=of_us,
        waiting=waiting,
        names=organisations_by_ids([
            *(link.supplier_id for link in links.items),
            *(v.buyer_id for v in of_us),
            *(v.supplier_id for v in waiting),
        ]),
        today=local_today(),
        form=AddSupplierForm(),
    )


def _add(actor: Actor, org: Organisation, form: AddSupplierForm) -> Any:
    code = (form.registration_code.data or "").strip()
    supplier = organisations_by_codes([code]).get(code)
    if supplier is None:
        raise ValidationFailed(
            field_errors={"supplier_id": [_l("No organisation has this registration code.")]}
        )
    return supplier_svc.add_supplier(actor, org.id, supplier.id, form.note.data)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Response | tuple[str, int]:
    actor = current_actor()
    org = reg.page_organisation(actor)
    if not _may_write(org)(actor, org.id):
        raise Forbidden()
    form = AddSupplierForm()
    return reg.form_page(
        form,
        lambda: _add(actor, org, form),
        {"supplier_id": "registration_code", "note": "note"},
        done=lambda link: (_("Supplier added."), _to_list(org)),
        template="suppliers/new.html",
        fallback="registration_code",
        org=org,
        here=reg.org_args(org, actor),
    )


def _listed(supplier_id: int, *, write: bool) -> tuple[Actor, Organisation, Any]:
    """The page's organisation and its list entry for the cooperative (404 when it is not
    on the list); Forbidden for a write by a reader only."""
    actor = current_actor()
    org = reg.page_organisation(actor)
    link = supplier_svc.get_supplier(actor, org.id, supplier_id)
    if write and not _may_write(org)(actor, org.id):
        raise Forbidden()
    return actor, org, link


@bp.post("/<int:supplier_id>/remove")
@login_required
def remove(supplier_id: int) -> Response:
    actor, org, _link = _listed(supplier_id, write=True)
    supplier_svc.remove_supplier(actor, org.id, supplier_id)
    db.session.commit()
    flash(_("Supplier taken off the list; its verifications are kept."), "success")
    return redirect(_to_list(org), 303)


@bp.route("/<int:supplier_id>/verify", methods=["GET", "POST"])
@login_required
def request_verification(supplier_id: int) -> Response | tuple[str, int]:
    actor, org, _link = _listed(supplier_id, write=True)
    form = RequestForm()
    supplier = organisations_by_ids([supplier_id])[supplier_id]
    return reg.form_page(
        form,
        lambda: verification_svc.request_verification(
            actor, org.id, supplier_id, for_export=bool(form.for_export.data),
            required_schemes=form.required_schemes.data or [], note=form.note.data,
        ),
        {"supplier_id": "note", "required_schemes": "required_schemes", "note": "note"},
        done=lambda v: (_("Verification requested: the checklist is computed."),
                        url_for("web_suppliers.verification", verification_id=v.id)),
        template="suppliers/request.html",
        fallback="note",
        org=org,
        supplier=supplier,
        contract_schemes=default_schemes(actor, org.id, supplier_id),
        here=reg.org_args(org, actor),
    )


@bp.get("/<int:supplier_id>/scorecard")
@login_required
def scorecard(supplier_id: int) -> tuple[str, int]:
    actor, org, link = _listed(supplier_id, write=False)
    card = scorecard_svc.supplier_scorecard(actor, org.id, supplier_id)
    return render(
        "suppliers/scorecard.html",
        card=card,
        org=org,
        link=link,
        supplier=organisations_by_ids([supplier_id])[supplier_id],
        here=reg.org_args(org, actor),
        ratios={"kde_completeness", "fulfilment", "accepted", "on_time"},
        # Pages of the records behind the figures a buyer may read: its deliveries from
        # the supplier, the supplier's certifications on its profile; the lot figures
        # link to the batch list themselves (``Link.web``), which lists a buyer the
        # supplier's lots shipped to it.
        lot_figures={"kde_completeness", "recalls", "scan_flags"},
        web_links={
            **dict.fromkeys(
                DELIVERY_FIGURES,
                url_for(
                    "web_suppliers.deliveries", supplier_id=supplier_id,
                    **reg.org_args(org, actor),
                ),
            ),
            "certifications": url_for("web_orgs.profile", organisation_id=supplier_id)
            + "#certifications",
        },
    )


DELIVERY_FIGURES = ("fulfilment", "accepted", "on_time")


@bp.get("/<int:supplier_id>/deliveries")
@login_required
def deliveries(supplier_id: int) -> tuple[str, int]:
    """The supplier's deliveries to this organisation under their contracts, newest first:
    the records behind the scorecard's delivery figures."""
    actor, org, _link = _listed(supplier_id, write=False)
    page = reg.paginated(
        delivery_svc.list_deliveries(actor, buyer_id=org.id, supplier_id=supplier_id)
    )
    return render(
        "suppliers/deliveries.html",
        org=org,
        supplier=organisations_by_ids([supplier_id])[supplier_id],
        deliveries=page,
        lots=lot_codes(d.batch_id for d in page.items),
        here=reg.org_args(org, actor),
    )


# --------------------------------------------------------------------------- a verification


def verification_page(
    actor: Actor,
    found: SupplierVerification,
    form: DecisionForm | None = None,
    status: int = 200,
    errors: list[str] | None = None,
) -> tuple[str, int]:
    """The verification with its checklists, and the decision form for the buyer while it
    waits for one (``form``: posted back with its messages)."""
    ops = verification_operations(actor, found, supplier_svc.supplier_province(found.supplier_id))
    today = local_today()
    decide = VerificationOp.DECIDE in ops and found.status_on(today) == VerificationStatus.REQUESTED
    return render(
        "suppliers/verification.html",
        status,
        v=found,
        names=organisations_by_ids([found.buyer_id, found.supplier_id]),
        status_now=found.status_on(today),
        form=(form or DecisionForm()) if decide else None,
        errors=errors or [],
    )


@bp.get("/verifications/<int:verification_id>")
@login_required
def verification(verification_id: int) -> tuple[str, int]:
    actor = current_actor()
    return verification_page(actor, verification_svc.get_verification(actor, verification_id))


@bp.post("/verifications/<int:verification_id>/decide")
@login_required
def decide(verification_id: int) -> Response | tuple[str, int]:
    actor = current_actor()
    found = verification_svc.get_verification(actor, verification_id)  # 404 to strangers
    province = supplier_svc.supplier_province(found.supplier_id)
    if VerificationOp.DECIDE not in verification_operations(actor, found, province):
        raise Forbidden()  # the supplier, an authority: they read it, the buyer decides
    form = DecisionForm()
    done, errors, status = submit_to_service(
        form,
        lambda: verification_svc.decide_verification(
            actor, verification_id, decision=form.decision.data or "",
            expires_on=form.expires_on.data, reason=form.reason.data,
        ),
        {"decision": "decision", "expires_on": "expires_on", "reason": "reason"},
        "decision",
    )
    if done is not None:
        flash(_("Decision recorded."), "success")
        return redirect(url_for("web_suppliers.verification", verification_id=done.id), 303)
    found = verification_svc.get_verification(actor, verification_id)
    return verification_page(actor, found, form, status, errors)


__all__ = ["bp", "verification_page"]
