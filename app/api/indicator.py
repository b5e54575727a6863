"""The value-chain linkage indicator (issue 12 §1): figures by variant, period, as-of date
and breakdown; the trend over years; the drill-down to the cooperatives behind a figure;
the variants' definitions and versions.

Figures, trend and drill-down are for platform admins and authorities (a province-scoped
authority sees its province only, whatever it asks); the definitions are public.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.api.openapi import PUBLIC
from app.auth.current import current_actor
from core.paging import rows_and_total
from linkages.indicator import overview, service
from linkages.schemas.indicator import (
    IndicatorDefinitionsOut,
    IndicatorDrillArgs,
    IndicatorDrillRowOut,
    IndicatorFigureArgs,
    IndicatorFigureOut,
    IndicatorTrendArgs,
    IndicatorTrendOut,
)
from linkages.schemas.overview import IndicatorOverviewArgs, IndicatorOverviewOut

# Organisations' users are refused (403): figures are for authorities and admins.
FOR_AUTHORITIES = {"responses": {"403": "FORBIDDEN"}}

blp = ApiBlueprint(
    "api_indicator",
    __name__,
    url_prefix="/api/indicator",
    description="The value-chain linkage indicator: named, versioned variants (DOMAIN.md §4) "
    "as of any date, by province, region, commodity, form, leader type or size class; "
    "trend and drill-down.",
)


class RowPage(SelectPage):
    """``SelectPage`` for the drill-down's select of several columns: each item is one
    row, shaped by ``service.drill_row``; the page and the total in one statement
    (``core.paging.rows_and_total``), since every run of the select decides the whole
    geography's standing again."""

    def __init__(self, collection: Any, page_params: Any) -> None:
        self._rows, self._total = rows_and_total(
            collection, page_params.first_item, page_params.page_size)
        super().__init__(collection, page_params)

    @property
    def item_count(self) -> int:
        return self._total

    @property
    def items(self) -> list[Any]:
        return [service.drill_row(r) for r in self._rows]


@blp.route("/variants")
class Variants(MethodView):
    @blp.doc(**PUBLIC)
    @blp.response(200, IndicatorDefinitionsOut)
    def get(self) -> Any:
        """Every variant's code, version, name and definition, and the denominator's."""
        return service.definitions()


@blp.route("/figures")
class Figures(MethodView):
    @blp.doc(**FOR_AUTHORITIES)
    @blp.arguments(IndicatorFigureArgs, location="query")
    @blp.response(200, IndicatorFigureOut)
    def get(self, args: dict[str, Any]) -> Any:
        """One variant's figure for a period as of a date, total and broken down, with its
        definition and version."""
        return service.figure(current_actor(), **args)


@blp.route("/trend")
class Trend(MethodView):
    @blp.doc(**FOR_AUTHORITIES)
    @blp.arguments(IndicatorTrendArgs, location="query")
    @blp.response(200, IndicatorTrendOut)
    def get(self, args: dict[str, Any]) -> Any:
        """The same variant over consecutive years, as of the same date."""
        return service.trend(current_actor(), **args)


@blp.route("/overview")
class Overview(MethodView):
    @blp.doc(**FOR_AUTHORITIES)
    @blp.arguments(IndicatorOverviewArgs, location="query")
    @blp.response(200, IndicatorOverviewOut)
    def get(self, args: dict[str, Any]) -> Any:
        """The figures beside the linkage indicator: high-tech HTX (verified and claimed),
        traceability adoption, OCOP products by stars, the good/fair rating share, and the
        counts of HTX, THT, LHHTX and members, each against the targets of the year and of
        2030."""
        return overview.overview(current_actor(), **args)


@blp.route("/drill-down")
class DrillDown(MethodView):
    @blp.doc(**FOR_AUTHORITIES)
    @blp.arguments(IndicatorDrillArgs, location="query")
    @blp.response(200, IndicatorDrillRowOut(many=True))
    @blp.paginate(RowPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The cooperatives behind a figure: in the numerator or not, the contract (and
        delivery) that made each count, or the reason it did not."""
        _query, rows = service.drill(current_actor(), **args)
        return rows
