"""Schema bases shared by the domains' API contracts.

Every schema that reads a request (a body, a query string) derives from ``InputSchema``,
which bounds each field by what the database can hold (``guard_field``), so that no value
that passes a schema can make the driver fail:

- an integer field without both bounds of its own holds what an INTEGER column holds (32-bit
  on PostgreSQL); beyond that an id names no row ("No such record."), and any other number
  is too large or too small. A field whose column is wider (BIGINT money) declares its
  ``Range``;
- a date or date-time field lies within ``core.boundary.FIRST_DAY``…``LAST_DAY``.

Text is checked before any schema sees it: JSON bodies by ``core.boundary.load_json``,
query strings, paths and forms by ``app.boundary``.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow.validate import Range

from core.boundary import FIRST_DAY, LAST_DAY, calendar_message, in_calendar, iso_year_in_calendar
from core.db import MAX_INTEGER, MIN_INTEGER
from core.i18n import _


class ColumnRange(Range):
    """The range of an INTEGER column, with messages that say what is wrong in words."""

    def __init__(self, min: int | None, max: int | None, *, is_id: bool) -> None:
        super().__init__(min, max)
        self.is_id = is_id

    def __call__(self, value: Any) -> Any:
        try:
            return super().__call__(value)
        except ma.ValidationError:
            if self.is_id:
                raise ma.ValidationError(_("No such record.")) from None
            too_large = self.max is not None and value > self.max
            raise ma.ValidationError(
                _("This number is too large.") if too_large else _("This number is too small.")
            ) from None


class CalendarRange(Range):
    """Dates (and the day of date-times) from ``FIRST_DAY`` to ``LAST_DAY``."""

    def __init__(self) -> None:
        super().__init__(FIRST_DAY, LAST_DAY)

    def __call__(self, value: Any) -> Any:
        if not in_calendar(value):
            raise ma.ValidationError(calendar_message())
        return value


def iso_in_calendar(value: str) -> str:
    """Validator for dates and date-times kept as ISO 8601 text (a service parses them)."""
    if not iso_year_in_calendar(value):
        raise ma.ValidationError(calendar_message())
    return value


def guard_field(name: str, field: ma.fields.Field) -> None:
    """Bound ``field`` (and the items of a list, tuple or mapping) as the module says."""
    if field.dump_only:
        return
    if isinstance(field, ma.fields.List):
        guard_field(name, field.inner)
    elif isinstance(field, ma.fields.Tuple):
        for item in field.tuple_fields:
            guard_field(name, item)
    elif isinstance(field, ma.fields.Mapping):
        for part in (field.key_field, field.value_field):
            if part is not None:
                guard_field(name, part)
    elif isinstance(field, ma.fields.Integer):
        _bound_integer(name, field)
    elif isinstance(field, ma.fields.DateTime | ma.fields.Date) and not any(
        isinstance(v, CalendarRange) for v in field.validators
    ):
        field.validators.append(CalendarRange())


def _bound_integer(name: str, field: ma.fields.Integer) -> None:
    declared = [v for v in field.validators if isinstance(v, Range)]
    has_min = any(v.min is not None for v in declared)
    has_max = any(v.max is not None for v in declared)
    if has_min and has_max:
        return
    is_id = name == "id" or name.endswith(("_id", "_ids"))
    field.validators.append(
        ColumnRange(None if has_min else MIN_INTEGER, None if has_max else MAX_INTEGER, is_id=is_id)
    )


class InputSchema(ma.Schema):
    """Base of every schema that reads a request: fields bounded by ``guard_field``."""

    def on_bind_field(self, field_name: str, field_obj: ma.fields.Field) -> None:
        super().on_bind_field(field_name, field_obj)
        guard_field(field_name, field_obj)


class StrictSchema(InputSchema):
    """Input schemas refuse unknown fields: a typo must not be silently dropped."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class QuerySchema(InputSchema):
    """A list's query string: unknown parameters pass, because the pagination parameters
    (``page``, ``page_size``) share it and are read by their own parser."""

    class Meta:
        unknown = ma.EXCLUDE


__all__ = [
    "CalendarRange",
    "ColumnRange",
    "InputSchema",
    "QuerySchema",
    "StrictSchema",
    "guard_field",
    "iso_in_calendar",
]
