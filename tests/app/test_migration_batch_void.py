"""The ``void`` batch status ships with its migration: the CHECK constraint of
``batches.status`` accepts it after the upgrade, and the downgrade restores the old
constraint, turning void lots into consumed ones first (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import flask_migrate
from sqlalchemy import inspect, text

from core.db import db
from core.units import Unit
from tests.app.test_migrations import app_on, fresh_database_url
from tests.factories import make_org
from tests.traceability.batch_factories import make_product
from traceability.models import Batch, BatchStatus

BEFORE = "0731a4431ba2"  # the revision before the void status


def _status_check() -> str:
    with db.engine.connect() as conn:
        checks = inspect(conn).get_check_constraints("batches")
    [check] = [c for c in checks if c["name"] == "ck_batches_batch_status"]
    return str(check["sqltext"])


@contextmanager
def _session_on_the_fresh_database() -> Iterator[None]:
    """The suite's ``db`` fixture binds ``db.session`` to its own rolled-back connection;
    the factories below must write into the fresh database instead."""
    suite_session = db.session
    db.session = db._make_scoped_session({})
    try:
        yield
    finally:
        db.session.remove()
        db.session = suite_session


def _void_batch() -> int:
    with _session_on_the_fresh_database():
        org = make_org("HTX Thử di trú")
        product = make_product(org)
        batch = Batch(
            organisation_id=org.id, product_id=product.id, lot_code="VOID-1",
            identifier="https://trace.example.vn/x/10/VOID-1",
            canonical_id="https://trace.example.vn/x/10/VOID-1", quantity=Decimal(10),
            unit=Unit.KG, quantity_kg=Decimal(10), status=BatchStatus.VOID,
        )
        db.session.add(batch)
        db.session.commit()
        return batch.id


def test_the_upgrade_lets_a_batch_be_void_and_the_downgrade_makes_it_consumed(
    tmp_path: Path,
) -> None:
    with fresh_database_url(tmp_path) as url, app_on(url, tmp_path):
        flask_migrate.upgrade(revision=BEFORE)
        assert "void" not in _status_check()

        flask_migrate.upgrade()
        assert "'void'" in _status_check()
        batch_id = _void_batch()  # the constraint accepts it

        flask_migrate.downgrade(revision=BEFORE)
        assert "void" not in _status_check()
        with db.engine.connect() as conn:
            status = conn.execute(
                text("SELECT status FROM batches WHERE id = :id"), {"id": batch_id}
            ).scalar_one()
        assert status == "consumed"
