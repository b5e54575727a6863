"""Published figures through the JSON API (app/api/publications.py), on the hand-built
country of tests/linkages/indicator_world.py (figures worked out in
tests/linkages/test_indicator.py and tests/linkages/test_publications.py): publishing is
for authorities (a province authority: its province), the publications are public, their
cooperatives and changes are the authorities'; bad input is a problem naming the
parameter, and a refused publish writes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.actor import PlatformRole
from core.clock import local_today
from core.db import db
from linkages.models.organisations import FactField
from linkages.models.publications import IndicatorPublication, IndicatorPublicationMember
from tests.factories import HANOI, HCMC, make_user_with_token
from tests.linkages import indicator_world
from tests.linkages.indicator_world import build

URL = "/api/indicator/publications"


def _fields(response: Any) -> set[str]:
    return {e.get("field") for e in response.get_json().get("errors", [])}


def _counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(IndicatorPublication)) or 0,
            db.session.scalar(select(func.count()).select_from(IndicatorPublicationMember))
            or 0)


def test_an_authority_publishes_and_anyone_reads_it(client: FlaskClient) -> None:
    world = build()
    _user, national = make_user_with_token(platform_role=PlatformRole.AUTHORITY)
    created = client.post(URL, headers=national, json={"year": 2025, "note": "Chính thức"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["scope"], body["period"]["start"], body["period"]["end"]) == (
        "national", "2024-12-15", "2025-12-14")
    assert body["published_by_id"] == _user.id and body["note"] == "Chính thức"
    a = body["figures"][0]
    assert (a["variant"]["code"], a["total"]["numerator"], a["total"]["denominator"]) == (
        "A", 4, 9)
    assert {g["key"] for g in a["groups"]} == {HANOI, HCMC}
    publication_id = body["id"]

    # Public: no token needed, the same answer for a cooperative's user.
    _member_user, member = make_user_with_token(world.orgs["h1"])
    one = client.get(f"{URL}/{publication_id}")
    assert one.status_code == 200 and one.get_json() == body
    assert client.get(f"{URL}/{publication_id}", headers=member).get_json() == body
    english = client.get(f"{URL}/{publication_id}", headers={"Accept-Language": "en"})
    assert english.get_json()["figures"][0]["variant"]["name"] == "A strict"
    listed = client.get(f"{URL}?year=2025&scope=national")
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "1"
    assert [p["id"] for p in listed.get_json()] == [publication_id]
    assert client.get(f"{URL}?year=2024").get_json() == []
    assert client.get(f"{URL}/{publication_id + 1000}").status_code == 404

    # Its cooperatives: the authorities', paginated; nobody else's (401, 404).
    page = client.get(f"{URL}/{publication_id}/members?page_size=5", headers=national)
    assert page.status_code == 200, page.get_json()
    assert page.headers["X-Total-Count"] == "9" and len(page.get_json()) == 5
    counted = client.get(f"{URL}/{publication_id}/members?which=numerator&variant=B",
                         headers=national).get_json()
    assert len(counted) == 5 and all(r["counted"] and r["contract_code"] for r in counted)
    for path in ("members", "changes", "comparison"):
        assert client.get(f"{URL}/{publication_id}/{path}").status_code == 401
        assert client.get(f"{URL}/{publication_id}/{path}", headers=member).status_code == 404
    assert client.get(f"{URL}/{publication_id}/members?variant=V",
                      headers=national).status_code == 422


def test_the_changes_since_name_the_cooperatives(client: FlaskClient) -> None:
    world = build()
    _user, admin = make_user_with_token(platform_role=PlatformRole.ADMIN)
    publication_id = client.post(URL, headers=admin, json={"year": 2025}).get_json()["id"]
    nothing = client.get(f"{URL}/{publication_id}/changes", headers=admin)
    assert nothing.status_code == 200 and nothing.get_json() == []
    # h2 dissolved, effective 1 Jun 2025 and recorded today: it leaves A and B.
    indicator_world._fact(world.orgs["h2"], FactField.STATUS, "active", "dissolved",
                          date(2025, 6, 1), local_today())
    db.session.commit()

    changes = client.get(f"{URL}/{publication_id}/changes?variant=A", headers=admin)
    assert changes.status_code == 200, changes.get_json()
    [row] = changes.get_json()
    assert (row["kind"], row["name"], row["published_contract_code"]) == (
        "left", "Indicator h2", "LK-T-K2")
    assert row["published_counted"] and not row["today_counted"]
    assert row["today_reason"] == "closed_on_reference_day" and row["today_reason_text"]
    left = client.get(f"{URL}/{publication_id}/changes?kind=left_denominator",
                      headers=admin).get_json()
    assert {r["variant"] for r in left} == {"C", "D", "E"}

    comparison = client.get(f"{URL}/{publication_id}/comparison", headers=admin)
    assert comparison.status_code == 200, comparison.get_json()
    a = comparison.get_json()["variants"][0]
    assert (a["published"]["numerator"], a["today"]["numerator"]) == (4, 3)
    assert a["changes"]["left"] == 1 and a["difference"]["denominator"] == -1
    # The publication itself did not move.
    again = client.get(f"{URL}/{publication_id}").get_json()
    assert again["figures"][0]["total"]["numerator"] == 4


def test_publishing_the_same_period_again_is_a_conflict(client: FlaskClient) -> None:
    build()
    _user, admin = make_user_with_token(platform_role=PlatformRole.ADMIN)
    first = client.post(URL, headers=admin, json={"year": 2025})
    assert first.status_code == 201
    before = _counts()
    again = client.post(URL, headers=admin, json={"year": 2025, "note": "lần hai"})
    assert again.status_code == 409, again.get_json()
    assert again.mimetype == "application/problem+json"
    assert "year" in _fields(again)
    assert "2024-12-15" in again.get_json()["errors"][0]["detail"]
    assert _counts() == before


def test_a_province_authority_publishes_its_province_only(client: FlaskClient) -> None:
    build()
    _user, hcmc = make_user_with_token(platform_role=PlatformRole.AUTHORITY,
                                       province_code=HCMC)
    _admin, admin = make_user_with_token(platform_role=PlatformRole.ADMIN)
    national_id = client.post(URL, headers=admin, json={"year": 2025}).get_json()["id"]
    hanoi_id = client.post(URL, headers=admin,
                           json={"year": 2025, "province": HANOI}).get_json()["id"]
    before = _counts()
    refused = client.post(URL, headers=hcmc, json={"year": 2025, "province": HANOI})
    assert refused.status_code == 403 and "province" in _fields(refused)
    assert _counts() == before
    own = client.post(URL, headers=hcmc, json={"year": 2025})
    assert own.status_code == 201 and own.get_json()["scope"] == HCMC
    # Its province's cooperatives only; another province's publication is not its own.
    rows = client.get(f"{URL}/{national_id}/members?which=all", headers=hcmc).get_json()
    assert [r["name"] for r in rows] == ["Indicator h10"]
    assert client.get(f"{URL}/{hanoi_id}/members", headers=hcmc).status_code == 404
    sliced = client.get(f"{URL}/{national_id}/comparison", headers=hcmc).get_json()
    assert sliced["province"] == HCMC
    assert sliced["variants"][0]["published"]["denominator"] == 1


def test_who_may_publish(client: FlaskClient) -> None:
    world = build()
    _user, member = make_user_with_token(world.orgs["h1"])
    assert client.post(URL, json={"year": 2025}).status_code == 401
    refused = client.post(URL, headers=member, json={"year": 2025})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert _counts() == (0, 0)


def test_bad_input_is_a_problem_naming_the_parameter_and_writes_nothing(
    client: FlaskClient,
) -> None:
    build()
    _user, admin = make_user_with_token(platform_role=PlatformRole.ADMIN)
    this_year = local_today().year
    for body, field in (
        ({"year": 2025, "province": "99"}, "province"),  # no such province
        ({"year": 2025, "province": "Hà Nội"}, "province"),
        ({"year": this_year + 2}, "year"),  # in the future
        ({"year": 1989}, "year"),
        ({"year": "2025"}, "year"),
        ({}, "year"),
        ({"year": 2025, "period": "decade"}, "period"),
        ({"from": "2025-02-01", "to": "2025-01-01"}, "to"),
        ({"from": "2000-01-01", "to": "2021-01-01"}, "to"),
        ({"from": "2025-01-01", "to": (date(this_year + 1, 1, 1)).isoformat()}, "to"),
        ({"year": 2025, "note": "x" * 5001}, "note"),
        ({"year": 2025, "varient": "A"}, "varient"),  # unknown fields are refused
    ):
        response = client.post(URL, headers=admin, json=body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in _fields(response), (body, response.get_json())
    for query, field in (("variant=Z", "variant"), ("which=some", "which"),
                         ("province=9", "province")):
        response = client.get(f"{URL}/1/members?{query}", headers=admin)
        assert response.status_code == 422 and field in _fields(response), query
    assert client.get(f"{URL}?scope=everywhere").status_code == 422
    assert _counts() == (0, 0)
