"""Liveness and readiness probes for load balancers and ``make run`` users."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from flask_migrate import Migrate
from sqlalchemy import text

from app.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """The process is alive; touches nothing else (the framework ceiling in bench/)."""
    return jsonify(status="ok")


def _migration_heads() -> tuple[set[str], set[str]]:
    migrate: Migrate = current_app.extensions["migrate"]
    config = migrate.migrate.get_config(migrate.directory)
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return heads, current


@bp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    """The database answers and its schema is at the migrations' head."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        heads, current = _migration_heads()
    except Exception as exc:  # any failure means "not ready", with the reason
        current_app.logger.warning("readiness check failed: %s", exc)
        return jsonify(status="unavailable", database="unreachable"), 503
    if heads != current:
        return (
            jsonify(status="unavailable", database="ok", migrations="behind",
                    head=sorted(heads), current=sorted(current)),
            503,
        )
    return jsonify(status="ok", database="ok", migrations="head")
