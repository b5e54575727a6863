"""The indicator's JSON API (app/api/indicator.py) on the hand-built country of
tests/linkages/indicator_world.py (expected figures worked out in
tests/linkages/test_indicator.py)."""

from __future__ import annotations

from flask.testing import FlaskClient

from core.actor import PlatformRole
from tests.factories import HANOI, HCMC, make_user_with_token
from tests.linkages.indicator_world import build


def _fields(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {e.get("field") for e in response.get_json().get("errors", [])}


def test_variant_definitions_are_public(client: FlaskClient) -> None:
    response = client.get("/api/indicator/variants")
    assert response.status_code == 200
    codes = [v["code"] for v in response.get_json()["variants"]]
    assert codes == ["A", "B", "C", "D", "E", "V"]
    vi = client.get("/api/indicator/variants", headers={"Accept-Language": "vi"})
    assert vi.status_code == 200


def test_figures_need_an_authority(client: FlaskClient) -> None:
    world = build()
    assert client.get("/api/indicator/figures").status_code == 401
    _user, member = make_user_with_token(world.orgs["h1"])
    assert client.get("/api/indicator/figures", headers=member).status_code == 403
    assert client.get("/api/indicator/drill-down", headers=member).status_code == 403


def test_national_figures_and_drill_down(client: FlaskClient) -> None:
    build()
    _user, admin = make_user_with_token(platform_role=PlatformRole.ADMIN)
    figure = client.get("/api/indicator/figures?variant=B&year=2025&breakdown=province"
                        "&target=50", headers=admin)
    assert figure.status_code == 200, figure.get_json()
    body = figure.get_json()
    assert (body["total"]["numerator"], body["total"]["denominator"]) == (5, 9)
    assert body["variant"]["version"] == "1" and body["variant"]["definition"]
    assert {g["key"] for g in body["groups"]} == {HANOI, HCMC}

    page = client.get("/api/indicator/drill-down?variant=A&year=2025&page_size=5",
                      headers=admin)
    assert page.status_code == 200
    assert page.headers["X-Total-Count"] == "9"
    assert len(page.get_json()) == 5 and 'rel="next"' in page.headers["Link"]
    # The page and the total come from one statement (core.paging.rows_and_total); the
    # last page, a page past it and an absurd page still say the total.
    last = client.get("/api/indicator/drill-down?variant=A&year=2025&page_size=5&page=2",
                      headers=admin)
    assert last.headers["X-Total-Count"] == "9" and len(last.get_json()) == 4
    assert {r["org_id"] for r in last.get_json()}.isdisjoint(
        {r["org_id"] for r in page.get_json()})
    for beyond in (3, 2**40):
        past = client.get(f"/api/indicator/drill-down?variant=A&year=2025&page_size=5"
                          f"&page={beyond}", headers=admin)
        assert past.status_code == 200, past.get_json()
        assert past.get_json() == [] and past.headers["X-Total-Count"] == "9"

    trend = client.get("/api/indicator/trend?variant=A&year=2026&years=3", headers=admin)
    assert [p["numerator"] for p in trend.get_json()["points"]] == [1, 4, 1]


def test_a_province_authority_sees_its_province_only(client: FlaskClient) -> None:
    build()
    _user, authority = make_user_with_token(platform_role=PlatformRole.AUTHORITY,
                                            province_code=HCMC)
    figure = client.get(f"/api/indicator/figures?year=2025&province={HANOI}",
                        headers=authority).get_json()
    assert figure["total"]["denominator"] == 0 and figure["scope_province"] == HCMC
    rows = client.get("/api/indicator/drill-down?year=2025&which=all",
                      headers=authority).get_json()
    assert [r["name"] for r in rows] == ["Indicator h10"]


def test_bad_input_is_a_problem_naming_the_parameter(client: FlaskClient) -> None:
    _user, admin = make_user_with_token(platform_role=PlatformRole.ADMIN)
    for query, field in (
        ("variant=Z", "variant"),
        ("province=98", "province"),
        ("region_scheme=NOPE", "region_scheme"),
        ("commodity=gold", "commodity"),
        ("from=2025-02-01&to=2025-01-01", "to"),
        ("from=2000-01-01&to=2025-01-01", "to"),
        ("as_of=2999-01-01", "as_of"),
    ):
        response = client.get(f"/api/indicator/figures?{query}", headers=admin)
        assert response.status_code == 422, (query, response.get_json())
        assert response.mimetype == "application/problem+json"
        assert any(field in (f or "") for f in _fields(response)), response.get_json()


def test_edge_inputs_never_fail_the_server(client: FlaskClient) -> None:
    _user, admin = make_user_with_token(platform_role=PlatformRole.ADMIN)
    for query in (
        "year=1990&years=20", "from=0001-01-01&to=0001-01-02", "as_of=0001-01-01",
        "from=9990-01-01&to=9999-12-31",
        "breakdown=region&region_scheme=VN6_2021_2030&variant=V",
        "breakdown=commodity&commodity=rice", "breakdown=leader_type&variant=C",
        "period=calendar_year&year=2100", "breakdown=size_class&variant=V&commodity=rice",
        "breakdown=province&group=01", "breakdown=form&group=1",
    ):
        for path in ("figures", "trend", "drill-down"):
            response = client.get(f"/api/indicator/{path}?{query}", headers=admin)
            assert response.status_code in (200, 422), (path, query, response.get_json())
    region = client.get("/api/indicator/drill-down?breakdown=region"
                        "&region_scheme=VN6_2021_2030&group=DBSH", headers=admin)
    assert region.status_code == 200
