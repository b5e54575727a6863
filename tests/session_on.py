"""``db.session`` bound to one connection, inside a transaction already open there.

Flask-SQLAlchemy's session picks its engine itself, so a test's statements would otherwise
leave the transaction that the test (or its module) rolls back at the end. Under
``session_on`` every session is bound to the connection that ``connection()`` returns, and
joins the transaction open there with a SAVEPOINT: service code that commits only releases
that SAVEPOINT, and a rollback undoes only what came after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.engine import Connection

from core.db import db


class ConnectionBoundSession(FlaskSession):
    """A session whose every statement goes to ``connection()`` (called when the session
    first needs one: a connection may be opened lazily)."""

    def __init__(self, *args: Any, connection: Callable[[], Connection], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connection = connection

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):  # type: ignore[no-untyped-def]
        return self._connection()


@contextmanager
def session_on(connection: Callable[[], Connection]) -> Iterator[None]:
    """``db.session`` bound to ``connection()`` while inside; the session that was there
    (the app's own, or an outer test's) is back on leaving."""
    db.session.remove()
    previous = db.session
    db.session = db._make_scoped_session(
        {
            "class_": ConnectionBoundSession,
            "connection": connection,
            "join_transaction_mode": "create_savepoint",
        }
    )
    try:
        yield
    finally:
        db.session.remove()
        db.session = previous
