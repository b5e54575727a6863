"""An organisation's profile page: the public registry record for anyone, and, for those
who may read the organisation's private data, its cooperative profile, yearly figures,
union memberships and Cooperative Law 2023 warnings, the kept changes of what the
linkage indicator reads of them, the history of its oversight facts and its pending change
requests, which an authority over it decides from the page."""

from __future__ import annotations

from enum import StrEnum

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import format_number
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import StringField, TextAreaField
from wtforms.validators import AnyOf, Length

from app.auth.current import current_actor
from app.web.certifications import cert_label, scheme_name
from core.clock import local_today
from core.db import db
from core.errors import DomainError
from core.i18n import _, _l
from linkages.labels import ORG_STATUS_LABELS
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
from linkages.models.organisations import (
    COOPERATIVE_TYPES,
    ChangeRequestStatus,
    FactField,
    OrgStatus,
    OrgType,
)
from linkages.models.places import Commune, Province
from linkages.services import certifications as cert_svc
from linkages.services import cooperatives as coops
from linkages.services import organisations as orgs
from linkages.services import oversight

bp = Blueprint("web_orgs", __name__)

RECENT_YEARS = 10
RECENT_FACT_CHANGES = 20
CERTIFICATIONS_SHOWN = 30  # the newest; its own register pages them all
PENDING_REQUESTS_SHOWN = 20

# Labels of enum values, translated when rendered (lazy strings).
LABELS = {
    OrgType.HTX: _l("Cooperative (HTX)"),
    OrgType.LHHTX: _l("Cooperative union (LHHTX)"),
    OrgType.THT: _l("Cooperative group (THT)"),
    OrgType.DN: _l("Enterprise"),
    OrgType.HOUSEHOLD_BUSINESS: _l("Household business"),
    OrgType.FARM_HOUSEHOLD: _l("Farm household"),
    OrgType.OTHER: _l("Other"),
    **ORG_STATUS_LABELS,  # the services' messages name statuses with the same words
    FieldGroup.AGRICULTURE: _l("Agriculture, forestry, fishery and salt"),
    FieldGroup.INDUSTRY_CONSTRUCTION: _l("Industry and construction"),
    FieldGroup.FINANCE: _l("Finance and credit"),
    FieldGroup.TRADE_SERVICES: _l("Trade and services"),
    AgriSubtype.CROPS: _l("Crops"),
    AgriSubtype.LIVESTOCK: _l("Livestock"),
    AgriSubtype.FORESTRY: _l("Forestry"),
    AgriSubtype.FISHERY: _l("Fishery"),
    AgriSubtype.SALT: _l("Salt"),
    AgriSubtype.RURAL_CLEAN_WATER: _l("Rural clean water"),
    AgriSubtype.GENERAL_AGRICULTURE: _l("General agriculture"),
    GovernanceModel.FULL: _l("Full"),
    GovernanceModel.SIMPLIFIED: _l("Simplified"),
    SizeClass.MICRO: _l("Micro"),
    SizeClass.SMALL: _l("Small"),
    SizeClass.MEDIUM: _l("Medium"),
    SizeClass.LARGE: _l("Large"),
    HighTechStatus.NONE: _l("None"),
    HighTechStatus.CLAIMED: _l("Claimed"),
    HighTechStatus.VERIFIED: _l("Verified"),
    HighTechBasis.HITECH_ENTERPRISE_CERTIFICATE: _l(
        "High-tech agricultural enterprise certificate (Decision 19/2018)"
    ),
    HighTechBasis.HITECH_ZONE: _l("Inside a high-tech agricultural zone (Decision 66/2015)"),
    HighTechBasis.DECISION_738_PROJECT: _l("Project meeting Decision 738/QĐ-BNN-KHCN"),
    HighTechBasis.PROVINCIAL_LIST: _l("On a provincial list"),
    HighTechBasis.SELF_DECLARED: _l("Self-declared"),
    TechnologyTag.GREENHOUSE: _l("Greenhouse"),
    TechnologyTag.DRIP_IRRIGATION: _l("Drip irrigation"),
    TechnologyTag.IOT_SENSORS: _l("IoT sensors"),
    TechnologyTag.HYDROPONICS: _l("Hydroponics"),
    TechnologyTag.TISSUE_CULTURE: _l("Tissue culture"),
    TechnologyTag.DRONES: _l("Drones"),
    TechnologyTag.COLD_CHAIN: _l("Cold chain"),
    TechnologyTag.OTHER: _l("Other"),
    Rating.GOOD: _l("Good"),
    Rating.FAIR: _l("Fair"),
    Rating.AVERAGE: _l("Average"),
    Rating.WEAK: _l("Weak"),
    FactField.REGISTRATION_CODE: _l("Registration code (tax code)"),
    FactField.ORG_TYPE: _l("Type of organisation"),
    FactField.STATUS: _l("Status"),
    FactField.REGISTERED_ON: _l("Registered on"),
    FactField.PROVINCE_CODE: _l("Province code"),
    FactField.COMMUNE_CODE: _l("Commune code"),
    FactField.LEGACY_PROVINCE_CODE: _l("Pre-2025 province code"),
    ProfileFact.FIELD_GROUP: _l("Field"),
    ProfileFact.SIZE_CLASS: _l("Size"),
    ProfileFact.HIGH_TECH_STATUS: _l("High technology"),
    ProfileFact.HIGH_TECH_BASIS: _l("Basis of the high-tech claim"),
    FigureFact.OFFICIAL_MEMBERS: _l("Official members"),
    FigureFact.ASSOCIATE_CAPITAL_MEMBERS: _l("Associate members with capital"),
    FigureFact.ASSOCIATE_NO_CAPITAL_MEMBERS: _l("Associate members without capital"),
    FigureFact.RATING: _l("Rating"),
}
# The enum whose labels show a kept value of these fields (stored as its value's text).
_ENUM_OF: dict[object, type[StrEnum]] = {
    FactField.ORG_TYPE: OrgType, FactField.STATUS: OrgStatus,
    ProfileFact.FIELD_GROUP: FieldGroup, ProfileFact.SIZE_CLASS: SizeClass,
    ProfileFact.HIGH_TECH_STATUS: HighTechStatus, ProfileFact.HIGH_TECH_BASIS: HighTechBasis,
    FigureFact.RATING: Rating,
}
_COUNTS = frozenset({FigureFact.OFFICIAL_MEMBERS, FigureFact.ASSOCIATE_CAPITAL_MEMBERS,
                     FigureFact.ASSOCIATE_NO_CAPITAL_MEMBERS})


def label(value: object) -> object:
    return LABELS.get(value, value) if value is not None else ""  # type: ignore[call-overload]


def fact_label(field: object, text: str | None) -> object:
    """A kept value as shown (a registry fact, a profile fact or a yearly figure): the
    label of an enum value, a count by the locale, else the text."""
    if text is None:
        return "—"
    enum = _ENUM_OF.get(field)
    if enum is not None:
        return label(enum(text))
    return format_number(int(text)) if field in _COUNTS else text


class DecisionForm(FlaskForm):
    decision = StringField(validators=[AnyOf(["approve", "reject"])])
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            Length(max=oversight.REASON_LIMIT, message=_l("At most %(max)d characters."))
        ],
    )


@bp.route("/orgs/<int:organisation_id>")
def profile(organisation_id: int) -> str:
    """Public part for anyone; private sections only for those who may read them (for
    anyone else they are absent, not hinted at)."""
    actor = current_actor()
    org = orgs.get_organisation(actor, organisation_id)
    place = None
    if org.commune_code:
        place = db.session.execute(
            select(Commune.name, Province.name)
            .join(Province, Province.code == Commune.province_code)
            .where(Commune.code == org.commune_code)
        ).first()
    elif org.province_code:
        province = db.session.get(Province, org.province_code)
        place = (None, province.name) if province else None

    private = coops.can_read_organisation_private(actor, org)
    today = local_today()
    # Its certifications as everyone may see them (the public ones; all of them for its
    # private readers), which a buyer checking a supplier follows from its scorecard.
    certifications = list(db.session.scalars(
        cert_svc.list_certifications(actor, org.id).limit(CERTIFICATIONS_SHOWN)
    ))
    context: dict[str, object] = {
        "org": org,
        "place": place,
        "private": private,
        "is_cooperative": org.org_type in COOPERATIVE_TYPES,
        "certifications": certifications,
        "cert_states": {c.id: cert_svc.expiry_state(c, today) for c in certifications},
        "cert_label": cert_label,
        "scheme_name": scheme_name,
    }
    if private:
        context["cooperative"] = coops.find_profile(actor, org.id)
        context["warnings"] = coops.profile_warnings(org)
        context["figures"] = list(
            db.session.scalars(coops.list_figures(actor, org.id).limit(RECENT_YEARS))
        )
        context["unions"] = list(
            db.session.scalars(coops.list_union_memberships(actor, org.id).limit(50)).unique()
        )
        context["profile_changes"] = list(db.session.scalars(
            coops.list_profile_changes(actor, org.id).limit(RECENT_FACT_CHANGES)))
        context["figure_changes"] = list(db.session.scalars(
            coops.list_figure_changes(actor, org.id).limit(RECENT_FACT_CHANGES)))
        context["fact_changes"] = list(
            db.session.scalars(
                oversight.list_fact_changes(actor, org.id).limit(RECENT_FACT_CHANGES)
            )
        )
        context["pending_requests"] = list(
            db.session.scalars(
                oversight.list_change_requests(
                    actor, org.id, status=ChangeRequestStatus.PENDING
                ).limit(PENDING_REQUESTS_SHOWN)
            )
        )
        # The service's own answer decides whether the page offers the decision.
        context["may_decide"] = oversight.may_oversee(actor, org)
        context["decision_form"] = DecisionForm()
    return render_template(
        "organisations/profile.html",
        label=label,
        fact_label=fact_label,
        vietnam_day=local_today,  # the day, in Vietnam, of a recorded instant
        **context,
    )


@bp.route("/orgs/<int:organisation_id>/change-requests/<int:request_id>/decide",
          methods=["POST"])
@login_required
def decide(organisation_id: int, request_id: int) -> Response:
    """Approve or reject a change request (an authority over the organisation, or a
    platform admin: the service decides); back to the profile with the outcome."""
    actor = current_actor()
    back = url_for("web_orgs.profile", organisation_id=organisation_id, _anchor="requests")
    form = DecisionForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "error")
        return redirect(back, 303)
    data = {"reason": form.reason.data or ""}
    try:
        if form.decision.data == "approve":
            oversight.approve_change_request(actor, organisation_id, request_id, data)
        else:
            oversight.reject_change_request(actor, organisation_id, request_id, data)
    except DomainError as error:
        db.session.rollback()
        if error.status in (401, 403, 404):
            raise  # about who asks, not what was sent: the usual error page
        for messages in error.field_errors.values():
            for message in messages:
                flash(message, "error")
        if not error.field_errors and error.detail is not None:
            flash(str(error.detail), "error")
        return redirect(back, 303)
    db.session.commit()
    flash(
        _("Change approved and recorded.") if form.decision.data == "approve"
        else _("Change request rejected."),
        "success",
    )
    return redirect(back, 303)
