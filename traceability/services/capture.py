"""Storing EPCIS 2.0 events: the one write path for every event, whoever produced it.

``store_events`` is shared by the EPCIS REST binding (``POST /epcis/capture``, ``/events``)
and the cooperative-friendly business services (harvest, ship, transform…), which build
their event, validate it, and pass the batch effects and genealogy links they worked out.

What it does, for a list of N events, in a handful of statements whatever N is:

1. gives every event its ``eventID`` (the EPCIS 2.0 event hash when absent) and the server's
   ``recordTime``;
2. finds, in one ``WHERE event_id IN (…)`` query per chunk, which events are already stored:
   a re-sent event (same ``eventID``, same "is an error declaration") is a *duplicate* and
   nothing is written for it — so re-sending a document is harmless;
3. finds, in one query per chunk, the batches whose ``canonical_id`` an event names (any
   spelling: EPC URN, Digital Link on any domain) and attaches the event to them, refusing a
   batch that the actor's organisation neither owns nor received by a shipment;
4. writes the events (one ``executemany`` with ``RETURNING`` for their ids), their
   identifiers in canonical form, the batch effects and the genealogy links;
5. marks the original of each error declaration as retracted (never edits or deletes it).

All or nothing by default: one refused event refuses the whole call (``CaptureRefused``, a
422 whose field errors name the JSON path). With ``proceed=True`` the valid events are
stored and the refused ones reported. It never commits: the caller commits once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import delete, insert, select, update

from core.actor import Actor, require_authenticated
from core.db import db, utcnow
from core.errors import Forbidden, ValidationFailed
from core.i18n import _
from traceability.digital_link import canonical_uri
from traceability.epcis.hashing import canonical_digital_link, event_hash_id
from traceability.models.batches import Batch, BatchLink, Shipment
from traceability.models.events import EpcisEvent, EpcRole, EventBatch, EventEpc

__all__ = [
    "BatchEffect",
    "CaptureRefused",
    "CaptureResult",
    "Link",
    "PreparedEvent",
    "canonical_identifier",
    "event_identifiers",
    "format_record_time",
    "parse_event_time",
    "require_capturer",
    "store_events",
]

# Rows per IN (...) lookup: far below SQLite's bound-parameter limit.
CHUNK = 500

Status = Literal["captured", "duplicate", "error"]


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
    """

    event: dict[str, Any]
    effects: Sequence[BatchEffect] = ()
    links: Sequence[Link] = ()
    path: str = ""


@dataclass
class CaptureResult:
    index: int  # position in the ``items`` given to ``store_events``
    status: Status
    event_id: str | None
    pk: int | None  # the stored row (the existing one for a duplicate)
    errors: dict[str, list[str]] = field(default_factory=dict)
    declares_error: bool = False


class CaptureRefused(ValidationFailed):
    """All-or-nothing capture refused because some events are invalid: nothing was written.

    ``results`` gives every event's status (the refused ones carry their errors).
    """

    def __init__(self, results: list[CaptureResult]) -> None:
        merged: dict[str, list[str]] = {}
        for result in results:
            for key, messages in result.errors.items():
                merged.setdefault(key, []).extend(messages)
        super().__init__(_("Some events cannot be captured; nothing was stored."),
                         field_errors=merged)
        self.results = results


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


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


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
    *,
    proceed: bool = False,
) -> list[CaptureResult]:
    """Store validated EPCIS events (see the module docstring). Never commits.

    ``context`` is the enclosing document's ``@context`` (for the hash ID and for the
    namespaces of extension fields). Raises ``CaptureRefused`` when not ``proceed`` and any
    event is refused; ``Forbidden`` when the actor may not capture at all.
    """
    require_capturer(actor)
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
                "organisation_id": actor.organisation_id,
                "captured_by_id": actor.user_id or None,
                "retracted_at": None,
            }
        )
        epcs.append(list(event_identifiers(event)))
        results.append(CaptureResult(index, "captured", event_id, None,
                                     declares_error=declares_error))

    # 2. Duplicates: already stored, or earlier in this same call.
    existing = _existing_events({r["event_id"] for r in rows})
    seen: dict[tuple[str, bool], int] = {}
    for index, row in enumerate(rows):
        key = (row["event_id"], row["declares_error"])
        if key in existing:
            results[index].status = "duplicate"
            results[index].pk = existing[key][0]
        elif key in seen:
            results[index].status = "duplicate"  # pk filled in once the first is written
        else:
            seen[key] = index
    fresh = [i for i, r in enumerate(results) if r.status == "captured"]

    # 3. Error declarations may only withdraw the actor's organisation's own events.
    if not actor.is_admin:
        for index in fresh:
            row = rows[index]
            original = existing.get((row["event_id"], False))
            if row["declares_error"] and original and original[1] != actor.organisation_id:
                path = _join(items[index].path, "errorDeclaration")
                results[index].errors[path] = [
                    _("Only the organisation that captured an event can declare it erroneous.")
                ]

    # 4. Batches named by the events, and whether the actor may attach events to them.
    batches = _batches_named({epc for i in fresh for _, epc, _ in epcs[i]})
    allowed = _attachable_batches(actor, batches)
    attach: dict[int, dict[int, Decimal]] = {}
    for index in fresh:
        effects: dict[int, Decimal] = {}
        for effect in items[index].effects:
            effects[effect.batch_id] = effects.get(effect.batch_id, Decimal(0)) + Decimal(
                effect.quantity_kg
            )
        for _role, epc, path in epcs[index]:
            batch = batches.get(epc)
            if batch is None:
                continue
            if batch[0] not in allowed:
                results[index].errors.setdefault(_join(items[index].path, path), []).append(
                    _("This identifier is a batch of another organisation that was not "
                      "shipped to yours.")
                )
            else:
                effects.setdefault(batch[0], Decimal(0))
        attach[index] = effects
    for index in fresh:
        if results[index].errors:
            results[index].status = "error"

    if any(r.status == "error" for r in results) and not proceed:
        raise CaptureRefused(results)

    # 5. Write.
    to_write = [i for i in fresh if results[i].status == "captured"]
    declared = {k for k in existing if k[1]}  # originals whose declaration is already here
    for index in to_write:
        row = rows[index]
        if not row["declares_error"] and (row["event_id"], True) in declared:
            row["retracted_at"] = now
    pks = _insert_events([rows[i] for i in to_write])
    for index, pk in zip(to_write, pks, strict=True):
        results[index].pk = pk
    for index, result in enumerate(results):
        if result.status == "duplicate" and result.pk is None:
            first = seen[(rows[index]["event_id"], rows[index]["declares_error"])]
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

    retracted = sorted({rows[i]["event_id"] for i in to_write if rows[i]["declares_error"]})
    events = EpcisEvent.__table__
    for chunk in _chunks(retracted):
        session.execute(
            update(events)
            .where(
                events.c.event_id.in_(chunk),
                events.c.declares_error.is_(False),
                events.c.retracted_at.is_(None),
            )
            .values(retracted_at=now)
        )
        # batch_links is the LIVE genealogy, derived from the events: a withdrawn event's
        # edges leave it (the event itself, with its inputs and outputs, stays as recorded),
        # so that every lineage walk reads the edge index alone instead of checking each
        # edge's event (bench/lineage.py: that check cost ~40% of a recall on SQLite).
        session.execute(
            delete(BatchLink.__table__).where(
                BatchLink.event_pk.in_(
                    select(events.c.id).where(
                        events.c.event_id.in_(chunk), events.c.declares_error.is_(False)
                    )
                )
            )
        )
    return results


def _existing_events(event_ids: Iterable[str]) -> dict[tuple[str, bool], tuple[int, int | None]]:
    """(eventID, declares_error) → (pk, capturing organisation) of the stored rows."""
    found: dict[tuple[str, bool], tuple[int, int | None]] = {}
    t = EpcisEvent.__table__
    for chunk in _chunks(sorted(event_ids)):
        query = select(t.c.event_id, t.c.declares_error, t.c.id, t.c.organisation_id).where(
            t.c.event_id.in_(chunk)
        )
        for event_id, declares_error, pk, org_id in db.session.execute(query):
            found[(event_id, bool(declares_error))] = (pk, org_id)
    return found


def _batches_named(identifiers: set[str]) -> dict[str, tuple[int, int]]:
    """canonical id → (batch id, owning organisation) for the identifiers that are batches."""
    found: dict[str, tuple[int, int]] = {}
    t = Batch.__table__
    for chunk in _chunks(sorted(identifiers)):
        query = select(t.c.canonical_id, t.c.id, t.c.organisation_id).where(
            t.c.canonical_id.in_(chunk)
        )
        for canonical_id, batch_id, org_id in db.session.execute(query):
            found[canonical_id] = (batch_id, org_id)
    return found


def _attachable_batches(actor: Actor, batches: dict[str, tuple[int, int]]) -> set[int]:
    """Batches an event of this actor may name: its organisation's own, and those shipped
    to it (one query for the latter)."""
    if actor.is_admin:
        return {batch_id for batch_id, _ in batches.values()}
    own = {b for b, org in batches.values() if actor.acts_for(org)}
    others = sorted({b for b, org in batches.values() if not actor.acts_for(org)})
    for chunk in _chunks(others):
        query = select(Shipment.batch_id).where(
            Shipment.batch_id.in_(chunk),
            Shipment.to_organisation_id == actor.organisation_id,
        )
        own.update(db.session.scalars(query))
    return own


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
