"""The linkage workspaces on a phone-sized screen, through the real forms:

(a) an enterprise drafts a linkage contract with a cooperative (parties by registration
code, a product row, a floor price), confirms it; the cooperative's admin signs in on
another phone, finds the contract waiting on its start page and confirms it too; the
contract then reads signed, confirmed by both sides. The cooperative then ships 500 kg of
a lot it holds to the enterprise under the contract's line; the enterprise finds the
shipment on its start page and receives it short (460 kg accepted, 40 kg rejected, a
price per kg, an invoice number); both sides read the fulfilment on the contract page:
the kg accepted and rejected, the share of the plan, the delivery with its invoice;
(b) an enterprise adds a cooperative to its supplier list by registration code, requests a
verification, decides it verified from the computed checklist and opens the scorecard.

Every page fits 390 px without sideways scrolling. Selectors are test ids and field ids;
figures read as the Vietnamese pages write them (12.500 kg, 3,7%).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.clock import local_today
from tests.browser import linkage_data, prepare_db
from tests.browser.conftest import PhoneFactory, SignedInFactory, vi_date
from tests.browser.test_harvest import no_sideways_scroll, save_screenshot, sign_in, submit

pytestmark = pytest.mark.browser

ENTERPRISE_CODE, ENTERPRISE_NAME, ENTERPRISE_SHORT, _TYPE = prepare_db.ENTERPRISE
COOP_CODE, COOP_NAME, COOP_NAME_SHORT, _TYPE = prepare_db.COOP
TITLE = "Hợp đồng bao tiêu chè búp tươi 2027"
COMMODITY, SEASON = "Chè búp tươi", "Vụ xuân 2027"
PLANNED_KG = Decimal("12500")  # typed as 12,5 tấn
# The delivery: shipped, then received short and settled by the enterprise.
LOT = linkage_data.CONTRACT_LOT
SHIPPED_KG, ACCEPTED_KG, REJECTED_KG = 500, 460, 40
PRICE = 15_500  # đồng per kg, above the contract's floor of 15.000
INVOICE = "HĐ-0001234"


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
    page.locator("#title").fill(TITLE)
    page.locator("#parties-0-role").select_option("leader")
    page.locator("#parties-1-registration_code").fill(ENTERPRISE_CODE)
    page.locator("#parties-1-role").select_option("offtaker")
    page.locator("#parties-2-registration_code").fill(COOP_CODE)
    page.locator("#parties-2-role").select_option("producer")
    page.locator("#stage_production").check()
    page.locator("#lines-0-commodity").fill(COMMODITY)
    page.locator("#lines-0-season").fill(SEASON)
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


def test_a_contract_drafted_confirmed_delivered_short_and_its_fulfilment_on_both_sides(
    new_phone: PhoneFactory, signed_in: SignedInFactory, expect: Any
) -> None:
    firm = signed_in(prepare_db.ENTERPRISE_EMAIL)
    firm.goto("/")
    draft_contract(firm)
    expect(firm).to_have_url(re.compile(r"/contracts/\d+$"))
    expect(firm.get_by_test_id("contract-title")).to_have_text(TITLE)
    expect(firm.get_by_test_id("contract-form-number")).to_contain_text("3")
    expect(firm.get_by_test_id("contract-status").first).to_have_class(re.compile("contract-draft"))
    expect(firm.get_by_test_id("party-unconfirmed")).to_have_count(2)
    fits(firm)
    firm.get_by_test_id("confirm-contract").click()
    expect(firm.locator(".flash-success")).to_be_visible()
    expect(firm.get_by_test_id("party-confirmed")).to_have_count(1)
    contract_url = firm.url

    # Through the form: the contract waits on the page signing in lands on.
    coop = new_phone()
    sign_in(coop, prepare_db.COOP_ADMIN_EMAIL)
    waiting = coop.get_by_test_id("home-awaiting-contract")
    expect(waiting).to_contain_text(TITLE)
    fits(coop)
    waiting.first.click()
    expect(coop).to_have_url(re.compile(r"/contracts/\d+$"))
    fits(coop)
    save_screenshot(coop, "contract-page-phone.png")
    coop.get_by_test_id("confirm-contract").click()
    expect(coop.locator(".flash-success")).to_be_visible()
    expect(coop.get_by_test_id("contract-status").first).to_have_class(
        re.compile("contract-signed")
    )
    expect(coop.get_by_test_id("party-confirmed")).to_have_count(2)
    expect(coop.get_by_test_id("confirm-contract")).to_have_count(0)
    expect(coop.get_by_test_id("home-awaiting-contract")).to_have_count(0)

    # The enterprise sees it signed as well, with the signing in its history.
    firm.goto(contract_url)
    expect(firm.get_by_test_id("contract-status").first).to_have_class(
        re.compile("contract-signed")
    )
    expect(firm.get_by_test_id("party-confirmed")).to_have_count(2)
    expect(firm.get_by_test_id("contract-version")).to_have_count(2)
    fulfilment = firm.get_by_test_id("contract-fulfilment")
    expect(fulfilment).to_be_visible()
    expect(fulfilment.get_by_test_id("delivery")).to_have_count(0)
    code = firm.locator(".batch-sub .lot-code").inner_text()

    # The cooperative ships part of a lot it holds under the contract's line …
    lot_url = ship_under_contract(coop, code, expect)
    # … the enterprise receives it short and settles it …
    receive_short(firm, expect)
    # … and both sides read the same fulfilment on the contract page.
    today = local_today()
    firm.goto(contract_url)
    expect_fulfilment(firm, today, expect)
    save_screenshot(firm, "contract-fulfilment-enterprise-phone.png")
    open_menu(coop, "web_contracts.index")
    coop.get_by_test_id("contract-row").filter(has_text=code).click()
    expect(coop).to_have_url(contract_url)
    expect_fulfilment(coop, today, expect)
    save_screenshot(coop, "contract-fulfilment-cooperative-phone.png")

    # Every delivery, with the settlement's figures: the enterprise's view (still on the
    # contract's page, read above).
    firm.get_by_test_id("all-deliveries").click()
    expect(firm).to_have_url(f"{contract_url}/deliveries")
    expect(firm.get_by_role("heading", level=1)).to_have_text(f"Các lần giao hàng theo {code}")
    delivery = firm.get_by_test_id("delivery")
    expect(delivery).to_have_count(1)
    expect(delivery).to_contain_text(f"lô {LOT}")
    expect(delivery).to_contain_text(
        f"{COOP_NAME_SHORT} giao cho {ENTERPRISE_SHORT} · {SHIPPED_KG} kg"
    )
    expect(delivery).to_contain_text(
        f"Nhận ngày {vi_date(today)}: nhận {ACCEPTED_KG} kg, trả lại {REJECTED_KG} kg"
        f" · {vi_int(PRICE)} đồng/kg · hoá đơn {INVOICE}"
    )
    fits(firm)
    save_screenshot(firm, "contract-deliveries-phone.png")

    # The shipped lot keeps what is left; its shipping reads received.
    coop.goto(lot_url)
    expect(coop.get_by_test_id("current-quantity")).to_have_text(
        f"{linkage_data.CONTRACT_LOT_KG - SHIPPED_KG} kg"
    )
    shipping = coop.get_by_test_id("timeline-entry").filter(has_text="Xuất hàng")
    expect(shipping).not_to_contain_text("chưa nhận")
    expect(shipping.get_by_test_id("receipt")).to_contain_text(
        f"{ENTERPRISE_SHORT} đã nhận {ACCEPTED_KG} kg"
    )
    fits(coop)


def vi_int(number: int | Decimal) -> str:
    """A whole number as the Vietnamese pages write it: 12.500."""
    return f"{int(number):,}".replace(",", ".")


def vi_percent(ratio: Decimal) -> str:
    """A ratio as the fulfilment writes it, to one decimal at most: 3,7%, 46%."""
    shown = f"{ratio * 100:.1f}".replace(".", ",").removesuffix(",0")
    return f"{shown}%"


def ship_under_contract(coop: Any, code: str, expect: Any) -> str:
    """The cooperative opens its lot from its list, ships SHIPPED_KG of it to the enterprise
    under the contract's line; answers the lot's page."""
    open_menu(coop, "web_batches.index")
    coop.get_by_test_id("batch-row").filter(has_text=LOT).click()
    expect(coop).to_have_url(re.compile(r"/batches/\d+$"))
    expect(coop.get_by_test_id("current-quantity")).to_have_text(
        f"{linkage_data.CONTRACT_LOT_KG} kg"
    )
    lot_url = coop.url
    coop.get_by_test_id("action-shipping").click()
    expect(coop.get_by_role("heading", level=1)).to_have_text("Xuất hàng")
    coop.locator("#receiver_code").fill(ENTERPRISE_CODE)
    coop.locator("#quantity").fill(str(SHIPPED_KG))
    under = coop.get_by_label("Theo hợp đồng")
    expect(under).to_have_value("")  # not under a contract unless chosen
    under.select_option(label=f"{code} · {ENTERPRISE_NAME} · {COMMODITY} · {SEASON}")
    fits(coop)
    save_screenshot(coop, "shipping-under-contract-phone.png")
    submit(coop)
    expect(coop).to_have_url(lot_url)
    expect(coop.locator(".flash-success")).to_have_text("Đã ghi nhận xuất hàng.")
    shipping = coop.get_by_test_id("timeline-entry").filter(has_text="Xuất hàng")
    expect(shipping).to_contain_text(f"−{SHIPPED_KG} kg")
    expect(shipping).to_contain_text(f"cho {ENTERPRISE_SHORT} · chưa nhận")
    expect(coop.get_by_test_id("current-quantity")).to_have_text(
        f"{linkage_data.CONTRACT_LOT_KG - SHIPPED_KG} kg"
    )
    fits(coop)
    return lot_url


def receive_short(firm: Any, expect: Any) -> None:
    """The enterprise receives the shipment from its start page: fewer kg than shipped,
    the rest rejected, at a price of its own and with an invoice number."""
    firm.goto("/")
    shipment = firm.get_by_test_id("incoming-shipment").filter(has_text=LOT)
    expect(shipment).to_have_count(1)
    expect(shipment).to_contain_text(f"Từ {COOP_NAME}")
    expect(shipment.locator(".batch-row-side strong")).to_have_text(f"{SHIPPED_KG} kg")
    fits(firm)
    shipment.get_by_role("link", name="Nhận hàng").click()
    expect(firm.get_by_role("heading", level=1)).to_have_text("Nhận hàng")
    settlement = firm.get_by_test_id("settlement")
    expect(settlement).to_be_visible()
    # Filled in: all of it accepted, nothing rejected; no price, the contract having a
    # floor price only (the price paid is the buyer's to say).
    expect(firm.locator("#quantity")).to_have_value(str(SHIPPED_KG))
    expect(settlement.locator("#accepted_kg")).to_have_value(str(SHIPPED_KG))
    expect(settlement.locator("#rejected_kg")).to_have_value("0")
    expect(settlement.locator("#price_vnd_per_kg")).to_have_value("")
    firm.locator("#quantity").fill(str(ACCEPTED_KG))
    settlement.get_by_label("Nhận (kg)").fill(str(ACCEPTED_KG))
    settlement.get_by_label("Trả lại (kg)").fill(str(REJECTED_KG))
    settlement.get_by_label("Giá (đồng/kg)").fill(str(PRICE))
    settlement.get_by_label("Số hoá đơn").fill(INVOICE)
    fits(firm)
    save_screenshot(firm, "receive-under-contract-phone.png")
    submit(firm)
    expect(firm).to_have_url(re.compile(r"/batches/\d+$"))
    expect(firm.locator(".flash-success")).to_contain_text("đã vào kho của bạn")
    expect(firm.get_by_test_id("current-quantity")).to_have_text(f"{ACCEPTED_KG} kg")
    expect(firm.get_by_test_id("lineage-back")).to_contain_text(LOT)
    fits(firm)


def expect_fulfilment(page: Any, today: date, expect: Any) -> None:
    """The contract page's fulfilment, as either side reads it on ``today``."""
    section = page.get_by_test_id("contract-fulfilment")
    expect(section).to_contain_text(f"Tính đến {vi_date(today)}.")
    line = section.get_by_test_id("fulfilment-line")
    expect(line).to_have_count(1)
    expect(line.locator("h3")).to_have_text(f"{COMMODITY} · {SEASON}")
    expect(line).to_contain_text(f"Kế hoạch{vi_int(PLANNED_KG)} kg")
    expect(line.get_by_test_id("accepted-kg")).to_have_text(
        f"{ACCEPTED_KG} kg · trả lại {REJECTED_KG} kg"
    )
    expect(line.get_by_test_id("fulfilment")).to_have_text(
        f"{vi_percent(ACCEPTED_KG / PLANNED_KG)} · còn thiếu {vi_int(PLANNED_KG - ACCEPTED_KG)} kg"
    )
    expect(line).to_contain_text("1 lần đã giao, 1 lần đã quyết toán")
    delivery = section.get_by_test_id("delivery")
    expect(delivery).to_have_count(1)
    expect(delivery).to_have_text(
        f"{vi_date(today)} · lô {LOT} · {SHIPPED_KG} kg · đã nhận {ACCEPTED_KG} kg"
        f" · hoá đơn {INVOICE}"
    )
    fits(page)


def test_an_enterprise_verifies_a_supplier_and_opens_its_scorecard(
    signed_in: SignedInFactory, expect: Any
) -> None:
    code, name, _short = linkage_data.SUPPLIER
    phone = signed_in(prepare_db.ENTERPRISE_EMAIL)
    phone.goto("/")
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
    expect(
        phone.get_by_test_id("request-checklist").get_by_test_id("checklist-item")
    ).to_have_count(4)
    fits(phone)
    save_screenshot(phone, "verification-phone.png")

    until = local_today() + timedelta(days=365)
    phone.locator("input[name=decision][value=verified]").check()
    phone.locator("#expires_on").fill(until.isoformat())
    phone.get_by_test_id("save-decision").click()
    expect(phone.locator(".flash-success")).to_be_visible()
    expect(phone.get_by_test_id("verification-status")).to_have_class(
        re.compile("verification-verified")
    )
    expect(phone.get_by_test_id("verified-until")).to_have_text(vi_date(until))
    expect(phone.get_by_test_id("decision-form")).to_have_count(0)

    open_menu(phone, "web_suppliers.index")
    row = phone.get_by_test_id("supplier-row").filter(has_text=name)
    expect(row.get_by_test_id("verification-status")).to_have_class(
        re.compile("verification-verified")
    )
    row.get_by_test_id("open-scorecard").click()
    expect(phone).to_have_url(re.compile(r"/suppliers/\d+/scorecard$"))
    expect(phone.get_by_test_id("figure")).to_have_count(7)
    certs = phone.locator("[data-testid=figure][data-key=certifications]")
    expect(certs.get_by_test_id("figure-value")).to_have_text("1")
    fits(phone)
    save_screenshot(phone, "scorecard-phone.png")
