"""The public consumer trace page (``/trace/…``) and the report form, over HTTP: languages,
page weight, escaping, the walk-up pages, bad input, and reports reaching the producer's
``/reports`` page (and no other organisation's)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.db import db
from tests.app.web_support import csrf_token_in, login, make_user
from tests.factories import api_client
from tests.own_process import limited_app_script, printed_by
from tests.traceability.trace_world import (
    HOUSEHOLD,
    ROASTED_LOT,
    TraceWorld,
    at,
    build_trace_world,
)
from traceability.models import ReportStatus, ScanReport
from traceability.services import recording
from traceability.services.scan_reports import client_fingerprint

STYLE = re.compile(r"<style>(.*?)</style>", re.S)
PAGE_BUDGET = 30 * 1024  # HTML + CSS of a typical lot, in bytes


@pytest.fixture()
def world() -> TraceWorld:
    return build_trace_world()


@pytest.fixture()
def web(app: Flask) -> FlaskClient:
    return api_client(app)


def _html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _report_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(ScanReport)) or 0)


# --------------------------------------------------------------------------- the page


def test_the_page_is_vietnamese_by_default(web, world):
    response = web.get(f"/trace/{world.roasted_key_path}")
    assert response.status_code == 200
    html = _html(response)
    assert '<html lang="vi">' in html
    assert response.headers["Content-Language"] == "vi"
    assert "Cà phê rang xay Đông Á" in html and ROASTED_LOT in html
    assert "Xã Kim Anh" in html  # the origin's commune
    assert "4 thg 3, 2026" in html  # the roasting day, the Vietnamese way


def test_english_by_lang_or_accept_language(web, world):
    url = f"/trace/{world.roasted_key_path}"
    for response in (
        web.get(url, query_string={"lang": "en"}),
        web.get(url, headers={"Accept-Language": "en-GB,en;q=0.9"}),
    ):
        html = _html(response)
        assert '<html lang="en">' in html
        assert "Mar 4, 2026" in html
        assert "Journey" in html and "Declared by HTX Sóc Sơn" in html
        assert "Confirmed by the receiving record of Công ty Rang Xay Đông Á" in html
        assert "Backed by a certificate on file: HACCP" in html


def test_an_unknown_language_falls_back_to_vietnamese(web, world):
    response = web.get(f"/trace/{world.roasted_key_path}", query_string={"lang": "xx"},
                       headers={"Accept-Language": "zz, *;q=0.1"})
    assert response.status_code == 200
    assert '<html lang="vi">' in _html(response)


def test_the_page_shows_the_consumer_items_and_anchors(web, world):
    html = _html(web.get(f"/trace/{world.roasted_key_path}", query_string={"lang": "en"}))
    for expected in ("Công ty Rang Xay Đông Á", "Thành phố Hà Nội", "planting-area code",
                     'id="certifications"', 'id="recall"', "No. HACCP-77",
                     "Processed by Công ty Rang Xay Đông Á into Cà phê rang xay Đông Á",
                     'href="tel:02439991234"'):
        assert expected in html
    assert HOUSEHOLD not in html and "GG-PRIVATE-9" not in html


def test_the_page_weighs_under_30_kb_with_no_request_elsewhere_and_no_script(web, world):
    response = web.get(f"/trace/{world.roasted_key_path}")
    body = response.get_data()
    assert len(body) < PAGE_BUDGET, len(body)
    html = body.decode()
    assert "<script" not in html
    assert 'rel="stylesheet"' not in html  # the CSS is inline: one request in all
    assert STYLE.search(html)
    # Every reference stays on this site (no CDN, font or tracker).
    for url in re.findall(r'(?:href|src|action)="([^"]*)"', html):
        assert url.startswith(("/", "?", "#", "data:", "tel:", "mailto:")), url


def test_an_anonymous_page_sets_no_cookie(web, world):
    response = web.get(f"/trace/{world.roasted_key_path}")
    assert "Set-Cookie" not in response.headers


def test_the_recall_banner_reaches_a_lot_through_its_ancestor(web, world):
    url = f"/trace/{world.roasted_key_path}"
    assert 'data-testid="recall-banner"' not in _html(web.get(url))
    recording.record_recall(world.coop.staff, world.harvest.id, at=at(6, 9))
    db.session.commit()
    html = _html(web.get(url, query_string={"lang": "en"}))
    assert 'data-testid="recall-banner"' in html and 'role="alert"' in html
    assert "It was made from lot H-2026-01 of Cà phê nhân Sóc Sơn from HTX Sóc Sơn" in html


def test_a_lot_code_with_markup_is_escaped(web, world):
    lot = "<script>alert(1)"  # CSET 82 allows <, > and (): a lot code may hold markup
    batch = recording.record_harvest(
        world.coop.staff, area_ids=[world.area.id], product_id=world.raw.id,
        quantity=Decimal("10"), unit="kg", harvested_on=date(2026, 3, 1), lot_code=lot,
    )
    db.session.commit()
    key_path = batch.identifier.split("://", 1)[1].split("/", 1)[1]
    response = web.get(f"/trace/{key_path}")
    assert response.status_code == 200
    html = _html(response)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)" in html


def test_an_unregistered_lot_warns_and_offers_the_report_form(web, world):
    response = web.get(f"/trace/01/{world.roasted.gtin}/10/NOT-OURS", query_string={"lang": "en"})
    assert response.status_code == 200
    html = _html(response)
    assert 'data-testid="unregistered-lot"' in html
    assert "⚠" in html and "This lot is not registered by the producer" in html
    assert "NOT-OURS" in html and "Công ty Rang Xay Đông Á" in html
    assert 'data-testid="report-form"' in html
    assert f"/01/{world.roasted.gtin}/10/NOT-OURS" in html  # the hidden URI


def test_an_unknown_serial_shows_its_lot_and_says_so(web, world):
    response = web.get(f"/trace/{world.roasted_key_path}/21/77", query_string={"lang": "en"})
    html = _html(response)
    assert response.status_code == 200
    assert 'data-testid="unknown-serial"' in html and ROASTED_LOT in html


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/trace/01/09506000134352/10/ABC", 404),  # a valid GTIN nobody registered here
        ("/trace/01/12345678901234/10/ABC", 400),  # a wrong check digit
        ("/trace/01/0893", 400),
        ("/trace/../../etc/passwd", 400),
        ("/trace/01/..%2F..%2Fetc%2Fpasswd", 400),
        ("/trace/%00", 400),
        ("/trace/01/08931234500016/10/%00", 400),
        ("/trace/", 404),
        ("/trace/nothing/here", 400),
    ],
)
def test_bad_paths_get_a_small_clear_page(web, path, status):
    response = web.get(path, query_string={"lang": "en"})
    assert response.status_code == status, _html(response)[:300]
    html = _html(response)
    assert 'data-testid="error"' in html
    assert "<script" not in html and "\x00" not in html
    if status == 404:
        assert 'data-testid="report-link"' in html


def test_a_place_code_shows_where_the_area_lies(web, world):
    from tests.traceability.resolution_world import new_gln

    gln = new_gln()
    world.area.gln = gln
    db.session.commit()
    response = web.get(f"/trace/414/{gln}", query_string={"lang": "en"})
    assert response.status_code == 200
    html = _html(response)
    assert "Xã Kim Anh, Thành phố Hà Nội" in html and "HTX Cà phê Sóc Sơn" in html
    assert "VUON-ONG-TU" not in html and "Vườn nhà ông Tư" not in html


def test_an_unknown_gtin_404_says_so_and_links_the_report_form(web):
    html = _html(web.get("/trace/01/09506000134352", query_string={"lang": "en"}))
    assert "No product with the GTIN 09506000134352 is registered here." in html
    assert "/trace/report?uri=" in html


# --------------------------------------------------------------------------- reporting


def _report(web: FlaskClient, scanned: str, **fields: str) -> Any:
    data = {"uri": scanned, "kind": "suspected_fake", "message": "Bao bì khác hẳn", **fields}
    return web.post("/trace/report", data=data, query_string={"lang": "en"},
                    environ_base={"REMOTE_ADDR": "203.0.113.7"})


def test_a_report_is_stored_with_a_keyed_fingerprint_and_reaches_the_producer(web, app, world):
    uri = f"https://trace.example.vn/01/{world.roasted.gtin}/10/NOT-OURS"
    response = _report(web, uri, contact="0912 345 678")
    assert response.status_code == 303
    assert "/trace/report/sent" in response.location
    report = db.session.scalars(select(ScanReport)).one()
    assert report.organisation_id == world.roaster.org.id
    assert report.product_id == world.roasted.id and report.batch_id is None
    assert report.language == "en" and report.status == ReportStatus.NEW
    assert "203.0.113.7" not in report.client_fingerprint
    assert report.client_fingerprint == client_fingerprint("203.0.113.7")
    assert len(report.client_fingerprint) == 64
    # Under another secret, the same address gives another fingerprint: it is keyed.
    with app.test_request_context():
        app.config["SECRET_KEY"], secret = "another", app.config["SECRET_KEY"]
        try:
            assert client_fingerprint("203.0.113.7") != report.client_fingerprint
        finally:
            app.config["SECRET_KEY"] = secret
    # The roaster's people read it on their reports page.
    make_user("an@rangxay.vn", world.roaster.org)
    login(web, "an@rangxay.vn")
    html = _html(web.get("/reports"))
    assert "Bao bì khác hẳn" in html and "0912 345 678" in html
    assert "Cà phê rang xay Đông Á" in html


def test_a_report_about_a_lot_names_the_lot(web, world):
    _report(web, f"https://trace.example.vn/{world.roasted_key_path}", kind="quality_problem")
    report = db.session.scalars(select(ScanReport)).one()
    assert report.batch_id == world.roasted_lot.id


def test_a_report_about_an_unknown_code_is_kept_for_the_platform(web):
    response = _report(web, "https://elsewhere.example/01/09506000134352")
    assert response.status_code == 303
    report = db.session.scalars(select(ScanReport)).one()
    assert report.organisation_id is None and report.batch_id is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"message": "   "}, "message"),
        ({"message": "x" * 1001}, "message"),
        ({"kind": "nonsense"}, "kind"),
        ({"uri": ""}, "uri"),
        ({"uri": "https://x.example/" + "a" * 2048}, "uri"),
        ({"contact": "c" * 201}, "contact"),
    ],
)
def test_an_invalid_report_stores_nothing_and_says_why_beside_the_field(web, world, fields,
                                                                        field):
    response = _report(web, f"https://trace.example.vn/{world.roasted_key_path}", **fields)
    assert response.status_code == 422
    html = _html(response)
    assert f'id="{field}-error"' in html
    assert _report_count() == 0


def test_a_nul_character_in_a_report_is_refused(web, world):
    response = _report(web, f"https://trace.example.vn/{world.roasted_key_path}",
                       message="a\x00b")
    assert response.status_code == 400
    assert _report_count() == 0


def test_a_report_needs_its_csrf_token(app, web, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    uri = f"https://trace.example.vn/{world.roasted_key_path}"
    refused = _report(web, uri)
    assert refused.status_code == 400
    assert 'data-testid="error"' in _html(refused)
    assert _report_count() == 0
    form = web.get("/trace/report", query_string={"uri": uri})
    token = csrf_token_in(_html(form))
    assert _report(web, uri, csrf_token=token).status_code == 303
    assert _report_count() == 1


def test_the_report_page_prefills_the_scanned_address_escaped(web):
    html = _html(web.get("/trace/report", query_string={"uri": '"><script>x</script>'}))
    assert "<script>x" not in html
    assert "&#34;&gt;&lt;script&gt;" in html or "&quot;&gt;&lt;script&gt;" in html


# --------------------------------------------------------------------------- reports page


def _signed_in(app: Flask, email: str, org: Any) -> FlaskClient:
    client = api_client(app)
    make_user(email, org)
    login(client, email)
    return client


def test_reports_are_newest_first_and_marked_seen_by_their_organisation(app, web, world):
    uri = f"https://trace.example.vn/{world.roasted_key_path}"
    _report(web, uri, message="first")
    _report(web, uri, message="second")
    roaster = _signed_in(app, "an@rangxay.vn", world.roaster.org)
    html = _html(roaster.get("/reports"))
    assert html.index("second") < html.index("first")
    newest = db.session.scalars(select(ScanReport).order_by(ScanReport.id.desc())).first()
    assert newest is not None
    done = roaster.post(f"/reports/{newest.id}/seen")
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(ScanReport, newest.id).status == ReportStatus.SEEN


def test_another_organisation_neither_sees_nor_marks_a_report(app, web, world):
    _report(web, f"https://trace.example.vn/{world.roasted_key_path}", message="only theirs")
    report = db.session.scalars(select(ScanReport)).one()
    coop = _signed_in(app, "lan@socson.vn", world.coop.org)
    assert "only theirs" not in _html(coop.get("/reports"))
    assert coop.post(f"/reports/{report.id}/seen").status_code == 404
    db.session.expire_all()
    assert db.session.get(ScanReport, report.id).status == ReportStatus.NEW


def test_the_reports_page_needs_a_sign_in(web):
    response = web.get("/reports")
    assert response.status_code == 302 and "/login" in response.location


# --------------------------------------------------------------------------- rate limit

# The limiter is one object per process and off in the session's app: exercised in a
# process of its own (tests/own_process.py), as tests/app/test_sessions_and_limits.py does.
_LIMIT_SCRIPT = limited_app_script("""
from traceability.models import ScanReport

form = {"uri": "https://elsewhere.example/01/09506000134352", "kind": "other",
        "message": "flood"}


def send(addr, **headers):
    response = client.post("/trace/report?lang=en", data=form, headers=headers,
                           environ_base={"REMOTE_ADDR": addr})
    marker = "too-many" if "Too many reports" in response.get_data(as_text=True) else "-"
    return str(response.status_code) + ":" + marker


codes = [send("10.9.0.1"), send("10.9.0.1"), send("10.9.0.1"),
         send("10.9.0.1", **{"X-Forwarded-For": "10.9.9.9"}),
         send("10.9.0.1", **{"X-Real-IP": "10.9.9.8", "Forwarded": "for=10.9.9.7"}),
         send("10.9.0.2")]
with app.app_context():
    stored = db.session.query(ScanReport).count()
print("codes=" + ",".join(codes))
print("stored=" + str(stored))
""", WTF_CSRF_ENABLED=False, RATELIMIT_SCAN_REPORT="2 per minute")


def test_reports_are_limited_per_client_whatever_the_headers(tmp_path: Path):
    printed = dict(w.split("=", 1) for w in printed_by(_LIMIT_SCRIPT, tmp_path))
    assert printed["codes"].split(",") == [
        "303:-", "303:-", "429:too-many", "429:too-many", "429:too-many", "303:-",
    ]
    assert printed["stored"] == "3"


def _verify(world, *, expires_on):
    """The roaster verified the cooperative, on its supplier list (the badge needs both)."""
    from linkages.models.suppliers import SupplierLink, SupplierVerification, VerificationState

    db.session.add(SupplierLink(buyer_id=world.roaster.org.id, supplier_id=world.coop.org.id))
    db.session.add(SupplierVerification(
        buyer_id=world.roaster.org.id, supplier_id=world.coop.org.id,
        state=VerificationState.VERIFIED, request_checklist={}, decision_checklist={},
        decided_at=datetime.now(UTC), expires_on=expires_on,
    ))
    db.session.commit()


def test_a_cooperative_verified_by_its_buyer_shows_it_until_the_verification_ends(web, world):
    from core.clock import local_today

    until = local_today() + timedelta(days=90)
    _verify(world, expires_on=until)
    html = _html(web.get(f"/trace/{world.harvest_key_path}", query_string={"lang": "en"}))
    badge = html.split('data-testid="linkages-verified-supplier"', 1)[1].split("</section>")[0]
    assert "Verified supplier of Công ty Rang Xay Đông Á until" in badge
    assert until.strftime("%b") in badge and str(until.year) in badge


def test_an_expired_verification_shows_nothing(web, world):
    from core.clock import local_today

    _verify(world, expires_on=local_today() - timedelta(days=1))
    html = _html(web.get(f"/trace/{world.harvest_key_path}", query_string={"lang": "en"}))
    assert 'data-testid="linkages-verified-supplier"' not in html


# --------------------------------------------------------------------------- standards, labs


def _lab_result(world, batch, *, laboratory: str = "Trung tâm Kiểm nghiệm Hà Nội",
                outcome: str = "pass", number: str = "KQ-2026/118") -> None:
    from traceability.services import lab_results

    owner = world.coop if batch.organisation_id == world.coop.org.id else world.roaster
    lab_results.record_lab_result(
        owner.staff, batch.id, test="pesticide_residues", laboratory=laboratory,
        accreditation="VILAS 1234", sampled_on=date(2026, 3, 2), outcome=outcome,
        report_number=number,
    )
    db.session.commit()


@pytest.mark.parametrize(("lang", "label"), [("vi", "Tiêu chuẩn áp dụng"),
                                             ("en", "Applied standards")])
def test_the_applied_standards_show_in_both_languages_escaped(web, world, lang, label):
    world.roasted.applied_standards = ["TCVN 11041-2:2017", "<b>TCCS</b> 01:2026 & co"]
    db.session.commit()
    html = _html(web.get(f"/trace/{world.roasted_key_path}", query_string={"lang": lang}))
    standards = html.split('data-testid="applied-standards">', 1)[1].split("</dd>")[0]
    assert standards == "TCVN 11041-2:2017 · &lt;b&gt;TCCS&lt;/b&gt; 01:2026 &amp; co"
    assert f"<dt>{label}</dt>" in html
    assert "<b>TCCS</b>" not in html


def test_a_product_without_standards_shows_no_empty_line(web, world):
    html = _html(web.get(f"/trace/{world.roasted_key_path}", query_string={"lang": "en"}))
    assert "Applied standards" not in html


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("Lab results", "Pesticide residues: passed",
            "Backed by a lab result: Trung tâm Kiểm nghiệm Hà Nội (VILAS 1234), "
            "sample of Mar 2, 2026, passed",
            "Tested on what it was made from: Cà phê nhân Sóc Sơn of HTX Sóc Sơn",
            "Report No. KQ-2026/118",
            "Lab result: a laboratory's report that the sample passed is recorded here.")),
    ("vi", ("Kết quả kiểm nghiệm", "Dư lượng thuốc bảo vệ thực vật: đạt",
            "Có kết quả kiểm nghiệm: Trung tâm Kiểm nghiệm Hà Nội (VILAS 1234), "
            "mẫu lấy ngày 2 thg 3, 2026, đạt",
            "Kiểm nghiệm trên nguyên liệu làm ra sản phẩm: Cà phê nhân Sóc Sơn của HTX Sóc Sơn",
            "Phiếu kết quả số KQ-2026/118")),
])
def test_an_ancestor_s_passed_lab_result_backs_the_processed_lot(web, world, lang, words):
    _lab_result(world, world.harvest)
    _lab_result(world, world.harvest, outcome="fail", number="KQ-FAILED-7")
    response = web.get(f"/trace/{world.roasted_key_path}", query_string={"lang": lang})
    html = _html(response)
    section = html.split('data-testid="lab-results"', 1)[1].split("</section>")[0]
    for expected in words[:-1]:
        assert expected in html, expected
    assert 'data-evidence="lab_result"' in section
    assert words[-1] in html
    assert "KQ-FAILED-7" not in html  # a failed result is not the consumer's to read
    assert len(response.get_data()) < PAGE_BUDGET


def test_a_hostile_laboratory_name_is_escaped(web, world):
    _lab_result(world, world.roasted_lot, laboratory='<img src=x onerror="alert(1)">Lab')
    html = _html(web.get(f"/trace/{world.roasted_key_path}", query_string={"lang": "en"}))
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Lab (VILAS 1234)" in html
