"""Labels on a phone: from a lot's page, "Print labels" opens the labels page with the QR
code drawn, a serial range is recorded through its form, and the label sheet downloads as a
PDF; "Download QR" gives the PNG. No page scrolls sideways."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import SignedInFactory
from tests.browser.test_harvest import no_sideways_scroll, save_screenshot, submit

pytestmark = pytest.mark.browser


def test_print_labels_from_the_batch_page(signed_in: SignedInFactory, expect: Any) -> None:
    phone = signed_in()
    phone.goto("/batches/harvest")
    phone.locator("#quantity").fill("80")
    submit(phone)
    expect(phone).to_have_url(re.compile(r"/batches/\d+$"))

    with phone.expect_download() as qr_download:
        phone.get_by_test_id("download-qr").click()
    assert qr_download.value.suggested_filename.endswith("-512.png")

    phone.get_by_test_id("print-labels").click()
    expect(phone).to_have_url(re.compile(r"/batches/\d+/labels$"))
    preview = phone.get_by_test_id("qr-preview")
    expect(preview).to_be_visible()
    # Visible as soon as laid out, the picture maybe still on its way: the load event waits
    # for it, so that a QR code that failed to load is told from one not loaded yet.
    phone.wait_for_load_state("load")
    assert phone.evaluate("document.querySelector('[data-testid=qr-preview]').naturalWidth") > 0
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "labels-phone.png")

    phone.locator("#range_prefix").fill("CF-")
    phone.locator("#range_count").fill("30")
    phone.get_by_test_id("record-serials").click()
    expect(phone).to_have_url(re.compile(r"/labels\?.*kind=serial"))
    expect(phone.locator(".flash-success")).to_contain_text("CF-000001")
    expect(phone.get_by_test_id("serial-summary")).to_contain_text("CF-000030")

    with phone.expect_download() as sheet_download:
        phone.get_by_test_id("print-labels").click()
    sheet = sheet_download.value
    assert re.fullmatch(r"labels-.+-serial-3x8\.pdf", sheet.suggested_filename)
    with open(sheet.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
