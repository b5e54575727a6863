"""Flask extensions, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from core.db import db

__all__ = [
    "MACHINE_PATHS",
    "PROBLEM_JSON",
    "babel",
    "csrf",
    "db",
    "is_api_request",
    "limiter",
    "login_manager",
    "migrate",
    "wants_problem_json",
]

migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
# Limits apply only where a route asks for one (public pages, login); storage is memory://
# for a single process and Redis (RATELIMIT_STORAGE_URI) once several workers share limits.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


PROBLEM_JSON = "application/problem+json"
# Machine interfaces: bearer tokens, no session or CSRF, problem+json errors.
MACHINE_PATHS = ("/api/", "/epcis/")


def is_api_request() -> bool:
    """Is this request for the JSON API or the EPCIS binding (rather than a page)?"""
    return request.path.startswith(MACHINE_PATHS)


def wants_problem_json() -> bool:
    """API and EPCIS paths always answer problem+json; the HTML UI answers pages."""
    return is_api_request() or request.accept_mimetypes.best == PROBLEM_JSON
