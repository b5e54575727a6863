"""The UI shell: home page, organisation switcher, language switch, and what every page's
header needs to know (the user, their organisations, the language)."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from app.auth.current import ORG_SESSION_KEY, current_actor
from app.web.auth import current_path, safe_next_url
from core.boundary import ascii_int
from core.db import db
from core.errors import NotFound
from core.i18n import _
from linkages.models.organisations import Organisation

log = logging.getLogger(__name__)
bp = Blueprint("web_shell", __name__)

# Each language names itself, so that someone who cannot read the current one finds theirs.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def _back() -> Response:
    """Redirect to the form's ``next`` (same site only), else home."""
    return redirect(safe_next_url(request.form.get("next")) or "/")


def _user_organisations() -> list[Organisation]:
    ids = [m.organisation_id for m in current_user.memberships]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)
        )
    )


@bp.app_template_global("get_locale")
def _template_locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


@bp.app_context_processor
def shell_context() -> dict[str, Any]:
    """The header's data: the user's organisations, the one acted for, the languages."""
    organisations: list[Organisation] = []
    current_org: Organisation | None = None
    if current_user.is_authenticated:
        try:
            organisations = _user_organisations()
            acting_id = current_actor().organisation_id
            current_org = next((o for o in organisations if o.id == acting_id), None)
        except SQLAlchemyError:
            # An error page must still render when the database is what failed.
            log.warning("shell context unavailable", exc_info=True)
            db.session.rollback()
    return {
        "shell_organisations": organisations,
        "shell_current_org": current_org,
        "shell_languages": [
            (code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]
        ],
        "shell_next": _return_path(),
    }


def _return_path() -> str:
    """Where the header's forms come back to: this page, unless it answers only POSTs
    (a failed form post of a GET-able page comes back to that page, without its query)."""
    if request.method == "GET":
        return current_path()
    rule = request.url_rule
    if rule is not None and rule.methods and "GET" in rule.methods:
        return request.path
    return "/"


@bp.get("/")
def home() -> str:
    if not current_user.is_authenticated:
        return render_template("shell/landing.html")
    return render_template("shell/home.html")


@bp.post("/switch-org")
@login_required
def switch_org() -> Response:
    """Act for another of the user's organisations; any other id is 'not found'."""
    org_id = ascii_int(request.form.get("org_id"))
    if org_id is None or org_id not in {m.organisation_id for m in current_user.memberships}:
        raise NotFound()
    organisation = db.session.get(Organisation, org_id)
    if organisation is None:
        raise NotFound()
    session[ORG_SESSION_KEY] = org_id
    flash(_("You are now working for %(name)s.", name=organisation.name), "success")
    return _back()


@bp.post("/lang")
def set_language() -> Response:
    """Remember the language in the session and, for a signed-in user, on the account."""
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return _back()
