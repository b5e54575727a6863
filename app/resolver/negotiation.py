"""What the resolver answers, decided from the request's parameters and headers: pure
functions of strings and ``traceability.linkset`` links (no Flask request), so every rule is
tested on its own.

- **Language**: ``?lang=`` if supported, else ``Accept-Language`` by q-value, a range
  matching on its base language (``vi-VN`` → ``vi``, which GS1's reference resolver does
  not do), ``*`` meaning the default; else the default (``vi``).
- **Answer**: ``?linkType=linkset``/``all``, or an ``Accept`` that ranks
  ``application/linkset+json`` at least as high as HTML, is the linkset; ``?linkType=X``
  (``gs1:X`` or ``https://gs1.org/voc/X``) redirects to the best link of that type; an
  unknown or unoffered type is 404; otherwise 307 to the default link.
- **Best link**: links are ranked by the q-value of their language, then of their media
  type. When several rank equal and the client *explicitly* rated them so (``vi, en``;
  ``application/json, application/ld+json``) the answer is 300 Multiple Choices; when
  the tie comes from a wildcard or an absent header the platform's order decides (the
  default language first), since the client expressed no preference between them.
- **Redirects** pass the request's query string on (GS1: "by default, SHALL pass on all
  key=value pairs"), before any fragment, but for ``linkType`` and ``mediaType``, which
  only choose the link, and for the parameters the target sets itself (its ``lang``).
  So the target of a link asked for by type, language and media type is exactly its
  ``href`` (as GS1's test suite checks, fragment included).
- ``?mediaType=`` stands for ``Accept`` and ``?lang=`` for ``Accept-Language`` (GS1's test
  suite asks for a link of a given type and language so).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from traceability.linkset import DEFAULT_LINK, GS1_VOCABULARY, LANGUAGES, Link

__all__ = [
    "CONSUMED_PARAMETERS",
    "LINKSET_JSON",
    "LINKSET_TYPES",
    "Answer",
    "choose_language",
    "decide",
    "link_type_name",
    "linkset_media_type",
    "plain_link",
    "ranges",
    "redirect_location",
    "wants_html",
]

DEFAULT_LANGUAGE = LANGUAGES[0]
LINKSET_JSON = "application/linkset+json"
#: The media types a linkset is served as, the preferred first.
LINKSET_TYPES = (LINKSET_JSON, "application/json", "application/ld+json")
_LINKSET_VALUES = frozenset({"linkset", "all"})
_VOCABULARY_PREFIXES = (
    "gs1:",
    GS1_VOCABULARY,
    "http://gs1.org/voc/",
    "https://www.gs1.org/voc/",
    "http://www.gs1.org/voc/",
)
_MAX_RANGES = 32  # a header longer than this is junk: the rest is not read


# --------------------------------------------------------------------------- header parsing


def ranges(header: str | None) -> tuple[tuple[str, float], ...]:
    """An ``Accept`` or ``Accept-Language`` header as (range, q) pairs, ranges lower-cased:
    ``a;q=0.5, b`` → (("b", 1.0), ("a", 0.5)), highest first (stable). A q that is not a
    number from 0 to 1 reads as 0 (or is clamped); junk never raises."""
    return _ranges(header or "")


@lru_cache(maxsize=512)
def _ranges(header: str) -> tuple[tuple[str, float], ...]:
    # Kept per header text: phones send a handful of distinct headers, and every scan
    # parses two of them (Accept, Accept-Language), some several times.
    out: list[tuple[str, float]] = []
    for item in header.split(",")[:_MAX_RANGES]:
        value, *params = (part.strip() for part in item.split(";"))
        if not value:
            continue
        q = 1.0
        for param in params:
            name, _sep, number = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(number)
                except ValueError:
                    q = 0.0
                q = min(max(q, 0.0), 1.0) if math.isfinite(q) else 0.0
        out.append((value.lower(), q))
    out.sort(key=lambda pair: -pair[1])
    return tuple(out)


def _base_language(tag: str) -> str:
    return tag.split("-", 1)[0].split("_", 1)[0].lower()


def choose_language(lang_param: str | None, accept_language: str | None) -> str:
    """The language of the answer (see the module docstring)."""
    if lang_param:
        base = _base_language(lang_param)
        if base in LANGUAGES:
            return base
    for tag, q in ranges(accept_language):
        if q <= 0:
            continue
        if tag == "*":
            return DEFAULT_LANGUAGE
        base = _base_language(tag)
        if base in LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True, slots=True)
class _Match:
    q: float
    explicit: bool  # matched by a range naming it (not by a wildcard or an absent header)


def _language_match(hreflang: Sequence[str], ranges: Sequence[tuple[str, float]]) -> _Match:
    if not ranges:
        return _Match(1.0, False)
    best = _Match(0.0, False)
    for tag, q in ranges:
        if tag == "*":
            found = _Match(q, False)
        elif any(_base_language(tag) == _base_language(lang) for lang in hreflang):
            found = _Match(q, True)
        else:
            continue
        if (found.q, found.explicit) > (best.q, best.explicit):
            best = found
    return best


def _media_match(media_type: str, ranges: Sequence[tuple[str, float]]) -> _Match:
    """RFC 9110 §12.5.1: the most specific range that matches gives the q-value."""
    if not ranges:
        return _Match(1.0, False)
    major = media_type.split("/", 1)[0]
    exact = [q for tag, q in ranges if tag == media_type]
    if exact:
        return _Match(max(exact), True)
    partial = [q for tag, q in ranges if tag == f"{major}/*"]
    if partial:
        return _Match(max(partial), True)
    anything = [q for tag, q in ranges if tag == "*/*"]
    return _Match(max(anything), False) if anything else _Match(0.0, False)


def _best(
    links: Sequence[Link],
    languages: Sequence[tuple[str, float]],
    media: Sequence[tuple[str, float]],
) -> list[Link]:
    """The one best link, or the several a client explicitly rated equal (→ 300)."""
    scored = [
        (link, _language_match(link.hreflang, languages), _media_match(link.type, media))
        for link in links
    ]
    top = max((lang.q, kind.q) for _link, lang, kind in scored)
    tied = [entry for entry in scored if (entry[1].q, entry[2].q) == top]
    if len(tied) == 1:
        return [tied[0][0]]
    explicit_languages = {link.hreflang for link, lang, _kind in tied if lang.explicit}
    explicit_types = {link.type for link, _lang, kind in tied if kind.explicit}
    if len(explicit_languages) > 1 or len(explicit_types) > 1:
        return [link for link, _lang, _kind in tied]
    return [tied[0][0]]


def link_type_name(value: str) -> str | None:
    """``gs1:pip`` or ``https://gs1.org/voc/pip`` → ``pip``; anything else → None."""
    for prefix in _VOCABULARY_PREFIXES:
        if value.startswith(prefix) and len(value) > len(prefix):
            return value[len(prefix) :]
    return None


# --------------------------------------------------------------------------- the decision


@dataclass(frozen=True, slots=True)
class Answer:
    """``kind``: "linkset" (200), "redirect" (307 to ``links[0]``), "choices" (300 among
    ``links``) or "unknown_link_type" (404)."""

    kind: str
    links: tuple[Link, ...] = ()


def _wants_linkset(link_type: str | None, media: Sequence[tuple[str, float]]) -> bool:
    if link_type is not None:
        return link_type in _LINKSET_VALUES
    linkset = _media_match(LINKSET_JSON, media)
    return linkset.explicit and linkset.q > 0 and linkset.q >= _media_match("text/html", media).q


def decide(
    links: Sequence[Link],
    *,
    link_type: str | None,
    lang_param: str | None,
    accept_language: str | None,
    accept: str | None,
    media_param: str | None = None,
) -> Answer:
    """What to answer for the requested URI's ``links`` (see the module docstring)."""
    media = [(media_param.lower(), 1.0)] if media_param else ranges(accept)
    if _wants_linkset(link_type, media):
        return Answer("linkset")
    wanted = DEFAULT_LINK if link_type is None else link_type_name(link_type)
    candidates = [link for link in links if link.link_type == wanted]
    if not candidates:
        return Answer("unknown_link_type")
    asked = _base_language(lang_param) if lang_param else None
    languages = [(asked, 1.0)] if asked in LANGUAGES else ranges(accept_language)
    best = _best(candidates, languages, media)
    return Answer("redirect" if len(best) == 1 else "choices", tuple(best))


def linkset_media_type(accept: str | None) -> str:
    """The media type a linkset is served as: the one the client ranks highest, by the most
    specific range; ``application/linkset+json`` unless the client prefers plain JSON or
    JSON-LD."""
    media = ranges(accept)
    ranked = [(_media_match(kind, media), -i, kind) for i, kind in enumerate(LINKSET_TYPES)]
    best = max(ranked, key=lambda entry: (entry[0].q, entry[0].explicit, entry[1]))
    return best[2] if best[0].q > 0 else LINKSET_JSON


def wants_html(accept: str | None, link_type: str | None = None) -> bool:
    """An error as an HTML page (a browser) rather than problem+json: the client names
    HTML and ranks it at least as high as JSON, and did not ask for the linkset."""
    media = ranges(accept)
    if _wants_linkset(link_type, media):
        return False
    html = _media_match("text/html", media)
    if not html.explicit or html.q <= 0:
        return False
    json_q = max(
        (m.q for m in (_media_match(kind, media) for kind in (*LINKSET_TYPES,
         "application/problem+json")) if m.explicit),
        default=0.0,
    )
    return html.q >= json_q


# --------------------------------------------------------------------------- HTTP forms


#: Parameters the resolver consumes to choose a link: they say nothing to the target.
CONSUMED_PARAMETERS = frozenset({"linkType", "mediaType"})


def redirect_location(href: str, query: str) -> str:
    """``href`` with the request's query pairs passed on, in their order, before the
    fragment: all but those ``href`` already sets and the resolver's own ``linkType`` and
    ``mediaType``. ``query`` is the raw query string (already validated by the URI syntax
    check, so it holds only URI characters)."""
    target, hash_mark, fragment = href.partition("#")
    path, question, own = target.partition("?")
    own_pairs = [pair for pair in own.split("&") if pair] if question else []
    skipped = {pair.partition("=")[0] for pair in own_pairs} | CONSUMED_PARAMETERS
    passed = [pair for pair in query.split("&") if pair and pair.partition("=")[0] not in skipped]
    pairs = own_pairs + passed
    location = path + ("?" + "&".join(pairs) if pairs else "")
    return location + (hash_mark + fragment if hash_mark else "")


def plain_link(href: str, rel: str, title: str, media_type: str) -> str:
    """One ``Link`` header value (RFC 8288): the linkset, the JSON-LD context. ``href`` must
    hold only URI characters; ``title`` is ASCII without quotes."""
    return f'<{href}>; rel="{rel}"; title="{title}"; type="{media_type}"'
