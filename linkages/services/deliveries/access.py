"""Who may see and do what with deliveries under linkage contracts, decided once.

- A delivery is read by whoever reads its contract (``contracts.contract_permissions``):
  the parties' members, an authority over one of the parties' provinces (a national
  authority: all), platform admins. Anyone else is told nothing exists (NotFound).
- Only the supplier ships under a contract (``recording``); only the buyer (the offtaker
  that received it) settles a delivery — or a platform admin, who acts for every party as
  for contracts; other readers get Forbidden.

Also here: the open contracts a cooperative may ship under, as the shipping form offers
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import aliased

from core.actor import Actor, require_authenticated
from core.clock import local_today
from core.db import db
from core.errors import NotFound
from linkages.models.contracts import (
    ContractStatus,
    LinkageContract,
    LinkageContractLine,
    LinkageContractParty,
    PartyRole,
)
from linkages.models.deliveries import SUPPLYING_ROLES, LinkageDelivery
from linkages.models.organisations import Organisation
from linkages.services.contracts import contract_permissions, contract_scope

# A delivery may be booked only against a contract in one of these states.
DELIVERABLE = frozenset({ContractStatus.SIGNED, ContractStatus.ACTIVE})


@dataclass(frozen=True)
class DeliveryPermissions:
    read: bool = False
    settle: bool = False


def delivery_permissions(actor: Actor, delivery: LinkageDelivery) -> DeliveryPermissions:
    """The one answer to "what may this actor do with this delivery now?"."""
    contract = db.session.get(LinkageContract, delivery.contract_id)
    if contract is None or not contract_permissions(actor, contract).read:
        return DeliveryPermissions()
    return DeliveryPermissions(
        read=True, settle=actor.is_admin or actor.acts_for(delivery.buyer_id)
    )


def get_delivery(actor: Actor, delivery_id: int) -> LinkageDelivery:
    """The delivery if the actor may read it, else NotFound (Unauthenticated first)."""
    require_authenticated(actor)
    delivery = db.session.get(LinkageDelivery, delivery_id)
    if delivery is None or not delivery_permissions(actor, delivery).read:
        raise NotFound()
    return delivery


def list_deliveries(
    actor: Actor,
    *,
    contract_id: int | None = None,
    line_id: int | None = None,
    season: str | None = None,
    supplier_id: int | None = None,
    buyer_id: int | None = None,
) -> Select[tuple[LinkageDelivery]]:
    """A select of the deliveries the actor may read (those of the contracts it reads),
    newest shipping day first, for the caller to paginate."""
    require_authenticated(actor)
    stmt = (
        select(LinkageDelivery)
        .join(LinkageContract, LinkageContract.id == LinkageDelivery.contract_id)
        .where(contract_scope(actor))
    )
    filters: list[Any] = []
    if contract_id is not None:
        filters.append(LinkageDelivery.contract_id == contract_id)
    if line_id is not None:
        filters.append(LinkageDelivery.line_id == line_id)
    if supplier_id is not None:
        filters.append(LinkageDelivery.supplier_id == supplier_id)
    if buyer_id is not None:
        filters.append(LinkageDelivery.buyer_id == buyer_id)
    if season:
        filters.append(
            exists().where(
                LinkageContractLine.id == LinkageDelivery.line_id,
                LinkageContractLine.season == season,
            )
        )
    return stmt.where(*filters).order_by(
        LinkageDelivery.shipped_on.desc(), LinkageDelivery.id.desc()
    )


def supplying(contract_id: Any, organisation_id: Any) -> Any:
    """SQL: the organisation is a supplying party of the contract and none of its
    offtakers (module docstring of ``linkages.models.deliveries``)."""
    party = LinkageContractParty
    return and_(
        exists().where(
            party.contract_id == contract_id,
            party.organisation_id == organisation_id,
            party.role.in_(SUPPLYING_ROLES),
        ),
        ~exists().where(
            party.contract_id == contract_id,
            party.organisation_id == organisation_id,
            party.role == PartyRole.OFFTAKER,
        ),
    )


@dataclass(frozen=True)
class OpenContractLine:
    """One line of an open contract, with one of its offtakers: a choice of the shipping
    form ("LK-2026-… · buyer · commodity season")."""

    contract_id: int
    code: str
    title: str
    status: ContractStatus
    buyer_id: int
    buyer_name: str
    line_id: int
    commodity: str
    season: str
    product_id: int | None
    deliver_from: date | None
    deliver_by: date | None


def open_contracts_query(
    actor: Actor, shipper_id: int, buyer_id: int | None = None, on: date | None = None
) -> Select[Any]:
    """A select of ``OpenContractLine`` rows: the lines of signed or active contracts whose
    term covers ``on`` (today in Vietnam), where ``shipper_id`` supplies and the buyer is
    an offtaker (any buyer when None); by contract code, line position, buyer. Only for the
    shipper's own members (and platform admins): anyone else gets NotFound."""
    require_authenticated(actor)
    if not (actor.is_admin or actor.acts_for(shipper_id)):
        raise NotFound()
    day = on or local_today()
    offtaker = aliased(LinkageContractParty)
    buyer = aliased(Organisation)
    c, line = LinkageContract, LinkageContractLine
    stmt = (
        select(
            c.id.label("contract_id"), c.code, c.title, c.status,
            buyer.id.label("buyer_id"), buyer.name.label("buyer_name"),
            line.id.label("line_id"), line.commodity, line.season, line.product_id,
            line.deliver_from, line.deliver_by,
        )
        .join(line, line.contract_id == c.id)
        .join(offtaker, and_(offtaker.contract_id == c.id,
                             offtaker.role == PartyRole.OFFTAKER))
        .join(buyer, buyer.id == offtaker.organisation_id)
        .where(
            c.status.in_(DELIVERABLE),
            c.effective_from <= day,
            (c.effective_to.is_(None)) | (c.effective_to >= day),
            supplying(c.id, shipper_id),
            buyer.id != shipper_id,
        )
    )
    if buyer_id is not None:
        stmt = stmt.where(buyer.id == buyer_id)
    return stmt.order_by(c.code, line.position, buyer.name)


def open_contracts_for(
    actor: Actor, shipper_org_id: int, buyer_org_id: int | None = None,
    on: date | None = None,
) -> list[OpenContractLine]:
    """What the shipping form offers: every ``open_contracts_query`` row (a cooperative has
    a handful of open contracts, so the list is whole)."""
    rows = db.session.execute(open_contracts_query(actor, shipper_org_id, buyer_org_id, on))
    return [OpenContractLine(**row._asdict()) for row in rows]


def shipment_deliveries(actor: Actor, shipment_ids: list[int]) -> dict[int, LinkageDelivery]:
    """The deliveries, among those the actor reads, of these shipments, by shipment id
    (a receiving form asks which of its shipments are delivered under a contract)."""
    if not shipment_ids:
        return {}
    stmt = list_deliveries(actor).where(LinkageDelivery.shipment_id.in_(shipment_ids))
    return {d.shipment_id: d for d in db.session.scalars(stmt)}


@dataclass(frozen=True)
class ContractRef:
    """The contract a shipment was delivered under, as a page names it."""

    contract_id: int
    code: str
    title: str


def shipment_contracts(actor: Actor, shipment_ids: list[int]) -> dict[int, ContractRef]:
    """The contracts, among those the actor reads, these shipments were delivered under,
    by shipment id: one statement (a receiving form names them)."""
    if not shipment_ids:
        return {}
    stmt = list_deliveries(actor).where(LinkageDelivery.shipment_id.in_(shipment_ids))
    rows = db.session.execute(stmt.with_only_columns(
        LinkageDelivery.shipment_id, LinkageContract.id, LinkageContract.code,
        LinkageContract.title,
    ))
    return {shipment_id: ContractRef(*contract) for shipment_id, *contract in rows}
