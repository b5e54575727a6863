"""The consumer trace page (``/trace/{key path}``) and the report form (``/trace/report``).

The resolver answers a scanned label (``/01/…``, ``/p/…``) with a redirect here; this view
resolves the same path again (``traceability.services.resolution``), reads the page's data
(``traceability.services.trace_page``) and renders a standalone page: Vietnamese by default,
English by ``?lang=en`` or Accept-Language, inline CSS, no script, no request to anywhere else.

- The page sets no cookie and reads no session: its language comes from ``?lang=`` or the
  browser (public requests skip the session, app/extensions.py), and a session is only
  written when a form needs its CSRF token: the report form and the warning of an
  unregistered lot, which embeds it.
- Errors under /trace/ are small pages of their own, not the signed-in shell: a syntax
  fault of the identifier 400, an unknown one 404 (with the way to report it), too many
  reports 429.
- Reports: CSRF-protected (Flask-WTF, as every form), limited per client address (the
  address the app trusts: ``TRUSTED_PROXY_COUNT`` hops, never a header a client may set),
  and nothing is stored unless every field is valid.

The scan is the hottest path, so the trace page is cached:
- the rendered page (resolution aside, the costly part: the page's data and its template)
  is kept per worker (``trace_cache.LruCache``) under (path, query, language, time bucket,
  version). The version (``trace_cache.page_version``) is read from the database on every
  request in one statement, so an event captured on the lot or an ancestor by any worker
  makes the next request render afresh; the time bucket (``TRACE_PAGE_CACHE_SECONDS``)
  bounds what the version does not follow;
- the one line that changes with every scan ("scanned N times before, first on …") is not
  in the cached page: a marker holds its place, replaced at serve time by a fragment of its
  own (one indexed count, ``scans.scan_summary``);
- the ETag is weak and names that same key: a 304 says "the facts of the page (recall,
  journey, lot) are those of your copy", not that the scan count is unchanged;
- a page embedding the report form (an unregistered lot) holds the session's CSRF token
  and is never cached.
Each GET of a page (200 or 304) records one scan (``scans.note_scan``, after the response
is sent); a HEAD, a self-declared robot, an invalid or unknown identifier, a place and a
request over the limit (``RATELIMIT_TRACE`` per client address, 429) record none. The
resolver's redirect records nothing: the scan is the page it leads to.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale, format_date, get_locale
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from werkzeug.http import is_resource_modified
from werkzeug.wrappers import Response
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.extensions import db, limiter
from app.public import labels
from app.web.form_support import select_choices, submit_to_service
from core import process_writes
from core.app_state import per_app
from core.errors import DomainError, MalformedInput, NotFound, ValidationFailed
from core.i18n import _, _l, ngettext
from traceability.models.scan_reports import (
    CONTACT_MAX,
    MESSAGE_MAX,
    URI_MAX,
    ReportKind,
)
from traceability.services import product_images, scan_reports, scans, trace_cache
from traceability.services.resolution import Resolution, resolve_path, trace_page_path
from traceability.services.trace_page import trace_page

bp = Blueprint("public", __name__, url_prefix="/trace")
bp.context_processor(labels.helpers)
bp.context_processor(lambda: {"language_links": language_links})

# Reports a client address may send (``RATELIMIT_SCAN_REPORT`` overrides it): a consumer
# sends one, perhaps a few; a flood is refused long before it fills a cooperative's list.
SCAN_REPORT_LIMIT = "5 per 10 minutes; 20 per day"
_PREFIX = trace_page_path("")  # "/trace/"


# Where the scan line goes in a cached page (an HTML comment: harmless if ever left).
SCANS_MARKER = "<!--htx:scans-->"
# Self-declared robots and link previews (a chat app unfurling a shared link): not scans.
_ROBOTS = re.compile(r"bot|crawl|spider|slurp|preview|facebookexternalhit", re.I)
_PAGES = "htx_trace_pages"  # the app's page cache, in ``app.extensions``
_RECENT = "htx_trace_recent"  # what the last requests of each identifier served


def _report_limit() -> str:
    return str(current_app.config.get("RATELIMIT_SCAN_REPORT", SCAN_REPORT_LIMIT))


def _trace_limit() -> str:
    return str(current_app.config["RATELIMIT_TRACE"])


# --------------------------------------------------------------------------- the form


class ReportForm(FlaskForm):
    uri = StringField(
        _l("Code or web address on the label"),
        validators=[
            DataRequired(message=_l("Say which code or address the report is about.")),
            Length(max=URI_MAX, message=_l("At most %(n)d characters.", n=URI_MAX)),
        ],
    )
    kind = RadioField(
        _l("What is wrong?"),
        choices=select_choices((k.value, labels.REPORT_KINDS[k]) for k in ReportKind),
        validators=[DataRequired(message=_l("Choose what the problem is."))],
    )
    message = TextAreaField(
        _l("What did you notice?"),
        validators=[
            DataRequired(message=_l("Describe the problem.")),
            Length(max=MESSAGE_MAX, message=_l("At most %(n)d characters.", n=MESSAGE_MAX)),
        ],
        render_kw={"rows": 4, "maxlength": MESSAGE_MAX},
    )
    contact = StringField(
        _l("Your phone or e-mail (optional)"),
        validators=[
            Optional(),
            Length(max=CONTACT_MAX, message=_l("At most %(n)d characters.", n=CONTACT_MAX)),
        ],
        description=_l("Only if you want an answer; it is given to the producer only."),
        render_kw={"autocomplete": "email", "maxlength": CONTACT_MAX},
    )


_FIELDS = {name: name for name in ("uri", "kind", "message", "contact")}


def _language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def label_uri(key_path: str) -> str:
    """The identifier as printed on labels (the platform's base URL and the key path)."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/{key_path}"


def _key_path() -> str:
    """The identifier path as the client sent it, percent-encoding and all: Werkzeug hands
    the view a decoded path, where a lot code holding ``%2F`` would read as two segments."""
    return _raw_path()[len(_PREFIX):]


LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}  # each in its own language


def _raw_path() -> str:
    """The path as the client sent it (percent-encoding kept), else Werkzeug's."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    path = urlsplit(raw).path if raw else ""
    return path if path.startswith(_PREFIX) else request.path


def language_links() -> list[tuple[str, str, str]]:
    """(code, name, href) of this page in each language: the same path and query, with
    ``lang`` set; plain links, so the choice needs neither a form nor a cookie."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    path = _raw_path()
    return [
        (code, LANGUAGE_NAMES.get(code, code), f"{path}?{urlencode([*kept, ('lang', code)])}")
        for code in current_app.config["LANGUAGES"]
    ]


# --------------------------------------------------------------------------- pages


@bp.get("/")
def no_code() -> tuple[str, int]:
    raise NotFound()


@dataclass(frozen=True, slots=True)
class SeenPage:
    """A trace page as served a moment ago (``RecentCache``): everything a request needs
    to answer again without the database: the page and its validators, and the code its
    scans count under."""

    html: str  # with ``SCANS_MARKER`` where the scan line goes
    etag: str
    last_modified: datetime | None
    target: scans.ScanTarget | None  # what a scan records (None: nothing)
    serial_level: bool  # a known serial: its scan line may warn of a copied label


@bp.get("/images/<string(length=64):sha256>.jpg")
@limiter.limit(_trace_limit, key_func=get_remote_address, scope="trace-image")
def product_image(sha256: str) -> Response:
    """A product's photo, named by its digest: the same URL is always the same bytes, so
    a copy is kept for a year without asking again (a new photo is a new URL)."""
    image = product_images.public_image(sha256)
    response = current_app.response_class(image.content, mimetype=image.media_type)
    response.set_etag(image.sha256)
    response.cache_control.public = True
    response.cache_control.max_age = 365 * 24 * 3600
    response.cache_control.immutable = True
    return response.make_conditional(request)


@bp.get("/<path:key_path>")
@limiter.limit(_trace_limit, key_func=get_remote_address, scope="trace-page")
def trace(key_path: str) -> Response:
    """The trace page of a scanned identifier (``key_path`` is re-read undecoded)."""
    raw_path = _key_path()
    query = request.query_string.decode("latin-1")
    language = _language()
    key = (raw_path, query, language)
    seen = _recent_pages().get(key)
    if seen is None:
        read_in = process_writes.generation()
        resolution = resolve_path("/" + raw_path, query)
        if resolution.unregistered_lot is not None:
            # The warning embeds the report form and its CSRF token: never kept.
            response = current_app.response_class(_render(resolution), mimetype="text/html")
            _note_scan(response, scans.scan_target(resolution), language)
            return response
        seen = _seen_page(resolution, raw_path, query, language)
        _recent_pages().put(key, seen, read_in)
    response = _answer(seen, language)
    _note_scan(response, seen.target, language)
    return response


def _note_scan(response: Response, target: scans.ScanTarget | None, language: str) -> None:
    """Record the scan once the response is sent (module docstring: which requests do)."""
    if (
        target is None
        or request.method != "GET"
        or _ROBOTS.search(request.user_agent.string or "")
    ):
        return
    row = target.row(language=language, client_address=get_remote_address())
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    response.call_on_close(lambda: scans.note_scan(row, app))


def _page_cache() -> trace_cache.LruCache[str]:
    return per_app(
        _PAGES, lambda app: trace_cache.LruCache(int(app.config["TRACE_PAGE_CACHE_SIZE"]))
    )


def _recent_pages() -> trace_cache.RecentCache[SeenPage]:
    return trace_cache.recent_cache(_RECENT)


def _seen_page(resolution: Resolution, raw_path: str, query: str, language: str) -> SeenPage:
    """The page of ``resolution``: from the cache when its version is unchanged, else
    rendered and kept (module docstring)."""
    version = trace_cache.page_version(resolution)
    bucket = int(time.time() // max(1, int(current_app.config["TRACE_PAGE_CACHE_SECONDS"])))
    etag = version.etag(raw_path, query, language, bucket)
    html, _found = _page_cache().get_or_make(
        (etag, raw_path, query, language), lambda: _render(resolution, SCANS_MARKER)
    )
    return SeenPage(
        html, etag, version.last_modified, scans.scan_target(resolution),
        resolution.serial is not None,
    )


def _answer(seen: SeenPage, language: str) -> Response:
    """The page with its scan line, or 304 when the client's copy is of the same version."""
    response = current_app.response_class(mimetype="text/html")
    # Revalidated at every use rather than ``max-age``: a browser or proxy never shows a
    # copy without asking (a recall must show on the very next scan, and every scan must
    # reach us to be counted); asking costs a 304 without a body.
    response.cache_control.no_cache = True
    response.set_etag(seen.etag, weak=True)
    response.last_modified = seen.last_modified
    if not is_resource_modified(
        request.environ, etag=seen.etag, last_modified=seen.last_modified
    ):
        response.status_code = 304
        return response
    response.set_data(seen.html.replace(SCANS_MARKER, _scan_line(seen, language), 1))
    return response


def _render(resolution: Resolution, scans_line: str = "") -> str:
    page = trace_page(resolution)
    uri = label_uri(resolution.key_path)
    form = None
    if page.unregistered_lot is not None:
        # The warning embeds the report form (a fake is the likely cause).
        form = ReportForm(formdata=None, uri=uri, kind=ReportKind.SUSPECTED_FAKE.value)
    return render_template(
        "public/trace.html", page=page, uri=uri, form=form, scans_line=Markup(scans_line)
    )


def _scan_line(seen: SeenPage, language: str) -> str:
    """How many times the scanned code was scanned before, and when first (lots only)."""
    target = seen.target
    if target is None or target.batch_id is None:
        return ""
    summary = scans.scan_summary(target.batch_id, target.serial)
    copied = seen.serial_level and summary.count > int(
        current_app.config["SCAN_FLAG_SERIAL_MAX"]
    )
    if summary.count and summary.first_day is not None:
        text = ngettext(
            "This code has been scanned %(num)d time before, first on %(date)s.",
            "This code has been scanned %(num)d times before, first on %(date)s.",
            summary.count,
            date=_day_text(language, summary.first_day),
        )
    else:
        text = _("This is the first scan of this code.")
    before, after = _scan_frame(language, copied)
    return before + str(escape(text)) + after


_TEXT_SLOT = "\x00scans\x00"  # no text holds a NUL


@lru_cache(maxsize=8)
def _scan_frame(language: str, copied: bool) -> tuple[str, str]:
    """The scan line's template rendered once per language and warning, split where its
    text goes: rendering it on every scan cost more than the rest of a cached page's
    answer."""
    template = current_app.jinja_env.get_template("public/_scans.html")
    with force_locale(language):
        html = template.render(text=Markup(_TEXT_SLOT), copied=copied)
    before, _slot, after = html.partition(_TEXT_SLOT)
    return before, after


@lru_cache(maxsize=512)
def _day_text(language: str, day: date) -> str:
    """``day`` as the reader's locale writes it; kept, since every scan of a code shows
    the same first day."""
    with force_locale(language):
        return str(format_date(day))


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(_report_limit, methods=["POST"], key_func=get_remote_address,
               scope="scan-report")
def report() -> Response | tuple[str, int]:
    """Report a suspected fake or a problem about a scanned code (``?uri=``)."""
    asked = request.args.get("uri", "")
    form = ReportForm(uri=asked[:URI_MAX] if "\x00" not in asked else "")
    made, problems, status = submit_to_service(
        form,
        lambda: scan_reports.submit_report(
            uri=form.uri.data or "",
            kind=form.kind.data or "",
            message=form.message.data or "",
            contact=form.contact.data or "",
            language=_language(),
            client_address=get_remote_address(),
        ),
        _FIELDS,
        fallback="message",
    )
    if made is not None:
        return redirect(url_for(".report_sent", lang=request.args.get("lang")), code=303)
    return render_template("public/report.html", form=form, problems=problems), status


@bp.get("/report/sent")
def report_sent() -> tuple[str, int]:
    return render_template("public/sent.html"), 200


# --------------------------------------------------------------------------- errors


def _error_page(
    status: int, title: str, detail: str | None = None, **context: Any
) -> tuple[str, int]:
    db.session.rollback()
    return render_template(
        "public/error.html", status=status, title=title, detail=detail, **context
    ), status


@bp.errorhandler(DomainError)
def domain_error(error: DomainError) -> tuple[str, int]:
    if isinstance(error, NotFound):
        # Whatever was scanned, the consumer may report it (a fake label names no product).
        uri = label_uri(_key_path()) if request.path.startswith(_PREFIX) else ""
        return _error_page(
            404,
            _("This code is not known here."),
            str(error.detail) if error.detail is not None else None,
            report_uri=uri,
        )
    if isinstance(error, ValidationFailed | MalformedInput):
        messages = [m for msgs in error.field_errors.values() for m in msgs]
        return _error_page(
            400, _("This is not a valid product code."), " ".join(messages) or None
        )
    return _error_page(error.status, _("Something is wrong with this request."))


@bp.errorhandler(CSRFError)
def csrf_error(_error: CSRFError) -> tuple[str, int]:
    return _error_page(
        400,
        _("The form has expired."),
        _("Go back, reload the page and send the report again."),
    )


@bp.errorhandler(429)
def too_many(_error: HTTPException) -> tuple[str, int]:
    if request.endpoint == "public.trace":
        return _error_page(
            429,
            _("Too many requests from here."),
            _("Please wait a minute, then scan the code again."),
        )
    return _error_page(
        429,
        _("Too many reports from here."),
        _("Thank you: we have your reports. Please wait a while before sending another."),
    )
