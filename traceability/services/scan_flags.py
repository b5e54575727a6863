"""Scan flags of all of an organisation's lots at once, for figures such as a supplier's
scorecard: the rules of ``traceability.services.scans.batch_scans`` (one lot, for its own
organisation's page) as set-based statements, never a loop over lots or scans.

A lot is flagged, as there, when:
- one of its serial numbers was scanned more than ``SCAN_FLAG_SERIAL_MAX`` times, or by more
  than ``SCAN_FLAG_DISTINCT_CLIENTS`` distinct clients (a copied label);
- it was scanned more than ``SCAN_FLAG_AFTER_EXPIRY_DAYS`` days after its expiry (Vietnam's
  calendar day of the scan against the printed expiry date);
- it is recalled and was scanned since its first live recall event (every scan, when no
  recall event is recorded).
One difference, to stay set-based: a lot made from a recalled lot of another is flagged by
its own recall only, where the lot page also walks its ancestors.

The organisation-wide functions check no permission: callers show counts, never the scans.
``flagged_lots`` and ``flags_of`` are the organisation's own list (its "lots with warning
signs" page): they answer for the organisation the actor acts for, and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union,
    union_all,
)

from core.actor import Actor
from core.db import db
from traceability.models.batches import Batch, BatchStatus
from traceability.models.events import EpcisEvent, EventBatch
from traceability.models.products import Product
from traceability.models.scans import Scan

__all__ = [
    "FLAG_KINDS",
    "FlaggedLot",
    "ScanFlagCounts",
    "describe",
    "flagged_lot_ids",
    "flagged_lots",
    "flags_of",
    "scan_flag_counts",
]

FLAG_KINDS = ("copied_serials", "after_expiry", "after_recall")

_VIETNAM_ZONE = "Asia/Ho_Chi_Minh"  # UTC+7, no daylight saving time (core.clock.VIETNAM)


@dataclass(frozen=True, slots=True)
class ScanFlagCounts:
    """Lots of an organisation with each kind of flag, and with any (``lots``)."""

    lots: int = 0
    copied_serials: int = 0
    after_expiry: int = 0
    after_recall: int = 0


def _days_after_expiry(days: int) -> Any:
    """SQL: the scan's calendar day in Vietnam lies more than ``days`` after the lot's
    expiry. Date arithmetic has no portable spelling, so one per dialect."""
    if db.engine.dialect.name == "postgresql":
        local_day = cast(func.timezone(_VIETNAM_ZONE, Scan.scanned_at), Date)
        return local_day - days > Batch.expiry
    # SQLite keeps UTC text ("YYYY-MM-DD HH:MM:SS"); date() shifts it and drops the time.
    return func.date(Scan.scanned_at, "+7 hours", f"-{int(days)} days") > Batch.expiry


def _of(organisation_id: int | None) -> ColumnElement[bool]:
    """SQL: the scanned lot is the organisation's (any organisation's for None)."""
    return true() if organisation_id is None else Batch.organisation_id == organisation_id


def _copied_serials(organisation_id: int | None) -> Select[Any]:
    config = current_app.config
    scans = func.count()
    clients = func.count(func.distinct(Scan.fingerprint))
    return (
        select(Scan.batch_id.label("batch_id"))
        .join(Batch, Batch.id == Scan.batch_id)
        .where(_of(organisation_id), Scan.serial.is_not(None))
        .group_by(Scan.batch_id, Scan.serial)
        .having(
            or_(
                scans > int(config["SCAN_FLAG_SERIAL_MAX"]),
                clients > int(config["SCAN_FLAG_DISTINCT_CLIENTS"]),
            )
        )
    )


def _after_expiry(organisation_id: int | None) -> Select[Any]:
    days = int(current_app.config["SCAN_FLAG_AFTER_EXPIRY_DAYS"])
    return (
        select(Scan.batch_id.label("batch_id"))
        .join(Batch, Batch.id == Scan.batch_id)
        .where(
            _of(organisation_id),
            Batch.expiry.is_not(None),
            _days_after_expiry(days),
        )
    )


def _after_recall(organisation_id: int | None) -> Select[Any]:
    recalled_since = (
        select(EventBatch.batch_id, func.min(EpcisEvent.event_time).label("since"))
        .join(EpcisEvent, EpcisEvent.id == EventBatch.event_pk)
        .where(
            EpcisEvent.disposition == "recalled",
            EpcisEvent.declares_error.is_(False),
            EpcisEvent.retracted_at.is_(None),
        )
        .group_by(EventBatch.batch_id)
        .subquery()
    )
    return (
        select(Scan.batch_id.label("batch_id"))
        .join(Batch, Batch.id == Scan.batch_id)
        .outerjoin(recalled_since, recalled_since.c.batch_id == Batch.id)
        .where(
            _of(organisation_id),
            Batch.status == BatchStatus.RECALLED,
            or_(recalled_since.c.since.is_(None), Scan.scanned_at >= recalled_since.c.since),
        )
    )


def flagged_lot_ids(organisation_id: int | None) -> Select[Any]:
    """A select of the distinct ids of the organisation's flagged lots (for a caller to
    count or paginate); of every organisation's for None (a list over several, which the
    caller scopes)."""
    flagged = union(
        _copied_serials(organisation_id),
        _after_expiry(organisation_id),
        _after_recall(organisation_id),
    ).subquery()
    return select(flagged.c.batch_id).distinct()


def scan_flag_counts(organisation_id: int) -> ScanFlagCounts:
    """How many of the organisation's lots carry each flag: one statement of four counts
    over the three flag sets."""
    parts = {
        "copied_serials": _copied_serials(organisation_id).subquery(),
        "after_expiry": _after_expiry(organisation_id).subquery(),
        "after_recall": _after_recall(organisation_id).subquery(),
    }
    any_flag = flagged_lot_ids(organisation_id).subquery()
    counts = [
        select(func.count(func.distinct(sub.c.batch_id))).scalar_subquery()
        for sub in parts.values()
    ]
    row = db.session.execute(
        select(select(func.count()).select_from(any_flag).scalar_subquery(), *counts)
    ).one()
    return ScanFlagCounts(*(int(v or 0) for v in row))


@dataclass(frozen=True, slots=True)
class FlaggedLot:
    """A lot of ``flagged_lots`` as its page shows it."""

    batch: Batch
    product: str
    signs: frozenset[str]  # of FLAG_KINDS


def flagged_lots(actor: Actor) -> Select[Any]:
    """The flagged lots of the organisation the actor acts for (none when it acts for
    none), the most recently made first: a select of ``Batch`` to paginate."""
    organisation_id = actor.organisation_id
    if not actor.is_authenticated or organisation_id is None:
        return select(Batch).where(false())
    return (
        select(Batch)
        .where(Batch.id.in_(flagged_lot_ids(organisation_id)))
        .order_by(Batch.created_at.desc(), Batch.id.desc())
    )


def describe(actor: Actor, batches: Sequence[Batch]) -> list[FlaggedLot]:
    """A page of ``flagged_lots`` with each lot's product and signs: two statements."""
    ids = [b.id for b in batches]
    names = dict(
        db.session.execute(
            select(Batch.id, Product.name)
            .join(Product, Product.id == Batch.product_id)
            .where(Batch.id.in_(ids))
        ).all()
    ) if ids else {}
    signs = flags_of(actor, ids)
    return [FlaggedLot(b, names.get(b.id, ""), frozenset(signs.get(b.id, ()))) for b in batches]


def flags_of(actor: Actor, batch_ids: Sequence[int]) -> dict[int, set[str]]:
    """Which flags (``FLAG_KINDS``) each of ``batch_ids`` carries: one statement; lots of
    organisations other than the one the actor acts for carry none here."""
    organisation_id = actor.organisation_id
    if not batch_ids or not actor.is_authenticated or organisation_id is None:
        return {}
    parts = (_copied_serials, _after_expiry, _after_recall)
    statement = union_all(*(
        part(organisation_id)
        .where(Scan.batch_id.in_(batch_ids))
        .add_columns(literal(kind).label("kind"))
        for kind, part in zip(FLAG_KINDS, parts, strict=True)
    ))
    found: dict[int, set[str]] = {}
    for batch_id, kind in db.session.execute(statement):
        found.setdefault(batch_id, set()).add(kind)
    return found
