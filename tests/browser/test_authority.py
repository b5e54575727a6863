"""An authority on a phone-sized screen: a provincial inspector belongs to no organisation
and lands on a start page made for it, the registry of the organisations of its province,
which it searches and filters."""

from __future__ import annotations

import re

import pytest

from linkages.models.organisations import OrgType
from tests.browser import linkage_data, prepare_db
from tests.browser.test_harvest import no_sideways_scroll, save_screenshot, sign_in

pytestmark = pytest.mark.browser

ALL_ORGS = (*prepare_db.ORGS, prepare_db.BUYER, prepare_db.COOP, prepare_db.ENTERPRISE,
            (*linkage_data.SUPPLIER, OrgType.HTX))
PROVINCES = {**prepare_db.PROVINCES, linkage_data.SUPPLIER[0]: linkage_data.THAI_NGUYEN}
# (registration code, name) of the organisations of Thái Nguyên, and those elsewhere.
IN_SCOPE = {
    code: name
    for code, name, _short, _type in ALL_ORGS
    if PROVINCES[code] == prepare_db.THAI_NGUYEN
}
ELSEWHERE = [name for code, name, _short, _type in ALL_ORGS if code not in IN_SCOPE]
ENTERPRISES = {prepare_db.BUYER[1], prepare_db.ENTERPRISE[1]}


def test_authority_lands_on_the_registry_of_its_province(phone, expect) -> None:
    sign_in(phone, prepare_db.AUTHORITY_EMAIL)
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        f"Xin chào, {prepare_db.AUTHORITY_NAME}"
    )
    expect(phone.get_by_role("heading", name="Các tổ chức bạn quản lý")).to_be_visible()
    expect(phone.get_by_test_id("registry-scope")).to_have_text(
        "Các tổ chức của Tỉnh Thái Nguyên, tỉnh bạn quản lý."
    )
    expect(phone.locator("main")).not_to_contain_text("chưa thuộc đơn vị nào")
    rows = phone.get_by_test_id("organisation-row")
    expect(rows).to_have_count(len(IN_SCOPE))
    expect(phone.get_by_test_id("registry-count")).to_have_text(f"{len(IN_SCOPE)} tổ chức")
    for code, name in IN_SCOPE.items():
        expect(rows.filter(has_text=name)).to_contain_text(f"{code} · Tỉnh Thái Nguyên")
    assert ELSEWHERE  # the scope leaves some out
    for name in ELSEWHERE:
        expect(phone.get_by_test_id("organisation-list")).not_to_contain_text(name)
    # Scoped to one province: no province to choose.
    expect(phone.get_by_label("Tỉnh, thành phố")).to_have_count(0)
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "authority-start-phone.png")

    # Search by a part of the name.
    phone.get_by_label("Tên hoặc mã số đăng ký").fill("Tân Cương")
    phone.get_by_role("button", name="Tìm", exact=True).click()
    expect(phone).to_have_url(re.compile(r"/\?q=T%C3%A2n"))
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(prepare_db.ORGS[1][1])
    expect(phone.get_by_test_id("registry-count")).to_have_text("1 tổ chức")

    # Filter by type, the search emptied: the enterprises of the province.
    phone.get_by_label("Tên hoặc mã số đăng ký").fill("")
    phone.get_by_label("Loại hình tổ chức").select_option(label="Doanh nghiệp")
    phone.get_by_role("button", name="Tìm", exact=True).click()
    expect(phone).to_have_url(re.compile(r"org_type=dn"))
    expect(rows).to_have_count(len(ENTERPRISES))
    for name in ENTERPRISES:
        expect(rows.filter(has_text=name)).to_contain_text("Doanh nghiệp")
    expect(phone.get_by_label("Loại hình tổ chức")).to_have_value("dn")  # the filter stays

    # An organisation opens on its profile.
    rows.filter(has_text=prepare_db.ENTERPRISE[1]).click()
    expect(phone).to_have_url(re.compile(r"/orgs/\d+$"))
    expect(phone.get_by_role("heading", level=1)).to_contain_text(prepare_db.ENTERPRISE[1])
    assert no_sideways_scroll(phone)
