"""Public GETs (``app.extensions.PUBLIC_BLUEPRINTS``: the probes, the resolver, the trace
page) skip what only signed-in pages need: they never load the user nor read the session,
so their answers depend on no cookie. Everything that guards them still does: security
headers, CSRF on the report form, the per-address limits."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import app.auth.current as current
from app import SECURITY_HEADERS
from tests.app.web_support import login, make_user
from tests.factories import api_client
from tests.own_process import limited_app_script, printed_by
from tests.traceability.trace_world import TraceWorld, build_trace_world


@pytest.fixture()
def world() -> TraceWorld:
    return build_trace_world()


@pytest.fixture()
def web(app: Flask) -> FlaskClient:
    return api_client(app)


@pytest.fixture()
def user_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every session the user loader is asked about (Flask-Login's ``user_loader``)."""
    seen: list[str] = []
    load = current.user_for_session

    def counting(session_id: str) -> Any:
        seen.append(session_id)
        return load(session_id)

    monkeypatch.setattr(current, "user_for_session", counting)
    return seen


def _public_paths(world: TraceWorld) -> list[tuple[str, int]]:
    return [
        ("/healthz", 200),
        (f"/{world.roasted_key_path}", 307),  # the label's URI: the resolver
        (f"/trace/{world.roasted_key_path}", 200),
    ]


def _vary(response: Any) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v}


def test_public_answers_set_no_cookie_and_vary_on_none(web, world):
    for path, status in _public_paths(world):
        response = web.get(path)
        assert response.status_code == status, path
        assert "Set-Cookie" not in response.headers, path
        assert "cookie" not in _vary(response), path


def test_public_answers_keep_the_security_headers(web, world):
    for path, _status in _public_paths(world):
        response = web.get(path)
        for _lower, name, value in SECURITY_HEADERS:
            assert response.headers.get(name) == value, (path, name)


def test_a_signed_in_users_cookie_is_not_read_on_public_pages(web, world, user_loads):
    make_user("lan@public.vn")
    assert login(web, "lan@public.vn").status_code == 302
    for path, status in _public_paths(world):
        response = web.get(path)
        assert response.status_code == status, path
        assert "Set-Cookie" not in response.headers, path
        assert "cookie" not in _vary(response), path
    assert user_loads == []
    # A page of the signed-in UI still knows the user, and says it depends on the cookie.
    response = web.get("/")
    assert response.status_code == 200
    assert len(user_loads) == 1 and "cookie" in _vary(response)


def test_public_pages_speak_the_urls_or_the_browsers_language_not_the_sessions(web, world):
    web.post("/lang", data={"lang": "en", "next": "/login"})
    assert '<html lang="en">' in web.get("/login").get_data(as_text=True)
    page = f"/trace/{world.roasted_key_path}"
    vi = web.get(page, headers={"Accept-Language": "vi"})
    assert '<html lang="vi">' in vi.get_data(as_text=True)
    assert vi.headers["Content-Language"] == "vi"
    en = web.get(page, query_string={"lang": "en"}, headers={"Accept-Language": "vi"})
    assert '<html lang="en">' in en.get_data(as_text=True)


def test_the_report_form_still_needs_its_csrf_token(app, web, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    form = {"uri": "https://trace.example.vn/01/09506000134352", "kind": "other",
            "message": "Nhãn bị mờ."}
    assert web.get("/trace/report").status_code == 200  # a GET needs no token
    refused = web.post("/trace/report", data=form)
    assert refused.status_code == 400


# The limiter is one object per process, off in the session's app (tests/own_process.py).
_LIMIT_SCRIPT = limited_app_script("""
from app.auth.services import create_user

with app.app_context():
    create_user("lan@public.vn", "correct horse battery")
    db.session.commit()
anonymous, signed_in = client, app.test_client()
signed_in.post("/login", data={"email": "lan@public.vn", "password": "correct horse battery"},
               environ_base={"REMOTE_ADDR": "10.8.0.9"})
assert signed_in.get_cookie("session") is not None


def call(client, path, addr):
    response = client.get(path, environ_base={"REMOTE_ADDR": addr})
    vary = response.headers.get("Vary", "")
    return f"{response.status_code}{'+cookie' if 'Cookie' in vary else ''}"


scan = "/01/09506000134352"
codes = [call(anonymous, scan, "10.8.0.1") for _ in range(3)]
codes += [call(signed_in, scan, "10.8.0.1"), call(anonymous, scan, "10.8.0.2")]
codes += [call(signed_in, "/healthz", "10.8.0.1") for _ in range(5)]
print(",".join(codes))
""", WTF_CSRF_ENABLED=False, RATELIMIT_RESOLVER="3 per minute",
    RATELIMIT_LOGIN="100 per minute")


def test_scans_stay_limited_per_address_with_or_without_a_session_and_probes_never(
    tmp_path,
) -> None:
    (printed,) = printed_by(_LIMIT_SCRIPT, tmp_path)
    answers = printed.split(",")
    # (A 429 is the app's error page, whose header form holds the session's CSRF token.)
    assert [a.partition("+")[0] for a in answers] == ["404"] * 3 + ["429", "404"] + ["200"] * 5
    assert not [a for a in answers if a.endswith("+cookie") and not a.startswith("429")]


# --------------------------------------------------------------------------- the shell


def test_sessions_follow_a_rotated_secret_key_and_its_fallbacks(app, web, monkeypatch):
    """The signing serializer is built once per key (``CookieSessions``), not once for all."""
    make_user("lan@public.vn")
    assert login(web, "lan@public.vn").status_code == 302
    assert web.get("/account/tokens").status_code == 200
    old = app.config["SECRET_KEY"]
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-key")
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old])
    assert web.get("/account/tokens").status_code == 200  # signed with the old key: still valid
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    assert web.get("/account/tokens").status_code == 302  # the old key is gone: signed out


def test_the_csrf_check_still_refuses_an_unsafe_request_without_a_token(app, web, monkeypatch):
    make_user("lan@public.vn")
    assert login(web, "lan@public.vn").status_code == 302
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert web.post("/lang", data={"lang": "en", "next": "/"}).status_code == 400
    assert web.get("/account/tokens").status_code == 200
