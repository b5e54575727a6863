"""GS1's exception vocabulary for problems under ``/epcis/``, and the announced capture limits.

Apart from the views so that ``app.errors`` hands every ``/epcis/`` problem here (routing
errors and 500s included) without importing the views, which import ``app.errors``'s
neighbours in turn: one direction only.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from flask import Response, current_app, request

from app.extensions import PROBLEM_JSON
from core.i18n import _

# Announced in GS1-EPCIS-Capture-Limit / GS1-EPCIS-Capture-File-Size-Limit and enforced with
# a 413 problem; settable with the EPCIS_CAPTURE_LIMIT / EPCIS_CAPTURE_FILE_SIZE_LIMIT config.
DEFAULT_CAPTURE_LIMIT = 10_000  # events per request
DEFAULT_CAPTURE_FILE_SIZE_LIMIT = 16 * 1024 * 1024  # bytes


def capture_limit() -> int:
    return int(current_app.config.get("EPCIS_CAPTURE_LIMIT", DEFAULT_CAPTURE_LIMIT))


def capture_file_size_limit() -> int:
    return int(
        current_app.config.get("EPCIS_CAPTURE_FILE_SIZE_LIMIT", DEFAULT_CAPTURE_FILE_SIZE_LIMIT)
    )


def limit_headers() -> dict[str, str]:
    return {
        "GS1-EPCIS-Capture-Limit": str(capture_limit()),
        "GS1-EPCIS-Capture-File-Size-Limit": str(capture_file_size_limit()),
    }


# GS1's exception names (components.responses of the binding's OpenAPI): the problem ``type``.
VALIDATION = "epcisException:ValidationException"
QUERY_VALIDATION = "epcisException:QueryValidationException"
SECURITY = "epcisException:SecurityException"
NO_SUCH_NAME = "epcisException:NoSuchNameException"
NOT_ACCEPTABLE = "epcisException:NotAcceptableException"
ALREADY_EXISTS = "epcisException:ResourceAlreadyExistsException"
CAPTURE_LIMIT_EXCEEDED = "epcisException:CaptureLimitExceededException"
URI_TOO_LONG = "epcisException:URITooLongException"
UNSUPPORTED_MEDIA_TYPE = "epcisException:UnsupportedMediaTypeException"
IMPLEMENTATION = "epcisException:ImplementationException"

_TYPES = {
    400: VALIDATION,
    401: SECURITY,
    403: SECURITY,
    404: NO_SUCH_NAME,
    406: NOT_ACCEPTABLE,
    409: ALREADY_EXISTS,
    413: CAPTURE_LIMIT_EXCEEDED,
    414: URI_TOO_LONG,
    415: UNSUPPORTED_MEDIA_TYPE,
}
# Endpoints whose 400s are about the query rather than a document or an event.
_QUERY_ENDPOINTS = frozenset({"epcis.list_events"})


def exception_titles() -> dict[str, str]:
    """Titles of the types whose generic HTTP title would say less (others keep it)."""
    return {
        VALIDATION: _("The data is not valid."),
        QUERY_VALIDATION: _("The query is not valid."),
        NOT_ACCEPTABLE: _("This EPCIS version or response format is not available."),
        CAPTURE_LIMIT_EXCEEDED: _("The capture exceeds the announced limits."),
        URI_TOO_LONG: _("The URL is too long."),
    }


def _default_details() -> dict[int, str]:
    """``detail`` when the error itself gave none (every EPCIS problem carries one)."""
    return {
        401: _("Send an API token: Authorization: Bearer <token>."),
        404: _("There is no such EPCIS resource."),
        500: _("The server failed to handle the request; nothing was stored."),
    }


def problem_type(status: int) -> str:
    """GS1's exception name for an error status of this request (``about:blank`` when GS1
    names none, e.g. 405 and 429)."""
    if status == 400 and request.endpoint in _QUERY_ENDPOINTS:
        return QUERY_VALIDATION
    if status >= 500:
        return IMPLEMENTATION
    return _TYPES.get(status, "about:blank")


def epcis_problem(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An RFC 9457 problem in the binding's terms (see the module docstring).

    ``app.errors.problem`` calls this for every request under ``/epcis/``. Invalid input is
    ``400`` here, never ``422``: GS1 answers every validation failure with ``400``."""
    if status == 422:
        status = 400
    kind = problem_type(status)
    title = exception_titles().get(kind) or title or HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": kind,
        "title": title,
        "status": status,
        "detail": detail or _default_details().get(status) or title,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    response = Response(orjson.dumps(body), status=status, mimetype=PROBLEM_JSON)
    if status == 413:
        response.headers.update(limit_headers())
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
