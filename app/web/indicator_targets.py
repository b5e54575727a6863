"""The indicator's targets on a phone (issue 12 §2): the list, filtered by metric, scope,
year and whether they are verified; a target's page; and — for those who edit its scope —
recording, changing and deleting one.

Who reads and who edits is ``linkages.indicator.targets``'s answer (``list_targets``,
``get_target``, ``may_edit``): every signed-in user reads; a control is shown exactly when
``may_edit`` says yes for that target's scope, and a request the page never offered is
refused (403) all the same. These views parse, call the service once, commit once and
render, a refusal beside its field.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.auth.current import current_actor
from app.auth.services import display_names
from app.web import register_support as reg
from app.web.batch_display import page_helpers, render
from app.web.form_support import select_choices
from app.web.target_forms import (
    QUALIFIER_LABELS,
    TARGET_FIELDS,
    UNIT_LABELS,
    DeleteTargetForm,
    TargetForm,
    fill,
    metric_choices,
    metric_label,
    target_data,
    target_value,
)
from core.actor import Actor
from core.boundary import ascii_int
from core.db import db
from core.errors import Forbidden
from core.i18n import _, _l
from linkages.indicator import targets
from linkages.indicator.period import MAX_YEAR, MIN_YEAR
from linkages.models.targets import NATIONAL, IndicatorTarget, TargetMetric
from linkages.services.places import provinces_query

bp = Blueprint("web_targets", __name__, url_prefix="/indicator/targets")
bp.context_processor(page_helpers)
bp.context_processor(lambda: {
    "metric_label": metric_label,
    "target_value": target_value,
    "unit_labels": UNIT_LABELS,
    "qualifier_labels": QUALIFIER_LABELS,
})

VERIFIED_FILTER = {"yes": True, "no": False}


def _scope_names() -> dict[str, str]:
    """Every scope a target may have, by code: the whole country first, then the 34
    provinces."""
    names = {NATIONAL: str(_("Whole country"))}
    names.update((p.code, p.name) for p in db.session.scalars(provinces_query()))
    return names


def _scope_choices(actor: Actor, names: dict[str, str]) -> list[SelectChoice]:
    """The scopes the actor records targets of (the service's answer, scope by scope): all
    of them for a national authority, its own province for a province authority, none for
    anyone else."""
    return select_choices(
        (code, name) for code, name in names.items() if targets.may_edit(actor, code)
    )


def _filters(names: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """The list's filters from the query string (a value that is none of the choices is
    no filter), and the message beside a year that cannot be one."""
    args = request.args
    metric = args.get("metric") or ""
    scope = args.get("scope") or ""
    verified = args.get("verified") or ""
    year_text = (args.get("year") or "").strip()[:10]
    year = ascii_int(year_text)
    errors: dict[str, Any] = {}
    if year_text and (year is None or not MIN_YEAR <= year <= MAX_YEAR):
        errors["year"] = _l("Between %(low)d and %(high)d.", low=MIN_YEAR, high=MAX_YEAR)
        year = None
    filters = {
        "metric": metric if metric in {m.value for m in TargetMetric} else "",
        "scope": scope if scope in names else "",
        "year": str(year) if year is not None else "",
        "verified": verified if verified in VERIFIED_FILTER else "",
    }
    return filters, errors


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    actor = current_actor()
    names = _scope_names()
    filters, filter_errors = _filters(names)
    page = reg.paginated(targets.list_targets(
        actor,
        metric=filters["metric"] or None,
        scope=filters["scope"] or None,
        year=int(filters["year"]) if filters["year"] else None,
        verified=VERIFIED_FILTER.get(filters["verified"]),
    ))
    return render(
        "indicator/targets.html",
        targets=page,
        names=names,
        recorders=display_names(t.recorded_by_id for t in page.items),
        filters=filters,
        filter_args={name: value for name, value in filters.items() if value},
        filter_errors=filter_errors,
        metrics=metric_choices(),
        may_create=bool(_scope_choices(actor, names)),
        editable=lambda scope: targets.may_edit(actor, scope),
    )


@bp.get("/<int:target_id>")
@login_required
def show(target_id: int) -> tuple[str, int]:
    actor = current_actor()
    target = targets.get_target(actor, target_id)
    return render(
        "indicator/targets_show.html",
        target=target,
        scope_name=_scope_names().get(target.scope, target.scope),
        recorder=display_names([target.recorded_by_id]).get(target.recorded_by_id or 0),
        may_edit=targets.may_edit(actor, target.scope),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Response | tuple[str, int]:
    actor = current_actor()
    choices = _scope_choices(actor, _scope_names())
    if not choices:
        raise Forbidden()
    form = TargetForm()
    form.scope.choices = choices
    return reg.form_page(
        form,
        lambda: targets.create_target(actor, target_data(form)),
        TARGET_FIELDS,
        done=lambda target: (
            _("The target is recorded."), url_for("web_targets.show", target_id=target.id)
        ),
        template="indicator/targets_form.html",
        fallback="metric",
        code=303,
        target_id=None,
    )


def _editable(target_id: int) -> tuple[Actor, IndicatorTarget]:
    """The target (404 when there is none) if the actor edits its scope (else 403: every
    signed-in user reads it, so its existence is no secret)."""
    actor = current_actor()
    target = targets.get_target(actor, target_id)
    if not targets.may_edit(actor, target.scope):
        raise Forbidden()
    return actor, target


@bp.route("/<int:target_id>/edit", methods=["GET", "POST"])
@login_required
def edit(target_id: int) -> Response | tuple[str, int]:
    actor, target = _editable(target_id)
    form = TargetForm()
    form.scope.choices = _scope_choices(actor, _scope_names())
    if request.method == "GET":
        fill(form, target)
    return reg.form_page(
        form,
        lambda: targets.update_target(actor, target_id, target_data(form)),
        TARGET_FIELDS,
        done=lambda _target: (
            _("The target is saved."), url_for("web_targets.show", target_id=target_id)
        ),
        template="indicator/targets_form.html",
        fallback="metric",
        code=303,
        target_id=target_id,
    )


@bp.route("/<int:target_id>/delete", methods=["GET", "POST"])
@login_required
def delete(target_id: int) -> Response | tuple[str, int]:
    """The confirmation (GET), then the deletion (POST)."""
    actor, target = _editable(target_id)
    # What the page shows, read before the service may roll the session back.
    shown = {
        "target": target,
        "scope_name": _scope_names().get(target.scope, target.scope),
        "value_text": target_value(target),
    }
    return reg.form_page(
        DeleteTargetForm(),
        lambda: targets.delete_target(actor, target_id),
        {},
        done=lambda _gone: (_("The target is deleted."), url_for("web_targets.index")),
        template="indicator/targets_delete.html",
        code=303,
        **shown,
    )


__all__ = ["bp"]
