"""Every error, one place: RFC 9457 problem+json for the API, an HTML page for the UI.

Whatever failed, the request's transaction is rolled back first, so bad input never
leaves half-written data behind.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, json, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from app.epcis.problems import epcis_problem
from app.extensions import PROBLEM_JSON, db, wants_problem_json
from core.errors import DomainError
from core.i18n import _l

log = logging.getLogger(__name__)


# Lazy: an error response translates its own status's title, not all eleven (1.3 ms
# per error response when they were translated every time).
_TITLES: dict[int, Any] = {
    400: _l("The request is malformed."),
    401: _l("Authentication is required."),
    403: _l("You are not allowed to do this."),
    404: _l("Not found."),
    405: _l("This method is not allowed here."),
    409: _l("The request conflicts with the current state."),
    413: _l("The request body is too large."),
    415: _l("Unsupported media type."),
    422: _l("The data is not valid."),
    429: _l("Too many requests; slow down."),
    500: _l("Internal server error."),
}


def _title(status: int) -> str | None:
    """The status's title in the request's language, if it has one of ours."""
    title = _TITLES.get(status)
    return None if title is None else str(title)


def flatten_field_errors(messages: Any, prefix: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Turn marshmallow/webargs nested messages into a flat list naming each field.

    ``{"json": {"address": {"commune_code": ["bad"]}}}`` becomes
    ``[{"field": "address.commune_code", "pointer": "/address/commune_code",
    "location": "json", "detail": "bad"}]``.
    """
    out: list[dict[str, str]] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            out.extend(flatten_field_errors(value, (*prefix, str(key))))
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out.extend(_field_entry(prefix, m) for m in messages)
        else:
            for m in messages:
                out.extend(flatten_field_errors(m, prefix))
    else:
        out.append(_field_entry(prefix, str(messages)))
    return out


_LOCATIONS = {"json", "query", "form", "headers", "files", "path", "view_args", "cookies"}


def _field_entry(path: tuple[str, ...], detail: str) -> dict[str, str]:
    location = None
    if path and path[0] in _LOCATIONS:
        location, path = path[0], path[1:]
    parts = [p for p in path if p != "_schema"]
    entry = {
        "field": ".".join(parts),
        "pointer": "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts),
        "detail": detail,
    }
    if location:
        entry["location"] = location
    return entry


def problem(
    status: int,
    *,
    kind: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build an RFC 9457 response. ``kind`` names a problem type documented in the README."""
    if request.path.startswith("/epcis/"):
        # The EPCIS binding speaks GS1's problem vocabulary (epcisException:… types, 400 for
        # invalid input); /api/ keeps the types below.
        return epcis_problem(
            status,
            title=title or _title(status),
            detail=detail,
            errors=errors,
            headers=headers,
        )
    body: dict[str, Any] = {
        "type": (
            f"{current_app.config['PUBLIC_BASE_URL']}/problems/{kind}" if kind else "about:blank"
        ),
        "title": title or _title(status) or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _html(status: int, title: str, detail: str | None) -> tuple[str, int]:
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def handle_domain_error(error: DomainError) -> Response | tuple[str, int]:
    db.session.rollback()
    errors = [
        _field_entry(tuple(field.split(".")), msg)
        for field, msgs in error.field_errors.items()
        for msg in msgs
    ]
    detail = str(error.detail) if error.detail is not None else None
    if wants_problem_json():
        return problem(error.status, kind=error.kind, detail=detail, errors=errors or None)
    return _html(error.status, _title(error.status) or "", detail)


def handle_http_exception(error: HTTPException) -> Response | tuple[str, int]:
    db.session.rollback()
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    messages = data.get("errors") or data.get("messages")
    errors = flatten_field_errors(messages) if messages else None
    if wants_problem_json():
        kind = "validation" if errors and status in (400, 422) else None
        detail = data.get("message") or (error.description if status != 500 else None)
        if status == 404 and not data:
            detail = None  # werkzeug's generic text says nothing the title does not
        return problem(status, kind=kind, detail=detail, errors=errors, headers=headers)
    title = _title(status) or error.name
    page, code = _html(status, title, None)
    return Response(page, status=code, headers=headers, mimetype="text/html")


def handle_unexpected(error: Exception) -> Response | tuple[str, int]:
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    if isinstance(error, HTTPException):  # pragma: no cover - routed above
        return handle_http_exception(error)
    return handle_http_exception(InternalServerError())


def register(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
