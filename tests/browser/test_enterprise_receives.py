"""A shipment received short, on phone-sized screens: a cooperative ships a 1,000 kg lot to
an enterprise; the enterprise's user lands on a start page listing it, receives 985 kg; the
cooperative then sees on the shipped lot what arrived and the 15 kg missing. Quantities and
dates read as the Vietnamese pages write them (1.000 kg)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.clock import local_today
from tests.browser import prepare_db
from tests.browser.conftest import PhoneFactory, SignedInFactory, vi_short_date
from tests.browser.test_harvest import no_sideways_scroll, save_screenshot, sign_in, submit

pytestmark = pytest.mark.browser

SAFE_AREA = "{} · {}".format(*prepare_db.COOP_SAFE_AREA)
ENTERPRISE_CODE, ENTERPRISE_NAME, ENTERPRISE_SHORT, _TYPE = prepare_db.ENTERPRISE


def ship_a_lot(page: Any) -> tuple[str, str]:
    """The cooperative harvests 1,000 kg and ships all of it to the enterprise; answers the
    lot's code and page."""
    page.goto("/batches/harvest")
    page.get_by_label("Vùng sản xuất", exact=True).first.select_option(label=SAFE_AREA)
    page.locator("#quantity").fill("1000")
    submit(page)
    page.wait_for_url(re.compile(r"/batches/\d+$"))
    lot, lot_url = page.get_by_test_id("lot-code").inner_text(), page.url
    page.get_by_test_id("action-shipping").click()
    page.get_by_label("Mã số đăng ký của bên nhận").fill(ENTERPRISE_CODE)
    page.get_by_label("Số lượng", exact=True).fill("1000")
    submit(page)
    page.wait_for_url(lot_url)
    return lot, lot_url


def test_enterprise_receives_a_shipment_short_and_the_shipper_sees_it(
    new_phone: PhoneFactory, signed_in: SignedInFactory, expect: Any
) -> None:
    today = local_today()
    cooperative = signed_in(prepare_db.COOP_ADMIN_EMAIL)
    lot, lot_url = ship_a_lot(cooperative)
    shipping = cooperative.get_by_test_id("timeline-entry").filter(has_text="Xuất hàng")
    expect(shipping).to_contain_text("−1.000 kg")
    expect(shipping).to_contain_text(f"cho {ENTERPRISE_SHORT} · chưa nhận")

    # The enterprise signs in and lands on its start page: the shipment waits there to be
    # received (through the form: where signing in lands is part of what is checked).
    enterprise = new_phone()
    sign_in(enterprise, prepare_db.ENTERPRISE_EMAIL)
    expect(enterprise.get_by_role("heading", level=1)).to_have_text(
        f"Xin chào, {prepare_db.ENTERPRISE_USER_NAME}"
    )
    expect(enterprise.get_by_test_id("current-org")).to_have_text(ENTERPRISE_SHORT)
    expect(enterprise.get_by_role("heading", name="Hàng đang đến")).to_be_visible()
    shipment = enterprise.get_by_test_id("incoming-shipment").filter(has_text=lot)
    expect(shipment).to_have_count(1)
    expect(shipment).to_contain_text(prepare_db.COOP_PRODUCT)
    expect(shipment).to_contain_text(f"Từ {prepare_db.COOP[1]}")
    expect(shipment).to_contain_text(
        re.compile(rf"Xuất ngày \d{{2}}:\d{{2}} {re.escape(vi_short_date(today))}")
    )
    expect(shipment.locator(".batch-row-side strong")).to_have_text("1.000 kg")
    receive = shipment.get_by_role("link", name="Nhận hàng")
    assert receive.bounding_box()["height"] >= 44
    assert no_sideways_scroll(enterprise)
    save_screenshot(enterprise, "enterprise-start-phone.png")

    # It arrives 15 kg short.
    receive.click()
    expect(enterprise.get_by_role("heading", level=1)).to_have_text("Nhận hàng")
    expect(enterprise.get_by_label("Chuyến hàng")).to_contain_text("1.000 kg, xuất ngày")
    quantity = enterprise.get_by_label("Số lượng thực nhận")
    expect(quantity).to_have_value("1000")  # what was shipped, to correct
    quantity.fill("985")
    assert no_sideways_scroll(enterprise)
    submit(enterprise)
    expect(enterprise).to_have_url(re.compile(r"/batches/\d+$"))
    expect(enterprise.locator(".flash-success")).to_contain_text("đã vào kho của bạn")
    expect(enterprise.get_by_test_id("current-quantity")).to_have_text("985 kg")
    expect(enterprise.get_by_test_id("lineage-back")).to_contain_text(lot)
    enterprise.goto("/")
    expect(enterprise.get_by_test_id("incoming-shipment").filter(has_text=lot)).to_have_count(0)

    # The cooperative sees on its lot what arrived and what is missing.
    cooperative.goto(lot_url)
    shipping = cooperative.get_by_test_id("timeline-entry").filter(has_text="Xuất hàng")
    expect(shipping).not_to_contain_text("chưa nhận")
    receipt = shipping.get_by_test_id("receipt")
    expect(receipt).to_contain_text(f"{ENTERPRISE_SHORT} đã nhận 985 kg")
    expect(receipt.get_by_test_id("shortfall")).to_have_text("Thiếu 15 kg so với 1.000 kg đã xuất")
    expect(cooperative.get_by_test_id("lineage-forward")).to_contain_text(
        f"Đã xuất cho {ENTERPRISE_NAME} · 1.000 kg"
    )
    assert no_sideways_scroll(cooperative)
    save_screenshot(cooperative, "shipped-lot-received-short-phone.png")
