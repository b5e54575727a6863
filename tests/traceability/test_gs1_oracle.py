"""``traceability.gs1`` against an independent implementation: the PyPI package ``biip``.

biip is a test-only oracle (a dev dependency): for random keys, lots, serials and data
attributes, both compute the same check digits, and every URI our builders produce reads, in
biip's GS1 Digital Link parser and in ours, as the same GS1 element strings.

Where biip is not a valid oracle, the strategies say why:

- biip reads a 12-digit harvest date range (AI 7007, ``YYMMDDYYMMDD``, GS1 General
  Specifications 3.8.x) as a date followed by a time of day, and so refuses most ranges;
  such URIs are read with biip's date check switched off.
- biip finds the primary key by dropping path segments from the left until one is a key
  code, where our parser reads the path from the right. Our builders refuse a base path
  holding any primary key (``/8003``), so that both find the key we wrote.
"""

from __future__ import annotations

from datetime import date

import pytest
from biip import ParseConfig, ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gln import Gln
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gtin import Gtin
from biip.sscc import Sscc
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.errors import ValidationFailed
from traceability.gs1 import (
    CSET82,
    DigitalLink,
    build_digital_link,
    build_gln_uri,
    build_party_uri,
    build_platform_uri,
    build_sscc_uri,
    canonical_gs1_uri,
    epc_urn_to_digital_link,
    gs1_check_digit,
    is_valid_gln,
    is_valid_gtin,
    is_valid_sscc,
    parse_digital_link,
    to_epc_urn,
    yymmdd,
)
from traceability.gs1.keys import with_check_digit

oracle = settings(max_examples=200, deadline=None, derandomize=True, database=None)

BASES = ["https://id.gs1.org", "https://trace.example.vn", "http://qr.htx.vn:8080/dl/v1"]
NO_DATE_CHECK = ParseConfig(gs1_element_strings_verify_date=False)

digits = st.text(alphabet="0123456789", min_size=1, max_size=40)


def keys(length: int) -> st.SearchStrategy[str]:
    """Valid keys of ``length`` digits (the check digit is ours; biip checks it)."""
    body = st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1)
    return body.map(with_check_digit)


_SYMBOLS = sorted(c for c in CSET82 if not c.isalnum())
_ALNUM = sorted(c for c in CSET82 if c.isalnum())


def cset82(max_size: int) -> st.SearchStrategy[str]:
    """Values of GS1 character set 82, half of their characters symbols (``/ % ? & +``…)."""
    alphabet = st.one_of(st.sampled_from(_SYMBOLS), st.sampled_from(_ALNUM))
    return st.text(alphabet=alphabet, min_size=1, max_size=max_size)


gtins = st.sampled_from([8, 12, 13, 14]).flatmap(keys)
glns = keys(13)
ssccs = keys(18)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2049, 12, 31)).map(yymmdd)
# 11-17 may say "end of the month" with day 00.
month_ends = days.map(lambda d: d[:4] + "00")
hours = st.integers(0, 23).map("{:02d}".format)
minutes = st.integers(0, 59).map("{:02d}".format)
countries = st.integers(0, 999).map("{:03d}".format)
# Each data attribute with values of its GS1 format.
ATTRIBUTES: dict[str, st.SearchStrategy[str]] = {
    **{ai: st.one_of(days, month_ends) for ai in ("11", "12", "13", "15", "16", "17")},
    "20": st.integers(0, 99).map("{:02d}".format),
    "30": st.integers(0, 99_999_999).map(str),
    "37": st.integers(0, 99_999_999).map(str),
    "3103": st.integers(0, 999_999).map("{:06d}".format),
    "400": cset82(30),
    "422": countries,
    "423": st.lists(countries, min_size=1, max_size=5).map("".join),
    "7003": st.tuples(days, hours, minutes).map("".join),
    "7006": days,
    "7007": st.one_of(days, st.tuples(days, days).map("".join)),
    "7008": cset82(3),
    "7010": cset82(2),
    "8008": st.tuples(days, hours, st.sampled_from(["", "00", "3059"])).map("".join),
    "90": cset82(30),
    "91": cset82(90),
}
attributes = st.dictionaries(st.sampled_from(sorted(ATTRIBUTES)), st.just(""), max_size=4).flatmap(
    lambda chosen: st.fixed_dictionaries({ai: ATTRIBUTES[ai] for ai in chosen})
)
optional_value = st.none() | cset82(20)


def biip_elements(uri: str, data_attributes: dict[str, str]) -> dict[str, str]:
    """The element strings biip reads in ``uri``, by AI; its key checks must pass."""
    date_range = len(data_attributes.get("7007", "")) == 12
    parsed = GS1DigitalLinkURI.parse(uri, config=NO_DATE_CHECK if date_range else None)
    for element in parsed.element_strings:
        assert element.gtin_error is None and element.gln_error is None
        assert element.sscc_error is None
    elements = {element.ai.ai: element.value for element in parsed.element_strings}
    assert len(elements) == len(parsed.element_strings)  # no AI twice
    return elements


def our_elements(link: DigitalLink) -> dict[str, str]:
    return {link.key_ai: link.key_value, **dict(link.qualifiers), **link.data_attributes}


def both_read(uri: str, expected: dict[str, str], data_attributes: dict[str, str]) -> None:
    assert biip_elements(uri, data_attributes) == expected
    assert our_elements(parse_digital_link(uri)) == expected


# --------------------------------------------------------------------------- check digits


@oracle
@given(digits)
def test_the_check_digit_is_biips(body: str) -> None:
    assert gs1_check_digit(body) == gs1_standard_check_digit(body)


@oracle
@given(
    st.sampled_from([8, 12, 13, 14]).flatmap(
        lambda n: st.text("0123456789", min_size=n, max_size=n)
    )
)
def test_a_gtin_is_valid_exactly_when_biip_reads_it(value: str) -> None:
    try:
        Gtin.parse(value)
    except ParseError:
        assert not is_valid_gtin(value)
    else:
        assert is_valid_gtin(value)


@oracle
@given(
    st.text("0123456789", min_size=13, max_size=13), st.text("0123456789", min_size=18, max_size=18)
)
def test_a_gln_or_sscc_is_valid_exactly_when_biip_reads_it(gln: str, sscc: str) -> None:
    for value, ours, theirs in ((gln, is_valid_gln, Gln.parse), (sscc, is_valid_sscc, Sscc.parse)):
        try:
            theirs(value)
        except ParseError:
            assert not ours(value)
        else:
            assert ours(value)


# --------------------------------------------------------------------------- Digital Link URIs


@oracle
@given(st.sampled_from(BASES), gtins, optional_value, optional_value, optional_value, attributes)
def test_every_trade_item_uri_reads_the_same_in_biip(
    base: str,
    gtin: str,
    cpv: str | None,
    lot: str | None,
    serial: str | None,
    data_attributes: dict[str, str],
) -> None:
    uri = build_digital_link(
        base, gtin, lot=lot, serial=serial, cpv=cpv, data_attributes=data_attributes
    )
    qualifiers = {ai: v for ai, v in (("22", cpv), ("10", lot), ("21", serial)) if v is not None}
    both_read(uri, {"01": gtin.zfill(14), **qualifiers, **data_attributes}, data_attributes)
    # The canonical form keeps every qualifier when asked, and biip reads it the same.
    canonical = canonical_gs1_uri(uri, all_qualifiers=True)
    assert canonical == GS1DigitalLinkURI.parse(canonical).as_canonical_uri()
    both_read(canonical, {"01": gtin.zfill(14), **qualifiers}, {})


@oracle
@given(st.sampled_from(BASES), glns, optional_value, attributes)
def test_every_place_uri_reads_the_same_in_biip(
    base: str, gln: str, extension: str | None, data_attributes: dict[str, str]
) -> None:
    uri = build_gln_uri(base, gln, extension, data_attributes)
    expected = {"414": gln, **({"254": extension} if extension else {}), **data_attributes}
    both_read(uri, expected, data_attributes)


@oracle
@given(st.sampled_from(BASES), glns, ssccs, attributes)
def test_every_party_and_logistic_unit_uri_reads_the_same_in_biip(
    base: str, gln: str, sscc: str, data_attributes: dict[str, str]
) -> None:
    both_read(build_party_uri(base, gln), {"417": gln}, {})
    both_read(
        build_sscc_uri(base, sscc, data_attributes),
        {"00": sscc, **data_attributes},
        data_attributes,
    )


@oracle
@given(st.sampled_from(BASES), cset82(40), optional_value, optional_value)
def test_biip_finds_no_gs1_key_in_a_platform_uri(
    base: str, product_ref: str, lot: str | None, serial: str | None
) -> None:
    uri = build_platform_uri(base, product_ref, lot=lot, serial=serial)
    with pytest.raises(ParseError):
        GS1DigitalLinkURI.parse(uri)
    assert parse_digital_link(uri).product_ref == product_ref


base_paths = st.lists(
    st.one_of(
        st.sampled_from(["dl", "qr", "v1", "p", "gtin", "8003", "253", "10", "21", "00", "lot"]),
        st.from_regex(r"[a-z0-9\-]{1,8}", fullmatch=True),
    ),
    max_size=3,
).map(lambda segments: "".join(f"/{s}" for s in segments))


@oracle
@given(base_paths, gtins, optional_value)
def test_a_base_path_the_builder_accepts_reads_the_same_in_biip(
    path: str, gtin: str, lot: str | None
) -> None:
    try:
        uri = build_digital_link(f"https://brand.example{path}", gtin, lot=lot)
    except ValidationFailed as exc:
        assert list(exc.field_errors) == ["base_url"]
        assume(False)
    both_read(uri, {"01": gtin.zfill(14), **({"10": lot} if lot else {})}, {})


# Characters a path segment may carry raw (RFC 3986 pchar less unreserved), which another
# system may leave unescaped: both parsers must read them the same.
_RAW_OK = set("!$&'()*+,;=:@")


@oracle
@given(gtins, cset82(20), cset82(20), st.randoms(use_true_random=False))
def test_other_spellings_of_a_uri_read_the_same_in_biip(
    gtin: str, lot: str, serial: str, rnd
) -> None:
    def spell(value: str) -> str:
        out = []
        for c in value:
            if c.isalnum() or c in "-._~" or (c in _RAW_OK and rnd.random() < 0.5):
                out.append(c)
            else:
                out.append(f"%{ord(c):02x}" if rnd.random() < 0.5 else f"%{ord(c):02X}")
        return "".join(out)

    short = gtin.lstrip("0") if len(gtin.lstrip("0")) in (8, 12, 13) else gtin
    uri = f"https://example.com/01/{short}/10/{spell(lot)}/21/{spell(serial)}"
    both_read(uri, {"01": gtin.zfill(14), "10": lot, "21": serial}, {})


# --------------------------------------------------------------------------- EPC URNs


@oracle
@given(gtins, st.integers(6, 12), optional_value, optional_value)
def test_epc_urns_round_trip_to_a_uri_biip_reads(
    gtin: str, prefix_length: int, lot: str | None, serial: str | None
) -> None:
    link = parse_digital_link(build_digital_link(BASES[0], gtin, lot=lot, serial=serial))
    urn = to_epc_urn(link, prefix_length)
    back = epc_urn_to_digital_link(urn)
    finest = {"21": serial} if serial else {"10": lot} if lot else {}
    both_read(back.to_uri(), {"01": gtin.zfill(14), **finest}, {})
    assert to_epc_urn(back, prefix_length) == urn
