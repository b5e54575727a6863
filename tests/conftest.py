"""Fixtures shared by the whole suite.

The schema is built once per session on the database named by ``TEST_DATABASE_URL``
(SQLite in a temporary folder when unset); reference data (places) is loaded once; each test
then runs inside a transaction that is rolled back, so tests never see each other's rows.
Service code that commits only releases a SAVEPOINT of that outer transaction.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import text

from app import create_app
from core.db import db as _db


def _test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _test_database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from app.config import normalise_database_url

    app = create_app(
        {
            "TESTING": True,
            "ENV_NAME": "testing",
            "SECRET_KEY": "test-secret-key",
            "PERSON_ID_HASH_KEY": "test-person-key",
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "PUBLIC_BASE_URL": "https://trace.example.vn",
            "SERVER_NAME": None,
        }
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        _db.drop_all()
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        _db.create_all()
        _load_reference_data()
        _db.session.commit()
        _db.session.remove()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def _load_reference_data() -> None:
    """Places are reference data every test may need; load the shipped snapshot once."""
    try:
        from linkages.services.places import load_places
    except ImportError:  # pragma: no cover - before the places loader exists
        return
    load_places()


class _ConnectionBoundSession(FlaskSession):
    """Flask-SQLAlchemy's session picks the engine itself, ignoring ``bind``; honour it so
    the test's session stays inside the outer transaction."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):  # type: ignore[no-untyped-def]
        if self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@pytest.fixture(autouse=True)
def db(app: Flask) -> Iterator[object]:
    """Each test in an outer transaction rolled back at the end."""
    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        _db.session.remove()
        old_session = _db.session
        _db.session = _db._make_scoped_session(
            {
                "class_": _ConnectionBoundSession,
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
            }
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = old_session
            outer.rollback()
            connection.close()


class FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production.

    The ``db`` fixture keeps an app context pushed for the whole test, and Flask reuses an
    active context for a request: ``g`` and the scoped session would then leak from one
    request into the next. A fresh context per request gets a fresh ``g`` and a fresh
    session, still on the test's connection (so still inside the rolled-back transaction).
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()
