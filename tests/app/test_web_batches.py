"""The batch pages of the HTML UI: the harvest form, the batch page with its timeline and
lineage, and the next-event forms, driven through Flask's test client."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from app.auth.services import add_membership
from app.web.form_support import parse_quantity
from core.actor import OrgRole
from core.clock import local_today
from core.db import db
from linkages.models.organisations import OrgType
from tests.app.web_support import coffee_coop, csrf_token_in, harvested, login, make_user
from tests.factories import actor_of, make_org
from tests.traceability.batch_factories import make_member, spray
from traceability.models.batches import Batch, BatchStatus, Shipment
from traceability.services import batches as batch_svc
from traceability.services import recording as events


@pytest.fixture()
def coop():  # type: ignore[no-untyped-def]
    return coffee_coop()


def _count_batches(org_id: int) -> int:
    return db.session.scalar(
        select(func.count(Batch.id)).where(Batch.organisation_id == org_id)
    )


def _harvest_form(area, product, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "area_id": str(area.id),
        "product_id": str(product.id),
        "quantity": "1250",
        "unit": "",
        "harvested_on": local_today().isoformat(),
    }
    data.update(overrides)
    return data


def _error_beside(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert found, f"no message beside {field}"
    return found.group(1)


_seed_batch = harvested


def test_quantities_are_read_the_way_people_type_them() -> None:
    assert parse_quantity("12,5") == Decimal("12.5")
    assert parse_quantity(" 120 ") == Decimal("120")
    assert parse_quantity("1.250") is None  # a Vietnamese thousands separator: ambiguous
    assert parse_quantity("1.250,5") is None
    assert parse_quantity("abc") is None
    assert parse_quantity("") is None


def test_the_harvest_form_is_one_short_form_defaulting_to_today(client, coop) -> None:
    user = coop[1]
    login(client, user.email)
    page = client.get("/batches/harvest")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'inputmode="decimal"' in html
    assert f'value="{local_today().isoformat()}"' in html
    assert "<details" in html  # the optional fields are folded away
    assert "phi_override_reason" not in html  # staff may not override the interval


def test_a_harvest_from_the_form_lands_on_the_batch_page_with_its_timeline(client, coop) -> None:
    org, user, area, product = coop
    login(client, user.email)
    response = client.post("/batches/harvest", data=_harvest_form(area, product))
    assert response.status_code == 302
    batch = db.session.scalar(select(Batch).where(Batch.organisation_id == org.id))
    assert batch is not None
    assert response.headers["Location"].endswith(f"/batches/{batch.id}")
    assert batch.unit == product.default_unit  # left empty: the product's usual unit
    assert batch.lot_code.startswith(local_today().strftime("%y%m%d") + "-LO1-")

    page = client.get(f"/batches/{batch.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert batch.lot_code in html
    assert batch.identifier in html
    assert 'data-testid="current-quantity">1.250 <span>kg' in html  # Vietnamese numbers
    entries = re.findall(r'data-testid="timeline-entry"', html)
    assert len(entries) == 1
    assert "+1.250 kg" in html
    assert "LO1" in html  # where: the area
    assert 'data-testid="action-cooling"' in html

    listing = client.get("/batches").get_data(as_text=True)
    assert batch.lot_code in listing


def test_a_harvest_delivered_by_one_member_household_shows_it_to_the_cooperative(
    client, coop
) -> None:
    org, user, area, product = coop
    member = make_member(org, "Hộ Trần Văn Bình")
    login(client, user.email)
    assert "Hộ Trần Văn Bình" in client.get("/batches/harvest").get_data(as_text=True)
    # One household delivering the whole lot is one row; the lot's quantity is its sum.
    response = client.post("/batches/harvest", data=_harvest_form(
        area, product, quantity="", **{"contributions-0-member_id": str(member.id),
                                       "contributions-0-quantity": "80"}))
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hộ Trần Văn Bình" in html and "80 kg" in html


def test_an_enterprise_is_not_offered_a_harvest_form_and_may_not_post_one(client) -> None:
    from linkages.models.organisations import OrgType
    from tests.factories import make_org
    from tests.traceability.batch_factories import make_product

    dn = make_org("Công ty TNHH Chè Phú Bình", OrgType.DN)
    product = make_product(dn, name="Chè xanh")
    user = make_user("mua@phubinh.vn", dn)
    login(client, user.email)
    en = {"Accept-Language": "en"}
    page = client.get("/batches/harvest", headers=en)
    assert page.status_code == 403
    assert "an enterprise receives its lots from its suppliers" in page.get_data(as_text=True)
    posted = client.post("/batches/harvest", headers=en, data={
        "area_id": "1", "product_id": str(product.id), "quantity": "5",
        "harvested_on": local_today().isoformat()})
    assert posted.status_code == 403
    assert _count_batches(dn.id) == 0


def test_an_invalid_quantity_comes_back_beside_the_field_and_writes_nothing(client, coop) -> None:
    org, user, area, product = coop
    login(client, user.email)
    for bad in ("", "abc", "-5", "0", "1.250"):
        response = client.post("/batches/harvest", data=_harvest_form(area, product, quantity=bad))
        assert response.status_code == 422
        assert _error_beside(response.get_data(as_text=True), "quantity")
    future = (local_today() + timedelta(days=2)).isoformat()
    response = client.post("/batches/harvest", data=_harvest_form(area, product,
                                                                  harvested_on=future))
    assert response.status_code == 422
    assert _error_beside(response.get_data(as_text=True), "harvested_on")
    assert _count_batches(org.id) == 0


def test_a_harvest_inside_the_pre_harvest_interval_shows_why_beside_the_date(client, coop) -> None:
    org, user, area, product = coop
    spray(area, local_today() - timedelta(days=2), phi_days=7, ingredient="Chlorpyrifos")
    login(client, user.email)
    response = client.post("/batches/harvest", data=_harvest_form(area, product))
    assert response.status_code == 409
    message = _error_beside(response.get_data(as_text=True), "harvested_on")
    assert "Chlorpyrifos" in message
    # The first safe day as a Vietnamese reader writes it.
    assert format_date(local_today() + timedelta(days=5), locale="vi") in message
    assert _count_batches(org.id) == 0


def test_another_cooperatives_batch_is_not_found(client, coop) -> None:
    org, user, area, product = coop
    batch = _seed_batch(org, user, area, product)
    stranger_org = make_org("Hợp tác xã Khác")
    stranger = make_user("khac@example.vn", stranger_org)
    login(client, stranger.email)
    assert client.get(f"/batches/{batch.id}").status_code == 404
    assert client.get(f"/batches/{batch.id}/trace").status_code == 404
    assert client.get(f"/batches/{batch.id}/events/cooling").status_code == 404
    assert client.post(f"/batches/{batch.id}/events/cooling",
                       data={"at": local_today().isoformat()}).status_code == 404
    assert batch.lot_code not in client.get("/batches").get_data(as_text=True)


def test_the_cooling_form_records_the_next_event_on_the_timeline(client, coop) -> None:
    org, user, area, product = coop
    batch = _seed_batch(org, user, area, product)
    login(client, user.email)
    form = client.get(f"/batches/{batch.id}/events/cooling")
    assert form.status_code == 200
    response = client.post(f"/batches/{batch.id}/events/cooling",
                           data={"at": local_today().isoformat()})
    assert response.status_code == 302
    html = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert len(re.findall(r'data-testid="timeline-entry"', html)) == 2
    assert "kind-cooling" in html
    assert batch_svc.current_quantity(batch.id) == Decimal("1000")


def test_shipping_moves_the_quantity_and_the_receiver_can_receive(client, app, coop) -> None:
    org, user, area, product = coop
    batch = _seed_batch(org, user, area, product)
    buyer_org = make_org("Công ty TNHH Cà phê Lâm Đồng", OrgType.DN)
    buyer = make_user("mua@lamdong.vn", buyer_org)
    login(client, user.email)

    unknown = client.post(f"/batches/{batch.id}/events/shipping", data={
        "receiver_code": "9999999999", "quantity": "300", "unit": "kg",
        "at": local_today().isoformat(),
    })
    assert unknown.status_code == 422
    assert _error_beside(unknown.get_data(as_text=True), "receiver_code")
    too_much = client.post(f"/batches/{batch.id}/events/shipping", data={
        "receiver_code": buyer_org.registration_code, "quantity": "5000", "unit": "kg",
        "at": local_today().isoformat(),
    })
    assert too_much.status_code == 409
    refusal = _error_beside(too_much.get_data(as_text=True), "quantity")
    assert "1.000 kg" in refusal and "5.000 kg" in refusal  # held and asked, read the vi way
    assert db.session.scalar(select(func.count(Shipment.id))) == 0

    shipped = client.post(f"/batches/{batch.id}/events/shipping", data={
        "receiver_code": buyer_org.registration_code, "quantity": "300", "unit": "kg",
        "at": local_today().isoformat(), "purchase_order": "HD-2026/15", "despatch_ref": "PX-7",
    })
    assert shipped.status_code == 302
    assert batch_svc.current_quantity(batch.id) == Decimal("700")
    shipment = db.session.scalar(select(Shipment))
    assert shipment.purchase_order == "HD-2026/15"
    owner_page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "−300 kg" in owner_page
    assert "Lâm Đồng" in owner_page  # shipped to, in the timeline and one step forward
    assert 'data-testid="action-receive"' not in owner_page
    client.post("/logout")

    login(client, buyer.email)
    page = client.get(f"/batches/{batch.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="action-receive"' in html
    assert 'data-testid="action-cooling"' not in html  # not the buyer's lot to record on
    assert client.get(f"/batches/{batch.id}/events/cooling").status_code == 403
    form = client.get(f"/batches/{batch.id}/events/receive")
    assert form.status_code == 200
    assert 'value="300"' in form.get_data(as_text=True)  # defaults to what was shipped
    received = client.post(f"/batches/{batch.id}/events/receive", data={
        "shipment_id": str(shipment.id), "quantity": "300", "unit": "kg",
        "at": local_today().isoformat(),
    })
    assert received.status_code == 302
    booked = db.session.scalar(select(Batch).where(Batch.organisation_id == buyer_org.id))
    assert received.headers["Location"].endswith(f"/batches/{booked.id}")
    booked_page = client.get(f"/batches/{booked.id}").get_data(as_text=True)
    assert batch.lot_code in booked_page  # one step back: the supplier's lot
    assert f'href="/batches/{batch.id}"' in booked_page
    assert client.get(f"/batches/{batch.id}/events/receive").status_code == 404  # done

    trace = client.get(f"/batches/{booked.id}/trace")
    assert trace.status_code == 200
    html = trace.get_data(as_text=True)
    assert batch.lot_code in html and "Cầu Đất" in html  # the supplier's lot and name
    assert "Vườn thử nghiệm" not in html  # the supplier's area names are not the buyer's


def test_an_org_admin_may_harvest_inside_the_interval_with_a_reason(client, coop) -> None:
    org, _user, area, product = coop
    admin = make_user("chu-nhiem@caudat.vn")
    add_membership(admin, org.id, OrgRole.ORG_ADMIN)
    db.session.commit()
    spray(area, local_today() - timedelta(days=1), phi_days=7)
    login(client, admin.email)
    assert "phi_override_reason" in client.get("/batches/harvest").get_data(as_text=True)
    refused = client.post("/batches/harvest", data=_harvest_form(area, product))
    assert refused.status_code == 409
    assert "<details class=\"more\" open>" in refused.get_data(as_text=True)
    response = client.post("/batches/harvest", data=_harvest_form(
        area, product, phi_override_reason="Thu hoạch gấp trước bão"))
    assert response.status_code == 302
    batch = db.session.scalar(select(Batch).where(Batch.organisation_id == org.id))
    assert batch.phi_override_reason == "Thu hoạch gấp trước bão"


def test_the_full_trace_reaches_the_fields_and_the_buyers(client, coop) -> None:
    org, user, area, product = coop
    batch = _seed_batch(org, user, area, product)
    buyer_org = make_org("Công ty Chè Hà Nội", OrgType.DN)
    events.record_shipping(actor_of(user, org), batch.id, to_organisation_id=buyer_org.id,
                           quantity=Decimal("400"), unit="kg")
    db.session.commit()
    login(client, user.email)
    assert 'data-testid="full-trace"' in client.get(f"/batches/{batch.id}").get_data(
        as_text=True)
    page = client.get(f"/batches/{batch.id}/trace")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Vườn thử nghiệm" in html  # our own area, by name
    assert "Công ty Chè Hà Nội" in html and "400 kg" in html


def test_destroy_and_recall_close_the_batch(client, coop) -> None:
    org, user, area, product = coop
    batch = _seed_batch(org, user, area, product)
    login(client, user.email)
    assert client.post(f"/batches/{batch.id}/events/destroy", data={
        "quantity": "100", "unit": "kg", "at": local_today().isoformat(),
    }).status_code == 302
    assert batch_svc.current_quantity(batch.id) == Decimal("900")
    assert client.post(f"/batches/{batch.id}/events/recall",
                       data={"at": local_today().isoformat()}).status_code == 302
    db.session.refresh(batch)
    assert batch.status == BatchStatus.RECALLED
    html = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert 'data-testid="action-shipping"' not in html
    refused = client.get(f"/batches/{batch.id}/events/shipping")
    assert refused.status_code == 409  # refused on its state, saying why
    assert batch.lot_code in refused.get_data(as_text=True)


def test_a_corrected_event_is_marked_on_the_timeline(client, coop) -> None:
    org, user, area, product = coop
    batch = _seed_batch(org, user, area, product)
    cooled = events.record_cooling(actor_of(user, org), batch.id)
    events.correct_event(actor_of(user, org), cooled.event_ids[0], reason="did_not_occur")
    db.session.commit()
    login(client, user.email)
    html = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "corrected" in html
    assert re.search(r'timeline-item kind-cooling corrected', html)


def test_the_forms_refuse_a_post_without_the_csrf_token(client, app, coop) -> None:
    org, user, area, product = coop
    login(client, user.email)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/batches/harvest").get_data(as_text=True)
        assert csrf_token_in(page)
        response = client.post("/batches/harvest", data=_harvest_form(area, product))
        assert response.status_code in (400, 422)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert _count_batches(org.id) == 0


def test_pages_need_a_signed_in_user(client, coop) -> None:
    response = client.get("/batches/harvest")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
