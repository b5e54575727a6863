"""What the indicator's tables kept at write time (``tallies``, ``sides``) share in their
upkeep: reading what a flush changed, and locking the rows whose tallies it works out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import attributes


def values(obj: Any, name: str) -> set[Any]:
    """The attribute's value now and, when this flush changed it, before (not None)."""
    history = attributes.get_history(obj, name)
    return {v for v in (*history.added, *history.unchanged, *history.deleted)
            if v is not None} or {getattr(obj, name, None)} - {None}


def lock(conn: Connection, model: Any, ids: set[int]) -> None:
    """Lock ``model``'s rows of ``ids`` (``FOR NO KEY UPDATE``, which still lets others
    insert rows referring to them) in id order, so that two transactions never wait for
    each other's locks. SQLite lets one transaction write at a time anyway."""
    conn.execute(select(model.id).where(model.id.in_(ids)).order_by(model.id)
                 .with_for_update(key_share=True))
