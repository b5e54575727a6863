"""Sessions the server can end, rate limits that cannot be dodged, a production session
cookie that is Secure, and token bookkeeping that never fails a request."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.services import set_password
from app.config import ConfigError, check, from_environment
from core.db import db
from tests.app.web_support import PASSWORD, login, make_user
from tests.factories import api_client
from tests.own_process import printed_by

PROTECTED = "/account/tokens"  # any page that needs a signed-in user


@pytest.fixture()
def web(app: Flask) -> FlaskClient:
    return api_client(app)


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _signed_in(client: FlaskClient) -> bool:
    return client.get(PROTECTED).status_code == 200


# --------------------------------------------------------------------------- sessions


def test_a_session_cookie_replayed_after_logout_is_refused(web):
    make_user("lan@htx.vn")
    login(web, "lan@htx.vn")
    stolen = _session_cookie(web)
    assert _signed_in(web)

    web.post("/logout")
    web.set_cookie("session", stolen)

    response = web.get(PROTECTED)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_signing_out_ends_the_users_sessions_on_other_devices_too(app, web):
    make_user("lan@htx.vn")
    phone = api_client(app)
    login(web, "lan@htx.vn")
    login(phone, "lan@htx.vn")
    assert _signed_in(phone)

    web.post("/logout")

    assert not _signed_in(phone)
    login(phone, "lan@htx.vn")  # signing in again works as before
    assert _signed_in(phone)


def test_a_new_password_ends_every_session(web):
    user = make_user("lan@htx.vn")
    login(web, "lan@htx.vn")
    assert _signed_in(web)

    set_password(user, "a brand new passphrase")
    db.session.commit()

    assert not _signed_in(web)
    assert login(web, "lan@htx.vn", PASSWORD).status_code == 200  # the old one is refused
    login(web, "lan@htx.vn", "a brand new passphrase")
    assert _signed_in(web)


def test_resetting_a_password_on_the_command_line_ends_every_session(app, web):
    make_user("lan@htx.vn")
    login(web, "lan@htx.vn")
    result = app.test_cli_runner().invoke(
        args=["create-user", "lan@htx.vn", "--password-stdin"], input="reset by the admin\n"
    )
    assert result.exit_code == 0, result.output
    assert not _signed_in(web)


def test_a_deactivated_users_session_ends(web):
    user = make_user("lan@htx.vn")
    login(web, "lan@htx.vn")
    user.active = False
    db.session.commit()
    assert not _signed_in(web)


def test_a_session_cookie_from_before_session_nonces_is_refused(web):
    user = make_user("lan@htx.vn")
    with web.session_transaction() as session:
        session["_user_id"] = str(user.id)  # what the cookie held before this change
        session["_fresh"] = True
    assert not _signed_in(web)


# --------------------------------------------------------------------------- configuration


_PRODUCTION = {"ENV_NAME": "production", "SECRET_KEY": "a-real-secret", "PERSON_ID_HASH_KEY": "k"}


def test_production_refuses_to_start_without_a_secure_session_cookie():
    with pytest.raises(ConfigError, match="SESSION_COOKIE_SECURE"):
        check({**_PRODUCTION, "SESSION_COOKIE_SECURE": False})
    check({**_PRODUCTION, "SESSION_COOKIE_SECURE": True})
    check({"ENV_NAME": "development", "SESSION_COOKIE_SECURE": False})


def test_plain_http_in_production_needs_saying_so_explicitly(monkeypatch, tmp_path):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.setenv("ALLOW_PLAIN_HTTP", "true")
    config = from_environment(str(tmp_path))
    assert config["ALLOW_PLAIN_HTTP"] is True
    check({**_PRODUCTION, "SESSION_COOKIE_SECURE": False, "ALLOW_PLAIN_HTTP": True})


# --------------------------------------------------------------------------- rate limits

# One limiter per process, off in the session's app: the limits are exercised in a process of
# their own (tests/own_process.py), every scenario from client addresses of its own.
_LIMITS_SCRIPT = """
import sys
from app import create_app
from app.auth.services import create_token, create_user
from core.actor import PlatformRole
from core.db import db

app = create_app({
    "TESTING": True, "ENV_NAME": "testing", "SECRET_KEY": "rate-limit-test",
    "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_PUBLIC": "3 per minute", "RATELIMIT_TOKEN_FAILURES": "3 per minute",
    "RATELIMIT_EPCIS_QUERY": "2 per minute", "RATELIMIT_EPCIS_CAPTURE": "1 per minute",
    "RATELIMIT_LOGIN": "100 per minute", "RATELIMIT_LOGIN_ACCOUNT": "3 per minute",
})
with app.app_context():
    db.create_all()
    admin = create_user("admin@htx.vn", "correct horse battery", platform_role=PlatformRole.ADMIN)
    other = create_user("other@htx.vn", "correct horse battery", platform_role=PlatformRole.ADMIN)
    create_user("victim@htx.vn", "correct horse battery")
    good, good_other = create_token(admin, "a").plaintext, create_token(other, "b").plaintext
    db.session.commit()
client = app.test_client()
BAD = "htx_000000000000_not-the-secret"


def call(method, path, addr, token=None, **kwargs):
    headers = {"Authorization": "Bearer " + token} if token else {}
    response = client.open(path, method=method, headers=headers,
                           environ_base={"REMOTE_ADDR": addr}, **kwargs)
    return str(response.status_code)


def sign_in(email, password, addr):
    form = {"email": email, "password": password}
    return call("POST", "/login", addr, data=form)


places = "/api/places/provinces"
results = {}
results["invalid_header"] = [call("GET", places, "10.0.0.1") for _ in range(3)] + [
    call("GET", places, "10.0.0.1", BAD),
    call("GET", places, "10.0.0.1", good),
]
results["token_failures"] = [
    call("GET", "/api/me", "10.0.0.2", BAD),
    call("GET", "/api/me/tokens", "10.0.0.2", BAD),
    call("GET", "/epcis/events", "10.0.0.2", BAD),
    call("GET", "/api/organisations", "10.0.0.2", BAD),
    call("GET", places, "10.0.0.2", good),
    call("GET", "/epcis/events", "10.0.0.2", good),
    call("GET", places, "10.0.0.3", good),
]
results["epcis_queries"] = [
    call("GET", "/epcis/events", "10.0.1.1", good),
    call("GET", "/epcis/events/urn:uuid:0", "10.0.1.2", good),
    call("GET", "/epcis/events", "10.0.1.3", good),
    call("GET", "/epcis/events", "10.0.1.1", good_other),
]
results["epcis_capture"] = [
    call("POST", "/epcis/capture", "10.0.1.1", good, json={}),
    call("POST", "/epcis/events", "10.0.1.2", good, json={}),
    call("POST", "/epcis/capture", "10.0.1.1", good_other, json={}),
]
results["login_per_account"] = [
    sign_in("victim@htx.vn", "wrong password", "10.0.2.1"),
    sign_in("Victim@htx.vn ", "wrong password", "10.0.2.2"),
    sign_in("victim@htx.vn", "wrong password", "10.0.2.3"),
    sign_in("victim@htx.vn", "correct horse battery", "10.0.2.4"),
    *[sign_in("other@htx.vn", "correct horse battery", "10.0.2.1") for _ in range(4)],
]
for name, codes in results.items():
    print(name + "=" + ",".join(codes))
"""


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    printed = printed_by(_LIMITS_SCRIPT, tmp_path_factory.mktemp("limits"))
    return {name: codes.split(",") for name, _, codes in (w.partition("=") for w in printed)}


# Label sheets: a cooperative's two staff members, the sheet limit set to two.
_LABEL_SHEETS_SCRIPT = """
import sys
from app import create_app
from core.db import db
from tests.app.web_support import coffee_coop, harvested, login, make_user

app = create_app({
    "TESTING": True, "ENV_NAME": "testing", "SECRET_KEY": "label-limit-test",
    "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_LABEL_SHEETS": "2 per minute", "RATELIMIT_LOGIN": "100 per minute",
})
with app.app_context():
    db.create_all()
    org, user, area, product = coffee_coop()
    other = make_user("minh@caudat.vn", org)
    path = f"/batches/{harvested(org, user, area, product).id}/labels.pdf"
    other_email = other.email
    email = user.email
codes = []
for who in (email, email, email, other_email):
    client = app.test_client()  # a new device, a new address each time: still the user
    login(client, who)
    codes.append(client.get(path, environ_base={"REMOTE_ADDR": f"10.9.0.{len(codes)}"}))
print("sheets=" + ",".join(str(r.status_code) for r in codes))
"""


def test_label_sheets_are_limited_per_user_whatever_the_device(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    [printed] = printed_by(_LABEL_SHEETS_SCRIPT, tmp_path_factory.mktemp("sheets"))
    # Two sheets, then the third from another device and address is refused; the
    # cooperative's other member still prints.
    assert printed == "sheets=200,200,429,200"


def test_an_invalid_authorization_header_does_not_skip_the_anonymous_limit(limited):
    # Three anonymous reads, then a made-up token is still anonymous: refused. A token that
    # is accepted is accountable to its user and not limited per address.
    assert limited["invalid_header"] == ["200", "200", "200", "429", "200"]


def test_failed_token_authentications_are_limited_per_address(limited):
    # Three failures on /api/ and /epcis/ alike (each endpoint's anonymous limit is not
    # reached), then every bearer call from that address is refused, a good token's too
    # (else 429 against 200 would tell a guesser which token is right); other addresses
    # are not affected.
    assert limited["token_failures"] == ["401", "401", "401", "429", "429", "429", "200"]


def test_epcis_queries_are_limited_per_user_whatever_the_address(limited):
    # Two queries (any query endpoint, any address) per user, then 429; another user is not
    # affected.
    assert limited["epcis_queries"] == ["200", "404", "429", "200"]


def test_epcis_captures_are_limited_per_user(limited):
    first, second, other_user = limited["epcis_capture"]
    assert first != "429" and other_user != "429"
    assert second == "429"


def test_failed_sign_ins_are_limited_per_account_whatever_the_address(limited):
    # Three failures for one account from three addresses, then even the right password
    # from a fourth address is refused; successful sign-ins of another account never count.
    assert limited["login_per_account"] == [
        "200", "200", "200", "429", "302", "302", "302", "302",
    ]


_SHARED_SCRIPT = """
import sys
from app import create_app
from core.db import db

app = create_app({
    "TESTING": True, "ENV_NAME": "testing", "SECRET_KEY": "rate-limit-test",
    "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": %(uri)r,
    "RATELIMIT_KEY_PREFIX": %(prefix)r,
    "RATELIMIT_LOGIN": "100 per minute", "RATELIMIT_LOGIN_ACCOUNT": "2 per minute",
})
with app.app_context():
    db.create_all()
client = app.test_client()
form = {"email": "shared@htx.vn", "password": "wrong password"}
codes = [client.post("/login", data=form).status_code for _ in range(int(%(tries)r))]
print(" ".join(map(str, codes)))
"""

REDIS_URI = "redis://127.0.0.1:6379/0"


def _redis_reachable() -> bool:
    from limits.storage import storage_from_string

    try:
        return bool(storage_from_string(REDIS_URI, socket_connect_timeout=1).check())
    except Exception:
        return False


def test_sign_in_limits_are_shared_by_every_worker_through_redis(tmp_path: Path):
    """Two worker processes, one Redis: the second worker refuses the account that the
    first one saw fail. Redis is optional (CI does not promise it): skipped without it."""
    if not _redis_reachable():
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"htx-test-{uuid.uuid4().hex}"  # this run's keys only
    settings = {"uri": REDIS_URI, "prefix": prefix}
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = printed_by(_SHARED_SCRIPT % {**settings, "tries": 2}, tmp_path / "one")
    second = printed_by(_SHARED_SCRIPT % {**settings, "tries": 1}, tmp_path / "two")
    assert first == ["200", "200"]
    assert second == ["429"]


# --------------------------------------------------------------------------- token bookkeeping

_LOCKED_SCRIPT = """
import logging
import sqlite3
import sys
from sqlalchemy import event
from app import create_app
from app.auth.services import create_token, create_user
from core.db import db

path = sys.argv[1]
app = create_app({
    "TESTING": True, "ENV_NAME": "testing", "SECRET_KEY": "lock-test",
    "SQLALCHEMY_DATABASE_URI": "sqlite:///" + path, "RATELIMIT_ENABLED": False,
})
logged = []


class Keep(logging.Handler):
    def emit(self, record):
        logged.append(record.getMessage())


logging.getLogger("app.auth").addHandler(Keep())
with app.app_context():
    db.create_all()
    issued = create_token(create_user("reader@htx.vn", "correct horse battery"), "reader")
    db.session.commit()
    plaintext = issued.plaintext
    # Wait 0.2 s rather than 5 s for the lock held below: the outcome is the same.
    event.listen(db.engine, "connect",
                 lambda conn, _record: conn.execute("PRAGMA busy_timeout=200"))
    db.engine.dispose()
client = app.test_client()
headers = {"Authorization": "Bearer " + plaintext}
stamp = "SELECT last_used_at FROM api_tokens"

other_worker = sqlite3.connect(path, isolation_level=None)
other_worker.execute("BEGIN IMMEDIATE")  # another worker holds the write lock, mid-write
other_worker.execute("UPDATE users SET full_name = 'busy'")
locked = client.get("/api/me/tokens", headers=headers)
unstamped = other_worker.execute(stamp).fetchone()[0] is None
other_worker.execute("ROLLBACK")

free = client.get("/api/me/tokens", headers=headers)
stamped = other_worker.execute(stamp).fetchone()[0] is not None
print(locked.status_code, unstamped, any("could not record" in m for m in logged),
      free.status_code, stamped)
"""


def test_a_locked_database_never_fails_a_request_for_its_token_bookkeeping(tmp_path: Path):
    # On SQLite, whatever TEST_DATABASE_URL says: its write lock is database-wide.
    printed = printed_by(_LOCKED_SCRIPT, tmp_path)
    # While another worker holds the write lock, the read succeeds and the stamp is given up
    # (logged); once the lock is free, the next call stamps the token.
    assert printed == ["200", "True", "True", "200", "True"]


def test_token_use_is_stamped_after_a_write_request_too(client):
    from app.auth.models import ApiToken
    from tests.factories import make_user_with_token

    user, headers = make_user_with_token()
    response = client.post("/api/me/tokens", json={"name": "second"}, headers=headers)
    assert response.status_code == 201
    db.session.expire_all()
    first = db.session.query(ApiToken).filter_by(user_id=user.id).order_by(ApiToken.id).first()
    assert first is not None and first.last_used_at is not None
