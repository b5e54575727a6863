"""The permission rules pages ask instead of deciding themselves (issue 9 §2): who may record
a harvest (``operations.may_record_harvest``), correct an event
(``operations.may_correct_event``), override a pre-harvest interval
(``phi.may_override_phi``) and see an organisation's internal details
(``batches.shows_owner_details``); where a recorder enforces the rule, both agree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.actor import ANONYMOUS, Actor, PlatformRole
from core.db import db
from core.errors import Forbidden, NotFound
from linkages.models.organisations import OrgType
from tests.factories import actor_of, make_user_with_token
from tests.traceability.batch_factories import Party, make_area, make_party, make_product, spray
from traceability.models import Batch, EpcisEvent, EventBatch
from traceability.services import recording as be
from traceability.services.batches import shows_owner_details
from traceability.services.operations import may_correct_event, may_record_harvest
from traceability.services.phi import may_override_phi


def platform(role: PlatformRole) -> Actor:
    user, _headers = make_user_with_token(platform_role=role)
    return actor_of(user)


def harvest(party: Party, actor: Actor | None = None) -> Batch:
    return be.record_harvest(
        actor or party.staff, area_ids=[make_area(party.org).id],
        product_id=make_product(party.org).id, quantity=Decimal(100), unit="kg",
        harvested_on="2026-03-01",
    )


# --------------------------------------------------------------------------- harvest


def test_a_cooperatives_staff_and_admins_may_record_its_harvests(coop: Party) -> None:
    assert may_record_harvest(coop.staff, coop.org)
    assert may_record_harvest(coop.admin, coop.org)


@pytest.mark.parametrize("org_type", [OrgType.LHHTX, OrgType.THT])
def test_unions_and_cooperative_groups_record_harvests_too(org_type: OrgType) -> None:
    party = make_party("Liên hiệp / Tổ hợp tác", org_type)
    assert may_record_harvest(party.staff, party.org)


def test_an_enterprise_may_not_record_a_harvest(dn: Party) -> None:
    assert not may_record_harvest(dn.staff, dn.org)
    assert not may_record_harvest(dn.admin, dn.org)


def test_a_stranger_may_not_record_a_harvest_for_a_cooperative(coop: Party) -> None:
    stranger = make_party("HTX Khác")
    assert not may_record_harvest(stranger.staff, coop.org)
    assert not may_record_harvest(platform(PlatformRole.AUTHORITY), coop.org)
    assert not may_record_harvest(ANONYMOUS, coop.org)


def test_a_platform_admin_may_record_a_harvest_for_a_cooperative(coop: Party) -> None:
    admin = platform(PlatformRole.ADMIN)
    assert may_record_harvest(admin, coop.org)
    assert harvest(coop, Actor(user_id=admin.user_id, organisation_id=coop.org.id,
                               platform_role=PlatformRole.ADMIN)).id


def test_nobody_records_a_harvest_for_no_organisation(coop: Party) -> None:
    assert not may_record_harvest(coop.staff, None)
    assert not may_record_harvest(platform(PlatformRole.ADMIN), None)


def test_the_harvest_recorder_refuses_those_the_rule_refuses(coop: Party) -> None:
    stranger = make_party("HTX Khác")
    area, product = make_area(coop.org), make_product(coop.org)
    with pytest.raises(NotFound):  # its own organisation has no such area
        be.record_harvest(stranger.staff, area_ids=[area.id], product_id=product.id,
                          quantity=Decimal(1), unit="kg", harvested_on="2026-03-01")
    with pytest.raises(Forbidden):
        be.record_harvest(platform(PlatformRole.AUTHORITY), area_ids=[area.id],
                          product_id=product.id, quantity=Decimal(1), unit="kg",
                          harvested_on="2026-03-01")


# --------------------------------------------------------------------------- corrections


def test_the_recording_organisation_and_platform_admins_may_correct_an_event(
    coop: Party, dn: Party
) -> None:
    assert may_correct_event(coop.staff, coop.org.id)
    assert may_correct_event(coop.admin, coop.org.id)
    assert may_correct_event(platform(PlatformRole.ADMIN), coop.org.id)
    assert not may_correct_event(dn.staff, coop.org.id)
    assert not may_correct_event(platform(PlatformRole.AUTHORITY), coop.org.id)
    assert not may_correct_event(ANONYMOUS, coop.org.id)
    assert not may_correct_event(coop.staff, None)  # recorded for no organisation


def test_correct_event_refuses_exactly_those_the_rule_refuses(coop: Party, dn: Party) -> None:
    batch = harvest(coop)
    original = db.session.scalar(
        select(EpcisEvent).join(EventBatch, EventBatch.event_pk == EpcisEvent.id)
        .where(EventBatch.batch_id == batch.id)
    )
    assert not may_correct_event(dn.staff, original.organisation_id)
    with pytest.raises(NotFound):
        be.correct_event(dn.staff, original.event_id, reason="did_not_occur")
    assert may_correct_event(coop.staff, original.organisation_id)
    assert be.correct_event(coop.staff, original.event_id, reason="did_not_occur")


# --------------------------------------------------------------------------- PHI override


def test_org_and_platform_admins_may_override_a_pre_harvest_interval(coop: Party) -> None:
    assert may_override_phi(coop.admin)
    assert may_override_phi(platform(PlatformRole.ADMIN))
    assert not may_override_phi(coop.staff)
    assert not may_override_phi(platform(PlatformRole.AUTHORITY))


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_the_phi_gate_lets_through_exactly_those_the_rule_allows(coop: Party, who: str) -> None:
    actor = getattr(coop, who)
    area = make_area(coop.org)
    spray(area, date(2026, 2, 28), 7)
    record = lambda: be.record_harvest(  # noqa: E731
        actor, area_ids=[area.id], product_id=make_product(coop.org).id,
        quantity=Decimal(1), unit="kg", harvested_on="2026-03-01",
        phi_override_reason="Thu hoạch gấp trước bão",
    )
    if may_override_phi(actor):
        assert record().phi_override_reason == "Thu hoạch gấp trước bão"
    else:
        with pytest.raises(Forbidden):
            record()


# --------------------------------------------------------------------------- owner details


def test_internal_details_are_for_the_owners_people_and_platform_admins(
    coop: Party, dn: Party
) -> None:
    assert shows_owner_details(coop.staff, coop.org.id)
    assert shows_owner_details(platform(PlatformRole.ADMIN), coop.org.id)
    assert not shows_owner_details(dn.staff, coop.org.id)
    assert not shows_owner_details(platform(PlatformRole.AUTHORITY), coop.org.id)
    assert not shows_owner_details(ANONYMOUS, coop.org.id)
