"""The account page where a signed-in user manages personal API tokens."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.auth.models import ApiToken
from app.auth.services import create_token, token_holder
from core.db import db
from tests.app.web_support import csrf_token_in, login, make_user
from tests.factories import make_org


def _secret_in(html: str) -> str | None:
    found = re.search(r'<code class="secret">([^<]+)</code>', html)
    return found.group(1) if found else None


def test_a_new_token_is_shown_once_and_works_on_the_api(client):
    org = make_org("Hợp tác xã Token")
    make_user("tok-ui@example.vn", org)
    login(client, "tok-ui@example.vn")
    page = client.post(
        "/account/tokens", data={"name": "field phone", "organisation_id": str(org.id)}
    )
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    secret = _secret_in(page.get_data(as_text=True))
    assert secret and secret.startswith("htx_")
    me = client.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.get_json()["acting_organisation_id"] == org.id

    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "field phone" in listing
    assert secret not in listing
    assert _secret_in(listing) is None


def test_a_token_needs_a_name_and_one_of_my_organisations(client):
    mine = make_org("Hợp tác xã Của Tôi")
    other = make_org("Hợp tác xã Người Khác")
    user = make_user("tok-bad@example.vn", mine)
    login(client, "tok-bad@example.vn")
    empty = client.post("/account/tokens", data={"name": "", "organisation_id": "0"})
    assert empty.status_code == 422
    assert 'class="field-error" id="name-error"' in empty.get_data(as_text=True)
    foreign = client.post(
        "/account/tokens", data={"name": "x", "organisation_id": str(other.id)}
    )
    assert foreign.status_code == 422
    assert 'id="organisation_id-error"' in foreign.get_data(as_text=True)
    assert db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


def test_revoking_from_the_page_locks_the_token_out(client):
    user = make_user("tok-rev@example.vn")
    issued = create_token(user, "old laptop")
    db.session.commit()
    login(client, "tok-rev@example.vn")
    response = client.post(f"/account/tokens/{issued.token.id}/revoke")
    assert response.status_code == 302
    db.session.expire_all()  # the request revoked it through its own session
    assert token_holder(issued.plaintext) is None
    assert "Revoked" in client.get("/account/tokens?lang=en").get_data(as_text=True)


def test_nobody_revokes_another_users_token(client):
    owner = make_user("tok-own@example.vn")
    make_user("tok-thief@example.vn")
    issued = create_token(owner, "mine")
    db.session.commit()
    login(client, "tok-thief@example.vn")
    assert client.post(f"/account/tokens/{issued.token.id}/revoke").status_code == 404
    assert token_holder(issued.plaintext) is not None


def test_the_token_page_needs_a_session_and_a_csrf_token(client, app):
    assert client.get("/account/tokens").status_code == 302  # to the login page
    make_user("tok-csrf@example.vn")
    login(client, "tok-csrf@example.vn")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post("/account/tokens", data={"name": "x", "organisation_id": "0"})
        assert refused.status_code == 400
        token = csrf_token_in(client.get("/account/tokens").get_data(as_text=True))
        accepted = client.post(
            "/account/tokens", data={"name": "x", "organisation_id": "0", "csrf_token": token}
        )
        assert accepted.status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
