"""Interactive API documentation: Swagger UI over ``/api/openapi.json``.

flask-smorest can serve Swagger UI itself, but only from a CDN; pages here must work offline
and under a CSP that refuses inline and foreign scripts, so the assets are vendored in
``static/vendor/swagger-ui`` and started by ``static/js/api-docs.js``.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_babel import get_locale

# Not "api-docs": flask-smorest already owns that name (it serves openapi.json).
bp = Blueprint("api_docs_ui", __name__)


@bp.get("/api/docs")
def docs():  # type: ignore[no-untyped-def]
    return render_template(
        "api/docs.html", spec_url=url_for("api-docs.openapi_json"), lang=str(get_locale())
    )
