"""Fixtures shared by the whole suite.

The schema is built once per session on the database named by ``TEST_DATABASE_URL``
(SQLite in a temporary folder when unset); reference data (places) is loaded once; each test
then runs inside a transaction that is rolled back, so tests never see each other's rows.
Service code that commits only releases a SAVEPOINT of that outer transaction. A test that
never touches the database (a pure function's) never opens that connection either.

Under pytest-xdist (``make test`` runs one worker per core) each worker has a database of
its own: a SQLite file in its own temporary folder, or on PostgreSQL a throwaway database
created next to the one ``TEST_DATABASE_URL`` names and dropped at the end. Tests that share
an expensive fixture share a worker (tests/xdist_groups.py). Password hashing is
cheap here: the app runs with ``ENV_NAME=testing`` (app/config.py, PASSWORD_HASH_*).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, RootTransaction, make_url

from app import create_app
from app.config import normalise_database_url
from core.db import db as _db
from core.db import throwaway_postgresql_database
from tests.session_on import session_on

# A young-generation collection every 10,000 net allocations instead of CPython's 700. A test
# run allocates far more short-lived objects than a served request (ORM rows, Hypothesis
# draws, response bodies), and at 700 the collector ran some 3,000 times in half a minute
# of tests, about a tenth of their CPU; at 10,000 it costs a third of that. Reference cycles
# are still collected, a little later. The app itself keeps CPython's default.
gc.set_threshold(10_000, 10, 10)

# Which tests share an xdist worker (``make test`` runs ``--dist loadgroup``).
pytest_plugins = ["tests.xdist_groups"]


def pytest_sessionfinish(session: pytest.Session) -> None:
    """End the fork server of tests/own_process.py, if this process started one."""
    from tests.own_process import stop_fork_server

    stop_fork_server()


def _xdist_worker() -> str | None:
    """``gw0``, ``gw1``… in a pytest-xdist worker; None in a plain run."""
    return os.environ.get("PYTEST_XDIST_WORKER")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    worker = _xdist_worker()
    if not url:
        # tmp_path_factory's folder is already a worker's own under xdist.
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    elif worker is None:
        yield url
    elif url.startswith(("postgres://", "postgresql")):
        server = normalise_database_url(url)
        base = (make_url(server).database or "htx")[:30]  # names stop at 63 characters
        with throwaway_postgresql_database(server, f"{base}_{worker}") as own:
            yield own
    elif url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        yield f"{url}.{worker}"  # workers writing one SQLite file would lock each other out
    else:
        yield url


_TEST_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "ENV_NAME": "testing",  # also makes password hashing cheap (app/config.py)
    "SECRET_KEY": "test-secret-key",
    "PERSON_ID_HASH_KEY": "test-person-key",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "PUBLIC_BASE_URL": "https://trace.example.vn",
    "SERVER_NAME": None,
}


def _test_app(database_url: str) -> Flask:
    app = create_app(
        {**_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url)}
    )
    app.test_client_class = FreshContextClient
    return app


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = _test_app(database_url)
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


@contextmanager
def _database_beside(database_url: str, name: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same server as ``database_url`` (a SQLite file in
    ``tmp_path``), dropped afterwards."""
    if database_url.startswith(("postgres://", "postgresql")):
        server = normalise_database_url(database_url)
        base = (make_url(server).database or "htx")[:24]
        with throwaway_postgresql_database(server, f"{base}_{name}") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / f'{name}.sqlite3'}"


@pytest.fixture(scope="session")
def demo_world(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Flask, Any]]:
    """An app on a database of its own holding the demo country (``flask seed-demo`` on
    today's date), seeded once per run (per worker) and committed, with its ``DemoReport``.

    Seeding it takes seconds; the tests that only read it share it through ``demo_country``
    (under xdist they share one worker: tests/xdist_groups.py)."""
    from app.demo.country import seed_demo_country

    with _database_beside(database_url, "demo", tmp_path_factory.mktemp("demo")) as url:
        demo_app = _test_app(url)
        with demo_app.app_context():
            # A session of its own, whichever test's session ``db`` has swapped in.
            test_session, _db.session = _db.session, _db._make_scoped_session({})
            try:
                _db.create_all()
                _load_reference_data()
                report = seed_demo_country()
                _db.session.commit()
            finally:
                _db.session.remove()
                _db.session = test_session
        try:
            yield demo_app, report
        finally:
            with demo_app.app_context():
                _db.engine.dispose()


@pytest.fixture()
def demo_country(demo_world: tuple[Flask, Any]) -> Any:
    """The ``DemoReport`` of the shared demo country. The test runs on that database, in an
    app context of its app, inside a transaction rolled back at the end (``db``): it may
    write, but what it writes is gone for the next test."""
    return demo_world[1]


def _load_reference_data() -> None:
    """Places are reference data every test may need; load the shipped snapshot once."""
    try:
        from linkages.services.places import load_places
    except ImportError:  # pragma: no cover - before the places loader exists
        return
    load_places()


class _LazyConnection:
    """The test's connection and its outer transaction, opened when first needed: a test
    that never reaches the database costs neither a pool checkout (a ping on PostgreSQL)
    nor a rollback."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None
        self.outer: RootTransaction | None = None

    def get(self) -> Connection:
        if self.connection is None:
            self.connection = self.engine.connect()
            self.outer = self.connection.begin()
        return self.connection

    def close(self) -> None:
        if self.connection is None:
            return
        try:
            if self.outer is not None:
                self.outer.rollback()
        finally:
            self.connection.close()


@pytest.fixture(autouse=True)
def db(request: pytest.FixtureRequest, app: Flask) -> Iterator[object]:
    """Each test in an outer transaction rolled back at the end (on the demo country's
    database for a test that asks for ``demo_country``)."""
    if "demo_country" in request.fixturenames:
        app = request.getfixturevalue("demo_world")[0]
    with app.app_context():
        connection = _LazyConnection(_db.engine)
        try:
            with session_on(connection.get):
                yield _db
        finally:
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
