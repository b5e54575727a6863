"""The resolver's routes: read the raw identifier path, resolve it, answer as negotiated.

Every rule of what to answer lives in ``app.resolver.negotiation`` (and the links in
``traceability.linkset``); this module only reads the request and renders.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, json, render_template, request
from flask_babel import force_locale
from flask_limiter.util import get_remote_address

from app.errors import flatten_field_errors, problem
from app.extensions import limiter
from app.resolver import negotiation as nego
from core import process_writes
from core.errors import DomainError, NotFound
from core.i18n import _
from traceability.gs1.ai import AI
from traceability.linkset import (
    LANGUAGES,
    LINKSET_CONTEXT,
    Level,
    levels_of,
    linkset_document,
)
from traceability.services.resolution import resolve_path
from traceability.services.trace_cache import recent_cache

bp = Blueprint("resolver", __name__)

#: The first path segment of every identifier the resolver answers for.
KEY_SEGMENTS = ("01", "414", "417", "00", "p")
DESCRIPTION_PATH = "/.well-known/gs1resolver"
METHODS = ["GET", "HEAD", "OPTIONS"]
DEFAULT_LIMIT = "600 per minute"
# Quoted: unquoted, werkzeug reads the converter's arguments as numbers ("01" → 1).
_KEY = "<any(" + ",".join(f"'{k}'" for k in KEY_SEGMENTS) + "):dl_key>"
# Characters left as they are when a raw path is echoed into a header or a page link: the
# URI characters but the comma (Link header values are comma-separated) and the quotes.
_ECHO_SAFE = "/%-._~!$&'()*+;=:@"
_SCANNED_SHOWN = 300  # characters of a scanned URI shown on a page (2 KB lot codes exist)
_RECENT = "htx_resolver_recent"  # levels resolved a moment ago, in ``app.extensions``


def _scan_limit() -> str:
    return str(current_app.config.get("RATELIMIT_RESOLVER", DEFAULT_LIMIT))


# Per client address (ProxyFix makes it the real client behind the configured proxies), for
# everyone: no token is looked at, so no header is a way around it, and an anonymous scan
# costs no token lookup. Generous: scans are the hot path, and a shop's customers may share
# one address.
limiter.shared_limit(_scan_limit, scope="resolver", key_func=get_remote_address)(bp)


# --------------------------------------------------------------------------- the request


def raw_target() -> tuple[str, str]:
    """The identifier path as sent (still percent-encoded: ``%2F`` in a lot is not a
    separator) and the raw query string."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = raw.split("?", 1)[0].split("#", 1)[0]
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        root = quote(request.script_root)
        if root and path.startswith(root):
            path = path[len(root) :]
    else:
        path = quote(request.path, safe=_ECHO_SAFE + ",")
    return path, environ.get("QUERY_STRING", "")


def _wants_html() -> bool:
    return nego.wants_html(request.headers.get("Accept"), request.args.get("linkType"))


def request_language() -> str:
    return nego.choose_language(request.args.get("lang"), request.headers.get("Accept-Language"))


def _base() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def _echo(path: str) -> str:
    return quote(path, safe=_ECHO_SAFE)


def _scanned_uri() -> str:
    path, query = raw_target()
    uri = _base() + _echo(path) + ("?" + _echo(query) if query else "")
    return uri if len(uri) <= _SCANNED_SHOWN else uri[:_SCANNED_SHOWN] + "…"


def _report_url() -> str:
    path, query = raw_target()
    return "/trace/report?" + urlencode({"uri": _base() + path + ("?" + query if query else "")})


# --------------------------------------------------------------------------- routes


# One rule: ``/01`` alone or ``/01//…`` match none and get the app's 404 (with the
# resolver's CORS headers, see ``resolver_headers``). Slashes are not merged: ``//`` is a
# syntax error, not a redirect.
@bp.route(
    f"/{_KEY}/<path:dl_path>",
    methods=METHODS,
    provide_automatic_options=False,
    merge_slashes=False,
)
def resolve(dl_key: str, dl_path: str) -> Response:
    """A GS1 Digital Link or platform identifier: redirect, linkset or choices."""
    if request.method == "OPTIONS":
        return _options()
    path, query = raw_target()
    lang = request_language()
    with force_locale(lang):
        levels = _levels(path, query, lang)
        answer = nego.decide(
            levels[0].links,
            link_type=request.args.get("linkType"),
            lang_param=request.args.get("lang"),
            accept_language=request.headers.get("Accept-Language"),
            accept=request.headers.get("Accept"),
            media_param=request.args.get("mediaType"),
        )
        if answer.kind == "linkset":
            return _linkset(levels, lang)
        if answer.kind == "redirect":
            return _redirect(levels[0], nego.redirect_location(answer.links[0].href, query))
        if answer.kind == "choices":
            return _choices(levels, answer, lang)
        return _no_such_link(levels[0], lang)


# With a trailing slash too (GS1 resolvers tolerate one): a rule of its own, since werkzeug
# only redirects a slash-less request to a rule that ends in one, never the other way.
@bp.route(DESCRIPTION_PATH, methods=METHODS, provide_automatic_options=False)
@bp.route(DESCRIPTION_PATH + "/", methods=METHODS, provide_automatic_options=False)
def description() -> Response:
    """The resolver description file GS1-Conformant Resolver 1.2 requires at this path."""
    if request.method == "OPTIONS":
        return _options()
    body = {
        "name": "HTX Trace",
        "resolverRoot": _base(),
        "supportedPrimaryKeys": ["01", "414", "417", "00"],
        "supportedLinkType": [{"namespace": "https://gs1.org/voc/", "prefix": "gs1:"}],
        "linkTypeDefaultCanBeLinkset": False,
        "supportedLanguages": list(LANGUAGES),
    }
    return Response(json.dumps(body), mimetype="application/json")


def _levels(path: str, query: str, lang: str) -> tuple[Level, ...]:
    """The levels of the identifier and their links, as resolved a moment ago when this
    worker resolved the same path (``trace_cache.RecentCache``, ``TRACE_RECHECK_SECONDS``):
    a scan's redirect then needs neither the parser nor the database. Errors are not kept."""
    recent = recent_cache(_RECENT)
    key = (path, query, lang)
    levels = recent.get(key)
    if levels is None:
        read_in = process_writes.generation()
        levels = levels_of(resolve_path(path, query), lang)
        recent.put(key, levels, read_in)
    return levels


# --------------------------------------------------------------------------- answers


def _options() -> Response:
    response = Response(status=204, mimetype="text/plain")
    response.headers["Allow"] = ", ".join(METHODS)
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _with_linkset_link(response: Response, level: Level) -> Response:
    response.headers.add("Link", _linkset_link(level.anchor))
    return response


def _linkset_link(anchor: str) -> str:
    return nego.plain_link(f"{anchor}?linkType=linkset", "linkset", "Linkset", nego.LINKSET_JSON)


def _redirect(level: Level, location: str) -> Response:
    # No body and not text/html: a redirect needs no page, nor a locale worked out for one.
    response = Response(status=307, mimetype="text/plain")
    response.headers["Location"] = location
    return _with_linkset_link(response, level)


def _linkset(levels: tuple[Level, ...], lang: str) -> Response:
    media_type = nego.linkset_media_type(request.headers.get("Accept"))
    document: dict[str, Any] = linkset_document(levels)
    if media_type == "application/ld+json":
        document = {"@context": LINKSET_CONTEXT, **document}
    response = Response(json.dumps(document, ensure_ascii=False), mimetype=media_type)
    response.headers["Content-Language"] = lang
    response.headers.add(
        "Link",
        nego.plain_link(
            LINKSET_CONTEXT, "http://www.w3.org/ns/json-ld#context", "JSON-LD context",
            "application/ld+json",
        ),
    )
    return _with_linkset_link(response, levels[0])


def _choices(levels: tuple[Level, ...], answer: nego.Answer, lang: str) -> Response:
    if _wants_html():
        response = Response(
            render_template("resolver/choices.html", links=answer.links, lang=lang),
            status=300, mimetype="text/html",
        )
    else:
        document = linkset_document(levels[:1], only={levels[0].anchor: answer.links})
        response = Response(
            json.dumps(document, ensure_ascii=False), status=300, mimetype=nego.LINKSET_JSON
        )
    return _with_linkset_link(response, levels[0])


def _no_such_link(level: Level, lang: str) -> Response:
    link_type = request.args.get("linkType", "")
    detail = _("This identifier has no link of the type %(type)s.", type=link_type[:100])
    if _wants_html():
        page = render_template(
            "resolver/error.html", kind="no_link", status=404, lang=lang,
            link_type=link_type[:100], scanned=_scanned_uri(), default_href=level.links[0].href,
        )
        response = Response(page, status=404, mimetype="text/html")
    else:
        response = problem(404, kind="not-found", detail=detail)
    return _with_linkset_link(response, level)


# --------------------------------------------------------------------------- errors


def _problem_lines(error: DomainError) -> list[str]:
    lines = []
    for field, messages in error.field_errors.items():
        name = AI[field].title if field in AI else None
        for message in messages:
            lines.append(
                _("AI %(ai)s (%(name)s): %(message)s", ai=field, name=name, message=message)
                if name else message
            )
    return lines


@bp.errorhandler(DomainError)
def domain_error(error: DomainError) -> Response:
    """A syntax fault is 400 (GS1: never 422, never 200); an unknown key 404, with a page
    that says what was scanned, what it means and where to report it."""
    not_found = isinstance(error, NotFound)
    status = 404 if not_found else 400
    lang = request_language()
    with force_locale(lang):
        detail = str(error.detail) if error.detail is not None else None
        if _wants_html():
            page = render_template(
                "resolver/error.html", kind="unknown" if not_found else "invalid",
                lang=lang, status=status, detail=detail,
                problems=_problem_lines(error), scanned=_scanned_uri(),
                report_url=_report_url(),
            )
            return Response(page, status=status, mimetype="text/html")
        if not_found:
            return problem(404, kind="not-found", detail=detail)
        return problem(
            400,
            kind="validation",
            title=_("This is not a valid GS1 Digital Link."),
            detail=detail or "; ".join(_problem_lines(error)),
            errors=flatten_field_errors(error.field_errors) or None,
        )


# --------------------------------------------------------------------------- every answer


def is_description_path(path: str) -> bool:
    return path in (DESCRIPTION_PATH, DESCRIPTION_PATH + "/")


def is_resolver_path(path: str) -> bool:
    return is_description_path(path) or path.split("/", 2)[1] in KEY_SEGMENTS


@bp.after_app_request
def resolver_headers(response: Response) -> Response:
    """CORS and content negotiation headers on every answer of the resolver's paths (errors
    and 405s included), and the ``Link`` to the linkset where the answer set none."""
    if not is_resolver_path(request.path):
        return response
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Allow-Methods"] = ", ".join(METHODS)
    headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language"
    headers["Access-Control-Expose-Headers"] = "Link, Location, Content-Language, Vary"
    response.vary.update(("Accept", "Accept-Language"))
    if not is_description_path(request.path) and "Link" not in headers:
        path = _echo(raw_target()[0].rstrip("/"))
        headers.add("Link", _linkset_link(_base() + path))
    return response
