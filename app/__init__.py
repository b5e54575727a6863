"""HTX Trace: the Flask application factory."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app import config as settings
from app.extensions import (
    CookieSessions,
    babel,
    csrf,
    db,
    is_api_request,
    is_public_request,
    limiter,
    login_manager,
    migrate,
)
from core.db import MAX_BIGINT, MAX_INTEGER, MAX_SMALLINT

ROOT = Path(__file__).resolve().parent.parent
_LOCALISED_TYPES = frozenset({"text/html", "application/problem+json"})
# On every response unless the view set its own: (lower-case name, name, value).
SECURITY_HEADERS = tuple(
    (name.lower(), name, value)
    for name, value in (
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        (
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'",
        ),
    )
)


class RowIdConverter(IntegerConverter):
    """``<int:…>``: ASCII digits up to what an INTEGER column holds (32-bit on PostgreSQL,
    as most keys are). A bigger number names no row, so the URL matches no route (404)
    instead of reaching the driver, which cannot bind it (a 500). ``<bigint:…>`` is for
    BIGINT keys, ``<smallint:…>`` for SMALLINT ones (a year)."""

    regex = r"[0-9]+"  # \d would also take other scripts' digits
    column_max = MAX_INTEGER

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", self.column_max)
        super().__init__(map, *args, **kwargs)


class BigRowIdConverter(RowIdConverter):
    column_max = MAX_BIGINT


class SmallIntConverter(RowIdConverter):
    column_max = MAX_SMALLINT


class HtxFlask(Flask):
    """Flask, with each function's sync check made once. ``ensure_sync`` runs for every
    hook and the view of every request (ten and more here), and asking ``inspect`` whether
    a function is a coroutine costs about a microsecond each time: some 8% of what
    ``/healthz`` costs (bench/RESULTS.md, 2026-12-07). Flask documents the method as the one
    to override; the answer for a function never changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Any, Any] = {}

    def ensure_sync(self, func: Any) -> Any:
        try:
            return self._synced[func]
        except KeyError:
            synced = self._synced[func] = super().ensure_sync(func)
            return synced
        except TypeError:  # an unhashable callable: asked every time, as Flask does
            return super().ensure_sync(func)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides what the environment says (tests pass theirs)."""
    app = HtxFlask(
        __name__,
        instance_path=os.environ.get("HTX_INSTANCE_PATH", str(ROOT / "instance")),
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
    )
    # Before any route exists: every <int:…> in a URL is a row id.
    app.url_map.converters["int"] = RowIdConverter
    app.url_map.converters["bigint"] = BigRowIdConverter
    app.url_map.converters["smallint"] = SmallIntConverter
    app.config.update(settings.DEFAULTS)
    app.config.update(settings.from_environment(app.instance_path))
    app.config.update(config or {})
    settings.check(app.config)
    if app.config["TRUSTED_PROXY_COUNT"]:
        # Behind a reverse proxy the client address (rate limits, logs) is in X-Forwarded-*;
        # trust exactly as many hops as the operator says, never more.
        n = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=app.config["LOG_LEVEL"])

    app.session_interface = CookieSessions()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    _check_method_before_exemptions(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    _import_models()
    with app.app_context():
        _configure_sqlite(db.engine)

    from app import boundary, errors, health, static_files

    errors.register(app)
    boundary.register(app)
    static_files.register(app)  # fingerprinted, pre-compressed, far-future cached
    app.register_blueprint(health.bp)

    from app import api, web

    api.register(app)
    # The API authenticates with bearer tokens only, never cookies: CSRF does not apply.
    csrf.exempt("app.api")
    for blp in app.blueprints.values():
        if blp.name.startswith("api_"):
            csrf.exempt(blp)
    web.register(app)
    from app.auth.limits import limit_epcis

    limit_epcis(app.blueprints["epcis"])

    from app import commands

    commands.register(app)

    from app.auth.current import save_token_use

    app.teardown_request(save_token_use)

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        headers = response.headers
        # One pass over the few headers there are (``setdefault`` scans them per name).
        present = {name.lower() for name, _value in headers}
        for lower, name, value in SECURITY_HEADERS:
            if lower not in present:
                headers.add(name, value)
        # Only what people read is negotiated; probes and JSON data stay free of the cost
        # of working out a locale (session, user lookup) on every call.
        if response.mimetype in _LOCALISED_TYPES:
            headers["Content-Language"] = str(get_locale())
            response.vary.add("Accept-Language")
        return response

    return app


def _csrf_protect() -> None:
    """Flask-WTF's check of every unsafe request (exempt views and blueprints aside)."""
    config = current_app.config
    if (
        config["WTF_CSRF_ENABLED"]
        and config["WTF_CSRF_CHECK_DEFAULT"]
        and request.method in config["WTF_CSRF_METHODS"]
    ):
        csrf.protect(apply_exemptions=True)


def _check_method_before_exemptions(app: Flask) -> None:
    """Put ``_csrf_protect`` in the place of Flask-WTF's own hook, which looks up the view's
    and blueprint's exemptions on every request before it asks whether the method is one
    that needs a token. Same outcome (``protect`` checks the method too and the lookups
    have no effect), without the lookups on GETs. Left alone should Flask-WTF change."""
    hooks = app.before_request_funcs.setdefault(None, [])
    for i, hook in enumerate(hooks):
        if getattr(hook, "__module__", "") == "flask_wtf.csrf" and (
            getattr(hook, "__name__", "") == "csrf_protect"
        ):
            hooks[i] = _csrf_protect
            return


def _import_models() -> None:
    """Import every model module so the metadata is complete (migrations, create_all)."""
    import app.auth.current  # registers the Flask-Login user loader
    import app.auth.models  # noqa: F401
    import linkages.models  # noqa: F401
    import traceability.models  # noqa: F401
    from linkages.indicator.sides import keep_sides
    from linkages.indicator.tallies import keep_tallies

    keep_tallies()  # the volume tallies follow every write of lots and deliveries
    keep_sides()  # the contracts' sides follow every write of their parties


def select_locale() -> str:
    """``?lang=``, then the session's choice, the user's saved choice, Accept-Language, and
    the default. API calls are stateless (bearer tokens): they skip the session and user;
    so do public pages (``PUBLIC_BLUEPRINTS``: the resolver, the trace page), whose language
    is the URL's (their language links set ``?lang=``) or the browser's, never a cookie's."""
    config = current_app.config
    languages = config["LANGUAGES"]
    if not has_request_context():  # CLI commands render in the default language
        return config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang")
    if chosen in languages:
        return chosen
    if not (is_api_request() or is_public_request()):
        if session.get("lang") in languages:
            return session["lang"]
        saved = getattr(current_user, "locale", None) if current_user else None
        if saved in languages:
            return saved
    header = request.headers.get("Accept-Language", "")
    return _best_language(header, tuple(languages)) or config["BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=256)
def _best_language(header: str, languages: tuple[str, ...]) -> str | None:
    """Accept-Language's best match among ``languages``. Kept per header text: browsers
    send a handful of distinct headers, and parsing one costs more than a scan's page."""
    return parse_accept_header(header, LanguageAccept).best_match(languages)


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _may_write() -> bool:
    """Outside a request (CLI, seeders) or for an unsafe HTTP method."""
    return not has_request_context() or request.method not in _SAFE_METHODS


def _configure_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so
        # SAVEPOINTs (used by tests and nested service calls) behave as documented.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        # A request that may write takes the write lock up front. A deferred transaction
        # that reads first (the token lookup) and writes later cannot upgrade once another
        # worker has committed in between: SQLite answers "database is locked" at once,
        # without waiting for busy_timeout. Reads stay deferred and never block.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")
