"""The consumer trace page as a consumer sees it: a phone (390×844) with JavaScript off, in
Vietnamese and in English, scanning a roasted coffee lot whose beans a cooperative grew
(tests/browser/trace_data.py).

The page's words are looked up in the compiled Vietnamese catalog, as the server does: the
test reads what a consumer reads whatever the state of the translations.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.support import Translations

from tests.browser import trace_data as data
from tests.browser.conftest import PHONE, ROOT, SignedInFactory, vi_date

pytestmark = pytest.mark.browser

_VI = Translations.load(str(ROOT / "app" / "translations"), ["vi"])
COOP = data.COOP[2]
ROASTER_NAME, ROASTER_SHORT = data.ROASTER[1], data.ROASTER[2]


def say(language: str, message: str, **values: str) -> str:
    """``message`` as the page writes it in ``language``."""
    text = _VI.gettext(message) if language == "vi" else message
    return text % values if values else text


@pytest.fixture()
def consumer(live_server: str, browser: Any) -> Iterator[Callable[[str], Any]]:
    """Opens a page on a phone with JavaScript disabled, its browser preferring ``locale``;
    every request the page makes is recorded in ``page.requested``."""
    contexts: list[Any] = []

    def open_page(locale: str) -> Any:
        context = browser.new_context(
            base_url=live_server,
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            locale=locale,
            java_script_enabled=False,
        )
        contexts.append(context)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.requested = []
        page.on("request", lambda request: page.requested.append(request.url))
        return page

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def _screenshot(page: Any, name: str) -> None:
    shots = os.environ.get("HTX_SCREENSHOT_DIR")
    if shots:  # for a person to look at; never committed
        page.screenshot(path=str(Path(shots) / name), full_page=True)


def _fits_the_phone(page: Any) -> None:
    for part in ("product", "producer", "origin", "journey", "certifications"):
        box = page.get_by_test_id(part).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


@pytest.mark.parametrize(("locale", "language"), [("vi-VN", "vi"), ("en-US", "en")])
def test_a_consumer_reads_producer_origin_journey_and_evidence(
    consumer, expect, live_server, locale, language
):
    page = consumer(locale)
    page.goto(data.ROASTED_PATH)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(data.ROASTED_PRODUCT)
    expect(page.get_by_test_id("lot-code")).to_have_text(data.ROASTED_LOT)

    producer = page.get_by_test_id("producer")
    expect(producer).to_contain_text(ROASTER_NAME)
    expect(producer).to_contain_text(data.PROVINCE_NAME)

    origin = page.get_by_test_id("origin")
    expect(origin).to_contain_text(f"{data.AREA_COMMUNE_NAME}, {data.PROVINCE_NAME}")
    expect(origin).to_contain_text(data.PLANTING_CODE)
    expect(origin).to_contain_text(say(language, "grown by %(org)s", org=COOP))
    body = page.locator("body")
    for private in (data.HOUSEHOLD, *data.AREA):
        expect(body).not_to_contain_text(private)

    journey = page.get_by_test_id("journey").locator("li")
    expect(journey).to_have_count(4)
    kinds = [journey.nth(n).get_attribute("data-kind") for n in range(4)]
    assert kinds == ["harvest", "shipping", "receiving", "transformation"]
    expect(journey.nth(0)).to_contain_text(say(language, "Harvested by %(org)s", org=COOP))
    expect(journey.nth(1)).to_contain_text(
        say(language, "Shipped by %(org)s to %(to)s", org=COOP, to=ROASTER_SHORT)
    )
    expect(journey.nth(3)).to_contain_text(
        say(
            language,
            "Processed by %(org)s into %(product)s",
            org=ROASTER_SHORT,
            product=data.ROASTED_PRODUCT,
        )
    )
    roast_day = vi_date(data.ROAST_DAY) if language == "vi" else "Oct 8, 2026"
    expect(journey.nth(3)).to_contain_text(roast_day)

    # Evidence, in plain words, on each claim.
    expect(journey.nth(0)).to_contain_text(say(language, "Declared by %(org)s", org=COOP))
    expect(journey.nth(0)).to_contain_text(
        say(language, "Backed by a certificate on file: %(cert)s", cert="VietGAP")
    )
    expect(journey.nth(1)).to_contain_text(
        say(language, "Confirmed by the receiving record of %(org)s", org=ROASTER_SHORT)
    )
    expect(page.locator("#certifications")).to_contain_text("HC-DL-5")
    expect(page.get_by_test_id("recall-banner")).to_have_count(0)
    # The producer of the roasted coffee is the roaster, an enterprise: nobody's verified
    # supplier (tests/app/test_trace_page.py shows the badge of a verified cooperative).
    expect(page.get_by_test_id("linkages-verified-supplier")).to_have_count(0)

    _fits_the_phone(page)
    assert all(url.startswith(live_server) for url in page.requested), page.requested
    _screenshot(page, f"trace-{language}.png")


@pytest.mark.parametrize(("locale", "language"), [("vi-VN", "vi"), ("en-US", "en")])
def test_a_lot_made_from_a_recalled_lot_shows_the_recall_banner(consumer, expect, locale, language):
    page = consumer(locale)
    page.goto(data.RECALLED_PATH)
    banner = page.get_by_test_id("recall-banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("role", "alert")
    expect(banner).to_contain_text(say(language, "Recalled: do not eat or use this product"))
    expect(banner).to_contain_text(data.RECALLED_HARVEST_LOT)
    expect(banner).to_contain_text(COOP)
    _screenshot(page, f"trace-recalled-{language}.png")


# A report per language, each found again on the roaster's page by its own words.
REPORT_MESSAGES = {"vi": "Bao bì in mờ, mã lô lạ", "en": "Blurred print, unknown lot code"}


@pytest.mark.parametrize(("locale", "language"), [("vi-VN", "vi"), ("en-US", "en")])
def test_an_unregistered_lot_warns_and_its_report_reaches_the_producer(
    consumer: Callable[[str], Any],
    signed_in: SignedInFactory,
    expect: Any,
    locale: str,
    language: str,
) -> None:
    page = consumer(locale)
    page.goto(data.UNREGISTERED_PATH)
    expect(page.locator("html")).to_have_attribute("lang", language)
    warning = page.get_by_test_id("unregistered-lot")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("⚠")
    expect(warning).to_contain_text(say(language, "This lot is not registered by the producer"))
    expect(warning).to_contain_text(data.UNREGISTERED_LOT)
    expect(warning).to_contain_text(
        say(language, "Please tell us about it below: your report goes to the producer.")
    )
    expect(page.get_by_test_id("journey")).to_have_count(0)
    _screenshot(page, f"trace-unregistered-{language}.png")

    # The report, without JavaScript: a plain form, in the consumer's language.
    message = REPORT_MESSAGES[language]
    form = page.get_by_test_id("report-form")
    form.get_by_label(say(language, "I think it is fake")).check()
    form.get_by_label(say(language, "What did you notice?")).fill(message)
    form.get_by_role("button", name=say(language, "Send the report")).click()
    expect(page.get_by_test_id("report-sent")).to_be_visible()

    roaster = signed_in(data.ROASTER_EMAIL, data.PASSWORD)
    roaster.goto("/reports")
    row = roaster.get_by_test_id("report-row").filter(has_text=message)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(data.UNREGISTERED_LOT)
    expect(row).to_have_attribute("data-status", "new")
    row.get_by_test_id("mark-seen").click()
    expect(roaster.get_by_test_id("report-row").filter(has_text=message)).to_have_attribute(
        "data-status", "seen"
    )


def test_a_bad_code_gets_a_clear_page(consumer, expect):
    page = consumer("en-US")
    response = page.goto("/trace/01/09506000134352/10/X")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("error")).to_contain_text("This code is not known here.")
    expect(page.get_by_test_id("report-link")).to_be_visible()
    response = page.goto("/trace/01/12345678901234")
    assert response is not None and response.status == 400
    expect(page.locator("body")).not_to_contain_text(re.compile("Traceback|Internal"))
