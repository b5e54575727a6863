"""Storing EPCIS 2.0 events: the one write path for every event, whoever produced it.

``store_events`` is shared by the EPCIS REST binding (``POST /epcis/capture``, ``/events``)
and the cooperative-friendly business services (harvest, ship, transform…), which build
their event, validate it, and pass the batch effects and genealogy links they worked out.

What it does, for a list of N events, in a handful of statements whatever N is:

1. gives every event its ``eventID`` (the EPCIS 2.0 event hash when absent) and the server's
   ``recordTime``;
2. finds, in one ``WHERE event_id IN (…)`` query per chunk, which events the recording
   organisation already stored: a re-sent event (same ``eventID``, same "is an error
   declaration") is a *duplicate* and nothing is written for it — so re-sending a document
   is harmless;
3. finds, in one query per chunk, the batches whose ``canonical_id`` an event names (any
   spelling: EPC URN, Digital Link on any domain) and attaches the event to the ones it may
   change (see *Ownership*);
4. writes the events (one ``executemany`` with ``RETURNING`` for their ids), their
   identifiers in canonical form, the batch effects and the genealogy links;
5. marks the original of each error declaration as retracted (never edits or deletes it).

Ownership. Every event belongs to the organisation it is recorded for (the actor's; only a
platform admin may record for another, ``PreparedEvent.organisation_id``), and each
organisation is its own EPCIS repository: duplicates and error declarations are matched
within it. So another organisation can neither squat an eventID (its capture of the same ID
is simply its own event), learn that one exists (nothing it sends is answered differently
because of someone else's events), nor withdraw someone else's event (its error declaration
retracts only its own, present or future). An event is attached to — shown in the timeline
of, and counted in the quantity of — the lots of its own organisation, plus, for a receiving
(bizStep ``receiving``), the lots shipped to that organisation by a live shipment. Anything
else that names another organisation's lot is kept as the recording organisation's own
observation: stored, queryable by it, invisible in the owner's history.

Events reach it validated (``capture_document`` and ``capture_event``, the services of the
EPCIS binding, refuse invalid ones, all or nothing unless the client asked to proceed), so it
refuses nothing one by one. It never commits: the caller commits once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from blinker import Namespace
from sqlalchemy import and_, delete, insert, select, tuple_, update

from core.actor import Actor, can_write, require_authenticated
from core.db import chunks, db, utcnow
from core.errors import Conflict, Forbidden, ValidationFailed
from core.i18n import _
from traceability.epcis.hashing import (
    canonical_digital_link,
    document_ignore_fields,
    event_hash_id,
)
from traceability.epcis.validation import (
    DOCUMENT_TYPES,
    EPCIS_CONTEXT_URL,
    EVENT_LIST_PATHS,
    FieldErrorDict,
    check_document,
    validate_event,
)
from traceability.gs1 import canonical_uri
from traceability.models.batches import Batch, BatchLink, Shipment
from traceability.models.events import EpcisEvent, EpcRole, EventBatch, EventEpc

__all__ = [
    "BatchEffect",
    "CaptureResult",
    "DocumentCapture",
    "Link",
    "PreparedEvent",
    "canonical_identifier",
    "capture_document",
    "capture_event",
    "event_identifiers",
    "events_withdrawn",
    "format_record_time",
    "parse_event_time",
    "require_capturer",
    "store_events",
]


Status = Literal["captured", "duplicate"]

# Sent (sender: the ``Session``; ``event_pks``: the events' ids) when error declarations
# have just withdrawn events, in the same transaction. The withdrawal is one UPDATE of
# the events, which the ORM's flush events never see: what another part keeps from the
# events (the linkage indicator's tallies) follows it from here. A signal, so that
# traceability needs to know nothing of it.
events_withdrawn = Namespace().signal("events-withdrawn")


@dataclass(frozen=True)
class BatchEffect:
    """What an event does to a batch's quantity, in kg: + adds, − removes, 0 observes."""

    batch_id: int
    quantity_kg: Decimal


@dataclass(frozen=True)
class Link:
    """A genealogy edge made by the event: ``child`` was made (partly) from ``parent``."""

    parent_id: int
    child_id: int
    quantity_kg: Decimal | None


@dataclass
class PreparedEvent:
    """An EPCIS 2.0 event dict, already validated, with what it does to batches.

    ``path`` prefixes the keys of this event's errors (the view passes the event's place in
    the document, ``epcisBody.eventList.3``; business services leave it empty).
    ``organisation_id`` records the event for another organisation than the actor's: only a
    platform admin may (e.g. correcting an organisation's event on its behalf).
    """

    event: dict[str, Any]
    effects: Sequence[BatchEffect] = ()
    links: Sequence[Link] = ()
    path: str = ""
    organisation_id: int | None = None


@dataclass
class CaptureResult:
    index: int  # position in the ``items`` given to ``store_events``
    status: Status
    event_id: str
    pk: int | None  # the stored row (the existing one for a duplicate)
    declares_error: bool = False


# --------------------------------------------------------------------------- helpers


@lru_cache(maxsize=65536)
def canonical_identifier(uri: str) -> str:
    """The form identifiers are indexed and matched in.

    GS1 keys in any spelling (EPC URN, EPC class/pattern URN, Digital Link on any resolver
    domain) become the constrained canonical Digital Link on id.gs1.org, which is what
    ``Batch.canonical_id`` holds for GTIN lots; anything else (the platform's own URIs,
    ``urn:uuid:…``) is kept as written.
    """
    found = canonical_digital_link(uri)
    if found is not None:
        return found
    if uri.startswith(("http://", "https://")):
        try:
            return canonical_uri(uri)
        except ValidationFailed:  # a URL that is not a Digital Link
            return uri
    return uri


_EPC_LISTS: tuple[tuple[str, EpcRole], ...] = (
    ("epcList", EpcRole.EPC),
    ("childEPCs", EpcRole.CHILD),
    ("inputEPCList", EpcRole.INPUT),
    ("outputEPCList", EpcRole.OUTPUT),
)
_QUANTITY_LISTS: tuple[tuple[str, EpcRole], ...] = (
    ("quantityList", EpcRole.QUANTITY),
    ("childQuantityList", EpcRole.CHILD_QUANTITY),
    ("inputQuantityList", EpcRole.INPUT_QUANTITY),
    ("outputQuantityList", EpcRole.OUTPUT_QUANTITY),
)
# The keys of an event that hold quantity elements ({epcClass, quantity, uom}).
QUANTITY_LIST_KEYS = tuple(key for key, _role in _QUANTITY_LISTS)


def event_identifiers(event: dict[str, Any]) -> Iterator[tuple[EpcRole, str, str]]:
    """Every identifier the event names: (role, canonical form, JSON path in the event)."""
    parent = event.get("parentID")
    if isinstance(parent, str):
        yield EpcRole.PARENT, canonical_identifier(parent), "parentID"
    for key, role in _EPC_LISTS:
        values = event.get(key)
        if values:
            for i, value in enumerate(values):
                if isinstance(value, str):
                    yield role, canonical_identifier(value), f"{key}.{i}"
    for key, role in _QUANTITY_LISTS:
        values = event.get(key)
        if values:
            for i, element in enumerate(values):
                value = element.get("epcClass") if isinstance(element, dict) else None
                if isinstance(value, str):
                    yield role, canonical_identifier(value), f"{key}.{i}.epcClass"


def parse_event_time(text: str) -> datetime:
    """An EPCIS timestamp (offset required; validated before) as an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


def format_record_time(moment: datetime) -> str:
    """``2026-05-01T03:04:05.678Z``: UTC with milliseconds, as EPCIS repositories write it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def _location(value: Any) -> str | None:
    """A readPoint / bizLocation id, canonical (an SGLN URN and its Digital Link match)."""
    if isinstance(value, dict):
        found = value.get("id")
        return canonical_identifier(found) if isinstance(found, str) else None
    return None


def _offset(event: dict[str, Any], when: str) -> str:
    declared = event.get("eventTimeZoneOffset")
    if isinstance(declared, str):
        return declared[:6]
    # The schema requires it; fall back on eventTime's own offset for a lenient caller.
    if when.endswith("Z"):
        return "+00:00"
    return when[-6:] if when[-6] in "+-" else "+00:00"


def _context_namespaces(context: Any) -> list[dict[str, Any]] | None:
    """The namespace declarations of a document's ``@context`` (its JSON objects), which
    its events' extension fields rely on; stored with each event so it stands alone."""
    items = context if isinstance(context, list) else [context]
    found = [item for item in items if isinstance(item, dict)]
    return found or None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --------------------------------------------------------------------------- the service


def require_capturer(actor: Actor) -> None:
    """Capturing needs a signed-in user acting for an organisation (or a platform admin);
    authorities read but never write."""
    require_authenticated(actor)
    if actor.organisation_id is None and not actor.is_admin:
        raise Forbidden(_("Capturing events requires acting for an organisation."))


def store_events(
    actor: Actor,
    items: Sequence[PreparedEvent],
    context: Any = None,
) -> list[CaptureResult]:
    """Store validated EPCIS events (see the module docstring). Never commits.

    ``context`` is the enclosing document's ``@context`` (for the hash ID and for the
    namespaces of extension fields). Raises ``Forbidden`` when the actor may not capture at
    all, or records for another organisation than its own without being a platform admin.
    """
    require_capturer(actor)
    owners = [_owner(actor, item) for item in items]
    now = utcnow()
    record_time = format_record_time(now)
    namespaces = _context_namespaces(context)

    # 1. eventID, recordTime, index columns, identifiers (no database work yet).
    results: list[CaptureResult] = []
    rows: list[dict[str, Any]] = []
    epcs: list[list[tuple[EpcRole, str, str]]] = []
    for index, item in enumerate(items):
        event = dict(item.event)  # the caller's dict stays as it was
        event_id = event.get("eventID")
        if not isinstance(event_id, str) or not event_id:
            event_id = event_hash_id(event, context)
            event["eventID"] = event_id
        event["recordTime"] = record_time
        if namespaces is not None and "@context" not in event:
            event["@context"] = namespaces
        declares_error = "errorDeclaration" in event
        when = event["eventTime"]
        rows.append(
            {
                "event_id": event_id,
                "declares_error": declares_error,
                "event_type": event["type"],
                "event_time": parse_event_time(when),
                "event_tz_offset": _offset(event, when),
                "record_time": now,
                "action": event.get("action"),
                "biz_step": event.get("bizStep"),
                "disposition": event.get("disposition"),
                "read_point": _location(event.get("readPoint")),
                "biz_location": _location(event.get("bizLocation")),
                "document": event,
                "organisation_id": owners[index],
                "captured_by_id": actor.user_id or None,
                "retracted_at": None,
            }
        )
        epcs.append(list(event_identifiers(event)))
        results.append(CaptureResult(index, "captured", event_id, None,
                                     declares_error=declares_error))

    # 2. Duplicates: already stored by the same organisation, or earlier in this same call.
    existing = _existing_events({r["event_id"] for r in rows})
    seen: dict[_Key, int] = {}
    for index, row in enumerate(rows):
        key = _key(row)
        if key in existing:
            results[index].status = "duplicate"
            results[index].pk = existing[key]
        elif key in seen:
            results[index].status = "duplicate"  # pk filled in once the first is written
        else:
            seen[key] = index
    fresh = [i for i, r in enumerate(results) if r.status == "captured"]

    # 3. Batches named by the events, and which of them each event may be attached to.
    batches = _batches_named({epc for i in fresh for _, epc, _ in epcs[i]})
    receivable = _received_by_shipment(
        {(owners[i], batch[0]) for i in fresh if _is_receiving(rows[i])
         for _, epc, _ in epcs[i] if (batch := batches.get(epc)) and batch[1] != owners[i]}
    )
    # Owners of every lot concerned: the named ones, plus those a service gave an effect on
    # without naming them yet (one query for all, not one per effect).
    batch_org = dict(batches.values())
    batch_org.update(_batch_owners(
        {e.batch_id for i in fresh for e in items[i].effects} - batch_org.keys()
    ))
    attach: dict[int, dict[int, Decimal]] = {}
    for index in fresh:
        owner = owners[index]
        named = {batch[0] for _, epc, _ in epcs[index] if (batch := batches.get(epc))}
        effects: dict[int, Decimal] = {}
        for effect in items[index].effects:
            effects[effect.batch_id] = effects.get(effect.batch_id, Decimal(0)) + Decimal(
                effect.quantity_kg
            )
        for batch_id in named:
            effects.setdefault(batch_id, Decimal(0))
        for batch_id, kg in list(effects.items()):
            if batch_org.get(batch_id) == owner or (
                kg == 0 and _is_receiving(rows[index]) and (owner, batch_id) in receivable
            ):
                continue
            if kg != 0:  # a service asked to move another organisation's goods: our bug
                raise Forbidden(_("This event would change another organisation's batch."))
            del effects[batch_id]  # kept as the recording organisation's own observation
        attach[index] = effects

    # 4. Write.
    to_write = [i for i in fresh if results[i].status == "captured"]
    for index in to_write:
        row = rows[index]
        # The organisation declared this event erroneous before capturing it (EPCIS allows
        # the declaration to arrive first): it is stored already withdrawn.
        declared = (row["organisation_id"], row["event_id"], True)
        if not row["declares_error"] and declared in existing:
            row["retracted_at"] = now
    pks = _insert_events([rows[i] for i in to_write])
    for index, pk in zip(to_write, pks, strict=True):
        results[index].pk = pk
    for index, result in enumerate(results):
        if result.status == "duplicate" and result.pk is None:
            first = seen[_key(rows[index])]
            result.pk = results[first].pk

    epc_rows = []
    batch_rows = []
    link_rows = []
    for index in to_write:
        pk = results[index].pk
        unique = {(role, epc) for role, epc, _ in epcs[index]}
        epc_rows.extend({"event_pk": pk, "role": role, "epc": epc} for role, epc in unique)
        batch_rows.extend(
            {"event_pk": pk, "batch_id": batch_id, "quantity_kg": quantity}
            for batch_id, quantity in attach[index].items()
        )
        unique_links: dict[tuple[int, int], Decimal | None] = {}
        # An event whose error declaration came first never enters the live genealogy.
        for link in items[index].links if rows[index]["retracted_at"] is None else ():
            unique_links[(link.parent_id, link.child_id)] = link.quantity_kg
        link_rows.extend(
            {"parent_id": p, "child_id": c, "event_pk": pk, "quantity_kg": q}
            for (p, c), q in unique_links.items()
        )
    session = db.session
    if epc_rows:
        session.execute(insert(EventEpc.__table__), epc_rows)
    if batch_rows:
        session.execute(insert(EventBatch.__table__), batch_rows)
    if link_rows:
        session.execute(insert(BatchLink.__table__), link_rows)

    # 5. Each error declaration withdraws the original of its own organisation only.
    retracted: dict[int | None, set[str]] = {}
    for i in to_write:
        if rows[i]["declares_error"]:
            retracted.setdefault(rows[i]["organisation_id"], set()).add(rows[i]["event_id"])
    events = EpcisEvent.__table__
    withdrawn: list[int] = []
    for org_id, event_ids in retracted.items():
        same_org = (
            events.c.organisation_id.is_(None)
            if org_id is None
            else events.c.organisation_id == org_id
        )
        for chunk in chunks(sorted(event_ids)):
            originals = and_(
                events.c.event_id.in_(chunk), events.c.declares_error.is_(False), same_org
            )
            withdrawn.extend(session.scalars(
                update(events).where(originals, events.c.retracted_at.is_(None))
                .values(retracted_at=now).returning(events.c.id)))
            # batch_links is the LIVE genealogy, derived from the events: a withdrawn event's
            # edges leave it (the event itself, with its inputs and outputs, stays as
            # recorded), so that every lineage walk reads the edge index alone instead of
            # checking each edge's event (bench/lineage.py: that cost ~40% of a recall).
            session.execute(
                delete(BatchLink.__table__).where(
                    BatchLink.event_pk.in_(select(events.c.id).where(originals))
                )
            )
    if withdrawn:
        events_withdrawn.send(session, event_pks=withdrawn)
    return results


# --------------------------------------------------------------------------- EPCIS capture


@dataclass(frozen=True)
class DocumentCapture:
    """What capturing an EPCIS document did to each of its events.

    ``events`` are the document's events in document order; every index is either in
    ``outcomes`` (stored: ``captured``, or ``duplicate`` when already stored) or in
    ``errors`` (refused, with its field errors keyed by document path such as
    ``epcisBody.eventList.3.eventTime``; only possible when the caller asked to proceed)."""

    events: list[Any]
    outcomes: dict[int, CaptureResult]
    errors: dict[int, FieldErrorDict]


def capture_document(actor: Actor, document: Any, *, proceed: bool) -> DocumentCapture:
    """Validate an EPCISDocument (or EPCISQueryDocument) and store its events. Never commits.

    Guarantees: the actor may capture (``require_capturer``: 401/403 otherwise); a document
    that is itself unusable is refused whole (``ValidationFailed`` naming every failing
    path); with ``proceed`` false an invalid event refuses the whole document and nothing is
    written, with ``proceed`` true the valid events are stored and the invalid ones reported
    in ``errors``. Events without an ``eventID`` in a document that asks hashers to ignore
    some fields get the hash ID computed without them; the others get theirs in
    ``store_events``. A re-sent event is a ``duplicate`` outcome, not an error.
    """
    require_capturer(actor)
    checked = check_document(document)
    if checked.event_errors and not proceed:
        raise ValidationFailed(
            _("The EPCIS document is not valid; nothing was stored."),
            field_errors=checked.field_errors(),
        )
    body_path = ".".join(EVENT_LIST_PATHS[checked.document_type])
    ignore = document_ignore_fields(checked.document)
    context = checked.context
    indexes: list[int] = []
    items: list[PreparedEvent] = []
    for index, event in checked.valid_events:
        if ignore and not event.get("eventID"):
            # A document may ask hashers to skip some fields (reference convention).
            event["eventID"] = event_hash_id(event, context, ignore_fields=ignore)
        indexes.append(index)
        items.append(PreparedEvent(event, path=f"{body_path}.{index}"))
    results = store_events(actor, items, context)
    return DocumentCapture(
        events=checked.events,
        outcomes=dict(zip(indexes, results, strict=True)),
        errors=dict(checked.event_errors),
    )


def capture_event(actor: Actor, event: Any) -> EpcisEvent:
    """Validate one EPCIS event (sent on its own, not in a document) and store it; returns
    the stored row. Never commits.

    Guarantees: the actor may capture (401/403 otherwise); a document sent instead of an
    event, or an invalid event, is a ``ValidationFailed`` naming the failing paths and
    nothing is written; an event already stored by the actor's organisation (same eventID)
    is a ``Conflict``. A bare event without ``@context`` is read in the EPCIS 2.0 context.
    """
    require_capturer(actor)
    if isinstance(event, dict) and event.get("type") in DOCUMENT_TYPES:
        raise ValidationFailed(
            _("POST /epcis/events takes one event; send documents to /epcis/capture."),
            field_errors={"type": [_("An event is expected here, not a document.")]},
        )
    own_context = event.get("@context") if isinstance(event, dict) else None
    context = own_context if own_context is not None else [EPCIS_CONTEXT_URL]
    errors = validate_event(event, None if own_context is not None else context)
    if errors:
        raise ValidationFailed(_("The EPCIS event is not valid."), field_errors=errors)
    [result] = store_events(actor, [PreparedEvent(event)], context)
    if result.status == "duplicate":
        raise Conflict(_("An event with this eventID has already been captured."))
    stored = db.session.get(EpcisEvent, result.pk)
    assert stored is not None  # written just now, in this transaction
    return stored


# (recording organisation, eventID, is an error declaration): unique among stored events.
_Key = tuple[int | None, str, bool]


def _key(row: dict[str, Any]) -> _Key:
    return (row["organisation_id"], row["event_id"], row["declares_error"])


def _owner(actor: Actor, item: PreparedEvent) -> int | None:
    """The organisation an event is recorded for: the actor's, unless a platform admin
    records it for another one."""
    wanted = item.organisation_id
    if wanted is None:
        return actor.organisation_id
    if not can_write(actor, wanted):
        raise Forbidden(_("Events can only be recorded for your own organisation."))
    return wanted


def _is_receiving(row: dict[str, Any]) -> bool:
    return row["biz_step"] == "receiving" and not row["declares_error"]


def _existing_events(event_ids: Iterable[str]) -> dict[_Key, int]:
    """Key → pk of the stored rows with these eventIDs (whichever organisation recorded
    them: the caller only ever looks up its own organisation's keys)."""
    found: dict[_Key, int] = {}
    t = EpcisEvent.__table__
    for chunk in chunks(sorted(event_ids)):
        query = select(t.c.organisation_id, t.c.event_id, t.c.declares_error, t.c.id).where(
            t.c.event_id.in_(chunk)
        )
        for org_id, event_id, declares_error, pk in db.session.execute(query):
            found[(org_id, event_id, bool(declares_error))] = pk
    return found


def _batches_named(identifiers: set[str]) -> dict[str, tuple[int, int]]:
    """canonical id → (batch id, owning organisation) for the identifiers that are batches."""
    found: dict[str, tuple[int, int]] = {}
    t = Batch.__table__
    for chunk in chunks(sorted(identifiers)):
        query = select(t.c.canonical_id, t.c.id, t.c.organisation_id).where(
            t.c.canonical_id.in_(chunk)
        )
        for canonical_id, batch_id, org_id in db.session.execute(query):
            found[canonical_id] = (batch_id, org_id)
    return found


def _received_by_shipment(wanted: set[tuple[int | None, int]]) -> set[tuple[int | None, int]]:
    """The (organisation, batch) pairs where a live shipment of the batch is addressed to
    the organisation: the only foreign lots its receiving events are attached to."""
    found: set[tuple[int | None, int]] = set()
    pairs = sorted((org, b) for org, b in wanted if org is not None)
    events = EpcisEvent.__table__
    for chunk in chunks(pairs):
        query = (
            select(Shipment.to_organisation_id, Shipment.batch_id)
            .join(events, events.c.id == Shipment.ship_event_pk)
            .where(
                tuple_(Shipment.to_organisation_id, Shipment.batch_id).in_(chunk),
                events.c.retracted_at.is_(None),
            )
        )
        found.update((org, b) for org, b in db.session.execute(query))
    return found


def _batch_owners(batch_ids: set[int]) -> dict[int, int]:
    """batch id → owning organisation, for lots looked up by id rather than by identifier."""
    found: dict[int, int] = {}
    for chunk in chunks(sorted(batch_ids)):
        query = select(Batch.id, Batch.organisation_id).where(Batch.id.in_(chunk))
        found.update((batch_id, org_id) for batch_id, org_id in db.session.execute(query))
    return found


def _insert_events(rows: list[dict[str, Any]]) -> list[int]:
    """One executemany (SQLAlchemy's insertmanyvalues: a few multi-row INSERTs) returning the
    new ids, matched back to the rows by their unique (event_id, declares_error).

    Not ``sort_by_parameter_order``: SQLite does not promise RETURNING order, so SQLAlchemy
    would fall back to one INSERT per row there; the unique key makes the order moot."""
    if not rows:
        return []
    t = EpcisEvent.__table__
    statement = insert(t).returning(t.c.id, t.c.event_id, t.c.declares_error)
    ids = {
        (event_id, bool(declares_error)): pk
        for pk, event_id, declares_error in db.session.execute(statement, rows)
    }
    return [ids[(row["event_id"], row["declares_error"])] for row in rows]
