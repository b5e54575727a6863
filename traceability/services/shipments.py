"""Shipments waiting at the door: what other organisations shipped to the actor's
organisation and it has not received yet.

Guarantees: only shipments addressed to the organisation the actor acts for (a platform
admin included: the list is an organisation's inbox, not a registry), whose ship event
still stands (a withdrawn shipping is not coming) and without a receipt; oldest first, so
the longest waiting is on top; one query for the page's rows (each with the linkage
contract it is delivered under, if any: the organisation is its offtaker party) and one
for the count.

Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, Subquery, func, select
from sqlalchemy.orm import aliased

from core.actor import Actor, require_authenticated
from core.db import db
from core.paging import PageNumbers
from linkages.models.contracts import LinkageContract
from linkages.models.deliveries import LinkageDelivery
from linkages.models.organisations import Organisation
from traceability.models.batches import Batch, Shipment
from traceability.models.events import EpcisEvent
from traceability.models.products import Product

PER_PAGE = 20


@dataclass(frozen=True)
class IncomingShipment:
    shipment_id: int
    batch_id: int
    lot_code: str
    product_name: str
    shipper_name: str
    quantity_kg: Decimal
    shipped_at: datetime  # the ship event's time (UTC)
    purchase_order: str
    despatch_ref: str
    # The linkage contract it is delivered under (None: under none).
    contract_id: int | None = None
    contract_code: str | None = None
    contract_title: str | None = None


@dataclass(frozen=True)
class IncomingPage(PageNumbers):
    items: list[IncomingShipment]
    total: int
    page: int
    per_page: int


def _waiting(organisation_id: int) -> Any:
    """SQL: the organisation's shipments not received yet whose ship event stands."""
    return (
        (Shipment.to_organisation_id == organisation_id)
        & Shipment.received_at.is_(None)
        & EpcisEvent.retracted_at.is_(None)
    )


def incoming_shipments(actor: Actor, *, page: int = 1, per_page: int = PER_PAGE) -> IncomingPage:
    """One page of the shipments addressed to the actor's organisation and not received
    yet, oldest first, with the lot, product, shipper, kilograms and shipping time. An
    actor acting for no organisation has none."""
    require_authenticated(actor)
    page = max(page, 1)
    if actor.organisation_id is None:
        return IncomingPage([], 0, page, per_page)
    waiting = _waiting(actor.organisation_id)
    total = db.session.scalar(
        select(func.count(Shipment.id))
        .join(EpcisEvent, EpcisEvent.id == Shipment.ship_event_pk)
        .where(waiting)
    ) or 0
    shipper = aliased(Organisation)
    rows = db.session.execute(
        select(
            Shipment.id,
            Shipment.batch_id,
            Batch.lot_code,
            Product.name,
            shipper.name,
            Shipment.quantity_kg,
            EpcisEvent.event_time,
            Shipment.purchase_order,
            Shipment.despatch_ref,
            LinkageContract.id,
            LinkageContract.code,
            LinkageContract.title,
        )
        .join(EpcisEvent, EpcisEvent.id == Shipment.ship_event_pk)
        .join(Batch, Batch.id == Shipment.batch_id)
        .join(Product, Product.id == Batch.product_id)
        .join(shipper, shipper.id == Shipment.from_organisation_id)
        # A shipment is delivered under one contract at most (unique shipment_id), to its
        # receiver as buyer: a party, which reads the contract.
        .outerjoin(LinkageDelivery, (LinkageDelivery.shipment_id == Shipment.id)
                   & (LinkageDelivery.buyer_id == actor.organisation_id))
        .outerjoin(LinkageContract, LinkageContract.id == LinkageDelivery.contract_id)
        .where(waiting)
        .order_by(EpcisEvent.event_time, Shipment.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return IncomingPage([IncomingShipment(*row) for row in rows], total, page, per_page)


def shipments_withdrawn_before(moment: datetime) -> Select[tuple[int]]:
    """The ids of the shipments whose ship event had been withdrawn before ``moment``: a
    figure "as of" a past day counts the others, whatever was withdrawn since (when the
    shipment was recorded is the caller's own test). Asked this way round because
    withdrawals are rare (and indexed as such): "not among these" is a small hash where
    "among the standing ones" lists every shipment. No actor, as ``standing_shipments``."""
    return (
        select(Shipment.id)
        .join(EpcisEvent, EpcisEvent.id == Shipment.ship_event_pk)
        .where(EpcisEvent.retracted_at.is_not(None), EpcisEvent.retracted_at < moment)
    )


def standing_shipments() -> Subquery:
    """Every shipment whose ship event still stands (a withdrawn shipping never happened),
    one row each, for other domains' SQL aggregates (deliveries under contracts, sales to
    other buyers): ``shipment_id``, ``batch_id``, ``product_id``, ``commodity``,
    ``from_organisation_id``, ``to_organisation_id``, ``quantity_kg``, ``shipped_at`` (the
    ship event's time, UTC), ``received_kg``. No actor: it selects no private text, and
    callers scope it as their report requires."""
    return (
        select(
            Shipment.id.label("shipment_id"),
            Shipment.batch_id,
            Batch.product_id,
            Product.commodity,
            Shipment.from_organisation_id,
            Shipment.to_organisation_id,
            Shipment.quantity_kg,
            EpcisEvent.event_time.label("shipped_at"),
            Shipment.received_kg,
        )
        .join(EpcisEvent, EpcisEvent.id == Shipment.ship_event_pk)
        .join(Batch, Batch.id == Shipment.batch_id)
        .join(Product, Product.id == Batch.product_id)
        .where(EpcisEvent.retracted_at.is_(None))
        .subquery("standing_shipments")
    )


@dataclass(frozen=True)
class ShipmentFacts:
    """What another domain may know of one shipment."""

    shipment_id: int
    batch_id: int
    product_id: int
    commodity: str
    from_organisation_id: int
    to_organisation_id: int
    quantity_kg: Decimal
    shipped_at: datetime
    received_kg: Decimal | None


def shipment_facts(shipment_id: int) -> ShipmentFacts | None:
    """The shipment's facts if its ship event still stands, else None (no actor: callers
    decide who may learn them)."""
    rows = standing_shipments()
    row = db.session.execute(select(rows).where(rows.c.shipment_id == shipment_id)).first()
    if row is None:
        return None
    return ShipmentFacts(**row._asdict())


__all__ = [
    "IncomingPage",
    "IncomingShipment",
    "ShipmentFacts",
    "incoming_shipments",
    "shipment_facts",
    "standing_shipments",
]
