"""Reading numbers typed by people or sent as JSON: one rule for every decimal field.

Booleans are not numbers (``True`` would read as 1), NaN and infinities are refused, and
each field says in its own words what range it accepts.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from core.i18n import _l

# Every decimal column keeps four places (Numeric(…, 4)): a positive number below half of the
# last one would be recorded as 0.
STORED_PLACES = Decimal("0.0001")


class NumberRefused(ValueError):
    """The value is not an acceptable number; ``message`` says why, for the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def to_decimal(
    value: Any,
    *,
    strictly_positive: bool = False,
    maximum: Decimal | None = None,
    below_message: Any = None,
) -> Decimal:
    """``value`` as a finite Decimal of at least zero (above zero when
    ``strictly_positive``, and still above zero once stored with ``STORED_PLACES``) and
    below ``maximum``, or ``NumberRefused``."""
    number: Decimal | None = None
    if not isinstance(value, bool):
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value))
        except (InvalidOperation, ArithmeticError, ValueError):
            number = None
    if number is None or not number.is_finite():
        raise NumberRefused(_l("Enter a number."))
    if number < 0 or (strictly_positive and number == 0):
        raise NumberRefused(
            below_message
            or (
                _l("Enter a number greater than zero.")
                if strictly_positive
                else _l("Enter a quantity of zero or more.")
            )
        )
    if strictly_positive and rounds_to_zero(number):
        raise NumberRefused(too_small_message())
    if maximum is not None and number >= maximum:
        raise NumberRefused(_l("This number is too large."))
    return number


def rounds_to_zero(number: Decimal) -> bool:
    """A positive number that would be stored as 0 (see ``STORED_PLACES``)."""
    return 0 < number < STORED_PLACES and number.quantize(STORED_PLACES) == 0


def too_small_message() -> Any:
    return _l("Too small: it would be recorded as 0.")
