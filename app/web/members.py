"""The members register of a cooperative on a phone: the list with the Cooperative Law 2023
minimum warnings, a member's page, the forms to register, correct and record a departure,
and a member's statement of deliveries for a period, printable.

The services decide who may do what (``linkages.services.members``); these views parse,
call them and render. Personal ID numbers go in through the form and are never shown.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import Form, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.current import current_actor
from app.web import register_support as reg
from app.web.batch_display import page_helpers, render
from app.web.form_support import date_field, submit_to_service
from app.web.place_picker import PlaceForm, asked_for_communes, chosen_commune, fill_place_choices
from core.actor import Actor
from core.clock import local_today
from core.errors import DomainError
from core.i18n import _, _l
from linkages.models.members import ContributionKind, Member, MemberKind, MemberType
from linkages.models.organisations import Organisation
from linkages.services import cooperatives as coops
from linkages.services import members as member_svc
from linkages.services import organisations as orgs
from linkages.services import places
from traceability.services import batches as batch_svc

bp = Blueprint("web_members", __name__, url_prefix="/members")
bp.context_processor(page_helpers)

TYPE_LABELS: dict[MemberType, Any] = {
    MemberType.OFFICIAL: _l("Official member"),
    MemberType.ASSOCIATE_CAPITAL: _l("Associate member with capital"),
    MemberType.ASSOCIATE_NO_CAPITAL: _l("Associate member without capital"),
}
KIND_LABELS: dict[MemberKind, Any] = {
    MemberKind.INDIVIDUAL: _l("Individual"),
    MemberKind.HOUSEHOLD: _l("Household"),
    MemberKind.LEGAL_ENTITY: _l("Legal entity (enterprise, cooperative)"),
}
CONTRIBUTION_LABELS: dict[ContributionKind, Any] = {
    ContributionKind.CAPITAL: _l("Capital"),
    ContributionKind.LAND_USE_RIGHTS: _l("Land-use rights"),
    ContributionKind.LABOUR: _l("Labour"),
    ContributionKind.PRODUCE: _l("Produce"),
    ContributionKind.EQUIPMENT: _l("Equipment"),
    ContributionKind.OTHER: _l("Other"),
}
LABELS: dict[Any, Any] = {**TYPE_LABELS, **KIND_LABELS, **CONTRIBUTION_LABELS}


def member_label(value: Any) -> Any:
    return reg.label_of(LABELS, value)


bp.context_processor(lambda: {"member_label": member_label})


# --------------------------------------------------------------------------- forms


class MemberForm(PlaceForm):
    display_name = StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("A member needs a name.")),
            Length(max=200, message=_l("At most 200 characters.")),
        ],
        description=_l("For a household, the name of its head, e.g. Hộ Trần Văn Bình."),
    )
    member_type = SelectField(
        _l("Type of member"), choices=reg.enum_choices(TYPE_LABELS, blank=_l("Choose…"))
    )
    member_kind = SelectField(
        _l("Member is"), choices=reg.enum_choices(KIND_LABELS), default=MemberKind.HOUSEHOLD.value
    )
    contribution_kinds = SelectMultipleField(
        _l("Contributes"),
        choices=reg.enum_choices(CONTRIBUTION_LABELS),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )
    capital_contribution_vnd = reg.whole_number_field(_l("Capital contributed (VND)"))
    joined_on = reg.optional_date_field(_l("Joined on"))
    id_number = StringField(
        _l("Personal ID number (CCCD)"),
        validators=[Optional(), Length(max=40, message=_l("At most 40 characters."))],
        description=_l("Of the person or household head. Kept only as a fingerprint to "
                       "recognise the person; it is never shown again."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    legal_registration_code = StringField(
        _l("Tax code of the legal entity"),
        validators=[Optional(), Length(max=14, message=_l("At most 14 characters."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    household_size = reg.whole_number_field(_l("People in the household"), minimum=1, maximum=999)
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=40, message=_l("At most 40 characters."))],
        render_kw={"inputmode": "tel"},
    )


class LeaveForm(FlaskForm):
    left_on = date_field(_l("Left on"))


class StatementArgs(Form):
    """The period of a statement, from the query string (``?from=…&to=…``)."""

    date_from = reg.optional_date_field(_l("From"), name="from")
    date_to = reg.optional_date_field(_l("To"), name="to")


MEMBER_FIELDS = {name: name for name in member_svc.EDITABLE_FIELDS}
MEMBER_FIELDS["organisation_id"] = "display_name"


def _member_data(form: MemberForm, *, creating: bool) -> dict[str, Any]:
    """The service's fields from the form. An empty ID number keeps the recorded one (it
    is never shown, so the form cannot echo it back)."""
    kind = form.member_kind.data
    data: dict[str, Any] = {
        "display_name": (form.display_name.data or "").strip(),
        "member_type": form.member_type.data or None,
        "member_kind": kind or None,
        "contribution_kinds": list(form.contribution_kinds.data or []),
        "capital_contribution_vnd": reg.parse_whole(form.capital_contribution_vnd.data) or 0,
        "joined_on": form.joined_on.data,
        "legal_registration_code": (form.legal_registration_code.data or "").strip() or None,
        "household_size": reg.parse_whole(form.household_size.data),
        "phone": (form.phone.data or "").strip(),
        "commune_code": chosen_commune(form),
    }
    id_number = (form.id_number.data or "").strip()
    if id_number or creating:
        data["id_number"] = id_number or None
    return data


def _fill(form: MemberForm, member: Member) -> None:
    form.display_name.data = member.display_name
    form.member_type.data = member.member_type.value
    form.member_kind.data = member.member_kind.value
    form.contribution_kinds.data = [k.value for k in member.contribution_kinds]
    form.capital_contribution_vnd.data = str(member.capital_contribution_vnd or "")
    form.joined_on.data = member.joined_on
    form.legal_registration_code.data = member.legal_registration_code or ""
    form.household_size.data = str(member.household_size or "")
    form.phone.data = member.phone
    form.commune_code.data = member.commune_code or ""


def _member_form(org: Organisation, member: Member | None) -> MemberForm:
    """The form with its commune picker on the province asked for, else the member's,
    else the cooperative's."""
    form = MemberForm()
    fill_place_choices(form, places.place_choices(
        request.values.get("province"),
        places.province_of_commune(member.commune_code) if member else None,
        org.province_code,
    ))
    return form


# --------------------------------------------------------------------------- pages


def _warnings(org: Organisation) -> list[str]:
    return coops.profile_warnings(org)


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    actor = current_actor()
    org = reg.page_organisation(actor)
    former = request.args.get("former") == "1"
    return reg.register_page(
        "members/index.html",
        actor,
        org,
        member_svc.may_edit_members,
        members=reg.paginated(
            member_svc.list_members(actor, org.id, active_only=not former, former_only=former)
        ),
        former=former,
        counts=member_svc.count_active_members(org.id),
        warnings=_warnings(org),
    )


def _member_page(member: Member) -> str:
    return url_for("web_members.show", member_id=member.id)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Response | tuple[str, int]:
    actor = current_actor()
    org = reg.editable_page_organisation(actor, member_svc.may_edit_members)
    form = _member_form(org, None)
    return reg.form_page(
        form,
        lambda: member_svc.add_member(actor, org.id, **_member_data(form, creating=True)),
        MEMBER_FIELDS,
        done=lambda m: (_("Member registered: %(name)s.", name=m.display_name),
                        _member_page(m)),
        here=reg.org_args(org, actor),
        template="members/form.html",
        fallback="display_name",
        redisplay=asked_for_communes(form),
        org=org,
        member=None,
    )


@bp.get("/<int:member_id>")
@login_required
def show(member_id: int) -> tuple[str, int]:
    actor = current_actor()
    member = member_svc.get_member(actor, member_id)
    return _show(actor, member, LeaveForm(), 200)


def _show(actor: Actor, member: Member, leave_form: LeaveForm, status: int) -> tuple[str, int]:
    org = orgs.get_organisation(actor, member.organisation_id)
    return reg.register_page(
        "members/show.html",
        actor,
        org,
        member_svc.may_edit_members,
        status,
        member=member,
        commune=places.commune_label(member.commune_code),
        warnings=_warnings(org),
        leave_form=leave_form,
    )


@bp.route("/<int:member_id>/edit", methods=["GET", "POST"])
@login_required
def edit(member_id: int) -> Response | tuple[str, int]:
    actor = current_actor()
    member = member_svc.member_for_edit(actor, member_id)
    org = orgs.get_organisation(actor, member.organisation_id)
    form = _member_form(org, member)
    if request.method == "GET":
        _fill(form, member)
    return reg.form_page(
        form,
        lambda: member_svc.update_member(
            actor, member.id, **_member_data(form, creating=False)
        ),
        MEMBER_FIELDS,
        done=lambda m: (_("Member record saved."), _member_page(m)),
        here=reg.org_args(org, actor),
        template="members/form.html",
        fallback="display_name",
        redisplay=asked_for_communes(form),
        org=org,
        member=member,
    )


@bp.post("/<int:member_id>/leave")
@login_required
def leave(member_id: int) -> Response | tuple[str, int]:
    actor = current_actor()
    member = member_svc.member_for_edit(actor, member_id)
    form = LeaveForm()
    left, _errors, status = submit_to_service(
        form,
        lambda: member_svc.end_membership(actor, member.id, form.left_on.data),
        {"left_on": "left_on"},
        "left_on",
    )
    if left is not None:
        flash(_("Departure recorded."), "success")
        return redirect(_member_page(left), 303)
    member = member_svc.get_member(actor, member_id)
    return _show(actor, member, form, status)


@bp.get("/<int:member_id>/statement")
@login_required
def statement(member_id: int) -> tuple[str, int]:
    """What the member delivered into the cooperative's lots over a period (this year so
    far unless asked), per product and lot, with the total in kg; printable."""
    actor = current_actor()
    member = member_svc.get_member(actor, member_id)
    args = StatementArgs(request.args)
    if "from" not in request.args and "to" not in request.args:
        today = local_today()
        args.date_from.data, args.date_to.data = date(today.year, 1, 1), today
    result = None
    status = 200
    if args.validate():
        try:
            result = batch_svc.member_statement(
                actor, member.id, date_from=args.date_from.data, date_to=args.date_to.data
            )
        except DomainError as error:
            if not error.field_errors:
                raise
            for messages in error.field_errors.values():
                args.date_to.errors = [*args.date_to.errors, *messages]
            status = 422
    else:
        status = 422
    org = orgs.get_organisation(actor, member.organisation_id)
    return render(
        "members/statement.html", status, member=member, org=org, args=args, result=result,
        today=local_today(),
    )
