"""``core.process_writes``: what counts as a write of this process, for the scan's caches."""

from __future__ import annotations

from sqlalchemy import insert, select, text

from core import process_writes
from core.db import db
from linkages.models.places import Province
from traceability.services.trace_cache import RecentCache


def test_a_select_changes_nothing(app):
    before = process_writes.generation()
    db.session.execute(select(Province.code).limit(1)).all()
    assert process_writes.generation() == before


def test_a_flush_that_writes_and_a_core_insert_each_change_the_generation(app):
    before = process_writes.generation()
    db.session.add(Province(code="T1", name="Tỉnh thử", name_en="Test province", kind="province"))
    db.session.flush()
    flushed = process_writes.generation()
    assert flushed != before
    db.session.execute(
        insert(Province), [{"code": "T2", "name": "Tỉnh hai", "name_en": "Two", "kind": "province"}]
    )
    assert process_writes.generation() != flushed


def test_a_session_marked_neutral_does_not_count(app):
    session = db.session.session_factory()
    session.info[process_writes.NEUTRAL] = True
    try:
        before = process_writes.generation()
        session.execute(text("UPDATE provinces SET name = name WHERE 1 = 0"))
        assert process_writes.generation() == before
    finally:
        session.rollback()
        session.close()


def test_a_recent_value_is_kept_until_this_process_writes(app, monkeypatch):
    recent: RecentCache[str] = RecentCache(4, seconds=2.0)
    recent.put("k", "read", process_writes.generation())
    assert recent.get("k") == "read"
    db.session.execute(text("UPDATE provinces SET name = name WHERE 1 = 0"))
    assert recent.get("k") is None


def test_a_recent_value_read_while_this_process_wrote_is_not_kept(app):
    recent: RecentCache[str] = RecentCache(4, seconds=2.0)
    read_in = process_writes.generation()
    db.session.execute(text("UPDATE provinces SET name = name WHERE 1 = 0"))  # during the read
    recent.put("k", "read", read_in)
    assert recent.get("k") is None


def test_a_recent_value_expires_after_its_seconds(monkeypatch):
    from traceability.services import trace_cache

    now = [1000.0]
    monkeypatch.setattr(trace_cache.time, "monotonic", lambda: now[0])
    recent: RecentCache[str] = RecentCache(4, seconds=2.0)
    recent.put("k", "read", process_writes.generation())
    now[0] += 1.9
    assert recent.get("k") == "read"
    now[0] += 0.2
    assert recent.get("k") is None


def test_zero_seconds_keeps_nothing():
    recent: RecentCache[str] = RecentCache(4, seconds=0)
    recent.put("k", "read", process_writes.generation())
    assert recent.get("k") is None and len(recent) == 0
