"""Indicator targets (issue 12 §2) through the JSON API: anyone signed in reads them;
admins and national authorities edit national and any province's targets, a province
authority its province's only; bad input is a 422 problem naming the field, and a refused
request writes nothing."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.actor import PlatformRole
from core.db import db
from linkages.models.targets import IndicatorTarget, TargetMetric, TargetUnit
from tests.factories import HANOI, HCMC, make_org, make_user_with_token

SOURCE = "Quyết định 340/QĐ-TTg (2021)"


def _fields(response: Any) -> set[str]:
    return {e.get("field") for e in response.get_json().get("errors", [])}


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(IndicatorTarget)) or 0


def _target(scope: str = "national", metric: str = "linked_share", year: int = 2030,
            value: float = 50) -> IndicatorTarget:
    target = IndicatorTarget(metric=TargetMetric(metric), scope=scope, year=year, value=value,
                             unit=TargetUnit.SHARE if metric.endswith("share")
                             else TargetUnit.COUNT, source=SOURCE)
    db.session.add(target)
    db.session.commit()
    return target


def test_anyone_signed_in_reads_targets_anonymous_does_not(client: FlaskClient) -> None:
    national = _target()
    _target(HANOI, "htx_count", 2030, 1500)
    _target(HCMC, "htx_count", 2025, 900)
    _user, member = make_user_with_token(make_org("HTX Đọc Mục tiêu"))
    assert client.get("/api/targets").status_code == 401
    assert client.get(f"/api/targets/{national.id}").status_code == 401
    listed = client.get("/api/targets", headers=member)
    assert listed.status_code == 200
    # By year, national first: the HCMC 2025 one, then national and Hà Nội of 2030.
    assert [(t["year"], t["scope"]) for t in listed.get_json()] == [
        (2025, HCMC), (2030, "national"), (2030, HANOI)]
    one = client.get(f"/api/targets/{national.id}", headers=member).get_json()
    assert (one["metric"], one["value"], one["unit"], one["verified"]) == (
        "linked_share", 50.0, "share", False)
    filtered = client.get("/api/targets?scope=national&metric=linked_share&year=2030",
                          headers=member)
    assert filtered.status_code == 200, filtered.get_json()
    assert [t["id"] for t in filtered.get_json()] == [national.id]
    assert client.get("/api/targets?verified=true", headers=member).get_json() == []
    assert client.get("/api/targets/999999", headers=member).status_code == 404


def test_a_national_authority_edits_national_and_province_targets(
    client: FlaskClient,
) -> None:
    _user, national = make_user_with_token(platform_role=PlatformRole.AUTHORITY)
    created = client.post("/api/targets", headers=national, json={
        "metric": "high_tech_htx", "year": 2030, "value": 5000, "qualifier": "more_than",
        "source": SOURCE, "verified": True})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["scope"], body["unit"], body["recorded_by_id"]) == ("national", "count",
                                                                      _user.id)
    hanoi = client.post("/api/targets", headers=national, json={
        "metric": "linked_share", "scope": HANOI, "year": 2030, "value": 55,
        "source": "Nghị quyết HĐND Hà Nội"})
    assert hanoi.status_code == 201, hanoi.get_json()
    changed = client.patch(f"/api/targets/{hanoi.get_json()['id']}", headers=national,
                           json={"value": 60, "verified": True})
    assert changed.status_code == 200
    assert (changed.get_json()["value"], changed.get_json()["verified"]) == (60.0, True)
    deleted = client.delete(f"/api/targets/{body['id']}", headers=national)
    assert deleted.status_code == 200 and deleted.get_json()["id"] == body["id"]
    assert _count() == 1


def test_a_province_authority_edits_its_province_only(client: FlaskClient) -> None:
    national = _target()
    other = _target(HCMC, "htx_count", 2030, 2000)
    _user, hanoi = make_user_with_token(platform_role=PlatformRole.AUTHORITY,
                                        province_code=HANOI)
    mine = client.post("/api/targets", headers=hanoi, json={
        "metric": "htx_count", "scope": HANOI, "year": 2030, "value": 1500,
        "source": "Kế hoạch của UBND Hà Nội"})
    assert mine.status_code == 201, mine.get_json()
    mine_id = mine.get_json()["id"]
    assert client.patch(f"/api/targets/{mine_id}", headers=hanoi,
                        json={"value": 1600}).status_code == 200
    before = [(t.id, t.scope, t.value) for t in db.session.scalars(
        select(IndicatorTarget).order_by(IndicatorTarget.id))]
    # Another province's, a national one, moving its own out of its province.
    for method, url, body, field in (
        ("post", "/api/targets", {"metric": "htx_count", "scope": HCMC, "year": 2031,
                                  "value": 1, "source": SOURCE}, "scope"),
        ("post", "/api/targets", {"metric": "htx_count", "year": 2031, "value": 1,
                                  "source": SOURCE}, "scope"),
        ("patch", f"/api/targets/{national.id}", {"value": 40}, None),
        ("patch", f"/api/targets/{other.id}", {"value": 1}, None),
        ("patch", f"/api/targets/{mine_id}", {"scope": HCMC}, "scope"),
        ("patch", f"/api/targets/{mine_id}", {"scope": "national"}, "scope"),
        ("delete", f"/api/targets/{national.id}", None, None),
        ("delete", f"/api/targets/{other.id}", None, None),
    ):
        response = getattr(client, method)(url, headers=hanoi, json=body)
        assert response.status_code == 403, (method, url, response.get_json())
        assert response.mimetype == "application/problem+json"
        if field:
            assert field in _fields(response), response.get_json()
    db.session.expire_all()
    after = [(t.id, t.scope, t.value) for t in db.session.scalars(
        select(IndicatorTarget).order_by(IndicatorTarget.id))]
    assert after == before


def test_organisations_users_may_not_edit(client: FlaskClient) -> None:
    national = _target()
    _user, member = make_user_with_token(make_org("HTX Không Sửa"))
    assert client.post("/api/targets", headers=member, json={
        "metric": "htx_count", "year": 2030, "value": 1, "source": SOURCE}).status_code == 403
    assert client.patch(f"/api/targets/{national.id}", headers=member,
                        json={"value": 1}).status_code == 403
    assert client.delete(f"/api/targets/{national.id}", headers=member).status_code == 403
    assert client.delete(f"/api/targets/{national.id}").status_code == 401
    assert _count() == 1


def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(
    client: FlaskClient,
) -> None:
    existing = _target()
    _user, admin = make_user_with_token(platform_role=PlatformRole.ADMIN)
    good = {"metric": "linked_share", "year": 2029, "value": 45, "source": SOURCE}
    for change, field in (
        ({"metric": "happiness"}, "metric"),
        ({"value": -1}, "value"),
        ({"year": 1989}, "year"),
        ({"year": 2101}, "year"),
        ({"value": 100.5}, "value"),  # a share over 100 %
        ({"metric": "htx_count", "value": 10.5}, "value"),  # a count is whole
        ({"scope": "98"}, "scope"),  # no such province
        ({"scope": "nowhere"}, "scope"),
        ({"qualifier": "roughly"}, "qualifier"),
        ({"source": ""}, "source"),
        ({"unit": "share"}, "unit"),  # derived from the metric, never sent
    ):
        response = client.post("/api/targets", headers=admin, json={**good, **change})
        assert response.status_code == 422, (change, response.get_json())
        assert response.mimetype == "application/problem+json"
        assert field in _fields(response), (change, response.get_json())
    for change, field in (({"value": 101}, "value"), ({"year": 3000}, "year"),
                          ({"metric": "nope"}, "metric"), ({"value": -5}, "value")):
        response = client.patch(f"/api/targets/{existing.id}", headers=admin, json=change)
        assert response.status_code == 422, (change, response.get_json())
        assert field in _fields(response)
    # The same metric, scope and year twice: 409 naming the metric.
    twice = client.post("/api/targets", headers=admin,
                        json={**good, "year": 2030, "value": 50})
    assert twice.status_code == 409 and "metric" in _fields(twice)
    # A share target turned into a count keeps its value only if it is whole: 50 is.
    assert client.patch(f"/api/targets/{existing.id}", headers=admin,
                        json={"metric": "htx_count"}).get_json()["unit"] == "count"
    assert _count() == 1
    for query, field in (("metric=nope", "metric"), ("year=3000", "year"),
                         ("scope=abc", "scope")):
        response = client.get(f"/api/targets?{query}", headers=admin)
        assert response.status_code == 422 and field in _fields(response)
