"""A harvest pooled from three member households on a phone-sized screen: a row per
household, "Add a row" (a plain form submit), the total added up, and the lot's page
naming the households."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser import prepare_db
from tests.browser.conftest import SignedInFactory
from tests.browser.test_harvest import no_sideways_scroll, save_screenshot, submit

pytestmark = pytest.mark.browser


def fill_row(page: Any, n: int, household: str, quantity: str) -> None:
    page.locator(f"#contributions-{n}-member_id").select_option(label=household)
    page.locator(f"#contributions-{n}-quantity").fill(quantity)


def test_a_harvest_pooled_from_three_households(signed_in: SignedInFactory, expect: Any) -> None:
    first, second, third = prepare_db.HOUSEHOLDS
    phone = signed_in()
    phone.goto("/batches/harvest")
    phone.get_by_test_id("contributions").locator("summary").click()
    rows = phone.get_by_test_id("contribution-row")
    expect(rows).to_have_count(3)
    fill_row(phone, 0, first, "50")
    fill_row(phone, 1, second, "30,5")
    # pooled-total.js shows the running sum, in the Vietnamese format, as a placeholder.
    expect(phone.locator("#quantity")).to_have_attribute("placeholder", "80,5")

    phone.locator("input[name=add_row]").click()  # without JavaScript: the server adds it
    expect(rows).to_have_count(4)
    expect(phone.locator("#contributions-0-quantity")).to_have_value("50")
    expect(phone.locator("#contributions-1-quantity")).to_have_value("30,5")
    fill_row(phone, 3, third, "20")  # the third row stays empty: ignored
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "pooled-harvest-phone.png")
    submit(phone)

    expect(phone).to_have_url(re.compile(r"/batches/\d+$"))
    expect(phone.get_by_test_id("current-quantity")).to_contain_text("100,5")
    for household in prepare_db.HOUSEHOLDS:
        expect(phone.locator("main")).to_contain_text(household)
    assert no_sideways_scroll(phone)
