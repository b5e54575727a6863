"""The authority dashboard of the value-chain linkage indicator (issue 12 §4): ``/indicator``.

For platform admins and authorities (anyone else: 403; nobody signed in: the sign-in
page). Country-wide, or the authority's province only: the indicator service scopes every
figure, drill-down and file, whatever province the query string asks for; the page says
which scope it shows and offers no other province.

- ``/indicator``: one GET form of filters; the chosen variant's total against the
  linked-share target of its year and of 2030; every variant side by side with its name,
  version and definition; the trend, the breakdown, the region and commodity figures, each
  chart a server-rendered SVG beside its table;
- ``/indicator/drill-down``: the cooperatives behind a figure, a page at a time, with the
  contract (and delivery) that made each count or the reason it did not;
- ``/indicator/<table>.csv|.xlsx``: every table as a file, with the page's filters (the
  drill-down whole, streamed).

Beside the headline, the figures published for the period and scope shown
(``indicator_dashboard.published``) or the form that publishes them, which
``app.web.indicator_publications`` handles (rendering this page again with the service's
refusal).

Input that cannot be read answers 400, input the service refuses 422, both with the
message beside the field. Views parse, ask ``indicator_dashboard`` (which asks the
service) and render; nothing here counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, request
from flask_babel import format_date, format_percent
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.auth.current import current_actor
from app.web import indicator_dashboard as board
from app.web import indicator_tables as tables
from app.web.batch_display import fmt_local, render
from app.web.charts import Point, bar_chart, line_chart
from app.web.form_support import page_number
from app.web.indicator_filters import (
    BREAKDOWNS,
    PERIOD_KINDS,
    VARIANT_CODES,
    WHICH,
    Filters,
    parse_filters,
)
from app.web.publication_forms import PublishForm
from app.web.table_files import table_download
from core.actor import Actor
from core.clock import VIETNAM, local_today
from core.db import db, utcnow
from core.errors import ValidationFailed
from core.formatting import format_quantity
from core.i18n import _
from core.spreadsheets import Cell, Column
from linkages.indicator import service
from linkages.indicator.period import current_statistical_year
from linkages.indicator.query import IndicatorQuery
from traceability.services.products import commodities

bp = Blueprint("web_indicator", __name__, url_prefix="/indicator")

FieldErrors = dict[str, list[str]]


# --------------------------------------------------------------------------- helpers


def _percent(value: float | None) -> str:
    """A percentage (0–100) as the reader writes it ("44,4 %"); "—" for none."""
    return "—" if value is None else str(format_percent(value / 100, "#,##0.#%"))


def _points(value: float | None) -> str:
    """A gap in percentage points, signed ("+5,6", "−2"); "—" for none."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    return f"{sign}{format_quantity(abs(round(value, 1)))}"


def _amount(value: float | int | None, unit: str) -> str:
    text = format_quantity(value)
    return f"{text} kg" if unit == "kg" else text


def period_text(period: dict[str, Any]) -> str:
    start, end = format_date(period["start"]), format_date(period["end"])
    if period["kind"] == "range":
        return _("%(start)s – %(end)s", start=start, end=end)
    if period["kind"] == "statistical_year":
        name = _("Statistical year %(year)d", year=period["year"])
    else:
        name = _("Calendar year %(year)d", year=period["year"])
    return f"{name} ({start} – {end})"


HELPERS: dict[str, Any] = {
    "percent": _percent,
    "points": _points,
    "amount": _amount,
    "period_text": period_text,
    "group_label": tables.group_label,
    "breakdown_labels": tables.BREAKDOWN_LABELS,
    "period_labels": tables.PERIOD_LABELS,
    "which_labels": tables.WHICH_LABELS,
    "size_labels": tables.SIZE_LABELS,
    "yes_no": tables.yes_no,
    "overview_rows": tables.overview_rows,
    "fmt_local": fmt_local,
}
bp.context_processor(lambda: HELPERS)


def _scope(own: str | None, filters: Filters, places: board.Places) -> dict[str, Any]:
    """What the page says about its scope: the province the actor is confined to
    (``own``, the service's answer), a province the national reader picked, or the whole
    country."""
    names = places.province_names
    if own is not None:
        foreign = filters.province not in (None, own)
        return {"scoped": True, "name": names.get(own, own), "other_asked": foreign}
    if filters.province:
        return {"scoped": False, "name": names.get(filters.province, filters.province),
                "other_asked": False}
    return {"scoped": False, "name": None, "other_asked": False}


FORM_FIELDS = frozenset({"variant", "period", "year", "from", "to", "as_of", "breakdown",
                         "region_scheme", "commodity", "include_suspended", "years"})


def _form_context(actor: Actor, filters: Filters, errors: FieldErrors,
                  places: board.Places, *, drill: bool = False) -> dict[str, Any]:
    own = service.require_reader(actor)  # None: the whole country
    shown = set(FORM_FIELDS)
    if own is None:
        shown.add("province")
    if drill:
        shown.update({"which", "group"})
    year = filters.year or (local_today().year if filters.period == "calendar_year"
                            else current_statistical_year())
    return {
        "filters": filters,
        "typed": filters.typed,
        "errors": errors,
        # Messages about a parameter the form has no field for (a province asked of a
        # province authority in the URL): above the form.
        "loose_errors": [m for name, ms in errors.items() if name not in shown for m in ms],
        "places": places,
        "shown_year": year,
        "variant_codes": VARIANT_CODES,
        "variant_names": {v["code"]: v["name"] for v in service.definitions()["variants"]},
        "period_kinds": PERIOD_KINDS,
        "breakdowns": BREAKDOWNS,
        "which_choices": WHICH,
        "commodities": commodities(),
        "scope": _scope(own, filters, places),
        # Where the page's own links go (a refused download renders the page too).
        "page_endpoint": "web_indicator.drill_down" if drill else "web_indicator.dashboard",
    }


def read_filters(actor: Actor) -> tuple[board.Places, Filters, FieldErrors]:
    """Who asks (403 before anything else) and what: the filters, and the fields that
    could not be read."""
    service.require_reader(actor)
    places = board.places(actor)
    filters, errors = parse_filters(request.args, default_scheme=places.default_scheme)
    return places, filters, errors


def refused(error: ValidationFailed) -> FieldErrors:
    db.session.rollback()
    errors = {k: list(v) for k, v in error.field_errors.items()}
    if not errors and error.detail is not None:
        errors[""] = [str(error.detail)]
    return errors


# --------------------------------------------------------------------------- charts


def _chart_points(figure: dict[str, Any], regions: dict[str, str] | None = None
                  ) -> list[Point]:
    return [
        Point(tables.group_label(figure["breakdown"], g["key"], g["label"], regions),
              g["percent"], _percent(g["percent"]))
        for g in figure["groups"]
    ]


def _charts(data: board.Dashboard, regions: dict[str, str]) -> dict[str, Any]:
    target = data.target.value if data.target else None
    target_text = _("Target %(value)s", value=_percent(target)) if target is not None else ""
    name = data.figure["variant"]["name"]
    period = period_text(data.figure["period"])
    charts: dict[str, Any] = {
        "trend": line_chart(
            "chart-trend",
            _("Trend of variant %(name)s", name=name),
            _("Share counted by variant %(name)s in each year, as of %(day)s.", name=name,
              day=format_date(data.trend["as_of"])),
            [Point(str(p["year"]), p["percent"], _percent(p["percent"]))
             for p in data.trend["points"]],
            target=target, target_text=target_text, empty_text=_("No figure."),
        ),
        "breakdown": bar_chart(
            "chart-breakdown",
            _("Variant %(name)s by %(breakdown)s",
              name=name, breakdown=str(tables.BREAKDOWN_LABELS[data.figure["breakdown"]])
              .lower()),
            _("Share counted in each group, %(period)s.", period=period),
            _chart_points(data.figure, regions),
            target=target, target_text=target_text, empty_text=_("No figure."),
        ),
    }
    if data.region is not None:
        charts["region"] = bar_chart(
            "chart-region", _("Variant %(name)s by region", name=name),
            _("Share counted in each region, %(period)s.", period=period),
            _chart_points(data.region, regions), target=target, target_text=target_text,
            empty_text=_("No figure."),
        )
    if data.commodity is not None:
        charts["commodity"] = bar_chart(
            "chart-commodity", _("Variant %(name)s by commodity", name=name),
            _("Share of the denominator with a counting contract for each commodity, "
              "%(period)s.", period=period),
            _chart_points(data.commodity), target=target, target_text=target_text,
            empty_text=_("No figure."),
        )
    return charts


# --------------------------------------------------------------------------- pages


def dashboard_page(actor: Actor, places: board.Places, filters: Filters,
                    errors: FieldErrors, status: int, *,
                    publish_form: FlaskForm | None = None,
                    publish_errors: Sequence[str] = ()) -> tuple[str, int]:
    """The dashboard; ``publish_form`` and ``publish_errors``: a refused publishing's form
    and the messages that fit none of its fields."""
    data = None
    charts: dict[str, Any] = {}
    if not errors:
        try:
            data = board.dashboard(actor, filters)
        except ValidationFailed as error:
            errors, status = refused(error), 422
    scheme = places.scheme(filters.region_scheme)
    regions = scheme.regions if scheme else {}
    if data is not None:
        charts = _charts(data, regions)
    return render(
        "indicator/dashboard.html", status,
        board=data, charts=charts, regions=regions, scheme=scheme,
        horizon_year=board.HORIZON_YEAR,
        publish_form=publish_form or PublishForm(), publish_errors=list(publish_errors),
        **_form_context(actor, filters, errors, places),
    )


@bp.get("")
@login_required
def dashboard() -> tuple[str, int]:
    actor = current_actor()
    places, filters, errors = read_filters(actor)
    return dashboard_page(actor, places, filters, errors, 400 if errors else 200)


@bp.get("/drill-down")
@login_required
def drill_down() -> tuple[str, int]:
    actor = current_actor()
    places, filters, errors = read_filters(actor)
    return _drill_page(actor, places, filters, errors, 400 if errors else 200)


def _drill_page(actor: Actor, places: board.Places, filters: Filters,
                errors: FieldErrors, status: int) -> tuple[str, int]:
    query, rows = None, None
    if not errors:
        try:
            query, rows = board.drill_page(actor, filters, page_number())
        except ValidationFailed as error:
            errors, status = refused(error), 422
    scheme = places.scheme(filters.region_scheme)
    regions = scheme.regions if scheme else {}
    group_name = None
    if query is not None and filters.group is not None:
        group_name = tables.group_label(
            filters.breakdown, filters.group,
            places.province_names.get(filters.group, filters.group), regions)
    return render(
        "indicator/drill_down.html", status,
        query=query, rows=rows, group_name=group_name, regions=regions,
        variant=query.variant.as_dict() if query else None,
        **_form_context(actor, filters, errors, places, drill=True),
    )


# --------------------------------------------------------------------------- downloads


def _period_slug(q: IndicatorQuery) -> str:
    p = q.period
    if p.kind == "statistical_year":
        return f"sy{p.year}"
    if p.kind == "calendar_year":
        return f"cy{p.year}"
    return f"{p.start:%Y%m%d}-{p.end:%Y%m%d}"


def _stem(table: str, q: IndicatorQuery, *extra: str) -> str:
    """What the file holds and when: table, variant, period, scope, as-of date."""
    scope = q.scope_province or q.province or "vn"
    parts = ["htx-indicator", table, q.variant.code.value, *extra, _period_slug(q), scope,
             f"asof-{q.as_of.as_of:%Y%m%d}"]
    return "-".join(p for p in parts if p)


def _about(q: IndicatorQuery, filters: Filters, places: board.Places,
           *extra: tuple[Any, Cell]) -> list[tuple[Any, Cell]]:
    v = q.variant.as_dict()
    names = places.province_names
    scope = q.scope_province or q.province
    return [
        (_("Variant"), f"{v['code']} · {v['name']} (v{v['version']})"),
        (_("Definition"), v["definition"]),
        (_("Period"), period_text(q.period.as_dict())),
        (_("As of"), q.as_of.as_of),
        (_("Reference day"), q.on),
        (_("Scope"), names.get(scope, scope) if scope else _("Whole country")),
        (_("Commodity"), filters.commodity or _("All commodities")),
        (_("Suspended cooperatives included"), tables.yes_no(q.include_suspended)),
        *extra,
        (_("Made on"), utcnow().astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M %z")),
    ]


Table = tuple[list[Column], Any]
Builder = Callable[[Actor, Filters, board.Places], tuple[IndicatorQuery, str, Table, list[Any]]]


def _breakdown_file(actor: Actor, filters: Filters, places: board.Places
                    ) -> tuple[IndicatorQuery, str, Table, list[Any]]:
    q = service.build_query(actor, **filters.service_params())
    scheme = places.scheme(filters.region_scheme)
    figure = board.figure(actor, filters)
    extra = [(_("Breakdown"), str(tables.BREAKDOWN_LABELS[filters.breakdown]))]
    if filters.breakdown == "region" and scheme:
        extra.append((_("Region scheme"), scheme.name))
    table = tables.breakdown_table(figure, scheme.regions if scheme else None)
    return q, _stem("breakdown", q, filters.breakdown), table, extra


def _trend_file(actor: Actor, filters: Filters, places: board.Places
                ) -> tuple[IndicatorQuery, str, Table, list[Any]]:
    q = service.build_query(actor, **filters.service_params())
    trend = board.trend(actor, filters)
    first, last = trend["points"][0]["year"], trend["points"][-1]["year"]
    return q, _stem("trend", q, f"{first}-{last}"), tables.trend_table(trend), []


def _variants_file(actor: Actor, filters: Filters, places: board.Places
                   ) -> tuple[IndicatorQuery, str, Table, list[Any]]:
    q = service.build_query(actor, **filters.service_params(breakdown="none"))
    totals = board.variant_totals(actor, filters)
    stem = _stem("variants", q).replace(f"-{q.variant.code.value}-", "-all-", 1)
    return q, stem, tables.variants_table(totals), []


def _overview_file(actor: Actor, filters: Filters, places: board.Places
                   ) -> tuple[IndicatorQuery, str, Table, list[Any]]:
    q = service.build_query(actor, **filters.service_params(breakdown="none"))
    data = board.overview_of(actor, filters)
    stem = _stem("overview", q).replace(f"-{q.variant.code.value}-", "-", 1)
    return q, stem, tables.overview_table(data), []


def _drill_file(actor: Actor, filters: Filters, places: board.Places
                ) -> tuple[IndicatorQuery, str, Table, list[Any]]:
    q, rows = board.drill_rows(actor, filters)
    table = (tables.drill_columns(), tables.drill_cells(rows, places.province_names))
    extra = [(_("Cooperatives shown"), str(tables.WHICH_LABELS.get(filters.which,
                                                                    filters.which)))]
    if filters.group:
        extra.append((_("Group"), filters.group))
    return q, _stem("drill-down", q, filters.which, filters.group or ""), table, extra


FILES: dict[str, tuple[Builder, Any]] = {
    "breakdown": (_breakdown_file, dashboard_page),
    "trend": (_trend_file, dashboard_page),
    "variants": (_variants_file, dashboard_page),
    "overview": (_overview_file, dashboard_page),
    "drill-down": (_drill_file, _drill_page),
}


def _download(table: str, fmt: str) -> Response | tuple[str, int]:
    actor = current_actor()
    places, filters, errors = read_filters(actor)
    build, page = FILES[table]
    if errors:  # the page again, with the messages beside the fields
        return page(actor, places, filters, errors, 400)  # type: ignore[no-any-return]
    try:
        q, stem, (columns, rows), extra = build(actor, filters, places)
    except ValidationFailed as error:
        return page(actor, places, filters, refused(error), 422)  # type: ignore[no-any-return]
    return table_download(fmt, columns, rows, filename_stem=stem, sheet_name=table,
                          about=_about(q, filters, places, *extra),
                          stream=table == "drill-down")


def _register_downloads() -> None:
    """``/indicator/<table>.csv`` and ``.xlsx``: one plain route each (no URL argument,
    so each is an endpoint of its own: ``web_indicator.<table>_<fmt>``)."""
    for table in FILES:
        for fmt in ("csv", "xlsx"):
            def view(table: str = table, fmt: str = fmt) -> Response | tuple[str, int]:
                return _download(table, fmt)

            endpoint = f"{table.replace('-', '_')}_{fmt}"
            view.__name__ = endpoint
            bp.add_url_rule(f"/{table}.{fmt}", endpoint, login_required(view),
                            methods=["GET"])


_register_downloads()
