"""Production areas of a cooperative and their cultivation diary (private data).

Areas are read by the cooperative's users, platform admins and authorities of the
province (of the cooperative or of the land); others get 404. The cooperative's users,
staff included, write. Diary entries can be corrected only on the day they were recorded,
by their author or an org admin; after that they are kept as recorded.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.auth.current import current_actor
from core.db import db
from traceability.schemas.areas import AreaCreateIn, AreaListArgs, AreaOut, AreaUpdateIn
from traceability.schemas.diary import (
    DiaryEntryCreateIn,
    DiaryEntryOut,
    DiaryEntryUpdateIn,
    DiaryListArgs,
)
from traceability.services import areas, diary

blp = ApiBlueprint(
    "api_areas",
    __name__,
    url_prefix="/api/areas",
    description="Production areas (plots, ponds, barns…) and their cultivation diary.",
)


@blp.route("")
class Areas(MethodView):
    @blp.arguments(AreaListArgs, location="query")
    @blp.response(200, AreaOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The areas the token may read, by organisation and code; filter by
        ``organisation_id``, ``kind``, ``active`` or ``q`` (code, name, crop)."""
        return areas.list_areas(current_actor(), **args)

    @blp.arguments(AreaCreateIn)
    @blp.response(201, AreaOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an area of the token's cooperative (a platform admin names
        ``organisation_id``). 409 on a duplicate code."""
        organisation_id = data.pop("organisation_id")
        area = areas.create_area(current_actor(), organisation_id, **data)
        db.session.commit()
        return area


@blp.route("/<int:area_id>")
class AreaDetail(MethodView):
    @blp.response(200, AreaOut)
    def get(self, area_id: int) -> Any:
        """One area."""
        return areas.get_area(current_actor(), area_id)

    @blp.arguments(AreaUpdateIn)
    @blp.response(200, AreaOut)
    def patch(self, data: dict[str, Any], area_id: int) -> Any:
        """Change an area; ``household_ids`` replaces the households when given."""
        area = areas.update_area(current_actor(), area_id, **data)
        db.session.commit()
        return area


@blp.route("/<int:area_id>/diary")
class Diary(MethodView):
    @blp.arguments(DiaryListArgs, location="query")
    @blp.response(200, DiaryEntryOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, args: dict[str, Any], area_id: int) -> Any:
        """The area's diary, newest first; filter by ``kind`` and ``since``/``until``."""
        return diary.list_entries(current_actor(), area_id, **args)

    @blp.arguments(DiaryEntryCreateIn)
    @blp.response(201, DiaryEntryOut)
    def post(self, data: dict[str, Any], area_id: int) -> Any:
        """Record an entry; a pesticide names its active ingredient and PHI days."""
        entry = diary.add_entry(current_actor(), area_id, **data)
        db.session.commit()
        return entry


@blp.route("/<int:area_id>/diary/<int:entry_id>")
class DiaryEntryDetail(MethodView):
    @blp.response(200, DiaryEntryOut)
    def get(self, area_id: int, entry_id: int) -> Any:
        """One diary entry."""
        return diary.get_entry(current_actor(), area_id, entry_id)

    @blp.arguments(DiaryEntryUpdateIn)
    @blp.response(200, DiaryEntryOut)
    def patch(self, data: dict[str, Any], area_id: int, entry_id: int) -> Any:
        """Correct an entry on the day it was recorded (its author or an org admin);
        409 afterwards: record a new, correcting entry instead."""
        entry = diary.correct_entry(current_actor(), area_id, entry_id, **data)
        db.session.commit()
        return entry
