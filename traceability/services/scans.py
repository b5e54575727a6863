"""Scans of the public trace page: recorded without slowing it, counted for the consumer,
and turned into flags for the producer.

Recording. ``scan_row`` says what to record of a resolved identifier (a lot, a serialised
item, a product; a place is no product and is not recorded), with the client's address
only as its keyed hash (``scan_reports.client_fingerprint``). ``note_scan`` appends the row
to the process's ``ScanBuffer`` and, when the buffer is full, writes it: the caller calls it
once the response is sent (``app.public.views``), so no page ever waits for a write and no
request's transaction ever holds a scan. A buffer is written:
- when it holds ``SCAN_BUFFER_ROWS`` rows, by the request that filled it, after its response;
- when its oldest row is ``SCAN_BUFFER_SECONDS`` old, by a timer thread;
- at process exit (``atexit``);
- on demand (``flush_scans``).
Each write is ONE multi-row INSERT in a short transaction of its own (a session of its own
from the app's session factory: it neither joins nor commits any request's transaction).
A write that fails (SQLite locked, the database away) is logged and its rows are dropped:
scans are statistics, and a failure must never reach a consumer. Each process (gunicorn
worker) has its own buffer. Under ``TESTING`` the buffer is written only on demand
(``flush_scans``: no timer, no write after a response), so that tests decide when; a page's
count includes the scans held all the same.

Counting. ``scan_summary`` gives the consumer's page how many times the code was scanned
before and when first: one aggregate over the (batch, serial, time) index, plus the scans
this process holds unwritten.

Flags. ``batch_scans`` gives a lot's own organisation (and platform admins) its scan
figures and flags, as a few aggregate statements, never a loop over scans:
- serial numbers scanned more than ``SCAN_FLAG_SERIAL_MAX`` times, or by more than
  ``SCAN_FLAG_DISTINCT_CLIENTS`` distinct clients (a copied label);
- scans more than ``SCAN_FLAG_AFTER_EXPIRY_DAYS`` days after the lot's expiry;
- scans of the lot since it, or a lot it was made from, was recalled;
- the consumers' reports about the lot.

Nothing here commits the caller's session.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as day_time
from typing import Any

from flask import Flask, current_app
from sqlalchemy import ColumnElement, and_, case, func, insert, literal, select

from core import process_writes
from core.actor import Actor, can_write
from core.app_state import per_app
from core.clock import VIETNAM, local_today
from core.db import chunks, db, utcnow
from traceability.models.batches import Batch, BatchStatus
from traceability.models.events import EpcisEvent, EventBatch
from traceability.models.scan_reports import ReportStatus, ScanReport
from traceability.models.scans import Scan
from traceability.services import lineage
from traceability.services.resolution import Resolution
from traceability.services.scan_reports import client_fingerprint
from traceability.services.trace_cache import recent_cache

__all__ = [
    "BatchScans",
    "ScanBuffer",
    "ScanSummary",
    "ScanTarget",
    "SerialFlag",
    "app_buffer",
    "batch_scans",
    "flush_scans",
    "note_scan",
    "scan_row",
    "scan_summary",
    "scan_target",
]

log = logging.getLogger(__name__)

RECORDED_LEVELS = frozenset({"serial", "lot", "product"})
# Rows per INSERT statement: 7 bound values a row stays far below SQLite's and PostgreSQL's
# limits on parameters; a buffer is normally far smaller (SCAN_BUFFER_ROWS).
ROWS_PER_STATEMENT = 500
FLAGGED_SERIALS_SHOWN = 20
_EXTENSION = "htx_scans"
_COUNTS = "htx_scan_counts"

Row = dict[str, Any]


# --------------------------------------------------------------------------- recording


@dataclass(frozen=True, slots=True)
class ScanTarget:
    """What a scan of a resolved identifier records, known once the identifier is resolved
    (kept with the page a scan serves, so a page served from memory still records it)."""

    batch_id: int | None
    product_id: int | None
    serial: str | None
    level: str

    def row(self, *, language: str, client_address: str, at: datetime | None = None) -> Row:
        return {
            "scanned_at": at or utcnow(),
            "batch_id": self.batch_id,
            "product_id": self.product_id,
            "serial": self.serial,
            "level": self.level,
            "language": language,
            "fingerprint": client_fingerprint(client_address),
        }


def scan_target(resolution: Resolution) -> ScanTarget | None:
    """What a scan of ``resolution`` records (None for what is not recorded)."""
    if resolution.level not in RECORDED_LEVELS:
        return None
    return ScanTarget(
        resolution.batch.id if resolution.batch is not None else None,
        resolution.product.id if resolution.product is not None else None,
        resolution.serial or resolution.unknown_serial,
        resolution.level,
    )


def scan_row(
    resolution: Resolution, *, language: str, client_address: str, at: datetime | None = None
) -> Row | None:
    """The row recording a scan of ``resolution`` (None for what is not recorded)."""
    target = scan_target(resolution)
    if target is None:
        return None
    return target.row(language=language, client_address=client_address, at=at)


class ScanBuffer:
    """Scans noted and not yet written, shared by the threads of one process.

    ``add`` says when the buffer is full (never with ``max_rows`` None: written on demand
    only); ``on_age`` (when given, with ``max_age``) is called from a timer thread
    ``max_age`` seconds after a row entered an empty buffer."""

    def __init__(
        self,
        max_rows: int | None,
        max_age: float | None = None,
        on_age: Callable[[], None] | None = None,
    ) -> None:
        self.max_rows = None if max_rows is None else max(1, max_rows)
        self.max_age = max_age
        self.on_age = on_age
        self._rows: list[Row] = []
        # (batch, serial) → (rows held, earliest): what ``pending`` answers on every scan,
        # kept as rows come rather than counted over a buffer of hundreds.
        self._held: dict[tuple[Any, Any], tuple[int, datetime]] = {}
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        # Writes so far: a count read from the database is kept only while this is
        # unchanged (the rows it held leave ``pending`` when they are written).
        self.writes = 0

    def add(self, row: Row) -> bool:
        """Keep ``row``; True when the buffer is now full (the caller flushes it)."""
        with self._lock:
            self._rows.append(row)
            code = (row["batch_id"], row["serial"])
            count, first = self._held.get(code, (0, row["scanned_at"]))
            self._held[code] = (count + 1, min(first, row["scanned_at"]))
            full = self.max_rows is not None and len(self._rows) >= self.max_rows
            if not full and self._timer is None and self.max_age and self.on_age:
                self._timer = threading.Timer(self.max_age, self._aged)
                self._timer.daemon = True
                self._timer.start()
            return full

    def _aged(self) -> None:
        with self._lock:
            self._timer = None
        if self.on_age is not None:
            self.on_age()

    def take(self) -> list[Row]:
        """Every row held, leaving the buffer empty."""
        with self._lock:
            rows, self._rows = self._rows, []
            self._held = {}
            return rows

    def pending(self, batch_id: int, serial: str | None) -> tuple[int, datetime | None]:
        """(count, first scan) of the rows held for one code."""
        with self._lock:
            count, first = self._held.get((batch_id, serial), (0, None))
        return count, first

    def flush(self, session_factory: Callable[[], Any]) -> int:
        """Write every row held in one INSERT (per ``ROWS_PER_STATEMENT``) and one short
        transaction of a session made by ``session_factory``. Returns the rows written; a
        failure is logged, never raised, and its rows are dropped."""
        rows = self.take()
        if not rows:
            return 0
        try:
            session = session_factory()
            session.info[process_writes.NEUTRAL] = True  # a scan changes no page
            try:
                # executemany: one statement compiled once (and cached), which
                # SQLAlchemy sends as multi-row INSERTs (insertmanyvalues); a ``values()``
                # of the rows themselves compiled anew at each write (~10 ms).
                for part in chunks(rows, ROWS_PER_STATEMENT):
                    session.execute(insert(Scan.__table__), list(part))
                session.commit()
            finally:
                session.close()
        except Exception:  # a scan must never fail anything
            log.warning("%d scans could not be stored", len(rows), exc_info=True)
            return 0
        finally:
            self.writes += 1
        return len(rows)

    def __len__(self) -> int:
        return len(self._rows)


def app_buffer() -> ScanBuffer:
    """The current app's buffer in this process (made on first use)."""
    return per_app(_EXTENSION, _new_buffer)


def _new_buffer(app: Flask) -> ScanBuffer:
    if app.testing:
        return ScanBuffer(None)
    buffer = ScanBuffer(
        int(app.config["SCAN_BUFFER_ROWS"]),
        float(app.config["SCAN_BUFFER_SECONDS"]),
        on_age=lambda: _flush_in(app),
    )
    atexit.register(_flush_in, app)
    return buffer


def _flush_in(app: Flask) -> int:
    """Flush ``app``'s buffer from outside any request (timer thread, exit, after a
    response): in an app context of its own."""
    with app.app_context():
        return flush_scans()


def flush_scans() -> int:
    """Write the current app's buffered scans now (see ``ScanBuffer.flush``)."""
    return app_buffer().flush(db.session.session_factory)


def note_scan(row: Row, app: Flask | None = None) -> None:
    """Record a scan: buffer it, and write the buffer when it is full. To be called once
    the response is sent (with ``app`` when outside an app context). Never raises."""
    if app is not None:
        buffer = app.extensions.get(_EXTENSION)
        if buffer is None:  # the process's first scan: made in an app context
            with app.app_context():
                note_scan(row)
            return
        # Holding a row needs no app context (pushing one cost more than the rest);
        # writing the buffer does.
        try:
            if buffer.add(row):
                _flush_in(app)
        except Exception:  # a scan must never fail anything
            log.warning("a scan could not be noted", exc_info=True)
        return
    try:
        if app_buffer().add(row):
            flush_scans()
    except Exception:  # a scan must never fail anything
        log.warning("a scan could not be noted", exc_info=True)


# --------------------------------------------------------------------------- counting


@dataclass(frozen=True, slots=True)
class ScanSummary:
    """How many times one code was scanned (before now) and when first."""

    count: int
    first: datetime | None

    @property
    def first_day(self) -> date | None:
        return local_today(self.first) if self.first is not None else None


def _serial_is(serial: str | None) -> ColumnElement[bool]:
    return Scan.serial.is_(None) if serial is None else Scan.serial == serial


def scan_summary(batch_id: int, serial: str | None) -> ScanSummary:
    """Scans of the code (``serial`` None: the lot's own label) recorded so far: one
    aggregate on the (batch, serial, time) index, plus this process's unwritten ones.

    The aggregate is kept for ``TRACE_RECHECK_SECONDS`` (``trace_cache.RecentCache``)
    while this process's buffer wrote nothing: other workers' scans show that much
    later, this process's own at once (they are in the buffer until written)."""
    buffer = app_buffer()
    recent = recent_cache(_COUNTS)
    key = (batch_id, serial, buffer.writes)
    written = recent.get(key)
    if written is None:
        read_in = process_writes.generation()
        count, first = db.session.execute(
            select(func.count(), func.min(Scan.scanned_at)).where(
                Scan.batch_id == batch_id, _serial_is(serial)
            )
        ).one()
        written = ScanSummary(int(count or 0), first)
        recent.put(key, written, read_in)
    held, held_first = buffer.pending(batch_id, serial)
    firsts = [t for t in (written.first, held_first) if t is not None]
    return ScanSummary(written.count + held, min(firsts) if firsts else None)


# --------------------------------------------------------------------------- flags


@dataclass(frozen=True, slots=True)
class SerialFlag:
    serial: str
    scans: int
    clients: int
    first: datetime
    last: datetime


@dataclass(frozen=True)
class BatchScans:
    """A lot's scans and flags, for its own organisation (``batch_scans``)."""

    scans: int = 0
    clients: int = 0
    first: datetime | None = None
    last: datetime | None = None
    serial_max: int = 0
    distinct_clients_max: int = 0
    serials: list[SerialFlag] = field(default_factory=list)  # most scanned first
    serials_flagged: int = 0  # all of them, beyond those listed
    expiry_flag_from: date | None = None  # scans from this day on are flagged
    after_expiry: int = 0
    recalled_lots: list[str] = field(default_factory=list)  # the lot or its ancestors
    recalled_since: datetime | None = None
    after_recall: int = 0
    reports: int = 0
    new_reports: int = 0

    @property
    def flagged(self) -> bool:
        return bool(self.serials_flagged or self.after_expiry or self.after_recall)


def may_see_scans(actor: Actor, batch: Batch) -> bool:
    """Scans, flags and reports of a lot are its organisation's (and platform admins')."""
    return can_write(actor, batch.organisation_id)


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, day_time(0), tzinfo=VIETNAM)


def _recalls(batch_id: int) -> tuple[list[str], datetime | None]:
    """The recalled lots among the lot and its ancestors, and the earliest live recall
    event on them (None when none is recorded)."""
    recall_event = and_(
        EpcisEvent.id == EventBatch.event_pk,
        EpcisEvent.disposition == "recalled",
        EpcisEvent.declares_error.is_(False),
        EpcisEvent.retracted_at.is_(None),
    )
    rows = db.session.execute(
        select(Batch.lot_code, func.min(EpcisEvent.event_time))
        .outerjoin(EventBatch, EventBatch.batch_id == Batch.id)
        .outerjoin(EpcisEvent, recall_event)
        .where(Batch.id.in_(lineage.ancestry_ids(batch_id)),
               Batch.status == BatchStatus.RECALLED)
        .group_by(Batch.id, Batch.lot_code)
        .order_by(Batch.id != batch_id, Batch.lot_code)
    ).all()
    times = [t for _code, t in rows if t is not None]
    return [code for code, _t in rows], min(times) if times else None


def _count_from(moment: datetime | None) -> Any:
    """Scans from ``moment`` on (every scan when None), as an aggregate column."""
    return func.count() if moment is None else func.count(case((Scan.scanned_at >= moment, 1)))


def batch_scans(actor: Actor, batch: Batch) -> BatchScans | None:
    """The lot's scans and flags (module docstring), or None when they are not the actor's
    to see (``may_see_scans``)."""
    if not may_see_scans(actor, batch):
        return None
    config: Mapping[str, Any] = current_app.config
    serial_max = int(config["SCAN_FLAG_SERIAL_MAX"])
    clients_max = int(config["SCAN_FLAG_DISTINCT_CLIENTS"])
    expiry_from = None
    if batch.expiry is not None:
        expiry_from = batch.expiry + timedelta(days=int(config["SCAN_FLAG_AFTER_EXPIRY_DAYS"]) + 1)
    recalled_lots, recalled_since = _recalls(batch.id)
    totals = db.session.execute(
        select(
            func.count(),
            func.count(func.distinct(Scan.fingerprint)),
            func.min(Scan.scanned_at),
            func.max(Scan.scanned_at),
            _count_from(_start_of_day(expiry_from)) if expiry_from else literal(0),
            _count_from(recalled_since) if recalled_lots else literal(0),
        ).where(Scan.batch_id == batch.id)
    ).one()
    serials, flagged = _flagged_serials(batch.id, serial_max, clients_max)
    reports, new_reports = db.session.execute(
        select(
            func.count(),
            func.count(case((ScanReport.status == ReportStatus.NEW, 1))),
        ).where(ScanReport.batch_id == batch.id)
    ).one()
    return BatchScans(
        scans=int(totals[0]),
        clients=int(totals[1]),
        first=totals[2],
        last=totals[3],
        serial_max=serial_max,
        distinct_clients_max=clients_max,
        serials=serials,
        serials_flagged=flagged,
        expiry_flag_from=expiry_from,
        after_expiry=int(totals[4] or 0),
        recalled_lots=recalled_lots,
        recalled_since=recalled_since,
        after_recall=int(totals[5] or 0),
        reports=int(reports),
        new_reports=int(new_reports),
    )


def _flagged_serials(
    batch_id: int, serial_max: int, clients_max: int
) -> tuple[list[SerialFlag], int]:
    """The lot's serials over either limit, most scanned first (at most
    ``FLAGGED_SERIALS_SHOWN``), and how many there are in all: one grouped statement."""
    scans = func.count()
    clients = func.count(func.distinct(Scan.fingerprint))
    rows: Sequence[Any] = db.session.execute(
        select(
            Scan.serial, scans, clients, func.min(Scan.scanned_at), func.max(Scan.scanned_at),
            func.count().over(),
        )
        .where(Scan.batch_id == batch_id, Scan.serial.is_not(None))
        .group_by(Scan.serial)
        .having((scans > serial_max) | (clients > clients_max))
        .order_by(scans.desc(), Scan.serial)
        .limit(FLAGGED_SERIALS_SHOWN)
    ).all()
    flags = [SerialFlag(r[0], int(r[1]), int(r[2]), r[3], r[4]) for r in rows]
    return flags, int(rows[0][5]) if rows else 0
