"""Batches: identifiers, lot codes, contributions, current quantity, visibility, statements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.actor import PlatformRole
from core.errors import Conflict, NotFound, ValidationFailed
from core.units import Unit
from linkages.models.organisations import OrgType
from tests.factories import actor_of, make_user_with_token
from tests.traceability.batch_factories import (
    make_area,
    make_member,
    make_party,
    make_product,
    new_gtin,
)
from traceability.gs1 import canonical_uri
from traceability.models import BatchContribution, BatchStatus
from traceability.services import batches as svc
from traceability.services import recording as be

BASE = "https://trace.example.vn"
DAY = date(2026, 3, 1)


def harvest(party, area, product, qty="1000", unit="kg", **kw):  # type: ignore[no-untyped-def]
    return be.record_harvest(
        party.staff, area_ids=[area.id], product_id=product.id, quantity=Decimal(qty),
        unit=unit, harvested_on=kw.pop("on", DAY), **kw,
    )


def test_harvest_creates_a_gtin_batch_with_a_digital_link_identifier() -> None:
    coop = make_party()
    gtin = new_gtin()
    batch = harvest(coop, make_area(coop.org, code="A1"), make_product(coop.org, gtin=gtin),
                    qty="2", unit="tan", lot_code="L2026-01")
    assert batch.identifier == f"{BASE}/01/{gtin}/10/L2026-01"
    assert batch.canonical_id == f"https://id.gs1.org/01/{gtin}/10/L2026-01"
    assert batch.quantity == Decimal(2) and batch.unit == Unit.TAN
    assert batch.quantity_kg == Decimal(2000)
    assert svc.current_quantity(batch.id) == Decimal(2000)
    assert batch.status == BatchStatus.ACTIVE
    assert batch.harvest_start == DAY


def test_batch_without_gtin_gets_a_platform_uri_of_the_same_shape() -> None:
    coop = make_party()
    product = make_product(coop.org)
    batch = harvest(coop, make_area(coop.org), product, lot_code="X1")
    expected = f"{BASE}/p/{coop.org.registration_code}.{product.code}/10/X1"
    assert batch.identifier == expected
    assert batch.canonical_id == canonical_uri(expected)


def test_generated_lot_codes_are_readable_and_unique_in_the_organisation() -> None:
    coop = make_party()
    area = make_area(coop.org, code="Lô Đồi 7")
    product = make_product(coop.org)
    first = harvest(coop, area, product)
    second = harvest(coop, area, product)
    assert first.lot_code == "260301-LODOI7-1"
    assert second.lot_code == "260301-LODOI7-2"


def test_a_lot_code_used_twice_in_one_organisation_is_a_conflict() -> None:
    coop = make_party()
    area, product = make_area(coop.org), make_product(coop.org)
    harvest(coop, area, product, lot_code="SAME")
    with pytest.raises(Conflict) as err:
        harvest(coop, area, product, lot_code="SAME")
    assert "lot_code" in err.value.field_errors


def test_an_invalid_lot_code_is_refused_naming_the_field() -> None:
    coop = make_party()
    with pytest.raises(ValidationFailed) as err:
        harvest(coop, make_area(coop.org), make_product(coop.org), lot_code="Lô 5")
    assert "lot_code" in err.value.field_errors


def test_areas_and_products_of_another_organisation_are_not_found() -> None:
    coop, other = make_party(), make_party("HTX B")
    with pytest.raises(NotFound):
        harvest(coop, make_area(other.org), make_product(coop.org))
    with pytest.raises(NotFound):
        harvest(coop, make_area(coop.org), make_product(other.org))


def test_negative_quantities_and_unknown_units_are_refused() -> None:
    coop = make_party()
    area, product = make_area(coop.org), make_product(coop.org)
    with pytest.raises(ValidationFailed) as err:
        harvest(coop, area, product, qty="-1")
    assert "quantity" in err.value.field_errors
    with pytest.raises(ValidationFailed) as err:
        harvest(coop, area, product, unit="bushel")
    assert "unit" in err.value.field_errors


def test_contributions_are_recorded_for_active_members_only() -> None:
    coop, other = make_party(), make_party("HTX B")
    area, product = make_area(coop.org), make_product(coop.org)
    a, b = make_member(coop.org, "Hộ A"), make_member(coop.org, "Hộ B")
    batch = harvest(coop, area, product, contributions=[
        {"member_id": a.id, "area_id": area.id, "quantity": Decimal(600), "unit": "kg"},
        {"member_id": b.id, "quantity": Decimal(4), "unit": "ta",
         "delivered_on": date(2026, 2, 28)},
    ])
    rows = BatchContribution.query.filter_by(batch_id=batch.id).order_by("id").all()
    assert [r.quantity_kg for r in rows] == [Decimal(600), Decimal(400)]
    assert rows[0].delivered_on == DAY and rows[1].delivered_on == date(2026, 2, 28)
    outsider = make_member(other.org, "Hộ ngoài")
    left = make_member(coop.org, "Hộ đã rời", left_on=date(2025, 1, 1))
    for member in (outsider, left):
        with pytest.raises(ValidationFailed) as err:
            harvest(coop, area, product, contributions=[
                {"member_id": member.id, "quantity": Decimal(1), "unit": "kg"}])
        assert "contributions.0.member_id" in err.value.field_errors


def test_contributions_may_not_exceed_the_batch() -> None:
    coop = make_party()
    area, product = make_area(coop.org), make_product(coop.org)
    member = make_member(coop.org)
    with pytest.raises(ValidationFailed) as err:
        harvest(coop, area, product, qty="500", contributions=[
            {"member_id": member.id, "quantity": Decimal(501), "unit": "kg"}])
    assert "contributions" in err.value.field_errors


def test_member_statement_sums_deliveries_per_batch_and_unit_over_a_period() -> None:
    coop = make_party()
    area, product = make_area(coop.org), make_product(coop.org, name="Cà phê")
    member = make_member(coop.org)
    b1 = harvest(coop, area, product, contributions=[
        {"member_id": member.id, "quantity": Decimal(100), "unit": "kg"},
        {"member_id": member.id, "quantity": Decimal(2), "unit": "ta"},
    ])
    b2 = harvest(coop, area, product, on=date(2026, 4, 1), contributions=[
        {"member_id": member.id, "quantity": Decimal(50), "unit": "kg"}])
    harvest(coop, area, product, on=date(2026, 6, 1), contributions=[
        {"member_id": member.id, "quantity": Decimal(70), "unit": "kg"}])
    st = svc.member_statement(coop.staff, member.id, date_from=DAY, date_to=date(2026, 4, 30))
    lines = {(line.batch_id, line.unit): line for line in st.lines}
    assert lines[(b1.id, Unit.KG)].quantity == Decimal(100)
    assert lines[(b1.id, Unit.TA)].quantity == Decimal(2)
    assert lines[(b1.id, Unit.TA)].quantity_kg == Decimal(200)
    assert lines[(b2.id, Unit.KG)].deliveries == 1
    assert len(st.lines) == 3 and st.total_kg == Decimal(350)


def test_member_statement_of_another_cooperative_is_not_found() -> None:
    coop, other = make_party(), make_party("HTX B")
    member = make_member(coop.org)
    with pytest.raises(NotFound):
        svc.member_statement(other.staff, member.id)


def test_cooperative_cannot_read_another_cooperatives_batch() -> None:
    coop, other = make_party(), make_party("HTX B")
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    with pytest.raises(NotFound):
        svc.get_batch(other.staff, batch.id)
    from core.db import db

    assert batch not in db.session.scalars(svc.list_batches(other.staff)).all()
    assert batch in db.session.scalars(svc.list_batches(coop.staff)).all()


def test_enterprise_sees_batches_shipped_to_it_and_no_others() -> None:
    from core.db import db

    coop, dn = make_party(), make_party("DN", OrgType.DN)
    area, product = make_area(coop.org), make_product(coop.org)
    shipped, kept = harvest(coop, area, product), harvest(coop, area, product)
    be.record_shipping(coop.staff, shipped.id, to_organisation_id=dn.org.id,
                       quantity=Decimal(100), unit="kg")
    listed = db.session.scalars(svc.list_batches(dn.staff)).all()
    assert shipped in listed and kept not in listed
    assert svc.get_batch(dn.staff, shipped.id) is shipped
    with pytest.raises(NotFound):
        svc.get_batch(dn.staff, kept.id)
    detail = svc.batch_detail(dn.staff, shipped.id)
    assert detail.contributions is None
    assert [s.to_organisation_id for s in detail.shipments] == [dn.org.id]


def test_authorities_read_batches_of_their_province_only() -> None:
    from core.db import db

    coop = make_party(province_code="01")
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    hanoi, _ = make_user_with_token(platform_role=PlatformRole.AUTHORITY, province_code="01")
    hcmc, _ = make_user_with_token(platform_role=PlatformRole.AUTHORITY, province_code="79")
    assert svc.get_batch(actor_of(hanoi), batch.id) is batch
    assert batch in db.session.scalars(svc.list_batches(actor_of(hanoi))).all()
    with pytest.raises(NotFound):
        svc.get_batch(actor_of(hcmc), batch.id)
    assert batch not in db.session.scalars(svc.list_batches(actor_of(hcmc))).all()


def test_list_loads_the_current_quantity_in_the_same_query() -> None:
    from core.db import db

    coop, dn = make_party(), make_party("DN", OrgType.DN)
    batch = harvest(coop, make_area(coop.org), make_product(coop.org))
    be.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                       quantity=Decimal(250), unit="kg")
    db.session.expire_all()
    [row] = db.session.scalars(svc.list_batches(coop.staff)).all()
    assert Decimal(str(row.__dict__["current_quantity_kg"])) == Decimal(750)


def test_current_quantities_of_many_batches_in_one_query() -> None:
    coop = make_party()
    area, product = make_area(coop.org), make_product(coop.org)
    a, b = harvest(coop, area, product, qty="10"), harvest(coop, area, product, qty="20")
    assert svc.current_quantities([a.id, b.id, 999999]) == {
        a.id: Decimal(10), b.id: Decimal(20), 999999: Decimal(0)}


def test_detail_shows_households_to_the_owner_and_communes_to_others() -> None:
    from tests.factories import SOC_SON, ensure_place

    ensure_place("01", SOC_SON)
    coop, dn = make_party(), make_party("DN", OrgType.DN)
    area = make_area(coop.org, commune_code=SOC_SON)
    member = make_member(coop.org)
    batch = harvest(coop, area, make_product(coop.org), contributions=[
        {"member_id": member.id, "quantity": Decimal(10), "unit": "kg"}])
    be.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                       quantity=Decimal(10), unit="kg")
    own = svc.batch_detail(coop.staff, batch.id)
    assert own.contributions and own.contributions[0]["member_name"] == member.display_name
    theirs = svc.batch_detail(dn.staff, batch.id)
    assert theirs.contributions is None
    assert [c["code"] for c in theirs.communes] == [SOC_SON]
