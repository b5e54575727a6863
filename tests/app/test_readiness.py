"""Probes: /healthz says the process lives; /readyz says the database is at the migrations' head."""

from __future__ import annotations

import flask_migrate
from sqlalchemy import text

from core.db import db
from tests.app.test_migrations import app_on, fresh_database_url


def test_healthz_answers_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_answers_ok_on_a_database_at_the_migrations_head(tmp_path):
    with fresh_database_url(tmp_path) as url, app_on(url, tmp_path) as app:
        flask_migrate.upgrade()

        response = app.test_client().get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "head"}


def test_readyz_answers_503_on_a_database_that_was_never_migrated(tmp_path):
    with fresh_database_url(tmp_path) as url, app_on(url, tmp_path) as app:
        # The tables exist (create_all) but Alembic never ran: no alembic_version row.
        db.metadata.create_all(db.engine)

        response = app.test_client().get("/readyz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["migrations"] == "behind"
    assert body["current"] == []


def test_readyz_answers_503_when_the_database_is_behind_the_head(tmp_path):
    with fresh_database_url(tmp_path) as url, app_on(url, tmp_path) as app:
        flask_migrate.upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))

        response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["current"] == ["older"]
