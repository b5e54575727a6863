"""Exports of traceability records: the events of one lot's trace, and of a cooperative over
a date range, as an EPCIS 2.0 document or as the FSMA 204 key data elements (the sheets are
built in ``traceability.services.exports_fsma``).

What a trace holds: the events attached (``EventBatch``) to the lot, to every ancestor and to
every descendant in its live genealogy (``lineage.ancestors`` / ``lineage.descendants``: the
fields it came from, the buyers' lots made from it), restricted to the events the actor may
read (``event_queries.readable_events``: its own captures, events on lots it owns or was
shipped to; everything for an admin or an authority in scope). The EPCIS document is the
faithful record: withdrawn events stay in it together with their error declarations, exactly
as captured; the FSMA sheet leaves them out (only the record as corrected counts there).

A cooperative's range export takes the events the cooperative itself captured (its own
records, as FSMA 204 asks of each entity) whose event time falls in the range, read in keyset
pages on ``ix_epcis_events_org_time``, so a year of records streams in bounded memory.

Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, false, or_, select, tuple_

from core.actor import Actor, require_authenticated, require_read
from core.clock import VIETNAM
from core.db import chunks, db, utcnow
from core.errors import NotFound, ValidationFailed
from core.i18n import _l
from linkages.models.organisations import Organisation
from traceability.epcis.validation import EPCIS_CONTEXT_URL, validate_document
from traceability.models.batches import Batch
from traceability.models.events import EpcisEvent, EventBatch
from traceability.services import lineage
from traceability.services.batches import get_batch
from traceability.services.event_queries import readable_events
from traceability.services.recording import HTX_NAMESPACE

__all__ = [
    "MAX_RANGE_DAYS",
    "PAGE_SIZE",
    "DateRange",
    "StoredEvent",
    "Trace",
    "epcis_document",
    "organisation_events",
    "parse_range",
    "range_organisation",
    "trace_epcis_document",
    "trace_events",
]

# FSMA 204 asks for the records of a period; a year (leap day included) is plenty, and caps
# the work one request can ask for.
MAX_RANGE_DAYS = 366
# Events per keyset page of a range export (one query each, plus the sheet's look-ups).
PAGE_SIZE = 1000
# Lot ids per IN (...) list: far below any database's bound-parameter limit.
_CHUNK = 900


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """What an export needs of a stored event."""

    pk: int
    event_time: datetime
    organisation_id: int | None
    declares_error: bool
    retracted: bool
    document: dict[str, Any]

    @property
    def live(self) -> bool:
        """Neither withdrawn nor an error declaration: part of the corrected history."""
        return not (self.retracted or self.declares_error)


@dataclass(slots=True)
class Trace:
    batch: Batch
    lot_ids: list[int]  # the lot, its ancestors, its descendants
    events: list[StoredEvent]  # in (event_time, id) order, declarations included


@dataclass(frozen=True, slots=True)
class DateRange:
    start: date  # inclusive, Vietnamese calendar day
    end: date  # inclusive

    @property
    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, end+1 00:00) in Vietnam, as UTC instants (event_time is UTC)."""
        lower = datetime.combine(self.start, time(0), tzinfo=VIETNAM)
        upper = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=VIETNAM)
        return lower.astimezone(UTC), upper.astimezone(UTC)


def _columns() -> tuple[Any, ...]:
    e = EpcisEvent
    return (e.id, e.event_time, e.organisation_id, e.declares_error, e.retracted_at, e.document)


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(
        pk=row[0],
        event_time=row[1],
        organisation_id=row[2],
        declares_error=bool(row[3]),
        retracted=row[4] is not None,
        document=row[5],
    )


# --------------------------------------------------------------------------- one lot's trace


def trace_events(actor: Actor, batch_id: int) -> Trace:
    """The lot (404 unless the actor may read it), the ids of its whole lineage, and the
    events of that lineage the actor may read, error declarations included. Two walks
    (ancestors, descendants) and one events query per 900 lots of lineage."""
    batch = get_batch(actor, batch_id)
    lot_ids = [batch.id, *lineage.ancestors(batch.id), *lineage.descendants(batch.id)]
    lot_ids = list(dict.fromkeys(lot_ids))
    found: dict[int, StoredEvent] = {}
    visible = readable_events(actor)
    for chunk in chunks(lot_ids, _CHUNK):
        touched = select(EventBatch.event_pk).where(EventBatch.batch_id.in_(chunk))
        # An error declaration names the same lots as its original, so it is usually
        # attached to them too; the second branch finds it through its original (same
        # organisation and eventID: another organisation may hold the same eventID).
        declared = select(EpcisEvent.organisation_id, EpcisEvent.event_id).where(
            EpcisEvent.id.in_(touched)
        )
        stmt = select(*_columns()).where(
            or_(
                EpcisEvent.id.in_(touched),
                and_(
                    EpcisEvent.declares_error.is_(True),
                    tuple_(EpcisEvent.organisation_id, EpcisEvent.event_id).in_(declared),
                ),
            ),
            visible,
        )
        for row in db.session.execute(stmt):
            found.setdefault(row[0], _stored(row))
    events = sorted(found.values(), key=lambda e: (_utc(e.event_time), e.pk))
    return Trace(batch, lot_ids, events)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite


# --------------------------------------------------------------------------- EPCIS document


def _namespaces(events: Sequence[dict[str, Any]]) -> list[Any]:
    """The document's ``@context``: the EPCIS context and every namespace the events
    declare (ours, ``htx:``, and those of partners' captured events), first one wins."""
    merged: dict[str, Any] = {"htx": HTX_NAMESPACE}
    for event in events:
        context = event.get("@context")
        entries = context if isinstance(context, list) else [context]
        for entry in entries:
            if isinstance(entry, dict):
                for prefix, uri in entry.items():
                    merged.setdefault(prefix, uri)
    return [EPCIS_CONTEXT_URL, merged]


def _format_instant(moment: datetime) -> str:
    return _utc(moment).astimezone(UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


def epcis_document(events: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """An EPCISDocument of stored event documents, as they were captured (eventID,
    recordTime, errorDeclaration and all), validated against the official schema and CBV
    before it leaves: an export that another system refuses is worse than none."""
    document = {
        "@context": _namespaces(events),
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _format_instant(utcnow()),
        "epcisBody": {"eventList": list(events)},
    }
    validate_document(document)
    return document


def trace_epcis_document(actor: Actor, batch_id: int) -> tuple[Batch, dict[str, Any]]:
    """The lot and its whole trace (see the module docstring) as one EPCISDocument, events
    in time order, withdrawn events and their error declarations included."""
    trace = trace_events(actor, batch_id)
    return trace.batch, epcis_document([e.document for e in trace.events])


# --------------------------------------------------------------------------- range export


def _parse_day(raw: str | None, name: str, errors: dict[str, list[str]]) -> date | None:
    if not raw:
        errors[name] = [str(_l("Required, as YYYY-MM-DD."))]
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = [str(_l("Expected a date as YYYY-MM-DD."))]
        return None


def parse_range(start: str | None, end: str | None) -> DateRange:
    """``from``/``to`` (inclusive days, YYYY-MM-DD) → a range of at most ``MAX_RANGE_DAYS``
    days; a 422 naming the failing parameter otherwise."""
    errors: dict[str, list[str]] = {}
    first = _parse_day(start, "from", errors)
    last = _parse_day(end, "to", errors)
    if first and last:
        if last < first:
            errors["to"] = [str(_l("The end of the range is before its start."))]
        elif (last - first).days + 1 > MAX_RANGE_DAYS:
            errors["to"] = [
                str(
                    _l(
                        "Export at most %(days)d days at a time; split the period.",
                        days=MAX_RANGE_DAYS,
                    )
                )
            ]
    if errors or first is None or last is None:
        raise ValidationFailed(_l("The date range is not valid."), field_errors=errors)
    return DateRange(first, last)


def range_organisation(actor: Actor, organisation_id: int) -> Organisation:
    """The organisation whose records are exported: the organisation itself, a platform
    admin or an authority in scope; anyone else gets 404."""
    require_authenticated(actor)
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound()
    require_read(actor, org.id, org.province_code)
    return org


def _range_page(org_id: int, lower: datetime, upper: datetime, *, live_only: bool) -> Select[Any]:
    e = EpcisEvent
    stmt = select(*_columns()).where(
        e.organisation_id == org_id, e.event_time >= lower, e.event_time < upper
    )
    if live_only:
        stmt = stmt.where(e.retracted_at.is_(None), e.declares_error == false())
    return stmt.order_by(e.event_time, e.id).limit(PAGE_SIZE)


def organisation_events(
    actor: Actor, organisation_id: int, period: DateRange, *, live_only: bool = True
) -> Iterator[list[StoredEvent]]:
    """The events the organisation captured in ``period``, in (event_time, id) order, in
    pages of ``PAGE_SIZE`` (a keyset on the org/time index: no OFFSET, bounded memory).
    ``live_only`` leaves out withdrawn events and error declarations (the FSMA sheet).
    The permission check runs before the first page is asked for."""
    org = range_organisation(actor, organisation_id)
    lower, upper = period.utc_bounds
    return _pages(org.id, lower, upper, live_only)


def _pages(
    org_id: int, lower: datetime, upper: datetime, live_only: bool
) -> Iterator[list[StoredEvent]]:
    after: tuple[datetime, int] | None = None
    while True:
        stmt = _range_page(org_id, lower, upper, live_only=live_only)
        if after is not None:
            stmt = stmt.where(tuple_(EpcisEvent.event_time, EpcisEvent.id) > after)
        page = [_stored(row) for row in db.session.execute(stmt)]
        if not page:
            return
        yield page
        if len(page) < PAGE_SIZE:
            return
        after = (page[-1].event_time, page[-1].pk)
