"""What the register pages (members, certifications, products) share: the organisation a
page is about, whole numbers as people type them, optional dates, and the choices of an
enumeration with their labels."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from flask import flash, redirect, request
from flask_sqlalchemy.pagination import Pagination
from flask_wtf import FlaskForm
from sqlalchemy import Select
from werkzeug.wrappers import Response
from wtforms import DateField, Field, SelectChoice, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.web.batch_display import render
from app.web.form_support import (
    page_number,
    select_choices,
    submit_to_service,
    within_calendar,
)
from core.actor import Actor
from core.boundary import ascii_int
from core.db import db
from core.errors import Forbidden, NotFound
from core.i18n import _l
from linkages.models.organisations import Organisation
from linkages.services import cooperatives as coops
from linkages.services import organisations as orgs

PER_PAGE = 30
T = TypeVar("T")


def page_organisation(actor: Actor) -> Organisation:
    """The organisation a register page is about: ``?org=`` (an authority or a platform
    admin reading one), else the one the actor acts for. NotFound when there is none, or
    when the actor may not read its private data."""
    wanted = ascii_int(request.args.get("org")) or actor.organisation_id
    if wanted is None:
        raise NotFound()
    org = orgs.get_organisation(actor, wanted)
    if not coops.can_read_organisation_private(actor, org):
        raise NotFound()
    return org


def editable_page_organisation(
    actor: Actor, may_edit: Callable[[Actor, int], bool]
) -> Organisation:
    """``page_organisation``, for a form that adds to its register: Forbidden to a reader
    whom the service's ``may_edit`` answer refuses."""
    org = page_organisation(actor)
    if not may_edit(actor, org.id):
        raise Forbidden()
    return org


def register_page(
    template: str,
    actor: Actor,
    org: Organisation,
    may_edit: Callable[[Actor, int], bool],
    status: int = 200,
    **context: Any,
) -> tuple[str, int]:
    """A register's page about ``org``: its forms offered on the service's ``may_edit``
    answer, its links kept on ``org`` (``here``)."""
    return render(
        template,
        status,
        org=org,
        may_edit=may_edit(actor, org.id),
        here=org_args(org, actor),
        **context,
    )


def paginated(stmt: Select[Any]) -> Pagination:
    """The ``?page=`` of a register's list."""
    return db.paginate(stmt, page=page_number(), per_page=PER_PAGE, error_out=False)


def form_page(
    form: FlaskForm,
    record: Callable[[], T | None],
    fields: Mapping[str, str],
    *,
    done: Callable[[T], tuple[str, str]],
    template: str,
    fallback: str | None = None,
    code: int = 302,
    redisplay: bool = False,
    **context: Any,
) -> Response | tuple[str, int]:
    """A register's form: on a valid POST the service call (``submit_to_service``), then the
    success message and the page ``done`` names; else the form again, the service's
    refusals beside its fields. ``redisplay``: the POST only asked for the form again
    (e.g. another province's communes), nothing is saved."""
    if redisplay:
        return render(template, 200, form=form, errors=[], **context)
    result, errors, status = submit_to_service(form, record, fields, fallback)
    if result is not None:
        message, target = done(result)
        flash(message, "success")
        return redirect(target, code)
    return render(template, status, form=form, errors=errors, **context)


def org_args(org: Organisation, actor: Actor) -> dict[str, int]:
    """The query string that keeps a page on ``org`` (empty for the actor's own)."""
    return {} if actor.acts_for(org.id) else {"org": org.id}


def parse_whole(text: str | None) -> int | None:
    """A whole number as typed: ``5000000``, ``5.000.000``, ``5,000,000`` or ``5 000 000``
    (amounts of VND have no decimals, so every separator is a thousands one); None when it
    is not one."""
    raw = re.sub(r"[\s.,]", "", text or "")
    return int(raw) if raw.isascii() and raw.isdigit() else None


class WholeNumber:
    def __init__(self, minimum: int = 0, maximum: int = 10**15) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if not (field.data or "").strip():
            return
        number = parse_whole(field.data)
        if number is None:
            raise ValidationError(_l("Enter a whole number, e.g. 5000000."))
        if number < self.minimum:
            raise ValidationError(_l("Enter a number of at least %(min)d.", min=self.minimum))
        if number > self.maximum:
            raise ValidationError(_l("This number is too large."))


def whole_number_field(label: Any, minimum: int = 0, maximum: int = 10**15, **kw: Any) -> Any:
    return StringField(
        label,
        validators=[WholeNumber(minimum, maximum)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
        **kw,
    )


def text_field(label: Any, limit: int, required: bool = False, **kw: Any) -> Any:
    """A one-line text of at most ``limit`` characters, "Required." beside it when empty."""
    first = DataRequired(message=_l("Required.")) if required else Optional()
    return StringField(
        label,
        validators=[first, Length(max=limit, message=_l("At most %(n)d characters.", n=limit))],
        **kw,
    )


def optional_date_field(label: Any, **kw: Any) -> Any:
    return DateField(label, validators=[Optional(), within_calendar], **kw)


def enum_choices(
    labels: Mapping[Any, Any], blank: Any = None
) -> list[SelectChoice]:
    """Select choices from a mapping of enum members to labels (with a blank first)."""
    choices: list[tuple[str, Any]] = [("", blank)] if blank is not None else []
    return select_choices(choices + [(member.value, label) for member, label in labels.items()])


def label_of(labels: Mapping[Any, Any], value: StrEnum | str | None) -> Any:
    return labels.get(value, value) if value is not None else ""
