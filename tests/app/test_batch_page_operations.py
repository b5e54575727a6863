"""The batch page offers exactly what ``operations.allowed_operations`` answers, for every
state of a lot and every kind of reader; the API refuses the rest with a problem naming
why."""

from __future__ import annotations

import re
from decimal import Decimal

from flask.testing import FlaskClient
from sqlalchemy import select

from app.auth.models import User
from app.auth.services import add_membership, create_user
from core.actor import OrgRole, PlatformRole
from core.db import db
from linkages.models.organisations import Organisation, OrgType
from tests.app.web_support import PASSWORD, harvested, login, make_user
from tests.factories import actor_of, make_org
from tests.traceability.batch_factories import make_area, make_party, make_product
from traceability.models import Batch, BatchStatus, EpcisEvent
from traceability.services import batches as batch_svc
from traceability.services import recording as events
from traceability.services.operations import Operation, allowed_operations

BUTTON = re.compile(r'data-testid="action-([a-z_]+)"')
# Offered elsewhere than as a button of the lot: corrections on each record of the history,
# packing into a new lot in the API only.
NO_BUTTON = {Operation.CORRECT.value, Operation.PACKING_NEW_LOT.value}


def _lots(coop: Organisation, staff: User, dn: Organisation, dn_staff: User
          ) -> dict[str, Batch]:
    """One lot in each state, recorded through the services."""
    area, product = make_area(coop, code="LO1"), make_product(coop)
    owner, buyer = actor_of(staff, coop), actor_of(dn_staff, dn)

    def lot() -> Batch:
        return harvested(coop, staff, area, product)

    def ship(batch: Batch, qty: str) -> int:
        return events.record_shipping(owner, batch.id, to_organisation_id=dn.id,
                                      quantity=Decimal(qty), unit="kg").shipment.id

    lots = {"active": lot()}
    lots["in_transit"] = lot()
    ship(lots["in_transit"], "1000")
    lots["received"] = lot()
    events.record_receiving(buyer, ship(lots["received"], "1000"),
                            received_quantity=Decimal(1000))
    partly = lot()  # still holds 990 kg; the buyer received its 10 kg as 0 kg
    lots["empty"] = events.record_receiving(buyer, ship(partly, "10"),
                                            received_quantity=Decimal(0)).batch
    lots["partly_shipped"] = partly
    lots["recalled"] = lot()
    events.record_recall(owner, lots["recalled"].id)
    lots["destroyed"] = lot()
    events.record_destroy(owner, lots["destroyed"].id)
    lots["void"] = lot()
    made = db.session.scalars(
        select(EpcisEvent).where(EpcisEvent.biz_step == "commissioning")
        .order_by(EpcisEvent.id.desc())
    ).first()
    events.correct_event(owner, made.event_id, reason="did_not_occur")
    db.session.commit()
    return lots


def test_the_batch_page_offers_exactly_the_allowed_operations(client: FlaskClient) -> None:
    coop, dn = make_org("HTX Cà phê Cầu Đất"), make_org("Công ty Cà phê", OrgType.DN)
    staff = make_user("lan@caudat.vn", coop)
    admin = make_user("chu-nhiem@caudat.vn")
    add_membership(admin, coop.id, OrgRole.ORG_ADMIN)
    dn_staff = make_user("mua@congty.vn", dn)
    elsewhere = make_org("HTX Khác")
    stranger = make_user("khac@htx.vn", elsewhere)
    authority = create_user("so@nnptnt.vn", PASSWORD, full_name="Sở NN",
                            platform_role=PlatformRole.AUTHORITY)
    db.session.commit()
    lots = _lots(coop, staff, dn, dn_staff)
    assert {name: lot.status for name, lot in lots.items()} == {
        "active": BatchStatus.ACTIVE, "in_transit": BatchStatus.IN_TRANSIT,
        "received": BatchStatus.CONSUMED, "empty": BatchStatus.ACTIVE,
        "partly_shipped": BatchStatus.ACTIVE, "recalled": BatchStatus.RECALLED,
        "destroyed": BatchStatus.DESTROYED, "void": BatchStatus.VOID,
    }
    viewers = [(staff, coop), (admin, coop), (dn_staff, dn), (stranger, elsewhere),
               (authority, None)]
    offered: dict[tuple[str, str], set[str]] = {}
    for user, org in viewers:
        actor = actor_of(user, org)
        login(client, user.email)
        for name, lot in lots.items():
            page = client.get(f"/batches/{lot.id}")
            allowed = {op.value for op in allowed_operations(actor, lot)}
            if page.status_code == 404:
                assert not batch_svc.can_read_batch(actor, lot) and not allowed
                continue
            assert page.status_code == 200
            buttons = set(BUTTON.findall(page.get_data(as_text=True)))
            assert buttons == allowed - NO_BUTTON, (user.email, name)
            offered[user.email, name] = buttons
        client.post("/logout")

    # The answers themselves, for the record of what the page shows.
    owner_all = {"cooling", "storing", "packing", "shipping", "destroy", "recall", "split",
                 "merge", "transformation"}
    for who in ("lan@caudat.vn", "chu-nhiem@caudat.vn"):
        assert offered[who, "active"] == offered[who, "partly_shipped"] == owner_all
        assert offered[who, "in_transit"] == offered[who, "received"] == {"recall"}
        assert offered[who, "recalled"] == {"cooling", "storing", "packing", "destroy"}
        assert offered[who, "destroyed"] == offered[who, "void"] == set()
    assert offered["mua@congty.vn", "in_transit"] == {"receive"}
    assert offered["mua@congty.vn", "received"] == set()  # it may correct its receipt only
    assert offered["mua@congty.vn", "empty"] == {"recall"}  # its own lot, holding 0 kg
    assert all(not buttons for (who, _name), buttons in offered.items()
               if who == "so@nnptnt.vn")
    assert not any(who == "khac@htx.vn" for who, _name in offered)  # 404 everywhere


def test_a_refused_form_says_why(client: FlaskClient) -> None:
    coop = make_org("HTX Cà phê Cầu Đất")
    staff = make_user("lan@caudat.vn", coop)
    lot = harvested(coop, staff, make_area(coop), make_product(coop))
    events.record_destroy(actor_of(staff, coop), lot.id)
    db.session.commit()
    login(client, staff.email)
    for path in ("events/storing", "events/shipping", "split", "merge", "transform"):
        page = client.get(f"/batches/{lot.id}/{path}?lang=en")
        assert page.status_code == 409, path
        assert f"Batch {lot.lot_code} was destroyed" in page.get_data(as_text=True), path
    posted = client.post(f"/batches/{lot.id}/events/storing", data={"at": "2026-03-01"})
    assert posted.status_code == 409


def test_the_api_refuses_an_event_on_a_received_lot_with_a_problem_naming_why(
    client: FlaskClient,
) -> None:
    coop, dn = make_party(), make_party("DN", OrgType.DN)
    area, product = make_area(coop.org), make_product(coop.org)
    made = client.post("/api/batches", headers=coop.staff_headers, json={
        "area_ids": [area.id], "product_id": product.id, "quantity": "1000", "unit": "kg",
        "harvested_on": "2026-03-01"}).json
    other = client.post("/api/batches", headers=coop.staff_headers, json={
        "area_ids": [area.id], "product_id": product.id, "quantity": "50", "unit": "kg",
        "harvested_on": "2026-03-01"}).json
    shipped = client.post(f"/api/batches/{made['id']}/events/shipping",
                          headers=coop.staff_headers,
                          json={"to_organisation_id": dn.org.id, "quantity": "1000",
                                "unit": "kg"}).json
    received = client.post(f"/api/batches/{made['id']}/events/receiving",
                           headers=dn.staff_headers,
                           json={"shipment_id": shipped["shipment"]["id"],
                                 "received_quantity": "1000", "unit": "kg"})
    assert received.status_code == 201, received.json
    english = {**coop.staff_headers, "Accept-Language": "en"}

    storing = client.post(f"/api/batches/{made['id']}/events/storing", json={},
                          headers=english)
    assert storing.status_code == 409
    assert storing.mimetype == "application/problem+json"
    assert storing.json["detail"] == (
        f"Batch {made['lot_code']} is used up (0 kg): it holds no goods to record this on.")

    merge = client.post(f"/api/batches/{other['id']}/events/merge", headers=english,
                        json={"inputs": [{"batch_id": other["id"]},
                                         {"batch_id": made["id"]}]})
    assert merge.status_code == 409
    assert merge.json["errors"][0]["field"] == "inputs.1.batch_id"
    assert "used up" in merge.json["errors"][0]["detail"]

    # the buyer may read the lot but not record on it; a stranger may not even read it
    assert client.post(f"/api/batches/{made['id']}/events/storing", json={},
                       headers=dn.staff_headers).status_code == 403
    stranger = make_party("HTX Khác")
    assert client.post(f"/api/batches/{made['id']}/events/storing", json={},
                       headers=stranger.staff_headers).status_code == 404
    assert db.session.get(Batch, made["id"]).status == BatchStatus.CONSUMED
