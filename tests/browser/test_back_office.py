"""A cooperative's back office on a phone-sized screen, through the real forms: its admin
adds a production area (commune picker and all), records a pesticide application in the
area's diary, sees when the area is safe to harvest again, is refused a harvest from it
inside the interval, records a harvest pooled from three member households instead, and
opens the printable statement of what one household delivered."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from core.clock import local_today
from tests.browser import prepare_db
from tests.browser.conftest import PHONE, SignedInFactory, vi_date
from tests.browser.test_harvest import no_sideways_scroll, save_screenshot, submit

pytestmark = pytest.mark.browser

NEW_AREA = ("DOI7", "Đồi chè Khuôn Gà")
SAFE_AREA = "{} · {}".format(*prepare_db.COOP_SAFE_AREA)
PHI_DAYS = 14
# What each household delivered into the pooled lot, as typed on a phone.
DELIVERIES = dict(zip(prepare_db.COOP_HOUSEHOLDS, ("120", "85,5", "1200"), strict=True))


def menu(page: Any, name: str) -> None:
    page.get_by_test_id("main-menu").get_by_role("link", name=name, exact=True).click()


def add_area(page: Any) -> None:
    code, name = NEW_AREA
    menu(page, "Vùng sản xuất")
    page.get_by_role("link", name="Thêm vùng sản xuất").click()
    page.wait_for_url(re.compile(r"/areas/new$"))
    page.get_by_label("Mã vùng").fill(code)
    page.get_by_label("Tên", exact=True).fill(name)
    page.get_by_label("Loại vùng").select_option(label="Lô, thửa ruộng")
    # The commune list follows the province through a second submit button (no JavaScript):
    # what was typed comes back with the province's communes.
    page.get_by_label("Tỉnh, thành phố").select_option(label="Tỉnh Thái Nguyên")
    page.get_by_role("button", name="Xem các xã, phường").click()
    page.wait_for_load_state()
    assert page.get_by_label("Mã vùng").input_value() == code
    page.get_by_label("Xã, phường").select_option(label="Xã La Bằng")
    page.get_by_label("Diện tích (ha)").fill("1,2")
    page.get_by_label("Cây trồng, vật nuôi").fill("Chè")
    page.get_by_label("Giống").fill("Trung du")
    page.get_by_label(prepare_db.COOP_HOUSEHOLDS[1]).check()
    assert no_sideways_scroll(page)
    save_screenshot(page, "area-form-phone.png")
    page.get_by_role("button", name="Lưu", exact=True).click()


def test_area_diary_phi_pooled_harvest_and_member_statement(
    signed_in: SignedInFactory, expect: Any
) -> None:
    today = local_today()
    safe_from = vi_date(today + timedelta(days=PHI_DAYS))
    code, name = NEW_AREA
    phone = signed_in(prepare_db.COOP_ADMIN_EMAIL)
    phone.goto("/")
    expect(phone.get_by_test_id("current-org")).to_have_text(prepare_db.COOP[2])

    # 1. A new production area, through the form.
    add_area(phone)
    expect(phone).to_have_url(re.compile(r"/areas/\d+$"))
    expect(phone.locator(".flash-success")).to_contain_text(f"Đã lưu vùng {code}.")
    expect(phone.get_by_role("heading", level=1)).to_have_text(name)
    facts = phone.locator("dl.facts")
    expect(facts).to_contain_text("Xã La Bằng, Tỉnh Thái Nguyên")
    expect(facts).to_contain_text("1,2")
    expect(facts).to_contain_text("Chè · Trung du")
    expect(facts).to_contain_text(prepare_db.COOP_HOUSEHOLDS[1])
    status = phone.get_by_test_id("phi-status")
    expect(status).to_contain_text("Không có thời gian cách ly nào đang tính")
    area_url = phone.url

    # 2. A pesticide applied today with a 14-day pre-harvest interval.
    phone.get_by_role("link", name="Ghi nhật ký").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Ghi nhật ký")
    assert no_sideways_scroll(phone)
    phone.get_by_label("Công việc").select_option(label="Phun thuốc bảo vệ thực vật")
    expect(phone.get_by_label("Ngày", exact=True)).to_have_value(today.isoformat())
    phone.get_by_label("Vật tư đã dùng").fill("Actara 25WG")
    phone.get_by_label("Hoạt chất").fill("Thiamethoxam")
    phone.get_by_label("Thời gian cách ly (ngày)").fill(str(PHI_DAYS))
    phone.get_by_label("Liều lượng", exact=True).fill("2,5")
    phone.get_by_label("Đơn vị liều lượng").fill("g/bình")
    phone.get_by_role("button", name="Lưu", exact=True).click()

    # 3. The area says from when it is safe to harvest, in the list too.
    expect(phone).to_have_url(area_url)
    expect(status).to_contain_text(f"An toàn để thu hoạch từ {safe_from}")
    expect(status).to_contain_text(f"Thiamethoxam ngày {vi_date(today)}")
    entry = phone.get_by_test_id("diary-entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Phun thuốc bảo vệ thực vật")
    expect(entry).to_contain_text("Actara 25WG (Thiamethoxam) · 2,5 g/bình")
    expect(entry).to_contain_text(f"Thời gian cách ly {PHI_DAYS} ngày")
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "area-phi-phone.png")
    menu(phone, "Vùng sản xuất")
    row = phone.get_by_test_id("area-row").filter(has_text=code)
    expect(row).to_contain_text(f"An toàn để thu hoạch từ {safe_from}")
    expect(
        phone.get_by_test_id("area-row").filter(has_text=prepare_db.COOP_SAFE_AREA[0])
    ).not_to_contain_text("An toàn để thu hoạch từ")

    # 4. A harvest from it today is refused, the reason beside the harvest date.
    menu(phone, "Ghi nhận thu hoạch")
    phone.get_by_label("Vùng sản xuất", exact=True).first.select_option(label=f"{code} · {name}")
    phone.locator("#quantity").fill("50")
    submit(phone)
    expect(phone).to_have_url(re.compile(r"/batches/harvest$"))
    refused = phone.locator("#harvested_on-error")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text(code)
    expect(refused).to_contain_text("Thiamethoxam")
    expect(refused).to_contain_text(f"thời gian cách ly {PHI_DAYS} ngày")
    # The first safe day, however the service writes it (ISO today, the page's format later).
    safe_day = today + timedelta(days=PHI_DAYS)
    expect(refused).to_contain_text(re.compile(f"{safe_day.isoformat()}|{safe_from}"))
    expect(phone.get_by_label("Ngày thu hoạch")).to_have_attribute("aria-invalid", "true")
    # An admin is offered to harvest anyway, with a written reason.
    expect(phone.get_by_label("Lý do thu hoạch trong thời gian cách ly")).to_be_visible()
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "harvest-phi-refused-phone.png")

    # 5. A harvest pooled from three households, from an area outside any interval.
    phone.get_by_label("Vùng sản xuất", exact=True).first.select_option(label=SAFE_AREA)
    phone.locator("#quantity").fill("")  # the households' deliveries are added up
    phone.get_by_test_id("contributions").locator("summary").click()
    rows = phone.get_by_test_id("contribution-row")
    expect(rows).to_have_count(3)
    for n, (household, quantity) in enumerate(DELIVERIES.items()):
        row = rows.nth(n)
        row.get_by_label("Hộ thành viên").select_option(label=household)
        row.get_by_label("Số lượng").fill(quantity)
        row.get_by_label("Vùng sản xuất").select_option(label=SAFE_AREA)
    # The running total, in the form a quantity is typed in (no thousands separator).
    expect(phone.locator("#quantity")).to_have_attribute("placeholder", "1405,5")
    assert no_sideways_scroll(phone)
    submit(phone)

    expect(phone).to_have_url(re.compile(r"/batches/\d+$"))
    expect(phone.locator(".flash-success")).to_be_visible()
    lot = phone.get_by_test_id("lot-code").inner_text()
    expect(phone.get_by_test_id("current-quantity")).to_contain_text("1.405,5 kg")
    origin = phone.get_by_role("region", name="Nguồn gốc")
    expect(origin).to_contain_text(SAFE_AREA)
    expect(origin).not_to_contain_text(code)
    for household, shown in zip(DELIVERIES, ("120 kg", "85,5 kg", "1.200 kg"), strict=True):
        expect(origin).to_contain_text(f"{household} · {shown}")
    assert no_sideways_scroll(phone)

    # 6. One household's statement of deliveries: this year so far, printable.
    household = prepare_db.COOP_HOUSEHOLDS[2]
    menu(phone, "Thành viên")
    phone.get_by_role("link", name=household).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(household)
    phone.get_by_role("link", name="Bảng kê sản lượng giao nộp").click()
    expect(phone).to_have_url(re.compile(r"/members/\d+/statement$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Bảng kê sản lượng giao nộp")
    main = phone.locator("main")
    expect(main).to_contain_text(prepare_db.COOP[1])
    expect(main).to_contain_text(f"Thành viên: {household}")
    expect(phone.get_by_test_id("statement-period")).to_have_text(
        f"Từ {vi_date(today.replace(month=1, day=1))} đến {vi_date(today)}"
    )
    line = phone.get_by_test_id("statement-lines").locator("tbody tr").filter(has_text=lot)
    expect(line).to_have_count(1)
    expect(line).to_contain_text(prepare_db.COOP_PRODUCT)
    delivered = line.locator("td").nth(1)
    expect(delivered).to_have_text("1.200 kg")
    expect(phone.get_by_test_id("statement-total")).to_have_text("1.200")
    # The quantities show on the phone without scrolling the table sideways.
    for cell in (delivered, phone.get_by_test_id("statement-total")):
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    expect(main).to_contain_text("dùng lệnh In của trình duyệt")  # how to print it
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "member-statement-phone.png")

    # Printed: the statement without the menus and the period form, with the print date.
    period_form = main.locator("form")
    expect(period_form).to_be_visible()
    printed_on = phone.get_by_text(f"In ngày {vi_date(today)}")
    expect(printed_on).to_be_hidden()
    phone.emulate_media(media="print")
    expect(period_form).to_be_hidden()
    expect(phone.get_by_test_id("main-menu")).to_be_hidden()
    expect(printed_on).to_be_visible()
    expect(line).to_be_visible()
    expect(phone.get_by_test_id("statement-total")).to_be_visible()
