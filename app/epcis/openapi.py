"""The OpenAPI 3.1 description of the EPCIS 2.0 binding, served at ``/epcis/openapi.json``.

``/api/openapi.json`` (flask-smorest) documents the JSON API; the binding under ``/epcis/`` is
plain Flask (``app.epcis.views``) speaking GS1's vocabulary, so it gets its own document,
written here from the same constants the views use: the GS1 exception names, the headers,
the capture limits and the query parameters (``event_queries.KNOWN_PARAMS``). A test checks
that every route under ``/epcis/`` is described and that the document is valid OpenAPI 3.1.

The event and document bodies are described loosely (what the binding itself checks first);
their full shape is GS1's EPCIS 2.0 JSON schema, linked from each of them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Response, jsonify

from app.epcis.problems import (
    ALREADY_EXISTS,
    CAPTURE_LIMIT_EXCEEDED,
    DEFAULT_CAPTURE_FILE_SIZE_LIMIT,
    DEFAULT_CAPTURE_LIMIT,
    IMPLEMENTATION,
    NO_SUCH_NAME,
    NOT_ACCEPTABLE,
    QUERY_VALIDATION,
    SECURITY,
    UNSUPPORTED_MEDIA_TYPE,
    URI_TOO_LONG,
    VALIDATION,
)
from app.epcis.views import CBV_VERSION, EPCIS_VERSION, bp
from traceability.epcis.validation import EVENT_TYPES
from traceability.services.event_queries import DEFAULT_PER_PAGE, KNOWN_PARAMS, MAX_PER_PAGE

__all__ = ["QUERY_PARAMETERS", "epcis_openapi"]

GS1_SCHEMA_URL = "https://ref.gs1.org/standards/epcis/epcis-json-schema.json"
GS1_OPENAPI_URL = "https://ref.gs1.org/standards/epcis/openapi.json"
_JSON_TYPES = ("application/json", "application/ld+json")
_PROBLEM_JSON = "application/problem+json"

_PIPES = " Several values are separated by `|` (any of them matches)."
_IDS = (
    " An EPC URI, a GS1 Digital Link URI on any domain or an EPC pattern "
    "(`urn:epc:idpat:sgtin:0614141.107346.*`); identifiers match in canonical form." + _PIPES
)
# GET /epcis/events: SimpleEventQuery parameters (EPCIS 2.0 §8.2.7.1) this server understands.
QUERY_PARAMETERS: dict[str, tuple[str, dict[str, Any]]] = {
    "eventType": (
        "Event types, e.g. `ObjectEvent|TransformationEvent`." + _PIPES,
        {"type": "string"},
    ),
    "GE_eventTime": ("Events at or after this time (RFC 3339 with offset).", {"type": "string"}),
    "LT_eventTime": ("Events before this time (RFC 3339 with offset).", {"type": "string"}),
    "GE_recordTime": ("Events captured at or after this time.", {"type": "string"}),
    "LT_recordTime": ("Events captured before this time.", {"type": "string"}),
    "EQ_action": ("`ADD`, `OBSERVE` or `DELETE`." + _PIPES, {"type": "string"}),
    "EQ_bizStep": ("Business steps: CBV bare word, web URI or URN." + _PIPES, {"type": "string"}),
    "EQ_disposition": (
        "Dispositions: CBV bare word, web URI or URN." + _PIPES,
        {"type": "string"},
    ),
    "EQ_readPoint": ("Read points (SGLN or Digital Link)." + _PIPES, {"type": "string"}),
    "EQ_bizLocation": ("Business locations (SGLN or Digital Link)." + _PIPES, {"type": "string"}),
    "EQ_eventID": ("Event IDs (e.g. `ni:///sha-256;…?ver=CBV2.0`)." + _PIPES, {"type": "string"}),
    "EXISTS_errorDeclaration": (
        "Only events that carry an error declaration (`true`, or empty).",
        {"type": "string"},
    ),
    "MATCH_epc": ("Instances in epcList or childEPCs." + _IDS, {"type": "string"}),
    "MATCH_parentID": ("The parent (parentID)." + _IDS, {"type": "string"}),
    "MATCH_inputEPC": ("Instances in inputEPCList." + _IDS, {"type": "string"}),
    "MATCH_outputEPC": ("Instances in outputEPCList." + _IDS, {"type": "string"}),
    "MATCH_anyEPC": ("An instance in any role." + _IDS, {"type": "string"}),
    "MATCH_epcClass": ("Classes in quantityList or childQuantityList." + _IDS, {"type": "string"}),
    "MATCH_inputEPCClass": ("Classes in inputQuantityList." + _IDS, {"type": "string"}),
    "MATCH_outputEPCClass": ("Classes in outputQuantityList." + _IDS, {"type": "string"}),
    "MATCH_anyEPCClass": ("A class in any quantity list." + _IDS, {"type": "string"}),
    "perPage": (
        f"Events per page (default {DEFAULT_PER_PAGE}, at most {MAX_PER_PAGE}).",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
    ),
    "nextPageToken": (
        "The opaque token of the next page, from the `Link` header of the previous one.",
        {"type": "string"},
    ),
    "lang": ("Language of error messages: `vi` or `en`.", {"type": "string", "enum": ["vi", "en"]}),
}

# Problem responses: component name -> (status, GS1 exception type, description).
_PROBLEMS: dict[str, tuple[int, str, str]] = {
    "ValidationException": (
        400,
        VALIDATION,
        "The document or event is not valid EPCIS 2.0 (GS1's JSON schema and CBV), or a "
        "header is: `errors` names each failing JSON path. Nothing was stored.",
    ),
    "QueryValidationException": (
        400,
        QUERY_VALIDATION,
        "A query parameter is unknown or malformed: `errors` names it.",
    ),
    "SecurityException401": (
        401,
        SECURITY,
        "A valid bearer token is required (`Authorization: Bearer <token>`).",
    ),
    "SecurityException403": (
        403,
        SECURITY,
        "The token's user may not capture (e.g. an authority, or no organisation).",
    ),
    "NoSuchNameException": (404, NO_SUCH_NAME, "No event with this eventID is visible."),
    "NotAcceptableException": (
        406,
        NOT_ACCEPTABLE,
        "`GS1-EPCIS-Version` asks for a version other than 2.0, or `Accept` allows no JSON.",
    ),
    "ResourceAlreadyExistsException": (
        409,
        ALREADY_EXISTS,
        "An event with this eventID (given, or its event hash) is already captured.",
    ),
    "CaptureLimitExceededException": (
        413,
        CAPTURE_LIMIT_EXCEEDED,
        "More events, or more bytes, than `GS1-EPCIS-Capture-Limit` / "
        "`GS1-EPCIS-Capture-File-Size-Limit` announce.",
    ),
    "URITooLongException": (414, URI_TOO_LONG, "The URL is too long."),
    "UnsupportedMediaTypeException": (
        415,
        UNSUPPORTED_MEDIA_TYPE,
        "The body is not EPCIS JSON (`application/json` or `application/ld+json`).",
    ),
    "ImplementationException": (
        500,
        IMPLEMENTATION,
        "The server failed; nothing was stored.",
    ),
}

_VERSION_HEADERS = (
    "GS1-EPCIS-Version",
    "GS1-EPCIS-Min",
    "GS1-EPCIS-Max",
    "GS1-CBV-Version",
    "GS1-CBV-Min",
    "GS1-CBV-Max",
)
_LIMIT_HEADERS = ("GS1-EPCIS-Capture-Limit", "GS1-EPCIS-Capture-File-Size-Limit")


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _headers(*names: str) -> dict[str, Any]:
    return {name: _ref("headers", name) for name in (*_VERSION_HEADERS, *names)}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {media: {"schema": schema} for media in _JSON_TYPES}


def _problems(*names: str) -> dict[str, Any]:
    return {str(_PROBLEMS[name][0]): _ref("responses", name) for name in names}


def _schemas() -> dict[str, Any]:
    gs1 = {"description": "GS1's EPCIS 2.0 JSON schema", "url": GS1_SCHEMA_URL}
    return {
        "EPCISEvent": {
            "type": "object",
            "description": "One EPCIS 2.0 event in JSON/JSON-LD. Without an `eventID` it gets "
            "the EPCIS event hash ID (`ni:///sha-256;…?ver=CBV2.0`). CBV values may be bare "
            "words, web URIs or URNs (stored as the bare word); extension fields need a "
            "namespace prefix declared in `@context` (keys nested inside one need none).",
            "required": ["type", "eventTime", "eventTimeZoneOffset"],
            "properties": {
                "@context": {"description": "Needed on an event sent alone (POST /events)."},
                "type": {"type": "string", "enum": list(EVENT_TYPES)},
                "eventID": {"type": "string", "format": "uri"},
                "eventTime": {"type": "string", "format": "date-time"},
                "eventTimeZoneOffset": {"type": "string", "examples": ["+07:00"]},
                "recordTime": {"type": "string", "format": "date-time", "readOnly": True},
            },
            "additionalProperties": True,
            "externalDocs": gs1,
        },
        "EPCISDocument": {
            "type": "object",
            "description": "An EPCISDocument (or an EPCISQueryDocument) to capture.",
            "required": ["@context", "type", "schemaVersion", "creationDate", "epcisBody"],
            "properties": {
                "@context": {},
                "type": {"type": "string", "enum": ["EPCISDocument", "EPCISQueryDocument"]},
                "schemaVersion": {"type": "string", "examples": ["2.0"]},
                "creationDate": {"type": "string", "format": "date-time"},
                "epcisBody": {
                    "type": "object",
                    "properties": {
                        "eventList": {"type": "array", "items": _ref("schemas", "EPCISEvent")}
                    },
                },
            },
            "additionalProperties": True,
            "externalDocs": gs1,
        },
        "EPCISQueryDocument": {
            "type": "object",
            "description": "Query results: `epcisBody.queryResults.resultsBody.eventList`.",
            "required": ["@context", "type", "schemaVersion", "creationDate", "epcisBody"],
            "properties": {
                "@context": {},
                "type": {"const": "EPCISQueryDocument"},
                "schemaVersion": {"type": "string"},
                "creationDate": {"type": "string", "format": "date-time"},
                "epcisBody": {
                    "type": "object",
                    "required": ["queryResults"],
                    "properties": {
                        "queryResults": {
                            "type": "object",
                            "required": ["queryName", "resultsBody"],
                            "properties": {
                                "queryName": {"const": "SimpleEventQuery"},
                                "resultsBody": {
                                    "type": "object",
                                    "required": ["eventList"],
                                    "properties": {
                                        "eventList": {
                                            "type": "array",
                                            "items": _ref("schemas", "EPCISEvent"),
                                        }
                                    },
                                },
                            },
                        }
                    },
                },
            },
            "externalDocs": gs1,
        },
        "FieldError": {
            "type": "object",
            "required": ["field", "pointer", "detail"],
            "properties": {
                "field": {
                    "type": "string",
                    "description": "Dotted path, e.g. `epcisBody.eventList.3.eventTime`.",
                },
                "pointer": {"type": "string", "description": "The same as a JSON pointer."},
                "detail": {"type": "string"},
            },
        },
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem; `type` is GS1's exception name.",
            "required": ["type", "title", "status", "detail", "instance"],
            "properties": {
                "type": {
                    "type": "string",
                    "enum": sorted({kind for _, kind, _ in _PROBLEMS.values()} | {"about:blank"}),
                },
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string"},
                "errors": {"type": "array", "items": _ref("schemas", "FieldError")},
            },
        },
        "CaptureJob": {
            "type": "object",
            "description": "GS1's CaptureJob, finished (capture is synchronous), with the "
            "status of every event in document order.",
            "required": [
                "running",
                "success",
                "captureErrorBehaviour",
                "errors",
                "eventCount",
                "capturedCount",
                "duplicateCount",
                "errorCount",
                "events",
            ],
            "properties": {
                "running": {"const": False},
                "success": {"type": "boolean", "description": "No event was refused."},
                "captureErrorBehaviour": {"type": "string", "enum": ["rollback", "proceed"]},
                "createdAt": {"type": "string", "format": "date-time"},
                "finishedAt": {"type": "string", "format": "date-time"},
                "errors": {
                    "type": "array",
                    "description": "One problem per refused event (with `proceed`).",
                    "items": {
                        "type": "object",
                        "required": ["type", "title", "status", "detail", "index"],
                        "properties": {
                            "type": {"const": VALIDATION},
                            "title": {"type": "string"},
                            "status": {"const": 400},
                            "detail": {"type": "string"},
                            "index": {"type": "integer", "minimum": 0},
                            "eventID": {"type": ["string", "null"]},
                            "errors": {"type": "array", "items": _ref("schemas", "FieldError")},
                        },
                    },
                },
                "eventCount": {"type": "integer", "minimum": 0},
                "capturedCount": {"type": "integer", "minimum": 0},
                "duplicateCount": {"type": "integer", "minimum": 0},
                "errorCount": {"type": "integer", "minimum": 0},
                "duplicates": {"type": "array", "items": {"type": "string"}},
                "events": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["index", "eventID", "status"],
                        "properties": {
                            "index": {"type": "integer", "minimum": 0},
                            "eventID": {"type": ["string", "null"]},
                            "status": {"enum": ["captured", "duplicate", "error"]},
                            "location": {"type": "string"},
                            "errorDeclaration": {"type": "boolean"},
                            "type": {"const": VALIDATION},
                            "errors": {"type": "array", "items": _ref("schemas", "FieldError")},
                        },
                    },
                },
            },
        },
    }


def _header_components() -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "GS1-EPCIS-Version": {"description": "EPCIS version of the response.", "schema": text},
        "GS1-EPCIS-Min": {"description": "Lowest EPCIS version served.", "schema": text},
        "GS1-EPCIS-Max": {"description": "Highest EPCIS version served.", "schema": text},
        "GS1-CBV-Version": {"description": "CBV version of the response.", "schema": text},
        "GS1-CBV-Min": {"description": "Lowest CBV version served.", "schema": text},
        "GS1-CBV-Max": {"description": "Highest CBV version served.", "schema": text},
        "GS1-EPCIS-Capture-Limit": {
            "description": "Most events accepted per capture call "
            f"(default {DEFAULT_CAPTURE_LIMIT}; config EPCIS_CAPTURE_LIMIT).",
            "schema": {"type": "integer"},
        },
        "GS1-EPCIS-Capture-File-Size-Limit": {
            "description": "Largest body accepted, in bytes "
            f"(default {DEFAULT_CAPTURE_FILE_SIZE_LIMIT}; config EPCIS_CAPTURE_FILE_SIZE_LIMIT).",
            "schema": {"type": "integer"},
        },
        "GS1-Capture-Error-Behaviour": {
            "description": "`all`: both `rollback` and `proceed` are supported.",
            "schema": text,
        },
        "Link": {
            "description": 'The next page: `<url>; rel="next"` (absent on the last page).',
            "schema": text,
        },
        "Location": {"description": "The URL of the captured event.", "schema": text},
    }


def _parameter_components() -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "GS1-EPCIS-Version": {
            "name": "GS1-EPCIS-Version",
            "in": "header",
            "description": "The EPCIS version the client speaks; anything but 2.x is 406.",
            "schema": {"type": "string", "examples": [EPCIS_VERSION]},
        },
        "GS1-Capture-Error-Behaviour": {
            "name": "GS1-Capture-Error-Behaviour",
            "in": "header",
            "description": "`rollback` (default): one invalid event refuses the whole "
            "document, nothing stored. `proceed`: the valid events are stored and each "
            "refused one is listed with its errors.",
            "schema": {"type": "string", "enum": ["rollback", "proceed"], "default": "rollback"},
        },
        "eventID": {
            "name": "eventID",
            "in": "path",
            "required": True,
            "description": "The eventID, percent-encoded as one path segment.",
            "schema": {"type": "string"},
        },
    }
    for name, (description, schema) in QUERY_PARAMETERS.items():
        parameters[name] = {
            "name": name,
            "in": "query",
            "description": description,
            "schema": schema,
        }
    return parameters


def _response_components() -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for name, (status, kind, description) in _PROBLEMS.items():
        schema = {"allOf": [_ref("schemas", "Problem")], "properties": {"type": {"const": kind}}}
        extra = _LIMIT_HEADERS if status == 413 else ()
        responses[name] = {
            "description": f"`{kind}`: {description}",
            "headers": _headers(*extra),
            "content": {_PROBLEM_JSON: {"schema": schema}},
        }
    responses["QueryResults"] = {
        "description": "An EPCISQueryDocument.",
        "headers": _headers("Link"),
        "content": _json(_ref("schemas", "EPCISQueryDocument")),
    }
    responses["CaptureJob"] = {
        "description": "The finished capture job.",
        "headers": _headers(*_LIMIT_HEADERS),
        "content": _json(_ref("schemas", "CaptureJob")),
    }
    return responses


_COMMON = ("NotAcceptableException", "ImplementationException")
_VERSION = _ref("parameters", "GS1-EPCIS-Version")


def _paths() -> dict[str, Any]:
    capture = {
        "options": {
            "operationId": "captureDiscovery",
            "summary": "Capture limits and supported error behaviours",
            "security": [{}, {"bearerAuth": []}],
            "responses": {
                "204": {
                    "description": "No body; the headers say what capture accepts.",
                    "headers": _headers("GS1-Capture-Error-Behaviour", *_LIMIT_HEADERS),
                }
            },
        },
        "get": {
            "operationId": "captureJobs",
            "summary": "Capture jobs (always empty: capture is synchronous)",
            "parameters": [_VERSION],
            "responses": {
                "200": {
                    "description": "An empty list.",
                    "headers": _headers(*_LIMIT_HEADERS),
                    "content": _json({"type": "array", "maxItems": 0}),
                },
                **_problems("SecurityException401", "SecurityException403", *_COMMON),
            },
        },
        "post": {
            "operationId": "capture",
            "summary": "Capture an EPCIS document",
            "description": "Validates every event (GS1's JSON schema and CBV), assigns the "
            "event hash ID to events without an eventID, and stores them, idempotently: "
            "an event already stored is a `duplicate`. `201` when something new was "
            "stored, `200` when nothing was (e.g. the same document again).",
            "parameters": [_ref("parameters", "GS1-Capture-Error-Behaviour"), _VERSION],
            "requestBody": {
                "required": True,
                "content": _json(_ref("schemas", "EPCISDocument")),
            },
            "responses": {
                "200": _ref("responses", "CaptureJob"),
                "201": _ref("responses", "CaptureJob"),
                **_problems(
                    "ValidationException",
                    "SecurityException401",
                    "SecurityException403",
                    "CaptureLimitExceededException",
                    "UnsupportedMediaTypeException",
                    *_COMMON,
                ),
            },
        },
    }
    events = {
        "get": {
            "operationId": "queryEvents",
            "summary": "Query events (SimpleEventQuery)",
            "description": "The events the caller may see, oldest first, one page at a "
            "time; follow the `Link` header (`nextPageToken`) to the next page.",
            "parameters": [_VERSION, *(_ref("parameters", name) for name in QUERY_PARAMETERS)],
            "responses": {
                "200": _ref("responses", "QueryResults"),
                **_problems(
                    "QueryValidationException",
                    "SecurityException401",
                    "URITooLongException",
                    *_COMMON,
                ),
            },
        },
        "post": {
            "operationId": "captureEvent",
            "summary": "Capture one event",
            "parameters": [_VERSION],
            "requestBody": {"required": True, "content": _json(_ref("schemas", "EPCISEvent"))},
            "responses": {
                "201": {
                    "description": "The event as stored (with its eventID and recordTime).",
                    "headers": _headers("Location", *_LIMIT_HEADERS),
                    "content": _json(_ref("schemas", "EPCISEvent")),
                },
                **_problems(
                    "ValidationException",
                    "SecurityException401",
                    "SecurityException403",
                    "ResourceAlreadyExistsException",
                    "CaptureLimitExceededException",
                    "UnsupportedMediaTypeException",
                    *_COMMON,
                ),
            },
        },
    }
    one_event = {
        "get": {
            "operationId": "getEvent",
            "summary": "One event (and its error declaration, if any)",
            "parameters": [_ref("parameters", "eventID"), _VERSION],
            "responses": {
                "200": _ref("responses", "QueryResults"),
                **_problems(
                    "SecurityException401", "NoSuchNameException", "URITooLongException", *_COMMON
                ),
            },
        }
    }
    this_document = {
        "get": {
            "operationId": "openapi",
            "summary": "This description",
            "security": [{}],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
    return {
        "/epcis/capture": capture,
        "/epcis/events": events,
        "/epcis/events/{eventID}": one_event,
        "/epcis/openapi.json": this_document,
    }


@lru_cache(maxsize=1)
def epcis_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the binding (built once; nothing in it varies)."""
    undocumented = KNOWN_PARAMS - QUERY_PARAMETERS.keys()
    if undocumented:  # a new query parameter must be described here
        raise RuntimeError(f"undocumented EPCIS query parameters: {sorted(undocumented)}")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "HTX Trace EPCIS 2.0 binding",
            "version": EPCIS_VERSION,
            "description": "The GS1 EPCIS 2.0 REST binding (capture and event queries) "
            f"with CBV {CBV_VERSION}, as served under `/epcis/`. Authentication is the "
            "API's bearer token. Errors are RFC 9457 problems whose `type` is GS1's "
            "exception name. See GS1's own description of the whole binding for the "
            "parts not served here (subscriptions, named queries, XML).",
        },
        "externalDocs": {"description": "GS1 EPCIS 2.0 OpenAPI", "url": GS1_OPENAPI_URL},
        "security": [{"bearerAuth": []}],
        "tags": [{"name": "EPCIS 2.0", "description": "Capture and query EPCIS events."}],
        "paths": {
            path: {
                method: {"tags": ["EPCIS 2.0"], **operation}
                for method, operation in operations.items()
            }
            for path, operations in _paths().items()
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The same personal API tokens as /api/.",
                }
            },
            "schemas": _schemas(),
            "parameters": _parameter_components(),
            "headers": _header_components(),
            "responses": _response_components(),
        },
    }


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """The binding's OpenAPI document (public, like ``/api/openapi.json``)."""
    return jsonify(epcis_openapi())
