"""The resolver's negotiation rules on their own (app.resolver.negotiation: pure functions)."""

from __future__ import annotations

import pytest

from app.resolver import negotiation as nego
from traceability.linkset import Link


def link(link_type: str, lang: str, media_type: str = "text/html", href: str = "") -> Link:
    return Link(link_type, href or f"https://x.vn/{link_type}/{lang}/{media_type}", "T",
                (lang,), media_type)


PIP = [link("pip", "vi"), link("pip", "en")]
EPCIS = [link("epcis", "en", "application/json"), link("epcis", "en", "application/ld+json")]
DEFAULT = Link("defaultLink", "https://x.vn/trace", "T", (), "")


@pytest.mark.parametrize(
    ("param", "header", "expected"),
    [
        (None, None, "vi"),
        (None, "vi-VN,vi;q=0.9,en;q=0.8", "vi"),
        (None, "en-US,en;q=0.9,vi;q=0.8", "en"),
        (None, "vi;q=0.2, en;q=0.3", "en"),
        (None, "de, fr;q=0.9", "vi"),
        (None, "de, en;q=0.1", "en"),
        (None, "*", "vi"),
        (None, "en;q=0, vi;q=0", "vi"),
        ("en", "vi", "en"),
        ("EN-gb", "vi", "en"),
        ("zz", "en", "en"),
        (None, "en;q=oops", "vi"),  # a q that is not a number reads as 0
        (None, "en;q=nan, vi;q=0.1", "vi"),
        (None, "en;q=7", "en"),  # clamped to 1
    ],
)
def test_choose_language(param, header, expected) -> None:
    assert nego.choose_language(param, header) == expected


def decide(links, **kwargs):  # type: ignore[no-untyped-def]
    options = {"link_type": None, "lang_param": None, "accept_language": None,
               "accept": None, **kwargs}
    return nego.decide(links, **options)


def test_no_link_type_redirects_to_the_default_link() -> None:
    answer = decide([DEFAULT, *PIP])
    assert answer.kind == "redirect" and answer.links == (DEFAULT,)


@pytest.mark.parametrize("value", ["linkset", "all"])
def test_link_type_linkset_or_all_is_the_linkset(value) -> None:
    assert decide([DEFAULT], link_type=value).kind == "linkset"


@pytest.mark.parametrize(
    ("accept", "linkset"),
    [
        ("application/linkset+json", True),
        ("application/linkset+json, text/html;q=0.5", True),
        ("text/html, application/linkset+json;q=0.5", False),
        ("*/*", False),
        ("application/json", False),
        (None, False),
    ],
)
def test_the_accept_header_asks_for_the_linkset_only_by_name(accept, linkset) -> None:
    assert (decide([DEFAULT], accept=accept).kind == "linkset") is linkset


def test_link_types_are_read_as_curie_or_vocabulary_uri() -> None:
    for spelling in ("gs1:pip", "https://gs1.org/voc/pip", "http://gs1.org/voc/pip",
                     "https://www.gs1.org/voc/pip"):
        assert nego.link_type_name(spelling) == "pip"
    for other in ("pip", "gs1:", "https://schema.org/pip", ""):
        assert nego.link_type_name(other) is None


def test_an_unoffered_link_type_is_unknown() -> None:
    assert decide(PIP, link_type="gs1:recallStatus").kind == "unknown_link_type"


def test_without_a_language_preference_the_default_language_wins() -> None:
    answer = decide(PIP, link_type="gs1:pip")
    assert answer.kind == "redirect" and answer.links[0].hreflang == ("vi",)


def test_q_values_choose_the_language() -> None:
    answer = decide(PIP, link_type="gs1:pip", accept_language="vi;q=0.5, en-AU;q=0.7")
    assert answer.links[0].hreflang == ("en",)


def test_lang_parameter_beats_accept_language() -> None:
    answer = decide(PIP, link_type="gs1:pip", lang_param="en", accept_language="vi")
    assert answer.links[0].hreflang == ("en",)


def test_languages_rated_equal_explicitly_give_choices() -> None:
    answer = decide(PIP, link_type="gs1:pip", accept_language="en, vi")
    assert answer.kind == "choices" and len(answer.links) == 2


def test_a_wildcard_is_no_preference_so_the_platform_order_decides() -> None:
    answer = decide(PIP, link_type="gs1:pip", accept_language="*")
    assert answer.kind == "redirect" and answer.links[0].hreflang == ("vi",)


def test_media_types_refine_and_explicit_ties_give_choices() -> None:
    assert decide(EPCIS, link_type="gs1:epcis",
                  accept="application/ld+json").links[0].type == "application/ld+json"
    assert decide(EPCIS, link_type="gs1:epcis", accept="*/*").kind == "redirect"
    tied = decide(EPCIS, link_type="gs1:epcis", accept="application/json, application/ld+json")
    assert tied.kind == "choices"
    by_param = decide(EPCIS, link_type="gs1:epcis", accept="application/json",
                      media_param="application/ld+json")
    assert by_param.links[0].type == "application/ld+json"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/linkset+json"),
        ("*/*", "application/linkset+json"),
        ("application/linkset+json", "application/linkset+json"),
        ("application/json", "application/json"),
        ("application/ld+json", "application/ld+json"),
        ("application/json;q=0.5, application/ld+json", "application/ld+json"),
        ("text/html", "application/linkset+json"),
    ],
)
def test_linkset_media_type(accept, expected) -> None:
    assert nego.linkset_media_type(accept) == expected


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("application/json", False),
        ("application/problem+json, text/html;q=0.5", False),
        ("*/*", False),
        (None, False),
    ],
)
def test_wants_html(accept, html) -> None:
    assert nego.wants_html(accept) is html


@pytest.mark.parametrize(
    ("href", "query", "expected"),
    [
        ("https://x.vn/t", "", "https://x.vn/t"),
        ("https://x.vn/t", "foo=bar&17=261231", "https://x.vn/t?foo=bar&17=261231"),
        ("https://x.vn/t?lang=vi", "lang=en&foo=1", "https://x.vn/t?lang=vi&foo=1"),
        ("https://x.vn/t?lang=vi#recall", "a=1", "https://x.vn/t?lang=vi&a=1#recall"),
        ("https://x.vn/t?lang=vi#recall", "linkType=gs1:x&mediaType=text/html&lang=vi",
         "https://x.vn/t?lang=vi#recall"),
        ("https://x.vn/t", "&&x=1&", "https://x.vn/t?x=1"),
    ],
)
def test_redirect_location_passes_the_query_on(href, query, expected) -> None:
    assert nego.redirect_location(href, query) == expected


def test_a_client_asking_for_the_linkset_gets_problems_not_pages() -> None:
    assert nego.wants_html("text/html", "gs1:pip")
    assert not nego.wants_html("text/html", "linkset")
    assert not nego.wants_html("text/html, application/linkset+json", None)
