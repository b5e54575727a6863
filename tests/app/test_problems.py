"""Every error class answers RFC 9457 problem+json on the API, and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import create_app
from app.auth import services as accounts
from app.auth.models import ApiToken
from core.actor import OrgRole, PlatformRole
from core.db import db
from tests.factories import make_org, make_user_with_token
from tests.own_process import limited_app_script, printed_by

PROBLEM = "application/problem+json"


def _token(email: str = "p@example.vn") -> dict[str, str]:
    user = accounts.create_user(email, "mat-khau-du-dai")
    issued = accounts.create_token(user, "first")
    db.session.commit()
    return {"Authorization": f"Bearer {issued.plaintext}"}


def _token_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ApiToken))


def _assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["title"]
    assert body["type"]
    assert body["instance"] == response.request.path
    return body


def test_unauthenticated_is_401_problem(client):
    _assert_problem(client.get("/api/me"), 401)


def test_unknown_route_is_404_problem(client):
    _assert_problem(client.get("/api/no-such-thing"), 404)


@pytest.mark.parametrize("path", ["/api/organisations/{id}", "/api/batches/{id}",
                                  "/api/batches/{id}/events"])
def test_an_id_no_row_can_have_is_404_not_a_driver_error(client, path):
    # 2**63 and beyond cannot even be bound by SQLite's driver.
    headers = _token()
    for huge in (2**63, 10**30):
        _assert_problem(client.get(path.format(id=huge), headers=headers), 404)


def test_wrong_method_is_405_problem_with_allow_header(client):
    response = client.put("/api/me", headers=_token())
    _assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400_problem_naming_the_body(client):
    headers = _token()
    before = _token_count()
    response = client.post(
        "/api/me/tokens", data="{not json", headers={**headers, "Content-Type": "application/json"}
    )
    body = _assert_problem(response, 400)
    assert body["errors"][0]["location"] == "json"
    assert _token_count() == before


def test_wrong_type_and_unknown_field_are_422_with_field_errors(client):
    headers = _token()
    before = _token_count()
    response = client.post(
        "/api/me/tokens", json={"name": 12, "colour": "red"}, headers=headers
    )
    body = _assert_problem(response, 422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"name", "colour"}
    assert {e["pointer"] for e in body["errors"]} == {"/name", "/colour"}
    assert _token_count() == before


def test_domain_validation_is_422_naming_the_field(client):
    headers = _token()
    response = client.post(
        "/api/me/tokens", json={"name": "x", "organisation_id": 999999}, headers=headers
    )
    body = _assert_problem(response, 422)
    assert body["errors"][0]["field"] == "organisation"


def test_oversized_body_is_413_problem(client, app):
    headers = _token()
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/api/me/tokens",
        data=b'{"name": "' + b"x" * (limit + 10) + b'"}',
        headers={**headers, "Content-Type": "application/json"},
    )
    _assert_problem(response, 413)


def test_a_created_token_is_returned_once_and_works(client):
    headers = _token()
    response = client.post("/api/me/tokens", json={"name": "second"}, headers=headers)
    assert response.status_code == 201
    secret = response.get_json()["token"]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listed = client.get("/api/me/tokens", headers=headers).get_json()
    assert all("token" not in t for t in listed)


def test_unexpected_exception_is_500_problem_without_internals(database_url):
    from app.config import normalise_database_url

    other = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
            "PROPAGATE_EXCEPTIONS": False,
            # One limiter per process: an app built with it on turns it on for all.
            "RATELIMIT_ENABLED": False,
        }
    )

    @other.get("/api/boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals: password=hunter2")

    response = other.test_client().get("/api/boom")
    assert response.status_code == 500
    assert response.mimetype == PROBLEM
    assert "hunter2" not in response.get_data(as_text=True)


def test_forbidden_write_by_a_reader_is_403_problem(client):
    org = make_org("Hợp tác xã Chỉ Đọc")
    _staff, headers = make_user_with_token(org, OrgRole.STAFF)
    response = client.patch(f"/api/organisations/{org.id}", json={"phone": "0912345678"},
                            headers=headers)
    _assert_problem(response, 403)


def test_duplicate_registration_code_is_409_problem_naming_the_field(client):
    existing = make_org("Hợp tác xã Có Trước")
    _admin, headers = make_user_with_token(platform_role=PlatformRole.ADMIN)
    response = client.post(
        "/api/organisations",
        json={
            "registration_code": existing.registration_code,
            "name": "Hợp tác xã Trùng Mã",
            "org_type": "htx",
            "province_code": "01",
        },
        headers=headers,
    )
    body = _assert_problem(response, 409)
    assert [e["field"] for e in body["errors"]] == ["registration_code"]


_PUBLIC_LIMIT_SCRIPT = limited_app_script("""
codes = [client.get("/api/places/provinces").status_code for _ in range(4)]
last = client.get("/api/places/provinces")
codes.append(last.status_code)
codes.append(last.mimetype)
codes.append(client.get("/api/me", headers={"Authorization": "Bearer x"}).status_code)
print(" ".join(map(str, codes)))
""", RATELIMIT_PUBLIC="3 per minute")


def test_anonymous_api_reads_are_rate_limited_with_a_429_problem(tmp_path):
    # One limiter per process, off in the session app: check it in a process of its own.
    printed = printed_by(_PUBLIC_LIMIT_SCRIPT, tmp_path)
    # Three anonymous reads pass, then 429 problem+json; a token-bearing call is not limited.
    assert printed == [
        "200", "200", "200", "429", "429", "application/problem+json", "401",
    ]
