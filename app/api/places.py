"""Places: provinces, communes, pre-2025 provinces and region schemes (public, read-only)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.api.openapi import PUBLIC
from linkages.schemas.places import (
    CommuneDetailOut,
    CommuneListArgs,
    CommuneOut,
    LegacyProvinceOut,
    ProvinceDetailOut,
    ProvinceOut,
    RegionSchemeDetailOut,
    RegionSchemeOut,
)
from linkages.services import places

blp = ApiBlueprint(
    "api_places",
    __name__,
    url_prefix="/api/places",
    description="Administrative places since 1 July 2025, the 63 provinces before it, and "
    "region schemes. Public reference data: no authentication needed.",
)


@blp.route("/provinces")
class Provinces(MethodView):
    @blp.doc(**PUBLIC)
    @blp.response(200, ProvinceOut(many=True))
    @blp.paginate(SelectPage)
    def get(self):  # type: ignore[no-untyped-def]
        """The 34 province-level units, by code."""
        return places.provinces_query()


@blp.route("/provinces/<code>")
class ProvinceDetail(MethodView):
    @blp.doc(**PUBLIC)
    @blp.response(200, ProvinceDetailOut)
    def get(self, code: str):  # type: ignore[no-untyped-def]
        """One province, with the pre-2025 provinces merged into it."""
        return places.get_province(code, with_legacy=True)


@blp.route("/provinces/<code>/communes")
class ProvinceCommunes(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(CommuneListArgs, location="query", as_kwargs=True)
    @blp.response(200, CommuneOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, code: str, q: str | None = None, kind: str | None = None) -> Any:
        """The communes of a province by name; ``q`` filters on the name, accents optional."""
        return places.communes_of_province_query(code, q, [kind] if kind else [])


@blp.route("/communes/<code>")
class CommuneDetail(MethodView):
    @blp.doc(**PUBLIC)
    @blp.response(200, CommuneDetailOut)
    def get(self, code: str):  # type: ignore[no-untyped-def]
        """One commune with its province."""
        return places.get_commune(code)


@blp.route("/legacy-provinces")
class LegacyProvinces(MethodView):
    @blp.doc(**PUBLIC)
    @blp.response(200, LegacyProvinceOut(many=True))
    @blp.paginate(SelectPage)
    def get(self):  # type: ignore[no-untyped-def]
        """The 63 provinces before 1 July 2025, each with the province it was merged into."""
        return places.legacy_provinces_query()


@blp.route("/region-schemes")
class RegionSchemes(MethodView):
    @blp.doc(**PUBLIC)
    @blp.response(200, RegionSchemeOut(many=True))
    @blp.paginate(SelectPage)
    def get(self):  # type: ignore[no-untyped-def]
        """Region schemes: which provinces make up which region, official or provisional."""
        return places.region_schemes_query()


@blp.route("/region-schemes/<code>")
class RegionSchemeDetail(MethodView):
    @blp.doc(**PUBLIC)
    @blp.response(200, RegionSchemeDetailOut)
    def get(self, code: str) -> Any:
        """A scheme with its regions and every province membership (with valid_from)."""
        return places.get_region_scheme(code)
