"""GS1 keys with a check digit (GTIN, GLN, SSCC and the digits of every other key).

``gs1_check_digit`` is the only GS1 mod-10 implementation of the code base: the builders and
the parser, the EPC URN conversion and the EPCIS event hash all call it.
"""

from __future__ import annotations

from core.errors import ValidationFailed
from core.i18n import _

__all__ = [
    "VIETNAM_GS1_PREFIX",
    "gs1_check_digit",
    "is_digits",
    "is_valid_gln",
    "is_valid_gtin",
    "is_valid_sscc",
    "is_vietnamese_gtin13",
    "key_problem",
    "normalise_gtin",
    "with_check_digit",
]

VIETNAM_GS1_PREFIX = "893"
GTIN_LENGTHS = (8, 12, 13, 14)


def is_digits(value: object) -> bool:
    """``value`` is a non-empty string of ASCII digits.

    ``str.isdigit()`` alone accepts other scripts' digits ("٣") and superscripts.
    """
    return isinstance(value, str) and value.isascii() and value.isdigit()


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of ``body`` (the key without its check digit).

    Weights 3, 1, 3, 1… from the rightmost digit of the body; the check digit is
    ``(10 - sum mod 10) mod 10``. Raises ``ValueError`` unless ``body`` is ASCII digits.
    """
    if not is_digits(body):
        raise ValueError("a GS1 key body is made of ASCII digits only")
    # Summing the ASCII bytes and removing 48 ('0') per digit avoids one int() per digit.
    raw = body.encode("ascii")
    odd, even = raw[-1::-2], raw[-2::-2]
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    return (10 - total % 10) % 10


def with_check_digit(body: str) -> str:
    """``body`` followed by its check digit: the whole key."""
    return body + str(gs1_check_digit(body))


def _has_valid_check_digit(value: str) -> bool:
    return int(value[-1]) == gs1_check_digit(value[:-1])


def key_problem(value: str, lengths: tuple[int, ...], name: str) -> str | None:
    """Why ``value`` is not a valid GS1 key of one of ``lengths`` digits, or None.

    ``name`` is the key's name in the message (``"GTIN"``, ``"GLN"``, ``"SSCC"``).
    """
    if not is_digits(value):
        return _("A %(name)s is made of digits only.", name=name)
    if len(value) not in lengths:
        if len(lengths) > 1:  # only a GTIN comes in several lengths
            return _("A GTIN has 8, 12, 13 or 14 digits, not %(got)d.", got=len(value))
        return _(
            "A %(name)s has %(length)d digits, not %(got)d.",
            name=name,
            length=lengths[0],
            got=len(value),
        )
    expected = gs1_check_digit(value[:-1])
    if int(value[-1]) != expected:
        return _(
            "The check digit of this %(name)s should be %(expected)d, not %(got)s.",
            name=name,
            expected=expected,
            got=value[-1],
        )
    return None


def is_valid_gtin(value: str) -> bool:
    """GTIN-8, -12, -13 or -14 with a correct check digit."""
    return is_digits(value) and len(value) in GTIN_LENGTHS and _has_valid_check_digit(value)


def normalise_gtin(value: str, *, field: str = "gtin") -> str:
    """The 14-digit form of a valid GTIN-8/12/13/14 (left-padded with zeros).

    Raises ``ValidationFailed`` on ``field`` with the precise reason otherwise.
    """
    problem = key_problem(value, GTIN_LENGTHS, "GTIN")
    if problem:
        raise ValidationFailed(field_errors={field: [problem]})
    return value.zfill(14)


def is_valid_gln(value: str) -> bool:
    """A 13-digit GLN with a correct check digit (places, AI 414, and parties, AI 417)."""
    return is_digits(value) and len(value) == 13 and _has_valid_check_digit(value)


def is_valid_sscc(value: str) -> bool:
    """An 18-digit SSCC with a correct check digit."""
    return is_digits(value) and len(value) == 18 and _has_valid_check_digit(value)


def is_vietnamese_gtin13(value: str) -> bool:
    """A valid GTIN-13 issued under GS1 Vietnam's prefix 893.

    Accepts the 13-digit form and its 14-digit form (a leading ``0``), which is how GTINs are
    stored here; a GTIN-14 with another indicator digit is a case GTIN, not a GTIN-13.
    """
    if not is_valid_gtin(value):
        return False
    if len(value) == 14:
        if value[0] != "0":
            return False
        value = value[1:]
    return len(value) == 13 and value.startswith(VIETNAM_GS1_PREFIX)
