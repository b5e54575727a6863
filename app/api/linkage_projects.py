"""Linkage projects and plans approved by a province, grouping contracts and carrying
state support. Recorded by the province's authority (or a national one, or a platform
admin); read by them and by the parties of the contracts included."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.auth.current import current_actor
from core.db import db
from linkages.schemas.contracts import (
    ProjectContractIn,
    ProjectCreateIn,
    ProjectDetailOut,
    ProjectListArgs,
    ProjectOut,
)
from linkages.services import linkage_projects as projects

blp = ApiBlueprint(
    "api_linkage_projects",
    __name__,
    url_prefix="/api/linkage-projects",
    description="Linkage projects and plans approved by a province, and their contracts.",
)


@blp.route("")
class Projects(MethodView):
    @blp.arguments(ProjectListArgs, location="query")
    @blp.response(200, ProjectOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The projects the caller may read, latest decision first."""
        return projects.list_projects(current_actor(), **args)

    @blp.arguments(ProjectCreateIn)
    @blp.response(201, ProjectDetailOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Record an approved project of a province the caller oversees."""
        view = projects.create_project(current_actor(), **data)
        db.session.commit()
        return view


@blp.route("/<int:project_id>")
class ProjectDetail(MethodView):
    @blp.response(200, ProjectDetailOut)
    def get(self, project_id: int) -> Any:
        """One project, with the contracts the caller may read."""
        return projects.get_project(current_actor(), project_id)


@blp.route("/<int:project_id>/contracts")
class ProjectContracts(MethodView):
    @blp.arguments(ProjectContractIn)
    @blp.response(200, ProjectDetailOut)
    def post(self, data: dict[str, Any], project_id: int) -> Any:
        """Include a contract with a party in the project's province."""
        view = projects.add_project_contract(current_actor(), project_id, data["contract_id"])
        db.session.commit()
        return view


@blp.route("/<int:project_id>/contracts/<int:contract_id>")
class ProjectContract(MethodView):
    @blp.response(200, ProjectDetailOut)
    def delete(self, project_id: int, contract_id: int) -> Any:
        """Take a contract out of the project."""
        view = projects.remove_project_contract(current_actor(), project_id, contract_id)
        db.session.commit()
        return view
