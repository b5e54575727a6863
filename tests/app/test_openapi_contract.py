"""The published contract (/api/openapi.json) says what the API really answers: numbers as
numbers, decimals as the text they are sent as, errors as problem+json, the pagination
headers as they are, and which operations need a token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from flask.testing import FlaskClient

from tests.app.fuzz_support import PROBLEM_JSON
from tests.factories import make_org, make_user_with_token

METHODS = {"get", "put", "post", "patch", "delete"}
NUMERIC_KEYWORDS = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}


@pytest.fixture()
def spec(client: FlaskClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/api/openapi.json").get_json()
    return document


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def walk(node: Any, where: str = "") -> Iterator[tuple[str, str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield where, key, value
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{where}/{i}")


def validator(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A JSON Schema validator of ``schema`` whose $refs resolve in the document."""
    return jsonschema_rs.validator_for({**schema, "components": spec["components"]})


def test_every_bound_in_the_document_is_a_json_number(spec: dict[str, Any]) -> None:
    wrong = [
        f"{where}/{key}: {value!r}"
        for where, key, value in walk(spec["components"]["schemas"])
        if key in NUMERIC_KEYWORDS
        and (isinstance(value, bool) or not isinstance(value, int | float))
    ]
    assert wrong == []


def test_decimal_bounds_are_numbers_and_exclusive_ones_exclusive(spec: dict[str, Any]) -> None:
    product_in = spec["components"]["schemas"]["ProductCreateIn"]["properties"]
    # Range(min=0, min_inclusive=False, max=10**9, max_inclusive=False)
    assert product_in["kg_per_unit"]["exclusiveMinimum"] == 0
    assert product_in["kg_per_unit"]["exclusiveMaximum"] == 10**9
    assert "minimum" not in product_in["kg_per_unit"]
    harvest_in = spec["components"]["schemas"]["HarvestIn"]["properties"]
    assert harvest_in["quantity"]["minimum"] == 0
    assert harvest_in["quantity"]["maximum"] == 10**12


def test_decimals_returned_as_text_are_documented_as_text(
    client: FlaskClient, spec: dict[str, Any]
) -> None:
    org = make_org()
    _, headers = make_user_with_token(org)
    body = {"code": "MAT-1", "name": "Mật ong", "commodity": "honey", "default_unit": "litre",
            "kg_per_unit": 1.4, "pack_size": "0.5", "pack_unit": "litre"}
    created = client.post("/api/products", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    product = created.get_json()

    assert isinstance(product["kg_per_unit"], str)
    documented = spec["components"]["schemas"]["ProductOut"]["properties"]["kg_per_unit"]
    assert "string" in documented["type"] and documented["format"] == "decimal"
    assert validator(spec, {"$ref": "#/components/schemas/ProductOut"}).is_valid(product)
    # A number where text is documented would no longer validate.
    assert not validator(spec, {"$ref": "#/components/schemas/ProductOut"}).is_valid(
        {**product, "kg_per_unit": 1.4}
    )


def test_every_error_response_of_every_operation_is_a_problem(spec: dict[str, Any]) -> None:
    problem = {"$ref": "#/components/schemas/Problem"}
    wrong = []
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        if "default" in responses:
            wrong.append(f"{method} {path}: a default response makes any status conform")
        if not {"422", "429", "500"} <= set(responses):
            wrong.append(f"{method} {path}: documents only {sorted(responses)}")
        for status, response in responses.items():
            if int(status) >= 400:
                content = resolve(spec, response).get("content", {})
                if content != {PROBLEM_JSON: {"schema": problem}}:
                    wrong.append(f"{method} {path} {status}: {content}")
    assert wrong == []


def test_the_problem_schema_names_the_rfc_9457_members(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    problem = schemas["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "instance", "errors"}
    assert set(problem["required"]) == {"type", "title", "status", "instance"}
    item = resolve(spec, problem["properties"]["errors"]["items"])
    assert set(item["properties"]) == {"field", "pointer", "location", "detail"}


def test_an_error_the_api_answers_validates_against_the_documented_problem(
    client: FlaskClient, spec: dict[str, Any]
) -> None:
    org = make_org()
    _, headers = make_user_with_token(org)
    refused = client.post("/api/products", json={"code": "", "commodity": "tea"}, headers=headers)

    assert refused.status_code == 422
    assert refused.mimetype == PROBLEM_JSON
    response = resolve(spec, spec["paths"]["/api/products"]["post"]["responses"]["422"])
    problem = validator(spec, response["content"][PROBLEM_JSON]["schema"])
    assert problem.is_valid(refused.get_json())
    assert {e["field"] for e in refused.get_json()["errors"]} >= {"code", "name"}
    unauthenticated = client.get("/api/products")
    assert unauthenticated.status_code == 401
    assert "401" in spec["paths"]["/api/products"]["get"]["responses"]
    assert problem.is_valid(unauthenticated.get_json())


def test_paginated_lists_document_the_headers_they_send(
    client: FlaskClient, spec: dict[str, Any]
) -> None:
    for path, _, operation in operations(spec):
        if any(p.get("name") == "page" for p in operation.get("parameters", [])):
            headers = operation["responses"]["200"]["headers"]
            assert set(headers) == {"X-Pagination", "X-Total-Count", "Link"}, path
    documented = {
        name: resolve(spec, header)
        for name, header in spec["paths"]["/api/places/provinces"]["get"]["responses"]["200"][
            "headers"
        ].items()
    }
    response = client.get("/api/places/provinces?page=2&page_size=5")

    # X-Pagination is JSON text, documented as such (not an OpenAPI "simple" object).
    pagination = documented["X-Pagination"]["content"]["application/json"]["schema"]
    assert validator(spec, pagination).is_valid(json.loads(response.headers["X-Pagination"]))
    assert documented["X-Total-Count"]["schema"]["type"] == "integer"
    assert int(response.headers["X-Total-Count"]) == 34
    assert documented["Link"]["schema"]["type"] == "string"
    assert 'rel="next"' in response.headers["Link"]


def test_the_bearer_token_is_declared_and_public_reads_do_not_require_it(
    client: FlaskClient, spec: dict[str, Any]
) -> None:
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert spec["security"] == [{"bearerAuth": []}]
    public = {
        (path, method)
        for path, method, operation in operations(spec)
        if {} in operation.get("security", spec["security"])
    }
    assert ("/api/places/provinces", "get") in public
    assert ("/api/organisations", "get") in public
    assert ("/api/products", "get") not in public
    for path, method in public:
        assert method == "get", path
        assert "401" not in spec["paths"][path][method]["responses"], path
    assert client.get("/api/places/provinces").status_code == 200
    assert client.get("/api/products/commodities").status_code == 200
