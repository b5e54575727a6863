"""The production-area pages of the HTML UI: the list, the area form (create, edit, with
the commune picker and a pasted or uploaded GeoJSON outline) and the area page, driven
through Flask's test client."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.auth.services import create_user
from core.actor import PlatformRole
from core.db import db
from tests.app.web_support import PASSWORD, coffee_coop, error_beside, login, make_user
from tests.factories import HANOI, HCMC, SOC_SON, make_org
from tests.traceability.batch_factories import make_area, make_member
from traceability.geometry_svg import outline
from traceability.models.areas import ProductionArea

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[105.80, 21.00], [105.81, 21.00], [105.81, 21.01], [105.80, 21.01],
                     [105.80, 21.00]]],
}


@pytest.fixture()
def coop():  # type: ignore[no-untyped-def]
    return coffee_coop()


def _count(org_id: int) -> int:
    return db.session.scalar(
        select(func.count(ProductionArea.id)).where(ProductionArea.organisation_id == org_id)
    )


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "code": "LO7",
        "name": "Vườn đồi <script>alert(1)</script>",
        "kind": "plot",
        "province": HANOI,
        "commune_code": SOC_SON,
        "area_ha": "1,5",
        "crop": "Cà phê",
        "variety": "Robusta TR4",
        "planting_area_code": "VN-HN-001",
        "gln": "",
        "geometry": "",
        "active": "y",
    }
    data.update(overrides)
    return data


def _new_area(org_id: int, code: str = "LO7") -> ProductionArea:
    area = db.session.scalar(
        select(ProductionArea).where(
            ProductionArea.organisation_id == org_id, ProductionArea.code == code
        )
    )
    assert area is not None
    return area


def test_the_outline_keeps_the_shape_and_holds_only_numbers() -> None:
    drawn = outline(SQUARE)
    assert drawn is not None
    assert drawn.view_box == "0 0 100 100"
    assert re.fullmatch(r"(M[\d. L]+Z)+", drawn.path)
    xs = [float(p.split()[0]) for p in re.split(r"[MLZ]", drawn.path) if p.strip()]
    ys = [float(p.split()[1]) for p in re.split(r"[MLZ]", drawn.path) if p.strip()]
    # At 21° N a degree of longitude is shorter than one of latitude: taller than wide.
    assert max(ys) - min(ys) == pytest.approx(92)
    assert max(xs) - min(xs) == pytest.approx(92 * 0.9336, abs=0.1)
    assert outline({"type": "Point", "coordinates": [105.8, 21.0]}) is None
    multi = outline({"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]] * 2})
    assert multi is not None and multi.path.count("M") == 2


def test_the_list_shows_the_areas_and_the_way_to_add_one(client, coop) -> None:
    _org, user, area, _product = coop
    login(client, user.email)
    html = client.get("/areas").get_data(as_text=True)
    assert area.code in html
    assert 'href="/areas/new"' in html
    assert f'href="/areas/{area.id}"' in html


def test_the_list_is_paginated(client, coop) -> None:
    org, user, _area, _product = coop
    for n in range(25):
        make_area(org, code=f"P{n:02d}")
    login(client, user.email)
    first = client.get("/areas").get_data(as_text=True)
    second = client.get("/areas?page=2").get_data(as_text=True)
    assert first.count('data-testid="area-row"') == 20
    assert second.count('data-testid="area-row"') == 6  # 25 and LO1
    assert 'href="/areas?page=2"' in first
    assert 'href="/areas?page=1"' in second


def test_a_new_area_from_the_form_lands_on_its_page(client, coop) -> None:
    org, user, _area, _product = coop
    member = make_member(org, "Hộ Đinh Văn Hải")
    login(client, user.email)
    page = client.get("/areas/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<option selected value="{HANOI}">' in html  # the organisation's province
    assert f'value="{SOC_SON}"' in html  # its communes offered
    response = client.post("/areas/new", data={**_form(), "household_ids": str(member.id)})
    assert response.status_code == 302, response.get_data(as_text=True)
    area = _new_area(org.id)
    assert response.location == f"/areas/{area.id}"
    assert area.area_ha == Decimal("1.5")
    assert (area.commune_code, area.province_code) == (SOC_SON, HANOI)
    assert area.household_ids == [member.id]
    shown = client.get(response.location).get_data(as_text=True)
    assert "Sóc Sơn" in shown and "Hộ Đinh Văn Hải" in shown
    assert "1,5" in shown  # the area in the Vietnamese number format
    assert "<script>alert(1)</script>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown


def test_a_field_error_shows_beside_its_field_and_nothing_is_written(client, coop) -> None:
    org, user, _area, _product = coop
    login(client, user.email)
    before = _count(org.id)
    response = client.post("/areas/new", data=_form(gln="8930000000001"))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "gln")
    taken = client.post("/areas/new", data=_form(code="LO1"))
    assert taken.status_code == 409
    assert error_beside(taken.get_data(as_text=True), "code")
    assert _count(org.id) == before


def test_choosing_another_province_offers_its_communes_and_keeps_what_was_typed(
    client, coop
) -> None:
    org, user, _area, _product = coop
    login(client, user.email)
    response = client.post(
        "/areas/new", data=_form(province=HCMC, commune_code="", show_communes="1")
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="25777"' in html  # Dầu Tiếng, Hồ Chí Minh City
    assert f'value="{SOC_SON}"' not in html
    assert 'value="Robusta TR4"' in html
    assert _count(org.id) == 1


def test_pasted_geojson_is_drawn_as_an_outline(client, coop) -> None:
    org, user, _area, _product = coop
    login(client, user.email)
    feature = {"type": "Feature", "properties": {}, "geometry": SQUARE}
    response = client.post("/areas/new", data=_form(geometry=json.dumps(feature)))
    assert response.status_code == 302
    assert _new_area(org.id).geometry == SQUARE
    html = client.get(response.location).get_data(as_text=True)
    drawn = outline(SQUARE)
    assert drawn is not None
    assert f'<path d="{drawn.path}"' in html
    assert 'viewBox="0 0 100 100"' in html


def test_uploaded_geojson_is_drawn_as_an_outline(client, coop) -> None:
    _org, user, _area, _product = coop
    login(client, user.email)
    upload = (io.BytesIO(json.dumps(SQUARE).encode()), "lo7.geojson")
    response = client.post(
        "/areas/new", data={**_form(), "geometry_file": upload},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    html = client.get(response.location).get_data(as_text=True)
    assert 'data-testid="area-outline"' in html
    assert "<path d=\"M" in html


def test_invalid_geojson_shows_the_reason_beside_the_field(client, coop) -> None:
    org, user, _area, _product = coop
    login(client, user.email)
    not_json = client.post("/areas/new", data=_form(geometry="{nope"))
    assert not_json.status_code == 422
    assert error_beside(not_json.get_data(as_text=True), "geometry")
    open_ring = {"type": "Polygon", "coordinates": [SQUARE["coordinates"][0][:-1]]}
    unclosed = client.post("/areas/new", data=_form(geometry=json.dumps(open_ring)))
    assert unclosed.status_code == 422
    assert error_beside(unclosed.get_data(as_text=True), "geometry")
    upload = (io.BytesIO(b"[1, 2"), "bad.geojson")
    uploaded = client.post(
        "/areas/new", data={**_form(), "geometry_file": upload},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 422
    assert error_beside(uploaded.get_data(as_text=True), "geometry_file")
    assert _count(org.id) == 1


def test_the_edit_form_is_filled_in_and_saves_the_changes(client, coop) -> None:
    _org, user, area, _product = coop
    login(client, user.email)
    page = client.get(f"/areas/{area.id}/edit")
    assert page.status_code == 200
    assert f'value="{area.code}"' in page.get_data(as_text=True)
    response = client.post(
        f"/areas/{area.id}/edit", data=_form(code=area.code, name="Vườn mới", area_ha="2")
    )
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(ProductionArea, area.id)
    assert changed is not None
    assert (changed.name, changed.area_ha) == ("Vườn mới", Decimal("2"))


def test_a_stranger_gets_404_on_every_area_page(client, coop) -> None:
    _org, _user, area, _product = coop
    other = make_org("HTX Người Lạ")
    stranger = make_user("la@nguoila.vn", other)
    login(client, stranger.email)
    assert client.get(f"/areas/{area.id}").status_code == 404
    for url in (f"/areas/{area.id}/edit", f"/areas/{area.id}/diary/new"):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data=_form()).status_code == 404, url
    assert area.code not in client.get("/areas").get_data(as_text=True)


def test_an_authority_reads_the_area_but_is_offered_no_edit(client, coop) -> None:
    _org, _user, area, _product = coop
    create_user("so@hanoi.gov.vn", PASSWORD, platform_role=PlatformRole.AUTHORITY,
                province_code=HANOI)
    db.session.commit()
    login(client, "so@hanoi.gov.vn")
    listed = client.get("/areas").get_data(as_text=True)
    assert area.code in listed and 'href="/areas/new"' not in listed
    page = client.get(f"/areas/{area.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="edit-area"' not in html
    assert 'data-testid="new-diary-entry"' not in html
    assert client.get(f"/areas/{area.id}/edit").status_code == 403
    assert client.get("/areas/new").status_code == 403


def test_an_uploaded_file_is_size_limited(client, coop) -> None:
    org, user, _area, _product = coop
    login(client, user.email)
    padding = " " * (600 * 1024)
    upload = (io.BytesIO((json.dumps(SQUARE) + padding).encode()), "huge.geojson")
    response = client.post(
        "/areas/new", data={**_form(), "geometry_file": upload},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "512" in error_beside(response.get_data(as_text=True), "geometry_file")
    assert _count(org.id) == 1


def test_a_collection_of_one_feature_is_read_and_of_two_is_refused(client, coop) -> None:
    org, user, _area, _product = coop
    login(client, user.email)
    feature = {"type": "Feature", "properties": {}, "geometry": SQUARE}
    two = {"type": "FeatureCollection", "features": [feature, feature]}
    refused = client.post("/areas/new", data=_form(geometry=json.dumps(two)))
    assert refused.status_code == 422
    assert error_beside(refused.get_data(as_text=True), "geometry")
    one = {"type": "FeatureCollection", "features": [feature]}
    saved = client.post("/areas/new", data=_form(geometry=json.dumps(one)))
    assert saved.status_code == 302
    assert _new_area(org.id).geometry == SQUARE


def test_an_upload_is_kept_in_the_text_box_when_another_field_is_refused(client, coop) -> None:
    org, user, _area, _product = coop
    login(client, user.email)
    upload = (io.BytesIO(json.dumps(SQUARE).encode()), "lo7.geojson")
    response = client.post(
        "/areas/new", data={**_form(code=""), "geometry_file": upload},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error_beside(html, "code")
    assert "105.81" in html.split('id="geometry"', 1)[1].split("</textarea>", 1)[0]
    assert _count(org.id) == 1
