"""Recording deliveries under linkage contracts: shipping under a contract, booking a
shipment already recorded, receiving with its settlement, settling (or correcting the
settlement) later.

Guarantees, each in one flush (the caller commits once; a refusal writes nothing):

- a delivery is booked only against a **signed or active** contract whose **term covers
  the shipping day**, on a **line of that contract** (of the lot's product when the line
  names one), by a **supplying party** (``linkages.models.deliveries``) shipping **its own
  organisation's lot** to an **offtaker** of the contract; every refusal is a 4xx naming
  the field (``contract_id``, ``contract_line_id``, ``shipped_at``, ``batch_id``,
  ``shipment_id``);
- shipping under a contract records the traceability shipping through its service
  (``record_shipping``: never more than the lot holds, 409) and the delivery together;
  a shipment is delivered under at most one contract;
- a settlement is made by the buyer (or a platform admin): accepted and rejected kg, each
  zero or more, together never more than shipped; price in whole đồng per kg; the
  invoice number; the day received (not before the shipping day, not in the future).
  Receiving a shipment that has a delivery settles it in the same request, with the
  defaults: accepted = the received quantity, rejected = shipped − received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from core.actor import Actor, require_authenticated
from core.clock import VIETNAM, local_today
from core.db import MAX_BIGINT, db, utcnow
from core.errors import Conflict, Forbidden, ValidationFailed
from core.i18n import _l
from linkages.models.contracts import LinkageContract, LinkageContractLine, PartyRole
from linkages.models.deliveries import (
    SUPPLYING_ROLES,
    LinkageDelivery,
    LinkageDeliverySettlementChange,
)
from linkages.services.contracts import contract_permissions
from linkages.services.deliveries.access import DELIVERABLE, delivery_permissions, get_delivery
from traceability.services import batches as batch_service
from traceability.services import recording as events
from traceability.services.shipments import ShipmentFacts, shipment_facts

INVOICE_LIMIT = 64


@dataclass(frozen=True)
class Delivered:
    """A traceability record (shipping or receiving) and the delivery it made or settled
    (None: a receipt of a shipment under no contract)."""

    recorded: events.Recorded
    delivery: LinkageDelivery | None


def _refuse(field: str, message: Any) -> ValidationFailed:
    return ValidationFailed(field_errors={field: [message]})


def _contract_line(
    actor: Actor, contract_id: int, line_id: int, receiver_id: int | None, day: date
) -> tuple[LinkageContract, LinkageContractLine, int]:
    """The contract, its line and the buyer for a delivery by the actor's organisation on
    ``day`` to ``receiver_id`` (None: the contract's only offtaker); refusals name the
    field (module docstring)."""
    require_authenticated(actor)
    shipper = actor.organisation_id
    if shipper is None:
        raise Forbidden(_l("Choose the organisation you are acting for first."))
    contract = db.session.get(LinkageContract, contract_id)
    if contract is None or not contract_permissions(actor, contract).read:
        raise _refuse("contract_id", _l("No such contract of your organisation."))
    roles = {p.role for p in contract.parties if p.organisation_id == shipper}
    if not roles & SUPPLYING_ROLES or PartyRole.OFFTAKER in roles:
        raise _refuse("contract_id", _l("Your organisation supplies nothing under this contract."))
    if contract.status not in DELIVERABLE:
        raise _refuse(
            "contract_id",
            _l("The contract is %(status)s: deliveries need a signed or active contract.",
               status=contract.status.value),
        )
    if not contract.covers(day):
        raise _refuse("shipped_at", _l("The shipping day is outside the contract's term."))
    line = next((row for row in contract.lines if row.id == line_id), None)
    if line is None:
        raise _refuse("contract_line_id", _l("No such line in this contract."))
    offtakers = sorted({p.organisation_id for p in contract.parties
                        if p.role == PartyRole.OFFTAKER and p.organisation_id != shipper})
    if receiver_id is None and len(offtakers) == 1:
        receiver_id = offtakers[0]
    if receiver_id is None or receiver_id not in offtakers:
        raise _refuse(
            "contract_id", _l("The receiver is not the buyer (offtaker) of this contract.")
        )
    return contract, line, receiver_id


def _own_lot(actor: Actor, batch_id: int) -> int:
    """The lot's product; NotFound unless the actor reads the lot, 422 naming ``batch_id``
    when it is another organisation's (one shipped to the actor, say)."""
    batch = batch_service.get_batch(actor, batch_id)
    if actor.organisation_id is None or batch.organisation_id != actor.organisation_id:
        raise _refuse("batch_id", _l("Only a lot of your own organisation."))
    return batch.product_id


def _same_product(line: LinkageContractLine, product_id: int) -> None:
    if line.product_id is not None and product_id != line.product_id:
        raise _refuse("contract_line_id", _l("This line of the contract is for another product."))


def _delivery(
    actor: Actor, contract: LinkageContract, line: LinkageContractLine, buyer_id: int,
    facts: ShipmentFacts,
) -> LinkageDelivery:
    delivery = LinkageDelivery(
        contract_id=contract.id,
        line_id=line.id,
        shipment_id=facts.shipment_id,
        batch_id=facts.batch_id,
        supplier_id=facts.from_organisation_id,
        buyer_id=buyer_id,
        shipped_on=facts.shipped_at.astimezone(VIETNAM).date(),
        shipped_kg=facts.quantity_kg,
        created_by_id=actor.user_id or None,
    )
    db.session.add(delivery)
    db.session.flush()
    return delivery


def ship_under_contract(
    actor: Actor,
    batch_id: int,
    contract_id: int,
    line_id: int,
    *,
    quantity: Decimal,
    unit: Any,
    to_organisation_id: int | None = None,
    shipped_at: date | datetime | str | None = None,
    purchase_order: str = "",
    despatch_ref: str = "",
) -> Delivered:
    """Ship part or all of the lot to the contract's offtaker (``to_organisation_id``,
    default: the only offtaker) and book it as a delivery on the line. The purchase order
    reference defaults to the contract's paper number, else its code."""
    moment = events.event_time(shipped_at, "shipped_at")
    product_id = _own_lot(actor, batch_id)  # the lot in the URL first: 404 to strangers
    contract, line, buyer_id = _contract_line(
        actor, contract_id, line_id, to_organisation_id, moment.astimezone(VIETNAM).date()
    )
    _same_product(line, product_id)
    recorded = events.record_shipping(
        actor, batch_id, to_organisation_id=buyer_id, quantity=quantity, unit=unit,
        shipped_at=moment, purchase_order=purchase_order or contract.paper_number or contract.code,
        despatch_ref=despatch_ref,
    )
    assert recorded.shipment is not None
    facts = shipment_facts(recorded.shipment.id)
    assert facts is not None
    return Delivered(recorded, _delivery(actor, contract, line, buyer_id, facts))


def deliver_shipment(
    actor: Actor, shipment_id: int, contract_id: int, line_id: int
) -> LinkageDelivery:
    """Book a shipment the actor's organisation recorded without a contract (e.g. captured
    as EPCIS) as a delivery on the line, on the same rules as ``ship_under_contract``;
    refused (naming ``shipment_id``) when it is not the organisation's, its shipping was
    withdrawn, or it is booked under a contract already."""
    require_authenticated(actor)
    facts = shipment_facts(shipment_id)
    if facts is None or not actor.acts_for(facts.from_organisation_id):
        raise _refuse("shipment_id", _l("No such shipment of your organisation."))
    taken = select(LinkageDelivery.id).where(LinkageDelivery.shipment_id == shipment_id)
    if db.session.scalar(taken) is not None:
        raise Conflict(field_errors={
            "shipment_id": [_l("This shipment is delivered under a contract already.")]})
    contract, line, buyer_id = _contract_line(
        actor, contract_id, line_id, facts.to_organisation_id,
        facts.shipped_at.astimezone(VIETNAM).date(),
    )
    _same_product(line, facts.product_id)
    return _delivery(actor, contract, line, buyer_id, facts)


def _kg(value: Any, field: str) -> Decimal:
    try:
        kg = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _refuse(field, _l("Enter a quantity in kg, zero or more.")) from None
    if not kg.is_finite() or kg < 0 or kg >= Decimal(10) ** 14:
        raise _refuse(field, _l("Enter a quantity in kg, zero or more."))
    return kg.quantize(Decimal("0.0001"))


def settle_delivery(
    actor: Actor,
    delivery_id: int,
    *,
    accepted_kg: Decimal | None = None,
    rejected_kg: Decimal | None = None,
    price_vnd_per_kg: int | None = None,
    invoice_number: str | None = None,
    received_on: date | None = None,
) -> LinkageDelivery:
    """Settle the delivery, or correct its settlement (module docstring for the rules and
    defaults). NotFound unless the actor reads the delivery; Forbidden unless it is the
    buyer's member or a platform admin; 409 when the shipping was withdrawn."""
    delivery = get_delivery(actor, delivery_id)
    if not delivery_permissions(actor, delivery).settle:
        raise Forbidden(_l("Only the buyer settles a delivery."))
    facts = shipment_facts(delivery.shipment_id)
    if facts is None:
        raise Conflict(field_errors={"shipment_id": [_l("This shipping was withdrawn.")]})
    shipped = delivery.shipped_kg
    received = facts.received_kg
    if accepted_kg is None and received is None:
        raise _refuse("accepted_kg", _l("Required: the shipment has not been received."))
    accepted = _kg(received if accepted_kg is None else accepted_kg, "accepted_kg")
    default_rejected = shipped - (received if received is not None else accepted)
    rejected = _kg(max(default_rejected, Decimal(0)) if rejected_kg is None else rejected_kg,
                   "rejected_kg")
    if accepted + rejected > shipped:
        raise _refuse("accepted_kg", _l("Accepted and rejected together are more than the "
                                        "%(kg)s kg shipped.", kg=f"{shipped.normalize():f}"))
    if price_vnd_per_kg is not None and (
        not isinstance(price_vnd_per_kg, int) or not 0 <= price_vnd_per_kg <= MAX_BIGINT
    ):
        raise _refuse("price_vnd_per_kg", _l("Enter a whole number of đồng, zero or more."))
    invoice = (invoice_number or "").strip()
    if len(invoice) > INVOICE_LIMIT:
        raise _refuse("invoice_number", _l("At most %(n)d characters.", n=INVOICE_LIMIT))
    day = received_on or local_today()
    if day < delivery.shipped_on or day > local_today():
        raise _refuse("received_on", _l("Between the shipping day and today."))
    now = utcnow()
    if delivery.settled_at is not None:
        # A correction: the settlement it replaces is kept, so that the indicator's
        # figures as of an earlier moment still read it.
        db.session.add(LinkageDeliverySettlementChange(
            delivery_id=delivery.id, contract_id=delivery.contract_id,
            supplier_id=delivery.supplier_id, changed_at=now,
            received_on=delivery.received_on, accepted_kg=delivery.accepted_kg,
            settled_at=delivery.settled_at))
    delivery.accepted_kg, delivery.rejected_kg = accepted, rejected
    delivery.price_vnd_per_kg = price_vnd_per_kg
    delivery.invoice_number = invoice
    delivery.received_on = day
    delivery.settled_by_id = actor.user_id or None
    delivery.settled_at = now
    db.session.flush()
    return delivery


def receive_under_contract(
    actor: Actor, shipment_id: int, *, settlement: dict[str, Any] | None = None,
    **receiving: Any,
) -> Delivered:
    """Record the traceability receiving of the shipment (``record_receiving``: only its
    addressee) and, when it is delivered under a contract, settle the delivery in the same
    flush with ``settlement`` (defaults as the module says). Field errors of the
    settlement are named ``settlement.<field>``; a settlement for a shipment under no
    contract is refused (422 naming ``settlement``)."""
    require_authenticated(actor)
    delivery = db.session.scalar(
        select(LinkageDelivery).where(LinkageDelivery.shipment_id == shipment_id)
    )
    if delivery is None and settlement:
        raise _refuse("settlement", _l("This shipment is not delivered under a contract."))
    recorded = events.record_receiving(actor, shipment_id, **receiving)
    if delivery is None:
        return Delivered(recorded, None)
    values = dict(settlement or {})
    values.setdefault("received_on", recorded.events[0].event_time.astimezone(VIETNAM).date())
    try:
        settled = settle_delivery(actor, delivery.id, **values)
    except ValidationFailed as error:
        raise ValidationFailed(field_errors={
            f"settlement.{name}": messages for name, messages in error.field_errors.items()
        }) from None
    return Delivered(recorded, settled)
