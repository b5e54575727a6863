"""The organisations registry API: public registry records, and each organisation's
private cooperative profile, yearly figures and union memberships; the oversight facts'
history, direct changes by an authority over the organisation, and change requests.

Organisations are never deleted (they are dissolved, by status): DELETE answers 405.
Members and certifications have their own blueprints under the same prefix.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.api.deliveries import OpenContractPage
from app.api.openapi import PUBLIC
from app.auth.current import current_actor
from core.db import db
from linkages.schemas.deliveries import OpenContractOut, OpenContractsArgs
from linkages.schemas.organisations import (
    FiguresChangeSchema,
    FiguresInSchema,
    FiguresSchema,
    OrganisationCreateSchema,
    OrganisationPatchSchema,
    OrganisationQuerySchema,
    OrganisationSchema,
    ProfileChangeSchema,
    ProfileInSchema,
    ProfileSchema,
    UnionMembershipEndSchema,
    UnionMembershipInSchema,
    UnionMembershipSchema,
)
from linkages.schemas.oversight import (
    ApproveInSchema,
    ChangeRequestQuerySchema,
    ChangeRequestSchema,
    FactChangeInSchema,
    FactChangeQuerySchema,
    FactChangeSchema,
    FactChangeSetSchema,
    FactsAsOfQuerySchema,
    FactsAsOfSchema,
    RejectInSchema,
)
from linkages.services import cooperatives as coops
from linkages.services import deliveries, oversight
from linkages.services import organisations as orgs

blp = ApiBlueprint(
    "api_organisations",
    __name__,
    url_prefix="/api/organisations",
    description="The organisations registry (HTX, LHHTX, THT, enterprises…).",
)


@blp.route("")
class Organisations(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(OrganisationQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, OrganisationSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, **filters: Any):  # type: ignore[no-untyped-def]
        """Registry records (public), filtered by type, province, status or a name search."""
        return orgs.list_organisations(current_actor(), **filters)

    @blp.arguments(OrganisationCreateSchema)
    @blp.response(201, OrganisationSchema)
    def post(self, data: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Register an organisation (platform administrators only)."""
        org = orgs.create_organisation(current_actor(), data)
        db.session.commit()
        location = url_for("api_organisations.Organisation", organisation_id=org.id)
        return org, 201, {"Location": location}


@blp.route("/<int:organisation_id>")
class Organisation(MethodView):
    @blp.doc(**PUBLIC)
    @blp.response(200, OrganisationSchema)
    def get(self, organisation_id: int):  # type: ignore[no-untyped-def]
        """The public registry record; no authentication needed."""
        return orgs.get_organisation(current_actor(), organisation_id)

    @blp.arguments(OrganisationPatchSchema)
    @blp.response(200, OrganisationSchema)
    def patch(self, changes: dict[str, Any], organisation_id: int):  # type: ignore[no-untyped-def]
        """Change the name, street address and contacts (the organisation's admins).
        Oversight facts are accepted only unchanged: see `fact-changes` and
        `change-requests`."""
        org = orgs.update_organisation(current_actor(), organisation_id, changes)
        db.session.commit()
        return org


@blp.route("/<int:organisation_id>/profile")
class Profile(MethodView):
    @blp.response(200, ProfileSchema)
    def get(self, organisation_id: int):  # type: ignore[no-untyped-def]
        """The cooperative profile with its Cooperative Law 2023 warnings (private)."""
        return coops.profile_report(current_actor(), organisation_id)

    @blp.arguments(ProfileInSchema)
    @blp.response(200, ProfileSchema)
    def put(self, data: dict[str, Any], organisation_id: int):  # type: ignore[no-untyped-def]
        """Replace the cooperative profile (the organisation's admins; only platform
        administrators set `verified`)."""
        actor = current_actor()
        coops.put_profile(actor, organisation_id, data)
        db.session.commit()
        return coops.profile_report(actor, organisation_id)


@blp.route("/<int:organisation_id>/profile/changes")
class ProfileChanges(MethodView):
    @blp.response(200, ProfileChangeSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, organisation_id: int):  # type: ignore[no-untyped-def]
        """The kept changes of the cooperative profile (field group, size class, high-tech
        status and basis), latest first: the linkage indicator reads a past date's
        profile through them (private)."""
        return coops.list_profile_changes(current_actor(), organisation_id)


@blp.route("/<int:organisation_id>/figures/changes")
class FiguresChanges(MethodView):
    @blp.response(200, FiguresChangeSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, organisation_id: int):  # type: ignore[no-untyped-def]
        """The kept corrections of reported yearly figures (members and rating), latest
        first: the linkage indicator reads them as they were reported by a past date
        (private)."""
        return coops.list_figure_changes(current_actor(), organisation_id)


@blp.route("/<int:organisation_id>/figures")
class FiguresList(MethodView):
    @blp.response(200, FiguresSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, organisation_id: int):  # type: ignore[no-untyped-def]
        """Yearly figures, newest statistical year first (private)."""
        return coops.list_figures(current_actor(), organisation_id)


@blp.route("/<int:organisation_id>/figures/<smallint:year>")
class Figures(MethodView):
    @blp.response(200, FiguresSchema)
    def get(self, organisation_id: int, year: int):  # type: ignore[no-untyped-def]
        """The figures of one statistical year (private)."""
        return coops.get_figures(current_actor(), organisation_id, year)

    @blp.arguments(FiguresInSchema)
    @blp.response(200, FiguresSchema)
    def put(self, data: dict[str, Any], organisation_id: int, year: int):  # type: ignore[no-untyped-def]
        """Replace the figures of statistical year `year` (the organisation's admins)."""
        figures, _created = coops.put_figures(current_actor(), organisation_id, year, data)
        db.session.commit()
        return figures


@blp.route("/<int:organisation_id>/unions")
class Unions(MethodView):
    @blp.response(200, UnionMembershipSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, organisation_id: int):  # type: ignore[no-untyped-def]
        """Union (LHHTX) memberships of this HTX, or member HTX of this union (private)."""
        return coops.list_union_memberships(current_actor(), organisation_id)

    @blp.arguments(UnionMembershipInSchema)
    @blp.response(201, UnionMembershipSchema)
    def post(self, data: dict[str, Any], organisation_id: int):  # type: ignore[no-untyped-def]
        """Record that an HTX joined a union (the union's admins)."""
        actor = current_actor()
        membership = coops.add_union_membership(actor, organisation_id, data)
        db.session.commit()
        # Reload after the commit expired it (the organisations are eager-loaded).
        return coops.get_union_membership(actor, organisation_id, membership.id)


@blp.route("/<int:organisation_id>/unions/<int:membership_id>/end")
class UnionEnd(MethodView):
    @blp.arguments(UnionMembershipEndSchema)
    @blp.response(200, UnionMembershipSchema)
    def post(  # type: ignore[no-untyped-def]
        self, data: dict[str, Any], organisation_id: int, membership_id: int
    ):
        """Record that a union membership ended (either side's admins); kept as history."""
        actor = current_actor()
        coops.end_union_membership(actor, organisation_id, membership_id, data["left_on"])
        db.session.commit()
        return coops.get_union_membership(actor, organisation_id, membership_id)


# --- oversight facts -----------------------------------------------------------------


@blp.route("/<int:organisation_id>/fact-changes")
class FactChanges(MethodView):
    @blp.arguments(FactChangeQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, FactChangeSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, organisation_id: int, **filters: Any):  # type: ignore[no-untyped-def]
        """History of the oversight facts, latest effective first (private)."""
        return oversight.list_fact_changes(current_actor(), organisation_id, **filters)

    @blp.arguments(FactChangeInSchema)
    @blp.response(201, FactChangeSetSchema)
    def post(self, data: dict[str, Any], organisation_id: int):  # type: ignore[no-untyped-def]
        """Change oversight facts directly, with an effective date and a reason (an
        authority over the organisation, or a platform administrator)."""
        result = oversight.change_facts(current_actor(), organisation_id, data)
        db.session.commit()
        return result


@blp.route("/<int:organisation_id>/facts")
class FactsAsOf(MethodView):
    @blp.arguments(FactsAsOfQuerySchema, location="query")
    @blp.response(200, FactsAsOfSchema)
    def get(self, args: dict[str, Any], organisation_id: int):  # type: ignore[no-untyped-def]
        """The oversight facts as they were on date `on` (private)."""
        return oversight.facts_as_of(current_actor(), organisation_id, args["on"])


@blp.route("/<int:organisation_id>/change-requests")
class ChangeRequests(MethodView):
    @blp.arguments(ChangeRequestQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ChangeRequestSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, organisation_id: int, **filters: Any):  # type: ignore[no-untyped-def]
        """The organisation's requests to change its oversight facts, newest first
        (private)."""
        return oversight.list_change_requests(current_actor(), organisation_id, **filters)

    @blp.arguments(FactChangeInSchema)
    @blp.response(201, ChangeRequestSchema)
    def post(self, data: dict[str, Any], organisation_id: int):  # type: ignore[no-untyped-def]
        """Request a change of oversight facts (the organisation's admins); an authority
        over the organisation or a platform administrator decides."""
        request = oversight.request_change(current_actor(), organisation_id, data)
        db.session.commit()
        location = url_for(
            "api_organisations.ChangeRequest",
            organisation_id=organisation_id,
            request_id=request.id,
        )
        return request, 201, {"Location": location}


@blp.route("/<int:organisation_id>/change-requests/<int:request_id>")
class ChangeRequest(MethodView):
    @blp.response(200, ChangeRequestSchema)
    def get(self, organisation_id: int, request_id: int):  # type: ignore[no-untyped-def]
        """One change request (private)."""
        return oversight.get_change_request(current_actor(), organisation_id, request_id)


@blp.route("/<int:organisation_id>/change-requests/<int:request_id>/approve")
class ChangeRequestApprove(MethodView):
    @blp.arguments(ApproveInSchema)
    @blp.response(200, ChangeRequestSchema)
    def post(  # type: ignore[no-untyped-def]
        self, data: dict[str, Any], organisation_id: int, request_id: int
    ):
        """Approve a pending request and apply it (an authority over the organisation, or
        a platform administrator); 409 once decided, or when the facts changed since."""
        request = oversight.approve_change_request(
            current_actor(), organisation_id, request_id, data
        )
        db.session.commit()
        return request


@blp.route("/<int:organisation_id>/change-requests/<int:request_id>/reject")
class ChangeRequestReject(MethodView):
    @blp.arguments(RejectInSchema)
    @blp.response(200, ChangeRequestSchema)
    def post(  # type: ignore[no-untyped-def]
        self, data: dict[str, Any], organisation_id: int, request_id: int
    ):
        """Reject a pending request with a reason (an authority over the organisation, or
        a platform administrator); 409 once decided."""
        request = oversight.reject_change_request(
            current_actor(), organisation_id, request_id, data
        )
        db.session.commit()
        return request


@blp.route("/<int:organisation_id>/open-contracts")
class OpenContracts(MethodView):
    @blp.arguments(OpenContractsArgs, location="query")
    @blp.response(200, OpenContractOut(many=True))
    @blp.paginate(OpenContractPage)
    def get(self, args: dict[str, Any], organisation_id: int) -> Any:
        """The lines of the signed or active contracts, in force on ``on`` (today), that
        this organisation supplies, with each offtaker (``buyer_id`` filters): what a
        shipping under a contract may name. The organisation's members only."""
        return deliveries.open_contracts_query(
            current_actor(), organisation_id, args["buyer_id"], args["on"]
        )
