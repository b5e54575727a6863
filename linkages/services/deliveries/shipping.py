"""A delivery follows the correction of its shipping.

The supplier corrects a shipping through traceability (``correct_event``: a corrective
event with another quantity or time, the shipment moved onto it). The delivery booked on
that shipment takes the corrected quantity and day, so that the contract's fulfilment and
the volume-weighted indicator read what was shipped; the shipping it replaces is kept
(``LinkageDeliveryShippingChange``), so that the indicator as of an earlier moment reads
what stood then.

Refused (409, the correction then writes nothing):

- a quantity below what the buyer has already settled (accepted and rejected together):
  the buyer corrects the settlement first, as a receiver's receiving is corrected before
  the shipping it received;
- a day outside the contract's term, where no delivery may be booked
  (``recording._contract_line``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.clock import VIETNAM
from core.db import db, utcnow
from core.errors import Conflict
from core.formatting import quantity_text
from core.i18n import _l
from linkages.models.contracts import LinkageContract
from linkages.models.deliveries import LinkageDelivery, LinkageDeliveryShippingChange
from traceability.models.batches import Shipment
from traceability.services.recording import shipment_corrected


@shipment_corrected.connect
def follow_shipping_correction(shipment: Shipment, **_: Any) -> None:
    """The delivery booked on ``shipment`` (if any) takes its corrected quantity and day
    (module docstring)."""
    delivery = db.session.scalar(
        select(LinkageDelivery).where(LinkageDelivery.shipment_id == shipment.id))
    if delivery is None:
        return
    kg = Decimal(shipment.quantity_kg)
    day = shipment.shipped_at.astimezone(VIETNAM).date()
    if (kg, day) == (delivery.shipped_kg, delivery.shipped_on):
        return
    settled = (delivery.accepted_kg or Decimal(0)) + (delivery.rejected_kg or Decimal(0))
    if delivery.accepted_kg is not None and settled > kg:
        message = _l("The buyer has settled %(kg)s kg of this delivery: the buyer must "
                     "first correct the settlement.", kg=quantity_text(settled))
        raise Conflict(message, field_errors={"quantities": [message]})
    contract = db.session.get(LinkageContract, delivery.contract_id)
    assert contract is not None  # a delivery's contract is never deleted (RESTRICT)
    if not contract.covers(day):
        message = _l("The shipping is delivered under contract %(code)s, whose term does "
                     "not cover that day.", code=contract.code)
        raise Conflict(message, field_errors={"at": [message]})
    db.session.add(LinkageDeliveryShippingChange(
        delivery_id=delivery.id, changed_at=utcnow(), shipped_on=delivery.shipped_on,
        shipped_kg=delivery.shipped_kg))
    delivery.shipped_kg, delivery.shipped_on = kg, day
