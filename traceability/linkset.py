"""The links the platform offers for a resolved identifier, and their RFC 9264 linkset.

A resolved identifier (``traceability.services.resolution.Resolution``) has one *level* per
prefix of its path, finest first: ``/01/G/10/L/21/S`` → the serial, the lot, the product.
Each level offers links typed with GS1 web vocabulary link types (``https://gs1.org/voc/…``):

=====================  ================================================  ================
link type              target                                            type
=====================  ================================================  ================
gs1:defaultLink        the consumer trace page of the requested URI      (title only)
                       (first level only: exactly one per linkset)
gs1:traceability       the trace page of the level, ``?lang=vi`` / en    text/html
gs1:pip                the trace page at the product level, vi / en      text/html
gs1:certificationInfo  the level's trace page ``#certifications``        text/html
gs1:recallStatus       the level's trace page ``#recall``                text/html
gs1:locationInfo       (places) the place's trace page, vi / en          text/html
gs1:epcis              the EPCIS events query of the level               application/json
=====================  ================================================  ================

Every link has an absolute ``href`` on the resolver's base, a ``title`` in its own language
(or in the asked language when it serves several), ``hreflang`` and ``type`` — except the
default link, which GS1-Conformant Resolver 1.2 defines "without any of the optional
attributes, that is, it SHALL include a title, but SHALL NOT include other attributes".
Pure: no request, no database; titles are translated with ``force_locale``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from flask import has_app_context
from flask_babel import force_locale

from core.i18n import _
from traceability.gs1 import DigitalLink, canonical_uri
from traceability.gs1.ai import GLN, LOT, SERIAL
from traceability.gs1.digital_link import compose_uri
from traceability.services.resolution import Resolution, trace_page_path

__all__ = [
    "DEFAULT_LINK",
    "GS1_VOCABULARY",
    "LANGUAGES",
    "LINKSET_CONTEXT",
    "Level",
    "Link",
    "levels_of",
    "linkset_document",
]

GS1_VOCABULARY = "https://gs1.org/voc/"
#: GS1's JSON-LD context for linksets (GS1-Conformant Resolver 1.2.0 artefacts).
LINKSET_CONTEXT = "https://ref.gs1.org/standards/resolver/1.2.0/linkset-context"
#: The languages links are offered in, the default first.
LANGUAGES = ("vi", "en")
HTML = "text/html"
EPCIS_TYPE = "application/json"

DEFAULT_LINK = "defaultLink"


@dataclass(frozen=True, slots=True)
class Link:
    link_type: str  # short name in the GS1 web vocabulary ("pip")
    href: str
    title: str
    hreflang: tuple[str, ...]  # () for the default link only
    type: str  # "" for the default link only

    @property
    def relation(self) -> str:
        """The link relation type URI (``https://gs1.org/voc/pip``)."""
        return GS1_VOCABULARY + self.link_type

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"href": self.href, "title": self.title}
        if self.hreflang:
            out["hreflang"] = list(self.hreflang)
        if self.type:
            out["type"] = self.type
        return out


@dataclass(frozen=True, slots=True)
class Level:
    anchor: str  # the identifier URI of the level, on the resolver's base
    description: str  # what it is (the product's or the place's name), may be ""
    links: tuple[Link, ...]


# --------------------------------------------------------------------------- titles


def _title_texts() -> dict[str, str]:
    return {
        DEFAULT_LINK: _("Trace this product"),
        "traceability": _("Traceability information"),
        "pip": _("Product information"),
        "certificationInfo": _("Certifications"),
        "recallStatus": _("Recall status"),
        "locationInfo": _("About this place"),
        "epcis": _("EPCIS events (for partners)"),
        "place": _("Trace this place"),
    }


# Per language, for the life of the process (the catalogs do not change while it runs):
# looking eight titles up in two languages on every scan cost as much as the query.
_TITLES: dict[str, Mapping[str, str]] = {}


def _titles(language: str) -> Mapping[str, str]:
    titles = _TITLES.get(language)
    if titles is None:
        with force_locale(language):
            titles = MappingProxyType(_title_texts())
        if has_app_context():  # outside one, nothing was translated: not worth keeping
            _TITLES[language] = titles
    return titles


# --------------------------------------------------------------------------- building


def _level_links(qualifiers: tuple[tuple[str, str], ...], link: DigitalLink) -> Iterable[
    tuple[tuple[tuple[str, str], ...], str]
]:
    """(qualifiers, anchor) of each level, finest first, down to the primary key alone."""
    for n in range(len(qualifiers), -1, -1):
        kept = qualifiers[:n]
        yield kept, compose_uri(link.base, link.key_ai, link.key_value, kept)


def _epcis_href(base: str, parameter: str, identifier: str) -> str:
    return f"{base}/epcis/events?{parameter}={quote(identifier, safe='')}"


@dataclass(frozen=True, slots=True)
class _Links:
    """Makes the links of one resolution: its base, and its titles in every language."""

    base: str
    titles: Mapping[str, Mapping[str, str]]  # language → link type → title
    language: str  # of the titles of links that serve every language

    def make(self, link_type: str, href: str, lang: str | None = None,
             media_type: str = HTML, title: str | None = None) -> Link:
        titles = self.titles[lang or self.language]
        text = titles[title or link_type]
        if link_type == DEFAULT_LINK:
            return Link(link_type, href, text, (), "")
        return Link(link_type, href, text, (lang,) if lang else LANGUAGES, media_type)

    def trace_page(self, key_path: str) -> str:
        return f"{self.base}{trace_page_path(key_path)}"

    def per_language(self, link_type: str, key_path: str, fragment: str = "") -> list[Link]:
        """One link per language to the trace page of ``key_path`` (``?lang=``)."""
        return [
            self.make(link_type, f"{self.trace_page(key_path)}?lang={lang}{fragment}", lang)
            for lang in LANGUAGES
        ]


def levels_of(found: Resolution, language: str) -> tuple[Level, ...]:
    """The levels of ``found`` with their links, finest (the requested URI) first; titles of
    links that serve every language are in ``language``."""
    link = found.link
    maker = _Links(
        link.base,
        {lang: _titles(lang) for lang in LANGUAGES},
        language if language in LANGUAGES else LANGUAGES[0],
    )
    description = (
        found.product.name if found.product is not None
        else found.area.name if found.area is not None
        else ""
    )
    is_place = link.key_ai == GLN
    product_path = compose_uri("", link.key_ai, link.key_value)[1:]
    levels: list[Level] = []
    for qualifiers, anchor in _level_links(link.qualifiers, link):
        key_path = anchor[len(link.base) + 1 :]
        links: list[Link] = []
        if not levels:  # exactly one default link: the requested URI's
            title = "place" if is_place else None
            links.append(maker.make(DEFAULT_LINK, maker.trace_page(key_path), title=title))
        if is_place:
            links += maker.per_language("locationInfo", key_path)
            links += maker.per_language("traceability", key_path)
            place = canonical_uri(DigitalLink(link.base, link.key_ai, link.key_value))
            events = _epcis_href(link.base, "EQ_bizLocation", place)
        else:
            links += maker.per_language("traceability", key_path)
            links += maker.per_language("pip", product_path)
            links += maker.per_language("certificationInfo", key_path, "#certifications")
            links += maker.per_language("recallStatus", key_path, "#recall")
            events = _trade_item_epcis(found, link.base, qualifiers)
        links.append(maker.make("epcis", events, media_type=EPCIS_TYPE))
        levels.append(Level(anchor, description, tuple(links)))
    return tuple(levels)


def _trade_item_epcis(
    found: Resolution, base: str, qualifiers: tuple[tuple[str, str], ...]
) -> str:
    """A serial's events (instance), a lot's (class), or the product's (GTIN class)."""
    link = found.link
    level_ais = [ai for ai, _value in qualifiers]
    level = DigitalLink(base, link.key_ai, link.key_value, qualifiers)
    if SERIAL in level_ais:
        return _epcis_href(base, "MATCH_anyEPC", canonical_uri(level))
    if LOT in level_ais and found.batch is not None:
        # The stored canonical id: a platform lot keeps the domain it was created on.
        return _epcis_href(base, "MATCH_anyEPCClass", found.batch.canonical_id)
    return _epcis_href(base, "MATCH_anyEPCClass", canonical_uri(level))


# --------------------------------------------------------------------------- the document


def linkset_document(
    levels: Iterable[Level], *, only: Mapping[str, Iterable[Link]] | None = None
) -> dict[str, Any]:
    """The RFC 9264 JSON linkset (``application/linkset+json``) as GS1's schema wants it:
    one object per level with ``anchor``, ``itemDescription`` and one array of link objects
    per link relation type URI. ``only`` (anchor → links) restricts the links shown."""
    items: list[dict[str, Any]] = []
    for level in levels:
        links = level.links if only is None else tuple(only.get(level.anchor, ()))
        if only is not None and not links:
            continue
        item: dict[str, Any] = {"anchor": level.anchor}
        if level.description:
            item["itemDescription"] = level.description
        for one in links:
            item.setdefault(one.relation, []).append(one.as_json())
        items.append(item)
    return {"linkset": items}
