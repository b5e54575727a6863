"""Configuration safety and the account commands of the ``flask`` CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from app import create_app
from app.auth.models import Membership, User
from app.auth.services import authenticate, token_holder
from app.config import ConfigError, normalise_database_url
from core.actor import OrgRole, PlatformRole
from core.db import db
from tests.factories import make_org


@pytest.mark.parametrize(
    "overrides",
    [
        {"SECRET_KEY": "dev-only-insecure-secret-key", "PERSON_ID_HASH_KEY": "k"},
        {"SECRET_KEY": "", "PERSON_ID_HASH_KEY": "k"},
        {"SECRET_KEY": "a-real-random-secret", "PERSON_ID_HASH_KEY": None},
    ],
)
def test_production_refuses_to_start_with_default_or_missing_keys(overrides):
    with pytest.raises(ConfigError):
        create_app({"ENV_NAME": "production", **overrides})


def test_database_urls_always_use_psycopg_3():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_runs_with_foreign_keys_and_wal(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only")
    conn = db.session.connection()  # the test's own: a second one would wait for its lock
    assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_create_user_reads_the_password_from_stdin_and_joins_the_organisation(app):
    org = make_org("Hợp tác xã Dòng Lệnh")
    result = app.test_cli_runner().invoke(
        args=["create-user", "Cli@Example.vn", "--password-stdin", "--org",
              org.registration_code, "--role", "org_admin"],
        input="mat-khau-dong-lenh\n",
    )
    assert result.exit_code == 0, result.output
    assert "mat-khau-dong-lenh" not in result.output
    user = authenticate("cli@example.vn", "mat-khau-dong-lenh")
    assert user is not None
    roles = db.session.scalars(select(Membership.role).where(Membership.user_id == user.id))
    assert list(roles) == [OrgRole.ORG_ADMIN]


def test_create_user_for_a_province_authority(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "tinh-cli@example.vn", "--password-stdin",
              "--platform-role", "authority", "--province", "66"],
        input="mat-khau-tinh-dak-lak\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "tinh-cli@example.vn"))
    assert user.platform_role == PlatformRole.AUTHORITY and user.province_code == "66"


def test_create_user_refuses_bad_input_and_writes_nothing(app):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["create-user", "x@example.vn", "--password-stdin"], input="abc\n")
    assert short.exit_code != 0 and "password" in short.output
    unknown_org = runner.invoke(
        args=["create-user", "y@example.vn", "--password-stdin", "--org", "0100109106"],
        input="mat-khau-du-dai\n",
    )
    assert unknown_org.exit_code != 0
    emails = {"x@example.vn", "y@example.vn"}
    assert db.session.scalars(select(User).where(User.email.in_(emails))).all() == []


def test_create_token_prints_a_working_token_once(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["create-user", "tok-cli@example.vn", "--password-stdin"],
                  input="mat-khau-du-dai\n")
    result = runner.invoke(args=["create-token", "tok-cli@example.vn", "--name", "sync job"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    found = token_holder(token)
    assert found is not None
    assert db.session.get(User, found.user_id).email == "tok-cli@example.vn"
    missing = runner.invoke(args=["create-token", "nobody@example.vn", "--name", "x"])
    assert missing.exit_code != 0


def test_sqlite_write_requests_take_the_write_lock_up_front(tmp_path):
    """Two workers on one SQLite file: a request that reads, then writes, after another
    worker committed, must wait for the lock instead of failing with "database is locked"."""
    url = f"sqlite:///{tmp_path / 'locks.sqlite3'}"
    # One limiter per process: an app built with it on turns it on for all.
    first = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                        "RATELIMIT_ENABLED": False})
    with first.app_context():
        db.engine.dispose()
        statements: list[str] = []

        @event.listens_for(db.engine, "before_cursor_execute")
        def _seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        with first.test_request_context("/api/me", method="POST"), db.engine.begin() as conn:
            conn.exec_driver_sql("SELECT 1")
        with first.test_request_context("/api/me", method="GET"), db.engine.begin() as conn:
            conn.exec_driver_sql("SELECT 1")
        db.engine.dispose()
    assert "BEGIN IMMEDIATE" in statements
    assert statements.index("BEGIN IMMEDIATE") < statements.index("BEGIN")
