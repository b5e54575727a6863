"""A scan answered from what this worker read a moment ago (``TRACE_RECHECK_SECONDS``,
``trace_cache.RecentCache``): the resolver's redirect and the trace page of a code scanned
again ask the database nothing; this process's own writes show on the very next scan;
another worker's write (a statement that bypasses this process's sessions) once the
recheck time is up; the scan count never drops when the buffer is written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, update

from app.public import views
from app.resolver import views as resolver_views
from core.db import db, utcnow
from tests.factories import api_client
from tests.traceability.trace_world import TraceWorld, at, build_trace_world
from traceability.models import Batch
from traceability.models.batches import BatchStatus
from traceability.services import recording, scans, trace_cache

world = pytest.fixture(build_trace_world, name="world")

RECENT = (views._PAGES, views._RECENT, resolver_views._RECENT, scans._COUNTS)


@pytest.fixture()
def web(app: Flask) -> Iterator[FlaskClient]:
    """A consumer's phone, on caches emptied before and after the test."""
    for name in RECENT:
        app.extensions.pop(name, None)
    scans.app_buffer().take()
    yield api_client(app)
    for name in RECENT:
        app.extensions.pop(name, None)
    scans.app_buffer().take()


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """``time.monotonic`` as the recent caches see it, moved by the test."""
    now = [10_000.0]
    monkeypatch.setattr(trace_cache.time, "monotonic", lambda: now[0])
    return now


def _statements(web: FlaskClient, path: str, **kwargs: Any) -> tuple[Any, list[str]]:
    """The response and every statement it sent to the database (savepoints aside)."""
    sent: list[str] = []

    def listen(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if "SAVEPOINT" not in statement.upper():
            sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        return web.get(path, buffered=True, **kwargs), sent
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def _page(world: TraceWorld) -> str:
    return f"/trace/{world.roasted_key_path}"


def _label(world: TraceWorld) -> str:
    return f"/{world.roasted_key_path}"


def _html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_a_code_scanned_again_asks_the_database_nothing(web, world, clock):
    first, asked = _statements(web, _page(world))
    again, none = _statements(web, _page(world))
    assert first.status_code == again.status_code == 200
    assert asked and none == []
    assert again.headers["ETag"] == first.headers["ETag"]
    # The scan line still counts this process's scans (held in its buffer).
    assert "1" in _html(again).split('data-testid="scans"', 1)[1].split("</p>", 1)[0]


def test_the_resolvers_redirect_of_a_code_resolved_again_asks_nothing(web, world, clock):
    first, asked = _statements(web, _label(world))
    again, none = _statements(web, _label(world))
    assert first.status_code == again.status_code == 307
    assert again.headers["Location"] == first.headers["Location"]
    assert asked and none == []


def test_each_language_is_read_on_its_own(web, world, clock):
    _statements(web, _page(world))
    english, asked = _statements(web, _page(world), query_string={"lang": "en"})
    assert asked and '<html lang="en">' in _html(english)


def test_a_recall_recorded_by_this_process_shows_on_the_very_next_scan(web, world, clock):
    assert 'data-testid="recall-banner"' not in _html(web.get(_page(world), buffered=True))
    recording.record_recall(world.coop.staff, world.harvest.id, at=at(6, 9))
    db.session.commit()
    assert 'data-testid="recall-banner"' in _html(web.get(_page(world), buffered=True))
    assert web.get(_label(world)).status_code == 307


def _recall_by_another_worker(batch_id: int) -> None:
    """The recall as another process's write: straight on the connection, unseen by this
    process's sessions (so by ``core.process_writes``)."""
    db.session.connection().execute(
        update(Batch.__table__)
        .where(Batch.__table__.c.id == batch_id)
        .values(status=BatchStatus.RECALLED.value, updated_at=utcnow() + timedelta(seconds=1))
    )


def test_another_workers_recall_shows_once_the_recheck_time_is_up(app, web, world, clock):
    seconds = float(app.config["TRACE_RECHECK_SECONDS"])
    assert 'data-testid="recall-banner"' not in _html(web.get(_page(world), buffered=True))
    _recall_by_another_worker(world.roasted_lot.id)
    clock[0] += seconds / 2
    assert 'data-testid="recall-banner"' not in _html(web.get(_page(world), buffered=True))
    clock[0] += seconds / 2 + 0.01
    assert 'data-testid="recall-banner"' in _html(web.get(_page(world), buffered=True))


def test_with_no_recheck_time_every_scan_reads_the_database(app, web, world, clock):
    kept = app.config["TRACE_RECHECK_SECONDS"]
    app.config["TRACE_RECHECK_SECONDS"] = 0
    try:
        _statements(web, _page(world))
        _again, asked = _statements(web, _page(world))
        _recall_by_another_worker(world.roasted_lot.id)
        recalled = web.get(_page(world), buffered=True)
    finally:
        app.config["TRACE_RECHECK_SECONDS"] = kept
    assert asked
    assert 'data-testid="recall-banner"' in _html(recalled)


def test_the_count_does_not_drop_when_the_buffer_is_written(web, world, clock):
    path = _page(world)
    for _ in range(3):
        web.get(path, buffered=True, query_string={"lang": "en"})
    scans.flush_scans()  # the three rows leave the buffer for the table
    html = _html(web.get(path, buffered=True, query_string={"lang": "en"}))
    assert "This code has been scanned 3 times before" in html
