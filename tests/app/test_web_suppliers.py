"""The supplier pages: an enterprise's supplier list with each supplier's verification,
adding a cooperative by registration code, requesting a verification, deciding it from its
checklist, the scorecard; the cooperative reads the verifications of itself without the
buyer's note; another enterprise gets 404; the start pages and the menu."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.clock import local_today
from core.db import db
from linkages.models.organisations import OrgType
from linkages.models.suppliers import SupplierLink, SupplierVerification, VerificationState
from linkages.services import scorecard as scorecard_svc
from linkages.services import suppliers as supplier_svc
from linkages.services import verification as verification_svc
from tests.app.register_pages import error_beside, sign_in
from tests.linkages.supplier_helpers import Side, certify, farm, harvest_lot, in_days, side
from traceability.models import Batch, Scan
from traceability.services import recording as events

NOTE = "Giá tốt, giao chậm mùa mưa"


@pytest.fixture()
def buyer() -> Side:
    return side("Công ty CP Nông sản Sạch", OrgType.DN)


@pytest.fixture()
def supplier() -> Side:
    """A cooperative passing every checklist item: a lot with complete data, a certificate."""
    coop = side("HTX Vải thiều Thanh Hà")
    farm(coop)
    certify(coop)
    return coop


def _links() -> int:
    return db.session.scalar(select(func.count(SupplierLink.id))) or 0


def _signed_in(client: FlaskClient, org_side: Side, email: str) -> FlaskClient:
    sign_in(client, email, org_side.org)
    return client


def test_the_buyer_adds_requests_decides_and_opens_the_scorecard(client, buyer, supplier) -> None:
    _signed_in(client, buyer, "mua@nongsansach.vn")
    assert "web_suppliers.index" in client.get("/").get_data(as_text=True)
    added = client.post("/suppliers/new", data={
        "registration_code": supplier.org.registration_code, "note": NOTE})
    assert added.status_code == 302
    listing = client.get("/suppliers").get_data(as_text=True)
    assert supplier.org.name in listing and NOTE in listing
    assert 'data-testid="request-verification"' in listing
    requested = client.post(f"/suppliers/{supplier.org.id}/verify", data={
        "required_schemes": ["vietgap"], "note": "Cho lô xuất khẩu"})
    assert requested.status_code == 302
    page = client.get(requested.location).get_data(as_text=True)
    assert 'data-testid="request-checklist"' in page and 'data-testid="decision-form"' in page
    assert "Cho lô xuất khẩu" in page
    until = in_days(200)
    decided = client.post(requested.location + "/decide", data={
        "decision": "verified", "expires_on": until.isoformat()})
    assert decided.status_code == 303, decided.get_data(as_text=True)[:2000]
    page = client.get(decided.location).get_data(as_text=True)
    assert 'data-testid="decision-checklist"' in page and 'data-testid="decision-form"' not in page
    assert 'data-testid="verified-until"' in page
    listing = client.get("/suppliers").get_data(as_text=True)
    assert "verification-verified" in listing
    card = client.get(f"/suppliers/{supplier.org.id}/scorecard")
    assert card.status_code == 200
    html = card.get_data(as_text=True)
    assert html.count('data-testid="figure"') == 7
    fulfilment = re.search(r'data-key="fulfilment".*?</li>', html, re.S).group(0)
    # No delivery yet: the figure is not available (or has no value) until there is one.
    value = re.search(r'data-testid="figure-value">(.*?)</span>\s*</div>', fulfilment,
                      re.S).group(1)
    assert "—" in value or "Not available yet" in value or "Chưa" in value
    # Figures link to pages the buyer may read (its certificates on the supplier's
    # profile), not to the API, which a signed-in page cannot call.
    assert f'href="/orgs/{supplier.org.id}#certifications"' in html
    assert "/api/" not in re.search(r'data-testid="scorecard".*?</ul>', html, re.S).group(0)
    kde = re.search(r'data-key="kde_completeness".*?</li>', html, re.S).group(0)
    assert unescape(f'href="/batches?organisation_id={supplier.org.id}&kde_complete=false"') \
        in unescape(kde)


def test_an_unknown_code_is_refused_beside_the_field_and_nothing_is_written(
    client, buyer
) -> None:
    _signed_in(client, buyer, "mua@nongsansach.vn")
    response = client.post("/suppliers/new", data={"registration_code": "0999999999"})
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "registration_code")
    enterprise = side("Công ty Khác", OrgType.DN)
    response = client.post("/suppliers/new", data={
        "registration_code": enterprise.org.registration_code})
    assert response.status_code == 422  # a supplier on this list is a cooperative
    assert error_beside(response.get_data(as_text=True), "registration_code")
    assert _links() == 0


def _requested(buyer: Side, supplier: Side) -> SupplierVerification:
    supplier_svc.add_supplier(buyer.actor, buyer.org.id, supplier.org.id)
    found = verification_svc.request_verification(
        buyer.actor, buyer.org.id, supplier.org.id, note=NOTE)
    db.session.commit()
    return found


def test_a_verified_decision_needs_an_expiry_beside_its_field(client, buyer, supplier) -> None:
    found = _requested(buyer, supplier)
    _signed_in(client, buyer, "mua@nongsansach.vn")
    response = client.post(f"/suppliers/verifications/{found.id}/decide",
                           data={"decision": "verified"})
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "expires_on")
    response = client.post(f"/suppliers/verifications/{found.id}/decide",
                           data={"decision": "rejected"})
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "reason")
    db.session.expire_all()
    assert db.session.get(SupplierVerification, found.id).state == VerificationState.REQUESTED


def test_the_supplier_reads_its_verification_without_the_note_and_cannot_decide(
    client, buyer, supplier
) -> None:
    found = _requested(buyer, supplier)
    _signed_in(client, supplier, "chunhiem@thanhha.vn")
    listing = client.get("/suppliers").get_data(as_text=True)
    assert 'data-testid="verification-of-us"' in listing and buyer.org.name in listing
    page = client.get(f"/suppliers/verifications/{found.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert NOTE not in html and 'data-testid="decision-form"' not in html
    refused = client.post(f"/suppliers/verifications/{found.id}/decide",
                          data={"decision": "rejected", "reason": "Tự từ chối"})
    assert refused.status_code == 403


def test_another_enterprise_gets_404(client, buyer, supplier) -> None:
    found = _requested(buyer, supplier)
    stranger = side("Công ty Lạ", OrgType.DN)
    _signed_in(client, stranger, "la@congty.vn")
    for url in (f"/suppliers/verifications/{found.id}", f"/suppliers/{supplier.org.id}/scorecard",
                f"/suppliers/{supplier.org.id}/verify"):
        assert client.get(url).status_code == 404, url
    for url in (f"/suppliers/verifications/{found.id}/decide",
                f"/suppliers/{supplier.org.id}/verify", f"/suppliers/{supplier.org.id}/remove"):
        assert client.post(url, data={"decision": "rejected", "reason": "x"}).status_code == 404
    assert supplier.org.name not in client.get("/suppliers").get_data(as_text=True)


def test_the_enterprise_start_page_lists_verifications_expiring_within_60_days(
    client, buyer, supplier
) -> None:
    found = _requested(buyer, supplier)
    verification_svc.decide_verification(buyer.actor, found.id, decision="verified",
                                          expires_on=local_today() + timedelta(days=30))
    far = side("HTX Xa Hạn")
    farm(far, planting_code="VN-HN-002")
    certify(far)
    later = _requested(buyer, far)
    verification_svc.decide_verification(buyer.actor, later.id, decision="verified",
                                          expires_on=in_days(300))
    db.session.commit()
    _signed_in(client, buyer, "mua@nongsansach.vn")
    home = client.get("/").get_data(as_text=True)
    block = re.search(r'data-testid="home-verifications-expiring".*?</section>', home,
                      re.S).group(0)
    assert supplier.org.name in block and far.org.name not in block
    assert 'data-testid="home-contracts-awaiting"' in home


def test_the_buyer_removes_a_supplier_and_keeps_its_verifications(
    client, buyer, supplier
) -> None:
    found = _requested(buyer, supplier)
    _signed_in(client, buyer, "mua@nongsansach.vn")
    assert client.post(f"/suppliers/{supplier.org.id}/remove").status_code == 303
    assert _links() == 0
    assert db.session.get(SupplierVerification, found.id) is not None


def _lot_codes(html: str) -> set[str]:
    return set(re.findall(r'<strong class="lot-code">([^<]*)</strong>', html))


def _scanned_now(batch: Batch) -> None:
    db.session.add(Scan(scanned_at=datetime.now(UTC), batch_id=batch.id,
                        product_id=batch.product_id, level="lot", language="vi",
                        fingerprint="0" * 64))


def test_each_lot_figure_links_to_the_lots_behind_it_the_buyer_may_see(app, client, buyer):
    """Shipped to the buyer: a complete lot, an incomplete one, a recalled one and one
    scanned long after its expiry; kept at home: an incomplete and a flagged one. Each
    link, in the API and on the web, lists the shipped lot its figure counts, and only
    it: the lots kept at home are counted, never listed to the buyer."""
    coop = side("HTX Nhãn lồng Hưng Yên")
    grown = farm(coop)
    expired = local_today() - timedelta(days=60)

    def lot(**kw):
        return harvest_lot(coop, grown.area, grown.product, **kw)

    incomplete, recalled, flagged = lot(), lot(), lot(expiry=expired)
    home_incomplete, home_flagged = lot(), lot(expiry=expired)
    for shipped in (grown.batch, incomplete, recalled, flagged):
        events.record_shipping(coop.actor, shipped.id, to_organisation_id=buyer.org.id,
                               quantity=Decimal("10"), unit="kg")
    for unrecorded in (incomplete, home_incomplete):
        unrecorded.harvest_start = None  # a harvest day nobody recorded: origin incomplete
    events.record_recall(coop.actor, recalled.id)
    _scanned_now(flagged)
    _scanned_now(home_flagged)
    supplier_svc.add_supplier(buyer.actor, buyer.org.id, coop.org.id)
    db.session.commit()

    card = scorecard_svc.supplier_scorecard(buyer.actor, buyer.org.id, coop.org.id)
    figures = {f.key: f for f in card.figures}
    assert figures["kde_completeness"].counts["incomplete"] == 2
    assert figures["recalls"].value == 1 and figures["scan_flags"].value == 2
    expected = {"kde_completeness": incomplete, "recalls": recalled, "scan_flags": flagged}
    _signed_in(client, buyer, "mua@nongsansach.vn")
    api = app.test_client()
    for key, behind in expected.items():
        link = figures[key].link
        listed = api.get(link.api, headers=buyer.headers)
        assert listed.status_code == 200, key
        assert {b["lot_code"] for b in listed.get_json()} == {behind.lot_code}, key
        page = client.get(link.web)
        assert page.status_code == 200, key
        assert _lot_codes(page.get_data(as_text=True)) == {behind.lot_code}, key
    # The supplier's own lists hold its lots at home too.
    own = api.get(f"/api/batches?kde_complete=false&organisation_id={coop.org.id}",
                  headers=coop.headers).get_json()
    assert {b["lot_code"] for b in own} == {incomplete.lot_code, home_incomplete.lot_code}
    own = api.get("/api/batches?scan_flagged=true", headers=coop.headers).get_json()
    assert {b["lot_code"] for b in own} == {flagged.lot_code, home_flagged.lot_code}
    card = client.get(f"/suppliers/{coop.org.id}/scorecard").get_data(as_text=True)
    for key in expected:
        figure = unescape(re.search(rf'data-key="{key}".*?</li>', card, re.S).group(0))
        assert f'href="{figures[key].link.web}" data-testid="figure-web-link"' in figure


def test_a_request_naming_no_scheme_checks_those_the_contracts_require(
    client, buyer, supplier
) -> None:
    from linkages.services import contracts
    from tests.linkages._helpers_contracts import terms

    draft = contracts.create_contract(supplier.actor, **terms(supplier.org, buyer.org))
    supplier_svc.add_supplier(buyer.actor, buyer.org.id, supplier.org.id)
    db.session.commit()
    _signed_in(client, buyer, "mua@nongsansach.vn")
    form = client.get(f"/suppliers/{supplier.org.id}/verify", query_string={"lang": "en"})
    hint = re.search(r'data-testid="contract-schemes">([^<]*)<', form.get_data(as_text=True))
    assert hint and "4C" in hint.group(1)
    requested = client.post(f"/suppliers/{supplier.org.id}/verify", data={"note": ""})
    assert requested.status_code == 302
    page = client.get(requested.location, query_string={"lang": "en"}).get_data(as_text=True)
    asked = re.findall(r'data-testid="required-by">([^<]*)<', page)
    assert asked and all(draft.code in text and "4C" in text for text in asked)
