"""GS1 identifiers (GTIN, GLN, SSCC and the other keys), the AI table, GS1 Digital Link URIs
(ISO/IEC 18975) and EPC URNs, pure Python.

Everything here is a pure function of its arguments: no database, no Flask request.

- ``keys``: the check digit (the code base's only one) and GTIN/GLN/SSCC validation.
- ``ai``: the Application Identifier table (primary keys and their qualifiers, data
  attributes, formats, short names) and the checks of lot, serial and attribute values.
- ``digital_link``: the parsed form ``DigitalLink``, the builders, the parser, percent-encoding
  and the canonical URIs (its docstring holds the decisions on encoding, short names, GTIN
  lengths, platform URIs and errors).
- ``epc``: EPC URNs <-> Digital Link, one scheme table serving ``epc_urn_to_digital_link``,
  ``to_epc_urn`` and the EPCIS event hash's canonicalisation.

The EPCIS event hash (``traceability.epcis.hashing``) renders identifiers as the reference
implementation does, which differs from ``canonical_uri`` in percent-encoding; it takes its
keys, short names and EPC conversion from here.
"""

from traceability.gs1.ai import (
    CSET82,
    DATA_ATTRIBUTE_AIS,
    validate_lot,
    validate_serial,
    yymmdd,
)
from traceability.gs1.digital_link import (
    CANONICAL_BASE,
    PLATFORM_KEY,
    DigitalLink,
    build_digital_link,
    build_gln_uri,
    build_party_uri,
    build_platform_uri,
    build_sscc_uri,
    canonical_gs1_uri,
    canonical_uri,
    parse_digital_link,
)
from traceability.gs1.epc import epc_urn_to_digital_link, parse_epc_urn, to_epc_urn
from traceability.gs1.keys import (
    gs1_check_digit,
    is_valid_gln,
    is_valid_gtin,
    is_valid_sscc,
    is_vietnamese_gtin13,
    normalise_gtin,
)

__all__ = [
    "CANONICAL_BASE",
    "CSET82",
    "DATA_ATTRIBUTE_AIS",
    "PLATFORM_KEY",
    "DigitalLink",
    "build_digital_link",
    "build_gln_uri",
    "build_party_uri",
    "build_platform_uri",
    "build_sscc_uri",
    "canonical_gs1_uri",
    "canonical_uri",
    "epc_urn_to_digital_link",
    "gs1_check_digit",
    "is_valid_gln",
    "is_valid_gtin",
    "is_valid_sscc",
    "is_vietnamese_gtin13",
    "normalise_gtin",
    "parse_digital_link",
    "parse_epc_urn",
    "to_epc_urn",
    "validate_lot",
    "validate_serial",
    "yymmdd",
]
