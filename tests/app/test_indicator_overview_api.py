"""``GET /api/indicator/overview`` (app/api/indicator.py) on the hand-built country of
tests/linkages/overview_world.py (expected figures worked out in
tests/linkages/test_overview.py)."""

from __future__ import annotations

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from core.actor import PlatformRole
from tests.factories import HANOI, HCMC, make_user_with_token
from tests.linkages.overview_world import build

URL = "/api/indicator/overview"


def _fields(response: TestResponse) -> set[str]:
    return {e.get("field") for e in response.get_json().get("errors", [])}


def test_the_overview_needs_an_authority(client: FlaskClient) -> None:
    world = build()
    assert client.get(URL).status_code == 401
    _user, member = make_user_with_token(world.orgs["a1"])
    refused = client.get(URL, headers=member)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"


def test_national_overview(client: FlaskClient) -> None:
    build()
    _user, admin = make_user_with_token(platform_role=PlatformRole.ADMIN)
    response = client.get(f"{URL}?year=2025", headers=admin)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["period"] == {"kind": "statistical_year", "year": 2025,
                              "start": "2024-12-15", "end": "2025-12-14"}
    assert body["reference_day"] == "2025-12-14" and body["target_scope"] == "national"
    counts = body["counts"]
    assert [counts[k]["value"] for k in ("htx", "tht", "lhhtx", "members")] == [6, 2, 1, 230]
    assert (body["high_tech"]["verified"], body["high_tech"]["claimed"]) == (3, 1)
    assert body["traceability"]["percent"] == 60.0
    assert [(s["stars"], s["products"]) for s in body["ocop"]["by_stars"]] == [
        (3, 1), (4, 2), (5, 1)]
    assert body["rating"]["value"] == 66.67 and body["rating"]["unrated"] == 2
    suspended = client.get(f"{URL}?year=2025&include_suspended=true", headers=admin)
    assert suspended.get_json()["counts"]["htx"]["value"] == 7


def test_a_province_authority_sees_its_province_only(client: FlaskClient) -> None:
    build()
    _user, authority = make_user_with_token(platform_role=PlatformRole.AUTHORITY,
                                            province_code=HCMC)
    own = client.get(f"{URL}?year=2025", headers=authority).get_json()
    assert own["scope_province"] == HCMC and own["counts"]["htx"]["value"] == 1
    other = client.get(f"{URL}?year=2025&province={HANOI}", headers=authority).get_json()
    assert other["scope_province"] == HCMC and other["target_scope"] == HCMC
    assert other["counts"]["htx"]["value"] == 0 and other["ocop"]["products"] == 0


def test_bad_input_is_a_problem_naming_the_parameter(client: FlaskClient) -> None:
    _user, admin = make_user_with_token(platform_role=PlatformRole.ADMIN)
    for query, field in (
        ("province=98", "province"),
        ("province=abc", "province"),
        ("period=decade", "period"),
        ("year=1800", "year"),
        ("from=2025-02-01&to=2025-01-01", "to"),
        ("from=2000-01-01&to=2025-01-01", "to"),
        ("from=2025-01-01", "to"),
        ("as_of=2999-01-01", "as_of"),
        ("as_of=yesterday", "as_of"),
    ):
        response = client.get(f"{URL}?{query}", headers=admin)
        assert response.status_code == 422, (query, response.get_json())
        assert response.mimetype == "application/problem+json"
        assert any(field in (f or "") for f in _fields(response)), response.get_json()


def test_the_linkage_figure_s_own_parameters_are_not_taken(client: FlaskClient) -> None:
    # No variant nor breakdown here: they are ignored, not refused, as every unknown query
    # parameter is (the pagination parameters share the query string elsewhere).
    _user, admin = make_user_with_token(platform_role=PlatformRole.ADMIN)
    response = client.get(f"{URL}?variant=Z&breakdown=province", headers=admin)
    assert response.status_code == 200
    spec = client.get("/api/openapi.json").get_json()
    names = {p["name"] for p in spec["paths"][URL]["get"]["parameters"]}
    assert names == {"period", "year", "from", "to", "as_of", "province",
                     "include_suspended"}
