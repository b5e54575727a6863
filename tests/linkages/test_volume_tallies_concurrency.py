"""Two transactions recording lots of one cooperative at once leave its tallies right:
the second waits for the first to commit, then works the tallies out with both lots
(``linkages.indicator.tallies``). Without the lock, on PostgreSQL the second trips on the
rows the first inserted; on SQLite one writer at a time is the database's own rule. Both
take the day's default lot code: the second, finding it taken by the time it inserts,
moves on to the next number (``traceability.services.batches.new_batch``) where it used
to fail on the unique identifier.

It needs committed rows seen from two connections, so it runs on a database of its own
(as the migration tests do), never inside the suite's rolled-back transaction."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import flask_migrate
from flask import Flask
from sqlalchemy import select

from core.clock import local_today
from core.db import db
from core.errors import Conflict
from linkages.indicator import tallies
from tests.app.test_migration_batch_void import _session_on_the_fresh_database
from tests.app.test_migrations import app_on, fresh_database_url
from tests.factories import actor_of, make_org, make_user_with_token
from tests.linkages.test_volume_tallies import _rows
from tests.traceability.batch_factories import make_area, make_product
from traceability.models import Batch
from traceability.services import recording as events


def _harvest(app: Flask, ids: dict[str, Any], kg: str, flushed: threading.Event,
             go: threading.Event | None, failures: list[BaseException]) -> None:
    with app.app_context():
        try:
            events.record_harvest(ids["actor"], area_ids=[ids["area"]],
                                  product_id=ids["product"], quantity=Decimal(kg),
                                  unit="kg", harvested_on=local_today(),
                                  lot_code=ids["lot_code"])
            db.session.flush()
            flushed.set()
            if go is not None:
                go.wait(10)
            db.session.commit()
        except BaseException as error:
            failures.append(error)
            flushed.set()
        finally:
            db.session.remove()


def _race(tmp_path: Path, lot_code: str | None
          ) -> tuple[list[BaseException], dict[str, set[tuple[Any, ...]]], list[str]]:
    """Two harvests of one cooperative's product on one day, the second flushed while
    the first is not committed yet: what failed, the tallies (checked against a rebuild)
    and the lot codes recorded."""
    with fresh_database_url(tmp_path) as url, app_on(url, tmp_path) as app:
        flask_migrate.upgrade()
        with _session_on_the_fresh_database():
            org = make_org("HTX Hai điện thoại")
            user, _headers = make_user_with_token(org)
            ids = {"actor": actor_of(user, org), "area": make_area(org).id,
                   "product": make_product(org).id, "lot_code": lot_code}
            db.session.commit()
        # Each thread's app context gets its own session of this registry.
        with _session_on_the_fresh_database():
            failures: list[BaseException] = []
            first_flushed, second_flushed, go = (threading.Event() for _ in range(3))
            first = threading.Thread(target=_harvest,
                                     args=(app, ids, "100", first_flushed, go, failures))
            second = threading.Thread(target=_harvest,
                                      args=(app, ids, "250", second_flushed, None, failures))
            first.start()
            assert first_flushed.wait(10)
            second.start()
            second_flushed.wait(1)  # held back by the first's lock (or SQLite's)
            go.set()
            first.join(10)
            second.join(10)
        with _session_on_the_fresh_database():
            kept = _rows()
            tallies.rebuild(db.session)
            assert _rows() == kept
            return failures, kept, sorted(db.session.scalars(select(Batch.lot_code)))


def test_two_harvests_of_one_cooperative_at_once_are_both_tallied(tmp_path: Path) -> None:
    failures, kept, codes = _race(tmp_path, None)
    assert failures == []
    assert {(r[3], r[4]) for r in kept["harvest"]} == {(2, Decimal("350"))}
    # Both took the day's default lot code; the second moved to the next number.
    assert [code[-2:] for code in codes] == ["-1", "-2"]


def test_the_same_lot_code_given_twice_at_once_is_a_conflict_for_the_second(
    tmp_path: Path,
) -> None:
    failures, kept, codes = _race(tmp_path, "CHUNG-1")
    assert [type(f) for f in failures] == [Conflict]
    assert "lot_code" in failures[0].field_errors  # type: ignore[attr-defined]
    assert {(r[3], r[4]) for r in kept["harvest"]} == {(1, Decimal("100"))}
    assert codes == ["CHUNG-1"]
