"""GS1 identifiers (GTIN, GLN, SSCC) and GS1 Digital Link URIs (ISO/IEC 18975), pure Python.

Everything here is a pure function of its arguments: no database, no Flask request. It sits on
the consumer scan hot path (every QR scan parses one URI), so patterns are compiled once and
the common case (plain alphanumeric lot/serial, no percent-encoding) allocates little.

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
  ``gln``, ``glnx``, ``party``, ``sscc``) are accepted in paths when parsing and normalised to
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
- **EPC URNs.** ``epc_urn_to_digital_link`` reads SGTIN/LGTIN/SSCC/SGLN/PGLN URNs (the URN
  carries the company prefix length). The other way needs the prefix length, which the platform
  does not know for foreign keys, so ``to_epc_urn`` takes it as an argument.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from urllib.parse import unquote

from core.errors import ValidationFailed
from core.i18n import _, _l

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
    "to_epc_urn",
    "validate_lot",
    "validate_serial",
    "yymmdd",
]

CANONICAL_BASE = "https://id.gs1.org"
PLATFORM_KEY = "p"
VIETNAM_GS1_PREFIX = "893"

GTIN = "01"
SSCC = "00"
GLN = "414"
PARTY_GLN = "417"
CPV = "22"
LOT = "10"
SERIAL = "21"
GLN_EXTENSION = "254"

#: GS1 AI encodable character set 82 (GS1 General Specifications, figure 7.11-1): the
#: characters a lot (AI 10), serial (AI 21), CPV (AI 22) or GLN extension (AI 254) may hold.
#: Digits 0-9, letters A-Z and a-z, and the 20 symbols  ! " % & ' ( ) * + , - . / : ; < = > ? _
#: Not allowed: space, # $ @ [ \ ] ^ ` { | } ~, and anything outside ASCII (so no Vietnamese
#: diacritics: "Lô 5" must be written "LO5" or similar).
CSET82 = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!\"%&'()*+,-./:;<=>?_"
)
CSET82_SYMBOLS = "! \" % & ' ( ) * + , - . / : ; < = > ? _"
# The same set as byte ranges: 0x21-0x22, 0x25-0x3F, 0x41-0x5A, 0x5F, 0x61-0x7A.
_CSET82_RE = re.compile(r"[!\"%-?A-Z_a-z]*\Z")

MAX_URI_LENGTH = 2048  # a QR code cannot hold more anyway; refuse before doing any work
MAX_PLATFORM_REF_LENGTH = 40

# Key -> its qualifiers in the only order the standard allows.
_QUALIFIERS: dict[str, tuple[str, ...]] = {
    GTIN: (CPV, LOT, SERIAL),
    GLN: (GLN_EXTENSION,),
    PARTY_GLN: (),
    SSCC: (),
    PLATFORM_KEY: (LOT, SERIAL),
}
_ALL_QUALIFIERS = frozenset({CPV, LOT, SERIAL, GLN_EXTENSION})

# Deprecated convenience alphas (GS1 Digital Link 1.1), accepted in paths when parsing.
_ALIASES = {
    "gtin": GTIN,
    "cpv": CPV,
    "lot": LOT,
    "ser": SERIAL,
    "gln": GLN,
    "glnx": GLN_EXTENSION,
    "party": PARTY_GLN,
    "sscc": SSCC,
}
# GS1 primary keys this module does not handle, named so the refusal says what it saw.
_UNSUPPORTED_KEYS = {
    "253": "GDTI",
    "255": "GCN",
    "401": "GINC",
    "402": "GSIN",
    "8003": "GRAI",
    "8004": "GIAI",
    "8006": "ITIP",
    "8010": "CPID",
    "8013": "GMN",
    "8017": "GSRN-P",
    "8018": "GSRN",
}

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
_AI_LIKE_RE = re.compile(r"[0-9]{2,4}\Z")

# Escape table for CSET 82 values: every non-unreserved ASCII character -> %XX.
_ESCAPE = str.maketrans(
    {c: f"%{ord(c):02X}" for c in map(chr, range(0x21, 0x7F)) if not _UNRESERVED_RE.match(c)}
)


# --------------------------------------------------------------------------- check digits


def _is_digits(value: object) -> bool:
    # str.isdigit() alone accepts other scripts' digits ("٣") and superscripts.
    return isinstance(value, str) and value.isascii() and value.isdigit()


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of ``body`` (the key without its check digit).

    Weights 3, 1, 3, 1… from the rightmost digit of the body; the check digit is
    ``(10 - sum mod 10) mod 10``. Raises ``ValueError`` unless ``body`` is ASCII digits.
    """
    if not _is_digits(body):
        raise ValueError("a GS1 key body is made of ASCII digits only")
    # Summing the ASCII bytes and removing 48 ('0') per digit avoids one int() per digit.
    raw = body.encode("ascii")
    odd, even = raw[-1::-2], raw[-2::-2]
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    return (10 - total % 10) % 10


def _has_valid_check_digit(value: str) -> bool:
    return int(value[-1]) == gs1_check_digit(value[:-1])


def _key_problem(value: str, lengths: tuple[int, ...], name: str) -> str | None:
    """Why ``value`` is not a valid GS1 key of one of ``lengths`` digits, or None."""
    if not _is_digits(value):
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
    return _is_digits(value) and len(value) in (8, 12, 13, 14) and _has_valid_check_digit(value)


def normalise_gtin(value: str, *, field: str = "gtin") -> str:
    """The 14-digit form of a valid GTIN-8/12/13/14 (left-padded with zeros).

    Raises ``ValidationFailed`` on ``field`` with the precise reason otherwise.
    """
    problem = _key_problem(value, (8, 12, 13, 14), "GTIN")
    if problem:
        raise ValidationFailed(field_errors={field: [problem]})
    return value.zfill(14)


def is_valid_gln(value: str) -> bool:
    """A 13-digit GLN with a correct check digit (places, AI 414, and parties, AI 417)."""
    return _is_digits(value) and len(value) == 13 and _has_valid_check_digit(value)


def is_valid_sscc(value: str) -> bool:
    """An 18-digit SSCC with a correct check digit."""
    return _is_digits(value) and len(value) == 18 and _has_valid_check_digit(value)


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


# --------------------------------------------------------------------------- AI values


# Lazy: translated only when a refusal is actually rendered, never on the success path.
_NOUNS = {
    LOT: _l("lot number"),
    SERIAL: _l("serial number"),
    CPV: _l("consumer product variant"),
    GLN_EXTENSION: _l("GLN extension"),
    PLATFORM_KEY: _l("product reference"),
}


def _cset82_problem(value: str, max_length: int, what: object) -> str | None:
    if not isinstance(value, str) or not value:
        return _("The %(what)s must not be empty.", what=what)
    if len(value) > max_length:
        return _(
            "The %(what)s has at most %(max)d characters (this one has %(got)d).",
            what=what,
            max=max_length,
            got=len(value),
        )
    if not _CSET82_RE.match(value):
        bad = next(c for c in value if c not in CSET82)
        return _(
            "The character %(char)s is not allowed in the %(what)s: use letters A-Z a-z "
            "without accents, digits and %(symbols)s.",
            char=repr(bad),
            what=what,
            symbols=CSET82_SYMBOLS,
        )
    return None


def validate_lot(value: str, *, field: str = "lot") -> str:
    """``value`` if it is a valid lot/batch number (AI 10: 1-20 characters of CSET 82)."""
    problem = _cset82_problem(value, 20, _NOUNS[LOT])
    if problem:
        raise ValidationFailed(field_errors={field: [problem]})
    return value


def validate_serial(value: str, *, field: str = "serial") -> str:
    """``value`` if it is a valid serial number (AI 21: 1-20 characters of CSET 82)."""
    problem = _cset82_problem(value, 20, _NOUNS[SERIAL])
    if problem:
        raise ValidationFailed(field_errors={field: [problem]})
    return value


def _date_problem(value: str, *, zero_day: bool) -> str | None:
    """Why the YYMMDD ``value`` is not a date; DD=00 ("end of month") only if ``zero_day``."""
    month, day = int(value[2:4]), int(value[4:6])
    if not 1 <= month <= 12:
        return _("%(value)s is not a date YYMMDD: no month %(month)02d.", value=value, month=month)
    if day == 0 and zero_day:
        return None
    try:
        date(2000 + int(value[:2]), month, day)
    except ValueError:
        return _("%(value)s is not a date YYMMDD: no such day.", value=value)
    return None


def _time_problem(value: str) -> str | None:
    """Why the HH[MM[SS]] ``value`` is not a time of day."""
    parts = [int(value[i : i + 2]) for i in range(0, len(value), 2)]
    limits = (23, 59, 59)
    if any(p > limit for p, limit in zip(parts, limits, strict=False)):
        return _("%(value)s is not a time of day HHMMSS.", value=value)
    return None


@dataclass(frozen=True, slots=True)
class _Format:
    pattern: re.Pattern[str]
    description: str  # the GS1 format string, shown in refusals ("N6 YYMMDD")
    extra: Callable[[str], str | None] | None = None


def _dates(zero_day: bool) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        for i in range(0, len(value), 6):
            problem = _date_problem(value[i : i + 6], zero_day=zero_day)
            if problem:
                return problem
        return None

    return check


def _date_time(value: str) -> str | None:
    return _date_problem(value[:6], zero_day=False) or _time_problem(value[6:])


_N6_DATE0 = _Format(re.compile(r"[0-9]{6}\Z"), "N6 YYMMDD", _dates(zero_day=True))
_COUNTRY = _Format(re.compile(r"[0-9]{3}\Z"), "N3 ISO 3166 country code")
_COUNTRIES = _Format(re.compile(r"(?:[0-9]{3}){1,5}\Z"), "N3 + N..12 ISO 3166 country codes")
_N6 = _Format(re.compile(r"[0-9]{6}\Z"), "N6")


def _x(max_length: int) -> _Format:
    return _Format(re.compile(rf"[!\"%-?A-Z_a-z]{{1,{max_length}}}\Z"), f"X..{max_length}")


#: Data attributes accepted in the query string, with their GS1 formats. Dates are YYMMDD;
#: for 11-17 a day of 00 means "end of the month" as the General Specifications allow.
DATA_ATTRIBUTE_AIS: dict[str, _Format] = {
    "11": _N6_DATE0,  # production date
    "12": _N6_DATE0,  # due date
    "13": _N6_DATE0,  # packaging date
    "15": _N6_DATE0,  # best before
    "16": _N6_DATE0,  # sell by
    "17": _N6_DATE0,  # expiry (use by)
    "20": _Format(re.compile(r"[0-9]{2}\Z"), "N2"),  # internal product variant
    "30": _Format(re.compile(r"[0-9]{1,8}\Z"), "N..8"),  # variable count of items
    "37": _Format(re.compile(r"[0-9]{1,8}\Z"), "N..8"),  # count of trade items
    **{f"310{n}": _N6 for n in range(6)},  # net weight, kg, n decimals
    "400": _x(30),  # customer's purchase order number
    "422": _COUNTRY,  # country of origin (704 = Viet Nam)
    "423": _COUNTRIES,  # countries of initial processing
    "424": _COUNTRY,  # country of processing
    "425": _COUNTRIES,  # countries of disassembly
    "426": _COUNTRY,  # country covering the full process chain
    "7003": _Format(re.compile(r"[0-9]{10}\Z"), "N10 YYMMDDHHMM", _date_time),  # expiry time
    "7006": _Format(re.compile(r"[0-9]{6}\Z"), "N6 YYMMDD", _dates(zero_day=False)),  # freeze
    # harvest date: one date, or a start and an end date
    "7007": _Format(
        re.compile(r"[0-9]{6}(?:[0-9]{6})?\Z"), "N6..12 YYMMDD[YYMMDD]", _dates(zero_day=False)
    ),
    "7008": _x(3),  # aquatic species (FAO 3-alpha code)
    "7010": _x(2),  # production method
    "8008": _Format(
        re.compile(r"[0-9]{8}(?:[0-9]{2}){0,2}\Z"), "N8+N..4 YYMMDDHH[MM[SS]]", _date_time
    ),  # production date and time
    "90": _x(30),
    **{str(n): _x(90) for n in range(91, 100)},  # company internal information
}


def _attribute_problem(ai: str, value: str) -> str | None:
    spec = DATA_ATTRIBUTE_AIS.get(ai)
    if spec is None:
        return _(
            "AI %(ai)s is not a data attribute this platform accepts.",
            ai=ai,
        )
    if not isinstance(value, str) or not spec.pattern.match(value):
        return _(
            "The value of AI %(ai)s must have the GS1 format %(format)s.",
            ai=ai,
            format=spec.description,
        )
    return spec.extra(value) if spec.extra else None


def _value_problem(ai: str, value: str) -> str | None:
    """Why ``value`` is not a valid value of the path AI ``ai``, or None."""
    if ai == GTIN:
        return _key_problem(value, (14,), "GTIN")
    if ai in (GLN, PARTY_GLN):
        return _key_problem(value, (13,), "GLN")
    if ai == SSCC:
        return _key_problem(value, (18,), "SSCC")
    if ai == PLATFORM_KEY:
        return _cset82_problem(value, MAX_PLATFORM_REF_LENGTH, _NOUNS[ai])
    return _cset82_problem(value, 20, _NOUNS[ai])


def yymmdd(day: date) -> str:
    """``day`` as GS1's YYMMDD (for AI 7007 harvest date, 17 expiry, 11 production…)."""
    return day.strftime("%y%m%d")


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
        return _compose(
            self.base if base is None else _normalise_base(base),
            self.key_ai,
            self.key_value,
            self.qualifiers,
            self.data_attributes,
        )


# --------------------------------------------------------------------------- building


@lru_cache(maxsize=64)
def _normalise_base(base_url: str) -> str:
    """``scheme://host[:port][/prefix]`` with scheme and host lower-cased, no trailing slash.

    Cached: the platform builds thousands of labels on one or two bases. A prefix segment
    that reads as a primary key (``/01``, ``/p``, ``/gtin``…) is refused: the parser could
    not tell it from the key, so the URI would not read back.
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
        or any(_path_ai(segment) in _QUALIFIERS for segment in path.split("/"))
    ):
        raise _refuse(
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


def _escape(value: str) -> str:
    return value if _UNRESERVED_RE.match(value) else value.translate(_ESCAPE)


def _compose(
    base: str,
    key_ai: str,
    key_value: str,
    qualifiers: Iterable[tuple[str, str]],
    data_attributes: Mapping[str, str],
) -> str:
    parts = [base, "/", key_ai, "/", _escape(key_value)]
    for ai, value in qualifiers:
        parts += ("/", ai, "/", _escape(value))
    if data_attributes:
        sep = "?"
        for ai in sorted(data_attributes):
            parts += (sep, ai, "=", _escape(data_attributes[ai]))
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
        if ai in _ALL_QUALIFIERS or ai in _QUALIFIERS:
            _check(
                problems,
                ai,
                _("AI %(ai)s belongs in the path, not among the data attributes.", ai=ai),
            )
        else:
            _check(problems, ai, _attribute_problem(ai, value))
    return attrs


def _raise_if(problems: dict[str, list[str]]) -> None:
    if problems:
        raise ValidationFailed(field_errors=problems)


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
    problems: dict[str, list[str]] = {}
    gtin_problem = _key_problem(gtin, (8, 12, 13, 14), "GTIN")
    _check(problems, "gtin", gtin_problem)
    qualifiers: list[tuple[str, str]] = []
    for ai, name, value in ((CPV, "cpv", cpv), (LOT, "lot", lot), (SERIAL, "serial", serial)):
        if value is not None:
            _check(problems, name, _value_problem(ai, value))
            qualifiers.append((ai, value))
    attrs = _checked_attributes(data_attributes, problems)
    base = _base(base_url, problems)
    _raise_if(problems)
    return _compose(base, GTIN, gtin.zfill(14), qualifiers, attrs)


def build_gln_uri(
    base_url: str,
    gln: str,
    extension: str | None = None,
    data_attributes: Mapping[str, str] | None = None,
) -> str:
    """``{base}/414/{gln}[/254/{extension}]``: a physical place (farm, plot, packing house)."""
    problems: dict[str, list[str]] = {}
    _check(problems, "gln", _value_problem(GLN, gln))
    qualifiers = []
    if extension is not None:
        _check(problems, "extension", _value_problem(GLN_EXTENSION, extension))
        qualifiers.append((GLN_EXTENSION, extension))
    attrs = _checked_attributes(data_attributes, problems)
    base = _base(base_url, problems)
    _raise_if(problems)
    return _compose(base, GLN, gln, qualifiers, attrs)


def build_party_uri(base_url: str, gln: str) -> str:
    """``{base}/417/{gln}``: an organisation (party GLN)."""
    problems: dict[str, list[str]] = {}
    _check(problems, "gln", _value_problem(PARTY_GLN, gln))
    base = _base(base_url, problems)
    _raise_if(problems)
    return _compose(base, PARTY_GLN, gln, (), {})


def build_sscc_uri(
    base_url: str, sscc: str, data_attributes: Mapping[str, str] | None = None
) -> str:
    """``{base}/00/{sscc}``: a logistic unit (pallet, shipment)."""
    problems: dict[str, list[str]] = {}
    _check(problems, "sscc", _value_problem(SSCC, sscc))
    attrs = _checked_attributes(data_attributes, problems)
    base = _base(base_url, problems)
    _raise_if(problems)
    return _compose(base, SSCC, sscc, (), attrs)


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
    problems: dict[str, list[str]] = {}
    _check(problems, "product_ref", _value_problem(PLATFORM_KEY, product_ref))
    qualifiers: list[tuple[str, str]] = []
    for ai, name, value in ((LOT, "lot", lot), (SERIAL, "serial", serial)):
        if value is not None:
            _check(problems, name, _value_problem(ai, value))
            qualifiers.append((ai, value))
    attrs = _checked_attributes(data_attributes, problems)
    base = _base(base_url, problems)
    _raise_if(problems)
    return _compose(base, PLATFORM_KEY, product_ref, qualifiers, attrs)


# --------------------------------------------------------------------------- parsing


def _refuse(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(field_errors={field_name: [message]})


def _decode(raw: str) -> str:
    # unquote() returns at once when there is no '%'; otherwise it decodes UTF-8, and any
    # non-ASCII result is then refused by the CSET 82 check with the offending character.
    return unquote(raw, errors="replace") if "%" in raw else raw


def _path_ai(segment: str) -> str:
    return _ALIASES.get(segment, segment)


def _find_key(segments: list[str]) -> int:
    """Index of the primary key: the last key AI followed by a whole number of pairs."""
    for i in range(len(segments) - 2, -1, -2):
        if _path_ai(segments[i]) in _QUALIFIERS:
            return i
    raise _no_key_reason(segments)


def _no_key_reason(segments: list[str]) -> ValidationFailed:
    for i in range(len(segments) - 1, -1, -1):
        ai = _path_ai(segments[i])
        if ai in _QUALIFIERS:
            return _refuse(
                "uri",
                _(
                    "After /%(ai)s/ the path must be AI/value pairs; the last segment has "
                    "no value.",
                    ai=segments[i],
                ),
            )
        if ai in _UNSUPPORTED_KEYS and (len(segments) - i) % 2 == 0:
            return _refuse(
                "uri",
                _(
                    "Primary key AI %(ai)s (%(name)s) is not supported here.",
                    ai=ai,
                    name=_UNSUPPORTED_KEYS[ai],
                ),
            )
    return _refuse(
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
    faults, and query attributes that are unknown AIs, path AIs or malformed.
    """
    if not isinstance(uri, str) or not uri:
        raise _refuse("uri", _("A Digital Link URI is required."))
    if len(uri) > MAX_URI_LENGTH:
        raise _refuse("uri", _("This URI is too long to be a Digital Link."))
    if not _URI_CHARS_RE.match(uri):
        raise _refuse("uri", _("This URI contains characters that must be percent-encoded."))
    if "%" in uri and _BAD_PERCENT_RE.search(uri):
        raise _refuse("uri", _("This URI contains a % not followed by two hex digits."))
    match = _URI_RE.match(uri)
    if match is None or match["scheme"].lower() not in ("http", "https"):
        raise _refuse("uri", _("A Digital Link is an http:// or https:// URI."))
    authority = match["authority"]
    if "@" in authority or not _HOST_RE.match(authority):
        raise _refuse("uri", _("This URI has no valid host name."))

    path = match["path"]
    if path.endswith("/"):
        path = path[:-1]
    segments = path.split("/")[1:] if path.startswith("/") else []
    if "" in segments:
        raise _refuse("uri", _("This URI has an empty path segment."))
    start = _find_key(segments)
    for i in range(start - 2, -1, -1):
        # The base path may be anything, but not a second GS1 key with its value. ("p" is
        # only a key on this platform; another site's path prefix may well contain it.)
        ai = _path_ai(segments[i])
        if ai in _QUALIFIERS and ai != PLATFORM_KEY:
            raise _refuse("uri", _("This URI has more than one primary key in its path."))

    key_ai = _path_ai(segments[start])
    key_value = _decode(segments[start + 1])
    if key_ai == GTIN:
        # A zero-suppressed GTIN-8/12/13 is read as its GTIN-14, as GS1's resolver does.
        problem = _key_problem(key_value, (8, 12, 13, 14), "GTIN")
        key_value = key_value.zfill(14)
    else:
        problem = _value_problem(key_ai, key_value)
    if problem:
        raise _refuse(key_ai, problem)

    allowed = _QUALIFIERS[key_ai]
    qualifiers: list[tuple[str, str]] = []
    last_rank = -1
    for i in range(start + 2, len(segments), 2):
        raw_ai = segments[i]
        ai = _path_ai(raw_ai)
        if ai not in allowed:
            raise _refuse("uri" if not _known_ai(ai) else ai, _misplaced_reason(key_ai, raw_ai))
        rank = allowed.index(ai)
        if rank <= last_rank and any(q_ai == ai for q_ai, _v in qualifiers):
            raise _refuse(ai, _("AI %(ai)s appears more than once in the path.", ai=ai))
        if rank < last_rank:
            raise _refuse(
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
        problem = _value_problem(ai, value)
        if problem:
            raise _refuse(ai, problem)
        qualifiers.append((ai, value))

    data_attributes, extra = _parse_query(match["query"])
    base_path = "/" + "/".join(segments[:start]) if start else ""
    base = f"{match['scheme'].lower()}://{authority.lower()}{base_path}"
    return DigitalLink(base, key_ai, key_value, tuple(qualifiers), data_attributes, extra)


def _known_ai(ai: str) -> bool:
    return (
        ai in _QUALIFIERS
        or ai in _ALL_QUALIFIERS
        or ai in DATA_ATTRIBUTE_AIS
        or ai in _UNSUPPORTED_KEYS
    )


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
        if key in _ALL_QUALIFIERS or key in _QUALIFIERS:
            raise _refuse(key, _("AI %(ai)s belongs in the path, not in the query string.", ai=key))
        if key in attrs:
            raise _refuse(key, _("AI %(ai)s appears more than once in the query.", ai=key))
        problem = _attribute_problem(key, value)
        if problem:
            raise _refuse(key if key in DATA_ATTRIBUTE_AIS else "uri", problem)
        attrs[key] = value
    return attrs, tuple(extra)


# --------------------------------------------------------------------------- canonical forms


def _as_link(dl: DigitalLink | str) -> DigitalLink:
    return parse_digital_link(dl) if isinstance(dl, str) else dl


def _finest_qualifiers(dl: DigitalLink) -> tuple[tuple[str, str], ...]:
    # EPCIS event-hash rule: keep only the most fine-grained identification (serial beats
    # lot; CPV is not part of an EPC) and drop every data attribute.
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
    link = _as_link(dl)
    if link.is_platform:
        raise _refuse("uri", _("A platform identifier has no GS1 canonical form."))
    qualifiers = link.qualifiers if all_qualifiers else _finest_qualifiers(link)
    return _compose(CANONICAL_BASE, link.key_ai, link.key_value, qualifiers, {})


def canonical_uri(dl: DigitalLink | str) -> str:
    """The identifier to store and hash: the canonical GS1 URI for a GS1 key, the platform URI
    (finest qualifier, no query) for a platform product."""
    link = _as_link(dl)
    if link.is_platform:
        return _compose(link.base, PLATFORM_KEY, link.key_value, _finest_qualifiers(link), {})
    return canonical_gs1_uri(link)


# --------------------------------------------------------------------------- EPC URNs

_EPC_VALUE = r"(?:[!'()*+,\-.0-9:;=A-Z_a-z]|%[0-9A-Fa-f]{2}){1,20}"
_EPC_RE = re.compile(
    r"urn:epc:(?:"
    r"id:sgtin:(?P<sgtin_cp>[0-9]{6,12})\.(?P<sgtin_ir>[0-9]{1,7})\.(?P<sgtin_s>EPCVALUE)"
    r"|class:lgtin:(?P<lgtin_cp>[0-9]{6,12})\.(?P<lgtin_ir>[0-9]{1,7})\.(?P<lgtin_l>EPCVALUE)"
    r"|id:sscc:(?P<sscc_cp>[0-9]{6,12})\.(?P<sscc_sr>[0-9]{5,11})"
    r"|id:sgln:(?P<sgln_cp>[0-9]{6,12})\.(?P<sgln_lr>[0-9]{0,6})\.(?P<sgln_x>EPCVALUE)"
    r"|id:pgln:(?P<pgln_cp>[0-9]{6,12})\.(?P<pgln_pr>[0-9]{0,6})"
    r")\Z".replace("EPCVALUE", _EPC_VALUE)
)
# Characters of CSET 82 that an EPC URI must escape (Tag Data Standard); the rest stay raw.
_EPC_ESCAPE = str.maketrans({c: f"%{ord(c):02X}" for c in '"%&/<>?'})


def _with_check(body: str) -> str:
    return body + str(gs1_check_digit(body))


def epc_urn_to_digital_link(urn: str) -> DigitalLink:
    """The canonical ``DigitalLink`` of an EPC URN: SGTIN, LGTIN class, SSCC, SGLN, PGLN."""
    match = _EPC_RE.match(urn) if isinstance(urn, str) else None
    if match is None:
        raise _refuse("uri", _("Not an EPC URN this platform can convert."))
    g = match.groupdict()
    if g["sgtin_cp"] or g["lgtin_cp"]:
        kind = "sgtin" if g["sgtin_cp"] else "lgtin"
        cp, ir = g[f"{kind}_cp"], g[f"{kind}_ir"]
        if len(cp) + len(ir) != 13:
            raise _refuse("uri", _("The company prefix and item reference must total 13 digits."))
        gtin = _with_check(ir[0] + cp + ir[1:])
        ai, value = (SERIAL, g["sgtin_s"]) if kind == "sgtin" else (LOT, g["lgtin_l"])
        value = unquote(value)
        problem = _value_problem(ai, value)
        if problem:
            raise _refuse(ai, problem)
        return DigitalLink(CANONICAL_BASE, GTIN, gtin, ((ai, value),))
    if g["sscc_cp"]:
        cp, sr = g["sscc_cp"], g["sscc_sr"]
        if len(cp) + len(sr) != 17:
            raise _refuse("uri", _("The company prefix and serial reference must total 17 digits."))
        return DigitalLink(CANONICAL_BASE, SSCC, _with_check(sr[0] + cp + sr[1:]))
    kind = "sgln" if g["sgln_cp"] else "pgln"
    cp, ref = g[f"{kind}_cp"], g[f"{kind}_{'lr' if kind == 'sgln' else 'pr'}"]
    if len(cp) + len(ref) != 12:
        raise _refuse("uri", _("The company prefix and location reference must total 12 digits."))
    gln = _with_check(cp + ref)
    if kind == "pgln":
        return DigitalLink(CANONICAL_BASE, PARTY_GLN, gln)
    extension = unquote(g["sgln_x"])
    # In an SGLN the extension "0" means "no extension".
    if extension == "0":
        return DigitalLink(CANONICAL_BASE, GLN, gln)
    problem = _value_problem(GLN_EXTENSION, extension)
    if problem:
        raise _refuse(GLN_EXTENSION, problem)
    return DigitalLink(CANONICAL_BASE, GLN, gln, ((GLN_EXTENSION, extension),))


def to_epc_urn(dl: DigitalLink | str, company_prefix_length: int) -> str:
    """The EPC URN of a GS1 key, given its company prefix length (6-12 digits).

    GTIN + serial → ``urn:epc:id:sgtin:``; GTIN + lot → ``urn:epc:class:lgtin:``; a bare
    GTIN → ``urn:epc:idpat:sgtin:…*``; SSCC, GLN (+ extension) and party GLN likewise.
    """
    link = _as_link(dl)
    if not 6 <= company_prefix_length <= 12:
        raise _refuse("company_prefix_length", _("A GS1 company prefix has 6 to 12 digits."))
    n = company_prefix_length
    v = link.key_value
    if link.key_ai == GTIN:
        cp, ir = v[1 : 1 + n], v[0] + v[1 + n : 13]
        if link.serial is not None:
            return f"urn:epc:id:sgtin:{cp}.{ir}.{link.serial.translate(_EPC_ESCAPE)}"
        if link.lot is not None:
            return f"urn:epc:class:lgtin:{cp}.{ir}.{link.lot.translate(_EPC_ESCAPE)}"
        return f"urn:epc:idpat:sgtin:{cp}.{ir}.*"
    if link.key_ai == SSCC:
        return f"urn:epc:id:sscc:{v[1 : 1 + n]}.{v[0]}{v[1 + n : 17]}"
    if link.key_ai == GLN:
        extension = (link.gln_extension or "0").translate(_EPC_ESCAPE)
        return f"urn:epc:id:sgln:{v[:n]}.{v[n:12]}.{extension}"
    if link.key_ai == PARTY_GLN:
        return f"urn:epc:id:pgln:{v[:n]}.{v[n:12]}"
    raise _refuse("uri", _("A platform identifier has no EPC URN."))
