"""The tallies of the volume-weighted variant and of variant C
(``linkages.models.tallies``): one rule per tally that works it out from the lots and
deliveries, kept at every flush that touches them.

What a tally holds is what its variant reads of the lots and deliveries when a figure is
asked as of today: every lot and delivery recorded so far, the lots that are not void, the
shippings not withdrawn, the settlements, each as it stands now. ``harvest_rows``,
``delivery_rows`` and ``acceptance_rows`` say it in SQL once; the full rebuild (a
migration, a bulk load) and the upkeep of a few cooperatives' years run the same
statements. ``answer`` and ``accepts`` say when a figure may read them.

Upkeep: after each flush, the (cooperative, year) keys of the lots, deliveries and
shipments it wrote are worked out again, inside the same transaction, so a
tally never differs from its rule as seen by the transaction that reads it: the volume's
by the year of the lots' harvest, the acceptances' by the year of the day received.
Error declarations withdraw events by an UPDATE that no flush sees; their deliveries'
keys are worked out when traceability announces it (``events_withdrawn``). Other writes
that bypass the ORM (a Core ``UPDATE`` of lots, a bulk load) must call ``rebuild``.

Two transactions writing for one cooperative at once would each work its tallies out
without the other's uncommitted rows, and the later commit would win (or, on PostgreSQL,
trip on the rows the other inserted). So the upkeep first locks the cooperatives' rows
(``FOR NO KEY UPDATE``, which still lets others insert rows referring to them): the
second waits for the first to commit, then works the tallies out with its rows. SQLite
lets one transaction write at a time anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    select,
    tuple_,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from core.clock import local_today
from core.db import db
from linkages.indicator import upkeep
from linkages.indicator.period import STAT_YEAR_START, current_statistical_year
from linkages.indicator.query import IndicatorQuery
from linkages.models.deliveries import LinkageDelivery
from linkages.models.organisations import Organisation
from linkages.models.tallies import (
    LinkageAcceptanceTally,
    LinkageDeliveryTally,
    LinkageHarvestTally,
)
from traceability.models import Batch, BatchStatus, EpcisEvent, Shipment
from traceability.models.batches import HARVEST_DAY
from traceability.services.capture import events_withdrawn

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


def acceptance_rows(keys: set[Key] | None = None) -> Select[Any]:
    """``organisation_id, period_kind, year, contract_id, first_delivery_id,
    last_received_on`` (of ``keys`` only when given): each supplier's deliveries under
    each contract that the buyer accepted (above 0 kg) and settled, their shipping not
    withdrawn, by the year of the day received: the lowest of them, and the latest day
    received (variant C's rule, ``links.accepted_in_period``, as it stands now)."""
    d = LinkageDelivery
    parts = []
    for kind in KINDS:
        year = year_of(kind, d.received_on)
        parts.append(
            select(d.supplier_id, literal(kind).label("period_kind"), year.label("year"),
                   d.contract_id, func.min(d.id).label("first_delivery_id"),
                   func.max(d.received_on).label("last_received_on"))
            .where(d.accepted_kg > 0, d.received_on.is_not(None), d.settled_at.is_not(None),
                   ~_withdrawn(d), *_of_keys(d.supplier_id, year, kind, keys))
            .group_by(d.supplier_id, year, d.contract_id)
        )
    return union_all(*parts)  # type: ignore[return-value]


@dataclass(frozen=True)
class Keys:
    """The (cooperative, kind, year) keys to work out again: of the volume tallies (by
    the year of the lots' harvest) and of the acceptance tallies (by the year of the
    day received)."""

    volume: set[Key] | None = None  # None: every key
    acceptance: set[Key] | None = None


def rebuild(conn: Connection | Session, keys: Keys | None = None) -> None:
    """Work the tallies out again: all of them, or those of ``keys``."""
    keys = keys or Keys()
    for table, rows, of, columns in (
        (LinkageHarvestTally, harvest_rows, keys.volume,
         ["organisation_id", "period_kind", "year", "lots", "harvested_kg"]),
        (LinkageDeliveryTally, delivery_rows, keys.volume,
         ["organisation_id", "period_kind", "year", "contract_id", "shipped_kg",
          "last_shipped_on"]),
        (LinkageAcceptanceTally, acceptance_rows, keys.acceptance,
         ["organisation_id", "period_kind", "year", "contract_id", "first_delivery_id",
          "last_received_on"]),
    ):
        if of is not None and not of:
            continue
        gone = delete(table)
        if of is not None:
            gone = gone.where(tuple_(table.organisation_id, table.period_kind, table.year)
                              .in_(sorted(of)))
        conn.execute(gone)
        conn.execute(insert(table).from_select(columns, rows(of)))


# --- upkeep -------------------------------------------------------------------------

def _keys(session: Session) -> Keys:
    """The keys of what this flush wrote that a tally reads: lots, deliveries and
    shipments (the withdrawal of events is told apart: ``_follow_withdrawn``)."""
    days: set[tuple[int, date]] = set()  # (cooperative, harvest day)
    received: set[tuple[int, date]] = set()  # (supplier, day received)
    lots: set[tuple[int, int]] = set()  # (supplier, lot) of deliveries
    shipments: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Batch):
            for org in upkeep.values(obj, "organisation_id"):
                days.update((org, day) for day in upkeep.values(obj, "harvest_start")
                            | upkeep.values(obj, "harvest_end"))
        elif isinstance(obj, LinkageDelivery):
            suppliers = upkeep.values(obj, "supplier_id")
            lots.update((org, lot) for org in suppliers
                        for lot in upkeep.values(obj, "batch_id"))
            received.update((org, day) for org in suppliers
                            for day in upkeep.values(obj, "received_on"))
        elif isinstance(obj, Shipment) and obj.id is not None:
            shipments.add(obj.id)
    if not (days or lots or shipments):
        return Keys(set(), set())
    conn = session.connection()
    if lots:
        harvested = dict(
            (lot, (start, end)) for lot, start, end in conn.execute(
                select(Batch.id, Batch.harvest_start, Batch.harvest_end)
                .where(Batch.id.in_({lot for _, lot in lots})))
        )
        days.update((org, day) for org, lot in lots
                    for day in harvested.get(lot, ()) if day is not None)
    shipped, received_too = _delivery_days(
        conn, LinkageDelivery.shipment_id.in_(shipments)) if shipments else (set(), set())
    return _of_days(days | shipped, received | received_too)


def _delivery_days(conn: Connection, booked: ColumnElement[bool]
                   ) -> tuple[set[tuple[int, date]], set[tuple[int, date]]]:
    """The (supplier, harvest day of the lot) and (supplier, day received) of the
    deliveries that ``booked`` (a condition on the delivery and its shipment) names."""
    d = LinkageDelivery
    days: set[tuple[int, date]] = set()
    received: set[tuple[int, date]] = set()
    for org, day_received, *lot_days in conn.execute(
        select(d.supplier_id, d.received_on, Batch.harvest_start, Batch.harvest_end)
        .join(Batch, Batch.id == d.batch_id)
        .join(Shipment, Shipment.id == d.shipment_id)
        .where(booked)
    ):
        days.update((org, day) for day in lot_days if day is not None)
        if day_received is not None:
            received.add((org, day_received))
    return days, received


def _of_days(days: set[tuple[int, date]], received: set[tuple[int, date]]) -> Keys:
    return Keys(
        volume={(org, kind, python_year_of(kind, day)) for org, day in days for kind in KINDS},
        acceptance={(org, kind, python_year_of(kind, day)) for org, day in received
                    for kind in KINDS},
    )


def _work_out(conn: Connection, keys: Keys) -> None:
    """Lock the keys' cooperatives (module docstring), then work their tallies out."""
    assert keys.volume is not None and keys.acceptance is not None
    organisations = {org for org, _, _ in keys.volume | keys.acceptance}
    if organisations:
        upkeep.lock(conn, Organisation, organisations)
        rebuild(conn, keys)


def _keep(session: Session, _context: Any) -> None:
    keys = _keys(session)
    if keys.volume or keys.acceptance:
        _work_out(session.connection(), keys)


def _follow_withdrawn(session: Session, *, event_pks: list[int], **_: Any) -> None:
    """Events just withdrawn by an UPDATE (``traceability.services.capture``), which no
    flush saw: the tallies of the deliveries they shipped."""
    conn = session.connection()
    _work_out(conn, _of_days(*_delivery_days(conn, Shipment.ship_event_pk.in_(event_pks))))


def keep_tallies() -> None:
    """Keep the tallies at every flush of every session, and at every withdrawal of
    events (the app factory calls it once)."""
    if not event.contains(Session, "after_flush", _keep):
        event.listen(Session, "after_flush", _keep)
    events_withdrawn.connect(_follow_withdrawn)


# --- reading ------------------------------------------------------------------------

def answer(q: IndicatorQuery) -> bool:
    """Whether the volume tallies give ``q``'s volume figure exactly: as of today
    (nothing recorded after the cutoff, so every lot and delivery counts as it stands
    now), over a statistical or calendar year, no commodity asked; and, when the
    reference day comes before the year's end (the current year), no delivery tallied
    for that year shipped after it. Else the figure reads the lots and deliveries
    themselves."""
    t = LinkageDeliveryTally
    return not q.commodity and _whole_years(q, t, t.last_shipped_on)


def accepts(q: IndicatorQuery) -> bool:
    """Whether the acceptance tallies give ``q``'s accepted deliveries (variant C)
    exactly: as ``answer`` says, for the days received; a commodity asked narrows the
    contracts, not the deliveries, so it does not matter here."""
    t = LinkageAcceptanceTally
    return _whole_years(q, t, t.last_received_on)


def _whole_years(q: IndicatorQuery, t: Any, last: Any) -> bool:
    """``q`` is asked as of today over a statistical or calendar year, and none of the
    year's rows of ``t`` was last written for a day (``last``) after the reference day."""
    period = q.period
    if period.kind not in KINDS or period.year is None or q.as_of.as_of != local_today():
        return False
    if q.on >= period.end:
        return True
    later = select(t.organisation_id).where(*_of_year(t, q), last > q.on)
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


def accepted_pair(q: IndicatorQuery, contract_id: Any,
                  supplier_id: Any) -> list[ColumnElement[bool]]:
    """Conditions on ``LinkageAcceptanceTally``: the row of the (contract, supplier) pair
    in ``q``'s year (``accepts`` holds), through the primary key: the pair had a delivery
    accepted in the period."""
    t = LinkageAcceptanceTally
    return [t.organisation_id == supplier_id, t.contract_id == contract_id, *_of_year(t, q)]


def first_accepted(q: IndicatorQuery, contract_id: Any, supplier_id: Any) -> ColumnElement[Any]:
    """SQL, for one (contract, supplier) pair of the enclosing statement: the lowest
    delivery accepted under it in ``q``'s year (``accepts`` holds), else NULL."""
    t = LinkageAcceptanceTally
    return select(t.first_delivery_id).where(
        *accepted_pair(q, contract_id, supplier_id)).scalar_subquery()
