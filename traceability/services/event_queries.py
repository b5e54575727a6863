"""Reading captured EPCIS events: the query of ``GET /epcis/events`` and who may see what.

Parameters follow the EPCIS 2.0 REST binding (SimpleEventQuery in the URL): ``eventType``,
``GE_eventTime``/``LT_eventTime``, ``GE_recordTime``/``LT_recordTime``, ``EQ_action``,
``EQ_bizStep``, ``EQ_disposition``, ``EQ_readPoint``, ``EQ_bizLocation``, ``MATCH_epc``,
``MATCH_parentID``, ``MATCH_inputEPC``, ``MATCH_outputEPC``, ``MATCH_anyEPC``,
``MATCH_epcClass``, ``MATCH_inputEPCClass``, ``MATCH_outputEPCClass``,
``MATCH_anyEPCClass``, ``EQ_eventID``, ``EXISTS_errorDeclaration``; list values are
pipe-delimited (``eventType=ObjectEvent|TransformationEvent``). Identifiers match in canonical
form: an EPC URN, a Digital Link on any domain and an EPC pattern
(``urn:epc:idpat:sgtin:0614141.107346.*``: every serial of that GTIN) all work.

Paging is a keyset on (event_time, id) — never OFFSET — carried in an opaque
``nextPageToken``; each page is one SQL query, visibility included.

Visibility (``readable_events``): a platform admin and a national authority see every
event; a province authority sees the events captured by organisations of its province; an
organisation sees the events it captured and the events attached to batches it owns or that
were shipped to it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, exists, false, or_, select, true, tuple_
from sqlalchemy.orm import aliased

from core.actor import Actor, require_authenticated
from core.boundary import ascii_int, in_calendar
from core.db import MAX_BIGINT, db
from core.errors import NotFound, ValidationFailed
from core.i18n import _
from linkages.models.organisations import Organisation
from traceability.epcis.cbv import CbvKind, normalise_cbv
from traceability.models.batches import Batch, Shipment
from traceability.models.events import EpcisEvent, EpcRole, EventBatch, EventEpc, EventType
from traceability.services.capture import canonical_identifier

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_PER_PAGE",
    "EventFilters",
    "EventPage",
    "decode_page_token",
    "encode_page_token",
    "event_documents",
    "filtered_events",
    "parse_event_filters",
    "parse_per_page",
    "query_events",
    "readable_events",
]

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# MATCH_ parameter → the roles an identifier must stand in (EPCIS 2.0 §8.2.7.1).
MATCH_ROLES: dict[str, tuple[EpcRole, ...]] = {
    "MATCH_epc": (EpcRole.EPC, EpcRole.CHILD),
    "MATCH_parentID": (EpcRole.PARENT,),
    "MATCH_inputEPC": (EpcRole.INPUT,),
    "MATCH_outputEPC": (EpcRole.OUTPUT,),
    "MATCH_anyEPC": (
        EpcRole.EPC, EpcRole.CHILD, EpcRole.PARENT, EpcRole.INPUT, EpcRole.OUTPUT,
    ),
    "MATCH_epcClass": (EpcRole.QUANTITY, EpcRole.CHILD_QUANTITY),
    "MATCH_inputEPCClass": (EpcRole.INPUT_QUANTITY,),
    "MATCH_outputEPCClass": (EpcRole.OUTPUT_QUANTITY,),
    "MATCH_anyEPCClass": (
        EpcRole.QUANTITY, EpcRole.CHILD_QUANTITY, EpcRole.INPUT_QUANTITY,
        EpcRole.OUTPUT_QUANTITY,
    ),
}  # fmt: skip
_TIME_PARAMS = ("GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime")
_LIST_PARAMS = (
    "eventType", "EQ_action", "EQ_bizStep", "EQ_disposition", "EQ_readPoint",
    "EQ_bizLocation", "EQ_eventID",
)  # fmt: skip
_OTHER_PARAMS = ("EXISTS_errorDeclaration", "perPage", "nextPageToken", "lang")
KNOWN_PARAMS = frozenset((*MATCH_ROLES, *_TIME_PARAMS, *_LIST_PARAMS, *_OTHER_PARAMS))


@dataclass(frozen=True)
class EventFilters:
    """A parsed SimpleEventQuery; empty tuples / None mean "no condition"."""

    event_types: tuple[str, ...] = ()
    times: Mapping[str, datetime] = field(default_factory=dict)  # GE_eventTime… → UTC
    actions: tuple[str, ...] = ()
    biz_steps: tuple[str, ...] = ()
    dispositions: tuple[str, ...] = ()
    read_points: tuple[str, ...] = ()
    biz_locations: tuple[str, ...] = ()
    event_ids: tuple[str, ...] = ()
    # MATCH_ parameter → (exact canonical ids, canonical prefixes of patterns)
    matches: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    exists_error_declaration: bool = False


@dataclass
class EventPage:
    events: list[dict[str, Any]]
    next_token: str | None


# --------------------------------------------------------------------------- parameters


def _values(args: Mapping[str, Sequence[str]], name: str) -> tuple[str, ...]:
    """All values of a (repeatable, pipe-delimited) parameter, blanks dropped."""
    out: list[str] = []
    for raw in args.get(name, ()):
        out.extend(v.strip() for v in raw.split("|") if v.strip())
    return tuple(dict.fromkeys(out))


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace(" ", "+"))  # '+' decoded as a space
    except ValueError:
        return None
    # Years 1 and 9999 overflow when shifted to UTC; no event lies that far anyway.
    if moment.tzinfo is None or not in_calendar(moment.date()):
        return None
    return moment.astimezone(UTC)


def _match_values(values: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    exact: list[str] = []
    prefixes: list[str] = []
    for value in values:
        canonical = canonical_identifier(value)
        if value.startswith("urn:epc:idpat:") and value.endswith("*"):
            # A pattern names a class: every instance below its canonical Digital Link.
            prefixes.append(canonical.rstrip("/") + "/")
        exact.append(canonical)
    return tuple(dict.fromkeys(exact)), tuple(dict.fromkeys(prefixes))


def parse_event_filters(args: Mapping[str, Sequence[str]]) -> EventFilters:
    """Parse query-string parameters (name → list of raw values). Unknown parameters and
    malformed values raise ``ValidationFailed`` naming the parameter (GS1 answers a query
    it does not understand with an error rather than ignoring a condition)."""
    errors: dict[str, list[str]] = {}
    for name in args:
        if name not in KNOWN_PARAMS:
            errors[name] = [_("This query parameter is not supported.")]
    times: dict[str, datetime] = {}
    for name in _TIME_PARAMS:
        values = _values(args, name)
        if values:
            moment = _parse_time(values[-1])
            if moment is None:
                errors[name] = [_("Expected a date-time with a time-zone offset.")]
            else:
                times[name] = moment
    event_types = _values(args, "eventType")
    known_types = {t.value for t in EventType}
    for value in event_types:
        if value not in known_types:
            errors.setdefault("eventType", []).append(
                _("Unknown event type: %(value)s.", value=value)
            )
    exists_decl = False
    if "EXISTS_errorDeclaration" in args:
        raw = (args["EXISTS_errorDeclaration"] or [""])[-1].strip().lower()
        exists_decl = raw in ("", "true", "1")
    if errors:
        raise ValidationFailed(_("The query is not valid."), field_errors=errors)
    return EventFilters(
        event_types=event_types,
        times=times,
        actions=_values(args, "EQ_action"),
        biz_steps=tuple(
            normalise_cbv(v, CbvKind.BIZ_STEP) or v for v in _values(args, "EQ_bizStep")
        ),
        dispositions=tuple(
            normalise_cbv(v, CbvKind.DISPOSITION) or v for v in _values(args, "EQ_disposition")
        ),
        read_points=tuple(canonical_identifier(v) for v in _values(args, "EQ_readPoint")),
        biz_locations=tuple(canonical_identifier(v) for v in _values(args, "EQ_bizLocation")),
        event_ids=_values(args, "EQ_eventID"),
        matches={
            name: _match_values(values)
            for name in MATCH_ROLES
            if (values := _values(args, name))
        },
        exists_error_declaration=exists_decl,
    )


def parse_per_page(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_PER_PAGE
    number = ascii_int(raw)
    if number is None or not 1 <= number <= MAX_PER_PAGE:
        raise ValidationFailed(
            _("The query is not valid."),
            field_errors={
                "perPage": [_("Expected a whole number from 1 to %(max)d.", max=MAX_PER_PAGE)]
            },
        )
    return number


# --------------------------------------------------------------------------- page tokens


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def encode_page_token(event_time: datetime, pk: int) -> str:
    """Opaque to clients: the (event_time, id) of the last event of the page."""
    raw = f"{_micros(event_time)}.{pk}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_page_token(token: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        micros, pk = raw.split(".")
        moment, row = _EPOCH + timedelta(microseconds=int(micros)), int(pk)
        if not (in_calendar(moment.date()) and 0 < row <= MAX_BIGINT):
            raise ValueError("page token out of range")
        return moment, row
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError) as error:
        raise ValidationFailed(
            _("The query is not valid."),
            field_errors={"nextPageToken": [_("This page token is not valid.")]},
        ) from error


# --------------------------------------------------------------------------- SQL


def readable_events(actor: Actor) -> ColumnElement[bool]:
    """WHERE clause: the events this actor may read (see the module docstring)."""
    if actor.is_admin or (actor.is_authority and actor.province_code is None):
        return true()
    clauses: list[ColumnElement[bool]] = []
    if actor.is_authority:
        clauses.append(
            EpcisEvent.organisation_id.in_(
                select(Organisation.id).where(Organisation.province_code == actor.province_code)
            )
        )
    org_id = actor.organisation_id
    if org_id is not None:
        clauses.append(EpcisEvent.organisation_id == org_id)
        # Only while the shipment stands: once its shipping is withdrawn, the addressee is
        # a stranger to the lot again (as the batch pages have it, ``live_shipment_clause``).
        ship_event = aliased(EpcisEvent)
        shipped_to_org = (
            select(Shipment.batch_id)
            .join(ship_event, ship_event.id == Shipment.ship_event_pk)
            .where(Shipment.to_organisation_id == org_id, ship_event.retracted_at.is_(None))
        )
        clauses.append(
            exists(
                select(EventBatch.event_pk)
                .join(Batch, Batch.id == EventBatch.batch_id)
                .where(
                    EventBatch.event_pk == EpcisEvent.id,
                    or_(Batch.organisation_id == org_id, Batch.id.in_(shipped_to_org)),
                )
            )
        )
    return or_(*clauses) if clauses else false()


def _match_clause(name: str, exact: tuple[str, ...], prefixes: tuple[str, ...]) -> Any:
    roles = MATCH_ROLES[name]
    wanted = [EventEpc.epc.in_(exact)]
    wanted.extend(EventEpc.epc.startswith(p, autoescape=True) for p in prefixes)
    return exists(
        select(EventEpc.event_pk).where(
            EventEpc.event_pk == EpcisEvent.id,
            EventEpc.role.in_(roles),
            or_(*wanted),
        )
    )


def filtered_events(actor: Actor, filters: EventFilters) -> Select[Any]:
    """SELECT of the visible events matching ``filters``, in (event_time, id) order."""
    e = EpcisEvent
    query = select(e.id, e.event_time, e.document).where(readable_events(actor))
    if filters.event_types:
        query = query.where(e.event_type.in_(filters.event_types))
    times = filters.times
    if "GE_eventTime" in times:
        query = query.where(e.event_time >= times["GE_eventTime"])
    if "LT_eventTime" in times:
        query = query.where(e.event_time < times["LT_eventTime"])
    if "GE_recordTime" in times:
        query = query.where(e.record_time >= times["GE_recordTime"])
    if "LT_recordTime" in times:
        query = query.where(e.record_time < times["LT_recordTime"])
    for column, values in (
        (e.action, filters.actions),
        (e.biz_step, filters.biz_steps),
        (e.disposition, filters.dispositions),
        (e.read_point, filters.read_points),
        (e.biz_location, filters.biz_locations),
        (e.event_id, filters.event_ids),
    ):
        if values:
            query = query.where(column.in_(values))
    for name, (exact, prefixes) in filters.matches.items():
        query = query.where(_match_clause(name, exact, prefixes))
    if filters.exists_error_declaration:
        query = query.where(e.declares_error.is_(True))
    return query.order_by(e.event_time, e.id)


def query_events(
    actor: Actor, filters: EventFilters, *, per_page: int = DEFAULT_PER_PAGE,
    page_token: str | None = None,
) -> EventPage:
    """One page of events (their stored EPCIS documents) and the token of the next page."""
    require_authenticated(actor)
    query = filtered_events(actor, filters)
    if page_token:
        after_time, after_pk = decode_page_token(page_token)
        query = query.where(tuple_(EpcisEvent.event_time, EpcisEvent.id) > (after_time, after_pk))
    rows = db.session.execute(query.limit(per_page + 1)).all()
    next_token = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_token = encode_page_token(rows[-1].event_time, rows[-1].id)
    return EventPage(events=[row.document for row in rows], next_token=next_token)


def event_documents(actor: Actor, event_id: str) -> list[dict[str, Any]]:
    """The event with this eventID and its error declaration, if any (``GET /events/{id}``).

    Each organisation is its own repository, so two may hold the same eventID: the actor's
    own organisation's event comes first, else the first recorded one it may read; its
    declaration is the one of the same organisation. ``NotFound`` when there is none the
    actor may read."""
    require_authenticated(actor)
    own = EpcisEvent.organisation_id == actor.organisation_id
    query = (
        select(EpcisEvent.organisation_id, EpcisEvent.document)
        .where(EpcisEvent.event_id == event_id, readable_events(actor))
        .order_by(case((own, 0), else_=1), EpcisEvent.id)
    )
    rows = db.session.execute(query).all()
    if not rows:
        raise NotFound(_("No such event."))
    owner = rows[0].organisation_id
    documents = [row.document for row in rows if row.organisation_id == owner]
    return sorted(documents, key=lambda d: "errorDeclaration" in d)
