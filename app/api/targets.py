"""Targets of the indicator figures (issue 12 §2): the strategy's values as data, with
their source document and a verified flag.

Every signed-in user reads them; platform admins and national authorities edit national
targets and any province's, a province authority its province's only (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.auth.current import current_actor
from core.db import db
from linkages.indicator import targets
from linkages.schemas.targets import TargetCreateIn, TargetListArgs, TargetOut, TargetUpdateIn

blp = ApiBlueprint(
    "api_targets",
    __name__,
    url_prefix="/api/targets",
    description="Targets the indicator figures are measured against (national or a "
    "province's), with their source document and whether they are verified.",
)


@blp.route("")
class Targets(MethodView):
    @blp.arguments(TargetListArgs, location="query")
    @blp.response(200, TargetOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The targets, by year, scope (national first) and metric."""
        return targets.list_targets(current_actor(), **args)

    @blp.arguments(TargetCreateIn)
    @blp.response(201, TargetOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Record a target of a scope the caller edits."""
        target = targets.create_target(current_actor(), data)
        db.session.commit()
        return target


@blp.route("/<int:target_id>")
class TargetDetail(MethodView):
    @blp.response(200, TargetOut)
    def get(self, target_id: int) -> Any:
        """One target."""
        return targets.get_target(current_actor(), target_id)

    @blp.arguments(TargetUpdateIn)
    @blp.response(200, TargetOut)
    def patch(self, data: dict[str, Any], target_id: int) -> Any:
        """Change some fields of a target of a scope the caller edits."""
        target = targets.update_target(current_actor(), target_id, data)
        db.session.commit()
        return target

    @blp.response(200, TargetOut)
    def delete(self, target_id: int) -> Any:
        """Delete a target of a scope the caller edits; answers the target as it was."""
        target = targets.delete_target(current_actor(), target_id)
        db.session.commit()
        return target
