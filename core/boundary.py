"""Input from outside, checked once where it enters.

Some values parse and still break something further in: PostgreSQL refuses the NUL character
in text (and in JSONB); a JSON body nested a thousand levels deep exhausts Python's recursion
(and orjson's, when a stored document is written back); a date at the very edge of the
calendar overflows once it is moved to UTC or a day is added; ``str.isdigit()`` accepts ``²``,
which ``int()`` then refuses. The request layer (``app.boundary``, ``core.schemas``, the JSON
parsers of the API and the EPCIS binding) uses these helpers to refuse such input with a
field error before any service sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import orjson

from core.errors import MalformedInput, ValidationFailed
from core.i18n import _, _l

# No real document comes near it (an EPCIS document with sensor reports and nested extension
# fields is about ten levels deep), and it stays far below what orjson writes back (254).
MAX_JSON_DEPTH = 64

# Dates outside these are typing slips, and inside them a shift of a day or of a year (UTC,
# "to" + 1 day, pre-harvest intervals) can never leave the calendar (year 1 to 9999).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)

NUL = "\x00"


def nul_message() -> str:
    return _("Text may not contain the NUL character (U+0000).")


def calendar_message() -> str:
    return _(
        "Enter a date from %(first)s to %(last)s.",
        first=FIRST_DAY.isoformat(),
        last=LAST_DAY.isoformat(),
    )


def in_calendar(day: date) -> bool:
    """Is ``day`` (or a datetime's day) within ``FIRST_DAY``…``LAST_DAY``?"""
    return FIRST_DAY <= (day.date() if isinstance(day, datetime) else day) <= LAST_DAY


def iso_year_in_calendar(text: str) -> bool:
    """For ISO 8601 text: False when its year is outside the calendar window.

    Every form ``date.fromisoformat``/``datetime.fromisoformat`` reads starts with the
    four-digit year; text that does not is left for the parser to refuse."""
    year = text[:4]
    if len(year) == 4 and year.isascii() and year.isdigit():
        return FIRST_DAY.year <= int(year) <= LAST_DAY.year
    return True


def ascii_int(text: str | None) -> int | None:
    """``text`` as a whole number of ASCII digits, else None. ``str.isdigit()`` is true for
    ``²`` or ``٣``, which ``int()`` refuses or reads: input is checked with this instead."""
    if text and text.isascii() and text.isdigit():
        return int(text)
    return None


def required_choice(enum_cls: Any, value: Any, field: str,
                    err: Callable[[str, Any], None]) -> Any:
    """``value`` as a member of ``enum_cls`` for a required field, or None after telling
    ``err`` why not (missing or empty: "Required."; anything else: not allowed): the
    services' field checks that gather every error before refusing."""
    if value is None or value == "":
        err(field, _l("Required."))
        return None
    try:
        return enum_cls(value)
    except ValueError:
        err(field, _l("Not one of the allowed values."))
        return None


def field_path(*parts: Any) -> str:
    """``("json", "areas", 0)`` → ``json.areas.0``, as field errors name fields."""
    return ".".join(str(p) for p in parts if p != "")


def load_json(data: bytes | str, *, location: str = "") -> Any:
    """Parse a JSON body (orjson: strict UTF-8, so a lone surrogate such as ``\\ud800`` is
    not JSON) and check it: nested at most ``MAX_JSON_DEPTH`` levels (else
    ``MalformedInput``, 400) and no NUL character in any key or string (else
    ``ValidationFailed`` naming each, 422). Field errors are named ``location.path``."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise MalformedInput(
            _("The body is not valid JSON."), field_errors={location: [str(error)]}
        ) from error
    raw = data.encode() if isinstance(data, str) else data
    # NUL can only arrive escaped (orjson refuses raw control characters), so a body without
    # the escape skips looking at every string.
    _check_tree(document, location, look_for_nul=b"\\u0000" in raw)
    return document


def _check_tree(document: Any, location: str, *, look_for_nul: bool) -> None:
    """Depth and NUL checks without recursion: the point is to survive any depth."""
    nul_fields: dict[str, list[str]] = {}
    if look_for_nul and _has_nul(document):
        nul_fields[location] = [nul_message()]
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(document, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if not isinstance(node, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise MalformedInput(
                _("The JSON is nested more than %(max)d levels deep.", max=MAX_JSON_DEPTH),
                field_errors={
                    field_path(location, *path): [
                        _("Nested more than %(max)d levels deep.", max=MAX_JSON_DEPTH)
                    ]
                },
            )
        pairs = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in pairs:
            if isinstance(value, dict | list):
                stack.append((value, depth + 1, (*path, key)))
            if look_for_nul and (_has_nul(key) or _has_nul(value)):
                nul_fields[field_path(location, *path, key)] = [nul_message()]
    if nul_fields:
        raise ValidationFailed(nul_message(), field_errors=nul_fields)


def _has_nul(value: Any) -> bool:
    return isinstance(value, str) and NUL in value


def text_errors(pairs: Any, location: str) -> dict[str, list[str]]:
    """Field errors for (name, value) text pairs (a query string, a form, a path) holding a
    NUL character, named ``location.name``."""
    return {
        field_path(location, name): [nul_message()]
        for name, value in pairs
        if _has_nul(name) or _has_nul(value)
    }
