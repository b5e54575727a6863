"""Whether a request wrote to the database, row for row, and how to know it cheaply.

``fingerprint`` reads every row of every data table as text: equal fingerprints before and
after a request mean it changed nothing (but bookkeeping). Taking two around each of the
cross-organisation suite's 1,300 requests was a third of its CPU time, though most requests
run no statement that could write. ``WriteWatch`` takes them only when they can differ:

- it counts the statements that may write, run on any engine of the process (every SQL
  statement the app sends goes through a SQLAlchemy engine); when none ran between two
  points, every row is as it was, and no fingerprint is needed to say so;
- when none ran since the test began, the database holds the world committed for the
  module (tests/app/committed_world.py) row for row, whose fingerprint is taken once.

Whenever a statement that may write did run, both fingerprints are compared exactly as
before, so a request that changes anything is still caught.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Dialect,
    LargeBinary,
    Select,
    String,
    Table,
    cast,
    event,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import Engine

from core.db import db

T = TypeVar("T")
Fingerprint = dict[str, list[str]]

# Reference data, loaded once per session by tests/conftest.py and never written by the
# app's requests: left out of the fingerprint.
REFERENCE_TABLES = frozenset(
    {"provinces", "communes", "legacy_provinces", "region_schemes", "regions", "region_memberships"}
)
# Bookkeeping a read may legitimately write: when a token was last used (its ``updated_at``
# follows) and when a user last signed in.
BOOKKEEPING_COLUMNS = frozenset(
    {
        ("api_tokens", "last_used_at"),
        ("api_tokens", "updated_at"),
        ("users", "last_login_at"),
        ("users", "updated_at"),
    }
)


# --- fingerprints ------------------------------------------------------------------------


@cache
def data_tables() -> tuple[Table, ...]:
    """Every table but the reference data, parents first (sorted once: sorting walks every
    foreign key, and was a fifth of each fingerprint's cost)."""
    return tuple(t for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES)


def _as_text(column: Any, dialect: Dialect) -> ColumnElement[str]:
    """The column's value as text; bytes (a photo, a scan) as hex, which any text holds."""
    if isinstance(column.type, LargeBinary):
        if dialect.name == "postgresql":
            return func.encode(column, "hex")
        return func.hex(column)
    return cast(column, String)


def _rows_as_text(table: Table, dialect: Dialect) -> Select[tuple[str, str]]:
    """``(table name, the row as one string)`` for every row of ``table``."""
    columns = [c for c in table.columns if (table.name, c.name) not in BOOKKEEPING_COLUMNS]
    row: ColumnElement[str] = literal("", String)
    for column in columns:
        # NULL is not '' (a cleared field is a change); the separator keeps columns apart.
        # Control characters no value holds (PostgreSQL text refuses NUL).
        row = row + "\x1f" + func.coalesce(_as_text(column, dialect), "\x1e")
    return select(literal(table.name, String).label("t"), row.label("row"))


@cache
def _fingerprint_sql(dialect: Dialect) -> str:
    """One UNION ALL over every data table, compiled once with its literals inline: as a
    statement object, each execution walked all of it for the cache key and bound its
    hundreds of literals again, which cost more than running it."""
    statement = union_all(*(_rows_as_text(t, dialect) for t in data_tables()))
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def fingerprint() -> Fingerprint:
    """Every row of every data table (bookkeeping columns left out), as sorted text:
    equal fingerprints before and after a request mean the request wrote nothing. One
    statement, not one query per table: round trips are what cost on PostgreSQL."""
    found: Fingerprint = {t.name: [] for t in data_tables()}
    sql = _fingerprint_sql(db.session.get_bind().dialect)
    for name, row in db.session.execute(text(sql)):
        found[name].append(row)
    return {name: sorted(rows) for name, rows in found.items()}


def changed_tables(before: Fingerprint, after: Fingerprint) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))


# --- the watch ----------------------------------------------------------------------------

# Statements that cannot change a row: reads and savepoints (a rollback only undoes). A
# ``WITH`` may hold a data-modifying CTE on PostgreSQL: a read only if it names no write.
# Anything else (INSERT, UPDATE, DELETE, DDL, COMMIT, what SQLAlchemy may add later) counts
# as a write: the safe side, which costs a fingerprint, never a missed change.
_READS = re.compile(r"\s*(?:SELECT|SAVEPOINT|RELEASE|ROLLBACK|BEGIN)\b", re.I)
_WITH = re.compile(r"\s*WITH\b", re.I)
_WRITE_WORD = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b", re.I)


def may_write(statement: str) -> bool:
    if _READS.match(statement):
        return False
    if _WITH.match(statement):
        return _WRITE_WORD.search(statement) is not None
    return True


@dataclass(frozen=True)
class Mark:
    """The database at one point of a test: how many statements that may write had run,
    and its fingerprint then."""

    writes: int
    fingerprint: Fingerprint


class WriteWatch:
    """Counts the statements that may write while ``listening``; knows the fingerprint of
    the committed world (``baseline``), which each test starts from."""

    def __init__(self, baseline: Fingerprint) -> None:
        self.baseline = baseline
        self.writes = 0
        self._test_began_at = 0
        self._answers: dict[Hashable, Any] = {}

    @contextmanager
    def listening(self) -> Iterator[WriteWatch]:
        # On the Engine class, not db.engine: a write through any other engine counts too.
        event.listen(Engine, "before_cursor_execute", self._seen)
        try:
            yield self
        finally:
            event.remove(Engine, "before_cursor_execute", self._seen)

    def _seen(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        if may_write(statement):
            self.writes += 1

    def test_begins(self) -> None:
        """A test begins: the previous one's transaction is rolled back, this one's not yet
        begun, so the database holds the committed world."""
        self._test_began_at = self.writes

    @property
    def untouched(self) -> bool:
        """Nothing that may write ran in this test: the database is the committed world."""
        return self.writes == self._test_began_at

    def mark(self) -> Mark:
        """Take this before a request, ``changed_since`` after it."""
        return Mark(self.writes, self.baseline if self.untouched else fingerprint())

    def changed_since(self, mark: Mark) -> list[str]:
        """The tables whose rows differ from ``mark``'s (bookkeeping columns aside)."""
        if self.writes == mark.writes:
            return []  # no statement that may write ran: every row is as it was
        return changed_tables(mark.fingerprint, fingerprint())

    def on_the_world(self, key: Hashable, answer: Callable[[], T]) -> T:
        """``answer()``, which must depend on nothing but the database and ``key``; while
        the database is the committed world it is the same in every test, so it is worked
        out in the first test that asks and remembered."""
        if not self.untouched:
            return answer()
        if key not in self._answers:
            self._answers[key] = answer()
        found: T = self._answers[key]
        return found
