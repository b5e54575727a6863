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


def test_incoming_shipments_name_the_contract_they_are_delivered_under(
    client: FlaskClient, world: World
) -> None:
    """D3 and D4 are delivered under the contract and not received; a shipment to the same
    buyer under no contract is listed without one. One statement for the rows (and one
    for the count), however many are under a contract."""
    from typing import Any

    from sqlalchemy import event

    from tests.linkages._helpers_deliveries import ship
    from traceability.services.shipments import incoming_shipments

    plain = ship(world.coop, world.lot_p2, world.buyer, "20", days(-1))
    db.session.commit()
    statements: list[str] = []

    def count(*args: Any) -> None:
        if args[2].lstrip().upper().startswith("SELECT"):  # not the test's SAVEPOINTs
            statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = incoming_shipments(world.buyer.actor)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 2, statements
    under = {s.shipment_id: s.contract_code for s in page.items}
    d3, d4 = (db.session.get(LinkageDelivery, world.deliveries[k]) for k in ("d3", "d4"))
    assert under == {d3.shipment_id: world.contract.code, d4.shipment_id: world.contract.code,
                     plain: None}
    _signed_in(client, "kho@baoloc.vn", world.buyer.org)
    for path in ("/", "/shipments/incoming"):
        html = client.get(path).get_data(as_text=True)
        rows = re.findall(r'<li class="incoming-row".*?</li>', html, re.S)
        named = [r for r in rows if 'data-testid="incoming-contract"' in r]
        assert len(rows) == 3 and len(named) == 2, path
        assert all(world.contract.code in r and world.contract.title in r for r in named)
        assert f'href="/contracts/{world.contract.id}"' in named[0]


def test_the_receiving_form_names_the_contract(client: FlaskClient, world: World) -> None:
    d3 = db.session.get(LinkageDelivery, world.deliveries["d3"])
    _signed_in(client, "kho@baoloc.vn", world.buyer.org)
    page = client.get(f"/batches/{world.lot_p}/events/receive",
                      query_string={"lang": "en"}).get_data(as_text=True)
    named = re.search(r'data-testid="receive-contract">(.*?)</p>', page, re.S)
    assert named and world.contract.code in named.group(1)
    assert f'href="/contracts/{world.contract.id}"' in named.group(1)
    choice = re.search(rf'<option[^>]*value="{d3.shipment_id}"[^>]*>([^<]*)<', page)
    assert choice and f"under contract {world.contract.code}" in choice.group(1)
