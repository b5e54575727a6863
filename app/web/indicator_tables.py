"""The indicator pages' tables, as the page shows them and as they download: the labels
of group keys, the columns of each table and its rows as cells.

One definition per table, so the CSV and XLSX hold the same columns as the page (the
page adds links; files keep the codes beside the names, for sorting and joining).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from core.i18n import _, _l
from core.spreadsheets import Cell, Column
from linkages.labels import ORG_STATUS_LABELS, label
from linkages.models.cooperatives import SizeClass
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
    "trend_table",
    "variants_table",
]
