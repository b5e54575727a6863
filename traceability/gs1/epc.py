"""EPC URNs (GS1 Tag Data Standard 2.0) and GS1 Digital Link: one table, both directions.

``parse_epc_urn`` reads every EPC URN that names a GS1 key — SGTIN, SSCC, SGLN, GRAI, GIAI,
GSRN, GSRNP, GDTI, CPI, SGCN, GINC, GSIN, ITIP, UPUI, PGLN, the LGTIN class and the pattern
URNs that select a class (reduced to the class, the finest level they name) — into the key
and qualifiers of its Digital Link. The EPCIS event hash renders that as the constrained
canonical Digital Link; ``epc_urn_to_digital_link`` gives the ``DigitalLink`` of the keys this
platform handles (SGTIN, LGTIN, the SGTIN pattern, SSCC, SGLN, PGLN).

The other way needs the company prefix length, which the URN carries and the Digital Link does
not (the platform does not know it for foreign keys), so ``to_epc_urn`` takes it as an
argument.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote

from core.i18n import _, _l
from traceability.gs1.ai import GLN, GLN_EXTENSION, GTIN, LOT, PARTY_GLN, SERIAL, SSCC
from traceability.gs1.digital_link import (
    CANONICAL_BASE,
    PATH_KEYS,
    DigitalLink,
    as_link,
    finest_qualifiers,
    refusal,
    value_problem,
)
from traceability.gs1.keys import with_check_digit

__all__ = ["EpcKey", "epc_urn_to_digital_link", "parse_epc_urn", "to_epc_urn"]


class EpcKey(NamedTuple):  # a tuple: the event hash builds one per new identifier
    """The GS1 key an EPC URN names, as Digital Link parts.

    Values are as written in the URN: its percent-escapes (``%2F``) are kept, so that the
    event hash can render them exactly as the reference implementation does.
    """

    key_ai: str
    key_value: str
    qualifiers: tuple[tuple[str, str], ...] = ()


# One character of an EPC URI serial/lot/asset component (TDS 2.0 "GS3A3" escapes): exactly
# the 82 characters of CSET 82, some of them escaped.
_X = (
    r"(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]"
    r"|[!')(*+,.0-9:;=A-Za-z_-])"
)
# One character of a CPI component part reference.
_CP = r"(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])"
_GCP = r"(\d{6,12})"


def _units(component: str) -> int:
    """Length of a URI component counting each %xx escape as one character."""
    return len(component) - 2 * component.count("%")


# How a key's digits are laid out from the URN's company prefix and reference, and back.
def _indicator_first(gcp: str, ref: str) -> str:
    # GTIN, SSCC: the indicator / extension digit first, then the company prefix, the rest of
    # the reference and the check digit.
    return with_check_digit(ref[0] + gcp + ref[1:])


def _prefix_first(gcp: str, ref: str) -> str:
    return with_check_digit(gcp + ref)  # GLN, GSRN, GSIN, GDTI, GCN


def _grai(gcp: str, ref: str) -> str:
    return with_check_digit("0" + gcp + ref)  # a GRAI is written with a leading 0


def _as_written(gcp: str, ref: str) -> str:
    return gcp + ref  # GIAI, GINC, CPID: no check digit


_APPEND = "+"  # a component appended to the key value (GRAI serial, GDTI serial, ITIP pieces)


@dataclass(frozen=True, slots=True)
class _Scheme:
    pattern: re.Pattern[str]  # (company prefix)(reference)(components…) after the scheme name
    key_ai: str
    layout: Callable[[str, str], str]
    size: int  # company prefix + reference: exactly this many digits, at most (as written)
    components: tuple[str, ...] = ()  # what each further component is: an AI or _APPEND

    def fits(self, gcp: str, ref: str) -> bool:
        if self.layout is _as_written:
            return len(gcp) + _units(ref) <= self.size
        return len(gcp) + len(ref) == self.size


def _s(
    pattern: str,
    key_ai: str,
    layout: Callable[[str, str], str],
    size: int,
    *components: str,
) -> _Scheme:
    return _Scheme(re.compile(_GCP + r"\." + pattern), key_ai, layout, size, components)


# "urn:epc:<head>:<scheme>:" -> how to read the rest.
_SCHEMES: dict[str, _Scheme] = {
    "id:sgtin": _s(rf"(\d{{1,7}})\.({_X}{{1,20}})", GTIN, _indicator_first, 13, SERIAL),
    "id:sscc": _s(r"(\d{5,11})", SSCC, _indicator_first, 17),
    "id:sgln": _s(rf"(\d{{0,6}})\.({_X}{{1,20}})", GLN, _prefix_first, 12, GLN_EXTENSION),
    "id:grai": _s(rf"(\d{{0,6}})\.({_X}{{1,16}})", "8003", _grai, 12, _APPEND),
    "id:giai": _s(rf"({_X}{{1,24}})", "8004", _as_written, 30),
    "id:gsrn": _s(r"(\d{5,11})", "8018", _prefix_first, 17),
    "id:gsrnp": _s(r"(\d{5,11})", "8017", _prefix_first, 17),
    "id:gdti": _s(rf"(\d{{0,6}})\.({_X}{{0,19}})", "253", _prefix_first, 12, _APPEND),
    "id:cpi": _s(rf"({_CP}{{1,24}})\.(\d{{1,12}})", "8010", _as_written, 30, "8011"),
    "id:sgcn": _s(r"(\d{0,6})\.(\d{1,12})", "255", _prefix_first, 12, _APPEND),
    "id:ginc": _s(rf"({_X}{{1,24}})", "401", _as_written, 30),
    "id:gsin": _s(r"(\d{4,10})", "402", _prefix_first, 16),
    "id:itip": _s(
        rf"(\d{{1,7}})\.(\d\d)\.(\d\d)\.({_X}{{1,20}})",
        "8006",
        _indicator_first,
        13,
        _APPEND,
        _APPEND,
        SERIAL,
    ),
    "id:upui": _s(rf"(\d{{1,7}})\.({_X}{{1,28}})", GTIN, _indicator_first, 13, "235"),
    "id:pgln": _s(r"(\d{0,6})", PARTY_GLN, _prefix_first, 12),
    "class:lgtin": _s(rf"(\d{{1,7}})\.({_X}{{1,20}})", GTIN, _indicator_first, 13, LOT),
    # Pattern URNs: the class they select.
    "idpat:sgtin": _s(r"(\d{1,7})\.\*", GTIN, _indicator_first, 13),
    "idpat:grai": _s(r"(\d{0,6})\.\*", "8003", _grai, 12),
    "idpat:gdti": _s(r"(\d{0,6})\.\*", "253", _prefix_first, 12),
    "idpat:sgcn": _s(r"(\d{0,6})\.\*", "255", _prefix_first, 12),
    "idpat:cpi": _s(rf"({_CP}{{1,24}})\.\*", "8010", _as_written, 30),
    "idpat:itip": _s(
        r"(\d{1,7})\.(\d\d)\.(\d\d)\.\*", "8006", _indicator_first, 13, _APPEND, _APPEND
    ),
    "idpat:upui": _s(r"(\d{1,7})\.\*", GTIN, _indicator_first, 13),
}


def _match(urn: str) -> tuple[_Scheme, tuple[str, ...]] | None:
    if not urn.startswith("urn:epc:"):
        return None
    head, _sep, rest = urn[8:].partition(":")
    name, _sep, body = rest.partition(":")
    scheme = _SCHEMES.get(f"{head}:{name}")
    if scheme is None:
        return None
    m = scheme.pattern.fullmatch(body)
    return None if m is None else (scheme, m.groups())


def _key(scheme: _Scheme, groups: tuple[str, ...]) -> EpcKey:
    key_value = scheme.layout(groups[0], groups[1])
    qualifiers: tuple[tuple[str, str], ...] = ()
    for what, value in zip(scheme.components, groups[2:], strict=True):
        if what == _APPEND:
            key_value += value
        elif not (what == GLN_EXTENSION and value == "0"):  # SGLN: "0" means no extension
            qualifiers += ((what, value),)
    return EpcKey(scheme.key_ai, key_value, qualifiers)


def parse_epc_urn(urn: str) -> EpcKey | None:
    """The GS1 key an EPC URN names (pure identity, pattern or class URN), else None."""
    found = _match(urn)
    if found is None or not found[0].fits(found[1][0], found[1][1]):
        return None
    return _key(*found)


# --------------------------------------------------------------------------- the platform's keys

# Refusals of a URN whose company prefix and reference do not add up, by key.
_SIZE_REFUSALS = {
    GTIN: _l("The company prefix and item reference must total 13 digits."),
    SSCC: _l("The company prefix and serial reference must total 17 digits."),
    GLN: _l("The company prefix and location reference must total 12 digits."),
    PARTY_GLN: _l("The company prefix and location reference must total 12 digits."),
}


def _platform_reads(scheme: _Scheme) -> bool:
    allowed = PATH_KEYS.get(scheme.key_ai)
    return allowed is not None and all(c in allowed for c in scheme.components)


def epc_urn_to_digital_link(urn: str) -> DigitalLink:
    """The canonical ``DigitalLink`` of an EPC URN: SGTIN, LGTIN class, SGTIN pattern (the
    bare GTIN), SSCC, SGLN, PGLN. ``ValidationFailed`` on ``uri``, or on the AI whose value is
    not valid, otherwise."""
    found = _match(urn) if isinstance(urn, str) else None
    if found is None or not _platform_reads(found[0]):
        raise refusal("uri", _("Not an EPC URN this platform can convert."))
    scheme, groups = found
    if not scheme.fits(groups[0], groups[1]):
        raise refusal("uri", str(_SIZE_REFUSALS[scheme.key_ai]))
    key = _key(scheme, groups)
    qualifiers = tuple((ai, unquote(value)) for ai, value in key.qualifiers)
    for ai, value in qualifiers:
        problem = value_problem(ai, value)
        if problem:
            raise refusal(ai, problem)
    return DigitalLink(CANONICAL_BASE, key.key_ai, key.key_value, qualifiers)


# Digital Link (key AI, qualifier AIs) -> the URN scheme that writes it.
_WRITERS = {
    (s.key_ai, s.components): name
    for name, s in reversed(_SCHEMES.items())  # the first one listed wins
    if _platform_reads(s)
}
# Characters of CSET 82 that an EPC URI must escape (Tag Data Standard); the rest stay raw.
_EPC_ESCAPE = str.maketrans({c: f"%{ord(c):02X}" for c in '"%&/<>?'})


def to_epc_urn(dl: DigitalLink | str, company_prefix_length: int) -> str:
    """The EPC URN of a GS1 key, given its company prefix length (6-12 digits).

    GTIN + serial → ``urn:epc:id:sgtin:``; GTIN + lot → ``urn:epc:class:lgtin:``; a bare
    GTIN → ``urn:epc:idpat:sgtin:…*``; SSCC, GLN (+ extension) and party GLN likewise.
    """
    link = as_link(dl)
    if not 6 <= company_prefix_length <= 12:
        raise refusal("company_prefix_length", _("A GS1 company prefix has 6 to 12 digits."))
    if link.is_platform:
        raise refusal("uri", _("A platform identifier has no EPC URN."))
    qualifiers = finest_qualifiers(link)
    if link.key_ai == GLN and not qualifiers:
        qualifiers = ((GLN_EXTENSION, "0"),)  # SGLN: "0" means no extension
    name = _WRITERS[link.key_ai, tuple(ai for ai, _v in qualifiers)]
    scheme = _SCHEMES[name]
    n = company_prefix_length
    body = link.key_value[:-1]  # without the check digit
    if scheme.layout is _indicator_first:
        gcp, ref = body[1 : 1 + n], body[0] + body[1 + n :]
    else:
        gcp, ref = body[:n], body[n:]
    parts = [f"urn:epc:{name}:{gcp}.{ref}"]
    parts += (f".{value.translate(_EPC_ESCAPE)}" for _ai, value in qualifiers)
    if name.startswith("idpat:"):
        parts.append(".*")
    return "".join(parts)
