"""Registration codes: the tax code (MST) check digit, branch suffixes and personal IDs."""

from __future__ import annotations

import pytest

from linkages.models.organisations import OrgType
from linkages.taxcode import (
    CodeKind,
    InvalidRegistrationCode,
    code_kind,
    tax_code_check_digit,
    validate_registration_code,
)

# Checksum-valid codes, computed by hand with weights 31,29,23,19,17,13,7,5,3:
# 0100109106: 29 + 17 + 63 + 5 = 114, 114 mod 11 = 4, 10 - 4 = 6.
VALID = ["0100109106", "0309876547", "7901112223", "0101234565"]


def _reason(code: str, org_type: object = OrgType.HTX) -> str:
    with pytest.raises(InvalidRegistrationCode) as info:
        validate_registration_code(code, org_type)
    assert isinstance(info.value, ValueError)
    return info.value.code


@pytest.mark.parametrize("code", VALID)
def test_valid_tax_codes_are_accepted_unchanged(code):
    assert validate_registration_code(code, OrgType.HTX) == code
    assert code_kind(code) == CodeKind.TAX_CODE


def test_check_digit_follows_the_weighted_sum_formula():
    assert tax_code_check_digit("010010910") == 6
    assert tax_code_check_digit("030987654") == 7


def test_remainder_ten_gives_check_digit_zero():
    # 010000001: 29 + 3 = 32, 32 mod 11 = 10, 10 - 10 = 0: a valid code ending in 0.
    assert tax_code_check_digit("010000001") == 0
    assert validate_registration_code("0100000010", OrgType.DN) == "0100000010"


def test_body_whose_check_digit_would_be_ten_has_no_valid_code():
    # 010000005: 29 + 15 = 44, 44 mod 11 = 0, 10 - 0 = 10: not a digit.
    assert tax_code_check_digit("010000005") is None
    for last in "0123456789":
        assert _reason("010000005" + last) == "check_digit_10"


def test_check_digit_body_must_be_nine_ascii_digits():
    for bad in ("01001091", "0100109100", "01001091a", "０１００１０９１０"):
        with pytest.raises(ValueError):
            tax_code_check_digit(bad)


def test_surrounding_spaces_are_trimmed():
    assert validate_registration_code("  0100109106\t", OrgType.HTX) == "0100109106"


def test_branch_suffix_001_to_999_is_accepted():
    assert validate_registration_code("0100109106-001", OrgType.HTX) == "0100109106-001"
    assert validate_registration_code("0100109106-999", OrgType.DN) == "0100109106-999"
    assert code_kind("0100109106-001") == CodeKind.BRANCH


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("0100109107", "check_digit"),  # wrong check digit
        ("010010910", "length"),  # 9 digits
        ("01001091066", "length"),  # 11 digits
        ("01001O9106", "characters"),  # a letter O for a zero
        ("0100 109106", "spaces"),
        ("", "empty"),
        ("   ", "empty"),
        ("0100109106-000", "branch_suffix"),
        ("0100109106-01", "branch_suffix"),
        ("0100109106-0001", "branch_suffix"),
        ("0100109106-", "branch_suffix"),
        ("0100109107-001", "check_digit"),  # branch of an invalid code
        ("010010910-001", "length"),
        ("0100109106/001", "characters"),
        ("０１００１０９１０６", "characters"),  # full-width digits
    ],
)
def test_invalid_codes_are_refused_with_a_precise_reason(code, reason):
    assert _reason(code) == reason


def test_refusal_message_names_the_expected_check_digit(app):
    with pytest.raises(InvalidRegistrationCode) as info:
        validate_registration_code("0100109107", OrgType.HTX)
    assert "6" in str(info.value.reason)


def test_twelve_digit_personal_id_is_refused_for_a_cooperative():
    assert _reason("001203004567", OrgType.HTX) == "personal_id_not_allowed"
    assert _reason("001203004567", OrgType.DN) == "personal_id_not_allowed"
    assert _reason("001203004567", None) == "personal_id_not_allowed"


@pytest.mark.parametrize("org_type", [OrgType.HOUSEHOLD_BUSINESS, OrgType.FARM_HOUSEHOLD])
def test_twelve_digit_personal_id_is_accepted_for_households(org_type):
    assert validate_registration_code(" 001203004567 ", org_type) == "001203004567"
    assert validate_registration_code("001203004567", org_type.value) == "001203004567"
    assert code_kind("001203004567") == CodeKind.PERSONAL_ID


def test_households_may_also_have_a_ten_digit_tax_code():
    assert validate_registration_code("0100109106", OrgType.FARM_HOUSEHOLD) == "0100109106"


def test_a_non_string_is_refused():
    assert _reason(100109106) == "type"  # type: ignore[arg-type]
