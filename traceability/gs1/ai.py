"""The GS1 Application Identifiers (AIs) the platform knows, and the checks of their values.

One table, ``AI``: every primary key of GS1 Digital Link (with its short name and the
qualifiers it takes, in the only order the standard allows), the path qualifiers, and the
data attributes accepted in a Digital Link query string, each with its GS1 format.

Data attributes are dates YYMMDD; for 11-17 a day of 00 means "end of the month", as the
General Specifications allow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from core.errors import ValidationFailed
from core.i18n import _, _l

__all__ = [
    "AI",
    "CPV",
    "CSET82",
    "CSET82_SYMBOLS",
    "DATA_ATTRIBUTE_AIS",
    "GLN",
    "GLN_EXTENSION",
    "GMN",
    "GTIN",
    "LOT",
    "PARTY_GLN",
    "PRIMARY_KEYS",
    "SERIAL",
    "SHORT_NAMES",
    "SSCC",
    "AIFormat",
    "ApplicationIdentifier",
    "attribute_problem",
    "cset82_problem",
    "qualifier_problem",
    "validate_lot",
    "validate_serial",
    "yymmdd",
]

SSCC = "00"
GTIN = "01"
LOT = "10"
SERIAL = "21"
CPV = "22"
GLN_EXTENSION = "254"
GLN = "414"
PARTY_GLN = "417"
GMN = "8013"

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
_CSET82_CLASS = r"[!\"%-?A-Z_a-z]"
_CSET82_RE = re.compile(rf"{_CSET82_CLASS}*\Z")


# --------------------------------------------------------------------------- formats


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


@dataclass(frozen=True, slots=True)
class AIFormat:
    pattern: re.Pattern[str]
    description: str  # the GS1 format string, shown in refusals ("N6 YYMMDD")
    extra: Callable[[str], str | None] | None = None  # a check the pattern cannot make


def _n(
    pattern: str, description: str, extra: Callable[[str], str | None] | None = None
) -> AIFormat:
    return AIFormat(re.compile(pattern + r"\Z"), description, extra)


def _x(max_length: int) -> AIFormat:
    return _n(rf"{_CSET82_CLASS}{{1,{max_length}}}", f"X..{max_length}")


_X20 = _x(20)
_N6_DATE0 = _n(r"[0-9]{6}", "N6 YYMMDD", _dates(zero_day=True))
_COUNTRY = _n(r"[0-9]{3}", "N3 ISO 3166 country code")
_COUNTRIES = _n(r"(?:[0-9]{3}){1,5}", "N3 + N..12 ISO 3166 country codes")


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True, slots=True)
class ApplicationIdentifier:
    """One GS1 AI: its code, its GS1 data title and format.

    ``qualifiers`` is None unless the AI is a GS1 Digital Link primary key; for a key it lists
    the path qualifiers in the only order the standard allows (those this platform reads).
    ``short_name`` is the deprecated convenience alpha of GS1 Digital Link 1.1 (``gtin``).
    ``data_attribute``: accepted in a Digital Link query string.
    """

    code: str
    title: str
    format: AIFormat
    short_name: str | None = None
    qualifiers: tuple[str, ...] | None = None
    data_attribute: bool = False

    @property
    def is_primary_key(self) -> bool:
        return self.qualifiers is not None


def _key(
    code: str, title: str, fmt: AIFormat, short_name: str, qualifiers: tuple[str, ...] = ()
) -> ApplicationIdentifier:
    return ApplicationIdentifier(code, title, fmt, short_name, qualifiers)


def _attr(code: str, title: str, fmt: AIFormat) -> ApplicationIdentifier:
    return ApplicationIdentifier(code, title, fmt, data_attribute=True)


_N13 = _n(r"[0-9]{13}", "N13")
_N18 = _n(r"[0-9]{18}", "N18")
_N6 = _n(r"[0-9]{6}", "N6")
_X30 = _x(30)

_TABLE = (
    # Primary keys, in GS1 Digital Link order. GTIN's qualifier 235 (TPX) and the UIC
    # extension 7040 of 414/417/8004 are not read by this platform.
    _key(GTIN, "GTIN", _n(r"[0-9]{14}", "N14"), "gtin", (CPV, LOT, SERIAL)),
    _key("8006", "ITIP", _n(r"[0-9]{18}", "N14+N2+N2"), "itip", (CPV, LOT, SERIAL)),
    _key(GMN, "GMN", _x(25), "gmn"),
    _key("8010", "CPID", _n(r"[#\-/0-9A-Z]{1,30}", "Y..30"), "cpid", ("8011",)),
    _key(GLN, "LOC No.", _N13, "gln", (GLN_EXTENSION,)),
    _key(PARTY_GLN, "PARTY", _N13, "party"),
    _key("8017", "GSRN - PROVIDER", _N18, "gsrnp", ("8019",)),
    _key("8018", "GSRN - RECIPIENT", _N18, "gsrn", ("8019",)),
    _key("255", "GCN", _n(r"[0-9]{13,25}", "N13+N..12"), "gcn"),
    _key(SSCC, "SSCC", _N18, "sscc"),
    _key("253", "GDTI", _n(rf"[0-9]{{13}}{_CSET82_CLASS}{{0,17}}", "N13+X..17"), "gdti"),
    _key("401", "GINC", _X30, "ginc"),
    _key("402", "GSIN", _n(r"[0-9]{17}", "N17"), "gsin"),
    _key("8003", "GRAI", _n(rf"[0-9]{{14}}{_CSET82_CLASS}{{0,16}}", "N14+X..16"), "grai"),
    _key("8004", "GIAI", _X30, "giai"),
    # Path qualifiers.
    ApplicationIdentifier(CPV, "CPV", _X20, "cpv"),
    ApplicationIdentifier(LOT, "BATCH/LOT", _X20, "lot"),
    ApplicationIdentifier(SERIAL, "SERIAL", _X20, "ser"),
    ApplicationIdentifier(GLN_EXTENSION, "GLN EXTENSION COMPONENT", _X20, "glnx"),
    ApplicationIdentifier("8011", "CPID SERIAL", _n(r"[0-9]{1,12}", "N..12"), "cpsn"),
    ApplicationIdentifier("8019", "SRIN", _n(r"[0-9]{1,10}", "N..10"), "srin"),
    # Data attributes (query string).
    _attr("11", "PROD DATE", _N6_DATE0),
    _attr("12", "DUE DATE", _N6_DATE0),
    _attr("13", "PACK DATE", _N6_DATE0),
    _attr("15", "BEST BEFORE or BEST BY", _N6_DATE0),
    _attr("16", "SELL BY", _N6_DATE0),
    _attr("17", "USE BY or EXPIRY", _N6_DATE0),
    _attr("20", "VARIANT", _n(r"[0-9]{2}", "N2")),
    _attr("30", "VAR. COUNT", _n(r"[0-9]{1,8}", "N..8")),
    _attr("37", "COUNT", _n(r"[0-9]{1,8}", "N..8")),
    *(_attr(f"310{n}", "NET WEIGHT (kg)", _N6) for n in range(6)),  # n decimals
    _attr("400", "ORDER NUMBER", _X30),
    _attr("422", "ORIGIN", _COUNTRY),  # 704 = Viet Nam
    _attr("423", "COUNTRY - INITIAL PROCESS.", _COUNTRIES),
    _attr("424", "COUNTRY - PROCESS.", _COUNTRY),
    _attr("425", "COUNTRY - DISASSEMBLY", _COUNTRIES),
    _attr("426", "COUNTRY - FULL PROCESS", _COUNTRY),
    _attr("7003", "EXPIRY TIME", _n(r"[0-9]{10}", "N10 YYMMDDHHMM", _date_time)),
    _attr("7006", "FIRST FREEZE DATE", _n(r"[0-9]{6}", "N6 YYMMDD", _dates(zero_day=False))),
    # one harvest date, or a start and an end date
    _attr(
        "7007",
        "HARVEST DATE",
        _n(r"[0-9]{6}(?:[0-9]{6})?", "N6..12 YYMMDD[YYMMDD]", _dates(zero_day=False)),
    ),
    _attr("7008", "AQUATIC SPECIES", _x(3)),  # FAO 3-alpha code
    _attr("7010", "PROD METHOD", _x(2)),
    _attr(
        "8008",
        "PROD TIME",
        _n(r"[0-9]{8}(?:[0-9]{2}){0,2}", "N8+N..4 YYMMDDHH[MM[SS]]", _date_time),
    ),
    _attr("90", "INTERNAL", _X30),
    *(_attr(str(n), "INTERNAL", _x(90)) for n in range(91, 100)),  # company internal
)

#: Every AI the platform knows, by code.
AI: dict[str, ApplicationIdentifier] = {ai.code: ai for ai in _TABLE}
#: The GS1 Digital Link primary keys, in the standard's order.
PRIMARY_KEYS: tuple[ApplicationIdentifier, ...] = tuple(ai for ai in _TABLE if ai.is_primary_key)
#: The data attributes accepted in a query string, by code.
DATA_ATTRIBUTE_AIS: dict[str, ApplicationIdentifier] = {
    ai.code: ai for ai in _TABLE if ai.data_attribute
}
#: Convenience alpha (``gtin``, ``lot``…) -> numeric AI.
SHORT_NAMES: dict[str, str] = {ai.short_name: ai.code for ai in _TABLE if ai.short_name}


# --------------------------------------------------------------------------- value checks

# Lazy: translated only when a refusal is actually rendered, never on the success path.
_NOUNS = {
    LOT: _l("lot number"),
    SERIAL: _l("serial number"),
    CPV: _l("consumer product variant"),
    GLN_EXTENSION: _l("GLN extension"),
}


def cset82_problem(value: str, max_length: int, what: object) -> str | None:
    """Why ``value`` is not 1 to ``max_length`` characters of CSET 82, naming it ``what``."""
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


def qualifier_problem(ai: str, value: str) -> str | None:
    """Why ``value`` is not a valid lot, serial, CPV or GLN extension (1-20 of CSET 82)."""
    return cset82_problem(value, 20, _NOUNS[ai])


def validate_lot(value: str, *, field: str = "lot") -> str:
    """``value`` if it is a valid lot/batch number (AI 10: 1-20 characters of CSET 82)."""
    problem = qualifier_problem(LOT, value)
    if problem:
        raise ValidationFailed(field_errors={field: [problem]})
    return value


def validate_serial(value: str, *, field: str = "serial") -> str:
    """``value`` if it is a valid serial number (AI 21: 1-20 characters of CSET 82)."""
    problem = qualifier_problem(SERIAL, value)
    if problem:
        raise ValidationFailed(field_errors={field: [problem]})
    return value


def attribute_problem(ai: str, value: str) -> str | None:
    """Why ``value`` is not a valid value of the data attribute ``ai``, or None."""
    spec = DATA_ATTRIBUTE_AIS.get(ai)
    if spec is None:
        return _(
            "AI %(ai)s is not a data attribute this platform accepts.",
            ai=ai,
        )
    fmt = spec.format
    if not isinstance(value, str) or not fmt.pattern.match(value):
        return _(
            "The value of AI %(ai)s must have the GS1 format %(format)s.",
            ai=ai,
            format=fmt.description,
        )
    return fmt.extra(value) if fmt.extra else None


def yymmdd(day: date) -> str:
    """``day`` as GS1's YYMMDD (for AI 7007 harvest date, 17 expiry, 11 production…)."""
    return day.strftime("%y%m%d")
