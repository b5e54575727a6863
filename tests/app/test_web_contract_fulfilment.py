"""The contract page's deliveries and fulfilment (issue 11 §3, §5: "deliveries and
fulfilment per contract" on both sides), on the hand-built world of
``tests/linkages/_helpers_deliveries.py``, whose figures for line 0 are:

- planned 1000 kg; accepted D1 280 + D2 200 = 480 kg (D3 not settled): fulfilment 48 %,
  520 kg short; accepted share 480 / (480 + 20) = 96 %;
- on time: D1 and D2 shipped before the window closed at T−5, D3 after: 2 of 3, 66.7 %;
- side-selling: 150 + 50 = 200 kg of the same product to two other buyers during the term,
  while 480 kg were accepted against the 1000 kg the closed window expected.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.app.web_support import login, make_user
from tests.factories import api_client, make_org
from tests.linkages._helpers_deliveries import World, build_world, days


@pytest.fixture()
def world() -> World:
    return build_world()


def _client(app: Flask, email: str, org) -> FlaskClient:  # type: ignore[no-untyped-def]
    client = api_client(app)
    make_user(email, org)
    assert login(client, email).status_code == 302
    return client


def _section(html: str) -> str:
    return html.split('data-testid="contract-fulfilment"', 1)[1].split("</section>", 1)[0]


@pytest.mark.parametrize("who", ["coop", "buyer"])
def test_both_sides_see_the_lines_fulfilment_and_the_side_selling_signal(app, world, who):
    org = world.coop.org if who == "coop" else world.buyer.org
    client = _client(app, f"{who}@lienket.vn", org)
    html = client.get(f"/contracts/{world.contract.id}", query_string={"lang": "en"})
    assert html.status_code == 200
    section = _section(html.get_data(as_text=True))
    first = section.split('data-testid="fulfilment-line"')[1]
    assert "1,000 kg" in first and "480 kg" in first and "rejected 20 kg" in first
    assert "48%" in first and "520 kg short" in first
    assert "96%" in first and "66.7%" in first
    assert "3 shipped, 2 settled" in first
    warning = first.split('data-testid="side-selling"', 1)[1].split("</p>", 1)[0]
    assert "200 kg" in warning and "2 other buyer(s)" in warning
    assert "480 kg were accepted here against 1,000 kg" in warning
    assert section.count('data-testid="delivery"') == 4


def test_the_vietnamese_page_writes_its_numbers_the_vietnamese_way(app, world):
    client = _client(app, "coop@lienket.vn", world.coop.org)
    section = _section(client.get(f"/contracts/{world.contract.id}").get_data(as_text=True))
    assert "1.000 kg" in section and "Dấu hiệu bán ra ngoài" in section


def test_the_deliveries_page_lists_every_delivery_and_strangers_get_404(app, world):
    client = _client(app, "buyer@lienket.vn", world.buyer.org)
    page = client.get(f"/contracts/{world.contract.id}/deliveries",
                      query_string={"lang": "en"}).get_data(as_text=True)
    assert page.count('data-testid="delivery"') == 4
    assert "invoice HD-001" in page and "280 kg accepted, 20 kg rejected" in page
    stranger = _client(app, "la@khac.vn", make_org("Công ty Người Lạ"))
    assert stranger.get(f"/contracts/{world.contract.id}/deliveries").status_code == 404
    assert stranger.get(f"/contracts/{world.contract.id}").status_code == 404


def test_the_scorecards_delivery_figures_open_the_suppliers_deliveries(app, world):
    from linkages.services import suppliers

    suppliers.add_supplier(world.buyer.actor, world.buyer.org.id, world.coop.org.id)
    client = _client(app, "buyer@lienket.vn", world.buyer.org)
    card = client.get(f"/suppliers/{world.coop.org.id}/scorecard",
                      query_string={"lang": "en"}).get_data(as_text=True)
    fulfilment = card.split('data-key="fulfilment"', 1)[1].split("</li>", 1)[0]
    url = f"/suppliers/{world.coop.org.id}/deliveries"
    assert f'href="{url}" data-testid="figure-web-link"' in fulfilment
    page = client.get(url, query_string={"lang": "en"}).get_data(as_text=True)
    assert page.count('data-testid="delivery"') == 4
    assert "280 kg accepted, 20 kg rejected" in page and "invoice HD-001" in page
    # The cooperative is on no list of its own: the page is the buyer's.
    coop = _client(app, "coop@lienket.vn", world.coop.org)
    assert coop.get(url).status_code == 404


def test_the_scorecards_certification_figure_opens_the_suppliers_public_certificates(
    app, world
):
    from linkages.services import certifications, suppliers

    certifications.add_certification(
        world.coop.actor, world.coop.org.id, scheme="vietgap", number="VG-PUBLIC-1",
        issuer="Trung tâm Chứng nhận", issued_on=days(-100), expires_on=days(600),
    )
    certifications.add_certification(
        world.coop.actor, world.coop.org.id, scheme="organic_vn", number="HC-PRIVATE-2",
        issuer="Trung tâm Chứng nhận", issued_on=days(-100), expires_on=days(600),
        is_public=False,
    )
    suppliers.add_supplier(world.buyer.actor, world.buyer.org.id, world.coop.org.id)
    client = _client(app, "buyer@lienket.vn", world.buyer.org)
    card = client.get(f"/suppliers/{world.coop.org.id}/scorecard").get_data(as_text=True)
    figure = card.split('data-key="certifications"', 1)[1].split("</li>", 1)[0]
    url = f"/orgs/{world.coop.org.id}#certifications"
    assert f'href="{url}" data-testid="figure-web-link"' in figure
    profile = client.get(f"/orgs/{world.coop.org.id}").get_data(as_text=True)
    listed = profile.split('data-testid="org-certifications"', 1)[1].split("</section>")[0]
    assert "VG-PUBLIC-1" in listed and "HC-PRIVATE-2" not in profile
