"""Published figures of the linkage indicator (issue 12 §3): an authority freezes the
figures of a period for the country or its province; anyone reads what was published; the
authorities read the cooperatives behind it and what changed since.

Publishing is for platform admins and authorities (a province authority: its province).
The publications themselves are public (no token needed). Their member lists, changes and
comparison with today name cooperatives: admins and authorities read them, a province
authority its province's part only; for anyone else they are someone else's private
records (404).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.api.openapi import PUBLIC
from app.auth.current import current_actor
from core.db import db
from linkages.indicator import publication_changes, publications
from linkages.schemas.publications import (
    PublicationChangeOut,
    PublicationChangesArgs,
    PublicationComparisonOut,
    PublicationCreateIn,
    PublicationListArgs,
    PublicationMemberOut,
    PublicationMembersArgs,
    PublicationOut,
)

blp = ApiBlueprint(
    "api_publications",
    __name__,
    url_prefix="/api/indicator/publications",
    description="Published figures of the linkage indicator: every variant's version, "
    "definition and results for a period, frozen when an authority published them; the "
    "cooperatives behind them and what changed since.",
)


class PublicationPage(SelectPage):
    """``SelectPage`` of publications, each shaped by ``publications.publication_dict``."""

    @property
    def items(self) -> list[Any]:
        return [publications.publication_dict(p) for p in super().items]


class MemberPage(SelectPage):
    @property
    def items(self) -> list[Any]:
        stmt = self.page_of(self.collection)
        if stmt is None:
            return []
        return [publications.member_row(r) for r in db.session.execute(stmt)]


class ChangePage(SelectPage):
    @property
    def items(self) -> list[Any]:
        stmt = self.page_of(self.collection)
        if stmt is None:
            return []
        return [publication_changes.change_row(r) for r in db.session.execute(stmt)]


@blp.route("")
class Publications(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(PublicationListArgs, location="query")
    @blp.response(200, PublicationOut(many=True))
    @blp.paginate(PublicationPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The published figures, the latest period first, the country before the
        provinces."""
        return publications.list_publications(current_actor(), **args)

    @blp.arguments(PublicationCreateIn)
    @blp.response(201, PublicationOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Publish the figures of an ended period for the country or a province: every
        variant computed as of today, then frozen."""
        publication = publications.publish(current_actor(), **data)
        db.session.commit()
        return publications.publication_dict(publication)


@blp.route("/<int:publication_id>")
class Publication(MethodView):
    @blp.doc(**PUBLIC)
    @blp.response(200, PublicationOut)
    def get(self, publication_id: int) -> Any:
        """One publication: its parameters and every variant's figures as published."""
        found = publications.get_publication(current_actor(), publication_id)
        return publications.publication_dict(found)


@blp.route("/<int:publication_id>/members")
class Members(MethodView):
    @blp.arguments(PublicationMembersArgs, location="query")
    @blp.response(200, PublicationMemberOut(many=True))
    @blp.paginate(MemberPage)
    def get(self, args: dict[str, Any], publication_id: int) -> Any:
        """The cooperatives behind a published figure (variants A–E), as published: in
        the count or not, the contract that made each count or the reason it did not."""
        return publications.members(current_actor(), publication_id, **args)


@blp.route("/<int:publication_id>/changes")
class Changes(MethodView):
    @blp.arguments(PublicationChangesArgs, location="query")
    @blp.response(200, PublicationChangeOut(many=True))
    @blp.paginate(ChangePage)
    def get(self, args: dict[str, Any], publication_id: int) -> Any:
        """The cooperatives that entered or left the count (or the denominator) since the
        publication, with the reason published and today's."""
        return publication_changes.changes(current_actor(), publication_id, **args)


@blp.route("/<int:publication_id>/comparison")
class Comparison(MethodView):
    @blp.response(200, PublicationComparisonOut)
    def get(self, publication_id: int) -> Any:
        """Each variant's published figure beside today's computation of the same period
        and parameters, with how many cooperatives entered or left the count."""
        return publication_changes.compare(current_actor(), publication_id)
