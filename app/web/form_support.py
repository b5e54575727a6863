"""Form plumbing shared by the batch pages: quantities as people type them on a phone,
dates that cannot be in the future, the usual fields, and one way to submit a form to a
service — validate, call, commit once, or put the service's refusal beside the right field."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from flask import request
from flask_wtf import FlaskForm
from wtforms import DateField, Field, FormField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.web.batch_display import UNIT_LABELS, VIETNAM
from core.boundary import ascii_int, calendar_message, in_calendar
from core.clock import local_today
from core.db import MAX_INTEGER, db, utcnow
from core.errors import DomainError, Forbidden, NotFound
from core.i18n import _l
from core.units import Unit

T = TypeVar("T")




def parse_quantity(text: str | None) -> Decimal | None:
    """A quantity as people type it on a phone: ``12.5`` or the Vietnamese ``12,5``.
    A dot with three digits after it (``1.250``) is a thousands separator in Vietnamese, so
    it is refused as ambiguous rather than guessed; None when it is not a number."""
    raw = (text or "").strip().replace(" ", "")
    if not raw:
        return None
    if "," in raw and "." in raw:
        return None
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
        return None
    try:
        number = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def page_number() -> int:
    """``?page=`` of a paginated page: 1 unless it is ASCII digits. No table holds more rows
    than an INTEGER key numbers, so a bigger page is past the last (empty, as on the API)
    and is capped to keep the OFFSET within what the database takes."""
    return min(ascii_int(request.args.get("page")) or 1, MAX_INTEGER)


def within_calendar(form: FlaskForm, field: Field) -> None:
    """A date no shift to UTC or by a day can push off the calendar (``core.boundary``)."""
    if field.data and not in_calendar(field.data):
        raise ValidationError(calendar_message())


def moment_on(day: date) -> datetime:
    """The chosen day at the current time of day, Vietnamese time (+07:00)."""
    now = utcnow().astimezone(VIETNAM).replace(microsecond=0)
    return datetime.combine(day, now.timetz())


def plain_qty(value: Decimal | int | float) -> str:
    """A quantity as a form field is filled in: no thousands separator, so that
    ``parse_quantity`` reads it back whatever the reader's number format (``1250``, ``12.5``)."""
    return format(Decimal(str(value)).normalize(), "f")


# Quantities are stored as Numeric(18, 4) in their unit and in kg: ten billion units, even
# of tonnes, still fit; a larger number is a typing slip, not a lot.
MAX_QUANTITY = Decimal(10) ** 10
QUANTITY_PLACES = Decimal("0.0001")


class PositiveQuantity:
    def __init__(self, required: bool = True, allow_zero: bool = False) -> None:
        self.required = required
        self.allow_zero = allow_zero

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if not (field.data or "").strip():
            if self.required:
                raise ValidationError(_l("Enter the quantity."))
            return
        number = parse_quantity(field.data)
        if number is None and "." in field.data:
            raise ValidationError(
                _l("Write the number without a thousands separator, e.g. 1250 or 12,5.")
            )
        if number is None:
            raise ValidationError(_l("Enter a number, e.g. 120 or 12,5."))
        if number >= MAX_QUANTITY:
            raise ValidationError(_l("This number is too large."))
        number = number.quantize(QUANTITY_PLACES)  # as stored: below 0.0001 is nothing
        if number < 0 or (number == 0 and not self.allow_zero):
            raise ValidationError(
                _l("Enter a quantity of zero or more.")
                if self.allow_zero
                else _l("Enter a quantity above zero.")
            )


def not_in_future(form: FlaskForm, field: Field) -> None:
    if field.data and field.data > local_today():
        raise ValidationError(_l("The date cannot be in the future."))


def select_choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """The options of a select, radio or checkbox list from ``(value, label)`` pairs, as
    WTForms takes them (tuples are deprecated and go in WTForms 3.4). Each value is kept as
    given, for the field's ``coerce``; each label too, a lazy translation staying lazy."""
    return [SelectChoice(value, label) for value, label in pairs]


def unit_choices(blank: Any = None) -> list[SelectChoice]:
    choices: list[tuple[str, Any]] = [("", blank)] if blank is not None else []
    return select_choices(choices + [(u.value, UNIT_LABELS[u]) for u in Unit])


def quantity_field(label: Any, required: bool = True, allow_zero: bool = False) -> StringField:
    return StringField(
        label,
        validators=[PositiveQuantity(required, allow_zero)],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


def date_field(label: Any) -> DateField:
    return DateField(
        label,
        default=local_today,
        validators=[DataRequired(message=_l("Enter a date.")), within_calendar, not_in_future],
    )


def lot_code_field(label: Any = None, description: Any = None) -> StringField:
    return StringField(
        label or _l("Lot code"),
        validators=[Optional(), Length(max=20, message=_l("At most 20 characters."))],
        description=description or _l("Leave empty to have one made."),
    )


def apply_domain_error(
    form: FlaskForm, error: DomainError, fields: Mapping[str, str], fallback: str | None = None
) -> list[str]:
    """Put a service's field errors beside the form's fields (``fields`` maps the service's
    names onto the form's); return the messages that fit no field, for the top of the form.
    A not-found or forbidden without field errors is about the page itself: re-raised."""
    db.session.rollback()
    if isinstance(error, NotFound | Forbidden) and not error.field_errors:
        raise error
    loose: list[str] = []
    for name, messages in error.field_errors.items():
        target = fields.get(name) or fields.get(name.split(".")[0]) or fallback
        field = form_field(form, target) if target else None
        if field is None:
            loose.extend(messages)
            continue
        field.errors = [*field.errors, *messages]
    if not error.field_errors and error.detail is not None:
        loose.append(str(error.detail))
    return loose


def form_field(form: FlaskForm, path: str) -> Field | None:
    """The field at ``path``: ``lot_code``, or ``parts.1.quantity`` for a field of the
    second entry of a list of sub-forms (``FieldList(FormField(...))``); None if absent."""
    node: Any = form
    for step in path.split("."):
        if isinstance(node, FormField):
            node = node.form
        index = ascii_int(step)
        if index is not None:
            entries = getattr(node, "entries", None)
            if entries is None or index >= len(entries):
                return None
            node = entries[index]
        else:
            node = getattr(node, step, None)
    return node if isinstance(node, Field) else None


def status_of(error: DomainError) -> int:
    return 422 if error.status in (400, 404) else error.status


def submit_to_service(
    form: FlaskForm,
    record: Callable[[], T],
    fields: Mapping[str, str],
    fallback: str | None = None,
) -> tuple[T | None, list[str], int]:
    """Handle a form's POST: validate it, call the service through ``record`` and commit
    once on success. Returns what the service returned (None when the form or the service
    refused), the messages for the top of the form and the status of the page. On a GET:
    (None, [], 200)."""
    if request.method != "POST":
        return None, [], 200
    if not form.validate_on_submit():
        return None, [], 422
    try:
        result = record()
    except DomainError as error:
        return None, apply_domain_error(form, error, fields, fallback), status_of(error)
    db.session.commit()
    return result, [], 200
