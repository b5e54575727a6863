"""The migrations build exactly the schema the models declare, on SQLite and PostgreSQL.

These tests need a database of their own: the suite's shared database is built with
``create_all`` and every test runs inside a rolled-back transaction on it (tests/conftest.py),
while Alembic must see an empty database and commit its DDL. So each test makes a fresh one
(a temporary SQLite file, or a throwaway PostgreSQL database when ``TEST_DATABASE_URL`` names
a server) and works through engines and connections, never through ``db.session``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect

from app import create_app
from app.config import normalise_database_url
from core.db import db, throwaway_postgresql_database


@contextmanager
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a brand-new empty database, dropped afterwards."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server or not server.startswith(("postgres://", "postgresql")):
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    with throwaway_postgresql_database(normalise_database_url(server), "htx_fresh") as url:
        yield url


@contextmanager
def app_on(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app bound to ``database_url``, inside its app context; its engine is disposed after."""
    app = create_app(
        {
            "TESTING": True,
            "ENV_NAME": "testing",
            "SECRET_KEY": "test-secret-key",
            "PERSON_ID_HASH_KEY": "test-person-key",
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        try:
            yield app
        finally:
            db.engine.dispose()


def _schema_differences() -> list:
    with db.engine.connect() as conn, warnings.catch_warnings():
        # SQLite cannot reflect expression indexes, and PostgreSQL-only ones
        # (``ddl_if``) are not built there: Alembic says it skips them.
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified "
                                "expression-based index")
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata) + _include_differences(conn)


def _include_differences(conn) -> list:
    """PostgreSQL: each index's INCLUDE columns as the models declare them. Alembic's
    comparison does not look at them, and a covering index without them is an index
    the planner no longer reads alone (bench/RESULTS.md)."""
    if conn.dialect.name != "postgresql":
        return []
    inspector = inspect(conn)
    out = []
    for table in db.metadata.sorted_tables:
        found = {ix["name"]: ix.get("dialect_options", {}).get("postgresql_include") or []
                 for ix in inspector.get_indexes(table.name)}
        for index in table.indexes:
            wanted = list(index.dialect_options["postgresql"]["include"] or [])
            if found.get(index.name, []) != wanted:
                out.append(("include", index.name, found.get(index.name), wanted))
    return out


def _head_revisions(app: Flask) -> set[str]:
    migrate = app.extensions["migrate"]
    config = migrate.migrate.get_config(migrate.directory)
    return set(ScriptDirectory.from_config(config).get_heads())


@pytest.fixture()
def fresh_app(tmp_path: Path) -> Iterator[Flask]:
    with fresh_database_url(tmp_path) as url, app_on(url, tmp_path) as app:
        yield app


def test_there_is_exactly_one_migration_head(fresh_app):
    assert len(_head_revisions(fresh_app)) == 1


def test_upgrade_on_an_empty_database_gives_exactly_the_models_schema(fresh_app):
    flask_migrate.upgrade()

    assert _schema_differences() == []
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    assert current == _head_revisions(fresh_app)


def test_downgrade_to_base_removes_every_table(fresh_app):
    flask_migrate.upgrade()

    flask_migrate.downgrade(revision="base")

    with db.engine.connect() as conn:
        remaining = set(inspect(conn).get_table_names()) - {"alembic_version"}
    assert remaining == set()


def test_upgrade_after_a_downgrade_gives_the_same_schema_again(fresh_app):
    flask_migrate.upgrade()
    flask_migrate.downgrade(revision="base")

    flask_migrate.upgrade()

    assert _schema_differences() == []
