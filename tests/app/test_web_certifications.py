"""The certifications pages of the HTML UI: list with expiry warnings (expired, expiring
within 60 days), record, correct and revoke, with the permissions the certifications
service decides (a stranger gets 404, an authority reads only)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.actor import SYSTEM, PlatformRole
from core.clock import local_today
from core.db import db
from linkages.models.certifications import Certification
from linkages.models.organisations import Organisation
from linkages.services import certifications as cert_svc
from linkages.services.certifications import ExpiryState
from tests.app.register_pages import error_beside, sign_in
from tests.factories import HANOI, make_org


@pytest.fixture()
def coop() -> Organisation:
    return make_org("HTX Chè Tân Cương")


@pytest.fixture()
def admin(client: FlaskClient, coop: Organisation) -> FlaskClient:
    sign_in(client, "chu.nhiem@tancuong.vn", coop)
    return client


def _cert(org: Organisation, number: str, issued: date, expires: date | None,
          public: bool = True) -> Certification:
    cert = cert_svc.add_certification(
        SYSTEM, org.id, scheme="vietgap", number=number, issuer="Trung tâm Chứng nhận Thử",
        issued_on=issued, expires_on=expires, is_public=public,
    )
    db.session.commit()
    return cert


def _count(org: Organisation) -> int:
    return db.session.scalar(
        select(func.count(Certification.id)).where(Certification.organisation_id == org.id)
    ) or 0


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "scheme": "vietgap",
        "number": "VG-TC-0101",
        "issuer": "Trung tâm Chứng nhận Thử",
        "issued_on": "2025-01-10",
        "expires_on": "2028-01-09",
        "subject_kind": "organisation",
        "production_area_id": "0",
        "product_id": "0",
        "scope": "Chè búp tươi, 12 ha",
        "is_public": "y",
    }
    data.update(overrides)
    return data


def test_the_expiry_rule_is_expired_expiring_within_60_days_or_fine(coop) -> None:
    today = date(2026, 6, 1)
    issued = date(2024, 1, 1)
    cases = {
        today - timedelta(days=1): ExpiryState.EXPIRED,
        today: ExpiryState.EXPIRING,  # valid on its expiry day
        today + timedelta(days=60): ExpiryState.EXPIRING,
        today + timedelta(days=61): ExpiryState.FINE,
        None: ExpiryState.FINE,
    }
    for expires, state in cases.items():
        cert = Certification(scheme="vietgap", number="X", issuer="Y", issued_on=issued,
                             expires_on=expires)
        assert cert_svc.expiry_state(cert, today) == state, expires
    revoked = Certification(scheme="vietgap", number="X", issuer="Y", issued_on=issued,
                            expires_on=today, revoked_on=today - timedelta(days=2))
    assert cert_svc.expiry_state(revoked, today) == ExpiryState.REVOKED


def test_the_expiring_query_agrees_with_the_rule(coop) -> None:
    today = local_today()
    expired = _cert(coop, "OLD", date(2020, 1, 1), today - timedelta(days=3))
    soon = _cert(coop, "SOON", date(2024, 1, 1), today + timedelta(days=30), public=False)
    _cert(coop, "FINE", date(2024, 1, 1), today + timedelta(days=400))
    gone = _cert(coop, "GONE", date(2024, 1, 1), today + timedelta(days=10))
    cert_svc.revoke_certification(SYSTEM, gone.id, today)
    found = db.session.scalars(cert_svc.expiring_certifications(SYSTEM, coop.id)).all()
    assert [c.id for c in found] == [expired.id, soon.id]


def test_an_admin_records_a_certification_and_sees_it_listed(admin, coop) -> None:
    response = admin.post("/certifications/new", data=_form())
    assert response.status_code == 302
    cert = db.session.scalar(select(Certification).where(Certification.organisation_id == coop.id))
    assert cert is not None and cert.number == "VG-TC-0101" and cert.is_public
    listing = admin.get("/certifications").get_data(as_text=True)
    assert "VG-TC-0101" in listing and 'data-testid="add-cert"' in listing
    page = admin.get(f"/certifications/{cert.id}").get_data(as_text=True)
    assert "VG-TC-0101" in page and "10 thg 1, 2025" in page


def test_a_missing_number_comes_back_beside_the_field_and_nothing_is_written(admin, coop) -> None:
    response = admin.post("/certifications/new", data=_form(number=""))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "number")
    assert _count(coop) == 0


def test_an_expiry_before_issue_comes_back_beside_the_expiry(admin, coop) -> None:
    response = admin.post("/certifications/new", data=_form(expires_on="2024-01-01"))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "expires_on")
    assert _count(coop) == 0


def test_an_admin_corrects_then_revokes_a_certification(admin, coop) -> None:
    cert = _cert(coop, "VG-TC-0202", date(2025, 1, 10), date(2028, 1, 9))
    form = admin.get(f"/certifications/{cert.id}/edit").get_data(as_text=True)
    assert 'value="VG-TC-0202"' in form
    response = admin.post(f"/certifications/{cert.id}/edit",
                          data=_form(number="VG-TC-0202", scope="Chè, 15 ha"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Certification, cert.id).scope == "Chè, 15 ha"

    response = admin.post(f"/certifications/{cert.id}/revoke",
                          data={"revoked_on": local_today().isoformat(), "reason": "Thu hồi"})
    assert response.status_code == 303
    db.session.expire_all()
    revoked = db.session.get(Certification, cert.id)
    assert revoked.revoked_on == local_today() and revoked.revocation_reason == "Thu hồi"
    listing = admin.get("/certifications").get_data(as_text=True)
    assert 'data-testid="expiry-revoked"' in listing
    assert f"/certifications/{cert.id}/edit" not in listing


def test_a_revocation_before_issue_comes_back_beside_the_date(admin, coop) -> None:
    cert = _cert(coop, "VG-TC-0303", date(2025, 1, 10), date(2028, 1, 9))
    response = admin.post(f"/certifications/{cert.id}/revoke",
                          data={"revoked_on": "2024-12-31"})
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "revoked_on")
    db.session.expire_all()
    assert db.session.get(Certification, cert.id).revoked_on is None


@pytest.fixture()
def three(coop) -> dict[str, Certification]:
    today = local_today()
    return {
        "expired": _cert(coop, "VG-EXPIRED", date(2022, 1, 1), today - timedelta(days=5)),
        "expiring": _cert(coop, "VG-SOON", date(2024, 1, 1), today + timedelta(days=45)),
        "fine": _cert(coop, "VG-FINE", date(2024, 1, 1), today + timedelta(days=500)),
    }


def _attention(html: str) -> str:
    found = re.search(r'data-testid="expiry-warnings">(.*?)</section>', html, re.S)
    assert found, "no expiry warnings"
    return found.group(1)


def test_expiry_warnings_in_english(admin, three) -> None:
    html = admin.get("/certifications?lang=en").get_data(as_text=True)
    warnings = _attention(html)
    assert "VG-EXPIRED" in warnings and "VG-SOON" in warnings and "VG-FINE" not in warnings
    expired_on = three["expired"].expires_on
    assert f"Expired on {expired_on:%b} {expired_on.day}, {expired_on.year}." in warnings
    assert "within 60 days" in warnings
    for state, label in (("expired", "Expired"), ("expiring", "Expiring soon"),
                         ("fine", "Valid")):
        assert re.search(rf'data-testid="expiry-{state}">{label}</span>', html), state


def test_expiry_warnings_in_vietnamese(admin, three) -> None:
    html = admin.get("/certifications?lang=vi").get_data(as_text=True)
    assert '<html lang="vi">' in html
    warnings = _attention(html)
    assert "VG-EXPIRED" in warnings and "VG-SOON" in warnings and "VG-FINE" not in warnings
    soon = three["expiring"].expires_on
    assert f"{soon.day} thg {soon.month}, {soon.year}" in warnings  # Vietnamese dates
    for state in ("expired", "expiring", "fine"):
        assert f'data-testid="expiry-{state}"' in html


def test_a_stranger_gets_404_on_every_certification_page(client, coop) -> None:
    private = _cert(coop, "VG-PRIVATE", date(2025, 1, 10), date(2028, 1, 9), public=False)
    public = _cert(coop, "VG-PUBLIC", date(2025, 1, 10), date(2028, 1, 9))
    sign_in(client, "la@nguoila.vn", make_org("HTX Người Lạ"))
    assert client.get(f"/certifications?org={coop.id}").status_code == 404
    assert client.get(f"/certifications/new?org={coop.id}").status_code == 404
    for cert in (private, public):
        for url in (f"/certifications/{cert.id}", f"/certifications/{cert.id}/edit",
                    f"/certifications/{cert.id}/revoke"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/certifications/{cert.id}/edit", data=_form()).status_code == 404
        assert client.post(f"/certifications/{cert.id}/revoke",
                           data={"revoked_on": local_today().isoformat()}).status_code == 404
    listing = client.get("/certifications").get_data(as_text=True)
    assert "VG-PRIVATE" not in listing and "VG-PUBLIC" not in listing
    db.session.expire_all()
    assert db.session.get(Certification, public.id).revoked_on is None


def test_an_authority_reads_the_certifications_without_any_edit_form(client, coop) -> None:
    cert = _cert(coop, "VG-PRIVATE", date(2025, 1, 10), date(2028, 1, 9), public=False)
    sign_in(client, "so@hanoi.gov.vn", platform_role=PlatformRole.AUTHORITY,
             province_code=HANOI)
    listing = client.get(f"/certifications?org={coop.id}")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "VG-PRIVATE" in html
    for marker in ('data-testid="add-cert"', 'data-testid="edit-cert"',
                   'data-testid="revoke-cert"'):
        assert marker not in html
    page = client.get(f"/certifications/{cert.id}").get_data(as_text=True)
    assert "VG-PRIVATE" in page and 'data-testid="edit-cert"' not in page
    assert client.get(f"/certifications/{cert.id}/edit").status_code == 403
    assert client.get(f"/certifications/new?org={coop.id}").status_code == 403
    assert client.post(f"/certifications/{cert.id}/revoke",
                       data={"revoked_on": local_today().isoformat()}).status_code == 403
