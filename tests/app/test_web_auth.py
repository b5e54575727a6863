"""Signing in and out of the HTML UI, CSRF, safe redirects and the organisation switcher."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.current import ORG_SESSION_KEY
from app.auth.models import User
from app.extensions import login_manager
from app.web.auth import safe_next_url
from core.db import db
from core.errors import Unauthenticated
from tests.app.web_support import csrf_token_in, login, make_user
from tests.factories import api_client, make_org
from tests.own_process import limited_app_script, printed_by


@pytest.fixture()
def web(app: Flask) -> FlaskClient:
    return api_client(app)


@pytest.fixture()
def csrf_on(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture()
def two_orgs():  # type: ignore[no-untyped-def]
    a = make_org("Hợp tác xã Nông nghiệp Thành Công")
    b = make_org("Hợp tác xã Chè Tân Cương")
    return a, b


def test_login_with_the_right_password_shows_the_users_organisation(web, two_orgs):
    org, _ = two_orgs
    make_user("lan@htx.vn", org)

    response = login(web, "LAN@htx.vn ")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = web.get("/").get_data(as_text=True)
    assert org.name in home
    assert f'href="/orgs/{org.id}"' in home
    assert "Đăng xuất" in home  # the header's sign-out button, in Vietnamese by default


def test_login_stamps_the_last_login_time(web, two_orgs):
    user = make_user("lan@htx.vn", two_orgs[0])
    login(web, "lan@htx.vn")
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at is not None


def test_wrong_password_and_unknown_email_get_the_same_generic_message(web, two_orgs):
    make_user("lan@htx.vn", two_orgs[0])

    wrong_password = login(web, "lan@htx.vn", "not the password")
    unknown_email = login(web, "nobody@htx.vn", "not the password")

    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "Email hoặc mật khẩu không đúng." in html
        assert 'value="not the password"' not in html  # the password is never echoed
    # Byte-identical but for the e-mail echoed back and the CSRF tokens of the header forms,
    # which carry a timestamp (two requests may straddle a second).
    def normalised(html: str) -> str:
        html = html.replace("lan@htx.vn", "nobody@htx.vn")
        return re.sub(r'name="csrf_token"[^>]*>', "csrf", html)

    assert normalised(wrong_password.get_data(as_text=True)) == normalised(
        unknown_email.get_data(as_text=True)
    )
    assert "Đăng xuất" not in web.get("/").get_data(as_text=True)


def test_inactive_user_cannot_sign_in(web, two_orgs):
    user = make_user("lan@htx.vn", two_orgs[0])
    user.active = False
    db.session.commit()
    html = login(web, "lan@htx.vn").get_data(as_text=True)
    assert "Email hoặc mật khẩu không đúng." in html


def test_missing_email_is_reported_beside_the_email_field(web):
    html = web.post("/login", data={"email": "", "password": "x"}).get_data(as_text=True)
    assert 'aria-describedby="email-error"' in html
    assert '<p class="field-error" id="email-error">Vui lòng nhập địa chỉ email.</p>' in html
    assert 'id="password-error"' not in html


def test_logout_ends_the_session(web, two_orgs):
    make_user("lan@htx.vn", two_orgs[0])
    login(web, "lan@htx.vn")

    response = web.post("/logout")

    assert response.status_code == 302
    landing = web.get("/").get_data(as_text=True)
    assert "Bạn đã đăng xuất." in landing
    assert 'href="/login"' in landing
    assert "Đăng xuất" not in landing


def test_login_starts_a_fresh_session_but_keeps_the_language(web, two_orgs):
    make_user("lan@htx.vn", two_orgs[0])
    with web.session_transaction() as session:
        session["lang"] = "en"
        session["planted"] = "by an attacker"

    login(web, "lan@htx.vn")

    with web.session_transaction() as session:
        assert session["lang"] == "en"
        assert "planted" not in session
        assert session.get("_user_id")


def test_signed_in_user_visiting_login_goes_home(web, two_orgs):
    make_user("lan@htx.vn", two_orgs[0])
    login(web, "lan@htx.vn")
    response = web.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_post_without_csrf_token_is_refused_with_a_400_page(web, two_orgs, csrf_on):
    make_user("lan@htx.vn", two_orgs[0])

    response = login(web, "lan@htx.vn")

    assert response.status_code == 400
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Yêu cầu không đúng định dạng." in html
    assert "Hãy tải lại trang rồi thử lại." in html
    assert "Đăng xuất" not in web.get("/").get_data(as_text=True)


def test_post_with_the_csrf_token_signs_in(web, two_orgs, csrf_on):
    make_user("lan@htx.vn", two_orgs[0])
    token = csrf_token_in(web.get("/login").get_data(as_text=True))

    response = login(web, "lan@htx.vn", csrf_token=token)

    assert response.status_code == 302
    assert "Đăng xuất" in web.get("/").get_data(as_text=True)


def test_logout_without_csrf_token_is_refused(web, two_orgs, csrf_on):
    make_user("lan@htx.vn", two_orgs[0])
    token = csrf_token_in(web.get("/login").get_data(as_text=True))
    login(web, "lan@htx.vn", csrf_token=token)

    assert web.post("/logout").status_code == 400
    assert "Đăng xuất" in web.get("/").get_data(as_text=True)


def test_login_follows_a_same_site_next_path(web, two_orgs):
    make_user("lan@htx.vn", two_orgs[0])
    response = login(web, "lan@htx.vn", next="/orgs/7?tab=members")
    assert response.headers["Location"] == "/orgs/7?tab=members"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/ok\r\nSet-Cookie: x=1",
    ],
)
def test_login_refuses_to_redirect_off_site(web, two_orgs, target):
    make_user("lan@htx.vn", two_orgs[0])
    response = login(web, "lan@htx.vn", next=target)
    assert response.headers["Location"] == "/"


def test_safe_next_url_keeps_only_relative_paths():
    assert safe_next_url("/orgs/3") == "/orgs/3"
    assert safe_next_url("/a?next=https://x.example") == "/a?next=https://x.example"
    for bad in (None, "", "orgs/3", "https://x.example", "//x.example", "/\\x.example"):
        assert safe_next_url(bad) is None


def test_protected_page_redirects_a_visitor_to_login_with_next(app, web):
    with app.test_request_context("/orgs/5?tab=a"):
        response = login_manager.unauthorized()
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/orgs/5?tab%3Da"


def test_unauthenticated_api_and_epcis_calls_are_not_redirected(app):
    for path in ("/api/anything", "/epcis/events"):
        with app.test_request_context(path), pytest.raises(Unauthenticated):
            login_manager.unauthorized()


def test_api_call_without_a_token_answers_401_problem_json(web, two_orgs):
    make_user("lan@htx.vn", two_orgs[0])
    login(web, "lan@htx.vn")  # a session cookie never authenticates the API

    response = web.get("/api/me")

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 401


def test_switcher_is_shown_only_to_members_of_several_organisations(web, two_orgs):
    a, b = two_orgs
    make_user("one@htx.vn", a)
    make_user("two@htx.vn", a, b)

    login(web, "one@htx.vn")
    assert 'action="/switch-org"' not in web.get("/").get_data(as_text=True)
    web.post("/logout")
    login(web, "two@htx.vn")
    assert 'action="/switch-org"' in web.get("/").get_data(as_text=True)


def test_switching_organisation_changes_who_the_user_works_for(web, two_orgs):
    a, b = two_orgs
    make_user("two@htx.vn", a, b)
    login(web, "two@htx.vn")

    response = web.post("/switch-org", data={"org_id": str(b.id), "next": "/"})

    assert response.status_code == 302
    with web.session_transaction() as session:
        assert session[ORG_SESSION_KEY] == b.id
    home = web.get("/").get_data(as_text=True)
    assert f'href="/orgs/{b.id}"' in home
    assert f"Đã chuyển sang làm việc cho {b.name}." in home


def test_switcher_refuses_an_organisation_the_user_does_not_belong_to(web, two_orgs):
    a, b = two_orgs
    other = make_org("Công ty TNHH Nông sản Sạch")
    make_user("two@htx.vn", a, b)
    login(web, "two@htx.vn")
    web.post("/switch-org", data={"org_id": str(a.id)})

    for org_id in (str(other.id), "999999", "abc", ""):
        assert web.post("/switch-org", data={"org_id": org_id}).status_code == 404
    with web.session_transaction() as session:
        assert session[ORG_SESSION_KEY] == a.id


def test_switcher_redirects_back_only_within_the_site(web, two_orgs):
    a, b = two_orgs
    make_user("two@htx.vn", a, b)
    login(web, "two@htx.vn")
    back = web.post("/switch-org", data={"org_id": str(b.id), "next": "/orgs/1"})
    away = web.post("/switch-org", data={"org_id": str(a.id), "next": "https://evil.example"})
    assert back.headers["Location"] == "/orgs/1"
    assert away.headers["Location"] == "/"


def test_visitor_cannot_switch_organisation(web, two_orgs):
    response = web.post("/switch-org", data={"org_id": str(two_orgs[0].id)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_error_pages_use_the_layout_and_keep_their_text(web):
    response = web.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert '<html lang="vi">' in html
    assert "Không tìm thấy." in html
    assert re.search(r'"/static/css/app(-[0-9a-f]{32})?\.css"', html)  # fingerprinted or not


_RATE_LIMIT_SCRIPT = limited_app_script("""
form = {"email": "nobody@htx.vn", "password": "wrong password"}
codes = [client.post("/login", data=form).status_code for _ in range(4)]
codes.append(client.get("/login").status_code)
print(" ".join(map(str, codes)))
""", WTF_CSRF_ENABLED=False, RATELIMIT_LOGIN="3 per minute")


def test_login_attempts_are_rate_limited(tmp_path):
    # The limiter is one object per process and the session app runs with it switched off,
    # so the limit is checked in a separate process with its own app.
    printed = printed_by(_RATE_LIMIT_SCRIPT, tmp_path)
    # Three tries answer the form, the fourth is refused; looking at the page is not limited.
    assert printed == ["200", "200", "200", "429", "200"]


def test_header_forms_on_a_post_only_page_come_back_home(web, two_orgs):
    make_user("two@htx.vn", *two_orgs)
    login(web, "two@htx.vn")
    html = web.post("/switch-org", data={"org_id": "abc"}).get_data(as_text=True)
    assert 'name="next" value="/switch-org"' not in html
    assert 'name="next" value="/"' in html
