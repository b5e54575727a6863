"""Shared by the delivery tests: a hand-built world of a cooperative that supplies coffee
to a buyer under a signed contract — and sells some elsewhere — with every figure the
tests assert worked out in the comments.

Day T is today (Vietnam). The contract (signed by both parties' confirmations) runs
T−30 … T+69: 100 days.

- Line 0: the cooperative's product P (coffee), 1000 kg planned, window T−30 … T−5
  (26 days).
- Line 1: no product, commodity text "Cà phê nhân", 500 kg planned, no window.

Deliveries (all to the buyer B):

- D1 (line 0): 300 kg shipped T−20; received 300 at T−19, settled accepted 280,
  rejected 20, 95 000 đ/kg, invoice HD-001;
- D2 (line 0): 200 kg shipped T−10; received 200 at T−9 without a settlement: the
  defaults settle it, accepted 200, rejected 0;
- D3 (line 0): 100 kg shipped T−2, after the window closed (late); not settled;
- D4 (line 1): 100 kg of product P2 (coffee too) shipped T−8; settled without a receipt:
  accepted 100, rejected defaults to shipped − accepted = 0.

Shipments elsewhere (not to B):

- 99 kg of P to O1 on T−40, before the term: never counted;
- 150 kg of P to O1 on T−15; 50 kg of P to O2 on T−3;
- 70 kg of P2 to O1 on T−6 (same commodity, another product);
- 40 kg of rice R to O1 on T−4 (another commodity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from core.clock import local_today
from core.db import db
from linkages.models.contracts import LinkageContract
from linkages.models.deliveries import LinkageDelivery
from linkages.models.organisations import OrgType
from linkages.services import contracts
from linkages.services import deliveries as svc
from tests.linkages._helpers_contracts import Side, side, terms
from tests.traceability.batch_factories import make_area, make_product
from traceability.models.batches import Shipment
from traceability.models.events import EpcisEvent
from traceability.models.products import Commodity
from traceability.services import recording as events


def days(n: int) -> date:
    return local_today() + timedelta(days=n)


def contract_terms(coop: Side, buyer: Side, **lines: Any) -> dict[str, Any]:
    """Terms of the world's contract (module docstring); ``lines`` replaces the lines."""
    return terms(
        coop.org, buyer.org, effective_from=days(-30), effective_to=days(69),
        price_mechanism="fixed", price_unit="kg", price_vnd=95000, floor_price_vnd=None,
        **lines,
    )


def signed_contract(coop: Side, buyer: Side, lines: list[dict[str, Any]]) -> LinkageContract:
    """A contract both parties confirmed (signed), effective T−30 as recorded."""
    contract = contracts.create_contract(
        coop.actor, effective_on=days(-30), **contract_terms(coop, buyer, lines=lines)
    )
    contracts.confirm_contract(coop.actor, contract.id, signed_on=days(-30))
    contracts.confirm_contract(buyer.actor, contract.id, signed_on=days(-30))
    db.session.commit()
    return contract


@dataclass
class World:
    coop: Side
    buyer: Side
    other_buyer: Side  # O1
    third_buyer: Side  # O2
    contract: LinkageContract
    line0: int
    line1: int
    lot_p: int
    lot_p2: int
    lot_r: int
    product_p: int
    deliveries: dict[str, int]


def harvest(coop: Side, area_id: int, product_id: int, kg: str, day: date) -> int:
    lot = events.record_harvest(coop.actor, area_ids=[area_id], product_id=product_id,
                                quantity=Decimal(kg), unit="kg", harvested_on=day)
    return lot.id


def ship(coop: Side, lot: int, to: Side, kg: str, day: date) -> int:
    shipped = events.record_shipping(coop.actor, lot, to_organisation_id=to.org.id,
                                     quantity=Decimal(kg), unit="kg", shipped_at=day)
    assert shipped.shipment is not None
    return shipped.shipment.id


def ship_event_id(delivery_id: int) -> str:
    """The EPCIS event id of the shipping a delivery was booked on (to correct it)."""
    delivery = db.session.get(LinkageDelivery, delivery_id)
    assert delivery is not None
    shipment = db.session.get(Shipment, delivery.shipment_id)
    assert shipment is not None
    event = db.session.get(EpcisEvent, shipment.ship_event_pk)
    assert event is not None
    return event.event_id


def build_world() -> World:
    coop = side("HTX Cà phê Ea Tân")
    buyer = side("Công ty TNHH Cà phê Bảo Lộc", OrgType.DN)
    o1 = side("Công ty Thu mua Chợ Đêm", OrgType.DN)
    o2 = side("Đại lý Ba Hưng", OrgType.DN)
    area = make_area(coop.org)
    p = make_product(coop.org, name="Cà phê nhân R1")
    p2 = make_product(coop.org, name="Cà phê nhân xô")
    r = make_product(coop.org, name="Gạo ST25", commodity=Commodity.RICE)
    contract = signed_contract(coop, buyer, [
        {"commodity": "Cà phê nhân", "product_id": p.id, "season": "2026/27",
         "planned_quantity": Decimal("1"), "unit": "tan",
         "deliver_from": days(-30), "deliver_by": days(-5)},
        {"commodity": "Cà phê nhân", "season": "2026/27 phụ",
         "planned_quantity": Decimal("500"), "unit": "kg"},
    ])
    line0, line1 = (line.id for line in contract.lines)
    lot_p = harvest(coop, area.id, p.id, "2000", days(-45))
    lot_p2 = harvest(coop, area.id, p2.id, "500", days(-45))
    lot_r = harvest(coop, area.id, r.id, "100", days(-45))
    ship(coop, lot_p, o1, "99", days(-40))

    def deliver(lot: int, line: int, kg: str, day: date) -> svc.Delivered:
        return svc.ship_under_contract(coop.actor, lot, contract.id, line,
                                       quantity=Decimal(kg), unit="kg", shipped_at=day)

    d1 = deliver(lot_p, line0, "300", days(-20))
    ship(coop, lot_p, o1, "150", days(-15))
    d2 = deliver(lot_p, line0, "200", days(-10))
    d4 = deliver(lot_p2, line1, "100", days(-8))
    ship(coop, lot_p2, o1, "70", days(-6))
    ship(coop, lot_r, o1, "40", days(-4))
    ship(coop, lot_p, o2, "50", days(-3))
    d3 = deliver(lot_p, line0, "100", days(-2))
    db.session.commit()
    assert d1.recorded.shipment and d2.recorded.shipment and d1.delivery and d2.delivery
    svc.receive_under_contract(
        buyer.actor, d1.recorded.shipment.id, received_quantity=Decimal("300"), unit="kg",
        received_at=days(-19),
        settlement={"accepted_kg": Decimal("280"), "rejected_kg": Decimal("20"),
                    "price_vnd_per_kg": 95000, "invoice_number": "HD-001"},
    )
    svc.receive_under_contract(buyer.actor, d2.recorded.shipment.id,
                               received_quantity=Decimal("200"), unit="kg",
                               received_at=days(-9))
    assert d4.delivery is not None and d3.delivery is not None
    svc.settle_delivery(buyer.actor, d4.delivery.id, accepted_kg=Decimal("100"),
                        received_on=days(-7))
    db.session.commit()
    return World(
        coop=coop, buyer=buyer, other_buyer=o1, third_buyer=o2, contract=contract,
        line0=line0, line1=line1, lot_p=lot_p, lot_p2=lot_p2, lot_r=lot_r, product_p=p.id,
        deliveries={"d1": d1.delivery.id, "d2": d2.delivery.id, "d3": d3.delivery.id,
                    "d4": d4.delivery.id},
    )
