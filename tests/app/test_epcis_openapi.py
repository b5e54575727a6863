"""``/epcis/openapi.json``: the EPCIS 2.0 binding is documented (issue 9 §4), truthfully."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.epcis import problems
from tests.app.test_epcis_api import capture, document, event
from tests.factories import make_org, make_user_with_token
from traceability.services.event_queries import KNOWN_PARAMS

_AUTOMATIC = {"HEAD", "OPTIONS"}


@pytest.fixture()
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/epcis/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    return response.get_json()


def _schema_validator(spec: dict[str, Any], name: str) -> jsonschema_rs.Draft202012Validator:
    """A validator for ``#/components/schemas/<name>`` with the document's other schemas."""
    root = {"components": spec["components"], "$ref": f"#/components/schemas/{name}"}
    return jsonschema_rs.Draft202012Validator(root)


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?event_id>", "{eventID}", rule)


def test_it_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    definitions = pytest.importorskip("schemathesis.specs.openapi.definitions")
    assert spec["openapi"].startswith("3.1")
    errors = [e.message for e in definitions.OPENAPI_31_VALIDATOR.iter_errors(spec)]
    assert errors == []
    for name, schema in spec["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_every_reference_resolves(spec: dict[str, Any]) -> None:
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                target: Any = spec
                for part in ref.removeprefix("#/").split("/"):
                    target = target[part]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)


def test_every_route_under_epcis_is_documented(app: Flask, spec: dict[str, Any]) -> None:
    routes: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/epcis/"):
            continue
        methods = set(rule.methods or ()) - _AUTOMATIC
        if rule.endpoint == "epcis.capture_options":
            methods = {"OPTIONS"}
        routes.update((_openapi_path(rule.rule), m.lower()) for m in methods)
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert routes and routes == documented


def test_the_query_parameters_are_those_the_server_understands(spec: dict[str, Any]) -> None:
    operation = spec["paths"]["/epcis/events"]["get"]
    parameters = [
        spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        for p in operation["parameters"]
    ]
    assert {p["name"] for p in parameters if p["in"] == "query"} == KNOWN_PARAMS
    assert all(p["description"] for p in parameters)


def test_capture_documents_its_headers_body_and_gs1_exceptions(spec: dict[str, Any]) -> None:
    post = spec["paths"]["/epcis/capture"]["post"]
    names = {p["$ref"].rsplit("/", 1)[1] for p in post["parameters"]}
    assert {"GS1-Capture-Error-Behaviour", "GS1-EPCIS-Version"} <= names
    assert set(post["requestBody"]["content"]) == {"application/json", "application/ld+json"}
    assert {"200", "201", "400", "401", "403", "406", "413", "415", "500"} <= set(post["responses"])
    too_large = spec["components"]["responses"]["CaptureLimitExceededException"]
    assert {"GS1-EPCIS-Capture-Limit", "GS1-EPCIS-Capture-File-Size-Limit"} <= set(
        too_large["headers"]
    )
    options = spec["paths"]["/epcis/capture"]["options"]["responses"]["204"]["headers"]
    assert "GS1-Capture-Error-Behaviour" in options
    links = spec["components"]["responses"]["QueryResults"]["headers"]
    assert "Link" in links


def _problem_type(spec: dict[str, Any], response: dict[str, Any]) -> str:
    name = response["$ref"].rsplit("/", 1)[1]
    content = spec["components"]["responses"][name]["content"]["application/problem+json"]
    return content["schema"]["properties"]["type"]["const"]


def test_each_error_status_names_the_exception_the_server_answers(
    spec: dict[str, Any],
) -> None:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                kind = _problem_type(spec, response)
                if path == "/epcis/events" and method == "get" and status == "400":
                    assert kind == problems.QUERY_VALIDATION
                elif int(status) >= 500:
                    assert kind == problems.IMPLEMENTATION
                else:
                    assert kind == problems._TYPES[int(status)], (path, method, status)


def test_real_answers_match_the_documented_schemas(
    client: FlaskClient, spec: dict[str, Any]
) -> None:
    _, headers = make_user_with_token(make_org("HTX Tài liệu"))
    job = _schema_validator(spec, "CaptureJob")
    problem = _schema_validator(spec, "Problem")
    results = _schema_validator(spec, "EPCISQueryDocument")

    created = capture(client, headers, document(event(1)))
    assert created.status_code == 201
    assert job.is_valid(created.get_json()), list(job.iter_errors(created.get_json()))

    proceed = capture(
        client,
        headers,
        document(event(2), event(3, bizStep="harvesting")),
        **{"GS1-Capture-Error-Behaviour": "proceed"},
    )
    assert job.is_valid(proceed.get_json()), list(job.iter_errors(proceed.get_json()))

    refused = capture(client, headers, document(event(4, bizStep="harvesting")))
    assert refused.status_code == 400
    assert problem.is_valid(refused.get_json()), refused.get_json()

    listed = client.get("/epcis/events", headers=headers)
    assert results.is_valid(listed.get_json())
    unauthenticated = client.get("/epcis/events")
    assert unauthenticated.status_code == 401
    assert problem.is_valid(unauthenticated.get_json())


def test_the_api_docs_link_to_it(client: FlaskClient) -> None:
    api = client.get("/api/openapi.json").get_json()
    assert "/epcis/openapi.json" in api["info"]["description"]
