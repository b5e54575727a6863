"""Signing in and out of the HTML UI.

The UI authenticates with the Flask-Login session cookie; the API never does (bearer tokens
only, see ``app.auth.current``), so an unauthenticated API call answers 401 problem+json
instead of being redirected to a login page it cannot use.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import flask_babel
from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from app.auth.limits import limit_sign_in
from app.auth.services import authenticate, end_sessions
from app.extensions import is_api_request, login_manager
from core.db import db
from core.errors import Unauthenticated
from core.i18n import _, _l

bp = Blueprint("web_auth", __name__)

# Session keys that outlive a login or logout: a language picked before signing in stays.
_KEPT_SESSION_KEYS = ("lang",)


def safe_next_url(target: str | None) -> str | None:
    """``target`` if it is a same-site relative path (``/orgs/3?x=1``), else None.

    Refuses absolute URLs, scheme-relative ``//host`` and the ``/\\host`` spelling that
    browsers read as ``//host``, and anything with control characters, so a crafted link
    cannot send a user who just signed in to another site.
    """
    if not target or len(target) > 2000:
        return None
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in target):
        return None
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def current_path() -> str:
    """The current request's path and query, for a ``next`` field that brings the user back."""
    path = request.full_path
    return path[:-1] if path.endswith("?") else path


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(message=_l("Enter your e-mail address.")),
            Length(max=254, message=_l("This e-mail address is too long.")),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Enter your password.")),
            Length(max=1024, message=_l("This password is too long.")),
        ],
    )
    next = HiddenField()


def _restart_session() -> None:
    """Start a fresh session (against session fixation), keeping the language choice."""
    kept = {key: session[key] for key in _KEPT_SESSION_KEYS if key in session}
    session.clear()
    session.update(kept)


@bp.route("/login", methods=["GET", "POST"])
@limit_sign_in
def login() -> Response | str:
    form = LoginForm()
    next_url = safe_next_url(form.next.data or request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("web_shell.home"))
    form_error: str | None = None
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            # One message whatever went wrong, so the form does not reveal which e-mail
            # addresses have accounts.
            form_error = _("Wrong e-mail or password.")
        else:
            _restart_session()
            login_user(user)
            db.session.commit()  # authenticate() stamped last_login_at (maybe rehashed)
            flask_babel.refresh()  # the user's saved language may differ from the guess
            flash(_("You are signed in."), "success")
            return redirect(next_url or url_for("web_shell.home"))
    form.next.data = next_url or ""
    form.password.data = ""
    return render_template("auth/login.html", form=form, form_error=form_error)


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        # Forgetting the cookie here is not enough: a copy of it (another tab, a stolen
        # one) must stop working too, so the server ends the user's sessions.
        end_sessions(current_user._get_current_object())  # type: ignore[attr-defined]
        db.session.commit()
    logout_user()
    _restart_session()
    flask_babel.refresh()
    flash(_("You are signed out."), "success")
    return redirect(url_for("web_shell.home"))


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """API and EPCIS callers get 401 problem+json; people get the login page."""
    if is_api_request():
        raise Unauthenticated()
    flash(_("Please sign in to see this page."), "info")
    wanted = current_path() if request.method == "GET" else None
    return redirect(url_for("web_auth.login", next=safe_next_url(wanted)))


@bp.app_errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> tuple[str, int]:
    """A form without a valid token: most often a page left open until the session ended."""
    db.session.rollback()
    detail = _(
        "The form has expired or did not come from this site. Reload the page and try again."
    )
    page = render_template(
        "errors/error.html", status=400, title=_("The request is malformed."), detail=detail
    )
    return page, 400


login_manager.login_view = "web_auth.login"
