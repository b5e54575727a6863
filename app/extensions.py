"""Flask extensions, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Response
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer

from core.db import db

__all__ = [
    "MACHINE_PATHS",
    "PROBES",
    "PROBLEM_JSON",
    "PUBLIC_BLUEPRINTS",
    "CookieSessions",
    "babel",
    "csrf",
    "db",
    "is_api_request",
    "is_probe",
    "is_public_request",
    "limiter",
    "login_manager",
    "migrate",
    "wants_problem_json",
]

# Public GETs: what a consumer's phone (a scanned label: the resolver's /01/…, /p/…, then
# the trace page /trace/…) and a load balancer (/healthz, /readyz) ask for. Nobody is
# signed in there: they never load the user nor read the session for it, so their answers
# depend on the URL and Accept-Language only (no ``Vary: Cookie``: a cache may share them)
# and cost no session decoding, no user query. By blueprint, so an unmatched URL (404) is
# not one of them. Sessions still work there for what needs no user: the report form's
# CSRF token.
PUBLIC_BLUEPRINTS = frozenset({"health", "resolver", "public"})
# Probes carry no rate limit and never will: the limiter is not even asked about them.
PROBES = frozenset({"health"})


def is_public_request() -> bool:
    """Is this a request for a public page or probe (``PUBLIC_BLUEPRINTS``)?"""
    return request.blueprint in PUBLIC_BLUEPRINTS


def is_probe() -> bool:
    return request.blueprint in PROBES


class _LoginManager(LoginManager):
    """Flask-Login, skipping public requests (``PUBLIC_BLUEPRINTS``): there the user is
    anonymous whatever the cookie says, and the remember-cookie bookkeeping after each
    response, which reads the session (so answers ``Vary: Cookie``), does not run. Nothing
    signs in or out on a public page, so that bookkeeping has nothing to do there."""

    def _load_user(self) -> None:
        if is_public_request():
            return self._update_request_context_with_user()  # anonymous
        return super()._load_user()  # type: ignore[no-any-return]

    def _update_remember_cookie(self, response: Response) -> Response:
        if is_public_request():
            return response
        return super()._update_remember_cookie(response)  # type: ignore[no-any-return]


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the per-request cost taken out of the common
    case. Flask builds the signing serializer anew on every request, cookie or not; here it
    is built once per secret key (and fallbacks), and a request without any cookie (a
    scanning phone, a probe) gets its empty session without parsing cookies. A response
    whose session nobody read or changed, and is not permanent, returns at once: Flask
    would reach the same decision (no ``Set-Cookie``, no ``Vary``) after working out six
    cookie settings."""

    def __init__(self) -> None:
        self._serializer: tuple[Any, URLSafeTimedSerializer | None] | None = None

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if app.secret_key and not request.environ.get("HTTP_COOKIE"):
            return self.session_class()
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = self._serializer = (keys, super().get_signing_serializer(app))
        return cached[1]

    def save_session(
        self, app: Flask, session: SecureCookieSession, response: Response  # type: ignore[override]
    ) -> None:
        # ``session.permanent`` would mark the session accessed: read the key itself.
        if not (session.accessed or session.modified or dict.get(session, "_permanent")):
            return
        super().save_session(app, session, response)


migrate = Migrate()
login_manager = _LoginManager()
babel = Babel()
csrf = CSRFProtect()
# Limits apply only where a route asks for one (public pages, login); storage is memory://
# for a single process and Redis (RATELIMIT_STORAGE_URI) once several workers share limits.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
limiter.request_filter(is_probe)  # probes: no limit to look up (see PROBES)


PROBLEM_JSON = "application/problem+json"
# Machine interfaces: bearer tokens, no session or CSRF, problem+json errors.
MACHINE_PATHS = ("/api/", "/epcis/")


def is_api_request() -> bool:
    """Is this request for the JSON API or the EPCIS binding (rather than a page)?"""
    return request.path.startswith(MACHINE_PATHS)


def wants_problem_json() -> bool:
    """API and EPCIS paths always answer problem+json; the HTML UI answers pages."""
    return is_api_request() or request.accept_mimetypes.best == PROBLEM_JSON
