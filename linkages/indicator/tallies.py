"""The volume-weighted variant's tallies (``linkages.models.tallies``): one rule that
works them out from the lots and deliveries, kept at every flush that touches them.

What a tally holds is what the variant reads of the lots and deliveries when a figure is
asked as of today: every lot and delivery recorded so far, the lots that are not void, the
shippings not withdrawn, each as it stands now. ``harvest_rows`` and ``delivery_rows``
say it in SQL once; the full rebuild (a migration, a bulk load) and the upkeep of a few
cooperatives' years run the same statements.

Upkeep: after each flush, the (cooperative, year) keys of the lots, deliveries, shipments
and withdrawn events it wrote are worked out again, inside the same transaction, so a
tally never differs from its rule as seen by the transaction that reads it. Writes that
bypass the ORM (a Core ``UPDATE`` of lots, a bulk load) must call ``rebuild``.

Two transactions writing for one cooperative at once would each work its tallies out
without the other's uncommitted rows, and the later commit would win (or, on PostgreSQL,
trip on the rows the other inserted). So the upkeep first locks the cooperatives' rows
(``FOR NO KEY UPDATE``, which still lets others insert rows referring to them): the
second waits for the first to commit, then works the tallies out with its rows. SQLite
lets one transaction write at a time anyway.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    case,
    cast,
    delete,
    event,
    exists,
    extract,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, attributes
from sqlalchemy.sql import ColumnElement, Select

from core.clock import local_today
from core.db import db
from linkages.indicator.period import STAT_YEAR_START, current_statistical_year
from linkages.indicator.query import IndicatorQuery
from linkages.models.deliveries import LinkageDelivery
from linkages.models.organisations import Organisation
from linkages.models.tallies import LinkageDeliveryTally, LinkageHarvestTally
from traceability.models import Batch, BatchStatus, EpcisEvent, Shipment
from traceability.models.batches import HARVEST_DAY

STATISTICAL, CALENDAR = "statistical_year", "calendar_year"
KINDS = (STATISTICAL, CALENDAR)

Key = tuple[int, str, int]  # (organisation, period kind, year)


def year_of(kind: str, day: Any) -> ColumnElement[int]:
    """SQL: the year of ``kind`` that the day ``day`` falls in."""
    year = cast(extract("year", day), Integer)
    if kind == CALENDAR:
        return year
    month, first = STAT_YEAR_START
    late = and_(extract("month", day) == month, extract("day", day) >= first)
    return year + case((late, 1), else_=0)


def python_year_of(kind: str, day: date) -> int:
    """``year_of`` in Python (the upkeep names its keys with it)."""
    return day.year if kind == CALENDAR else current_statistical_year(day)


def _of_keys(org: Any, year: ColumnElement[int], kind: str,
             keys: set[Key] | None) -> list[ColumnElement[bool]]:
    if keys is None:
        return []
    wanted = [(o, y) for o, k, y in keys if k == kind]
    if not wanted:
        return [literal(False)]
    return [org.in_({o for o, _ in wanted}), tuple_(org, year).in_(wanted)]


def _withdrawn(d: Any) -> ColumnElement[bool]:
    """The delivery's shipping was withdrawn: its ship event retracted."""
    return exists(
        select(Shipment.id)
        .join(EpcisEvent, EpcisEvent.id == Shipment.ship_event_pk)
        .where(Shipment.id == d.shipment_id, EpcisEvent.retracted_at.is_not(None))
    )


def harvest_rows(keys: set[Key] | None = None) -> Select[Any]:
    """``organisation_id, period_kind, year, lots, harvested_kg`` (of ``keys`` only when
    given): the lots not void, by the year their harvest day falls in."""
    parts = []
    for kind in KINDS:
        year = year_of(kind, HARVEST_DAY)
        parts.append(
            select(Batch.organisation_id, literal(kind).label("period_kind"),
                   year.label("year"), func.count().label("lots"),
                   func.sum(Batch.quantity_kg).label("harvested_kg"))
            .where(Batch.status != BatchStatus.VOID, HARVEST_DAY.is_not(None),
                   *_of_keys(Batch.organisation_id, year, kind, keys))
            .group_by(Batch.organisation_id, year)
        )
    return union_all(*parts)  # type: ignore[return-value]


def delivery_rows(keys: set[Key] | None = None) -> Select[Any]:
    """``organisation_id, period_kind, year, contract_id, shipped_kg, last_shipped_on``
    (of ``keys`` only when given): each supplier's deliveries from its own lots not void,
    their shipping not withdrawn, by the year of the lot's harvest and the contract; the
    kilograms shipped by the end of that year."""
    d = LinkageDelivery
    parts = []
    for kind in KINDS:
        year = year_of(kind, HARVEST_DAY)
        in_year = year_of(kind, d.shipped_on) <= year
        parts.append(
            select(d.supplier_id, literal(kind).label("period_kind"), year.label("year"),
                   d.contract_id,
                   func.sum(case((in_year, d.shipped_kg), else_=0)).label("shipped_kg"),
                   func.max(d.shipped_on).label("last_shipped_on"))
            .join(Batch, and_(Batch.id == d.batch_id,
                              Batch.organisation_id == d.supplier_id))
            .where(Batch.status != BatchStatus.VOID, HARVEST_DAY.is_not(None),
                   ~_withdrawn(d), *_of_keys(d.supplier_id, year, kind, keys))
            .group_by(d.supplier_id, year, d.contract_id)
        )
    return union_all(*parts)  # type: ignore[return-value]


def rebuild(conn: Connection | Session, keys: set[Key] | None = None) -> None:
    """Work the tallies out again: all of them, or those of ``keys``."""
    for table, rows, columns in (
        (LinkageHarvestTally, harvest_rows(keys),
         ["organisation_id", "period_kind", "year", "lots", "harvested_kg"]),
        (LinkageDeliveryTally, delivery_rows(keys),
         ["organisation_id", "period_kind", "year", "contract_id", "shipped_kg",
          "last_shipped_on"]),
    ):
        gone = delete(table)
        if keys is not None:
            gone = gone.where(tuple_(table.organisation_id, table.period_kind, table.year)
                              .in_(sorted(keys)))
        conn.execute(gone)
        conn.execute(insert(table).from_select(columns, rows))


# --- upkeep -------------------------------------------------------------------------

def _values(obj: Any, name: str) -> set[Any]:
    """The attribute's value now and, when this flush changed it, before."""
    history = attributes.get_history(obj, name)
    return {v for v in (*history.added, *history.unchanged, *history.deleted)
            if v is not None} or {getattr(obj, name, None)} - {None}


def _keys(session: Session) -> set[Key]:
    """The (cooperative, kind, year) keys of what this flush wrote that a tally reads:
    lots, deliveries, shipments and the retraction of events."""
    days: set[tuple[int, date]] = set()
    lots: set[tuple[int, int]] = set()  # (supplier, lot) of deliveries
    shipments: set[int] = set()
    events: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Batch):
            for org in _values(obj, "organisation_id"):
                for day in _values(obj, "harvest_start") | _values(obj, "harvest_end"):
                    days.add((org, day))
        elif isinstance(obj, LinkageDelivery):
            lots.update((org, lot) for org in _values(obj, "supplier_id")
                        for lot in _values(obj, "batch_id"))
        elif isinstance(obj, Shipment) and obj.id is not None:
            shipments.add(obj.id)
        elif (isinstance(obj, EpcisEvent) and obj.id is not None
              and attributes.get_history(obj, "retracted_at").has_changes()):
            events.add(obj.id)
    conn = session.connection()
    if lots:
        harvested = dict(
            (lot, (start, end)) for lot, start, end in conn.execute(
                select(Batch.id, Batch.harvest_start, Batch.harvest_end)
                .where(Batch.id.in_({lot for _, lot in lots})))
        )
        days.update((org, day) for org, lot in lots
                    for day in harvested.get(lot, ()) if day is not None)
    if shipments or events:
        d = LinkageDelivery
        rows = conn.execute(
            select(d.supplier_id, Batch.harvest_start, Batch.harvest_end)
            .join(Batch, Batch.id == d.batch_id)
            .join(Shipment, Shipment.id == d.shipment_id)
            .where(or_(d.shipment_id.in_(shipments), Shipment.ship_event_pk.in_(events)))
        )
        days.update((org, day) for org, *lot_days in rows for day in lot_days
                    if day is not None)
    return {(org, kind, python_year_of(kind, day)) for org, day in days for kind in KINDS}


def _keep(session: Session, _context: Any) -> None:
    keys = _keys(session)
    if not keys:
        return
    conn = session.connection()
    # In one order, so that two transactions never wait for each other's locks.
    conn.execute(select(Organisation.id)
                 .where(Organisation.id.in_({org for org, _, _ in keys}))
                 .order_by(Organisation.id).with_for_update(key_share=True))
    rebuild(conn, keys)


def keep_tallies() -> None:
    """Keep the tallies at every flush of every session (the app factory calls it once)."""
    if not event.contains(Session, "after_flush", _keep):
        event.listen(Session, "after_flush", _keep)


# --- reading ------------------------------------------------------------------------

def answer(q: IndicatorQuery) -> bool:
    """Whether the tallies give ``q``'s volume figure exactly: as of today (nothing
    recorded after the cutoff, so every lot and delivery counts as it stands now), over a
    statistical or calendar year, no commodity asked; and, when the reference day comes
    before the year's end (the current year), no delivery tallied for that year shipped
    after it. Else the figure reads the lots and deliveries themselves."""
    period = q.period
    if (period.kind not in KINDS or period.year is None or q.commodity
            or q.as_of.as_of != local_today()):
        return False
    if q.on >= period.end:
        return True
    t = LinkageDeliveryTally
    later = select(t.organisation_id).where(*_of_year(t, q), t.last_shipped_on > q.on)
    return not db.session.scalar(select(exists(later)))


def _of_year(t: Any, q: IndicatorQuery) -> list[ColumnElement[bool]]:
    """Conditions on a tally table: the rows of ``q``'s year."""
    return [t.period_kind == q.period.kind, t.year == q.period.year]


def harvested(q: IndicatorQuery) -> Select[Any]:
    """``organisation_id, harvested_kg`` of ``q``'s year (``answer`` holds)."""
    t = LinkageHarvestTally
    return select(t.organisation_id, t.harvested_kg).where(*_of_year(t, q))


def shipped(q: IndicatorQuery, counted: Any) -> Select[Any]:
    """``organisation_id, shipped_kg`` of ``q``'s year under the (cooperative, contract)
    pairs ``counted`` (``org_id, contract_id``). Summed over the contracts, not capped
    lot by lot at the lot's kilograms as the lots' own reading is: a lot never ships more
    than it holds (``traceability.services.recording``), so the cap never bites."""
    t = LinkageDeliveryTally
    return (
        select(t.organisation_id, func.sum(t.shipped_kg).label("shipped_kg"))
        .join(counted, and_(counted.c.org_id == t.organisation_id,
                            counted.c.contract_id == t.contract_id))
        .where(*_of_year(t, q))
        .group_by(t.organisation_id)
    )


def delivered(q: IndicatorQuery, reg: Any) -> Select[Any]:
    """``contract_id, supplier_id``: the (contract, cooperative of ``reg``) pairs under
    which the cooperative shipped kilograms of a lot of ``q``'s year (``answer`` holds;
    the drill-down's "a batch of the period delivered")."""
    t = LinkageDeliveryTally
    return select(t.contract_id, t.organisation_id.label("supplier_id")).where(
        *_of_year(t, q), t.shipped_kg > 0, t.organisation_id.in_(select(reg.c.org_id)))
