"""The GS1-conformant Digital Link resolver over HTTP (GS1-Conformant Resolver 1.2): methods
and CORS, syntax errors as 400, the default 307, the linkset, link types, languages,
walk-up, the well-known description, platform URIs and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.own_process import limited_app_script, printed_by
from tests.traceability.resolution_world import BASE, LOT, SERIAL, World, make_world

SCHEMA = Path("/work/shared/conformance/digital-link/linkset-schema.json")
LINKSET = "application/linkset+json"
VOC = "https://gs1.org/voc/"
GS1_LINK_TYPES = {
    f"{VOC}{name}"
    for name in ("defaultLink", "traceability", "pip", "certificationInfo", "recallStatus",
                 "epcis", "locationInfo")
}
UNKNOWN_GTIN = "09506000134352"  # GS1's own example: valid, but no one's here


@pytest.fixture()
def world() -> World:
    return make_world()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def lot_path(world: World) -> str:
    return f"/01/{world.gtin}/10/{LOT}"


def linkset_of(client: FlaskClient, path: str, **headers: str) -> dict:
    response = client.get(path, query_string={"linkType": "linkset"}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_data(as_text=True))


def links_header(response: TestResponse) -> list[str]:
    return response.headers.getlist("Link")


def assert_linkset_link(response: TestResponse) -> None:
    assert any('rel="linkset"' in value for value in links_header(response)), (
        response.status_code, response.headers)


def assert_cors(response: TestResponse) -> None:
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    methods = response.headers["Access-Control-Allow-Methods"]
    assert all(m in methods for m in ("GET", "HEAD", "OPTIONS"))


def valid_against_gs1_schema(document: dict) -> list[str]:
    validator = jsonschema_rs.Draft7Validator(json.loads(SCHEMA.read_text()))
    return [str(error) for error in validator.iter_errors(document)]


# --------------------------------------------------------------------------- methods, CORS


def test_get_redirects_307_to_the_trace_page(client, world) -> None:
    response = client.get(lot_path(world))
    assert response.status_code == 307
    assert response.location == f"{BASE}/trace/01/{world.gtin}/10/{LOT}"
    assert not response.get_data()


def test_the_query_string_is_passed_on_when_redirecting(client, world) -> None:
    response = client.get(lot_path(world) + "?foo=bar&17=261231")
    assert response.status_code == 307
    assert response.location == f"{BASE}/trace/01/{world.gtin}/10/{LOT}?foo=bar&17=261231"


def test_head_answers_as_get_does_without_a_body(client, world) -> None:
    response = client.head(lot_path(world))
    assert response.status_code == 307
    assert response.location == client.get(lot_path(world)).location
    assert not response.get_data()
    assert_linkset_link(response)


def test_options_answers_204_with_cors_on_every_identifier_path(client, world) -> None:
    for path in (lot_path(world), f"/414/{world.gln}", "/417/4012345000009",
                 "/00/106141411234567897", f"/p/{world.platform_ref}",
                 "/.well-known/gs1resolver"):
        response = client.options(path, headers={"Origin": "https://scanner.example"})
        assert response.status_code == 204, path
        assert_cors(response)
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ("", {}, 307),
        ("linkType=linkset", {}, 200),
        ("linkType=gs1:pip", {"Accept-Language": "vi, en"}, 300),
        ("linkType=gs1:nosuchlt", {}, 404),
        ("linkType=gs1:nosuchlt", {"Accept": "text/html"}, 404),
    ],
)
def test_every_answer_carries_cors_and_a_link_to_the_linkset(
    client, world, query, headers, status
) -> None:
    response = client.get(lot_path(world), query_string=query, headers=headers)
    assert response.status_code == status
    assert_cors(response)
    assert_linkset_link(response)
    assert f'<{BASE}/01/{world.gtin}/10/{LOT}?linkType=linkset>' in links_header(response)[-1]
    assert {"Accept", "Accept-Language"} <= set(response.vary)


@pytest.mark.parametrize(
    "path",
    [
        "/01/08931234500017/10/L1",  # bad check digit: a 400
        f"/01/{UNKNOWN_GTIN}/10/L1",  # unknown key: a 404
        "/01/08931234500016/10/A%00",  # NUL: refused before the view
    ],
)
def test_errors_carry_cors_and_a_link_to_the_linkset_too(client, path) -> None:
    for accept in ("application/json", "text/html"):
        response = client.get(path, headers={"Accept": accept})
        assert response.status_code in (400, 404)
        assert_cors(response)
        assert_linkset_link(response)


def test_a_method_the_resolver_does_not_answer_is_405_with_cors(client, world) -> None:
    response = client.post(lot_path(world))
    assert response.status_code == 405
    assert_cors(response)


# --------------------------------------------------------------------------- syntax: 400


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/01/08931234500017", "01"),  # check digit
        ("/01/089312345", "01"),  # length
        ("/01/08931234500016/21/S1/10/L1", "10"),  # 21 before 10
        ("/01/08931234500016/10/L1/10/L2", "10"),  # repeated
        ("/01/08931234500016/10/A%20B", "10"),  # space: not in CSET 82
        ("/01/08931234500016/10/L%C3%B4", "10"),  # "Lô": no accents in a lot
        ("/01/08931234500016/10/" + "L" * 21, "10"),  # 21 characters
        ("/01/08931234500016/10/AB%ZZ", "uri"),  # bad percent-encoding
        ("/01/08931234500016/10/AB%4", "uri"),  # truncated escape
        ("/01/08931234500016/17/261231", "17"),  # a data attribute in the path
        ("/01/08931234500016/10/L1/foo", "uri"),  # GS1's test: a trailing /foo
        ("/414/4012345000008", "414"),  # GLN check digit
        ("/00/106141411234567890", "00"),  # SSCC check digit
        ("/p/HTX.CF/10/A%20B", "10"),  # platform URIs follow the same rules
    ],
)
def test_syntax_errors_are_400_problems_naming_the_fault(client, path, field) -> None:
    response = client.get(path)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 400 and body["type"].endswith("/problems/validation")
    assert field in {error["field"] for error in body["errors"]}
    assert body["detail"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("10=L2", "10"),  # a key qualifier in the query string
        ("21=S", "21"),
        ("01=08931234500016", "01"),  # a primary key too
        ("17=", "17"),  # an empty value
        ("17=261399", "17"),  # no 13th month
        ("99999=1", "uri"),  # an unknown all-digit key
        ("17=261231&17=261230", "17"),  # repeated
    ],
)
def test_bad_query_attributes_are_400(client, world, query, field) -> None:
    response = client.get(f"{lot_path(world)}?{query}")
    assert response.status_code == 400
    assert field in {error["field"] for error in response.get_json()["errors"]}


def test_non_numeric_unknown_parameters_are_ignored(client, world) -> None:
    response = client.get(f"{lot_path(world)}?utm_source=qr&context=x&lang=")
    assert response.status_code == 307


def test_a_browser_gets_a_400_page_saying_what_is_wrong(client) -> None:
    response = client.get("/01/08931234500017/10/L1", headers={"Accept": "text/html"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "AI 01 (GTIN)" in page and "08931234500017" in page
    assert "/trace/report?uri=" in page


# --------------------------------------------------------------------------- the linkset


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ({"linkType": "linkset"}, {}),
        ({"linkType": "all"}, {}),
        ({}, {"Accept": LINKSET}),
        ({"linkType": "all"}, {"Accept": LINKSET}),
    ],
)
def test_the_linkset_is_served_when_asked_for(client, world, query, headers) -> None:
    response = client.get(lot_path(world), query_string=query, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == LINKSET
    context = [v for v in links_header(response) if "json-ld#context" in v]
    assert context and 'type="application/ld+json"' in context[0]
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in context[0]
    assert not valid_against_gs1_schema(json.loads(response.get_data(as_text=True)))


def test_a_linkset_in_plain_json_or_json_ld_when_the_client_prefers_it(client, world) -> None:
    plain = client.get(lot_path(world), query_string={"linkType": "all"},
                       headers={"Accept": "application/json"})
    assert plain.mimetype == "application/json"
    assert not valid_against_gs1_schema(plain.get_json())
    linked = client.get(lot_path(world), query_string={"linkType": "all"},
                        headers={"Accept": "application/ld+json"})
    assert linked.mimetype == "application/ld+json"
    assert linked.get_json()["@context"].startswith("https://ref.gs1.org/standards/resolver/")


def test_the_linkset_has_exactly_one_default_link(client, world) -> None:
    document = linkset_of(client, f"{lot_path(world)}/21/{SERIAL}")
    defaults = [link for item in document["linkset"]
                for link in item.get(f"{VOC}defaultLink", [])]
    assert len(defaults) == 1
    # GS1-Conformant Resolver 1.2: the default link has a title "but SHALL NOT include
    # other attributes".
    assert set(defaults[0]) == {"href", "title"}
    assert defaults[0]["href"] == f"{BASE}/trace/01/{world.gtin}/10/{LOT}/21/{SERIAL}"


def test_every_other_link_has_href_title_hreflang_and_type(client, world) -> None:
    document = linkset_of(client, lot_path(world))
    for item in document["linkset"]:
        for relation, links in item.items():
            if relation in ("anchor", "itemDescription") or relation.endswith("defaultLink"):
                continue
            for link in links:
                assert set(link) == {"href", "title", "hreflang", "type"}, link
                assert link["href"].startswith(f"{BASE}/") and link["title"]
                assert set(link["hreflang"]) <= {"vi", "en"}


def test_link_types_come_from_the_gs1_web_vocabulary(client, world) -> None:
    relations = {
        key for item in linkset_of(client, lot_path(world))["linkset"] for key in item
        if key not in ("anchor", "itemDescription")
    }
    assert relations <= GS1_LINK_TYPES
    assert {f"{VOC}{n}" for n in ("pip", "traceability", "certificationInfo",
                                  "recallStatus", "epcis", "defaultLink")} <= relations


def test_the_links_and_their_targets(client, world) -> None:
    item = linkset_of(client, lot_path(world), **{"Accept-Language": "en"})["linkset"][0]
    lot = f"01/{world.gtin}/10/{LOT}"
    hrefs = {rel.removeprefix(VOC): {link["href"] for link in links}
             for rel, links in item.items() if rel.startswith(VOC)}
    assert hrefs["traceability"] == {f"{BASE}/trace/{lot}?lang=vi", f"{BASE}/trace/{lot}?lang=en"}
    assert f"{BASE}/trace/01/{world.gtin}?lang=en" in hrefs["pip"]
    assert f"{BASE}/trace/{lot}?lang=vi#certifications" in hrefs["certificationInfo"]
    assert f"{BASE}/trace/{lot}?lang=en#recall" in hrefs["recallStatus"]
    (epcis,) = hrefs["epcis"]
    assert parse_qs(urlsplit(epcis).query) == {"MATCH_anyEPCClass": [world.lot.canonical_id]}
    assert urlsplit(epcis).path == "/epcis/events"
    assert item["itemDescription"] == world.product.name
    assert item["anchor"] == f"{BASE}/{lot}"


def test_a_qualified_uri_linkset_has_each_level_up_to_the_primary_key(client, world) -> None:
    document = linkset_of(client, f"{lot_path(world)}/21/{SERIAL}")
    anchors = [item["anchor"] for item in document["linkset"]]
    assert anchors == [
        f"{BASE}/01/{world.gtin}/10/{LOT}/21/{SERIAL}",
        f"{BASE}/01/{world.gtin}/10/{LOT}",
        f"{BASE}/01/{world.gtin}",
    ]
    serial_events = document["linkset"][0][f"{VOC}epcis"][0]["href"]
    assert "MATCH_anyEPC=" in serial_events
    assert not valid_against_gs1_schema(document)


# --------------------------------------------------------------------------- link types


def test_link_type_redirects_to_that_link_in_either_spelling(client, world) -> None:
    for link_type in ("gs1:pip", f"{VOC}pip"):
        response = client.get(lot_path(world), query_string={"linkType": link_type})
        assert response.status_code == 307
        # No language asked for: the default language's link.
        assert response.location.startswith(f"{BASE}/trace/01/{world.gtin}?lang=vi")


def test_the_default_link_type_can_be_asked_for(client, world) -> None:
    response = client.get(lot_path(world), query_string={"linkType": "gs1:defaultLink"})
    assert response.status_code == 307
    assert response.location.startswith(f"{BASE}/trace/01/{world.gtin}/10/{LOT}")


def test_language_and_media_type_refine_the_link(client, world) -> None:
    response = client.get(lot_path(world), query_string={"linkType": "gs1:certificationInfo"},
                          headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.location == (
        f"{BASE}/trace/01/{world.gtin}/10/{LOT}?lang=en#certifications"
    )


def test_several_equal_matches_answer_300_with_the_choices(client, world) -> None:
    response = client.get(lot_path(world), query_string={"linkType": "gs1:traceability"},
                          headers={"Accept-Language": "en, vi"})
    assert response.status_code == 300
    assert response.mimetype == LINKSET
    (item,) = response.get_json()["linkset"]
    assert [link["hreflang"] for link in item[f"{VOC}traceability"]] == [["vi"], ["en"]]
    page = client.get(lot_path(world), query_string={"linkType": "gs1:traceability"},
                      headers={"Accept-Language": "en, vi", "Accept": "text/html"})
    assert page.status_code == 300 and page.mimetype == "text/html"
    assert f"/trace/01/{world.gtin}/10/{LOT}?lang=en" in page.get_data(as_text=True)


@pytest.mark.parametrize("link_type", ["gs1:nosuchlt", "gs1:allergenInfo", "pip", "x:y"])
def test_an_unknown_or_unoffered_link_type_is_404(client, world, link_type) -> None:
    response = client.get(lot_path(world), query_string={"linkType": link_type})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_every_offered_link_answers_as_gs1s_test_suite_asks(client, world) -> None:
    """GS1's resolver test suite asks each link with ``?linkType=&mediaType=&lang=`` and
    expects its ``href`` back (ignoring a passed-on query from ``?linkType=`` or
    ``&linkType=`` on)."""
    item = linkset_of(client, lot_path(world))["linkset"][0]
    for relation, links in item.items():
        if not relation.startswith(VOC) or relation.endswith("defaultLink"):
            continue
        curie = "gs1:" + relation.removeprefix(VOC)
        for link in links:
            query = f"linkType={curie}"  # a single link is asked by its type alone
            if len(links) > 1:
                query += f"&mediaType={link['type']}&lang={link['hreflang'][0]}"
            response = client.get(f"{lot_path(world)}?{query}")
            assert response.status_code == 307, (curie, link)
            location = response.location
            cut = location.find(f"?linkType={curie}")
            if cut < 0:
                cut = location.find(f"&linkType={curie}")
            assert (location[:cut] if cut >= 0 else location) == link["href"], (curie, link)


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        ({"Accept-Language": "vi-VN"}, {}, "vi"),  # the base language matches
        ({"Accept-Language": "en-US"}, {}, "en"),
        ({"Accept-Language": "en;q=0.4, vi;q=0.8"}, {}, "vi"),  # q-values
        ({"Accept-Language": "fr, en;q=0.5"}, {}, "en"),
        ({"Accept-Language": "fr"}, {}, "vi"),  # nothing offered: the default
        ({"Accept-Language": "vi"}, {"lang": "en"}, "en"),  # ?lang= wins
        ({"Accept-Language": "en"}, {"lang": "xx"}, "en"),  # unknown ?lang= is ignored
        ({"Accept-Language": "*"}, {}, "vi"),
        ({"Accept-Language": ";;;,q=abc,,"}, {}, "vi"),  # junk
    ],
)
def test_the_language_of_the_chosen_link(client, world, headers, query, expected) -> None:
    response = client.get(lot_path(world),
                          query_string={"linkType": "gs1:pip", **query}, headers=headers)
    assert response.status_code == 307
    assert f"?lang={expected}" in response.location


def test_linkset_titles_are_in_the_asked_language(client, world) -> None:
    english = client.get(lot_path(world), query_string={"linkType": "linkset"},
                         headers={"Accept-Language": "en"})
    assert english.headers["Content-Language"] == "en"
    item = english.get_json()["linkset"][0]
    assert item[f"{VOC}defaultLink"][0]["title"] == "Trace this product"
    assert {link["title"] for link in item[f"{VOC}pip"] if link["hreflang"] == ["en"]} == {
        "Product information"}
    vietnamese = client.get(lot_path(world), query_string={"linkType": "linkset"},
                            headers={"Accept-Language": "vi-VN"})
    assert vietnamese.headers["Content-Language"] == "vi"


# --------------------------------------------------------------------------- walk-up


def test_an_unknown_serial_walks_up_to_the_lot(client, world) -> None:
    response = client.get(f"{lot_path(world)}/21/NOT-ISSUED")
    assert response.status_code == 307
    assert response.location == f"{BASE}/trace/01/{world.gtin}/10/{LOT}/21/NOT-ISSUED"
    document = linkset_of(client, f"{lot_path(world)}/21/NOT-ISSUED")
    # The lot's level is there, with its events.
    assert document["linkset"][1]["anchor"] == f"{BASE}/01/{world.gtin}/10/{LOT}"
    lot_events = document["linkset"][1][f"{VOC}epcis"][0]["href"]
    assert parse_qs(urlsplit(lot_events).query)["MATCH_anyEPCClass"] == [world.lot.canonical_id]


def test_an_unregistered_lot_of_a_known_gtin_still_leads_to_the_trace_page(
    client, world
) -> None:
    # The trace page resolves the same path and says the producer registered no such lot.
    response = client.get(f"/01/{world.gtin}/10/FAKE-99")
    assert response.status_code == 307
    assert response.location == f"{BASE}/trace/01/{world.gtin}/10/FAKE-99"


def test_an_unknown_gtin_is_a_404_page_that_helps(client) -> None:
    response = client.get(f"/01/{UNKNOWN_GTIN}/10/ABC", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert UNKNOWN_GTIN in page  # what was scanned
    assert 'data-testid="report-link"' in page
    assert (f'href="/trace/report?uri=https%3A%2F%2Ftrace.example.vn%2F01%2F{UNKNOWN_GTIN}'
            '%2F10%2FABC"') in page
    api = client.get(f"/01/{UNKNOWN_GTIN}/10/ABC")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    assert UNKNOWN_GTIN in api.get_json()["detail"]
    linkset = client.get(f"/01/{UNKNOWN_GTIN}", query_string={"linkType": "linkset"},
                         headers={"Accept": "text/html"})
    assert linkset.status_code == 404 and linkset.mimetype == "application/problem+json"


# --------------------------------------------------------------------------- shapes


def test_a_trailing_slash_is_tolerated(client, world) -> None:
    with_slash = client.get(lot_path(world) + "/")
    without = client.get(lot_path(world))
    assert (with_slash.status_code, with_slash.location) == (without.status_code,
                                                             without.location)
    # The description file too, with its CORS headers, for GET and for a preflight.
    described = client.get("/.well-known/gs1resolver/")
    assert described.status_code == 200 and described.mimetype == "application/json"
    assert described.get_json() == client.get("/.well-known/gs1resolver").get_json()
    assert_cors(described)
    preflight = client.options("/.well-known/gs1resolver/")
    assert preflight.status_code == 204
    assert_cors(preflight)


def test_a_zero_suppressed_gtin_resolves_to_the_canonical_anchor(client, world) -> None:
    document = linkset_of(client, f"/01/{world.gtin[1:]}/10/{LOT}")
    assert document["linkset"][0]["anchor"] == f"{BASE}/01/{world.gtin}/10/{LOT}"


def test_platform_uris_are_resolved_the_same_way(client, world) -> None:
    path = f"/p/{world.platform_ref}/10/P-01"
    response = client.get(path)
    assert response.status_code == 307
    assert response.location == f"{BASE}/trace/p/{world.platform_ref}/10/P-01"
    document = linkset_of(client, path)
    assert not valid_against_gs1_schema(document)
    pip = document["linkset"][0][f"{VOC}pip"][0]["href"]
    assert pip == f"{BASE}/trace/p/{world.platform_ref}?lang=vi"


def test_a_place_resolves_with_location_links(client, world) -> None:
    response = client.get(f"/414/{world.gln}")
    assert response.status_code == 307
    assert response.location == f"{BASE}/trace/414/{world.gln}"
    item = linkset_of(client, f"/414/{world.gln}")["linkset"][0]
    assert f"{VOC}locationInfo" in item and f"{VOC}pip" not in item
    assert "EQ_bizLocation=" in item[f"{VOC}epcis"][0]["href"]


def test_party_and_sscc_keys_are_read_but_unknown_here(client) -> None:
    assert client.get("/417/4012345000009").status_code == 404
    assert client.get("/00/106141411234567897").status_code == 404


def test_the_resolver_description_file(client) -> None:
    response = client.get("/.well-known/gs1resolver")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert_cors(response)
    body = response.get_json()
    assert body["name"] and body["resolverRoot"] == BASE
    assert set(body["supportedPrimaryKeys"]) == {"01", "414", "417", "00"}
    assert {"namespace": VOC, "prefix": "gs1:"} in body["supportedLinkType"]
    assert body["supportedLanguages"] == ["vi", "en"]


# --------------------------------------------------------------------------- bad input


def test_script_in_a_lot_code_is_escaped_everywhere(client, world) -> None:
    script = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"  # 25 characters: also too long
    for path in (f"/01/{UNKNOWN_GTIN}/10/%3Cscript%3E", f"/01/{world.gtin}/10/{script}",
                 f"/01/{world.gtin}/10/%3Cb%3E%22'x", f"/01/{UNKNOWN_GTIN}/10/%7B%3Cs%3E"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code in (307, 400, 404), path
        page = response.get_data(as_text=True)
        assert "<script" not in page and "<b>" not in page and "<s>" not in page, page
        for value in [*links_header(response), response.headers.get("Location", "")]:
            assert "<script" not in value and '"\'' not in value


@pytest.mark.parametrize(
    "path",
    [
        "/01/08931234500016/10/%00",
        "/01/08931234500016/10/A%00B/21/1",
        "/01/08931234500016/..%2F..%2Fetc%2Fpasswd",
        "/01/08931234500016/10/..%2F..%2Fetc",
        "/01/../../etc/passwd",
        "/01//08931234500016",
        "/p/%2E%2E/10/L1",
        "/01/08931234500016/10/" + "L" * 2048,
        "/01/08931234500016/10/" + "%E1%BB%91" * 50,
        "/01/%FF%FE",
        "/00/" + "9" * 5000,
    ],
)
def test_hostile_input_is_a_clear_4xx_never_a_5xx(client, path) -> None:
    for accept in ("text/html", "application/json"):
        response = client.get(path, headers={"Accept": accept, "Accept-Language": "xx-YY"})
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert response.status_code != 200


def test_unknown_languages_and_junk_headers_are_harmless(client, world) -> None:
    response = client.get(lot_path(world), headers={
        "Accept-Language": "x" * 5000, "Accept": "*/*;q=abc, text/html;;q=", })
    assert response.status_code == 307
    response = client.get(lot_path(world), query_string={"lang": "<script>"})
    assert response.status_code == 307


def test_an_anonymous_scan_opens_no_session(client, world) -> None:
    for path, accept in ((lot_path(world), "text/html"),
                         (f"/01/{UNKNOWN_GTIN}", "text/html"),
                         ("/01/08931234500017", "text/html"),
                         (lot_path(world) + "?linkType=linkset", "*/*")):
        response = client.get(path, headers={"Accept": accept})
        assert "Set-Cookie" not in response.headers, (path, response.headers)


# --------------------------------------------------------------------------- rate limit

# The limiter is one object per process, off in the session's app (tests/own_process.py).
_LIMIT_SCRIPT = limited_app_script("""


def call(addr, path="/01/09506000134352", **headers):
    response = client.get(path, headers=headers, environ_base={"REMOTE_ADDR": addr})
    return f"{response.status_code}:{response.headers.get('Access-Control-Allow-Origin', '-')}"


codes = [call("10.9.0.1") for _ in range(3)]
codes += [
    call("10.9.0.1", Authorization="Bearer htx_000000000000_not-a-token"),
    call("10.9.0.1", **{"X-Forwarded-For": "192.0.2.7"}),  # no proxy is trusted here
    call("10.9.0.1", path="/.well-known/gs1resolver"),
    call("10.9.0.2"),
]
print(",".join(codes))
""", RATELIMIT_RESOLVER="3 per minute")


def test_scans_are_limited_per_client_address_with_no_way_around(tmp_path) -> None:
    (printed,) = printed_by(_LIMIT_SCRIPT, tmp_path)
    assert printed.split(",") == ["404:*"] * 3 + ["429:*"] * 3 + ["404:*"]
