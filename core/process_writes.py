"""A count of the writes this process has made through SQLAlchemy sessions.

Hot read paths (the consumer's scan) keep what they read for a second or two instead of
asking the database on every request. Another worker's write reaches them when that short
time is up; this process's own writes must reach them at once, or a cooperative that
records a recall would still see the page without its banner. ``generation()`` changes on
every such write, so a cached read made under an older generation is stale.

What counts as a write: a session flush that wrote something, and any statement other than
a SELECT executed through a session (capture inserts events with Core ``insert()``, which no
flush sees). Every write of the app goes through ``db.session`` (or a session of its
factory), never through a bare engine connection. A commit alone does not count: a request
that only read commits nothing a page shows.

A session marked neutral (``session.info[NEUTRAL]``) does not count: the scan buffer's own
inserts change no page, and counting them would make every cache entry stale after each
write of the buffer.

The count is per process and needs no lock: ``itertools.count`` is atomic under the GIL,
and a reader only compares for equality.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

__all__ = ["NEUTRAL", "generation"]

NEUTRAL = "htx_cache_neutral"

_counter = itertools.count(1)
_current = 0


def generation() -> int:
    """The current generation: equal values mean this process wrote nothing in between."""
    return _current


def _bump(session: Session) -> None:
    global _current
    if not session.info.get(NEUTRAL):
        _current = next(_counter)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    _bump(session)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if not state.is_select:
        _bump(state.session)
