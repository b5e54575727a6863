"""The authority dashboard of the linkage indicator on a phone-sized screen, without any
JavaScript of ours (tests/browser/indicator_data.py describes the cooperatives): the
national authority opens it from the menu, switches variant, drills down into a province,
downloads the table and switches year; the authority of Đắk Lắk sees its province only."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.browser import indicator_data as data
from tests.browser.conftest import sign_in
from tests.browser.test_harvest import no_sideways_scroll, save_screenshot

pytestmark = pytest.mark.browser
OTHERS = (data.DA_LAT[1], data.BAO_LOC[1])  # Lâm Đồng's


def _row(page: Any, province: str) -> Any:
    return page.get_by_test_id("breakdown-table").locator(
        f'tr[data-testid="group-row"][data-group="{province}"]'
    )


def _filters(page: Any) -> None:
    """Unfold the filters (folded once figures are shown)."""
    box = page.get_by_test_id("filter-box")
    if box.get_attribute("open") is None:
        box.locator("summary").click()


def _show(page: Any) -> None:
    page.get_by_test_id("show-figures").click()
    page.wait_for_load_state("load")


def test_the_national_authority_reads_switches_drills_down_and_downloads(
    phone, expect, tmp_path
) -> None:
    year = data.this_year()
    sign_in(phone, data.NATIONAL_EMAIL, data.PASSWORD)
    phone.get_by_test_id("main-menu").get_by_role("link", name="Chỉ số liên kết").click()
    expect(phone).to_have_url(re.compile(r"/indicator$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Chỉ số liên kết chuỗi giá trị")
    expect(phone.get_by_test_id("indicator-scope")).to_have_text("Các hợp tác xã của cả nước.")
    expect(phone.get_by_test_id("headline-variant")).to_have_text("A chặt")
    expect(phone.get_by_test_id("headline-period")).to_contain_text(f"Năm thống kê {year}")
    # Variant A: Ea Tu only in Đắk Lắk, Đà Lạt in Lâm Đồng.
    daklak = _row(phone, data.DAKLAK)
    expect(daklak).to_contain_text(data.DAKLAK_NAME_PROVINCE)
    expect(daklak.get_by_test_id("group-numerator")).to_have_text("1")
    expect(daklak.get_by_test_id("group-denominator")).to_have_text("3")
    expect(daklak.get_by_test_id("group-percent")).to_have_text("33,3%")
    expect(_row(phone, data.LAMDONG).get_by_test_id("group-percent")).to_have_text("50%")
    # The charts are pictures with a name, each beside its table.
    for chart in ("chart-trend", "chart-breakdown", "chart-region", "chart-commodity"):
        expect(phone.locator(f"svg#{chart}[role=img]")).to_be_visible()
    expect(
        phone.get_by_role("img", name=re.compile("Xu hướng của biến thể A chặt"))
    ).to_be_visible()
    expect(phone.get_by_test_id("trend-row")).to_have_count(3)
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "indicator-dashboard-phone.png")

    # Variant B also counts Cư M'gar, whose contract a cooperative union leads.
    _filters(phone)
    phone.locator("#variant").select_option("B")
    _show(phone)
    expect(phone).to_have_url(re.compile(r"variant=B"))
    expect(phone.get_by_test_id("headline-variant")).to_have_text("B rộng")
    expect(_row(phone, data.DAKLAK).get_by_test_id("group-percent")).to_have_text("66,7%")
    expect(phone.locator("#variant")).to_have_value("B")  # the choice stays

    # Drill down into Đắk Lắk's counted cooperatives from here, before the other years
    # below: coming back to this year's variant B afterwards would compute the dashboard
    # once more, the slowest page of these tests.
    _row(phone, data.DAKLAK).get_by_test_id("group-numerator").get_by_role("link").click()
    expect(phone).to_have_url(re.compile(r"/indicator/drill-down\?.*group=66"))
    expect(phone.get_by_test_id("drill-group")).to_have_text(data.DAKLAK_NAME_PROVINCE)
    rows = phone.get_by_test_id("drill-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=data.EA_TU[1])).to_contain_text(data.CONTRACT_CODES["ea_tu"])
    expect(rows.filter(has_text=data.CU_MGAR[1])).to_contain_text(data.CONTRACT_CODES["cu_mgar"])
    for name in OTHERS:
        expect(phone.locator("main")).not_to_contain_text(name)
    # Who is not counted, and why.
    phone.get_by_role("link", name="Thuộc mẫu số, không được tính").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(data.KRONG_PAC[1])
    expect(rows.get_by_test_id("drill-reason")).to_contain_text("không có hợp đồng")
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "indicator-drill-down-phone.png")

    # Download the breakdown table, as CSV and as XLSX.
    phone.get_by_test_id("back-to-dashboard").click()
    expect(phone.get_by_test_id("headline-variant")).to_have_text("B rộng")
    with phone.expect_download() as caught:
        phone.get_by_test_id("download-breakdown-csv").first.click()
    download = caught.value
    assert re.fullmatch(
        rf"htx-indicator-breakdown-B-province-sy{year}-vn-asof-\d{{8}}\.csv",
        download.suggested_filename,
    ), download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][:4] == ["Mã", "Tỉnh, thành phố", "Được tính (tử số)", "Mẫu số"]
    by_code = {r[0]: r for r in table[1:]}
    assert by_code[data.DAKLAK][1:5] == [data.DAKLAK_NAME_PROVINCE, "2", "3", "66.67"]
    assert by_code[data.LAMDONG][1:5] == [data.LAMDONG_NAME_PROVINCE, "1", "2", "50"]
    assert table[-1][1] == "Tổng cộng"

    with phone.expect_download() as caught:
        phone.get_by_test_id("download-breakdown-xlsx").first.click()
    workbook = tmp_path / caught.value.suggested_filename
    caught.value.save_as(workbook)
    sheet = load_workbook(workbook).worksheets[0]
    rows_x = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows_x[data.DAKLAK][2:5] == (2, 3, 66.67)

    # Two years ago no contract had started.
    _filters(phone)
    phone.locator("#year").fill(str(year - 2))
    _show(phone)
    expect(phone).to_have_url(re.compile(rf"year={year - 2}"))
    expect(phone.get_by_test_id("headline-period")).to_contain_text(f"Năm thống kê {year - 2}")
    expect(_row(phone, data.DAKLAK).get_by_test_id("group-percent")).to_have_text("0%")

    # A year the form cannot read is said beside the field, nothing else shown.
    _filters(phone)
    phone.locator("#year").fill("")
    phone.locator("#period").select_option("range")
    phone.locator("#from").fill(f"{year}-02-01")
    phone.locator("#to").fill(f"{year - 1}-02-01")
    _show(phone)
    expect(phone.locator("#to-error")).to_be_visible()
    expect(phone.get_by_test_id("headline")).to_have_count(0)


def test_the_province_authority_sees_its_province_only(phone, expect) -> None:
    year = data.this_year()
    sign_in(phone, data.DAKLAK_EMAIL, data.PASSWORD)
    phone.get_by_test_id("main-menu").get_by_role("link", name="Chỉ số liên kết").click()
    expect(phone.get_by_test_id("indicator-scope")).to_have_text(
        f"Các hợp tác xã của {data.DAKLAK_NAME_PROVINCE}, địa phương bạn quản lý."
    )
    expect(phone.locator("#province")).to_have_count(0)  # no other province offered
    groups = phone.get_by_test_id("breakdown-table").get_by_test_id("group-row")
    expect(groups).to_have_count(1)
    expect(groups).to_have_attribute("data-group", data.DAKLAK)
    expect(phone.get_by_test_id("headline-count")).to_have_text("1 trên 3 hợp tác xã nông nghiệp")

    # Every cooperative of the scope, and nothing of Lâm Đồng's.
    phone.goto(f"/indicator/drill-down?variant=B&year={year}&which=all")
    rows = phone.get_by_test_id("drill-row")
    expect(rows).to_have_count(3)
    for code, name, _province in (data.EA_TU, data.CU_MGAR, data.KRONG_PAC):
        expect(rows.filter(has_text=name)).to_contain_text(code)
    for name in OTHERS:
        expect(phone.locator("main")).not_to_contain_text(name)

    # Asking for Lâm Đồng in the address shows nothing of it.
    phone.goto(f"/indicator?year={year}&province={data.LAMDONG}")
    expect(phone.get_by_test_id("other-province-asked")).to_be_visible()
    expect(phone.get_by_test_id("breakdown-table").get_by_test_id("group-row")).to_have_count(0)
    phone.goto(f"/indicator/drill-down?year={year}&which=all&province={data.LAMDONG}")
    expect(phone.get_by_test_id("drill-empty")).to_be_visible()
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "indicator-province-phone.png")
