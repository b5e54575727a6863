"""Splitting a lot and correcting a record on a phone-sized screen, through the real forms
and without any JavaScript of ours: the parts appear on the batch page, the corrected record
stays in the history marked as corrected; no page scrolls sideways, buttons are big enough."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import SignedInFactory
from tests.browser.test_harvest import TAP_PX, no_sideways_scroll, save_screenshot, submit

pytestmark = pytest.mark.browser


def record_harvest(page: Any, quantity: str) -> str:
    page.goto("/batches/harvest")
    page.locator("#quantity").fill(quantity)
    submit(page)
    page.wait_for_url(re.compile(r"/batches/\d+$"))
    return str(page.url)


def test_split_a_lot_and_see_its_parts_on_the_batch_page(
    signed_in: SignedInFactory, expect: Any
) -> None:
    phone = signed_in()
    batch_url = record_harvest(phone, "200")
    lot = phone.get_by_test_id("lot-code").inner_text()

    split = phone.get_by_test_id("action-split")
    box = split.bounding_box()
    assert box["height"] >= TAP_PX and box["width"] >= TAP_PX
    split.click()
    expect(phone).to_have_url(re.compile(r"/batches/\d+/split$"))
    assert no_sideways_scroll(phone)
    expect(phone.get_by_test_id("split-part")).to_have_count(4)
    expect(phone.locator("#parts-0-quantity")).to_have_attribute("inputmode", "decimal")
    expect(phone.locator("#parts-2-quantity")).to_be_hidden()  # folded under "more parts"

    phone.locator("#parts-0-quantity").fill("250")  # more than the lot holds
    submit(phone)
    expect(phone.locator(".form-error")).to_contain_text(lot)
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "split-refused-phone.png")

    phone.locator("#parts-0-quantity").fill("120")
    phone.locator("#parts-1-quantity").fill("50,5")
    phone.locator("#parts-1-lot_code").fill("LOAI-2")
    save_screenshot(phone, "split-form-phone.png")
    submit(phone)

    expect(phone).to_have_url(batch_url)
    expect(phone.locator(".flash-success")).to_contain_text("LOAI-2")
    expect(phone.get_by_test_id("current-quantity")).to_contain_text("29,5")
    forward = phone.get_by_test_id("lineage-forward")
    expect(forward.locator("li")).to_have_count(2)
    expect(forward).to_contain_text("LOAI-2")
    expect(forward).to_contain_text(re.compile(r"\d{6}-S-\d+"))
    entries = phone.get_by_test_id("timeline-entry")
    expect(entries).to_have_count(2)
    expect(entries.first).to_have_class(re.compile(r"\bkind-split\b"))
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "batch-after-split-phone.png")

    # The part opens as a lot of its own, made from this one.
    forward.get_by_role("link", name="LOAI-2").click()
    expect(phone.get_by_test_id("lot-code")).to_have_text("LOAI-2")
    expect(phone.get_by_test_id("current-quantity")).to_contain_text("50,5")
    expect(phone.get_by_test_id("lineage-back")).to_contain_text(lot)


def test_correct_a_record_that_did_not_happen(signed_in: SignedInFactory, expect: Any) -> None:
    phone = signed_in()
    batch_url = record_harvest(phone, "80")
    phone.get_by_test_id("action-storing").click()
    submit(phone)
    expect(phone).to_have_url(batch_url)
    entries = phone.get_by_test_id("timeline-entry")
    expect(entries).to_have_count(2)

    correct = entries.first.get_by_test_id("correct-event")
    assert correct.bounding_box()["height"] >= TAP_PX
    correct.click()
    expect(phone).to_have_url(re.compile(r"/events/\d+/correct$"))
    assert no_sideways_scroll(phone)
    expect(phone.get_by_test_id("nothing-deleted")).to_be_visible()
    save_screenshot(phone, "correct-form-phone.png")
    phone.locator("input[name=reason][value=did_not_occur]").check()
    submit(phone)

    expect(phone).to_have_url(batch_url)
    entries = phone.get_by_test_id("timeline-entry")
    expect(entries).to_have_count(2)  # nothing deleted
    expect(entries.first).to_have_class(re.compile(r"\bcorrected\b"))
    expect(entries.first.get_by_test_id("corrected-note")).to_be_visible()
    expect(entries.first.get_by_test_id("correct-event")).to_have_count(0)
    expect(phone.get_by_test_id("current-quantity")).to_contain_text("80")
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "batch-after-correction-phone.png")
