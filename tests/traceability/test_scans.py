"""Scans (traceability.services.scans): the buffer writes in one statement and never fails
anything, the consumer's count and first scan, and each of the producer's flags."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import OperationalError

from core.clock import VIETNAM
from core.db import db
from tests.factories import actor_of, make_org, make_user_with_token
from tests.traceability.trace_world import TraceWorld, at, build_trace_world
from traceability.models import Batch, ReportKind, Scan, ScanReport
from traceability.services import recording, scans
from traceability.services.resolution import resolve_path


@pytest.fixture()
def world() -> TraceWorld:
    return build_trace_world()


def _row(batch: Batch | None, *, serial: str | None = None, client: str = "a",
         when: datetime | None = None, level: str = "lot") -> dict[str, Any]:
    return {
        "scanned_at": when or datetime(2026, 3, 10, 9, 0, tzinfo=VIETNAM),
        "batch_id": batch.id if batch else None,
        "product_id": batch.product_id if batch else None,
        "serial": serial,
        "level": level,
        "language": "vi",
        "fingerprint": client * 64 if len(client) == 1 else client,
    }


def _store(*rows: dict[str, Any]) -> None:
    db.session.execute(insert(Scan.__table__), list(rows))


def _scan_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Scan)) or 0)


@pytest.fixture()
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def listen(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


# --------------------------------------------------------------------------- recording


def test_a_scan_row_keeps_a_keyed_fingerprint_never_the_address(world):
    found = resolve_path(f"/{world.roasted_key_path}/21/S-9")
    row = scans.scan_row(found, language="en", client_address="203.0.113.7")
    assert row is not None
    assert row["batch_id"] == world.roasted_lot.id and row["product_id"] == world.roasted.id
    assert row["serial"] == "S-9" and row["level"] == "lot"  # a serial never recorded
    assert row["fingerprint"] == scans.client_fingerprint("203.0.113.7")
    assert "203.0.113.7" not in str(row.values())


def test_a_place_is_not_a_scan_to_record(world):
    from tests.traceability.resolution_world import new_gln

    world.area.gln = new_gln()
    db.session.commit()
    found = resolve_path(f"/414/{world.area.gln}")
    assert scans.scan_row(found, language="vi", client_address="10.0.0.1") is None


def test_the_buffer_is_written_in_one_insert_statement(world, statements):
    buffer = scans.ScanBuffer(max_rows=3)
    assert buffer.add(_row(world.roasted_lot, client="a")) is False
    assert buffer.add(_row(world.roasted_lot, client="b")) is False
    assert buffer.add(_row(world.harvest, client="c")) is True  # full: the caller flushes
    statements.clear()
    assert buffer.flush(db.session.session_factory) == 3
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and "scans" in inserts[0]
    assert len(buffer) == 0 and _scan_count() == 3
    assert buffer.flush(db.session.session_factory) == 0  # nothing left, nothing written


def test_the_write_has_a_transaction_of_its_own(world):
    """The flush commits its own session, never the caller's: what the caller left pending
    stays pending (and is rolled back with it)."""
    buffer = scans.ScanBuffer(max_rows=10)
    buffer.add(_row(world.roasted_lot))
    world.roasted_lot.grade = "pending-grade"  # the caller's unflushed change
    made: list[Any] = []

    def factory() -> Any:
        made.append(db.session.session_factory())
        return made[-1]

    assert buffer.flush(factory) == 1
    assert made and made[0] is not db.session()
    assert world.roasted_lot in db.session.dirty


def test_a_failed_write_is_logged_and_never_raised(world, caplog):
    buffer = scans.ScanBuffer(max_rows=10)
    buffer.add(_row(world.roasted_lot))
    buffer.add(_row(world.roasted_lot))

    def locked() -> Any:
        raise OperationalError("INSERT INTO scans", {}, Exception("database is locked"))

    with caplog.at_level(logging.WARNING, logger="traceability.services.scans"):
        assert buffer.flush(locked) == 0
    assert "2 scans could not be stored" in caplog.text
    assert len(buffer) == 0 and _scan_count() == 0


def test_note_scan_never_raises(app, world, monkeypatch, caplog):
    def broken() -> Any:
        raise RuntimeError("no buffer today")

    monkeypatch.setattr(scans, "app_buffer", broken)
    with caplog.at_level(logging.WARNING, logger="traceability.services.scans"):
        scans.note_scan(_row(world.roasted_lot))
    assert "a scan could not be noted" in caplog.text


def test_the_scan_that_fills_the_buffer_writes_it(app, world, monkeypatch):
    monkeypatch.setitem(app.extensions, "htx_scans", scans.ScanBuffer(max_rows=2))
    scans.note_scan(_row(world.roasted_lot), app)  # as after a response: app given
    assert _scan_count() == 0
    scans.note_scan(_row(world.roasted_lot), app)
    assert _scan_count() == 2 and len(scans.app_buffer()) == 0


def test_under_testing_scans_wait_for_flush_scans(app, world):
    buffer = scans.app_buffer()
    buffer.take()
    scans.note_scan(_row(world.roasted_lot), app)
    assert _scan_count() == 0 and len(buffer) == 1
    assert scans.flush_scans() == 1
    assert _scan_count() == 1 and len(buffer) == 0


def test_an_aged_buffer_calls_its_timer_once(world):
    fired = threading.Event()
    calls: list[int] = []

    def aged() -> None:
        calls.append(1)
        fired.set()

    buffer = scans.ScanBuffer(max_rows=100, max_age=0.05, on_age=aged)
    buffer.add(_row(world.roasted_lot))
    buffer.add(_row(world.roasted_lot))  # no second timer while one is pending
    assert fired.wait(5)
    assert calls == [1]


# --------------------------------------------------------------------------- counting


def test_a_codes_count_and_first_scan_include_the_unwritten_ones(app, world, monkeypatch):
    lot = world.roasted_lot
    _store(
        _row(lot, when=datetime(2026, 3, 6, 23, 30, tzinfo=VIETNAM)),
        _row(lot, when=datetime(2026, 3, 9, 8, 0, tzinfo=VIETNAM)),
        _row(lot, serial="S1", when=datetime(2026, 3, 1, 8, 0, tzinfo=VIETNAM)),
        _row(world.harvest),
    )
    summary = scans.scan_summary(lot.id, None)
    assert summary.count == 2
    assert summary.first_day == date(2026, 3, 6)  # Vietnam's day, not UTC's
    assert scans.scan_summary(lot.id, "S1").count == 1
    assert scans.scan_summary(lot.id, "S2") == scans.ScanSummary(0, None)
    # Scans held by this process and not written yet count too.
    held = scans.ScanBuffer(max_rows=100)
    held.add(_row(lot, when=datetime(2026, 3, 2, 8, 0, tzinfo=VIETNAM)))
    monkeypatch.setattr(scans, "app_buffer", lambda: held)
    summary = scans.scan_summary(lot.id, None)
    assert summary.count == 3 and summary.first_day == date(2026, 3, 2)


# --------------------------------------------------------------------------- flags


def _flags(world: TraceWorld, lot: Batch) -> scans.BatchScans:
    owner = world.coop if lot.organisation_id == world.coop.org.id else world.roaster
    found = scans.batch_scans(owner.staff, lot)
    assert found is not None
    return found


def test_a_lot_without_scans_has_no_flags(world):
    flags = _flags(world, world.roasted_lot)
    assert flags.scans == 0 and not flags.flagged and flags.first is None


def test_a_serial_scanned_too_often_is_flagged(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "SCAN_FLAG_SERIAL_MAX", 3)
    lot = world.roasted_lot
    _store(*[_row(lot, serial="S1", client="a") for _ in range(4)],
           *[_row(lot, serial="S2", client="a") for _ in range(3)],
           *[_row(lot, client="a") for _ in range(50)])  # the lot's own label: no flag
    flags = _flags(world, lot)
    assert flags.serials_flagged == 1 and [f.serial for f in flags.serials] == ["S1"]
    assert (flags.serials[0].scans, flags.serials[0].clients) == (4, 1)
    assert flags.scans == 57 and flags.clients == 1 and flags.flagged


def test_a_serial_scanned_by_many_clients_is_flagged(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "SCAN_FLAG_DISTINCT_CLIENTS", 2)
    lot = world.roasted_lot
    _store(*[_row(lot, serial="S1", client=c) for c in "abc"],
           *[_row(lot, serial="S2", client=c) for c in "ab"],
           *[_row(lot, serial="S3", client=c) for c in "abcd"])
    flags = _flags(world, lot)
    assert [(f.serial, f.clients) for f in flags.serials] == [("S3", 4), ("S1", 3)]
    assert flags.serials_flagged == 2 and flags.clients == 4


def test_many_flagged_serials_are_counted_beyond_those_listed(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "SCAN_FLAG_SERIAL_MAX", 1)
    lot = world.roasted_lot
    n = scans.FLAGGED_SERIALS_SHOWN + 3
    _store(*[_row(lot, serial=f"S{i}") for i in range(n) for _ in range(2)])
    flags = _flags(world, lot)
    assert flags.serials_flagged == n and len(flags.serials) == scans.FLAGGED_SERIALS_SHOWN


def test_scans_long_after_expiry_are_flagged(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "SCAN_FLAG_AFTER_EXPIRY_DAYS", 30)
    lot = world.roasted_lot  # expires 1 Sep 2027
    assert lot.expiry == date(2027, 9, 1)
    day = datetime(2027, 10, 1, 23, 59, tzinfo=VIETNAM)  # 30 days after: not yet
    _store(_row(lot, when=day), _row(lot, when=day + timedelta(minutes=2)),
           _row(lot, when=datetime(2028, 1, 1, 8, 0, tzinfo=VIETNAM)))
    flags = _flags(world, lot)
    assert flags.expiry_flag_from == date(2027, 10, 2)
    assert flags.after_expiry == 2 and flags.flagged


def test_a_lot_without_expiry_has_no_expiry_flag(world):
    lot = world.received
    lot.expiry = None
    db.session.commit()
    _store(_row(lot, when=datetime(2040, 1, 1, tzinfo=VIETNAM)))
    flags = _flags(world, lot)
    assert flags.after_expiry == 0 and flags.expiry_flag_from is None


def test_scans_since_an_ancestors_recall_are_flagged(world):
    lot = world.roasted_lot
    _store(_row(lot, when=at(5, 9)), _row(lot, when=at(7, 9)), _row(lot, when=at(8, 9)))
    assert _flags(world, lot).after_recall == 0
    recording.record_recall(world.coop.staff, world.harvest.id, at=at(6, 9))
    db.session.commit()
    flags = _flags(world, lot)
    assert flags.recalled_lots == [world.harvest.lot_code]
    assert flags.recalled_since == at(6, 9)
    assert flags.after_recall == 2 and flags.flagged


def test_scans_of_a_recalled_lot_itself_are_flagged(world):
    lot = world.roasted_lot
    _store(_row(lot, when=at(9, 9)))
    recording.record_recall(world.roaster.staff, lot.id, at=at(8, 9))
    db.session.commit()
    flags = _flags(world, lot)
    assert flags.recalled_lots == [lot.lot_code] and flags.after_recall == 1


def test_reports_about_the_lot_are_counted(world):
    for _ in range(2):
        db.session.add(ScanReport(
            uri="https://x", batch_id=world.roasted_lot.id, product_id=world.roasted.id,
            organisation_id=world.roaster.org.id, kind=ReportKind.OTHER, message="m",
            language="vi", client_fingerprint="f" * 64,
        ))
    db.session.flush()
    flags = _flags(world, world.roasted_lot)
    assert (flags.reports, flags.new_reports) == (2, 2)


def test_another_organisation_sees_no_scans(world):
    lot = world.harvest
    assert scans.batch_scans(world.roaster.staff, lot) is None  # its buyer
    stranger = make_org("HTX Khác")
    user, _headers = make_user_with_token(stranger)
    assert scans.batch_scans(actor_of(user, stranger), lot) is None
    assert scans.batch_scans(world.coop.staff, lot) is not None


def test_flags_are_a_few_statements_whatever_the_scans(app, world, statements, monkeypatch):
    monkeypatch.setitem(app.config, "SCAN_FLAG_SERIAL_MAX", 1)
    lot = world.roasted_lot
    _store(*[_row(lot, serial=f"S{i % 40}", client=f"{i:064d}") for i in range(400)])
    owner = world.roaster.staff
    statements.clear()
    flags = scans.batch_scans(owner, lot)
    assert flags is not None and flags.serials_flagged == 40
    assert len(statements) == 4, statements  # recalls, totals, serials, reports
