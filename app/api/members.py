"""Members of an organisation (private): list, add, read, correct, record a departure.

Only the organisation's own users, a platform admin and an authority of its province may
read; only its org admins and platform admins may write. Others get 404, as if the
organisation had no members to show. Personal ID numbers go in as ``id_number`` and never
come back out (only a masked form with the last three digits).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.auth.current import current_actor
from core.db import db
from linkages.schemas.members import (
    MemberCreateIn,
    MemberLeaveIn,
    MemberListArgs,
    MemberOut,
    MemberUpdateIn,
)
from linkages.services import members

blp = ApiBlueprint(
    "api_members",
    __name__,
    url_prefix="/api/organisations/<int:org_id>/members",
    description="Members of a cooperative, union or cooperative group (private data).",
)


@blp.route("")
class Members(MethodView):
    @blp.arguments(MemberListArgs, location="query")
    @blp.response(200, MemberOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, args: dict[str, Any], org_id: int) -> Any:
        """The organisation's members by name: current ones, or former ones with
        ``active=false``; ``type`` filters on the member type."""
        return members.list_members(
            current_actor(),
            org_id,
            active_only=args["active"],
            member_type=args["type"],
            former_only=not args["active"],
        )

    @blp.arguments(MemberCreateIn)
    @blp.response(201, MemberOut)
    def post(self, data: dict[str, Any], org_id: int) -> Any:
        """Add a member (org admin). 409 when the person or legal entity is already an
        active member."""
        member = members.add_member(current_actor(), org_id, **data)
        db.session.commit()
        return member


@blp.route("/<int:member_id>")
class MemberDetail(MethodView):
    @blp.response(200, MemberOut)
    def get(self, org_id: int, member_id: int) -> Any:
        """One member."""
        return members.get_member(current_actor(), member_id, organisation_id=org_id)

    @blp.arguments(MemberUpdateIn)
    @blp.response(200, MemberOut)
    def patch(self, data: dict[str, Any], org_id: int, member_id: int) -> Any:
        """Correct a member's record (org admin); null clears an optional field."""
        member = members.update_member(
            current_actor(), member_id, organisation_id=org_id, **data
        )
        db.session.commit()
        return member


@blp.route("/<int:member_id>/leave")
class MemberLeave(MethodView):
    @blp.arguments(MemberLeaveIn)
    @blp.response(200, MemberOut)
    def post(self, data: dict[str, Any], org_id: int, member_id: int) -> Any:
        """Record the day the member left (org admin). The record is kept."""
        member = members.end_membership(
            current_actor(), member_id, data["left_on"], organisation_id=org_id
        )
        db.session.commit()
        return member
