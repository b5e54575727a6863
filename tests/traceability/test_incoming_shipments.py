"""What waits for an organisation: the shipments addressed to it and not received yet
(an enterprise's start page), and a cooperative's lots that hold goods to act on."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal
from typing import Any

from core.actor import PlatformRole
from core.clock import VIETNAM
from core.db import db
from linkages.models.organisations import OrgType
from tests.factories import actor_of, make_user_with_token
from tests.traceability.batch_factories import Party, make_area, make_party, make_product
from traceability.models.events import EpcisEvent
from traceability.services import recording as be
from traceability.services.shipments import incoming_shipments
from traceability.services.worklists import batches_needing_action, count_needing_action


def _lot(coop: Party, kg: int = 1000) -> Any:
    return be.record_harvest(
        coop.staff, area_ids=[make_area(coop.org).id], product_id=make_product(coop.org).id,
        quantity=Decimal(kg), unit="kg", harvested_on="2026-03-01",
    )


def _ship(coop: Party, lot: Any, to: Party, kg: int, on: str = "2026-03-02") -> Any:
    return be.record_shipping(coop.staff, lot.id, to_organisation_id=to.org.id,
                              quantity=Decimal(kg), unit="kg", shipped_at=on).shipment


def test_an_enterprise_sees_the_shipments_addressed_to_it_with_quantity_and_date(
    coop: Party, dn: Party
) -> None:
    lot = _lot(coop)
    first = _ship(coop, lot, dn, 400, "2026-03-02")
    second = _ship(coop, lot, dn, 250, "2026-03-04")
    other = make_party("Công ty Khác", OrgType.DN)
    _ship(coop, lot, other, 100)

    page = incoming_shipments(dn.staff)

    assert page.total == 2 and [s.shipment_id for s in page.items] == [first.id, second.id]
    row = page.items[0]
    assert (row.batch_id, row.lot_code, row.quantity_kg) == (lot.id, lot.lot_code, Decimal(400))
    assert row.shipper_name == coop.org.name and row.product_name == "Cà phê nhân"
    shipped = row.shipped_at if row.shipped_at.tzinfo else row.shipped_at.replace(tzinfo=UTC)
    assert shipped.astimezone(VIETNAM).date() == date(2026, 3, 2)
    assert incoming_shipments(other.staff).total == 1


def test_a_received_or_withdrawn_shipment_no_longer_waits(coop: Party, dn: Party) -> None:
    lot = _lot(coop)
    received, withdrawn, waiting = (_ship(coop, lot, dn, kg) for kg in (100, 200, 300))
    be.record_receiving(dn.staff, received.id, received_quantity=Decimal(100), unit="kg")
    ship_event = db.session.get(EpcisEvent, withdrawn.ship_event_pk)
    be.correct_event(coop.staff, ship_event.event_id, reason="did_not_occur")

    assert [s.shipment_id for s in incoming_shipments(dn.staff).items] == [waiting.id]


def test_nobody_else_sees_an_organisations_incoming_shipments(coop: Party, dn: Party) -> None:
    _ship(coop, _lot(coop), dn, 100)
    national, _ = make_user_with_token(platform_role=PlatformRole.AUTHORITY)
    admin, _ = make_user_with_token(platform_role=PlatformRole.ADMIN)

    assert incoming_shipments(coop.staff).total == 0  # the shipper
    assert incoming_shipments(actor_of(national)).total == 0  # acting for no organisation
    assert incoming_shipments(actor_of(admin)).total == 0


def test_the_incoming_list_is_paginated(coop: Party, dn: Party) -> None:
    lot = _lot(coop)
    for kg in (10, 11, 12):  # the same shipping twice would be one event
        _ship(coop, lot, dn, kg)
    first, last = incoming_shipments(dn.staff, per_page=2), incoming_shipments(
        dn.staff, page=2, per_page=2)
    assert (first.total, first.pages, first.has_next, len(first.items)) == (3, 2, True, 2)
    assert (last.has_prev, last.has_next, len(last.items)) == (True, False, 1)
    assert not incoming_shipments(dn.staff, page=9, per_page=2).items


def test_lots_needing_action_are_the_cooperatives_lots_holding_goods(
    coop: Party, dn: Party
) -> None:
    kept, all_shipped, destroyed = _lot(coop), _lot(coop), _lot(coop)
    recalled = _lot(coop)
    _ship(coop, all_shipped, dn, 1000)
    be.record_destroy(coop.staff, destroyed.id)
    be.record_recall(coop.staff, recalled.id)
    other = make_party("HTX Khác")
    _lot(other)

    listed = db.session.scalars(batches_needing_action(coop.staff)).all()

    assert [b.id for b in listed] == [kept.id, recalled.id]  # recalled goods wait too
    assert listed[0].current_quantity_kg == Decimal(1000)
    assert count_needing_action(coop.staff) == 2


def test_nobody_outside_the_cooperative_gets_its_lots_needing_action(
    coop: Party, dn: Party
) -> None:
    _lot(coop)
    assert db.session.scalars(batches_needing_action(dn.staff, coop.org.id)).all() == []
    assert count_needing_action(dn.staff) == 0
