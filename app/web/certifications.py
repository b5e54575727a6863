"""An organisation's certifications on a phone: the list with expiry warnings (expired,
expiring within 60 days), the forms to record and correct one, and to revoke one.

The services decide who may do what and what "expiring" means
(``linkages.services.certifications``); these views parse, call them and render.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from app.auth.current import current_actor
from app.web import register_support as reg
from app.web.batch_display import page_helpers
from app.web.form_support import date_field, select_choices
from core.actor import Actor
from core.clock import local_today
from core.db import db
from core.i18n import _, _l
from linkages.models.certifications import Certification, CertScheme, SubjectKind
from linkages.models.organisations import Organisation
from linkages.services import certifications as cert_svc
from linkages.services import organisations as orgs
from traceability.services import areas as area_svc
from traceability.services import products as product_svc

bp = Blueprint("web_certifications", __name__, url_prefix="/certifications")
bp.context_processor(page_helpers)

SCHEME_LABELS: dict[CertScheme, Any] = {
    CertScheme.VIETGAP: _l("VietGAP (crops)"),
    CertScheme.VIETGAHP: _l("VietGAHP (livestock)"),
    CertScheme.VIETGAP_AQUACULTURE: _l("VietGAP (aquaculture)"),
    CertScheme.GLOBALGAP: "GLOBALG.A.P.",
    CertScheme.ORGANIC_VN: _l("Organic (TCVN 11041)"),
    CertScheme.ORGANIC_EU: _l("Organic (EU)"),
    CertScheme.ORGANIC_USDA: _l("Organic (USDA)"),
    CertScheme.ORGANIC_JAS: _l("Organic (JAS)"),
    CertScheme.HACCP: "HACCP",
    CertScheme.ISO22000: "ISO 22000",
    CertScheme.FSSC22000: "FSSC 22000",
    CertScheme.FOUR_C: "4C",
    CertScheme.RAINFOREST: "Rainforest Alliance",
    CertScheme.FAIRTRADE: "Fairtrade",
    CertScheme.PLANTING_AREA_CODE: _l("Planting-area code"),
    CertScheme.PACKING_HOUSE_CODE: _l("Packing-house code"),
    CertScheme.OCOP: "OCOP",
    CertScheme.OTHER: _l("Other scheme"),
}
SUBJECT_LABELS: dict[SubjectKind, Any] = {
    SubjectKind.ORGANISATION: _l("The whole organisation"),
    SubjectKind.PRODUCTION_AREA: _l("A production area"),
    SubjectKind.PRODUCT: _l("A product"),
}
EXPIRY_LABELS: dict[cert_svc.ExpiryState, Any] = {
    cert_svc.ExpiryState.FINE: _l("Valid"),
    cert_svc.ExpiryState.EXPIRING: _l("Expiring soon"),
    cert_svc.ExpiryState.EXPIRED: _l("Expired"),
    cert_svc.ExpiryState.REVOKED: _l("Revoked"),
    cert_svc.ExpiryState.NOT_YET_VALID: _l("Not yet valid"),
}
LABELS: dict[Any, Any] = {**SCHEME_LABELS, **SUBJECT_LABELS, **EXPIRY_LABELS}
# The areas and products a certification can name (the organisation's own, newest codes).
SUBJECTS_SHOWN = 200


def cert_label(value: Any) -> Any:
    return reg.label_of(LABELS, value)


def scheme_name(cert: Certification) -> Any:
    return cert.scheme_name or cert_label(cert.scheme)


bp.context_processor(lambda: {"cert_label": cert_label, "scheme_name": scheme_name})


# --------------------------------------------------------------------------- forms


class CertificationForm(FlaskForm):
    scheme = SelectField(_l("Scheme"), choices=reg.enum_choices(SCHEME_LABELS, blank=_l("Choose…")))
    scheme_name = reg.text_field(_l("Name of the scheme"), 200,
                        description=_l("When it is not in the list, e.g. Halal."))
    number = reg.text_field(_l("Certificate number"), 100, required=True)
    issuer = reg.text_field(_l("Issued by"), 255, required=True)
    issued_on = date_field(_l("Issued on"))
    expires_on = reg.optional_date_field(
        _l("Expires on"), description=_l("Leave empty when it does not expire (OCOP: 36 "
                                         "months after issue).")
    )
    scope = TextAreaField(_l("Scope"), validators=[Optional()])
    subject_kind = SelectField(_l("Certifies"), choices=reg.enum_choices(SUBJECT_LABELS),
                               default=SubjectKind.ORGANISATION.value)
    production_area_id = SelectField(_l("Production area"), coerce=int, default=0)
    product_id = SelectField(_l("Product"), coerce=int, default=0)
    ocop_stars = SelectField(
        _l("OCOP stars"), choices=select_choices([("", "—"), ("3", "3"), ("4", "4"), ("5", "5")]),
        default="",
    )
    ocop_score = reg.whole_number_field(_l("OCOP score"), maximum=100)
    is_public = BooleanField(_l("Show on the public trace pages"), default=True)


class RevokeForm(FlaskForm):
    revoked_on = date_field(_l("Revoked on"))
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=500, message=_l("At most %(n)d characters.", n=500))],
    )


CERT_FIELDS = {name: name for name in cert_svc.EDITABLE_FIELDS}


def _subject_choices(form: CertificationForm, org: Organisation) -> None:
    actor = current_actor()
    areas = db.session.scalars(
        area_svc.list_areas(actor, organisation_id=org.id).limit(SUBJECTS_SHOWN)
    ).all()
    products = db.session.scalars(
        product_svc.list_products(actor, organisation_id=org.id).limit(SUBJECTS_SHOWN)
    ).all()
    form.production_area_id.choices = select_choices(
        [(0, "—")] + [(a.id, f"{a.code} · {a.name}") for a in areas]
    )
    form.product_id.choices = select_choices(
        [(0, "—")] + [(p.id, f"{p.code} · {p.name}") for p in products]
    )


def _cert_data(form: CertificationForm) -> dict[str, Any]:
    stars = form.ocop_stars.data
    return {
        "scheme": form.scheme.data or None,
        "scheme_name": (form.scheme_name.data or "").strip(),
        "number": (form.number.data or "").strip(),
        "issuer": (form.issuer.data or "").strip(),
        "issued_on": form.issued_on.data,
        "expires_on": form.expires_on.data,
        "scope": (form.scope.data or "").strip(),
        "subject_kind": form.subject_kind.data or None,
        "production_area_id": form.production_area_id.data or None,
        "product_id": form.product_id.data or None,
        "is_public": bool(form.is_public.data),
        "ocop_stars": int(stars) if stars else None,
        "ocop_score": reg.parse_whole(form.ocop_score.data),
    }


def _fill(form: CertificationForm, cert: Certification) -> None:
    form.scheme.data = cert.scheme.value
    form.scheme_name.data = cert.scheme_name
    form.number.data = cert.number
    form.issuer.data = cert.issuer
    form.issued_on.data = cert.issued_on
    form.expires_on.data = cert.expires_on
    form.scope.data = cert.scope
    form.subject_kind.data = cert.subject_kind.value
    form.production_area_id.data = cert.production_area_id or 0
    form.product_id.data = cert.product_id or 0
    form.ocop_stars.data = str(cert.ocop_stars or "")
    form.ocop_score.data = "" if cert.ocop_score is None else str(cert.ocop_score)
    form.is_public.data = cert.is_public


# --------------------------------------------------------------------------- pages


def _to_list(org: Organisation) -> str:
    return url_for("web_certifications.index", **reg.org_args(org, current_actor()))


def _editable(cert_id: int) -> tuple[Actor, Certification, Organisation]:
    """Who asks, the certification they may change (else 404/403) and its organisation."""
    actor = current_actor()
    cert = cert_svc.managed_certification(actor, cert_id, edit=True)
    return actor, cert, orgs.get_organisation(actor, cert.organisation_id)


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    actor = current_actor()
    org = reg.page_organisation(actor)
    today = local_today()
    certs = reg.paginated(cert_svc.list_certifications(actor, org.id))
    attention = db.session.scalars(
        cert_svc.expiring_certifications(actor, org.id, today=today).limit(reg.PER_PAGE)
    ).all()
    return reg.register_page(
        "certifications/index.html",
        actor,
        org,
        cert_svc.may_edit_certifications,
        certs=certs,
        attention=attention,
        states={c.id: cert_svc.expiry_state(c, today) for c in [*certs.items, *attention]},
        within_days=cert_svc.EXPIRY_WARNING_DAYS,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Response | tuple[str, int]:
    actor = current_actor()
    org = reg.editable_page_organisation(actor, cert_svc.may_edit_certifications)
    form = CertificationForm()
    _subject_choices(form, org)
    return reg.form_page(
        form,
        lambda: cert_svc.add_certification(actor, org.id, **_cert_data(form)),
        CERT_FIELDS,
        done=lambda c: (_("Certification recorded: %(number)s.", number=c.number),
                        _to_list(org)),
        here=reg.org_args(org, actor),
        template="certifications/form.html",
        fallback="number",
        org=org,
        cert=None,
    )


@bp.get("/<int:cert_id>")
@login_required
def show(cert_id: int) -> tuple[str, int]:
    actor = current_actor()
    cert = cert_svc.managed_certification(actor, cert_id)
    return reg.register_page(
        "certifications/show.html",
        actor,
        orgs.get_organisation(actor, cert.organisation_id),
        cert_svc.may_edit_certifications,
        cert=cert,
        state=cert_svc.expiry_state(cert, local_today()),
    )


@bp.route("/<int:cert_id>/edit", methods=["GET", "POST"])
@login_required
def edit(cert_id: int) -> Response | tuple[str, int]:
    actor, cert, org = _editable(cert_id)
    form = CertificationForm()
    _subject_choices(form, org)
    if request.method == "GET":
        _fill(form, cert)
    return reg.form_page(
        form,
        lambda: cert_svc.update_certification(actor, cert.id, **_cert_data(form)),
        CERT_FIELDS,
        done=lambda c: (_("Certification saved."), _to_list(org)),
        here=reg.org_args(org, actor),
        template="certifications/form.html",
        fallback="number",
        org=org,
        cert=cert,
    )


@bp.route("/<int:cert_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke(cert_id: int) -> Response | tuple[str, int]:
    actor, cert, org = _editable(cert_id)
    form = RevokeForm()
    return reg.form_page(
        form,
        lambda: cert_svc.revoke_certification(
            actor, cert.id, form.revoked_on.data, form.reason.data or ""
        ),
        {"revoked_on": "revoked_on", "reason": "reason"},
        done=lambda c: (_("Certification revoked: %(number)s.", number=c.number),
                        _to_list(org)),
        here=reg.org_args(org, actor),
        template="certifications/revoke.html",
        code=303,
        cert=cert,
        org=org,
    )
