"""Linkage projects and plans approved by a province (dự án/kế hoạch liên kết, DOMAIN.md §3):
the decision, the state support it carries and the contracts it groups.

Who: an authority records and edits the projects of its province (a national authority,
and a platform admin, those of any province). A project is read by them and by the members
of an organisation party to one of its contracts, who see only the contracts they may read.
Only contracts with a party in the project's province may be included. Nothing here
commits: the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, insert, or_, select, true
from sqlalchemy.exc import IntegrityError

from core.actor import Actor, require_authenticated
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import _l
from linkages.models.contracts import (
    LinkageContract,
    LinkageContractParty,
    LinkageProject,
    LinkageProjectContractChange,
    ProjectMembership,
    project_contracts,
)
from linkages.models.organisations import Organisation
from linkages.models.places import Province
from linkages.services.contracts.access import contract_permissions, contract_scope

_LIMITS = {"number": 64, "name": 255}


@dataclass(frozen=True)
class ProjectView:
    """A project and those of its contracts the reader may see."""

    project: LinkageProject
    contracts: list[LinkageContract]


def may_record_projects(actor: Actor, province_code: str | None) -> bool:
    """May the actor record or change projects of this province?"""
    if not actor.is_authenticated:
        return False
    if actor.is_admin:
        return True
    return actor.is_authority and actor.province_code in (None, province_code)


def reads_projects(actor: Actor) -> bool:
    """Does the actor read any project? Authorities and platform admins always (their
    scope may simply be empty yet); anyone else when a project holds a contract of the
    organisation it acts for."""
    if not actor.is_authenticated:
        return False
    if actor.is_admin or actor.is_authority:
        return True
    found = db.session.scalar(select(LinkageProject.id).where(project_scope(actor)).limit(1))
    return found is not None


def _party_scope(actor: Actor) -> ColumnElement[bool]:
    """SQL: projects holding a contract the actor's organisation is party to."""
    if actor.organisation_id is None:
        return false()
    return exists().where(
        project_contracts.c.project_id == LinkageProject.id,
        LinkageContractParty.contract_id == project_contracts.c.contract_id,
        LinkageContractParty.organisation_id == actor.organisation_id,
    )


def project_scope(actor: Actor) -> ColumnElement[bool]:
    """SQL filter: the projects the actor may read."""
    if not actor.is_authenticated:
        return false()
    if actor.is_admin or (actor.is_authority and actor.province_code is None):
        return true()
    clauses = [_party_scope(actor)]
    if actor.is_authority:
        clauses.append(LinkageProject.province_code == actor.province_code)
    return or_(*clauses)


def _load(actor: Actor, project_id: int) -> LinkageProject:
    require_authenticated(actor)
    project = db.session.scalar(
        select(LinkageProject).where(LinkageProject.id == project_id, project_scope(actor))
    )
    if project is None:
        raise NotFound()
    return project


def _view(actor: Actor, project: LinkageProject) -> ProjectView:
    visible = [c for c in project.contracts if contract_permissions(actor, c).read]
    return ProjectView(project, visible)


def get_project(actor: Actor, project_id: int) -> ProjectView:
    """The project with the contracts the actor may read; NotFound unless readable."""
    return _view(actor, _load(actor, project_id))


def list_projects(
    actor: Actor, *, province_code: str | None = None
) -> Select[tuple[LinkageProject]]:
    """A select of the projects the actor may read, latest decision first."""
    require_authenticated(actor)
    stmt = select(LinkageProject).where(project_scope(actor))
    if province_code is not None:
        stmt = stmt.where(LinkageProject.province_code == province_code)
    return stmt.order_by(LinkageProject.decision_date.desc(), LinkageProject.id.desc())


def projects_of_contract(actor: Actor, contract_id: int) -> list[LinkageProject]:
    """The projects holding the contract that the actor may read, latest decision first."""
    require_authenticated(actor)
    holding = exists().where(
        project_contracts.c.project_id == LinkageProject.id,
        project_contracts.c.contract_id == contract_id,
    )
    stmt = list_projects(actor).where(holding)
    return list(db.session.scalars(stmt))


def _writable(actor: Actor, project_id: int) -> LinkageProject:
    project = _load(actor, project_id)
    if not may_record_projects(actor, project.province_code):
        raise Forbidden()
    return project


def _eligible_contract(actor: Actor, contract_id: Any, province_code: str) -> LinkageContract:
    """A contract the actor may read with a party in the province; else 422 on
    ``contract_id`` (the same answer for one that does not exist, revealing nothing)."""
    contract = db.session.scalar(
        select(LinkageContract).where(
            LinkageContract.id == contract_id,
            contract_scope(actor),
            exists().where(
                LinkageContractParty.contract_id == LinkageContract.id,
                Organisation.id == LinkageContractParty.organisation_id,
                Organisation.province_code == province_code,
            ),
        )
    )
    if contract is None:
        raise ValidationFailed(
            field_errors={"contract_id": [_l("No such contract with a party in this province.")]}
        )
    return contract


def create_project(
    actor: Actor,
    *,
    number: str,
    name: str,
    province_code: str,
    decision_date: date,
    support_vnd: int = 0,
    contract_ids: list[int] | None = None,
) -> ProjectView:
    """Record an approved project of ``province_code`` (an authority of that province, a
    national authority or a platform admin), with its contracts. 409 for a number the
    province used already."""
    require_authenticated(actor)
    if not (actor.is_admin or actor.is_authority):
        raise Forbidden()
    errors: dict[str, list[Any]] = {}
    number, name = (number or "").strip(), (name or "").strip()
    for field, value in (("number", number), ("name", name)):
        if not value:
            errors.setdefault(field, []).append(_l("Required."))
        elif len(value) > _LIMITS[field]:
            errors.setdefault(field, []).append(_l("At most %(n)d characters.", n=_LIMITS[field]))
    if db.session.get(Province, province_code) is None:
        errors["province_code"] = [_l("No such province.")]
    elif not may_record_projects(actor, province_code):
        raise Forbidden(field_errors={"province_code": [_l("Not a province you oversee.")]})
    if not isinstance(support_vnd, int) or support_vnd < 0:
        errors["support_vnd"] = [_l("Enter a whole number of đồng, zero or more.")]
    if errors:
        raise ValidationFailed(field_errors=errors)
    taken = select(LinkageProject.id).where(
        LinkageProject.province_code == province_code, LinkageProject.number == number
    )
    if db.session.scalar(taken) is not None:
        raise Conflict(field_errors={"number": [_l("This province has a project numbered so.")]})
    contracts = [
        _eligible_contract(actor, cid, province_code) for cid in dict.fromkeys(contract_ids or [])
    ]
    project = LinkageProject(
        number=number, name=name, province_code=province_code, decision_date=decision_date,
        support_vnd=support_vnd, recorded_by_id=actor.user_id or None, contracts=contracts,
    )
    db.session.add(project)
    db.session.flush()
    return _view(actor, project)


def add_project_contract(actor: Actor, project_id: int, contract_id: int) -> ProjectView:
    """Include a contract (with a party in the project's province) in the project; 409 if
    it is in already."""
    project = _writable(actor, project_id)
    contract = _eligible_contract(actor, contract_id, project.province_code)
    if contract in project.contracts:
        raise Conflict(field_errors={"contract_id": [_l("Already in this project.")]})
    try:
        with db.session.begin_nested():
            db.session.execute(
                insert(project_contracts).values(project_id=project.id, contract_id=contract.id)
            )
    except IntegrityError:  # a concurrent request added it first
        raise Conflict(field_errors={"contract_id": [_l("Already in this project.")]}) from None
    _record_membership(actor, project, contract.id, ProjectMembership.ADDED)
    return _view(actor, project)


def add_project_contract_by_code(actor: Actor, project_id: int, code: str) -> ProjectView:
    """``add_project_contract`` for the contract with this public code (LK-…, as printed
    on its page): a code naming no contract the actor may include gets the same 422 on
    ``contract_id`` as an unknown id."""
    project = _writable(actor, project_id)
    wanted = (code or "").strip().upper()
    contract_id = db.session.scalar(
        select(LinkageContract.id).where(LinkageContract.code == wanted, contract_scope(actor))
    ) if wanted else None
    return add_project_contract(actor, project.id, contract_id if contract_id else 0)


def remove_project_contract(actor: Actor, project_id: int, contract_id: int) -> ProjectView:
    """Take a contract out of the project; NotFound when it is not in it."""
    project = _writable(actor, project_id)
    removed = db.session.execute(
        project_contracts.delete().where(
            project_contracts.c.project_id == project.id,
            project_contracts.c.contract_id == contract_id,
        )
    )
    if not removed.rowcount:
        raise NotFound()
    _record_membership(actor, project, contract_id, ProjectMembership.REMOVED)
    return _view(actor, project)


def _record_membership(actor: Actor, project: LinkageProject, contract_id: int,
                       change: ProjectMembership) -> None:
    """Keep the change of the project's contracts (``LinkageProjectContractChange``): the
    indicator's D as of an earlier moment reads the project as it was then. The contracts
    a project is recorded with need none: the project itself is recorded then."""
    db.session.add(LinkageProjectContractChange(
        project_id=project.id, contract_id=contract_id, change=change,
        changed_by_id=actor.user_id or None))
    db.session.flush()
    db.session.expire(project, ["contracts"])
