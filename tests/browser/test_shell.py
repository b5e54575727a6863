"""The UI shell in a real browser on a phone-sized screen: sign in, switch organisation,
switch language. Everything works without JavaScript (plain forms). Signing in is the first
test's subject, through the form; the others start signed in (``signed_in``)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import EMAIL, ORG_SHORT_NAMES, PASSWORD, SignedInFactory

pytestmark = pytest.mark.browser


def sign_in(page, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_wrong_password_shows_the_error_and_the_right_one_signs_in(phone, expect):
    sign_in(phone, password="sai-mat-khau-roi")
    expect(phone.get_by_role("alert")).to_have_text("Email hoặc mật khẩu không đúng.")
    expect(phone).to_have_url(re.compile(r"/login$"))

    sign_in(phone)

    expect(phone.get_by_role("status")).to_have_text("Bạn đã đăng nhập.")
    expect(phone.get_by_test_id("current-org")).to_have_text(re.compile("|".join(ORG_SHORT_NAMES)))
    expect(phone.get_by_role("link", name="Hồ sơ đơn vị")).to_have_attribute(
        "href", re.compile(r"^/orgs/\d+$")
    )
    shots = os.environ.get("HTX_SCREENSHOT_DIR")
    if shots:  # for a person to look at; never committed
        phone.screenshot(path=str(Path(shots) / "home-phone.png"), full_page=True)


def test_organisation_switcher_changes_the_organisation_shown(
    signed_in: SignedInFactory, expect: Any
) -> None:
    phone = signed_in()
    phone.goto("/")
    shown = phone.get_by_test_id("current-org")
    expect(shown).to_have_text(re.compile("|".join(ORG_SHORT_NAMES)))
    before = shown.inner_text().strip()
    other = next(name for name in ORG_SHORT_NAMES if name != before)
    profile = phone.get_by_role("link", name="Hồ sơ đơn vị")
    profile_before = profile.get_attribute("href")

    phone.get_by_label("Đơn vị").select_option(label=other)
    phone.get_by_role("button", name="Chuyển", exact=True).click()

    expect(shown).to_have_text(other)
    expect(phone.get_by_role("status")).to_contain_text("Đã chuyển sang làm việc cho")
    expect(profile).not_to_have_attribute("href", profile_before or "")


def test_language_switch_goes_from_vietnamese_to_english_and_back(phone, expect):
    phone.goto("/login")
    html = phone.locator("html")
    expect(html).to_have_attribute("lang", "vi")
    expect(phone.get_by_role("heading", name="Đăng nhập")).to_be_visible()

    phone.get_by_role("button", name="English").click()

    expect(html).to_have_attribute("lang", "en")
    expect(phone.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(phone).to_have_url(re.compile(r"/login$"))  # back where the switch was made

    phone.get_by_role("button", name="Tiếng Việt").click()

    expect(html).to_have_attribute("lang", "vi")
    expect(phone.get_by_role("heading", name="Đăng nhập")).to_be_visible()


def test_controls_are_big_enough_to_tap_and_the_page_fits_a_phone(
    signed_in: SignedInFactory, expect: Any
) -> None:
    phone = signed_in()
    phone.goto("/")
    expect(phone.get_by_test_id("current-org")).to_be_visible()
    for control in phone.locator("header button, header select, main a.button").all():
        box = control.bounding_box()
        assert box is not None and box["height"] >= 44, control.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll


def test_an_organisation_profile_with_a_wide_table_fits_a_phone(
    signed_in: SignedInFactory, expect: Any
) -> None:
    phone = signed_in()
    phone.goto("/")
    phone.locator("main a[href^='/orgs/']").first.click()
    expect(phone.get_by_test_id("yearly-figures")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
