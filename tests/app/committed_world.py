"""A world built once per test module, committed for real, and deleted again afterwards.

Some modules read one world of many rows that takes a second or more to build (the
cross-organisation suite's, the indicator's hand-built country); building it again for
each of their tests cost more than the tests themselves. ``committed_world`` builds it once,
on the app's own session (the module-scoped fixture runs before the per-test transaction of
tests/conftest.py exists), and commits it. Every test still runs in that rolled-back
transaction on top of it, so whatever a test writes is gone for the next one and the world
is found intact. On leaving, the rows added since it began are deleted, children first, so
that the next module finds the database it expects.

A module with such a fixture runs on one pytest-xdist worker (tests/xdist_groups.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import Table, and_, delete, select
from sqlalchemy.engine import Connection

from core.db import db

T = TypeVar("T")
PrimaryKeys = dict[str, set[tuple[Any, ...]]]


@cache
def all_tables() -> tuple[Table, ...]:
    """Every table, parents first (sorting them walks every foreign key: done once)."""
    return tuple(db.metadata.sorted_tables)


def primary_keys(connection: Connection) -> PrimaryKeys:
    """The primary key of every row of every table, by table name."""
    return {
        t.name: {tuple(r) for r in connection.execute(select(*t.primary_key.columns)).all()}
        for t in all_tables()
    }


def remove_rows_added(connection: Connection, before: PrimaryKeys) -> None:
    """Delete the rows that were not there ``before``, children first."""
    for table in reversed(all_tables()):
        pk = list(table.primary_key.columns)
        for row in connection.execute(select(*pk)).all():
            if tuple(row) not in before[table.name]:
                connection.execute(
                    delete(table).where(
                        and_(*(col == value for col, value in zip(pk, row, strict=True)))
                    )
                )


@contextmanager
def committed_world(app: Flask, build: Callable[[], T]) -> Iterator[T]:
    """What ``build()`` returns, its rows committed; they are deleted again on leaving (and
    when ``build`` fails half-way). ``build`` runs in an app context of ``app``; it should
    return plain values or objects it no longer reads: the session that loaded them is
    closed before the tests begin."""
    with app.app_context():
        with db.engine.connect() as connection:
            before = primary_keys(connection)
        try:
            built = build()
            db.session.commit()
        except BaseException:
            db.session.remove()
            with db.engine.begin() as connection:
                remove_rows_added(connection, before)
            raise
        db.session.remove()
    try:
        yield built
    finally:
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as connection:
                remove_rows_added(connection, before)
