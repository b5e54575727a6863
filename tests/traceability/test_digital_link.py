"""GS1 keys and Digital Link URIs: what a label carries and what a scan is allowed to mean."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from core.errors import ValidationFailed
from traceability.epcis.hashing import canonical_digital_link
from traceability.gs1 import (
    CSET82,
    DigitalLink,
    build_digital_link,
    build_gln_uri,
    build_party_uri,
    build_platform_uri,
    build_sscc_uri,
    canonical_gs1_uri,
    canonical_uri,
    epc_urn_to_digital_link,
    gs1_check_digit,
    is_valid_gln,
    is_valid_gtin,
    is_valid_sscc,
    is_vietnamese_gtin13,
    normalise_gtin,
    parse_digital_link,
    parse_epc_urn,
    to_epc_urn,
    validate_lot,
    validate_serial,
    yymmdd,
)
from traceability.gs1.epc import EpcKey

BASE = "https://trace.example.vn"
VN_GTIN = "08931234500016"
GLN = "0614141123452"  # GS1 Tag Data Standard example
SSCC = "106141412345678908"  # GS1 Tag Data Standard example
ALL_SYMBOLS = "!\"%&'()*+,-./:;<=>?_"


def refusal(call, *args, **kwargs) -> dict[str, list[str]]:
    """The field errors of a refused call, in English (the msgids) so tests can read them."""
    with force_locale("en"), pytest.raises(ValidationFailed) as exc:
        call(*args, **kwargs)
    return exc.value.field_errors


def _break_check_digit(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


# --------------------------------------------------------------------------- check digits


def test_check_digit_of_the_vietnamese_example_body_is_6() -> None:
    assert gs1_check_digit("0893123450001") == 6


def test_check_digit_refuses_a_body_that_is_not_ascii_digits() -> None:
    with pytest.raises(ValueError):
        gs1_check_digit("089312345000A")
    with pytest.raises(ValueError):
        gs1_check_digit("٠٨٩")  # Arabic-Indic digits pass str.isdigit() but are not GS1


@pytest.mark.parametrize(
    "gtin", ["09506000134352", "09521234543213", "4012345000009", VN_GTIN, "96385074"]
)
def test_gs1_example_gtins_are_valid_and_a_wrong_check_digit_is_not(gtin: str) -> None:
    assert is_valid_gtin(gtin)
    assert not is_valid_gtin(_break_check_digit(gtin))


@pytest.mark.parametrize("value", ["", "0950600013435", "095060001343520", "0950600013435X", None])
def test_gtin_of_wrong_length_or_characters_is_invalid(value: str | None) -> None:
    assert not is_valid_gtin(value)  # type: ignore[arg-type]


def test_gln_and_sscc_check_digits_are_verified() -> None:
    assert is_valid_gln(GLN)
    assert not is_valid_gln(_break_check_digit(GLN))
    assert not is_valid_gln(VN_GTIN)  # 14 digits is not a GLN
    assert is_valid_sscc(SSCC)
    assert not is_valid_sscc(_break_check_digit(SSCC))
    assert not is_valid_sscc(GLN)


@pytest.mark.parametrize(
    ("value", "gtin14"),
    [
        ("96385074", "00000096385074"),  # GTIN-8
        ("036000291452", "00036000291452"),  # GTIN-12 (UPC-A)
        ("4012345000009", "04012345000009"),  # GTIN-13
        ("09506000134352", "09506000134352"),
    ],
)
def test_normalise_gtin_pads_every_gtin_length_to_14_digits(value: str, gtin14: str) -> None:
    assert normalise_gtin(value) == gtin14


def test_normalise_gtin_says_which_check_digit_was_expected() -> None:
    errors = refusal(normalise_gtin, "08931234500017")
    assert list(errors) == ["gtin"]
    assert "6" in errors["gtin"][0]
    assert "digits" in refusal(normalise_gtin, "123")["gtin"][0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("8931234500016", True),
        (VN_GTIN, True),
        ("4012345000009", False),  # German prefix
        ("8931234500017", False),  # bad check digit
        ("1" + VN_GTIN[1:13] + str(gs1_check_digit("1" + VN_GTIN[1:13])), False),  # case GTIN
    ],
)
def test_vietnamese_gtin13_has_prefix_893(value: str, expected: bool) -> None:
    assert is_vietnamese_gtin13(value) is expected


# --------------------------------------------------------------------------- lot and serial


def test_character_set_82_has_exactly_82_characters() -> None:
    assert len(CSET82) == 82
    assert set(ALL_SYMBOLS) <= CSET82


def test_lot_and_serial_take_up_to_20_characters_of_cset82() -> None:
    assert validate_lot("A" * 20) == "A" * 20
    assert validate_serial(ALL_SYMBOLS) == ALL_SYMBOLS
    assert "21" in refusal(validate_lot, "A" * 21)["lot"][0]
    assert list(refusal(validate_serial, "S" * 21)) == ["serial"]
    assert list(refusal(validate_lot, "")) == ["lot"]


@pytest.mark.parametrize("char", [" ", "#", "$", "@", "~", "[", "^", "ô", "Đ"])
def test_a_character_outside_cset82_is_refused_and_named(char: str) -> None:
    message = refusal(validate_lot, f"LOT{char}1")["lot"][0]
    assert repr(char) in message


# --------------------------------------------------------------------------- building


def test_build_writes_the_gtin_as_14_digits_with_qualifiers_in_gs1_order() -> None:
    uri = build_digital_link(BASE, "8931234500016", lot="L1", serial="S1", cpv="V1")
    assert uri == f"{BASE}/01/{VN_GTIN}/22/V1/10/L1/21/S1"


def test_build_normalises_the_base_url() -> None:
    uri = build_digital_link("HTTPS://Trace.Example.VN/dl/", VN_GTIN, lot="L1")
    assert uri == f"{BASE}/dl/01/{VN_GTIN}/10/L1"


@pytest.mark.parametrize(
    "base_url",
    [
        "ftp://trace.example.vn",
        "trace.example.vn",
        "https://x.vn/?a=1",
        "https://u@x.vn",
        "https://x.vn/01",
        "https://x.vn/p",
        "https://x.vn/#top",
        "https://x.vn/8003/dl",  # a key this platform does not read is still a key
        "https://x.vn/giai",
    ],
)
def test_build_refuses_a_base_url_that_could_not_be_read_back(base_url: str) -> None:
    assert list(refusal(build_digital_link, base_url, VN_GTIN)) == ["base_url"]


def test_build_reports_every_faulty_argument_at_once() -> None:
    errors = refusal(
        build_digital_link,
        BASE,
        "08931234500017",
        lot="L" * 21,
        serial="Số 1",
        data_attributes={"7007": "251301"},
    )
    assert set(errors) == {"gtin", "lot", "serial", "7007"}


def test_special_characters_are_percent_encoded_and_round_trip() -> None:
    lot = ALL_SYMBOLS[:20]
    uri = build_digital_link(BASE, VN_GTIN, lot=lot, serial="A/B%20C")
    path = uri.split("?")[0]
    assert path == (
        f"{BASE}/01/{VN_GTIN}/10/%21%22%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F_"
        "/21/A%2FB%2520C"
    )
    link = parse_digital_link(uri)
    assert (link.lot, link.serial) == (lot, "A/B%20C")


def test_data_attributes_go_to_the_query_string_sorted_by_ai() -> None:
    uri = build_digital_link(
        BASE,
        VN_GTIN,
        lot="L1",
        data_attributes={"7007": "250115", "422": "704", "17": "251200", "91": "a&b=c"},
    )
    assert uri == f"{BASE}/01/{VN_GTIN}/10/L1?17=251200&422=704&7007=250115&91=a%26b%3Dc"


@pytest.mark.parametrize(
    ("ai", "value"),
    [
        ("7007", "250115"),
        ("7007", "250101250131"),  # harvest period
        ("17", "251200"),  # day 00: end of the month
        ("3103", "001250"),
        ("7003", "2501151230"),
        ("8008", "25011512"),
    ],
)
def test_valid_data_attributes_are_accepted(ai: str, value: str) -> None:
    link = parse_digital_link(build_digital_link(BASE, VN_GTIN, data_attributes={ai: value}))
    assert link.data_attributes == {ai: value}


@pytest.mark.parametrize(
    ("ai", "value"),
    [
        ("7007", "250100"),  # a harvest date needs a real day
        ("7007", "250230"),
        ("17", "251301"),
        ("17", "2512"),
        ("422", "7040"),
        ("422", "VN"),
        ("7003", "2501152460"),
        ("91", "x" * 91),
    ],
)
def test_malformed_data_attributes_are_refused_on_their_ai(ai: str, value: str) -> None:
    assert list(refusal(build_digital_link, BASE, VN_GTIN, data_attributes={ai: value})) == [ai]


def test_unknown_or_path_ais_are_refused_as_data_attributes() -> None:
    assert list(refusal(build_digital_link, BASE, VN_GTIN, data_attributes={"9999": "1"})) == [
        "9999"
    ]
    assert (
        "path" in refusal(build_digital_link, BASE, VN_GTIN, data_attributes={"10": "L"})["10"][0]
    )


def test_place_party_and_logistic_unit_uris() -> None:
    assert build_gln_uri(BASE, GLN) == f"{BASE}/414/{GLN}"
    assert build_gln_uri(BASE, GLN, extension="PLOT-7") == f"{BASE}/414/{GLN}/254/PLOT-7"
    assert build_party_uri(BASE, GLN) == f"{BASE}/417/{GLN}"
    assert build_sscc_uri(BASE, SSCC) == f"{BASE}/00/{SSCC}"
    assert list(refusal(build_gln_uri, BASE, _break_check_digit(GLN))) == ["gln"]
    assert list(refusal(build_party_uri, BASE, VN_GTIN)) == ["gln"]
    assert list(refusal(build_sscc_uri, BASE, _break_check_digit(SSCC))) == ["sscc"]
    assert list(refusal(build_gln_uri, BASE, GLN, extension="lô 7")) == ["extension"]


def test_parsed_place_party_and_sscc_expose_their_keys() -> None:
    place = parse_digital_link(f"{BASE}/414/{GLN}/254/PLOT-7")
    assert (place.key_ai, place.gln, place.gln_extension) == ("414", GLN, "PLOT-7")
    assert parse_digital_link(f"{BASE}/417/{GLN}").gln == GLN
    assert parse_digital_link(f"{BASE}/00/{SSCC}").sscc == SSCC


def test_yymmdd_formats_dates_for_gs1_date_attributes() -> None:
    assert yymmdd(date(2025, 1, 15)) == "250115"


# --------------------------------------------------------------------------- parsing


# GS1's own example GTINs (../shared/conformance/digital-link/README.md) beside a Vietnamese
# one: a GTIN-14, a GTIN-13 and a GTIN-8, which a URI carries padded to 14 digits.
EXAMPLE_GTINS = {
    "08931234500016": "08931234500016",
    "09506000134352": "09506000134352",
    "09521234543213": "09521234543213",
    "4012345000009": "04012345000009",
    "96385074": "00000096385074",
}


@pytest.mark.parametrize("gtin", list(EXAMPLE_GTINS))
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"lot": "L2025-001"},
        {"serial": "000123"},
        {"lot": "L1", "serial": "S1", "cpv": "1KG"},
        {"lot": ALL_SYMBOLS[:20], "data_attributes": {"7007": "250115", "422": "704"}},
    ],
)
def test_build_parse_build_is_the_identity(gtin: str, kwargs: dict) -> None:
    uri = build_digital_link(BASE, gtin, **kwargs)
    assert uri.startswith(f"{BASE}/01/{EXAMPLE_GTINS[gtin]}")
    link = parse_digital_link(uri)
    assert link.gtin == EXAMPLE_GTINS[gtin]
    assert link.to_uri() == uri
    again = build_digital_link(
        link.base,
        link.gtin,
        lot=link.lot,
        serial=link.serial,
        cpv=link.cpv,
        data_attributes=link.data_attributes,
    )
    assert again == uri


# The GS1 Digital Link standard's example of a serialised item of a lot with an expiry date
# (its "https://id.gs1.org/gtin/614141123452/lot/ABC1/ser/12345?exp=180426" in numeric AIs).
GS1_EXAMPLE_URI = "https://id.gs1.org/01/00614141123452/10/ABC1/21/12345?17=180426"


def test_gs1_s_example_uri_with_lot_and_serial_round_trips() -> None:
    link = parse_digital_link(GS1_EXAMPLE_URI)
    assert (link.base, link.gtin, link.lot, link.serial) == (
        "https://id.gs1.org", "00614141123452", "ABC1", "12345")
    assert link.data_attributes == {"17": "180426"}
    assert link.to_uri() == GS1_EXAMPLE_URI
    again = build_digital_link(
        link.base, link.gtin, lot=link.lot, serial=link.serial, cpv=link.cpv,
        data_attributes=link.data_attributes,
    )
    assert again == GS1_EXAMPLE_URI


def test_parse_returns_key_qualifiers_in_order_and_attributes() -> None:
    link = parse_digital_link(
        f"{BASE}/dl/01/{VN_GTIN}/10/L1/21/S1?7007=250115&linkType=gs1:traceability"
    )
    assert link == DigitalLink(
        base=f"{BASE}/dl",
        key_ai="01",
        key_value=VN_GTIN,
        qualifiers=(("10", "L1"), ("21", "S1")),
        data_attributes={"7007": "250115"},
        extra_params=(("linkType", "gs1:traceability"),),
    )
    assert (link.gtin, link.lot, link.serial, link.cpv) == (VN_GTIN, "L1", "S1", None)


def test_parse_accepts_raw_sub_delimiters_and_lower_case_escapes() -> None:
    link = parse_digital_link(f"{BASE}/01/{VN_GTIN}/10/A+B(1)/21/x%2fy")
    assert (link.lot, link.serial) == ("A+B(1)", "x/y")


def test_parse_accepts_gs1_short_names_and_zero_suppressed_gtins() -> None:
    link = parse_digital_link(f"{BASE}/gtin/8931234500016/lot/L1/ser/S1")
    assert link.to_uri() == f"{BASE}/01/{VN_GTIN}/10/L1/21/S1"


def test_parse_accepts_upper_case_scheme_and_host_as_in_qr_alphanumeric_mode() -> None:
    link = parse_digital_link(f"HTTPS://TRACE.EXAMPLE.VN/01/{VN_GTIN}/10/L1/")
    assert link.base == BASE


@pytest.mark.parametrize(
    ("uri", "field"),
    [
        (f"{BASE}/01/{VN_GTIN}/21/S1/10/L1", "10"),  # serial before lot
        (f"{BASE}/01/{VN_GTIN}/10/L1/22/V1", "22"),  # lot before CPV
        (f"{BASE}/01/{VN_GTIN}/10/L1/10/L2", "10"),  # duplicate
        (f"{BASE}/01/{VN_GTIN}/10/L1/21/S1/10/L2", "10"),  # duplicate, not adjacent
        (f"{BASE}/01/08931234500017/10/L1", "01"),  # check digit
        (f"{BASE}/01/8931234500017/10/L1", "01"),  # GTIN-13 with a bad check digit
        (f"{BASE}/01/89312345000/10/L1", "01"),  # 11 digits
        (f"{BASE}/414/{_break_check_digit(GLN)}", "414"),
        (f"{BASE}/00/{SSCC[:-1]}", "00"),
        (f"{BASE}/01/{VN_GTIN}/10/{'L' * 21}", "10"),
        (f"{BASE}/01/{VN_GTIN}/21/S%231", "21"),  # '#' is not in CSET 82
        (f"{BASE}/01/{VN_GTIN}/10/L%C3%B4", "10"),  # 'ô'
        (f"{BASE}/01/{VN_GTIN}/17/250101", "17"),  # data attribute in the path
        (f"{BASE}/01/{VN_GTIN}/254/X", "254"),  # qualifier of another key
        (f"{BASE}/01/{VN_GTIN}?21=S1", "21"),  # qualifier in the query
        (f"{BASE}/01/{VN_GTIN}?17=251301", "17"),
        (f"{BASE}/01/{VN_GTIN}?17=251201&17=251202", "17"),
        (f"{BASE}/01/{VN_GTIN}/99x/abc", "uri"),  # unknown AI
        (f"{BASE}/01/{VN_GTIN}/foo/abc", "uri"),
        (f"{BASE}/01/{VN_GTIN}?9999=1", "uri"),  # unknown AI in the query
        (f"{BASE}/01/{VN_GTIN}/10", "uri"),  # AI without value
        (f"{BASE}/01/{VN_GTIN}//10/L1", "uri"),
        (f"{BASE}/8004/0614141ABC", "uri"),  # GIAI: not supported
        (f"{BASE}/products/42", "uri"),
        (f"{BASE}/01/{VN_GTIN}/00/{SSCC}", "uri"),  # two primary keys
        (f"{BASE}/01/{VN_GTIN}/10/L%2", "uri"),  # broken escape
        (f"{BASE}/01/{VN_GTIN}/10/L 1", "uri"),  # raw space
        (f"ftp://trace.example.vn/01/{VN_GTIN}", "uri"),
        (f"javascript://trace.example.vn/01/{VN_GTIN}", "uri"),
        ("urn:epc:class:lgtin:4012345.012345.998877", "uri"),
        (f"https://trace.example.vn@evil.example/01/{VN_GTIN}", "uri"),
        (f"{BASE}/01/{VN_GTIN}/10/" + "L" * 3000, "uri"),
        ("", "uri"),
    ],
)
def test_parse_refuses_with_a_precise_field(uri: str, field: str) -> None:
    errors = refusal(parse_digital_link, uri)
    assert list(errors) == [field]
    assert errors[field][0]


def test_out_of_order_refusal_names_the_required_order() -> None:
    message = refusal(parse_digital_link, f"{BASE}/01/{VN_GTIN}/21/S1/10/L1")["10"][0]
    assert "22 → 10 → 21" in message


def test_unknown_ai_refusal_names_it() -> None:
    assert "foo" in refusal(parse_digital_link, f"{BASE}/01/{VN_GTIN}/foo/a")["uri"][0]


# --------------------------------------------------------------------------- platform URIs


def test_platform_uri_has_the_gs1_shape_under_a_non_gs1_key() -> None:
    uri = build_platform_uri(
        BASE, "HTX01-XOAI", lot="L1", serial="S1", data_attributes={"7007": "250115"}
    )
    assert uri == f"{BASE}/p/HTX01-XOAI/10/L1/21/S1?7007=250115"
    link = parse_digital_link(uri)
    assert link.is_platform
    assert (link.product_ref, link.gtin, link.lot, link.serial) == ("HTX01-XOAI", None, "L1", "S1")
    assert link.to_uri() == uri


def test_platform_reference_that_looks_like_a_gtin_is_not_read_as_one() -> None:
    link = parse_digital_link(build_platform_uri(BASE, VN_GTIN, lot="01"))
    assert link.is_platform and link.gtin is None
    assert link.product_ref == VN_GTIN


def test_switching_a_platform_product_to_a_gtin_keeps_lot_serial_and_attributes() -> None:
    kwargs = {"lot": "L1", "serial": "S1", "data_attributes": {"422": "704"}}
    before = parse_digital_link(build_platform_uri(BASE, "HTX01-XOAI", **kwargs))
    after = parse_digital_link(build_digital_link(BASE, VN_GTIN, **kwargs))
    assert (before.qualifiers, before.data_attributes) == (after.qualifiers, after.data_attributes)


def test_platform_uri_refuses_gs1_only_qualifiers_and_bad_references() -> None:
    assert list(refusal(parse_digital_link, f"{BASE}/p/REF/22/V1")) == ["22"]
    assert list(refusal(build_platform_uri, BASE, "a" * 41)) == ["product_ref"]
    assert list(refusal(build_platform_uri, BASE, "xoài")) == ["product_ref"]


def test_a_foreign_path_prefix_named_p_does_not_hide_a_gtin() -> None:
    link = parse_digital_link(f"https://brand.example/p/x/01/{VN_GTIN}")
    assert (link.base, link.gtin) == ("https://brand.example/p/x", VN_GTIN)


# --------------------------------------------------------------------------- canonical forms


def test_canonical_gs1_uri_keeps_the_finest_identifier_and_drops_the_query() -> None:
    uri = f"{BASE}/01/{VN_GTIN}/22/V1/10/L1/21/S1?17=251231&linkType=gs1:pip"
    assert canonical_gs1_uri(uri) == f"https://id.gs1.org/01/{VN_GTIN}/21/S1"
    assert canonical_gs1_uri(f"{BASE}/01/{VN_GTIN}/22/V1/10/L%2F1") == (
        f"https://id.gs1.org/01/{VN_GTIN}/10/L%2F1"
    )
    assert canonical_gs1_uri(uri, all_qualifiers=True) == (
        f"https://id.gs1.org/01/{VN_GTIN}/22/V1/10/L1/21/S1"
    )
    assert canonical_gs1_uri(parse_digital_link(f"{BASE}/414/{GLN}/254/P7")) == (
        f"https://id.gs1.org/414/{GLN}/254/P7"
    )


def test_two_spellings_of_one_lot_have_one_canonical_uri() -> None:
    a = canonical_gs1_uri("http://other.example/gtin/8931234500016/lot/A+B")
    b = canonical_gs1_uri(build_digital_link(BASE, VN_GTIN, lot="A+B"))
    assert a == b == f"https://id.gs1.org/01/{VN_GTIN}/10/A%2BB"


def test_platform_identifiers_have_no_gs1_form_but_a_canonical_platform_uri() -> None:
    uri = build_platform_uri(BASE, "REF", lot="L1", serial="S1", data_attributes={"422": "704"})
    assert list(refusal(canonical_gs1_uri, uri)) == ["uri"]
    assert canonical_uri(uri) == f"{BASE}/p/REF/21/S1"
    assert canonical_uri(f"{BASE}/01/{VN_GTIN}/10/L1") == f"https://id.gs1.org/01/{VN_GTIN}/10/L1"


# --------------------------------------------------------------------------- EPC URNs


@pytest.mark.parametrize(
    ("urn", "canonical"),
    [
        ("urn:epc:id:sgtin:0614141.812345.6789", "/01/80614141123458/21/6789"),
        ("urn:epc:id:sgtin:8931234.050001.S%2F1", f"/01/{VN_GTIN}/21/S%2F1"),
        ("urn:epc:class:lgtin:4012345.012345.998877", "/01/04012345123456/10/998877"),
        ("urn:epc:id:sscc:0614141.1234567890", f"/00/{SSCC}"),
        ("urn:epc:id:sgln:0614141.12345.400", f"/414/{GLN}/254/400"),
        ("urn:epc:id:sgln:0614141.12345.0", f"/414/{GLN}"),
        ("urn:epc:id:pgln:0614141.12345", f"/417/{GLN}"),
        ("urn:epc:idpat:sgtin:8931234.050001.*", f"/01/{VN_GTIN}"),
    ],
)
def test_epc_urns_convert_to_canonical_digital_links(urn: str, canonical: str) -> None:
    link = epc_urn_to_digital_link(urn)
    assert link.to_uri() == f"https://id.gs1.org{canonical}"
    assert to_epc_urn(link, len(urn.split(":")[4].split(".")[0])) == urn
    # One EPC table serves the event hash too: the same key, in the hash's spelling.
    assert canonical_digital_link(urn) == link.to_uri()


def test_the_event_hash_reads_every_gs1_key_the_epc_table_knows() -> None:
    assert parse_epc_urn("urn:epc:id:grai:0614141.12345.400") == EpcKey("8003", "00614141123452400")
    assert parse_epc_urn("urn:epc:id:cpi:0614141.5PQ7%2FZ43.12345") == EpcKey(
        "8010", "06141415PQ7%2FZ43", (("8011", "12345"),)
    )
    assert parse_epc_urn("urn:epc:id:sgtin:0614141.81234.6789") is None  # 12 digits, not 13
    assert parse_epc_urn("urn:epc:id:foo:0614141.1") is None


def test_epc_urn_conversion_refuses_what_it_cannot_read() -> None:
    assert list(refusal(epc_urn_to_digital_link, "urn:epc:id:sgtin:0614141.81234.6789")) == ["uri"]
    assert list(refusal(epc_urn_to_digital_link, "urn:epc:id:giai:0614141.A1")) == ["uri"]
    assert list(refusal(to_epc_urn, f"{BASE}/p/REF", 7)) == ["uri"]
    assert list(refusal(to_epc_urn, f"{BASE}/01/{VN_GTIN}", 5)) == ["company_prefix_length"]


def test_a_bare_gtin_becomes_an_epc_pattern() -> None:
    assert to_epc_urn(f"{BASE}/01/{VN_GTIN}", 7) == "urn:epc:idpat:sgtin:8931234.050001.*"
