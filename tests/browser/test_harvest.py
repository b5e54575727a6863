"""The harvest flow on a phone-sized screen, without any JavaScript of ours: a cooperative
user records a harvest through the real form, lands on the batch page, records the next
events from it (shipping, then cooling) and sees them in the timeline; no page scrolls
sideways and the buttons are big enough to tap."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser import prepare_db
from tests.browser.conftest import SignedInFactory, sign_in

pytestmark = pytest.mark.browser
TAP_PX = 44
# What the other browser tests take from here; ``sign_in`` is conftest's now, beside the
# ``signed_in`` fixture that signs each user in through it once per session.
__all__ = ["TAP_PX", "no_sideways_scroll", "save_screenshot", "sign_in", "submit"]


def no_sideways_scroll(page: Any) -> bool:
    """Whether the page fits the screen's width. A click that navigates returns before
    the next page has loaded, so wait for it; should the old document still be torn
    down under the check, ask the new one again."""
    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
        except PlaywrightError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def save_screenshot(page: Any, name: str) -> None:
    shots = os.environ.get("HTX_SCREENSHOT_DIR")
    if shots:  # for a person to look at; never committed
        page.screenshot(path=str(Path(shots) / name), full_page=True)


def submit(page: Any) -> None:
    page.locator("form.batch-form button[type=submit]").click()


def test_harvest_then_the_next_events_from_the_batch_page(
    signed_in: SignedInFactory, expect: Any
) -> None:
    phone = signed_in()
    phone.goto("/batches")
    record = phone.get_by_test_id("record-harvest")
    assert record.bounding_box()["height"] >= TAP_PX
    record.click()

    expect(phone).to_have_url(re.compile(r"/batches/harvest$"))
    assert no_sideways_scroll(phone)
    area = phone.locator("#area_id")
    expect(area).to_contain_text(prepare_db.AREA_CODE)
    expect(phone.locator("#product_id")).to_contain_text(prepare_db.PRODUCT_NAME)
    expect(phone.locator("#quantity")).to_have_attribute("inputmode", "decimal")
    phone.locator("#quantity").fill("abc")
    submit(phone)
    expect(phone.locator("#quantity-error")).to_be_visible()  # beside the field
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "harvest-form-phone.png")
    phone.locator("#quantity").fill("120,5")
    submit(phone)

    expect(phone).to_have_url(re.compile(r"/batches/\d+$"))
    expect(phone.locator(".flash-success")).to_be_visible()
    lot = phone.get_by_test_id("lot-code").inner_text()
    assert re.fullmatch(r"\d{6}-LO1-\d+", lot)
    expect(phone.get_by_test_id("current-quantity")).to_contain_text("120,5")
    expect(phone.get_by_test_id("timeline-entry")).to_have_count(1)
    assert no_sideways_scroll(phone)
    for action in phone.locator(".action-grid .button").all():
        box = action.bounding_box()
        assert box["height"] >= TAP_PX and box["width"] >= TAP_PX
    save_screenshot(phone, "batch-phone.png")
    batch_url = phone.url

    phone.get_by_test_id("action-shipping").click()
    assert no_sideways_scroll(phone)
    phone.locator("#receiver_code").fill(prepare_db.BUYER[0])
    phone.locator("#quantity").fill("20")
    phone.locator("#purchase_order").fill("HĐ-15/2026")
    submit(phone)
    expect(phone).to_have_url(batch_url)
    expect(phone.get_by_test_id("timeline-entry")).to_have_count(2)
    expect(phone.get_by_test_id("timeline-entry").first).to_contain_text("−20 kg")
    expect(phone.get_by_test_id("timeline-entry").first).to_contain_text(prepare_db.BUYER[2])
    expect(phone.get_by_test_id("current-quantity")).to_contain_text("100,5")

    phone.get_by_test_id("action-cooling").click()
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "cooling-form-phone.png")
    submit(phone)
    expect(phone).to_have_url(batch_url)
    entries = phone.get_by_test_id("timeline-entry")
    expect(entries).to_have_count(3)
    expect(entries.first).to_have_class(re.compile(r"\bkind-cooling\b"))
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "batch-after-events-phone.png")

    phone.get_by_test_id("full-trace").click()
    expect(phone.get_by_test_id("trace-buyers")).to_contain_text(prepare_db.BUYER[1])
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "trace-phone.png")

    phone.goto("/batches")
    expect(phone.get_by_test_id("batch-row").first).to_contain_text(lot)
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "batches-phone.png")
