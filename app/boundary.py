"""Request checks that run before any view, once for every route (see ``core.boundary``).

- Text in the path, a submitted form and, on the API and the EPCIS binding, the query string
  may not hold the NUL character: PostgreSQL refuses it, so it would otherwise surface as a
  500 wherever it is stored or compared. JSON bodies are checked when they are parsed
  (``core.boundary.load_json``). The HTML pages read a few known query parameters, each
  checked or cleaned where it is read (a search box drops what is not printable).
- A file upload may be larger than ``MAX_CONTENT_LENGTH`` (a contract's signed scan, a
  product's photo from a phone's camera): ``UPLOAD_LIMITS`` names those endpoints and the
  setting of each one's limit, set before anything reads the body (the CSRF check reads
  the form before any view or blueprint hook runs).
- A write to the API or the EPCIS binding without a valid token answers 401 before its body
  is read: flask-smorest parses and validates arguments before the view runs, so a check in
  the view would tell an anonymous caller what is wrong with its input first. Every write
  there needs a token (anonymous callers only read the public registry).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request

from app.auth.current import current_actor
from app.extensions import is_api_request
from core.actor import require_authenticated
from core.boundary import nul_message, text_errors
from core.errors import ValidationFailed

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Endpoints that take a file upload, and the setting holding its largest size in bytes.
UPLOAD_LIMITS = {
    "api_contracts.Attachments": "CONTRACT_ATTACHMENT_MAX_BYTES",
    "web_contracts.attach": "CONTRACT_ATTACHMENT_MAX_BYTES",
    "api_products.ProductImage": "PRODUCT_IMAGE_MAX_BYTES",
    "web_products.set_image": "PRODUCT_IMAGE_MAX_BYTES",
}
UPLOAD_ENVELOPE = 64 * 1024  # the multipart envelope and the other fields around the file
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


def allow_large_uploads(endpoint: str | None, _values: Any) -> None:
    """A url_value_preprocessor: they run before every ``before_request`` hook."""
    setting = UPLOAD_LIMITS.get(endpoint or "")
    if setting is not None and request.method in _WRITES:
        request.max_content_length = int(current_app.config[setting]) + UPLOAD_ENVELOPE


def register(app: Flask) -> None:
    app.url_value_preprocessor(allow_large_uploads)
    app.before_request(refuse_nul_characters)
