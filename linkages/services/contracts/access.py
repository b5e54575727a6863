"""Who may do what with a linkage contract: decided here once, for services and pages.

- Members (org admin or staff) of a party organisation read the contract and act for their
  organisation: amend, confirm, move its status, attach the signed scan.
- An authority reads the contracts with a party in its province (a national authority:
  all); its only writes are the verification of the paper contract (and linkage projects,
  ``linkages.services.linkage_projects``).
- A platform admin reads and writes everything.
- Nobody else learns that a contract exists: reads answer NotFound; writes by those who may
  read answer Forbidden.

An enterprise thus never sees another enterprise's contracts, and a cooperative only those
it is a party to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true

from core.actor import Actor, require_authenticated
from core.db import db
from core.errors import Forbidden, NotFound
from linkages.models.contracts import (
    ALLOWED_TRANSITIONS,
    AMENDABLE,
    ContractStatus,
    LinkageContract,
    LinkageContractParty,
    PartyRole,
)
from linkages.models.organisations import Organisation


@dataclass(frozen=True)
class ContractPermissions:
    """What an actor may do with one contract now; pages offer exactly these."""

    read: bool = False
    amend: bool = False
    confirm: bool = False
    transition: bool = False
    verify_paper: bool = False
    attach: bool = False
    download: bool = False
    # The statuses ``transition_contract`` would move the contract to for this actor.
    targets: frozenset[ContractStatus] = field(default_factory=frozenset)


NOTHING = ContractPermissions()


def party_provinces(contract: LinkageContract) -> set[str | None]:
    """The provinces of the contract's party organisations (as the registry says now)."""
    ids = contract.party_organisation_ids
    if not ids:
        return set()
    return set(
        db.session.scalars(select(Organisation.province_code).where(Organisation.id.in_(ids)))
    )


def authority_over(actor: Actor, contract: LinkageContract) -> bool:
    """Is the actor an authority whose scope covers one of the contract's parties?"""
    if not actor.is_authority:
        return False
    return actor.province_code is None or actor.province_code in party_provinces(contract)


def contract_permissions(actor: Actor, contract: LinkageContract) -> ContractPermissions:
    """The one answer to "what may this actor do with this contract now?"."""
    if not actor.is_authenticated:
        return NOTHING
    party = actor.organisation_id is not None and (
        actor.organisation_id in contract.party_organisation_ids
    )
    overseer = authority_over(actor, contract)
    if not (party or actor.is_admin or overseer):
        return NOTHING
    acts = party or actor.is_admin
    open_terms = contract.status in AMENDABLE
    targets = ALLOWED_TRANSITIONS[contract.status] if acts else frozenset()
    return ContractPermissions(
        read=True,
        amend=acts and open_terms,
        confirm=party
        and open_terms
        and not contract.terms_agreed
        and actor.organisation_id not in contract.confirmed_organisation_ids,
        transition=bool(targets),
        verify_paper=(actor.is_admin or overseer) and open_terms and not contract.terms_agreed,
        attach=acts,
        download=True,
        targets=frozenset(targets),
    )


class Awaiting(StrEnum):
    """Whose confirmation a contract's terms in force wait for, as a party sees it."""

    YOURS = "yours"  # the actor's organisation has not confirmed them
    OTHERS = "others"  # it has; another party has not


def awaiting_confirmation(actor: Actor, contract: LinkageContract) -> Awaiting | None:
    """``Awaiting`` for a party's member; None when the terms are agreed (or verified on
    paper), the contract is closed, or the actor acts for no party. ``YOURS`` is exactly
    ``contract_permissions(...).confirm``; reads the contract's loaded parties and
    confirmations only."""
    org = actor.organisation_id
    if org is None or org not in contract.party_organisation_ids:
        return None
    if contract.status not in AMENDABLE or contract.terms_agreed:
        return None
    return Awaiting.OTHERS if org in contract.confirmed_organisation_ids else Awaiting.YOURS


def contract_scope(actor: Actor) -> ColumnElement[bool]:
    """SQL filter: contracts the actor may read (same rule as ``contract_permissions``)."""
    if not actor.is_authenticated:
        return false()
    if actor.is_admin or (actor.is_authority and actor.province_code is None):
        return true()
    clauses = []
    if actor.organisation_id is not None:
        clauses.append(
            exists().where(
                LinkageContractParty.contract_id == LinkageContract.id,
                LinkageContractParty.organisation_id == actor.organisation_id,
            )
        )
    if actor.is_authority:
        clauses.append(
            exists().where(
                LinkageContractParty.contract_id == LinkageContract.id,
                Organisation.id == LinkageContractParty.organisation_id,
                Organisation.province_code == actor.province_code,
            )
        )
    return or_(*clauses) if clauses else false()


def load_contract(actor: Actor, contract_id: int) -> tuple[LinkageContract, ContractPermissions]:
    """The contract and the actor's permissions; NotFound unless the actor may read it
    (Unauthenticated first for anonymous callers, as every private read of the API)."""
    require_authenticated(actor)
    contract = db.session.get(LinkageContract, contract_id)
    if contract is None:
        raise NotFound()
    permissions = contract_permissions(actor, contract)
    if not permissions.read:
        raise NotFound()
    return contract, permissions


def get_contract(actor: Actor, contract_id: int) -> LinkageContract:
    """The contract if the actor may read it, else NotFound."""
    return load_contract(actor, contract_id)[0]


def writable_contract(
    actor: Actor, contract_id: int, operation: str
) -> tuple[LinkageContract, ContractPermissions]:
    """The contract for a write named by a ``ContractPermissions`` field: 401 to anonymous,
    404 to those who may not read it, 403 to readers who may not do this. A refusal that
    only the status explains is left to the caller (409 naming the status)."""
    contract, permissions = load_contract(actor, contract_id)
    if not getattr(permissions, operation):
        raise Forbidden()
    return contract, permissions


def list_contracts(
    actor: Actor,
    *,
    status: ContractStatus | None = None,
    role: PartyRole | None = None,
    counterparty_id: int | None = None,
    form: int | None = None,
) -> Select[tuple[LinkageContract]]:
    """A select of the contracts the actor may read, newest first, for the caller to
    paginate. ``role``: those where the actor's own organisation holds that role (none
    for an actor acting for no organisation); ``counterparty_id``: those with that
    organisation among the parties."""
    require_authenticated(actor)
    stmt = select(LinkageContract).where(contract_scope(actor))
    if status is not None:
        stmt = stmt.where(LinkageContract.status == status)
    if form is not None:
        stmt = stmt.where(LinkageContract.form == form)
    if role is not None:
        if actor.organisation_id is None:
            stmt = stmt.where(false())
        else:
            stmt = stmt.where(
                exists().where(
                    LinkageContractParty.contract_id == LinkageContract.id,
                    LinkageContractParty.organisation_id == actor.organisation_id,
                    LinkageContractParty.role == role,
                )
            )
    if counterparty_id is not None:
        stmt = stmt.where(
            exists().where(
                LinkageContractParty.contract_id == LinkageContract.id,
                LinkageContractParty.organisation_id == counterparty_id,
            )
        )
    return stmt.order_by(LinkageContract.id.desc())
