"""The GS1 EPCIS 2.0 REST binding under ``/epcis/`` (capture and event queries).

Authentication is the API's: ``Authorization: Bearer <token>`` only (``app.auth.current``
treats ``/epcis/`` as API), so CSRF does not apply.

Errors are RFC 9457 problem+json in GS1's vocabulary (``epcis_problem``; ``app.errors`` hands
every problem under ``/epcis/`` to it, routing errors and 500s included): the ``type`` is the
binding's exception name, e.g. ``epcisException:ValidationException``, with ``title``,
``status``, ``detail``, ``instance``, and the failing JSON paths in an ``errors`` extension
member (``[{field, pointer, detail}]``). Invalid documents and events are ``400
ValidationException`` (on ``POST /capture`` and ``POST /events``), bad query parameters on
``GET /events`` are ``400 QueryValidationException``, then ``401``/``403
SecurityException``, ``404 NoSuchNameException`` (the name GS1's OpenAPI schema allows; its
example says NoSuchResourceException), ``406 NotAcceptableException`` (an EPCIS version
other than 2.0, or an ``Accept`` that excludes JSON), ``409 ResourceAlreadyExistsException``,
``413 CaptureLimitExceededException``, ``414 URITooLongException``, ``415
UnsupportedMediaTypeException`` and ``5xx ImplementationException``. Statuses GS1 names no
type for (405, 429) stay ``about:blank``. ``/api/`` keeps its own problem types.

Capture is synchronous. GS1 lets a server answer ``POST /capture`` with ``202`` and a capture
job to poll; here the job is done by the time the response leaves, so the response *is* the
finished job: ``201 Created`` (``200`` when nothing new was stored, e.g. a re-sent document)
with a CaptureJob body (``running: false``, ``success``, ``captureErrorBehaviour``,
``errors``) extended with the status of every event (see ``_capture_body``). With the default
``rollback`` behaviour an invalid event refuses the whole document with a 400
ValidationException problem naming each failing JSON path, and nothing is stored; with
``proceed`` each refused event carries the same ``type`` in the reply, and ``errors`` holds
one problem per refused event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from flask import Blueprint, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.auth.current import current_actor
from app.boundary import require_token_to_write
from app.epcis.problems import (
    VALIDATION,
    capture_file_size_limit,
    capture_limit,
    epcis_problem,
    exception_titles,
    limit_headers,
)
from app.extensions import csrf
from core.actor import Actor, require_authenticated
from core.boundary import load_json
from core.db import db
from core.errors import DomainError
from core.i18n import _
from traceability.epcis.validation import EPCIS_CONTEXT_URL, EVENT_LIST_PATHS
from traceability.services.capture import (
    DocumentCapture,
    capture_document,
    format_record_time,
    require_capturer,
)
from traceability.services.capture import capture_event as capture_one_event
from traceability.services.event_queries import (
    event_documents,
    parse_event_filters,
    parse_per_page,
    query_events,
)

bp = Blueprint("epcis", __name__, url_prefix="/epcis")
# Bearer tokens only, never cookies: cross-site request forgery cannot drive this API.
csrf.exempt(bp)
# 401 before anything about the request (its version, its body) is looked at.
bp.before_request(require_token_to_write)

EPCIS_VERSION = "2.0.0"
CBV_VERSION = "2.0.0"
_JSON_TYPES = ("application/json", "application/ld+json")
_BEHAVIOURS = ("rollback", "proceed")


# --------------------------------------------------------------------------- headers


@bp.after_request
def _version_headers(response: Response) -> Response:
    """GS1-EPCIS-Version / GS1-CBV-Version on every response of the binding."""
    headers = response.headers
    headers["GS1-EPCIS-Version"] = EPCIS_VERSION
    headers["GS1-CBV-Version"] = CBV_VERSION
    headers["GS1-EPCIS-Min"] = EPCIS_VERSION
    headers["GS1-EPCIS-Max"] = EPCIS_VERSION
    headers["GS1-CBV-Min"] = CBV_VERSION
    headers["GS1-CBV-Max"] = CBV_VERSION
    return response


def _too_large(detail: str) -> Response:
    return epcis_problem(413, detail=detail)


def _json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    response = Response(orjson.dumps(body), status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


class _NotAcceptable(DomainError):
    status = 406
    kind = "not-acceptable"


@bp.before_request
def _negotiate() -> None:
    """406 for an EPCIS version other than 2.x, or an ``Accept`` that allows no JSON."""
    if request.method == "OPTIONS":
        return
    asked = request.headers.get("GS1-EPCIS-Version")
    if asked and not asked.strip().startswith("2"):
        raise _NotAcceptable(
            _("Only EPCIS 2.0 is supported."),
            field_errors={"GS1-EPCIS-Version": [_("Only EPCIS 2.0 is supported.")]},
        )
    accept = request.accept_mimetypes
    if accept and accept.best_match(_JSON_TYPES) is None:
        raise _NotAcceptable(
            _("Responses are EPCIS JSON (application/json or application/ld+json)."),
            field_errors={"Accept": [_("Accept application/json or application/ld+json.")]},
        )


# --------------------------------------------------------------------------- request bodies


def _read_body() -> bytes | Response:
    """The raw body, or a 413 problem when it is above the announced size limit."""
    limit = capture_file_size_limit()
    if request.content_length is not None and request.content_length > limit:
        return _too_large(
            _("The document is larger than %(limit)d bytes.", limit=limit)
        )
    request.max_content_length = limit  # also bounds a chunked body (Flask ≥ 3.1)
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _too_large(_("The document is larger than %(limit)d bytes.", limit=limit))
    if len(body) > limit:
        return _too_large(_("The document is larger than %(limit)d bytes.", limit=limit))
    return body


def _parse_json(body: bytes) -> Any:
    """The body as JSON, read as the API reads it (``core.boundary.load_json``): at most
    ``MAX_JSON_DEPTH`` levels and no NUL character, else a 400 ValidationException."""
    mimetype = request.mimetype
    if mimetype and mimetype not in _JSON_TYPES:
        raise _UnsupportedMediaType(
            _("Send EPCIS JSON (application/json or application/ld+json).")
        )
    return load_json(body)


class _UnsupportedMediaType(DomainError):
    status = 415
    kind = "unsupported-media-type"


def _behaviour() -> str:
    value = request.headers.get("GS1-Capture-Error-Behaviour", "rollback").strip().lower()
    if value not in _BEHAVIOURS:
        raise DomainError(
            _("Unknown capture error behaviour."),
            field_errors={
                "GS1-Capture-Error-Behaviour": [_("Must be rollback or proceed.")]
            },
        )
    return value


def _event_count(doc: Any) -> int:
    if not isinstance(doc, dict):
        return 0
    node: Any = doc
    for part in EVENT_LIST_PATHS.get(doc.get("type"), ()):  # type: ignore[arg-type]
        node = node.get(part) if isinstance(node, dict) else None
    return len(node) if isinstance(node, list) else 0


def _error_list(errors: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    return [
        {"field": key, "pointer": "/" + key.replace(".", "/") if key else "", "detail": str(m)}
        for key, messages in errors.items()
        for m in messages
    ]


# Percent-encoding of one path segment for ASCII text (what quote(value, safe="") does), four
# times faster: a capture reply carries the URL of every event it stored.
_NOT_UNRESERVED = re.compile(r"[^A-Za-z0-9_.~-]")
_ESCAPES = {chr(c): f"%{c:02X}" for c in range(128)}


def _escape(match: re.Match[str]) -> str:
    return _ESCAPES[match.group()]


def quote_segment(value: str) -> str:
    return _NOT_UNRESERVED.sub(_escape, value) if value.isascii() else quote(value, safe="")


def event_location(event_id: str) -> str:
    """The URL of an event: its eventID percent-encoded as one path segment."""
    return f"{request.script_root}/epcis/events/{quote_segment(event_id)}"


# --------------------------------------------------------------------------- capture


@bp.route("/capture", methods=["OPTIONS"], provide_automatic_options=False)
def capture_options() -> Response:
    """Discovery (GS1): versions, limits, and both error behaviours supported."""
    response = Response(status=204)
    response.headers["Allow"] = "OPTIONS, GET, POST"
    response.headers["GS1-Capture-Error-Behaviour"] = "all"
    response.headers.update(limit_headers())
    return response


@bp.get("/capture")
def capture_jobs() -> Response:
    """Capture here is synchronous: no job outlives its request, so the list is empty."""
    require_capturer(current_actor())
    return _json_response([], headers=limit_headers())


@bp.post("/capture")
def capture() -> Response:
    actor = current_actor()
    require_capturer(actor)  # 403 before the body is read (the service checks it again)
    body = _read_body()
    if isinstance(body, Response):
        return body
    doc = _parse_json(body)
    count = _event_count(doc)
    if count > capture_limit():
        return _too_large(
            _("The document holds %(count)d events; at most %(limit)d are accepted per call.",
              count=count, limit=capture_limit())
        )
    behaviour = _behaviour()
    created_at = format_record_time(datetime.now(UTC))
    captured = capture_document(actor, doc, proceed=behaviour == "proceed")
    db.session.commit()
    reply = _capture_body(captured, behaviour, created_at)
    status = 201 if reply["capturedCount"] else 200
    return _json_response(reply, status, limit_headers())


def _capture_body(captured: DocumentCapture, behaviour: str, created_at: str) -> dict[str, Any]:
    """The finished capture job (GS1 CaptureJob fields) plus one entry per event, in
    document order: ``{"index", "eventID", "status", "location"}`` where status is
    ``captured``, ``duplicate`` (already stored: nothing written) or ``error`` (only
    possible with ``proceed``; with the ``type`` a rollback would have answered,
    ``epcisException:ValidationException``, and the failing JSON paths in ``errors``).

    The job's own ``errors`` are what GS1's CaptureJob holds: one RFC 9457 problem per
    refused event (``type``, ``title``, ``status``, ``detail``), here with the event's
    ``index``, ``eventID`` and JSON-path ``errors`` as extension members."""
    entries: list[dict[str, Any]] = []
    events = captured.events
    problems: list[dict[str, Any]] = []
    title, detail = exception_titles()[VALIDATION], _("The EPCIS event is not valid.")
    for index in range(len(events)):
        result = captured.outcomes.get(index)
        if result is None:
            errors = _error_list(captured.errors.get(index) or {})
            event = events[index]
            event_id = event.get("eventID") if isinstance(event, dict) else None
            entries.append(
                {"index": index, "eventID": event_id, "status": "error", "type": VALIDATION,
                 "errors": errors}
            )
            problems.append(
                {"type": VALIDATION, "title": title, "status": 400, "detail": detail,
                 "index": index, "eventID": event_id, "errors": errors}
            )
            continue
        entry: dict[str, Any] = {"index": index, "eventID": result.event_id,
                                 "status": result.status}
        if result.declares_error:
            entry["errorDeclaration"] = True
        if result.event_id:
            entry["location"] = event_location(result.event_id)
        entries.append(entry)
    counts = {s: sum(1 for e in entries if e["status"] == s)
              for s in ("captured", "duplicate", "error")}
    return {
        "running": False,
        "success": counts["error"] == 0,
        "captureErrorBehaviour": behaviour,
        "createdAt": created_at,
        "finishedAt": format_record_time(datetime.now(UTC)),
        "errors": problems,
        "eventCount": len(entries),
        "capturedCount": counts["captured"],
        "duplicateCount": counts["duplicate"],
        "errorCount": counts["error"],
        "duplicates": [e["eventID"] for e in entries if e["status"] == "duplicate"],
        "events": entries,
    }


# --------------------------------------------------------------------------- events


@bp.post("/events")
def capture_event() -> Response:
    """One event (GS1 "synchronous capture interface for a single event"): 201 + Location;
    409 when an event with the same eventID is already stored."""
    actor = current_actor()
    require_capturer(actor)  # 403 before the body is read (the service checks it again)
    body = _read_body()
    if isinstance(body, Response):
        return body
    stored = capture_one_event(actor, _parse_json(body))
    db.session.commit()
    headers = {"Location": event_location(stored.event_id), **limit_headers()}
    return _json_response(stored.document, 201, headers)


def _query_document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": [EPCIS_CONTEXT_URL],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": format_record_time(datetime.now(UTC)),
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": events},
            }
        },
    }


@bp.get("/events")
def list_events() -> Response:
    actor: Actor = current_actor()
    require_authenticated(actor)  # 401 before any word about the query
    filters = parse_event_filters(request.args.to_dict(flat=False))
    per_page = parse_per_page(request.args.get("perPage"))
    page = query_events(
        actor, filters, per_page=per_page, page_token=request.args.get("nextPageToken")
    )
    headers: dict[str, str] = {}
    if page.next_token:
        args = request.args.to_dict(flat=False)
        args["nextPageToken"] = [page.next_token]
        args["perPage"] = [str(per_page)]
        headers["Link"] = f'<{request.base_url}?{urlencode(args, doseq=True)}>; rel="next"'
    return _json_response(_query_document(page.events), headers=headers)


@bp.get("/events/<path:event_id>", merge_slashes=False)
def get_event(event_id: str) -> Response:
    """The event with this (percent-encoded) eventID and its error declaration, if any."""
    return _json_response(_query_document(event_documents(current_actor(), event_id)))
