"""The linkage workspaces on a phone-sized screen, through the real forms:

(a) an enterprise drafts a linkage contract with a cooperative (parties by registration
code, a product row, a floor price), confirms it; the cooperative's admin signs in on
another phone, finds the contract waiting on its start page and confirms it too; the
contract then reads signed, confirmed by both sides;
(b) an enterprise adds a cooperative to its supplier list by registration code, requests a
verification, decides it verified from the computed checklist and opens the scorecard.

Every page fits 390 px without sideways scrolling. Selectors are test ids and field ids:
the words of these pages may not be in the compiled catalogs yet.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from core.clock import local_today
from tests.browser import linkage_data, prepare_db
from tests.browser.conftest import vi_date
from tests.browser.test_harvest import no_sideways_scroll, save_screenshot, sign_in

pytestmark = pytest.mark.browser

ENTERPRISE_CODE = prepare_db.ENTERPRISE[0]
COOP_CODE, COOP_NAME = prepare_db.COOP[0], prepare_db.COOP[1]


def open_menu(page: Any, endpoint: str) -> None:
    page.get_by_test_id("main-menu").locator(f'a[data-endpoint="{endpoint}"]').click()


def fits(page: Any) -> None:
    assert no_sideways_scroll(page), f"{page.url} scrolls sideways at 390 px"


def draft_contract(page: Any) -> None:
    open_menu(page, "web_contracts.index")
    page.wait_for_url(re.compile(r"/contracts$"))
    fits(page)
    page.get_by_test_id("new-contract").click()
    page.wait_for_url(re.compile(r"/contracts/new$"))
    assert page.locator("#parties-0-registration_code").input_value() == ENTERPRISE_CODE
    page.locator("#title").fill("Hợp đồng bao tiêu chè búp tươi 2027")
    page.locator("#parties-0-role").select_option("leader")
    page.locator("#parties-1-registration_code").fill(ENTERPRISE_CODE)
    page.locator("#parties-1-role").select_option("offtaker")
    page.locator("#parties-2-registration_code").fill(COOP_CODE)
    page.locator("#parties-2-role").select_option("producer")
    page.locator("#stage_production").check()
    page.locator("#lines-0-commodity").fill("Chè búp tươi")
    page.locator("#lines-0-season").fill("Vụ xuân 2027")
    page.locator("#lines-0-planned_quantity").fill("12,5")
    page.locator("#lines-0-unit").select_option("tan")
    page.locator("#price_mechanism").select_option("floor")
    page.locator("#price_figure").fill("15.000")
    page.locator("#price_unit").select_option("kg")
    page.locator("#effective_from").fill(local_today().isoformat())
    page.locator("#dispute_resolution").select_option("conciliation")
    fits(page)
    save_screenshot(page, "contract-form-phone.png")
    page.get_by_test_id("save-contract").click()


def test_an_enterprise_drafts_a_contract_and_the_cooperative_confirms_it(
    new_phone, expect
) -> None:
    firm = new_phone()
    sign_in(firm, prepare_db.ENTERPRISE_EMAIL)
    draft_contract(firm)
    expect(firm).to_have_url(re.compile(r"/contracts/\d+$"))
    expect(firm.get_by_test_id("contract-title")).to_have_text(
        "Hợp đồng bao tiêu chè búp tươi 2027")
    expect(firm.get_by_test_id("contract-form-number")).to_contain_text("3")
    expect(firm.get_by_test_id("contract-status").first).to_have_class(re.compile("contract-draft"))
    expect(firm.get_by_test_id("party-unconfirmed")).to_have_count(2)
    fits(firm)
    firm.get_by_test_id("confirm-contract").click()
    expect(firm.locator(".flash-success")).to_be_visible()
    expect(firm.get_by_test_id("party-confirmed")).to_have_count(1)
    contract_url = firm.url

    coop = new_phone()
    sign_in(coop, prepare_db.COOP_ADMIN_EMAIL)
    waiting = coop.get_by_test_id("home-awaiting-contract")
    expect(waiting).to_contain_text("Hợp đồng bao tiêu chè búp tươi 2027")
    fits(coop)
    waiting.first.click()
    expect(coop).to_have_url(re.compile(r"/contracts/\d+$"))
    fits(coop)
    save_screenshot(coop, "contract-page-phone.png")
    coop.get_by_test_id("confirm-contract").click()
    expect(coop.locator(".flash-success")).to_be_visible()
    expect(coop.get_by_test_id("contract-status").first).to_have_class(
        re.compile("contract-signed"))
    expect(coop.get_by_test_id("party-confirmed")).to_have_count(2)
    expect(coop.get_by_test_id("confirm-contract")).to_have_count(0)
    expect(coop.get_by_test_id("home-awaiting-contract")).to_have_count(0)

    # The enterprise sees it signed as well, with the signing in its history.
    firm.goto(contract_url)
    expect(firm.get_by_test_id("contract-status").first).to_have_class(
        re.compile("contract-signed"))
    expect(firm.get_by_test_id("party-confirmed")).to_have_count(2)
    expect(firm.get_by_test_id("contract-version")).to_have_count(2)
    expect(firm.get_by_test_id("contract-fulfilment")).to_be_visible()


def test_an_enterprise_verifies_a_supplier_and_opens_its_scorecard(phone, expect) -> None:
    code, name, _short = linkage_data.SUPPLIER
    sign_in(phone, prepare_db.ENTERPRISE_EMAIL)
    open_menu(phone, "web_suppliers.index")
    phone.wait_for_url(re.compile(r"/suppliers$"))
    fits(phone)
    phone.locator("#registration_code").fill(code)
    phone.get_by_test_id("add-supplier").click()
    row = phone.get_by_test_id("supplier-row").filter(has_text=name)
    expect(row).to_have_count(1)
    fits(phone)

    row.get_by_test_id("request-verification").click()
    phone.wait_for_url(re.compile(r"/suppliers/\d+/verify$"))
    phone.get_by_test_id("request-form").locator("details.more summary").click()
    phone.locator("input[name=required_schemes][value=vietgap]").check()
    fits(phone)
    phone.get_by_test_id("send-request").click()
    expect(phone).to_have_url(re.compile(r"/suppliers/verifications/\d+$"))
    expect(phone.get_by_test_id("request-checklist").get_by_test_id("checklist-item")) \
        .to_have_count(4)
    fits(phone)
    save_screenshot(phone, "verification-phone.png")

    until = local_today() + timedelta(days=365)
    phone.locator("input[name=decision][value=verified]").check()
    phone.locator("#expires_on").fill(until.isoformat())
    phone.get_by_test_id("save-decision").click()
    expect(phone.locator(".flash-success")).to_be_visible()
    expect(phone.get_by_test_id("verification-status")).to_have_class(
        re.compile("verification-verified"))
    expect(phone.get_by_test_id("verified-until")).to_have_text(vi_date(until))
    expect(phone.get_by_test_id("decision-form")).to_have_count(0)

    open_menu(phone, "web_suppliers.index")
    row = phone.get_by_test_id("supplier-row").filter(has_text=name)
    expect(row.get_by_test_id("verification-status")).to_have_class(
        re.compile("verification-verified"))
    row.get_by_test_id("open-scorecard").click()
    expect(phone).to_have_url(re.compile(r"/suppliers/\d+/scorecard$"))
    expect(phone.get_by_test_id("figure")).to_have_count(7)
    certs = phone.locator('[data-testid=figure][data-key=certifications]')
    expect(certs.get_by_test_id("figure-value")).to_have_text("1")
    fits(phone)
    save_screenshot(phone, "scorecard-phone.png")
