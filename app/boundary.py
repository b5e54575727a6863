"""Request checks that run before any view, once for every route (see ``core.boundary``).

- Text in the path, a submitted form and, on the API and the EPCIS binding, the query string
  may not hold the NUL character: PostgreSQL refuses it, so it would otherwise surface as a
  500 wherever it is stored or compared. JSON bodies are checked when they are parsed
  (``core.boundary.load_json``). The HTML pages read a few known query parameters, each
  checked or cleaned where it is read (a search box drops what is not printable).
- A write to the API or the EPCIS binding without a valid token answers 401 before its body
  is read: flask-smorest parses and validates arguments before the view runs, so a check in
  the view would tell an anonymous caller what is wrong with its input first. Every write
  there needs a token (anonymous callers only read the public registry).
"""

from __future__ import annotations

from flask import Flask, request

from app.auth.current import current_actor
from app.extensions import is_api_request
from core.actor import require_authenticated
from core.boundary import nul_message, text_errors
from core.errors import ValidationFailed

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def refuse_nul_characters() -> None:
    # Each part only when the request has it: most requests (a scan, a page) have no query
    # on the API and no body, and their checks then cost no parsing.
    errors = text_errors(request.view_args.items(), "path") if request.view_args else {}
    if request.query_string and is_api_request():
        errors.update(text_errors(request.args.items(multi=True), "query"))
    if request.environ.get("CONTENT_TYPE") and request.mimetype in _FORMS:
        errors.update(text_errors(request.form.items(multi=True), "form"))
    if errors:
        raise ValidationFailed(nul_message(), field_errors=errors)


def require_token_to_write() -> None:
    """Registered on the API's and the EPCIS binding's blueprints (see the module)."""
    if request.method in _WRITES:
        require_authenticated(current_actor())


def register(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
