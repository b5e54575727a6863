"""Numbers read the reader's way — 1.000,5 in Vietnamese, 1,000.5 in English — on pages and
in messages, from one helper; an over-quantity refusal is one sentence naming the lot, what
it holds and what was asked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import flask_babel
import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.errors import Conflict
from core.formatting import format_quantity
from linkages.models.organisations import OrgType
from tests.app.web_support import coffee_coop, harvested, login
from tests.traceability.batch_factories import make_area, make_party, make_product
from traceability.services import recording as be


@contextmanager
def reading_in(app: Flask, lang: str) -> Iterator[None]:
    """A request in ``lang``: the test's long-lived app context would keep the locale of
    the first one (Flask-Babel caches it on ``g``)."""
    with app.test_request_context(f"/?lang={lang}"):
        flask_babel.refresh()
        yield
        flask_babel.refresh()


@pytest.mark.parametrize(
    ("lang", "value", "expected"),
    [
        ("vi", Decimal("1000.5"), "1.000,5"),
        ("en", Decimal("1000.5"), "1,000.5"),
        ("vi", Decimal("1234567.0000"), "1.234.567"),
        ("en", Decimal("0.0001"), "0.0001"),
        ("vi", 4266000000, "4.266.000.000"),
    ],
)
def test_numbers_follow_the_readers_locale(app: Flask, lang: str, value: Decimal,
                                           expected: str) -> None:
    with reading_in(app, lang):
        assert format_quantity(value) == expected
    assert format_quantity(None) == "—"


def test_dates_in_messages_follow_the_readers_locale(app: Flask) -> None:
    """A refusal raised once reads in the language it is shown in (the PHI gate's days)."""
    from datetime import date

    from core.formatting import date_text
    from core.i18n import _l

    message = _l("Safe from %(day)s", day=date_text(date(2026, 12, 21)))
    with reading_in(app, "vi"):
        assert str(message).endswith("21 thg 12, 2026")
    with reading_in(app, "en"):
        assert str(message).endswith("Dec 21, 2026")


def test_the_jinja_filter_is_the_same_helper(app: Flask) -> None:
    with reading_in(app, "vi"):
        template = app.jinja_env.from_string("{{ v|quantity }} / {{ format_number(v) }}")
        assert template.render(v=Decimal("1000.5")) == "1.000,5 / 1.000,5"


def _over_quantity(lang: str, app: Flask) -> str:
    coop, dn = make_party("HTX Cà phê"), make_party("Công ty Chế biến", OrgType.DN)
    lot = be.record_harvest(coop.staff, area_ids=[make_area(coop.org).id],
                            product_id=make_product(coop.org).id, quantity=Decimal("1000.5"),
                            unit="kg", harvested_on="2026-03-01", lot_code="LOT9")
    with reading_in(app, lang), pytest.raises(Conflict) as err:
        be.record_shipping(coop.staff, lot.id, to_organisation_id=dn.org.id,
                           quantity=Decimal(2000), unit="kg")
    with reading_in(app, lang):
        detail = str(err.value.detail)
    assert err.value.field_errors["quantity"] == [detail]
    return detail


def test_the_over_quantity_message_is_one_sentence_in_english(app: Flask) -> None:
    assert _over_quantity("en", app) == (
        "Batch LOT9 holds only 1,000.5 kg, less than the 2,000 kg asked for."
    )


def test_the_over_quantity_message_is_one_sentence_in_vietnamese(app: Flask) -> None:
    assert _over_quantity("vi", app) == (
        "Lô LOT9 chỉ còn 1.000,5 kg, không đủ 2.000 kg được yêu cầu."
    )


@pytest.mark.parametrize(("lang", "held", "asked"), [("vi", "1.000,5", "2.000"),
                                                      ("en", "1,000.5", "2,000")])
def test_the_shipping_form_refusal_shows_numbers_the_readers_way(
    client: FlaskClient, lang: str, held: str, asked: str
) -> None:
    org, user, area, product = coffee_coop()
    lot = harvested(org, user, area, product, qty="1000.5")
    buyer = make_party("Công ty Chế biến", OrgType.DN)
    login(client, user.email)
    res = client.post(f"/batches/{lot.id}/events/shipping?lang={lang}", data={
        "receiver_code": buyer.org.registration_code, "quantity": "2000", "unit": "kg",
        "at": lot.harvest_start.isoformat(),
    })
    assert res.status_code == 409
    found = re.search(r'<p class="field-error" id="quantity-error">([^<]*)</p>',
                      res.get_data(as_text=True))
    assert found
    assert f"{held} kg" in found.group(1) and f"{asked} kg" in found.group(1)
    page = client.get(f"/batches/{lot.id}?lang={lang}").get_data(as_text=True)
    assert f"{held} <span>kg</span>" in page
