"""The GS1 EPCIS 2.0 REST binding under /epcis/: capture, single-event capture, queries."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.actor import PlatformRole
from core.db import db, utcnow
from linkages.models.organisations import OrgType
from tests.factories import HCMC, make_org, make_user_with_token
from tests.traceability.test_capture import make_batch
from traceability.epcis.validation import check_document
from traceability.models import EpcisEvent, Shipment

DATA = Path(__file__).resolve().parent.parent / "traceability" / "data"
EXAMPLES = sorted((DATA / "examples").rglob("*.jsonld"))
GOLDEN = sorted((DATA / "event-hash").glob("*.jsonld"))
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
VALIDATION = "epcisException:ValidationException"
QUERY_VALIDATION = "epcisException:QueryValidationException"
SECURITY = "epcisException:SecurityException"
LIMIT_EXCEEDED = "epcisException:CaptureLimitExceededException"
# GS1's OpenAPI allows only this name for 404 (its example says NoSuchResourceException).
NO_SUCH_NAME = "epcisException:NoSuchNameException"


# --------------------------------------------------------------------------- helpers


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def document(*events: dict[str, Any], context: list[Any] | None = None) -> dict[str, Any]:
    return {
        "@context": context or CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T00:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def event(n: int = 0, **fields: Any) -> dict[str, Any]:
    base = {
        "type": "ObjectEvent",
        "eventTime": f"2026-03-01T08:{n // 60:02d}:{n % 60:02d}+07:00",
        "eventTimeZoneOffset": "+07:00",
        "epcList": [f"urn:epc:id:sgtin:0614141.107346.{1000 + n}"],
        "action": "OBSERVE",
        "bizStep": "receiving",
    }
    base.update(fields)
    return base


def capture(client: FlaskClient, headers: dict[str, str], doc: Any, **extra: str) -> Any:
    return client.post("/epcis/capture", json=doc, headers={**headers, **extra})


def events_of(client: FlaskClient, headers: dict[str, str], **params: str) -> list[dict]:
    """Every event the query returns, following nextPageToken to the last page."""
    out: list[dict] = []
    query: dict[str, str] = dict(params)
    while True:
        response = client.get("/epcis/events", query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        out.extend(body["epcisBody"]["queryResults"]["resultsBody"]["eventList"])
        link = response.headers.get("Link")
        if not link:
            return out
        url = link[1 : link.index(">")]
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def gs1_problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    """Assert a problem+json in the binding's terms (GS1 exception ``type``) and return it."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert (body["type"], body["status"]) == (kind, status)
    assert body["title"] and body["detail"]
    assert body["instance"] == response.request.path
    return body


def stored_count() -> int:
    return db.session.scalar(select(func.count()).select_from(EpcisEvent))


@pytest.fixture()
def coop() -> tuple[Any, dict[str, str]]:
    org = make_org("HTX Nông nghiệp Sóc Sơn")
    _, headers = make_user_with_token(org)
    return org, headers


# --------------------------------------------------------------------------- capture


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_gs1_example_is_captured_idempotently_and_comes_back_valid(
    client: FlaskClient, coop: Any, path: Path
) -> None:
    _, headers = coop
    doc = load(path)
    n_events = len(check_document(copy.deepcopy(doc)).events)
    response = capture(client, headers, doc)
    assert response.status_code == 201, response.get_json()
    reply = response.get_json()
    assert reply["success"] is True and reply["running"] is False
    assert reply["eventCount"] == n_events
    assert reply["capturedCount"] + reply["duplicateCount"] == n_events
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert response.headers["GS1-EPCIS-Capture-Limit"]

    before = stored_count()
    again = capture(client, headers, load(path))
    assert again.status_code == 200
    assert again.get_json()["capturedCount"] == 0
    assert again.get_json()["duplicateCount"] == n_events
    assert stored_count() == before

    ids = sorted({e["eventID"] for e in reply["events"]})
    returned = events_of(client, headers, EQ_eventID="|".join(ids))
    assert {e["eventID"] for e in returned} == set(ids)
    out = {
        "@context": CONTEXT,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T00:00:00Z",
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery",
                                       "resultsBody": {"eventList": returned}}},
    }
    assert check_document(out).event_errors == {}


def test_query_response_document_validates_as_a_whole(client: FlaskClient, coop: Any) -> None:
    _, headers = coop
    capture(client, headers, load(DATA / "examples" / "Example_9.6.1-ObjectEvent.jsonld"))
    response = client.get("/epcis/events", headers=headers)
    body = response.get_json()
    assert body["type"] == "EPCISQueryDocument"
    checked = check_document(body)
    assert checked.event_errors == {} and len(checked.events) >= 1
    assert response.headers["GS1-CBV-Version"] == "2.0.0"


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_captured_events_without_ids_get_the_golden_hash(
    client: FlaskClient, coop: Any, path: Path
) -> None:
    _, headers = coop
    doc = load(path)
    body = doc["epcisBody"]
    events = body["eventList"] if "eventList" in body else (
        body["queryResults"]["resultsBody"]["eventList"]
    )
    for item in events:
        item.pop("eventID", None)
    reply = capture(client, headers, doc).get_json()
    golden = (path.with_suffix(".hashes")).read_text(encoding="utf-8").split()
    assert [e["eventID"] for e in reply["events"]] == golden


def test_capture_needs_a_token_and_an_organisation(client: FlaskClient) -> None:
    doc = document(event())
    gs1_problem(client.post("/epcis/capture", json=doc), 401, SECURITY)
    _, authority = make_user_with_token(platform_role=PlatformRole.AUTHORITY)
    gs1_problem(capture(client, authority, doc), 403, SECURITY)


def test_rollback_refuses_the_whole_document_for_one_broken_event(
    client: FlaskClient, coop: Any
) -> None:
    _, headers = coop
    broken = event(2, eventTime="2026-03-01T08:00:00")  # no time-zone offset
    before = stored_count()
    response = capture(client, headers, document(event(1), broken, event(3)))
    problem = gs1_problem(response, 400, VALIDATION)
    assert "epcisBody.eventList.1.eventTime" in {e["field"] for e in problem["errors"]}
    assert stored_count() == before


def test_proceed_keeps_the_valid_events_and_lists_every_status(
    client: FlaskClient, coop: Any
) -> None:
    _, headers = coop
    broken = event(2, bizStep="harvesting_rice")  # not a CBV word, not a URI
    before = stored_count()
    response = capture(
        client, headers, document(event(1), broken, event(3)),
        **{"GS1-Capture-Error-Behaviour": "proceed"},
    )
    assert response.status_code == 201
    reply = response.get_json()
    assert [e["status"] for e in reply["events"]] == ["captured", "error", "captured"]
    assert reply["success"] is False and reply["captureErrorBehaviour"] == "proceed"
    assert reply["events"][1]["errors"][0]["field"] == "epcisBody.eventList.1.bizStep"
    assert reply["events"][1]["type"] == VALIDATION
    assert "type" not in reply["events"][0]
    assert (reply["capturedCount"], reply["errorCount"]) == (2, 1)
    # The job's errors are RFC 9457 problems, one per refused event (GS1's CaptureJob).
    [job_error] = reply["errors"]
    assert (job_error["type"], job_error["status"], job_error["index"]) == (VALIDATION, 400, 1)
    assert job_error["title"] and job_error["detail"]
    assert [e["field"] for e in job_error["errors"]] == ["epcisBody.eventList.1.bizStep"]
    assert stored_count() == before + 2


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["epcisBody"]["eventList"][0].update(action="MOVE"),
         "epcisBody.eventList.0.action"),
        (lambda d: d["epcisBody"]["eventList"][0].update(bizStep="drying"),
         "epcisBody.eventList.0.bizStep"),
        (lambda d: d["epcisBody"]["eventList"][0].update(eventTime="2026-03-01T08:00:00"),
         "epcisBody.eventList.0.eventTime"),
        (lambda d: d.update(schemaVersion="1.2"), "schemaVersion"),
        (lambda d: d["epcisBody"]["eventList"][0].update(note="x"),
         "epcisBody.eventList.0.note"),
    ],
    ids=["schema-invalid", "unknown-bizstep", "no-offset", "version", "bare-extension"],
)
def test_broken_documents_are_refused_naming_the_json_path(
    client: FlaskClient, coop: Any, mutate: Any, field: str
) -> None:
    _, headers = coop
    doc = document(event())
    mutate(doc)
    before = stored_count()
    response = capture(client, headers, doc)
    assert field in {e["field"] for e in gs1_problem(response, 400, VALIDATION)["errors"]}
    assert stored_count() == before


def test_a_body_that_is_not_json_is_a_400_problem(client: FlaskClient, coop: Any) -> None:
    _, headers = coop
    response = client.post(
        "/epcis/capture", data=b"{not json", headers=headers, content_type="application/json"
    )
    gs1_problem(response, 400, VALIDATION)
    xml = client.post("/epcis/capture", data=b"<x/>", headers=headers,
                      content_type="application/xml")
    gs1_problem(xml, 415, "epcisException:UnsupportedMediaTypeException")
    single = client.post("/epcis/events", data=b"<x/>", headers=headers,
                         content_type="application/xml")
    gs1_problem(single, 415, "epcisException:UnsupportedMediaTypeException")


def test_an_unknown_capture_error_behaviour_is_a_validation_exception(
    client: FlaskClient, coop: Any
) -> None:
    _, headers = coop
    before = stored_count()
    response = capture(client, headers, document(event(1)),
                       **{"GS1-Capture-Error-Behaviour": "greedy"})
    body = gs1_problem(response, 400, VALIDATION)
    assert [e["field"] for e in body["errors"]] == ["GS1-Capture-Error-Behaviour"]
    assert stored_count() == before


def test_capture_limits_are_announced_and_enforced_with_413(
    app: Flask, client: FlaskClient, coop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, headers = coop
    monkeypatch.setitem(app.config, "EPCIS_CAPTURE_LIMIT", 2)
    options = client.options("/epcis/capture", headers=headers)
    assert options.status_code == 204
    assert options.headers["GS1-EPCIS-Capture-Limit"] == "2"
    assert int(options.headers["GS1-EPCIS-Capture-File-Size-Limit"]) > 0
    assert options.headers["GS1-Capture-Error-Behaviour"] == "all"
    listing = client.get("/epcis/capture", headers=headers)
    assert listing.status_code == 200 and listing.get_json() == []
    assert listing.headers["GS1-EPCIS-Capture-Limit"] == "2"
    before = stored_count()
    response = capture(client, headers, document(event(1), event(2), event(3)))
    gs1_problem(response, 413, LIMIT_EXCEEDED)
    assert response.headers["GS1-EPCIS-Capture-Limit"] == "2"
    assert stored_count() == before

    monkeypatch.setitem(app.config, "EPCIS_CAPTURE_FILE_SIZE_LIMIT", 200)
    too_big = capture(client, headers, document(event(1)))
    gs1_problem(too_big, 413, LIMIT_EXCEEDED)
    assert too_big.headers["GS1-EPCIS-Capture-File-Size-Limit"] == "200"
    single = client.post("/epcis/events", json={**event(9), "@context": CONTEXT},
                         headers=headers)
    gs1_problem(single, 413, LIMIT_EXCEEDED)
    assert single.headers["GS1-EPCIS-Capture-File-Size-Limit"] == "200"


def test_captured_event_naming_an_own_batch_attaches_to_it(
    client: FlaskClient, coop: Any
) -> None:
    org, headers = coop
    batch = make_batch(org)
    doc = document(event(1, epcList=[], quantityList=[
        {"epcClass": batch.identifier, "quantity": 5, "uom": "KGM"}
    ]))
    reply = capture(client, headers, doc).get_json()
    assert reply["capturedCount"] == 1
    found = events_of(client, headers, MATCH_anyEPCClass=batch.canonical_id)
    assert [e["eventID"] for e in found] == [reply["events"][0]["eventID"]]


# --------------------------------------------------------------------------- errors in GS1's terms


def test_unknown_events_and_resources_are_no_such_name(client: FlaskClient, coop: Any) -> None:
    _, headers = coop
    missing = quote("urn:uuid:00000000-0000-4000-8000-00000000dead", safe="")
    gs1_problem(client.get(f"/epcis/events/{missing}", headers=headers), 404, NO_SUCH_NAME)
    gs1_problem(client.get("/epcis/queries-of-the-future", headers=headers), 404, NO_SUCH_NAME)


def test_another_epcis_version_or_a_non_json_accept_is_not_acceptable(
    client: FlaskClient, coop: Any
) -> None:
    _, headers = coop
    before = stored_count()
    old = capture(client, headers, document(event(1)), **{"GS1-EPCIS-Version": "1.2"})
    body = gs1_problem(old, 406, "epcisException:NotAcceptableException")
    assert [e["field"] for e in body["errors"]] == ["GS1-EPCIS-Version"]
    xml = client.get("/epcis/events", headers={**headers, "Accept": "application/xml"})
    gs1_problem(xml, 406, "epcisException:NotAcceptableException")
    assert stored_count() == before
    ok = capture(client, headers, document(event(1)), **{"GS1-EPCIS-Version": "2.0.0"})
    assert ok.status_code == 201
    ld = client.get("/epcis/events", headers={**headers, "Accept": "application/ld+json"})
    assert ld.status_code == 200


def test_a_method_gs1_names_no_exception_for_stays_about_blank(
    client: FlaskClient, coop: Any
) -> None:
    _, headers = coop
    response = client.delete("/epcis/events", headers=headers)
    gs1_problem(response, 405, "about:blank")
    assert "GET" in response.headers["Allow"]


def test_a_too_long_uri_is_a_uri_too_long_exception(app: Flask) -> None:
    # gunicorn refuses over-long request lines itself; whatever raises 414 inside the app
    # still answers in GS1's terms.
    from werkzeug.exceptions import RequestURITooLarge

    from app.errors import handle_http_exception

    with app.test_request_context("/epcis/events?MATCH_epc=" + "x" * 100):
        response = handle_http_exception(RequestURITooLarge())
        body = response.get_json()
    assert response.status_code == 414
    assert (body["type"], body["status"]) == ("epcisException:URITooLongException", 414)
    assert body["title"] and body["detail"]


def test_an_unexpected_failure_is_an_implementation_exception_without_internals(
    client: FlaskClient, coop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, headers = coop

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr("app.epcis.views.query_events", boom)
    response = client.get("/epcis/events", headers=headers)
    gs1_problem(response, 500, "epcisException:ImplementationException")
    assert "hunter2" not in response.get_data(as_text=True)


def test_api_problems_keep_their_own_types(client: FlaskClient, coop: Any) -> None:
    _, headers = coop
    missing = client.get("/api/no-such-thing", headers=headers)
    assert (missing.status_code, missing.get_json()["type"]) == (404, "about:blank")
    invalid = client.post("/api/me/tokens", json={"name": 12}, headers=headers)
    assert invalid.status_code == 422
    assert invalid.get_json()["type"] == "https://trace.example.vn/problems/validation"


# --------------------------------------------------------------------------- POST /events


def test_post_event_answers_201_with_location_then_409(client: FlaskClient, coop: Any) -> None:
    _, headers = coop
    body = {**event(5), "@context": CONTEXT}
    first = client.post("/epcis/events", json=body, headers=headers)
    assert first.status_code == 201
    stored = first.get_json()
    assert stored["eventID"].startswith("ni:///sha-256;")
    assert stored["recordTime"].endswith("Z")
    location = first.headers["Location"]
    assert location == "/epcis/events/" + quote(stored["eventID"], safe="")
    fetched = client.get(location, headers=headers)
    assert fetched.status_code == 200
    [returned] = fetched.get_json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert returned["eventID"] == stored["eventID"]
    again = client.post("/epcis/events", json=body, headers=headers)
    gs1_problem(again, 409, "epcisException:ResourceAlreadyExistsException")


def test_post_event_refuses_a_document_and_an_invalid_event(
    client: FlaskClient, coop: Any
) -> None:
    _, headers = coop
    before = stored_count()
    doc = client.post("/epcis/events", json=document(event()), headers=headers)
    assert [e["field"] for e in gs1_problem(doc, 400, VALIDATION)["errors"]] == ["type"]
    bad = client.post("/epcis/events", json={**event(), "disposition": "lost_forever"},
                      headers=headers)
    assert "disposition" in {e["field"] for e in gs1_problem(bad, 400, VALIDATION)["errors"]}
    assert stored_count() == before


def test_error_declaration_retracts_the_original_and_both_are_queryable(
    client: FlaskClient, coop: Any
) -> None:
    _, headers = coop
    original = event(7, eventID="urn:uuid:9b1f7f0e-3a43-4c1e-9d6a-0c1f2a3b4c5d")
    capture(client, headers, document(original))
    declaration = {**original, "errorDeclaration": {
        "declarationTime": "2026-03-02T09:00:00+07:00", "reason": "incorrect_data",
        "correctiveEventIDs": ["urn:uuid:00000000-0000-4000-8000-000000000001"]}}
    reply = capture(client, headers, document(declaration)).get_json()
    assert reply["events"][0]["status"] == "captured"
    assert reply["events"][0]["errorDeclaration"] is True
    rows = db.session.execute(
        select(EpcisEvent.declares_error, EpcisEvent.retracted_at).where(
            EpcisEvent.event_id == original["eventID"]
        )
    ).all()
    assert {d: r is not None for d, r in rows} == {False: True, True: False}
    response = client.get(f"/epcis/events/{quote(original['eventID'], safe='')}",
                          headers=headers)
    found = response.get_json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert len(found) == 2
    assert "errorDeclaration" in found[1] and "errorDeclaration" not in found[0]
    declared = events_of(client, headers, EXISTS_errorDeclaration="true",
                         EQ_eventID=original["eventID"])
    assert len(declared) == 1


# --------------------------------------------------------------------------- queries


@pytest.fixture()
def variety(client: FlaskClient, coop: Any) -> tuple[dict[str, str], list[dict]]:
    """Five events of different shapes captured by the cooperative."""
    _, headers = coop
    events = [
        event(1, bizStep="shipping", disposition="in_transit",
              eventTime="2026-01-10T08:00:00+07:00",
              bizLocation={"id": "urn:epc:id:sgln:0614141.00777.0"}),
        event(2, bizStep="receiving", disposition="in_progress",
              eventTime="2026-02-10T08:00:00+07:00",
              epcList=["https://example.com/01/10614141073464/21/ABC"]),
        {
            "type": "AggregationEvent",
            "eventTime": "2026-03-10T08:00:00+07:00",
            "eventTimeZoneOffset": "+07:00",
            "parentID": "urn:epc:id:sscc:0614141.1234567890",
            "childEPCs": ["urn:epc:id:sgtin:0614141.107346.5000"],
            "action": "ADD",
            "bizStep": "packing",
        },
        {
            "type": "TransformationEvent",
            "eventTime": "2026-04-10T08:00:00+07:00",
            "eventTimeZoneOffset": "+07:00",
            "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.022222.IN1",
                                   "quantity": 10, "uom": "KGM"}],
            "outputEPCList": ["urn:epc:id:sgtin:4012345.011111.OUT1"],
            "bizStep": "commissioning",
        },
        event(5, epcList=[], eventTime="2026-05-10T08:00:00+07:00", quantityList=[
            {"epcClass": "urn:epc:class:lgtin:4012345.022222.Q1", "quantity": 3, "uom": "KGM"}
        ]),
    ]
    reply = capture(client, headers, document(*events)).get_json()
    assert reply["capturedCount"] == 5
    return headers, reply["events"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"eventType": "AggregationEvent|TransformationEvent"}, [2, 3]),
        ({"GE_eventTime": "2026-02-10T01:00:00Z"}, [1, 2, 3, 4]),
        ({"LT_eventTime": "2026-02-10T08:00:00+07:00"}, [0]),
        ({"GE_eventTime": "2026-02-01T00:00:00+07:00",
          "LT_eventTime": "2026-04-01T00:00:00+07:00"}, [1, 2]),
        ({"EQ_bizStep": "https://ref.gs1.org/cbv/BizStep-shipping"}, [0]),
        ({"EQ_bizStep": "packing|commissioning"}, [2, 3]),
        ({"EQ_disposition": "urn:epcglobal:cbv:disp:in_progress"}, [1]),
        ({"EQ_bizLocation": "https://id.gs1.org/414/0614141007776"}, [0]),
        ({"MATCH_epc": "urn:epc:id:sgtin:0614141.107346.ABC"}, [1]),
        ({"MATCH_epc": "urn:epc:id:sgtin:0614141.107346.5000"}, [2]),
        ({"MATCH_epc": "urn:epc:idpat:sgtin:0614141.107346.*"}, [0, 1, 2]),
        ({"MATCH_anyEPC": "urn:epc:id:sscc:0614141.1234567890"}, [2]),
        ({"MATCH_anyEPC": "https://id.gs1.org/01/04012345111118/21/OUT1"}, [3]),
        ({"MATCH_epcClass": "urn:epc:class:lgtin:4012345.022222.Q1"}, [4]),
        ({"MATCH_epcClass": "urn:epc:class:lgtin:4012345.022222.IN1"}, []),
        ({"MATCH_anyEPCClass": "https://id.gs1.org/01/04012345222227/10/IN1"}, [3]),
    ],
)
def test_each_query_parameter_filters(
    client: FlaskClient, variety: Any, params: dict[str, str], expected: list[int]
) -> None:
    headers, captured = variety
    ours = {e["eventID"] for e in captured}
    found = [e["eventID"] for e in events_of(client, headers, **params) if e["eventID"] in ours]
    assert found == [captured[i]["eventID"] for i in expected]


def test_eq_event_id_and_unknown_parameters(client: FlaskClient, variety: Any) -> None:
    headers, captured = variety
    wanted = captured[3]["eventID"]
    assert [e["eventID"] for e in events_of(client, headers, EQ_eventID=wanted)] == [wanted]
    bad = client.get("/epcis/events", query_string={"EQ_colour": "red"}, headers=headers)
    assert gs1_problem(bad, 400, QUERY_VALIDATION)["errors"][0]["field"] == "EQ_colour"
    bad_time = client.get("/epcis/events", query_string={"GE_eventTime": "2026-01-01"},
                          headers=headers)
    assert gs1_problem(bad_time, 400, QUERY_VALIDATION)["errors"][0]["field"] == "GE_eventTime"
    bad_token = client.get("/epcis/events", query_string={"nextPageToken": "!!"},
                           headers=headers)
    gs1_problem(bad_token, 400, QUERY_VALIDATION)
    bad_page = client.get("/epcis/events", query_string={"perPage": "0"}, headers=headers)
    assert gs1_problem(bad_page, 400, QUERY_VALIDATION)["errors"][0]["field"] == "perPage"
    # Without a token the query is not even read: 401 first.
    gs1_problem(client.get("/epcis/events", query_string={"EQ_colour": "red"}), 401, SECURITY)


def test_paging_follows_next_page_tokens_in_event_time_order(
    client: FlaskClient, coop: Any
) -> None:
    _, headers = coop
    # Same eventTime for several events: the keyset must still split them exactly.
    events = [event(i, eventTime="2026-06-01T00:00:00Z" if i % 2 else
                    f"2026-06-01T00:00:{i:02d}Z") for i in range(7)]
    capture(client, headers, document(*events))
    first = client.get("/epcis/events", query_string={"perPage": "3"}, headers=headers)
    link = first.headers["Link"]
    assert link.endswith('rel="next"') and "nextPageToken=" in link
    every = events_of(client, headers, perPage="3")
    assert len(every) == 7
    assert len({e["eventID"] for e in every}) == 7
    times = [e["eventTime"] for e in every]
    assert times == sorted(times, key=lambda t: t.replace("Z", "+00:00"))
    last = client.get("/epcis/events", query_string={"perPage": "7"}, headers=headers)
    assert "Link" not in last.headers


# --------------------------------------------------------------------------- who sees what


def test_an_organisation_cannot_read_another_organisations_events(
    client: FlaskClient, coop: Any
) -> None:
    _, headers = coop
    reply = capture(client, headers, document(event(11))).get_json()
    event_id = reply["events"][0]["eventID"]
    _, stranger = make_user_with_token(make_org("HTX Người lạ"))
    assert events_of(client, stranger) == []
    response = client.get(f"/epcis/events/{quote(event_id, safe='')}", headers=stranger)
    gs1_problem(response, 404, NO_SUCH_NAME)
    gs1_problem(client.get("/epcis/events"), 401, SECURITY)


def test_receiver_sees_events_of_batches_shipped_to_it(client: FlaskClient, coop: Any) -> None:
    org, headers = coop
    batch = make_batch(org)
    doc = document(event(12, epcList=[], quantityList=[
        {"epcClass": batch.identifier, "quantity": 5, "uom": "KGM"}]))
    reply = capture(client, headers, doc).get_json()
    buyer = make_org("Công ty Chế biến", OrgType.DN)
    _, buyer_headers = make_user_with_token(buyer)
    assert events_of(client, buyer_headers) == []
    pk = db.session.scalar(select(EpcisEvent.id).where(
        EpcisEvent.event_id == reply["events"][0]["eventID"]))
    db.session.add(Shipment(batch_id=batch.id, from_organisation_id=org.id,
                            to_organisation_id=buyer.id, quantity_kg=5,
                            shipped_at=utcnow(), ship_event_pk=pk))
    db.session.commit()
    seen = events_of(client, buyer_headers)
    assert [e["eventID"] for e in seen] == [reply["events"][0]["eventID"]]


def test_authorities_read_by_province_and_admins_read_all(
    client: FlaskClient, coop: Any
) -> None:
    _, hanoi_headers = coop  # the cooperative is in Hà Nội
    hanoi_id = capture(client, hanoi_headers, document(event(21))).get_json()["events"][0]
    saigon = make_org("HTX Sài Gòn", province_code=HCMC)
    _, saigon_headers = make_user_with_token(saigon)
    saigon_id = capture(client, saigon_headers, document(event(22))).get_json()["events"][0]
    wanted = {hanoi_id["eventID"], saigon_id["eventID"]}

    def visible(headers: dict[str, str]) -> set[str]:
        return {e["eventID"] for e in events_of(client, headers)} & wanted

    _, hcmc_authority = make_user_with_token(
        platform_role=PlatformRole.AUTHORITY, province_code=HCMC
    )
    _, national = make_user_with_token(platform_role=PlatformRole.AUTHORITY)
    _, admin = make_user_with_token(platform_role=PlatformRole.ADMIN)
    assert visible(hcmc_authority) == {saigon_id["eventID"]}
    assert visible(national) == wanted
    assert visible(admin) == wanted
