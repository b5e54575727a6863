"""The shipper sees what its buyer received: a short receipt (985 of 1,000 kg) shows on the
shipped lot's timeline with who received it and the difference, once, in the service, the
batch page and the API."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient

from core.db import db
from linkages.models.organisations import OrgType
from tests.app.web_support import coffee_coop, harvested, login
from tests.factories import actor_of
from tests.traceability.batch_factories import make_area, make_party, make_product
from traceability.services import recording as be
from traceability.services.timeline import batch_timeline, timeline_entries


def _entries(actor: Any, batch_id: int) -> list[dict[str, Any]]:
    return timeline_entries(db.session.execute(batch_timeline(actor, batch_id)).all())


def _cooperative_buyer_and_lot(kg: int) -> tuple[Any, Any, Any]:
    coop, buyer = make_party("HTX Cà phê"), make_party("Công ty Chế biến", OrgType.DN)
    lot = be.record_harvest(coop.staff, area_ids=[make_area(coop.org).id],
                            product_id=make_product(coop.org).id, quantity=Decimal(kg),
                            unit="kg", harvested_on="2026-03-01")
    return coop, buyer, lot


def _short_receipt(shipper: Any, lot_id: int, buyer: Any) -> Any:
    shipment = be.record_shipping(shipper, lot_id, to_organisation_id=buyer.org.id,
                                  quantity=Decimal(1000), unit="kg").shipment
    be.record_receiving(buyer.staff, shipment.id, received_quantity=Decimal(985), unit="kg")
    db.session.commit()
    return shipment


def test_the_shippers_timeline_shows_a_short_receipt_with_the_difference() -> None:
    coop, buyer, lot = _cooperative_buyer_and_lot(1200)
    _short_receipt(coop.staff, lot.id, buyer)
    [shipping] = [e for e in _entries(coop.staff, lot.id) if e["kind"] == "shipping"]
    receipt = shipping["shipment"]
    assert receipt["received"] is True
    assert receipt["quantity_kg"] == Decimal(1000) and receipt["received_kg"] == Decimal(985)
    assert receipt["shortfall_kg"] == Decimal(15)
    assert receipt["to_organisation_name"] == "Công ty Chế biến"
    assert receipt["received_at"] is not None


def test_a_receipt_appears_once_on_the_shippers_timeline() -> None:
    coop, buyer, lot = _cooperative_buyer_and_lot(1000)
    _short_receipt(coop.staff, lot.id, buyer)
    kinds = [e["kind"] for e in _entries(coop.staff, lot.id)]
    assert kinds == ["harvest", "shipping", "receiving"]


def test_an_unreceived_shipping_says_so() -> None:
    coop, buyer, lot = _cooperative_buyer_and_lot(1000)
    be.record_shipping(coop.staff, lot.id, to_organisation_id=buyer.org.id,
                       quantity=Decimal(400), unit="kg")
    [shipping] = [e for e in _entries(coop.staff, lot.id) if e["kind"] == "shipping"]
    assert shipping["shipment"]["received"] is False
    assert shipping["shipment"]["received_kg"] is None
    assert shipping["shipment"]["shortfall_kg"] is None


def test_the_batch_page_shows_the_short_receipt_to_the_shipper(client: FlaskClient) -> None:
    org, user, area, product = coffee_coop()
    lot = harvested(org, user, area, product, qty="1000")
    buyer = make_party("Công ty Chế biến", OrgType.DN)
    _short_receipt(actor_of(user, org), lot.id, buyer)
    login(client, user.email)
    html = client.get(f"/batches/{lot.id}?lang=en").get_data(as_text=True)
    entries = re.findall(r'<li class="timeline-item[^"]*".*?</li>', html, re.S)
    assert len([e for e in entries if "kind-receiving" in e]) == 1
    [shipping] = [e for e in entries if "kind-shipping" in e]
    receipt = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", shipping))
    assert "Received by Công ty Chế biến: 985 kg" in receipt
    assert "15 kg short of the 1,000 kg shipped" in receipt


def test_the_timeline_api_carries_the_receipt(client: FlaskClient) -> None:
    coop, buyer, lot = _cooperative_buyer_and_lot(1000)
    _short_receipt(coop.staff, lot.id, buyer)
    res = client.get(f"/api/batches/{lot.id}/events", headers=coop.staff_headers)
    assert res.status_code == 200
    [shipping] = [e for e in res.json if e["kind"] == "shipping"]
    assert shipping["shipment"]["received_kg"] == "985.0000"
    assert shipping["shipment"]["quantity_kg"] == "1000.0000"
    assert shipping["shipment"]["shortfall_kg"] == "15.0000"
    assert shipping["shipment"]["to_organisation_name"] == "Công ty Chế biến"
    [harvest] = [e for e in res.json if e["kind"] == "harvest"]
    assert harvest["shipment"] is None
