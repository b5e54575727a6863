"""Numbers and dates as people read them, in the reader's language: ``1.000,5`` in Vietnamese,
``1,000.5`` in English — one rule for templates (the ``quantity`` filter), messages and
files meant for people. Files and JSON meant for machines (CSV for import, the API) keep
plain numbers (``1000.5``).

The locale is Flask-Babel's: the request's choice inside a request, the default language
elsewhere in the application (CLI), and none outside it, where numbers stay plain.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import LazyString, format_date, format_decimal, get_locale

# Quantities keep four decimal places (Numeric(…, 4)); trailing zeros are not shown.
QUANTITY_FORMAT = "#,##0.####"
Number = Decimal | int | float


def format_quantity(value: Number | None) -> str:
    """``value`` in the reader's number format, without trailing zeros ("—" for none)."""
    if value is None:
        return "—"
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if get_locale() is None:  # outside the application: no reader's locale to follow
        return format(number.normalize(), "f")
    return str(format_decimal(number, format=QUANTITY_FORMAT))


def quantity_text(value: Number | None) -> LazyString:
    """``value`` for a message argument: formatted when the message is shown, in the
    language it is shown in (messages are lazy: raised in one place, rendered in another)."""
    return LazyString(format_quantity, value)


def format_day(value: date) -> str:
    """A calendar day in the reader's format ("21 thg 12, 2026", "Dec 21, 2026"); ISO
    outside the application."""
    if get_locale() is None:
        return value.isoformat()
    return str(format_date(value, "medium"))


def date_text(value: date) -> LazyString:
    """``value`` for a message argument, formatted when the message is shown (as
    ``quantity_text``)."""
    return LazyString(format_day, value)
