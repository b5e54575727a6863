"""The labels pages (issue 10 §3): QR downloads with long-lived caching and ETags, the label
sheet PDF, serial ranges recorded through the form, and bad input answered with a message,
never a 500."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pypdf
import pytest

from tests.app.web_support import (
    coffee_coop,
    csrf_token_in,
    error_beside,
    harvested,
    login,
    make_user,
)
from tests.factories import make_org
from tests.traceability.test_labels import decoded, rasterised
from traceability.services import serials as serial_svc


@pytest.fixture()
def coop():  # type: ignore[no-untyped-def]
    return coffee_coop()


@pytest.fixture()
def lot(client, coop):  # type: ignore[no-untyped-def]
    org, user, area, product = coop
    batch = harvested(org, user, area, product)
    login(client, user.email)
    return batch


def test_the_batch_page_offers_print_labels_and_download_qr(client, lot) -> None:
    html = client.get(f"/batches/{lot.id}").get_data(as_text=True)
    assert f'href="/batches/{lot.id}/labels"' in html
    assert f'href="/batches/{lot.id}/qr.png?size=512"' in html


def test_a_png_download_decodes_to_the_lot_s_uri_and_is_cached_for_a_year(
    client, lot
) -> None:
    response = client.get(f"/batches/{lot.id}/qr.png?size=256")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert decoded(response.data) == [lot.identifier]
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache
    assert "private" in cache  # the lot's organisation's: no shared cache keeps it
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = client.get(f"/batches/{lot.id}/qr.png?size=256", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert "immutable" in again.headers["Cache-Control"]
    other_size = client.get(f"/batches/{lot.id}/qr.png?size=512",
                            headers={"If-None-Match": etag})
    assert other_size.status_code == 200
    assert other_size.headers["ETag"] != etag


def test_an_svg_download_rasterised_decodes_to_the_lot_s_uri(client, lot) -> None:
    response = client.get(f"/batches/{lot.id}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert decoded(rasterised(response.data)) == [lot.identifier]
    assert response.headers["ETag"]


@pytest.mark.parametrize("size", ["100", "abc", "0", "99999999999999999999", "٣"])
def test_a_size_not_offered_is_refused_with_a_message(client, lot, size) -> None:
    response = client.get(f"/batches/{lot.id}/qr.png?size={size}")
    assert response.status_code == 422
    assert "ETag" not in response.headers


def test_another_organisation_gets_nothing(client, app, coop, lot) -> None:
    other = make_org("Hợp tác xã Khác")
    make_user("khac@example.vn", other)
    stranger = app.test_client()
    login(stranger, "khac@example.vn")
    for path in ("qr.png", "qr.svg", "labels", "labels.pdf"):  # not even readable: 404
        assert stranger.get(f"/batches/{lot.id}/{path}").status_code == 404, path
    posted = stranger.post(f"/batches/{lot.id}/labels", data={"first": "1", "count": "3",
                                                              "width": "6"})
    assert posted.status_code == 404
    assert serial_svc.serial_count(lot.id) == 0


def test_anonymous_callers_are_sent_to_sign_in(app, lot) -> None:
    response = app.test_client().get(f"/batches/{lot.id}/qr.png")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_labels_page_shows_the_forms(client, lot) -> None:
    response = client.get(f"/batches/{lot.id}/labels")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-testid="print-labels"' in html and 'data-testid="record-serials"' in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "an id used twice"
    assert 'value="3x8"' in html and 'value="4x10"' in html
    assert f'src="/batches/{lot.id}/qr.svg"' in html


def _pdf_pages(data: bytes) -> list[pypdf.PageObject]:
    return list(pypdf.PdfReader(io.BytesIO(data)).pages)


def test_a_label_sheet_downloads_as_a_pdf(client, lot) -> None:
    response = client.get(f"/batches/{lot.id}/labels.pdf",
                          query_string={"grid": "4x10", "kind": "lot", "count": "50"})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="labels-{lot.lot_code}-lot-4x10.pdf"')
    pages = _pdf_pages(response.data)
    assert len(pages) == 2
    assert lot.lot_code in pages[0].extract_text()
    # With no choice made: one page of the usual sheet.
    plain = client.get(f"/batches/{lot.id}/labels.pdf")
    assert plain.status_code == 200 and len(_pdf_pages(plain.data)) == 1


@pytest.mark.parametrize(("query", "field"), [
    ({"count": "0"}, "count"),
    ({"count": "100000"}, "count"),
    ({"count": "abc"}, "count"),
    ({"grid": "9x9"}, "grid"),
    ({"kind": "pallet"}, "kind"),
    ({"kind": "serial"}, None),  # no serial recorded yet
])
def test_a_sheet_asked_for_badly_comes_back_with_the_message(client, lot, query, field) -> None:
    response = client.get(f"/batches/{lot.id}/labels.pdf",
                          query_string={"grid": "3x8", "kind": "lot", "count": "24", **query})
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    if field in ("count", "grid"):
        assert error_beside(html, field)
    else:
        assert 'class="field-error"' in html or 'class="form-error"' in html


def test_recording_a_serial_range_leads_to_printing_it(client, app, lot) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get(f"/batches/{lot.id}/labels").get_data(as_text=True)
        response = client.post(f"/batches/{lot.id}/labels", data={
            "csrf_token": csrf_token_in(page), "prefix": "CF-", "first": "1", "count": "30",
            "width": "4"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    query = parse_qs(target.query)
    assert target.path == f"/batches/{lot.id}/labels"
    assert query == {"kind": ["serial"], "first_serial": ["CF-0001"], "count": ["30"]}
    assert serial_svc.serial_count(lot.id) == 30
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "CF-0001" in html and "CF-0030" in html
    sheet = client.get(f"/batches/{lot.id}/labels.pdf", query_string={
        "grid": "3x8", "kind": "serial", "first_serial": "CF-0001", "count": "30"})
    assert sheet.status_code == 200
    pages = _pdf_pages(sheet.data)
    assert len(pages) == 2
    text = "".join(page.extract_text() for page in pages).replace("\n", "")
    assert f"{lot.identifier}/21/CF-0030" in text


def test_a_serial_range_without_the_csrf_token_is_refused(client, app, lot) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/batches/{lot.id}/labels",
                               data={"first": "1", "count": "3", "width": "6"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code in (400, 422)
    assert serial_svc.serial_count(lot.id) == 0


@pytest.mark.parametrize(("data", "field", "status"), [
    ({"prefix": "A B"}, "prefix", 422),
    ({"prefix": "<script>"}, "prefix", 422),
    ({"count": "0"}, "count", 422),
    ({"count": "100000"}, "count", 422),
    ({"first": "-1"}, "first", 422),
    ({"width": "30"}, "width", 422),
    ({"prefix": "ABCDEFGHIJKLMN", "width": "8"}, "prefix", 422),  # 22 characters
])
def test_a_bad_serial_range_comes_back_with_the_message_beside_its_field(
    client, lot, data, field, status
) -> None:
    response = client.post(f"/batches/{lot.id}/labels",
                           data={"prefix": "", "first": "1", "count": "3", "width": "6", **data})
    assert response.status_code == status
    assert error_beside(response.get_data(as_text=True), f"range_{field}")
    assert serial_svc.serial_count(lot.id) == 0


def test_an_overlapping_serial_range_is_refused_beside_the_first_number(client, lot) -> None:
    form = {"prefix": "", "first": "1", "count": "10", "width": "6"}
    assert client.post(f"/batches/{lot.id}/labels", data=form).status_code == 302
    response = client.post(f"/batches/{lot.id}/labels", data={**form, "first": "5"})
    assert response.status_code == 409
    assert "000005" in error_beside(response.get_data(as_text=True), "range_first")
    assert serial_svc.serial_count(lot.id) == 10
