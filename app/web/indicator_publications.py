"""Published figures in the UI (issue 12 §3): publishing the period a dashboard shows, the
publications, and what changed since one of them: ``/indicator/publications``.

- ``POST /indicator/publications/new?<the dashboard's filters>``: publishes the period and
  scope the dashboard shows (the year it resolved, or its range; the province an authority
  is confined to, else the one asked, else the whole country), with an optional note. Done:
  back to the dashboard, which shows the published figure. Refused (409 already published,
  422, 403 another province's): the dashboard again with the service's message beside the
  note or above the form. A GET of it goes back to the dashboard;
- ``/indicator/publications``: every publication, the latest period first, a page at a
  time, each opening its comparison where the reader may read it;
- ``/indicator/publications/<id>``: the publication beside today's computation of the same
  period, variant by variant (version, published and today's figure, the difference, how
  many cooperatives entered or left the count), then the cooperatives that did, a page at
  a time, each with the reason it had when published and the one it has today;
- ``/indicator/publications/<id>/changes.csv|.xlsx``: those cooperatives, every row, with
  the page's variant and change filters.

Who: the dashboard's readers (admins and authorities; anyone else 403, nobody signed in
the sign-in page) list and publish, as the service allows. A publication's comparison
names cooperatives: ``publication_changes.compare`` opens it to admins and authorities
(a province authority sees its province's slice of a national publication, and not
another province's publication), answering 404 to anyone else, as the API does. These
views parse, call the services, commit once and render; nothing here counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.auth.current import current_actor
from app.auth.services import display_names
from app.web import indicator
from app.web import indicator_dashboard as board
from app.web import register_support as reg
from app.web.batch_display import render
from app.web.form_support import page_number, submit_to_service
from app.web.indicator_filters import Filters
from app.web.indicator_tables import yes_no
from app.web.publication_forms import PublishForm
from app.web.table_files import table_download
from core.actor import Actor
from core.clock import VIETNAM
from core.db import db, utcnow
from core.errors import NotFound, ValidationFailed
from core.i18n import _, _l
from core.spreadsheets import Cell, Column
from linkages.indicator import publication_changes, publications, service
from linkages.indicator.publications import NATIONAL
from linkages.models.publications import IndicatorPublication
from linkages.services.places import provinces_query

bp = Blueprint("web_publications", __name__, url_prefix="/indicator/publications")

CHANGES_PER_PAGE = 25
CHANGES_CHUNK = 500  # rows fetched at a time for a file
CHANGE_VARIANTS = publications.MEMBER_VARIANTS  # A–E: the variants that keep cooperatives
KIND_LABELS: dict[str, Any] = {
    "entered": _l("Entered the count"),
    "left": _l("Left the count"),
    "entered_denominator": _l("Entered the denominator"),
    "left_denominator": _l("Left the denominator"),
}

FieldErrors = dict[str, list[str]]


# --------------------------------------------------------------------------- helpers


def _province_names() -> dict[str, str]:
    return {p.code: p.name for p in db.session.scalars(provinces_query())}


def _scope_name(scope: str, names: Mapping[str, str]) -> str:
    return str(_("Whole country")) if scope == NATIONAL else names.get(scope, scope)


def _standing(in_denominator: bool, counted: bool) -> str:
    """Where a cooperative stood in a count: counted, not counted, or outside it."""
    if counted:
        return str(_("Counted"))
    if in_denominator:
        return str(_("Not counted"))
    return str(_("Not in the denominator"))


bp.context_processor(lambda: {
    **indicator.HELPERS,
    "kind_labels": KIND_LABELS,
    "scope_name": _scope_name,
    "standing": _standing,
})


# --------------------------------------------------------------------------- publishing


def _publish(actor: Actor, filters: Filters, note: str | None) -> IndicatorPublication:
    """Publish the period and scope the dashboard shows with ``filters`` (the service
    refuses what may not be: 403, 409, 422 naming the parameter)."""
    q = service.build_query(actor, **filters.service_params(breakdown="none"))
    return publications.publish(actor, **board.publish_params(q), note=note)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def publish() -> Response | tuple[str, int]:
    actor = current_actor()
    places, filters, errors = indicator.read_filters(actor)  # 403 to all but readers
    back = url_for("web_indicator.dashboard", **filters.query_args())
    if request.method == "GET":  # e.g. the language switch after a refused publishing
        return redirect(back, 303)
    if errors:  # filters that cannot be read: beside their fields, nothing published
        return indicator.dashboard_page(actor, places, filters, errors, 400)
    form = PublishForm()
    published, loose, status = submit_to_service(
        form, lambda: _publish(actor, filters, form.note.data), {"note": "note"})
    if published is not None:
        period = publications.period_of(published).as_dict()
        flash(_("The figures of %(period)s are published.",
                period=indicator.period_text(period)), "success")
        return redirect(back, 303)
    return indicator.dashboard_page(actor, places, filters, {}, status,
                                          publish_form=form, publish_errors=loose)


# --------------------------------------------------------------------------- the list


def _may_compare(actor: Actor, publication: IndicatorPublication) -> bool:
    """May the actor open the publication's cooperatives (the service's answer)?"""
    try:
        publications.drill_scope(actor, publication)
    except NotFound:
        return False
    return True


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    actor = current_actor()
    service.require_reader(actor)  # the indicator's pages are the authorities'
    page = reg.paginated(publications.list_publications(actor).options(
        selectinload(IndicatorPublication.figures)))
    return render(
        "indicator/publications.html",
        publications=page,
        shown=[publications.publication_dict(p) for p in page.items],
        comparable={p.id for p in page.items if _may_compare(actor, p)},
        publishers=display_names(p.published_by_id for p in page.items),
        names=_province_names(),
    )


# --------------------------------------------------------------------------- comparison


def _choice() -> tuple[str | None, str | None, dict[str, str]]:
    """The changes' ``variant`` and ``kind`` as asked (empty: all); what was typed, to
    show back (the service names what it refuses)."""
    typed = {name: (request.args.get(name) or "").strip()[:20] for name in ("variant", "kind")}
    return typed["variant"] or None, typed["kind"] or None, typed


def _changes(actor: Actor, publication_id: int, variant: str | None,
             kind: str | None) -> Select[Any]:
    return publication_changes.changes(actor, publication_id, variant=variant, kind=kind)


def _change_page(stmt: Select[Any], page: int) -> board.RowPage:
    """The ``page``-th page of changes (a page past the last is empty, never asked)."""
    total = int(db.session.scalar(
        select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    first = (page - 1) * CHANGES_PER_PAGE
    items: list[dict[str, Any]] = []
    if first < total:
        rows = db.session.execute(stmt.offset(first).limit(CHANGES_PER_PAGE))
        items = [publication_changes.change_row(r) for r in rows]
    return board.RowPage(items, page, CHANGES_PER_PAGE, total)


def _dashboard_args(publication: Mapping[str, Any], province: str | None) -> dict[str, str]:
    """The dashboard's query for the publication's period and scope (a province authority
    comparing its slice sees its own province there anyway)."""
    period = publication["period"]
    if period["kind"] == "range":
        args = {"period": "range", "from": period["start"].isoformat(),
                "to": period["end"].isoformat()}
    else:
        args = {"period": period["kind"], "year": str(period["year"])}
    if publication["scope"] != NATIONAL and province is None:
        args["province"] = publication["scope"]
    return args


def _comparison_page(actor: Actor, publication_id: int, errors: FieldErrors,
                     status: int) -> tuple[str, int]:
    comparison = publication_changes.compare(actor, publication_id)  # 404 to others
    variant, kind, typed = _choice()
    rows = None
    if not errors:
        try:
            rows = _change_page(_changes(actor, publication_id, variant, kind), page_number())
        except ValidationFailed as error:
            errors, status = indicator.refused(error), 422
    publication = comparison["publication"]
    by = publication["published_by_id"]
    args = {name: value for name, value in typed.items() if value}
    return render(
        "indicator/publication.html", status,
        comparison=comparison, publication=publication,
        published_by=display_names([by]).get(by) if by is not None else None,
        rows=rows, errors=errors,
        loose_errors=[m for name, ms in errors.items() if name not in typed for m in ms],
        typed=typed, args=args, change_variants=CHANGE_VARIANTS,
        names=_province_names(),
        dashboard_args=_dashboard_args(publication, comparison["province"]),
    )


@bp.get("/<int:publication_id>")
@login_required
def show(publication_id: int) -> tuple[str, int]:
    return _comparison_page(current_actor(), publication_id, {}, 200)


# --------------------------------------------------------------------------- files


def change_columns() -> list[Column]:
    return [
        Column(_l("Variant"), 8), Column(_l("Change"), 22),
        Column(_l("Registration code"), 14), Column(_l("Cooperative"), 36),
        Column(_l("Province code"), 8), Column(_l("Province"), 22),
        Column(_l("Published: in the denominator"), 12),
        Column(_l("Published: counted"), 10), Column(_l("Published: contract"), 18),
        Column(_l("Published: reason"), 48),
        Column(_l("Today: in the denominator"), 12), Column(_l("Today: counted"), 10),
        Column(_l("Today: contract"), 18), Column(_l("Today: reason"), 48),
    ]


def change_cells(rows: Iterable[dict[str, Any]], names: Mapping[str, str]
                 ) -> Iterator[list[Cell]]:
    """Changes as cells, read as they are written."""
    for r in rows:
        yield [
            r["variant"], str(KIND_LABELS.get(r["kind"], r["kind"])),
            r["registration_code"], r["name"], r["province"],
            names.get(r["province"] or "", ""),
            yes_no(r["published_in_denominator"]), yes_no(r["published_counted"]),
            r["published_contract_code"] or "", r["published_reason_text"],
            yes_no(r["today_in_denominator"]), yes_no(r["today_counted"]),
            r["today_contract_code"] or "", r["today_reason_text"],
        ]


def _rows(stmt: Select[Any]) -> Iterator[dict[str, Any]]:
    result = db.session.execute(stmt.execution_options(yield_per=CHANGES_CHUNK))
    for row in result:
        yield publication_changes.change_row(row)


def _period_slug(period: Mapping[str, Any]) -> str:
    if period["kind"] == "statistical_year":
        return f"sy{period['year']}"
    if period["kind"] == "calendar_year":
        return f"cy{period['year']}"
    return f"{period['start']:%Y%m%d}-{period['end']:%Y%m%d}"


def _download(publication_id: int, fmt: str) -> Response | tuple[str, int]:
    actor = current_actor()
    found = publications.get_publication(actor, publication_id)
    seen = publications.drill_scope(actor, found)  # 404 to those who may not read it
    variant, kind, _typed = _choice()
    try:
        stmt = _changes(actor, publication_id, variant, kind)
    except ValidationFailed as error:
        return _comparison_page(actor, publication_id, indicator.refused(error), 422)
    publication = publications.publication_dict(found)
    today = publication_changes.today_query(found, CHANGE_VARIANTS[0], seen).as_of.as_of
    names = _province_names()
    shown = seen or publication["scope"]
    stem = "-".join(part for part in (
        "htx-publication", str(publication_id), "changes", variant or "", kind or "",
        _period_slug(publication["period"]), "vn" if shown == NATIONAL else shown,
        f"asof-{today:%Y%m%d}") if part)
    by = publication["published_by_id"]
    about: list[tuple[Any, Cell]] = [
        (_("Publication"), publication_id),
        (_("Period"), indicator.period_text(publication["period"])),
        (_("Scope"), _scope_name(publication["scope"], names)),
        (_("Cooperatives shown"), _scope_name(shown, names)),
        (_("Published on"), publication["published_at"].astimezone(VIETNAM)
         .strftime("%Y-%m-%d %H:%M %z")),
        (_("Published by"), display_names([by]).get(by, "") if by is not None else ""),
        (_("Published as of"), publication["as_of"]),
        (_("Today's computation as of"), today),
        (_("Suspended cooperatives included"), yes_no(publication["include_suspended"])),
        (_("Variant"), variant or _("Variants A to E")),
        (_("Change"), str(KIND_LABELS.get(kind, kind)) if kind else _("Every change")),
        (_("Made on"), utcnow().astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M %z")),
    ]
    return table_download(fmt, change_columns(), change_cells(_rows(stmt), names),
                          filename_stem=stem, sheet_name="changes", about=about,
                          stream=True)


@bp.get("/<int:publication_id>/changes.csv")
@login_required
def changes_csv(publication_id: int) -> Response | tuple[str, int]:
    return _download(publication_id, "csv")


@bp.get("/<int:publication_id>/changes.xlsx")
@login_required
def changes_xlsx(publication_id: int) -> Response | tuple[str, int]:
    return _download(publication_id, "xlsx")


__all__ = ["CHANGES_PER_PAGE", "KIND_LABELS", "bp", "change_cells", "change_columns"]
