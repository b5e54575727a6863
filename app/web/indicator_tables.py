"""The indicator pages' tables, as the page shows them and as they download: the labels
of group keys, the columns of each table and its rows as cells.

One definition per table, so the CSV and XLSX hold the same columns as the page (the
page adds links; files keep the codes beside the names, for sorting and joining).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from core.i18n import _, _l
from core.spreadsheets import Cell, Column
from linkages.labels import ORG_STATUS_LABELS, label
from linkages.models.cooperatives import SizeClass
from linkages.models.targets import NATIONAL
from traceability.services.products import COMMODITY_LABELS

SIZE_LABELS: dict[str, Any] = {
    SizeClass.MICRO: _l("Micro"),
    SizeClass.SMALL: _l("Small"),
    SizeClass.MEDIUM: _l("Medium"),
    SizeClass.LARGE: _l("Large"),
}
LEADER_LABELS: dict[str, Any] = {
    "dn_led": _l("Led by an enterprise"),
    "htx_led": _l("Led by a cooperative"),
    "other": _l("Other or no leader"),
}
BREAKDOWN_LABELS: dict[str, Any] = {
    "province": _l("Province"),
    "region": _l("Region"),
    "commodity": _l("Commodity"),
    "form": _l("Linkage form"),
    "leader_type": _l("Leader type"),
    "size_class": _l("Size class"),
}
PERIOD_LABELS: dict[str, Any] = {
    "statistical_year": _l("Statistical year (15 Dec – 14 Dec)"),
    "calendar_year": _l("Calendar year"),
    "range": _l("Date range"),
}
WHICH_LABELS: dict[str, Any] = {
    "numerator": _l("Counted (numerator)"),
    "denominator": _l("Denominator"),
    "not_counted": _l("In the denominator, not counted"),
    "excluded": _l("Not in the denominator"),
    "all": _l("All cooperatives of the scope"),
}


def group_label(breakdown: str, key: str | None, given: str = "",
                regions: dict[str, str] | None = None) -> str:
    """How a group of ``breakdown`` reads: a province's or region's name, a commodity, a
    form, a leader type or a size class in the reader's language."""
    if key is None:
        return _("Not recorded")
    if breakdown == "region" and regions and key in regions:
        return regions[key]
    if breakdown == "commodity":
        return str(label(key, COMMODITY_LABELS))
    if breakdown == "form" and key.isdigit():
        return _("Form %(form)d", form=int(key))
    if breakdown == "leader_type":
        return str(label(key, LEADER_LABELS))
    if breakdown == "size_class":
        return str(label(key, SIZE_LABELS))
    return given or key


def _value_columns(volume: bool) -> list[Column]:
    if volume:
        return [
            Column(_l("Delivered under contracts (kg)"), 18, "#,##0.####"),
            Column(_l("Harvested (kg)"), 16, "#,##0.####"),
            Column(_l("Share (%)"), 10, "0.00"),
            Column(_l("Gap to target (percentage points)"), 16, "0.00"),
            Column(_l("Cooperatives with batches"), 14),
        ]
    return [
        Column(_l("Counted (numerator)"), 14),
        Column(_l("Denominator"), 14),
        Column(_l("Share (%)"), 10, "0.00"),
        Column(_l("Gap to target (percentage points)"), 16, "0.00"),
    ]


def _values(entry: dict[str, Any], volume: bool) -> list[Cell]:
    cells: list[Cell] = [entry["numerator"], entry["denominator"], entry["percent"],
                         entry["gap_to_target"]]
    if volume:
        cells.append(entry.get("cooperatives"))
    return cells


def breakdown_table(figure: dict[str, Any], regions: dict[str, str] | None = None
                    ) -> tuple[list[Column], list[list[Cell]]]:
    """The breakdown: one row per group, then the total."""
    volume = figure["variant"]["unit"] == "kg"
    breakdown = figure["breakdown"]
    columns = [Column(_l("Code"), 10), Column(BREAKDOWN_LABELS.get(breakdown, breakdown), 28),
               *_value_columns(volume)]
    rows: list[list[Cell]] = [
        [g["key"], group_label(breakdown, g["key"], g["label"], regions),
         *_values(g, volume)]
        for g in figure["groups"]
    ]
    rows.append(["", _("Total"), *_values(figure["total"], volume)])
    return columns, rows


def trend_table(trend: dict[str, Any]) -> tuple[list[Column], list[list[Cell]]]:
    """The trend: one row per year."""
    volume = trend["variant"]["unit"] == "kg"
    columns = [Column(_l("Year"), 8), Column(_l("From"), 12), Column(_l("To"), 12),
               Column(_l("Reference day"), 14), *_value_columns(volume)]
    rows: list[list[Cell]] = [
        [p["year"], p["period"]["start"], p["period"]["end"], p["reference_day"],
         *_values(p, volume)]
        for p in trend["points"]
    ]
    return columns, rows


def variants_table(totals: list[dict[str, Any]]) -> tuple[list[Column], list[list[Cell]]]:
    """Every variant's total, with its version and written definition."""
    columns = [
        Column(_l("Variant"), 8), Column(_l("Name"), 18), Column(_l("Version"), 8),
        Column(_l("Unit"), 12), Column(_l("Counted (numerator)"), 14),
        Column(_l("Denominator"), 14), Column(_l("Share (%)"), 10, "0.00"),
        Column(_l("Gap to target (percentage points)"), 16, "0.00"),
        Column(_l("Definition"), 80),
    ]
    rows: list[list[Cell]] = []
    for figure in totals:
        v, t = figure["variant"], figure["total"]
        unit = _("kg") if v["unit"] == "kg" else _("cooperatives")
        rows.append([v["code"], v["name"], v["version"], unit, t["numerator"],
                     t["denominator"], t["percent"], t["gap_to_target"], v["definition"]])
    return columns, rows


OVERVIEW_LABELS: dict[str, Any] = {
    "htx": _l("Cooperatives (HTX) open"),
    "tht": _l("Cooperative groups (THT) open"),
    "lhhtx": _l("Cooperative unions (LHHTX) open"),
    "members": _l("Members of the cooperatives"),
    "high_tech": _l("High-tech HTX, verified on an official basis"),
    "high_tech_claimed": _l("High-tech HTX, claimed only (not counted officially)"),
    "rating": _l("Rated HTX rated good or fair (%)"),
    "traceability": _l("Agricultural HTX with a traced batch of 2 or more events (%)"),
}


@dataclass(frozen=True)
class OverviewRow:
    """One measure beside the linkage indicator: its value, the targets of the year and
    of 2030 (None: none recorded) and the gap to the year's (percentage points for a
    share), and whether it is a share (shown as a percentage)."""

    key: str
    label: str
    value: float | int | None
    share: bool = False
    target: float | None = None
    target_2030: float | None = None
    gap: float | None = None
    detail: str = ""


def _measured(key: str, measure: dict[str, Any], share: bool = False, detail: str = "",
              scope: str = NATIONAL) -> OverviewRow:
    target, horizon = measure.get("target"), measure.get("target_2030")
    # A province's share read against national targets (it has none of its own) says so.
    if scope != NATIONAL and any(t and t["scope"] == NATIONAL for t in (target, horizon)):
        borrowed = _("against the national target: the province has none of its own")
        detail = f"{detail}; {borrowed}" if detail else borrowed
    return OverviewRow(
        key, str(label(key, OVERVIEW_LABELS)), measure["value"], share,
        None if target is None else target["value"],
        None if horizon is None else horizon["value"],
        None if target is None else target["gap"], detail)


def overview_rows(data: dict[str, Any]) -> list[OverviewRow]:
    """The overview (``linkages.indicator.overview.overview``) as rows: counts, members,
    high-tech (verified, then claimed apart), the good/fair share, traceability adoption
    and the OCOP products of each star rating."""
    counts, rating, traced = data["counts"], data["rating"], data["traceability"]
    scope = data["target_scope"]
    rows = [_measured(key, counts[key], scope=scope)
            for key in ("htx", "tht", "lhhtx", "members")]
    rows.append(_measured("high_tech", data["high_tech"], scope=scope))
    rows.append(OverviewRow("high_tech_claimed", str(OVERVIEW_LABELS["high_tech_claimed"]),
                            data["high_tech"]["claimed"]))
    rows.append(_measured("rating", rating, share=True, detail=_(
        "%(good_fair)d of %(rated)d rated; %(unrated)d not rated",
        good_fair=rating["good_fair"], rated=rating["rated"], unrated=rating["unrated"]),
        scope=scope))
    rows.append(OverviewRow(
        "traceability", str(OVERVIEW_LABELS["traceability"]), traced["percent"], True,
        detail=_("%(n)d of %(d)d", n=traced["numerator"], d=traced["denominator"])))
    for entry in data["ocop"]["by_stars"]:
        stars = entry["stars"]
        rows.append(OverviewRow(
            f"ocop_{stars}", _("OCOP products, %(n)d stars", n=stars) if stars
            else _("OCOP products, stars not recorded"), entry["products"]))
    return rows


def overview_table(data: dict[str, Any]) -> tuple[list[Column], list[list[Cell]]]:
    """The overview as a file: one row per measure."""
    year = data["statistical_year"]
    columns = [
        Column(_l("Measure"), 48), Column(_l("Value"), 12, "#,##0.##"),
        Column(_l("Unit"), 8),
        Column(_("Target %(year)d", year=year), 12, "#,##0.##"),
        Column(_("Target %(year)d", year=2030), 12, "#,##0.##"),
        Column(_l("Gap to the year's target"), 14, "#,##0.##"), Column(_l("Detail"), 36),
    ]
    cells: list[list[Cell]] = [
        [r.label, r.value, "%" if r.share else "", r.target, r.target_2030, r.gap, r.detail]
        for r in overview_rows(data)
    ]
    return columns, cells


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def drill_columns() -> list[Column]:
    return [
        Column(_l("Registration code"), 14), Column(_l("Cooperative"), 36),
        Column(_l("Province code"), 8), Column(_l("Province"), 22),
        Column(_l("Size class"), 10), Column(_l("Status on the reference day"), 16),
        Column(_l("In the denominator"), 10), Column(_l("Counted"), 10),
        Column(_l("Contract"), 18), Column(_l("Delivery"), 10), Column(_l("Reason"), 48),
    ]


def drill_cells(rows: Iterable[dict[str, Any]], provinces: dict[str, str]
                ) -> Iterator[list[Cell]]:
    """Drill-down rows as cells, read as they are written."""
    for r in rows:
        yield [
            r["registration_code"], r["name"], r["province"],
            provinces.get(r["province"] or "", ""),
            str(label(r["size_class"], SIZE_LABELS)) if r["size_class"] else "",
            str(label(r["status"], ORG_STATUS_LABELS)) if r["status"] else "",
            yes_no(r["in_denominator"]), yes_no(r["counted"]),
            r["contract_code"] or "", r["delivery_id"], r["reason_text"],
        ]


__all__ = [
    "BREAKDOWN_LABELS",
    "LEADER_LABELS",
    "PERIOD_LABELS",
    "SIZE_LABELS",
    "WHICH_LABELS",
    "breakdown_table",
    "drill_cells",
    "drill_columns",
    "group_label",
    "overview_rows",
    "overview_table",
    "trend_table",
    "variants_table",
]
