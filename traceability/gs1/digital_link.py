"""GS1 Digital Link URIs (ISO/IEC 18975): the parsed form, builders, parser, canonical forms.

It sits on the consumer scan hot path (every QR scan parses one URI), so patterns are compiled
once and the common case (plain alphanumeric lot/serial, no percent-encoding) allocates little.

URI shapes built here::

    {base}/01/{gtin14}[/22/{cpv}][/10/{lot}][/21/{serial}][?{AI}={value}&...]   trade item
    {base}/414/{gln}[/254/{extension}]                                          place
    {base}/417/{gln}                                                            party
    {base}/00/{sscc}                                                            logistic unit
    {base}/p/{product_ref}[/10/{lot}][/21/{serial}][?{AI}={value}&...]          no GS1 prefix

Decisions worth knowing:

- **Percent-encoding.** Values are written with every character outside the RFC 3986
  *unreserved* set (``A-Z a-z 0-9 - . _ ~``) escaped as ``%XX`` (upper-case hex), in path
  segments and query values alike. This is what GS1's own syntax engine (gs1-syntax-engine,
  ``URIescape``) does; it is a superset of the Digital Link table of characters that must be
  escaped (``! " % & ' ( ) * + , / : ; < = > ?`` among the 82 characters an AI value may hold),
  so the output is conformant under every edition of the standard. Parsing accepts both the
  escaped and the raw form of the sub-delimiters, and treats a raw ``+`` as a plus sign (no AI
  value can contain a space, so the form-encoding reading of ``+`` never applies).
- **Data attributes** are written in the query string sorted by AI code so that the same
  inputs always give the same URI (and the same QR image); only AIs listed in
  ``DATA_ATTRIBUTE_AIS`` are accepted, each validated against its GS1 format.
- **Short names.** The deprecated convenience alphas (``gtin``, ``cpv``, ``lot``, ``ser``,
  ``gln``, ``glnx``, ``party``, ``sscc``…) are accepted in paths when parsing and normalised to
  numeric AIs; builders only ever write numeric AIs.
- **GTIN length.** Builders accept GTIN-8/12/13/14 and always write 14 digits; the parser
  also accepts a zero-suppressed 8/12/13-digit GTIN in a path (as GS1's resolver does) and
  normalises it.
- **Platform URIs** (organisations without a GS1 company prefix) use the path segment ``p``
  where a GS1 URI has its primary key AI. Every GS1 AI is numeric and ``p`` is not one of
  the convenience alphas, so a GS1 Digital Link parser finds no primary key in such a URI and
  our parser can never read one as a GS1 key. The qualifiers (``/10/lot``, ``/21/serial``) and
  the query attributes are exactly the GS1 ones, so code that works from a parsed
  ``DigitalLink`` (``.lot``, ``.serial``, ``.data_attributes``) does not change when the
  cooperative later obtains a GTIN: only the primary key does.
- **Errors** are ``ValidationFailed``. Builders name the argument that failed (``gtin``,
  ``lot``, ``serial``, ``cpv``, ``gln``, ``extension``, ``sscc``, ``product_ref``,
  ``base_url``) or, for a data attribute, its AI code (``"7007"``). The parser names the AI
  code when the fault lies with a known AI (bad value, duplicate, wrong order, wrong place)
  and ``"uri"`` for everything else (scheme, host, unknown AI, no primary key, bad escapes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote

from core.errors import ValidationFailed
from core.i18n import _, _l
from traceability.gs1.ai import (
    AI,
    CPV,
    DATA_ATTRIBUTE_AIS,
    GLN,
    GLN_EXTENSION,
    GTIN,
    LOT,
    PARTY_GLN,
    PRIMARY_KEYS,
    SERIAL,
    SHORT_NAMES,
    SSCC,
    attribute_problem,
    cset82_problem,
    qualifier_problem,
)
from traceability.gs1.keys import GTIN_LENGTHS, key_problem

__all__ = [
    "CANONICAL_BASE",
    "PATH_KEYS",
    "PLATFORM_KEY",
    "DigitalLink",
    "build_digital_link",
    "build_gln_uri",
    "build_party_uri",
    "build_platform_uri",
    "build_sscc_uri",
    "canonical_gs1_uri",
    "canonical_uri",
    "compose_uri",
    "finest_qualifiers",
    "parse_digital_link",
    "percent_encode",
    "refusal",
    "value_problem",
]

CANONICAL_BASE = "https://id.gs1.org"
PLATFORM_KEY = "p"

MAX_URI_LENGTH = 2048  # a QR code cannot hold more anyway; refuse before doing any work
MAX_PLATFORM_REF_LENGTH = 40

#: The primary keys this platform builds and reads (and its own platform key), each with its
#: qualifiers in the only order the standard allows.
PATH_KEYS: dict[str, tuple[str, ...]] = {
    **{code: AI[code].qualifiers or () for code in (GTIN, GLN, PARTY_GLN, SSCC)},
    PLATFORM_KEY: (LOT, SERIAL),
}
_ALL_QUALIFIERS = frozenset(ai for qualifiers in PATH_KEYS.values() for ai in qualifiers)
# GS1 primary keys this platform does not read, named so the refusal says what it saw.
_UNSUPPORTED_KEYS = {key.code: key.title for key in PRIMARY_KEYS if key.code not in PATH_KEYS}
# What a base URL's path may not hold: any primary key, read or not, so that every parser
# (some look for the first key from the left) finds the key we wrote.
_NOT_IN_BASE = frozenset(PATH_KEYS) | frozenset(_UNSUPPORTED_KEYS)
# Key AI -> (its name in refusals, its lengths). A GTIN may be zero-suppressed (8/12/13 digits):
# builders and the parser accept it and write or read it as its GTIN-14.
_KEYS_WITH_CHECK_DIGIT = {
    GTIN: ("GTIN", GTIN_LENGTHS),
    GLN: ("GLN", (13,)),
    PARTY_GLN: ("GLN", (13,)),
    SSCC: ("SSCC", (18,)),
}
_PLATFORM_NOUN = _l("product reference")

_URI_CHARS_RE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*\Z")
_BAD_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_URI_RE = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<authority>[^/?#]*)"
    r"(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?(?:#.*)?\Z",
    re.S,
)
_HOST_RE = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?::[0-9]{1,5})?\Z"
)
_BASE_PATH_RE = re.compile(r"(?:/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+)*\Z")
_UNRESERVED_RE = re.compile(r"[A-Za-z0-9\-._~]*\Z")

# Escape table for CSET 82 values: every non-unreserved ASCII character -> %XX.
_ESCAPE = str.maketrans(
    {c: f"%{ord(c):02X}" for c in map(chr, range(0x21, 0x7F)) if not _UNRESERVED_RE.match(c)}
)


def value_problem(ai: str, value: str) -> str | None:
    """Why ``value`` is not a valid value of the path AI ``ai`` (a key or a qualifier)."""
    key = _KEYS_WITH_CHECK_DIGIT.get(ai)
    if key is not None:
        return key_problem(value, key[1], key[0])
    if ai == PLATFORM_KEY:
        return cset82_problem(value, MAX_PLATFORM_REF_LENGTH, _PLATFORM_NOUN)
    return qualifier_problem(ai, value)


def refusal(field_name: str, message: str) -> ValidationFailed:
    """The ``ValidationFailed`` naming ``field_name`` (an argument, an AI code or ``"uri"``)."""
    return ValidationFailed(field_errors={field_name: [message]})


# --------------------------------------------------------------------------- the parsed form


@dataclass(frozen=True, slots=True)
class DigitalLink:
    """A parsed GS1 Digital Link (or platform) URI.

    ``key_ai`` is the primary key AI (``"01"``, ``"00"``, ``"414"``, ``"417"``) or
    ``PLATFORM_KEY`` for a platform URI; ``qualifiers`` are (AI, value) pairs in path order;
    ``data_attributes`` maps query AIs to values; ``extra_params`` keeps non-AI query
    parameters (``linkType``, ``context``…) for the resolver. All values are decoded.
    """

    base: str
    key_ai: str
    key_value: str
    qualifiers: tuple[tuple[str, str], ...] = ()
    data_attributes: dict[str, str] = field(default_factory=dict)
    extra_params: tuple[tuple[str, str], ...] = ()

    def qualifier(self, ai: str) -> str | None:
        for q_ai, value in self.qualifiers:
            if q_ai == ai:
                return value
        return None

    @property
    def is_platform(self) -> bool:
        return self.key_ai == PLATFORM_KEY

    @property
    def gtin(self) -> str | None:
        return self.key_value if self.key_ai == GTIN else None

    @property
    def product_ref(self) -> str | None:
        return self.key_value if self.key_ai == PLATFORM_KEY else None

    @property
    def gln(self) -> str | None:
        """The GLN of a place (AI 414) or a party (AI 417)."""
        return self.key_value if self.key_ai in (GLN, PARTY_GLN) else None

    @property
    def sscc(self) -> str | None:
        return self.key_value if self.key_ai == SSCC else None

    @property
    def cpv(self) -> str | None:
        return self.qualifier(CPV)

    @property
    def lot(self) -> str | None:
        return self.qualifier(LOT)

    @property
    def serial(self) -> str | None:
        return self.qualifier(SERIAL)

    @property
    def gln_extension(self) -> str | None:
        return self.qualifier(GLN_EXTENSION)

    def to_uri(self, base: str | None = None) -> str:
        """The URI again (on ``base`` if given), without ``extra_params``."""
        return compose_uri(
            self.base if base is None else _normalise_base(base),
            self.key_ai,
            self.key_value,
            self.qualifiers,
            self.data_attributes,
        )


# --------------------------------------------------------------------------- building


def _path_ai(segment: str) -> str:
    return SHORT_NAMES.get(segment, segment)


@lru_cache(maxsize=64)
def _normalise_base(base_url: str) -> str:
    """``scheme://host[:port][/prefix]`` with scheme and host lower-cased, no trailing slash.

    Cached: the platform builds thousands of labels on one or two bases. A prefix segment
    that reads as a primary key (``/01``, ``/p``, ``/gtin``, ``/8003``…) is refused: a parser
    could not tell it from the key, so the URI would not read back.
    """
    match = _URI_RE.match(base_url) if isinstance(base_url, str) else None
    path = match["path"].rstrip("/") if match else ""
    if (
        match is None
        or match["query"] is not None
        or "#" in base_url
        or match["scheme"].lower() not in ("http", "https")
        or not _HOST_RE.match(match["authority"])
        or not _BASE_PATH_RE.match(path)
        or any(_path_ai(segment) in _NOT_IN_BASE for segment in path.split("/"))
    ):
        raise refusal(
            "base_url",
            _(
                "The base URL must be http:// or https:// followed by a host name and an "
                "optional path (not a GS1 key), without query or fragment."
            ),
        )
    return f"{match['scheme'].lower()}://{match['authority'].lower()}{path}"


def _base(base_url: str, problems: dict[str, list[str]]) -> str:
    try:
        return _normalise_base(base_url)
    except ValidationFailed as exc:
        for name, messages in exc.field_errors.items():
            problems.setdefault(name, []).extend(messages)
        return ""


def percent_encode(value: str) -> str:
    """``value`` with every character outside the RFC 3986 unreserved set as ``%XX``."""
    return value if _UNRESERVED_RE.match(value) else value.translate(_ESCAPE)


def compose_uri(
    base: str,
    key_ai: str,
    key_value: str,
    qualifiers: Iterable[tuple[str, str]] = (),
    data_attributes: Mapping[str, str] | None = None,
    *,
    escape: Callable[[str], str] = percent_encode,
) -> str:
    """``{base}/{key_ai}/{key_value}[/{ai}/{value}…][?{ai}={value}&…]``, values escaped.

    Nothing is checked: the builders check first. Data attributes are sorted by AI code.
    """
    parts = [base, "/", key_ai, "/", escape(key_value)]
    for ai, value in qualifiers:
        parts += ("/", ai, "/", escape(value))
    if data_attributes:
        sep = "?"
        for ai in sorted(data_attributes):
            parts += (sep, ai, "=", escape(data_attributes[ai]))
            sep = "&"
    return "".join(parts)


def _check(problems: dict[str, list[str]], field_name: str, problem: str | None) -> None:
    if problem:
        problems.setdefault(field_name, []).append(problem)


def _checked_attributes(
    data_attributes: Mapping[str, str] | None, problems: dict[str, list[str]]
) -> dict[str, str]:
    if not data_attributes:
        return {}
    attrs = {str(ai): str(value) for ai, value in data_attributes.items()}
    for ai, value in attrs.items():
        if ai in _ALL_QUALIFIERS or ai in PATH_KEYS:
            _check(
                problems,
                ai,
                _("AI %(ai)s belongs in the path, not among the data attributes.", ai=ai),
            )
        else:
            _check(problems, ai, attribute_problem(ai, value))
    return attrs


def _build(
    base_url: str,
    key: tuple[str, str, str],
    qualifiers: Iterable[tuple[str, str, str | None]] = (),
    data_attributes: Mapping[str, str] | None = None,
) -> str:
    """Check everything (all faults at once), then compose.

    ``key`` is (argument name, AI, value); each qualifier (argument name, AI, value or None).
    """
    problems: dict[str, list[str]] = {}
    name, key_ai, key_value = key
    _check(problems, name, value_problem(key_ai, key_value))
    given: list[tuple[str, str]] = []
    for name, ai, value in qualifiers:
        if value is not None:
            _check(problems, name, value_problem(ai, value))
            given.append((ai, value))
    attrs = _checked_attributes(data_attributes, problems)
    base = _base(base_url, problems)
    if problems:
        raise ValidationFailed(field_errors=problems)
    if key_ai == GTIN:
        key_value = key_value.zfill(14)
    return compose_uri(base, key_ai, key_value, given, attrs)


def build_digital_link(
    base_url: str,
    gtin: str,
    lot: str | None = None,
    serial: str | None = None,
    cpv: str | None = None,
    data_attributes: Mapping[str, str] | None = None,
) -> str:
    """``{base}/01/{gtin14}[/22/{cpv}][/10/{lot}][/21/{serial}][?{AI}={value}&...]``.

    The GTIN may be given as GTIN-8/12/13/14; values are validated (all faults reported at
    once) and percent-encoded; data attributes are sorted by AI code.
    """
    return _build(
        base_url,
        ("gtin", GTIN, gtin),
        (("cpv", CPV, cpv), ("lot", LOT, lot), ("serial", SERIAL, serial)),
        data_attributes,
    )


def build_gln_uri(
    base_url: str,
    gln: str,
    extension: str | None = None,
    data_attributes: Mapping[str, str] | None = None,
) -> str:
    """``{base}/414/{gln}[/254/{extension}]``: a physical place (farm, plot, packing house)."""
    return _build(
        base_url, ("gln", GLN, gln), (("extension", GLN_EXTENSION, extension),), data_attributes
    )


def build_party_uri(base_url: str, gln: str) -> str:
    """``{base}/417/{gln}``: an organisation (party GLN)."""
    return _build(base_url, ("gln", PARTY_GLN, gln))


def build_sscc_uri(
    base_url: str, sscc: str, data_attributes: Mapping[str, str] | None = None
) -> str:
    """``{base}/00/{sscc}``: a logistic unit (pallet, shipment)."""
    return _build(base_url, ("sscc", SSCC, sscc), (), data_attributes)


def build_platform_uri(
    base_url: str,
    product_ref: str,
    lot: str | None = None,
    serial: str | None = None,
    data_attributes: Mapping[str, str] | None = None,
) -> str:
    """``{base}/p/{product_ref}[/10/{lot}][/21/{serial}][?{AI}={value}&...]``.

    For organisations without a GS1 company prefix. ``product_ref`` must be unique on the
    platform (e.g. the product's public code), 1-40 characters of CSET 82; lot, serial and
    data attributes follow exactly the GS1 rules so the same labels logic serves both.
    """
    return _build(
        base_url,
        ("product_ref", PLATFORM_KEY, product_ref),
        (("lot", LOT, lot), ("serial", SERIAL, serial)),
        data_attributes,
    )


# --------------------------------------------------------------------------- parsing


def _decode(raw: str) -> str:
    # unquote() returns at once when there is no '%'; otherwise it decodes UTF-8, and any
    # non-ASCII result is then refused by the CSET 82 check with the offending character.
    return unquote(raw, errors="replace") if "%" in raw else raw


def _find_key(segments: list[str]) -> int:
    """Index of the primary key: the last key AI followed by a whole number of pairs."""
    for i in range(len(segments) - 2, -1, -2):
        if _path_ai(segments[i]) in PATH_KEYS:
            return i
    raise _no_key_reason(segments)


def _no_key_reason(segments: list[str]) -> ValidationFailed:
    for i in range(len(segments) - 1, -1, -1):
        ai = _path_ai(segments[i])
        if ai in PATH_KEYS:
            return refusal(
                "uri",
                _(
                    "After /%(ai)s/ the path must be AI/value pairs; the last segment has "
                    "no value.",
                    ai=segments[i],
                ),
            )
        if ai in _UNSUPPORTED_KEYS and (len(segments) - i) % 2 == 0:
            return refusal(
                "uri",
                _(
                    "Primary key AI %(ai)s (%(name)s) is not supported here.",
                    ai=ai,
                    name=_UNSUPPORTED_KEYS[ai],
                ),
            )
    return refusal(
        "uri",
        _(
            "No GS1 primary key in the path: expected /01/ (GTIN), /414/ (GLN), /417/ (party), "
            "/00/ (SSCC) or /p/ (platform product)."
        ),
    )


def parse_digital_link(uri: str) -> DigitalLink:
    """Parse and validate a GS1 Digital Link URI (or a platform URI of the same shape).

    Refuses, with ``ValidationFailed``: non-http(s) schemes, user info or a bad host, bad
    percent-escapes, a path without a supported primary key, unknown or misplaced AIs,
    qualifiers out of order (22 → 10 → 21) or repeated, check-digit, length and character
    faults, and query attributes that are unknown AIs, path AIs or malformed. The error
    names the AI at fault, or ``"uri"``.
    """
    if not isinstance(uri, str) or not uri:
        raise refusal("uri", _("A Digital Link URI is required."))
    if len(uri) > MAX_URI_LENGTH:
        raise refusal("uri", _("This URI is too long to be a Digital Link."))
    if not _URI_CHARS_RE.match(uri):
        raise refusal("uri", _("This URI contains characters that must be percent-encoded."))
    if "%" in uri and _BAD_PERCENT_RE.search(uri):
        raise refusal("uri", _("This URI contains a % not followed by two hex digits."))
    match = _URI_RE.match(uri)
    if match is None or match["scheme"].lower() not in ("http", "https"):
        raise refusal("uri", _("A Digital Link is an http:// or https:// URI."))
    authority = match["authority"]
    if "@" in authority or not _HOST_RE.match(authority):
        raise refusal("uri", _("This URI has no valid host name."))

    path = match["path"]
    if path.endswith("/"):
        path = path[:-1]
    segments = path.split("/")[1:] if path.startswith("/") else []
    if "" in segments:
        raise refusal("uri", _("This URI has an empty path segment."))
    start = _find_key(segments)
    for i in range(start - 2, -1, -1):
        # The base path may be anything, but not a second GS1 key with its value. ("p" is
        # only a key on this platform; another site's path prefix may well contain it.)
        ai = _path_ai(segments[i])
        if ai in PATH_KEYS and ai != PLATFORM_KEY:
            raise refusal("uri", _("This URI has more than one primary key in its path."))

    key_ai = _path_ai(segments[start])
    key_value = _decode(segments[start + 1])
    problem = value_problem(key_ai, key_value)
    if problem:
        raise refusal(key_ai, problem)
    if key_ai == GTIN:
        # A zero-suppressed GTIN-8/12/13 is read as its GTIN-14, as GS1's resolver does.
        key_value = key_value.zfill(14)

    allowed = PATH_KEYS[key_ai]
    qualifiers: list[tuple[str, str]] = []
    last_rank = -1
    for i in range(start + 2, len(segments), 2):
        raw_ai = segments[i]
        ai = _path_ai(raw_ai)
        if ai not in allowed:
            raise refusal("uri" if not _known_ai(ai) else ai, _misplaced_reason(key_ai, raw_ai))
        rank = allowed.index(ai)
        if rank <= last_rank and any(q_ai == ai for q_ai, _v in qualifiers):
            raise refusal(ai, _("AI %(ai)s appears more than once in the path.", ai=ai))
        if rank < last_rank:
            raise refusal(
                ai,
                _(
                    "AI %(ai)s is out of order: after /%(key)s/ the qualifiers come in the "
                    "order %(order)s.",
                    ai=ai,
                    key=key_ai,
                    order=" → ".join(allowed),
                ),
            )
        last_rank = rank
        value = _decode(segments[i + 1])
        problem = value_problem(ai, value)
        if problem:
            raise refusal(ai, problem)
        qualifiers.append((ai, value))

    data_attributes, extra = _parse_query(match["query"])
    base_path = "/" + "/".join(segments[:start]) if start else ""
    base = f"{match['scheme'].lower()}://{authority.lower()}{base_path}"
    return DigitalLink(base, key_ai, key_value, tuple(qualifiers), data_attributes, extra)


def _known_ai(ai: str) -> bool:
    return ai in AI or ai in PATH_KEYS


def _misplaced_reason(key_ai: str, raw_ai: str) -> str:
    ai = _path_ai(raw_ai)
    if ai in DATA_ATTRIBUTE_AIS:
        return _(
            "AI %(ai)s is a data attribute: it belongs in the query string (?%(ai)s=...), "
            "not in the path.",
            ai=ai,
        )
    if _known_ai(ai):
        return _("AI %(ai)s does not qualify /%(key)s/ in a path.", ai=ai, key=key_ai)
    return _("Unknown AI %(ai)s in the path.", ai=raw_ai[:10])


def _parse_query(query: str | None) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    if not query:
        return {}, ()
    attrs: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    for pair in query.split("&"):
        if not pair:
            continue
        raw_key, _sep, raw_value = pair.partition("=")
        key = _decode(raw_key)
        value = _decode(raw_value)
        if not (key.isascii() and key.isdigit()):
            # Non-GS1 parameters (linkType, context, lang…) are allowed by the standard.
            extra.append((key, value))
            continue
        if key in _ALL_QUALIFIERS or key in PATH_KEYS:
            raise refusal(key, _("AI %(ai)s belongs in the path, not in the query string.", ai=key))
        if key in attrs:
            raise refusal(key, _("AI %(ai)s appears more than once in the query.", ai=key))
        problem = attribute_problem(key, value)
        if problem:
            raise refusal(key if key in DATA_ATTRIBUTE_AIS else "uri", problem)
        attrs[key] = value
    return attrs, tuple(extra)


# --------------------------------------------------------------------------- canonical forms


def as_link(dl: DigitalLink | str) -> DigitalLink:
    """``dl`` parsed if it is a URI."""
    return parse_digital_link(dl) if isinstance(dl, str) else dl


def finest_qualifiers(dl: DigitalLink) -> tuple[tuple[str, str], ...]:
    """The qualifiers that identify: for a GTIN (or platform) key only the finest of serial
    and lot (the EPCIS event-hash rule: serial beats lot; CPV is not part of an EPC)."""
    if dl.key_ai in (GTIN, PLATFORM_KEY):
        for ai in (SERIAL, LOT):
            value = dl.qualifier(ai)
            if value is not None:
                return ((ai, value),)
        return ()
    return dl.qualifiers


def canonical_gs1_uri(dl: DigitalLink | str, *, all_qualifiers: bool = False) -> str:
    """The canonical GS1 Digital Link URI on ``https://id.gs1.org``, without query string.

    By default constrained as the EPCIS 2.0 event hash wants it: a serial drops the lot and
    CPV, a lot drops the CPV. ``all_qualifiers=True`` keeps every path qualifier. A platform
    URI has no GS1 form: ``ValidationFailed`` on ``uri`` (use ``canonical_uri``).
    """
    link = as_link(dl)
    if link.is_platform:
        raise refusal("uri", _("A platform identifier has no GS1 canonical form."))
    qualifiers = link.qualifiers if all_qualifiers else finest_qualifiers(link)
    return compose_uri(CANONICAL_BASE, link.key_ai, link.key_value, qualifiers)


def canonical_uri(dl: DigitalLink | str) -> str:
    """The identifier to store and hash: the canonical GS1 URI for a GS1 key, the platform URI
    (finest qualifier, no query) for a platform product."""
    link = as_link(dl)
    if link.is_platform:
        return compose_uri(link.base, PLATFORM_KEY, link.key_value, finest_qualifiers(link))
    return canonical_gs1_uri(link)
