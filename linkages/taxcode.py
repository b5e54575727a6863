"""Registration codes of organisations: the tax code (mã số thuế, MST) and personal IDs.

Under the Cooperative Law 2023 an organisation's registration code *is* its tax code:
10 digits ``N1..N9`` + a check digit, and a dependent unit (branch, representative office)
adds ``-NNN`` (001–999). The check digit uses weights 31, 29, 23, 19, 17, 13, 7, 5, 3 on
N1..N9 and ``check = 10 - (sum mod 11)``; a result of 10 (``sum mod 11 == 0``) cannot be
written as one digit, so no valid code has that body. Since 1 July 2025 individuals
(household businesses, farm households) use their 12-digit personal ID (CCCD) as tax code;
that number carries no check digit, so only its shape is checked.

Every refusal names its reason precisely, so a form can tell the user what to fix.
"""

from __future__ import annotations

import re
from enum import StrEnum

from core.i18n import _l

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)

# [0-9], not \d: \d also matches other scripts' digits, which no register issues.
_TAX_CODE = re.compile(r"[0-9]{10}")
_BRANCH = re.compile(r"([0-9]{10})-([0-9]{3})")
_PERSONAL_ID = re.compile(r"[0-9]{12}")

# Organisation types that are individuals in tax law; values of linkages' OrgType (kept as
# strings here so this module stays free of model imports).
INDIVIDUAL_TYPES = frozenset({"household_business", "farm_household"})


class CodeKind(StrEnum):
    TAX_CODE = "tax_code"
    BRANCH = "branch"
    PERSONAL_ID = "personal_id"


class InvalidRegistrationCode(ValueError):
    """A refused code. ``reason`` is a translatable message; ``code`` a stable keyword."""

    def __init__(self, code: str, reason: object) -> None:
        super().__init__(str(reason))
        self.code = code
        self.reason = reason


def tax_code_check_digit(body9: str) -> int | None:
    """The check digit of a 9-digit body, or None when the formula gives 10 (no valid code).

    Raises ``ValueError`` if ``body9`` is not exactly nine ASCII digits.
    """
    if len(body9) != 9 or not body9.isascii() or not body9.isdigit():
        raise ValueError("the body of a tax code is exactly 9 digits")
    remainder = sum(int(d) * w for d, w in zip(body9, WEIGHTS, strict=True)) % 11
    check = 10 - remainder
    # remainder 0 gives 10: no single digit, the body is never issued.
    # remainder 10 gives 0 — a valid digit, not a special case.
    return None if check == 10 else check


def code_kind(normalised: str) -> CodeKind:
    """The kind of an already validated, normalised code."""
    if "-" in normalised:
        return CodeKind.BRANCH
    return CodeKind.PERSONAL_ID if len(normalised) == 12 else CodeKind.TAX_CODE


def validate_registration_code(code: str, org_type: object = None) -> str:
    """Return the normalised code (surrounding spaces removed) or raise
    ``InvalidRegistrationCode`` (a ``ValueError``) saying exactly what is wrong.

    ``org_type`` (an ``OrgType`` or its value) decides whether a 12-digit personal ID is
    acceptable: only for household businesses and farm households.
    """
    if not isinstance(code, str):
        raise InvalidRegistrationCode("type", _l("The registration code must be text."))
    value = code.strip()
    if not value:
        raise InvalidRegistrationCode("empty", _l("The registration code is empty."))
    individual = str(getattr(org_type, "value", org_type) or "") in INDIVIDUAL_TYPES

    if _PERSONAL_ID.fullmatch(value):
        if not individual:
            raise InvalidRegistrationCode(
                "personal_id_not_allowed",
                _l(
                    "A 12-digit personal ID is a tax code only for household businesses "
                    "and farm households; an organisation has a 10-digit tax code."
                ),
            )
        return value

    branch = _BRANCH.fullmatch(value)
    body10 = branch.group(1) if branch else value
    if branch and branch.group(2) == "000":
        raise InvalidRegistrationCode(
            "branch_suffix", _l("A branch suffix runs from 001 to 999; 000 is not issued.")
        )
    if not _TAX_CODE.fullmatch(body10):
        raise _shape_error(value)

    expected = tax_code_check_digit(body10[:9])
    if expected is None:
        raise InvalidRegistrationCode(
            "check_digit_10",
            _l("No valid tax code starts with %(body)s (its check digit would be 10).",
               body=body10[:9]),
        )
    if int(body10[9]) != expected:
        raise InvalidRegistrationCode(
            "check_digit",
            _l("Wrong check digit: a tax code starting with %(body)s ends in %(digit)d.",
               body=body10[:9], digit=expected),
        )
    return value


def _shape_error(value: str) -> InvalidRegistrationCode:
    """Why a value that is not ``NNNNNNNNNN[-NNN]`` (nor a personal ID) is refused."""
    if any(ch.isspace() for ch in value):
        return InvalidRegistrationCode(
            "spaces", _l("The registration code must not contain spaces.")
        )
    main, sep, suffix = value.partition("-")
    if not (main.isascii() and main.isdigit()) or (sep and not suffix.isascii()):
        return InvalidRegistrationCode(
            "characters",
            _l("A tax code has only digits, with an optional branch suffix such as -001."),
        )
    if sep:
        if len(main) != 10:
            return InvalidRegistrationCode(
                "length",
                _l("A tax code has 10 digits before the branch suffix, not %(n)d.",
                   n=len(main)),
            )
        return InvalidRegistrationCode(
            "branch_suffix", _l("A branch suffix is a dash and three digits, 001 to 999.")
        )
    return InvalidRegistrationCode(
        "length",
        _l("A tax code has 10 digits (or 12 for a personal ID), not %(n)d.", n=len(main)),
    )
