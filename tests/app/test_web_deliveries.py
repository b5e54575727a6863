"""The batch page's shipping and receiving forms under a linkage contract (phones, no
JavaScript): the contract choice, its refusal beside the field, the settlement fields with
their defaults."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.db import db
from linkages.models import LinkageDelivery
from tests.app.web_support import error_beside, login, make_user
from tests.linkages._helpers_deliveries import World, build_world, days
from traceability.models.batches import Shipment


@pytest.fixture()
def world() -> World:
    return build_world()


def _signed_in(client: FlaskClient, email: str, org) -> FlaskClient:  # type: ignore[no-untyped-def]
    make_user(email, org)
    assert login(client, email).status_code == 302
    return client


def _form(world: World, **overrides: str) -> dict[str, str]:
    data = {"receiver_code": world.buyer.org.registration_code, "quantity": "30",
            "unit": "kg", "at": days(0).isoformat(),
            "contract_line": f"{world.contract.id}-{world.line0}"}
    data.update(overrides)
    return data


def _count() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(LinkageDelivery.id))) or 0,
            db.session.scalar(select(func.count(Shipment.id))) or 0)


def test_the_shipping_form_offers_the_open_contracts(client: FlaskClient, world: World) -> None:
    _signed_in(client, "kho@eatan.vn", world.coop.org)
    page = client.get(f"/batches/{world.lot_p}/events/shipping").get_data(as_text=True)
    assert 'name="contract_line"' in page
    # Each choice: the contract's code, the buyer, the product line.
    assert re.search(rf'value="{world.contract.id}-{world.line0}"[^>]*>\s*'
                     rf'{world.contract.code} · Công ty TNHH Cà phê Bảo Lộc · Cà phê nhân',
                     page), page


def test_shipping_under_a_contract_books_a_delivery(client: FlaskClient, world: World) -> None:
    _signed_in(client, "kho@eatan.vn", world.coop.org)
    before = _count()
    shipped = client.post(f"/batches/{world.lot_p}/events/shipping", data=_form(world))
    assert shipped.status_code == 302, shipped.get_data(as_text=True)
    assert _count() == (before[0] + 1, before[1] + 1)
    delivery = db.session.scalar(select(LinkageDelivery).order_by(LinkageDelivery.id.desc()))
    assert (delivery.line_id, delivery.shipped_kg) == (world.line0, Decimal("30"))


def test_a_contract_whose_buyer_is_not_the_receiver_is_refused_beside_it(
    client: FlaskClient, world: World
) -> None:
    _signed_in(client, "kho@eatan.vn", world.coop.org)
    before = _count()
    refused = client.post(f"/batches/{world.lot_p}/events/shipping", data=_form(
        world, receiver_code=world.other_buyer.org.registration_code))
    assert refused.status_code == 422
    assert error_beside(refused.get_data(as_text=True), "contract_line")
    assert _count() == before
    stale = client.post(f"/batches/{world.lot_p}/events/shipping",
                        data=_form(world, contract_line="x-1"))
    assert stale.status_code == 422
    assert error_beside(stale.get_data(as_text=True), "contract_line")


def test_receiving_a_delivery_settles_it_with_the_forms_figures(
    client: FlaskClient, world: World
) -> None:
    d3 = db.session.get(LinkageDelivery, world.deliveries["d3"])
    _signed_in(client, "kho@baoloc.vn", world.buyer.org)
    url = f"/batches/{world.lot_p}/events/receive"
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="settlement"' in page
    # Defaults filled in: all 100 kg accepted, none rejected, the contract's 95 000 đ/kg.
    assert re.search(r'name="accepted_kg"[^>]*value="100"', page), page
    assert re.search(r'name="rejected_kg"[^>]*value="0"', page)
    assert re.search(r'name="price_vnd_per_kg"[^>]*value="95000"', page)
    base = {"shipment_id": str(d3.shipment_id), "quantity": "100", "unit": "kg",
            "at": days(0).isoformat(), "price_vnd_per_kg": "95000", "invoice_number": "HD-77"}
    too_much = client.post(url, data={**base, "accepted_kg": "100", "rejected_kg": "5"})
    assert too_much.status_code == 422
    assert error_beside(too_much.get_data(as_text=True), "accepted_kg")
    assert db.session.get(LinkageDelivery, d3.id).accepted_kg is None
    done = client.post(url, data={**base, "accepted_kg": "97", "rejected_kg": "3"})
    assert done.status_code == 302, done.get_data(as_text=True)
    db.session.expire_all()
    settled = db.session.get(LinkageDelivery, d3.id)
    assert (settled.accepted_kg, settled.rejected_kg) == (Decimal("97"), Decimal("3"))
    assert (settled.price_vnd_per_kg, settled.invoice_number) == (95000, "HD-77")
