"""Serialised units: ranges of serial numbers (GS1 AI 21) issued under one lot, each one
recorded (``BatchSerial``) so that the resolver knows it and label sheets can print it.

Guarantees:
- only the lot's organisation (its staff and admins) and platform admins record serials:
  404 to those who may not read the lot, 403 to those who may (an authority, a buyer);
  never on a withdrawn (void) lot (409);
- a range is ``{prefix}{n}`` for ``n`` from ``first`` to ``first + count - 1``, the number
  zero-padded to ``width`` digits: every serial is a valid AI 21 value (1-20 characters of
  CSET 82); the prefix takes letters A-Z a-z without accents, digits, ``-``, ``.`` and
  ``_`` only, so the printed URI stays readable (no percent-escapes);
- at most ``MAX_SERIALS_PER_RANGE`` serials per call; a range that shares any serial with
  those recorded under the lot is refused whole (409, naming the first ones), and two
  concurrent overlapping ranges cannot both be written (the unique (batch, serial) index);
- serials are listed in the order they were recorded (paginated).

Nothing here commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Select, func, insert, select
from sqlalchemy.exc import IntegrityError

from core.actor import Actor
from core.db import chunks, db
from core.errors import Conflict, ValidationFailed
from core.formatting import quantity_text
from core.i18n import _l
from traceability.models.serials import BatchSerial
from traceability.services.labels import labelled_batch, labelling_batch

MAX_SERIALS_PER_RANGE = 10_000
MAX_SERIAL_LENGTH = 20  # AI 21
DEFAULT_WIDTH = 6
MAX_FIRST = 10**19 - 1  # a 20-character serial's number, at most
_PREFIX = re.compile(r"[A-Za-z0-9._-]*\Z")


@dataclass(frozen=True, slots=True)
class SerialRange:
    """A range as asked for, checked: the serials it makes, in order."""

    prefix: str
    first: int
    count: int
    width: int

    def serial(self, number: int) -> str:
        return f"{self.prefix}{number:0{self.width}d}"

    def serials(self) -> list[str]:
        return [self.serial(n) for n in range(self.first, self.first + self.count)]


def check_range(
    *, first: int, count: int, prefix: str = "", width: int = DEFAULT_WIDTH
) -> SerialRange:
    """The range, or ``ValidationFailed`` naming every field that is wrong."""
    problems: dict[str, list[object]] = {}
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        problems["prefix"] = [_l(
            "Use only letters A-Z a-z without accents, digits, '-', '.' and '_' (no spaces)."
        )]
    if not isinstance(first, int) or not 0 <= first <= MAX_FIRST:
        problems["first"] = [_l("Enter a whole number from 0.")]
    if not isinstance(count, int) or not 1 <= count <= MAX_SERIALS_PER_RANGE:
        problems["count"] = [_l("Enter a number from 1 to %(max)s.",
                                max=quantity_text(MAX_SERIALS_PER_RANGE))]
    if not isinstance(width, int) or not 1 <= width <= MAX_SERIAL_LENGTH:
        problems["width"] = [_l("Enter a number of digits from 1 to 20.")]
    if not problems:
        longest = SerialRange(prefix, first, count, width).serial(first + count - 1)
        if len(longest) > MAX_SERIAL_LENGTH:
            problems["prefix" if prefix else "width"] = [_l(
                "A serial number has at most 20 characters; %(serial)s has %(length)d.",
                serial=longest, length=len(longest),
            )]
    if problems:
        raise ValidationFailed(field_errors=problems)  # type: ignore[arg-type]
    return SerialRange(prefix, first, count, width)


def _taken(batch_id: int, serials: list[str]) -> list[str]:
    """Those of ``serials`` already recorded under the lot, in the range's order."""
    taken: set[str] = set()
    for part in chunks(serials):
        taken.update(db.session.scalars(
            select(BatchSerial.serial).where(
                BatchSerial.batch_id == batch_id, BatchSerial.serial.in_(part)
            )
        ))
    return [s for s in serials if s in taken]


def _overlap(taken: list[str]) -> Conflict:
    shown = ", ".join(taken[:3]) + (" …" if len(taken) > 3 else "")
    message = _l(
        "Some of these serial numbers are already recorded for this lot (%(serials)s): "
        "choose a range that does not repeat them.",
        serials=shown,
    )
    return Conflict(message, field_errors={"first": [message]})


def record_serial_range(
    actor: Actor,
    batch_id: int,
    *,
    first: int,
    count: int,
    prefix: str = "",
    width: int = DEFAULT_WIDTH,
) -> list[BatchSerial]:
    """Record the serials ``{prefix}{first…first+count-1 zero-padded to width}`` under the
    lot (flushed, in order); see the module docstring for who may and what is refused."""
    batch = labelling_batch(actor, batch_id)
    wanted = check_range(first=first, count=count, prefix=prefix, width=width)
    serials = wanted.serials()
    taken = _taken(batch.id, serials)
    if taken:
        raise _overlap(taken)
    rows = [
        {"batch_id": batch.id, "serial": serial, "created_by_id": actor.user_id or None}
        for serial in serials
    ]
    try:
        with db.session.begin_nested():
            recorded = list(db.session.scalars(
                insert(BatchSerial).returning(BatchSerial, sort_by_parameter_order=True),
                rows,
            ))
    except IntegrityError as error:  # another request recorded some of them meanwhile
        raise _overlap(_taken(batch.id, serials) or serials[:1]) from error
    return recorded


def list_serials(actor: Actor, batch_id: int) -> Select[tuple[BatchSerial]]:
    """The lot's serials in the order they were recorded, for ``db.paginate`` (the lot's
    organisation and platform admins; anyone else 404)."""
    batch = labelled_batch(actor, batch_id)
    return (
        select(BatchSerial)
        .where(BatchSerial.batch_id == batch.id)
        .order_by(BatchSerial.id)
    )


def serial_count(batch_id: int) -> int:
    """How many serials are recorded under the lot (callers have checked access)."""
    return int(db.session.scalar(
        select(func.count()).select_from(BatchSerial).where(BatchSerial.batch_id == batch_id)
    ) or 0)


__all__ = [
    "DEFAULT_WIDTH",
    "MAX_FIRST",
    "MAX_SERIALS_PER_RANGE",
    "MAX_SERIAL_LENGTH",
    "SerialRange",
    "check_range",
    "list_serials",
    "record_serial_range",
    "serial_count",
]
