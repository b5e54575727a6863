"""Lab results on the batch page: the short form records one (CSRF-protected) and the page
lists it; bad input comes back beside its field, never a 500; only the lot's organisation
gets the form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from core.clock import local_today
from core.db import db
from linkages.models.organisations import Organisation
from tests.app.web_support import (
    coffee_coop,
    csrf_token_in,
    error_beside,
    harvested,
    login,
    make_user,
)
from tests.days import FromToday, resolve
from tests.factories import actor_of, make_org
from traceability.models import Batch, BatchStatus, LabResult, LabTest
from traceability.services import recording

FORM = {
    "test": "pesticide_residues",
    "laboratory": "Trung tâm Kiểm nghiệm Lâm Đồng",
    "accreditation": "VILAS 0777",
    "outcome": "pass",
    "report_number": "KQ-LD-19",
}


@pytest.fixture()
def lot(client):  # type: ignore[no-untyped-def]
    org, user, area, product = coffee_coop()
    batch = harvested(org, user, area, product)
    login(client, user.email)
    return batch


def _form(**overrides: str) -> dict[str, str]:
    return {**FORM, "sampled_on": local_today().isoformat(), **overrides}


def _count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(LabResult)) or 0)


def test_the_batch_page_offers_the_form_and_a_result_recorded_there_is_listed(
    client, app, lot: Batch
) -> None:
    page = client.get(f"/batches/{lot.id}").get_data(as_text=True)
    assert 'data-testid="lab-result-form"' in page
    assert 'data-testid="lab-results-none"' in page
    assert f'action="/batches/{lot.id}/lab-results"' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "an id used twice"
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/batches/{lot.id}/lab-results",
                               data={"csrf_token": csrf_token_in(page), **_form()})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 302
    assert response.headers["Location"] == f"/batches/{lot.id}#lab-results"
    [result] = db.session.scalars(select(LabResult)).all()
    assert (result.batch_id, result.test, result.report_number) == (
        lot.id, LabTest.PESTICIDE_RESIDUES, "KQ-LD-19")
    html = client.get(f"/batches/{lot.id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    listed = html.split('data-testid="lab-results"', 1)[1].split("</ul>")[0]
    assert "Pesticide residues" in listed and "Passed" in listed
    assert "Trung tâm Kiểm nghiệm Lâm Đồng (VILAS 0777)" in listed and "KQ-LD-19" in listed


def test_the_form_speaks_vietnamese_by_default(client, lot: Batch) -> None:
    html = client.get(f"/batches/{lot.id}/lab-results").get_data(as_text=True)
    assert "Kết quả kiểm nghiệm" in html and "Phòng thí nghiệm" in html
    assert "Dư lượng thuốc bảo vệ thực vật" in html


def test_without_the_csrf_token_nothing_is_recorded(client, app, lot: Batch) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/batches/{lot.id}/lab-results", data=_form())
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code in (400, 422)
    assert _count() == 0


@pytest.mark.parametrize(("data", "field"), [
    ({"laboratory": ""}, "laboratory"),
    ({"laboratory": "L" * 2048}, "laboratory"),
    ({"laboratory": "Phòng\x07thí nghiệm"}, "laboratory"),
    ({"accreditation": "V" * 2048}, "accreditation"),
    ({"report_number": ""}, "report_number"),
    ({"report_number": "R" * 2048}, "report_number"),
    ({"test": ""}, "test"),
    ({"test": "astrology"}, "test"),
    ({"outcome": "maybe"}, "outcome"),
    ({"sampled_on": "1899-12-31"}, "sampled_on"),
    ({"sampled_on": "9999-12-31"}, "sampled_on"),
    ({"sampled_on": "99999-01-01"}, "sampled_on"),
    ({"sampled_on": "hôm qua"}, "sampled_on"),
    ({"sampled_on": FromToday(1, iso=True)}, "sampled_on"),
])
def test_bad_input_comes_back_beside_its_field(client, lot: Batch, data, field) -> None:
    response = client.post(f"/batches/{lot.id}/lab-results", data=_form(**resolve(data)),
                           headers={"Accept-Language": "en"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    if field == "outcome":  # radio buttons: the message under their fieldset
        assert 'class="field-error"' in html
    else:
        assert error_beside(html, field)
    assert _count() == 0


def test_a_hostile_laboratory_name_is_shown_escaped(client, lot: Batch) -> None:
    name = '<img src=x onerror="alert(1)">'
    assert client.post(f"/batches/{lot.id}/lab-results",
                       data=_form(laboratory=name)).status_code == 302
    html = client.get(f"/batches/{lot.id}").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html


def test_the_same_report_twice_is_said_beside_the_report_number(client, lot: Batch) -> None:
    assert client.post(f"/batches/{lot.id}/lab-results", data=_form()).status_code == 302
    again = client.post(f"/batches/{lot.id}/lab-results", data=_form(),
                        headers={"Accept-Language": "en"})
    assert again.status_code == 409
    assert "already recorded" in error_beside(again.get_data(as_text=True), "report_number")
    assert _count() == 1


def test_strangers_get_404_and_a_buyer_of_the_lot_403(client, app, lot: Batch) -> None:
    buyer = make_org("Hợp tác xã Khác")
    make_user("khac@example.vn", buyer)
    other = app.test_client()
    login(other, "khac@example.vn")
    assert other.get(f"/batches/{lot.id}/lab-results").status_code == 404
    assert other.post(f"/batches/{lot.id}/lab-results", data=_form()).status_code == 404
    # Shipped to it, the lot (and its results) is the buyer's to read, not to add to.
    owner = db.session.scalar(select(User).where(User.email == "lan@caudat.vn"))
    assert owner is not None
    recording.record_shipping(actor_of(owner, db.session.get(Organisation, lot.organisation_id)),
                              lot.id, to_organisation_id=buyer.id, quantity=10, unit="kg")
    db.session.commit()
    page = other.get(f"/batches/{lot.id}").get_data(as_text=True)
    assert 'data-testid="batch-lab-results"' in page
    assert 'data-testid="lab-result-form"' not in page
    assert other.get(f"/batches/{lot.id}/lab-results").status_code == 403
    assert other.post(f"/batches/{lot.id}/lab-results", data=_form()).status_code == 403
    assert _count() == 0


def test_anonymous_callers_are_sent_to_sign_in(app, lot: Batch) -> None:
    response = app.test_client().get(f"/batches/{lot.id}/lab-results")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_withdrawn_lot_offers_no_form(client, lot: Batch) -> None:
    lot.status = BatchStatus.VOID
    db.session.commit()
    assert 'data-testid="lab-result-form"' not in client.get(
        f"/batches/{lot.id}").get_data(as_text=True)
    assert client.post(f"/batches/{lot.id}/lab-results", data=_form()).status_code == 409
    assert _count() == 0


def test_a_result_recorded_on_the_lot_shows_on_its_trace_page(client, lot: Batch) -> None:
    client.post(f"/batches/{lot.id}/lab-results", data=_form())
    key_path = lot.identifier.split("://", 1)[1].split("/", 1)[1]
    html = client.get(f"/trace/{key_path}", query_string={"lang": "en"}).get_data(
        as_text=True)
    assert "Pesticide residues: passed" in html
    assert "Backed by a lab result: Trung tâm Kiểm nghiệm Lâm Đồng (VILAS 0777)" in html


def test_values_not_offered_are_named_in_the_reader_s_language(client, lot: Batch) -> None:
    response = client.post(f"/batches/{lot.id}/lab-results",
                           data=_form(test="astrology", outcome="maybe"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error_beside(html, "test") == "Không thuộc các giá trị được phép."
    assert html.count('class="field-error"') == 2  # the outcome's under its fieldset
    assert _count() == 0


def test_the_form_names_every_missing_field_at_once(client, lot: Batch) -> None:
    response = client.post(f"/batches/{lot.id}/lab-results",
                           data=_form(test="", laboratory="", report_number=""))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("test", "laboratory", "report_number"):
        assert error_beside(html, field) == "Bắt buộc.", field


def _recorded(client, lot: Batch) -> LabResult:
    assert client.post(f"/batches/{lot.id}/lab-results", data=_form()).status_code == 302
    result = db.session.scalar(select(LabResult))
    assert result is not None
    return result


def test_a_result_is_withdrawn_from_the_batch_page_and_shown_struck_through(
    client, lot: Batch
) -> None:
    result = _recorded(client, lot)
    page = client.get(f"/batches/{lot.id}").get_data(as_text=True)
    action = f'action="/batches/{lot.id}/lab-results/{result.id}/withdrawal"'
    assert action in page and 'data-testid="lab-withdrawal-form"' in page
    done = client.post(f"/batches/{lot.id}/lab-results/{result.id}/withdrawal",
                       data={"reason": "Nhập nhầm số báo cáo"})
    assert done.status_code == 302 and done.headers["Location"].endswith("#lab-results")
    page = client.get(f"/batches/{lot.id}").get_data(as_text=True)
    assert 'data-withdrawn="1"' in page and "<s>" in page
    assert "Nhập nhầm số báo cáo" in page and action not in page
    # The corrected result is then recorded with the same report number.
    assert client.post(f"/batches/{lot.id}/lab-results", data=_form()).status_code == 302
    assert _count() == 2


def test_a_missing_reason_comes_back_beside_the_field(client, lot: Batch) -> None:
    result = _recorded(client, lot)
    url = f"/batches/{lot.id}/lab-results/{result.id}/withdrawal"
    refused = client.post(url, data={"reason": " "}, headers={"Accept-Language": "en"})
    assert refused.status_code == 422
    assert "Required." in error_beside(refused.get_data(as_text=True), f"reason-{result.id}")
    assert client.post(url, data={"reason": "Nhầm"}).status_code == 302
    twice = client.post(url, data={"reason": "Nhầm"}, headers={"Accept-Language": "en"})
    assert twice.status_code == 409
    db.session.expire_all()
    assert db.session.get(LabResult, result.id).withdrawal_reason == "Nhầm"


def test_withdrawing_needs_the_csrf_token(client, app, lot: Batch) -> None:
    result = _recorded(client, lot)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get(f"/batches/{lot.id}").get_data(as_text=True)
        url = f"/batches/{lot.id}/lab-results/{result.id}/withdrawal"
        assert client.post(url, data={"reason": "Nhầm"}).status_code in (400, 422)
        assert db.session.get(LabResult, result.id).withdrawn_at is None
        token = csrf_token_in(page)
        assert client.post(url, data={"reason": "Nhầm", "csrf_token": token}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_strangers_get_404_on_withdrawal(client, app, lot: Batch) -> None:
    result = _recorded(client, lot)
    make_user("khac@example.vn", make_org("Hợp tác xã Khác"))
    other = app.test_client()
    login(other, "khac@example.vn")
    assert other.post(f"/batches/{lot.id}/lab-results/{result.id}/withdrawal",
                      data={"reason": "Nhầm"}).status_code == 404
    assert db.session.get(LabResult, result.id).withdrawn_at is None


def test_a_withdrawn_result_leaves_the_trace_page(client, lot: Batch) -> None:
    result = _recorded(client, lot)
    key_path = lot.identifier.split("://", 1)[1].split("/", 1)[1]
    before = client.get(f"/trace/{key_path}", query_string={"lang": "en"}).get_data(
        as_text=True)
    assert "Backed by a lab result" in before
    client.post(f"/batches/{lot.id}/lab-results/{result.id}/withdrawal",
                data={"reason": "Nhầm"})
    after = client.get(f"/trace/{key_path}", query_string={"lang": "en"}).get_data(
        as_text=True)
    assert "Backed by a lab result" not in after and "Pesticide residues" not in after
