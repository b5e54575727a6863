"""The published contract's tags are named for people (issue 9 §4), the URLs unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

EXPECTED_TAGS = {
    "Account",
    "Organisations",
    "Places",
    "Members",
    "Certifications",
    "Products",
    "Production areas",
    "Batches",
    "Lab results",
    "Exports",
    "Suppliers",
    "Linkage contracts",
    "Linkage projects",
    "Deliveries",
    "Linkage indicator",
    "Indicator targets",
    "Published figures",
}


@pytest.fixture()
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_every_tag_has_a_human_name_and_a_description(spec: dict[str, Any]) -> None:
    tags = spec["tags"]
    assert {tag["name"] for tag in tags} == EXPECTED_TAGS
    assert len(tags) == len(EXPECTED_TAGS)
    for tag in tags:
        assert tag["description"].strip(), tag
        assert not tag["name"].startswith("api_"), tag


def test_every_operation_carries_one_declared_tag(spec: dict[str, Any]) -> None:
    declared = {tag["name"] for tag in spec["tags"]}
    used: set[str] = set()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert len(operation["tags"]) == 1, (method, path)
            assert operation["tags"][0] in declared, (method, path, operation["tags"])
            used.update(operation["tags"])
    assert used == declared  # no empty group on the docs page


@pytest.mark.parametrize(
    ("path", "tag"),
    [
        ("/api/batches/", "Batches"),
        ("/api/batches/{batch_id}/lab-results", "Lab results"),
        ("/api/batches/{batch_id}/lab-results/{result_id}/withdrawal", "Lab results"),
        ("/api/areas/", "Production areas"),
        ("/api/organisations/", "Organisations"),
        ("/api/me", "Account"),
        ("/api/places/provinces", "Places"),
    ],
)
def test_urls_stay_and_are_grouped_under_their_tag(
    spec: dict[str, Any], path: str, tag: str
) -> None:
    matches = [p for p in spec["paths"] if p.rstrip("/") == path.rstrip("/")]
    assert matches, sorted(spec["paths"])
    operations = spec["paths"][matches[0]]
    assert all(op["tags"] == [tag] for m, op in operations.items() if m != "parameters")


def test_endpoint_names_are_unchanged(client: FlaskClient) -> None:
    """Tags are documentation only: url_for names (``api_batches.…``) still resolve."""
    endpoints = {rule.endpoint.split(".")[0] for rule in client.application.url_map.iter_rules()}
    assert {"api_batches", "api_areas", "api_organisations", "api_account"} <= endpoints
