"""Linkage projects and plans approved by a province (dự án/kế hoạch liên kết, Decree
98/2018) on a phone: the projects in the actor's scope, a project's page with its
decision, its state support and the contracts it groups, and — for those the service lets
record projects — recording one, adding a contract by its code and taking one out.

Who reads what and who writes is ``linkages.services.linkage_projects``'s answer
(``list_projects``, ``get_project``, ``may_record_projects``); these views parse, call it
once, commit once and render, a refusal beside its field.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import DataRequired

from app.auth.current import current_actor
from app.web import register_support as reg
from app.web.batch_display import page_helpers, render
from app.web.form_support import select_choices, submit_to_service, within_calendar
from core.actor import Actor
from core.db import db
from core.errors import Forbidden
from core.i18n import _l
from linkages.labels import label
from linkages.services import linkage_projects as projects
from linkages.services.linkage_projects import ProjectView
from linkages.services.party_lookup import organisations_by_ids
from linkages.services.places import provinces_query

bp = Blueprint("web_projects", __name__, url_prefix="/projects")
bp.context_processor(page_helpers)
bp.context_processor(lambda: {"linkage_label": label})

# Where the service's refusals go on each form.
PROJECT_FIELDS = {name: name for name in (
    "number", "name", "province_code", "decision_date", "support_vnd")}
ADD_FIELDS = {"contract_id": "contract_code"}


class ProjectForm(FlaskForm):
    """A project as the province's decision states it."""

    number = reg.text_field(_l("Decision number"), 64, required=True,
                            description=_l("e.g. 1234/QĐ-UBND"))
    name = reg.text_field(_l("Name of the project or plan"), 255, required=True)
    province_code = SelectField(_l("Province"), choices=[])
    decision_date = DateField(
        _l("Approved on"),
        validators=[DataRequired(message=_l("Enter a date.")), within_calendar],
    )
    support_vnd = reg.whole_number_field(
        _l("State support (đồng)"), description=_l("Leave empty when there is none.")
    )


class AddContractForm(FlaskForm):
    """A contract to include, by the code on its page (LK-…)."""

    contract_code = reg.text_field(
        _l("Contract code"), 24, required=True,
        description=_l("As on the contract's page, e.g. LK-2026-1A2B3C4D."),
    )


class RemoveContractForm(FlaskForm):
    """Taking a contract out of the project: the button alone."""


def _provinces() -> dict[str, str]:
    return {p.code: p.name for p in db.session.scalars(provinces_query())}


def _may_create(actor: Actor) -> bool:
    # A province authority records projects of its own province; a national authority or
    # a platform admin (no province) those of any: the service's answer for that province.
    return projects.may_record_projects(actor, actor.province_code)


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    actor = current_actor()
    page = reg.paginated(projects.list_projects(actor))
    return render(
        "projects/index.html",
        projects=page,
        provinces=_provinces(),
        may_create=_may_create(actor),
    )


def _province_choices(actor: Actor, provinces: dict[str, str]) -> list[SelectChoice]:
    """A province authority's own province only; every province for the others."""
    if actor.province_code is not None and not actor.is_admin:
        return select_choices(
            [(actor.province_code, provinces.get(actor.province_code, actor.province_code))]
        )
    return select_choices([("", "—"), *provinces.items()])


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Response | tuple[str, int]:
    actor = current_actor()
    if not _may_create(actor):
        raise Forbidden()
    form = ProjectForm()
    form.province_code.choices = _province_choices(actor, _provinces())

    def record() -> ProjectView:
        support = reg.parse_whole(form.support_vnd.data)
        return projects.create_project(
            actor,
            number=form.number.data or "",
            name=form.name.data or "",
            province_code=form.province_code.data or "",
            decision_date=form.decision_date.data,
            support_vnd=support if support is not None else 0,
        )

    return reg.form_page(
        form,
        record,
        PROJECT_FIELDS,
        done=lambda view: (
            str(_l("The linkage project is recorded.")),
            url_for("web_projects.show", project_id=view.project.id),
        ),
        template="projects/form.html",
        fallback="number",
    )


def project_page(
    actor: Actor,
    view: ProjectView,
    status: int = 200,
    errors: list[str] | None = None,
    add_form: AddContractForm | None = None,
) -> tuple[str, int]:
    """A project's page, with the forms to add and remove contracts when the actor may
    record the province's projects (``add_form``: one posted back with its messages)."""
    project = view.project
    may_edit = projects.may_record_projects(actor, project.province_code)
    return render(
        "projects/show.html",
        status,
        project=project,
        contracts=view.contracts,
        province=_provinces().get(project.province_code, project.province_code),
        names=organisations_by_ids(p.organisation_id for c in view.contracts for p in c.parties),
        may_edit=may_edit,
        add_form=(add_form or AddContractForm(prefix="add")) if may_edit else None,
        remove_form=RemoveContractForm() if may_edit else None,
        errors=errors or [],
    )


@bp.get("/<int:project_id>")
@login_required
def show(project_id: int) -> tuple[str, int]:
    actor = current_actor()
    return project_page(actor, projects.get_project(actor, project_id))


def _editable(project_id: int) -> tuple[Actor, ProjectView]:
    """The project, if the actor reads it (else 404) and may change it (else 403: the
    page never offered the form)."""
    actor = current_actor()
    view = projects.get_project(actor, project_id)
    if not projects.may_record_projects(actor, view.project.province_code):
        raise Forbidden()
    return actor, view


@bp.post("/<int:project_id>/contracts")
@login_required
def add_contract(project_id: int) -> Response | tuple[str, int]:
    actor, _view = _editable(project_id)
    form = AddContractForm(prefix="add")
    done, errors, status = submit_to_service(
        form,
        lambda: projects.add_project_contract_by_code(
            actor, project_id, form.contract_code.data or ""
        ),
        ADD_FIELDS,
        "contract_code",
    )
    if done is not None:
        flash(str(_l("The contract is included in the project.")), "success")
        return redirect(url_for("web_projects.show", project_id=project_id), 303)
    fresh = projects.get_project(actor, project_id)  # after the rollback
    return project_page(actor, fresh, status, errors, add_form=form)


@bp.post("/<int:project_id>/contracts/<int:contract_id>/remove")
@login_required
def remove_contract(project_id: int, contract_id: int) -> Response | tuple[str, int]:
    actor, _view = _editable(project_id)
    form = RemoveContractForm()
    done, errors, status = submit_to_service(
        form, lambda: projects.remove_project_contract(actor, project_id, contract_id), {}
    )
    if done is not None:
        flash(str(_l("The contract is taken out of the project.")), "success")
        return redirect(url_for("web_projects.show", project_id=project_id), 303)
    fresh = projects.get_project(actor, project_id)
    return project_page(actor, fresh, status, errors)


__all__ = ["bp", "project_page"]
