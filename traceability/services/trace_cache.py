"""What the consumer trace page's cache keys on: a version stamp of what the page shows, read
from the database, and a small bounded in-process store for whatever is cached under it.

The page of a lot shows the lot and its ancestors: their events, statuses, expiry and
shipments (``traceability.services.trace_page``). ``page_version`` reads one stamp of all of
that in ONE statement (the ancestry walk of ``lineage`` and index-only maxima over it):

- the newest event attached to any lot of the ancestry (``event_batches`` is indexed by
  (batch_id, event_pk), so its max is an index probe per lot): a captured event, whatever
  path captured it (``capture.store_events`` is the one), and an error declaration (stored
  as an event of its own on the same lots) changes it;
- the latest ``updated_at`` of those lots (a recall, a withdrawal, an edited expiry) and of
  their shipments (the receiver's confirmation);
- the newest lab result on any lot of the ancestry, and the latest withdrawal of one
  (results are only added or withdrawn: their ``lab_results`` index starts with the lot);
- how many lots the ancestry holds (a withdrawn transformation leaves the genealogy).

Plus, free from the resolution already loaded: what the identifier resolved to (a lot
registered or a serial recorded later is another key) and the ``updated_at`` of the
product and producer it names. Because the stamp is read from the database on every
request, a page cached by one worker is never served after another worker captured an event:
no signal between processes is needed. What the stamp does not follow (another
organisation's name on the journey, a certification added later) is bounded by the time
bucket in the key (``TRACE_PAGE_CACHE_SECONDS``).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from core import process_writes
from core.app_state import per_app
from core.db import db
from traceability.models.batches import Batch, Shipment
from traceability.models.events import EpcisEvent, EventBatch
from traceability.models.lab_results import LabResult
from traceability.services import lineage
from traceability.services.resolution import Resolution

__all__ = ["LruCache", "PageVersion", "RecentCache", "page_version", "recent_cache"]

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class PageVersion:
    """``key``: equal keys mean the page shows the same facts. ``last_modified``: the latest
    change the stamp saw (None when it saw none)."""

    key: tuple[Hashable, ...]
    last_modified: datetime | None

    def etag(self, *parts: Hashable) -> str:
        """An entity tag of this version and ``parts`` (path, language…): 32 hex digits."""
        text = repr((self.key, parts)).encode()
        return hashlib.sha256(text).hexdigest()[:32]


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def page_version(resolution: Resolution) -> PageVersion:
    """The version of the trace page of ``resolution`` (see the module docstring): one
    statement for a lot, none for a product or a place."""
    named = [
        resolution.level,
        resolution.serial,
        resolution.unknown_serial,
        resolution.unregistered_lot,
    ]
    changed: list[datetime] = []
    for row in (resolution.product, resolution.organisation, resolution.area):
        named.append(None if row is None else (row.id, _stamp(row.updated_at)))
        if row is not None and row.updated_at is not None:
            changed.append(row.updated_at)
    if resolution.batch is not None:
        stamp = _lineage_stamp(resolution.batch.id)
        named += [resolution.batch.id, stamp.lots, stamp.last_event, _stamp(stamp.lot_time),
                  _stamp(stamp.shipment_time), stamp.last_lab_result,
                  _stamp(stamp.lab_withdrawal_time)]
        changed += [t for t in (stamp.event_time, stamp.lot_time, stamp.shipment_time,
                                stamp.lab_result_time, stamp.lab_withdrawal_time)
                    if t is not None]
    return PageVersion(tuple(named), max(changed) if changed else None)


@cache
def _lineage_stamp_statement() -> Select[Any]:
    """Built once (building the walk costs more than running it on a small lineage); the
    lot is the ``ancestry_of`` parameter."""
    ids = lineage.ancestry_ids(0)
    lots = ids.subquery("lots")
    newest_event = (
        select(func.max(EventBatch.event_pk)).where(EventBatch.batch_id.in_(ids))
    ).scalar_subquery()
    newest_lab_result = (
        select(func.max(LabResult.id)).where(LabResult.batch_id.in_(ids))
    ).scalar_subquery()
    return select(
        select(func.count(func.distinct(lots.c.id))).scalar_subquery(),
        newest_event,
        select(EpcisEvent.record_time).where(EpcisEvent.id == newest_event).scalar_subquery(),
        select(func.max(Batch.updated_at)).where(Batch.id.in_(ids)).scalar_subquery(),
        select(func.max(Shipment.updated_at)).where(Shipment.batch_id.in_(ids))
        .scalar_subquery(),
        newest_lab_result,
        select(LabResult.created_at).where(LabResult.id == newest_lab_result)
        .scalar_subquery(),
        select(func.max(LabResult.withdrawn_at)).where(LabResult.batch_id.in_(ids))
        .scalar_subquery(),
    )


@dataclass(frozen=True, slots=True)
class _LineageStamp:
    lots: int  # lots in the ancestry
    last_event: int | None  # the newest event pk on them …
    event_time: datetime | None  # … and its record time
    lot_time: datetime | None  # the latest change of a lot
    shipment_time: datetime | None  # the latest change of their shipments
    last_lab_result: int | None  # the newest lab result on them …
    lab_result_time: datetime | None  # … and when it was recorded
    lab_withdrawal_time: datetime | None  # the latest withdrawal of a lab result on them


def _lineage_stamp(batch_id: int) -> _LineageStamp:
    """What the page of ``batch_id`` shows changed, in one statement."""
    row = db.session.execute(_lineage_stamp_statement(), {"ancestry_of": batch_id}).one()
    return _LineageStamp(int(row[0] or 0), row[1], row[2], row[3], row[4], row[5], row[6],
                         row[7])


class LruCache(Generic[V]):
    """A bounded, thread-safe, least-recently-used map (per process: each worker has its
    own, which is correct as long as keys carry a version read from the database)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> tuple[V, bool]:
        """The value under ``key`` (made by ``make`` and kept when missing) and whether it
        was found. ``make`` runs outside the lock: two threads may both make a value."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key], True
        value = make()
        self.put(key, value)
        return value, False

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True, slots=True)
class _Recent(Generic[V]):
    value: V
    generation: int  # core.process_writes.generation() before the value was read
    deadline: float  # time.monotonic() after which the value is read again


class RecentCache(Generic[V]):
    """What the hot path read from the database a moment ago, served again without asking
    while it is younger than ``seconds`` and this process has written nothing since
    (``core.process_writes``); 0 seconds keeps nothing.

    This is what lets a scan skip the database: a write by this process is seen at once,
    a write by another worker after at most ``seconds`` (``TRACE_RECHECK_SECONDS``, a
    second or two: a recall's banner on the very next scan on the worker that recorded
    it, within a second or two on the others). Nothing needs signalling between
    processes; what is served is a copy of the database at most that old."""

    def __init__(self, max_entries: int, seconds: float) -> None:
        self.seconds = seconds
        self._entries: LruCache[_Recent[V]] = LruCache(max_entries)

    def get(self, key: Hashable) -> V | None:
        if self.seconds <= 0:
            return None
        entry = self._entries.get(key)
        if (
            entry is None
            or entry.generation != process_writes.generation()
            or entry.deadline < time.monotonic()
        ):
            return None
        return entry.value

    def put(self, key: Hashable, value: V, read_in: int) -> None:
        """Keep ``value``, read from the database while the generation was ``read_in``
        (taken before the read: a write of this process during the read makes it stale)."""
        if self.seconds > 0:
            self._entries.put(key, _Recent(value, read_in, time.monotonic() + self.seconds))

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def recent_cache(name: str) -> RecentCache[Any]:
    """The current app's ``RecentCache`` called ``name`` in this process (made on first
    use, sized by ``TRACE_PAGE_CACHE_SIZE``, kept ``TRACE_RECHECK_SECONDS``)."""
    return per_app(
        name,
        lambda app: RecentCache(
            int(app.config["TRACE_PAGE_CACHE_SIZE"]), float(app.config["TRACE_RECHECK_SECONDS"])
        ),
    )
