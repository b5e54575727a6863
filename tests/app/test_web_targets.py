"""The indicator targets' pages (issue 12 §2): targets are data that authorities edit.

A national authority records, changes and deletes targets of any scope; a province
authority those of its province only (403 on a national one and on another province's,
and only its province is offered as the scope); an organisation's user reads them and is
offered no control; anonymous visitors are sent to sign in. Bad input comes back beside
its field, with the service's message, and writes nothing; every write needs the CSRF
token; a note is shown as text, never as markup.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.auth.models import User
from core.actor import PlatformRole
from core.db import db
from linkages.models.targets import IndicatorTarget, TargetMetric, TargetUnit
from tests.app.register_pages import error_beside, sign_in
from tests.app.web_support import csrf_token_in
from tests.factories import HANOI, HCMC, make_org

SOURCE = "Quyết định 340/QĐ-TTg (2021)"
PAGE = "/indicator/targets"


def _target(scope: str = "national", metric: str = "linked_share", year: int = 2030,
            value: float = 50, **fields: Any) -> IndicatorTarget:
    target = IndicatorTarget(
        metric=TargetMetric(metric), scope=scope, year=year, value=value,
        unit=TargetUnit.SHARE if metric.endswith("share") else TargetUnit.COUNT,
        source=fields.pop("source", SOURCE), **fields)
    db.session.add(target)
    db.session.commit()
    return target


def _rows() -> list[tuple[str, str, int, float, bool]]:
    db.session.expire_all()
    return [(t.metric.value, t.scope, t.year, t.value, t.verified) for t in db.session.scalars(
        select(IndicatorTarget).order_by(IndicatorTarget.id))]


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(IndicatorTarget)) or 0


def _form(**changes: str) -> dict[str, str]:
    data = {"metric": "linked_share", "scope": "national", "year": "2030",
            "qualifier": "exact", "value": "50", "source": SOURCE, "note": ""}
    data.update(changes)
    return data


def _scopes_offered(html: str) -> list[str]:
    select_html = re.search(r'<select[^>]*name="scope".*?</select>', html, re.S)
    assert select_html, "no scope field"
    return re.findall(r'<option[^>]*value="([^"]*)"', select_html.group(0))


def _authority(client: FlaskClient, email: str, province: str | None = None) -> None:
    sign_in(client, email, platform_role=PlatformRole.AUTHORITY, province_code=province,
            full_name="Trần Văn Chỉ Tiêu")


# --------------------------------------------------------------------------- editing


def test_a_national_authority_records_changes_and_deletes_targets(
    client: FlaskClient,
) -> None:
    _authority(client, "vukinhte@mard.gov.vn")
    listing = client.get(PAGE).get_data(as_text=True)
    assert 'data-testid="new-target"' in listing and 'data-testid="no-targets"' in listing
    form = client.get(f"{PAGE}/new").get_data(as_text=True)
    assert "<h1>Ghi nhận chỉ tiêu</h1>" in form
    offered = _scopes_offered(form)
    assert offered[0] == "national" and HANOI in offered and HCMC in offered
    assert len(offered) == 35  # the whole country and the 34 provinces

    created = client.post(f"{PAGE}/new", data=_form(qualifier="about", value="12,5"))
    assert created.status_code == 303, created.get_data(as_text=True)[:3000]
    target = db.session.scalar(select(IndicatorTarget))
    assert target is not None and created.location.endswith(f"{PAGE}/{target.id}")
    user = db.session.scalar(select(User).where(User.email == "vukinhte@mard.gov.vn"))
    assert user is not None
    assert (target.value, target.unit, target.recorded_by_id) == (12.5, TargetUnit.SHARE,
                                                                  user.id)
    counted = client.post(f"{PAGE}/new", data=_form(
        metric="high_tech_htx", qualifier="more_than", value="5000", scope=HANOI,
        verified="y"))
    assert counted.status_code == 303

    listing = client.get(PAGE).get_data(as_text=True)
    values = re.findall(r'data-testid="target-value">([^<]*)<', listing)
    assert values == ["khoảng 12,5%", "trên 5.000"]  # the Vietnamese way, by default
    assert re.findall(r'data-testid="target-scope">([^<]*)<', listing) == [
        "Toàn quốc", "Thành phố Hà Nội"]
    assert listing.count('data-testid="target-verified"') == 1
    assert "Trần Văn Chỉ Tiêu" in listing and SOURCE in listing
    assert listing.count('data-testid="edit-target"') == 2
    english = client.get(f"{PAGE}?lang=en").get_data(as_text=True)
    assert re.findall(r'data-testid="target-value">([^<]*)<', english) == [
        "about 12.5%", "more than 5,000"]

    edit_page = client.get(f"{PAGE}/{target.id}/edit").get_data(as_text=True)
    assert "<h1>Sửa chỉ tiêu</h1>" in edit_page
    assert 'value="12.5"' in edit_page and '<option selected value="about">' in edit_page
    changed = client.post(f"{PAGE}/{target.id}/edit",
                          data=_form(value="55", verified="y", note="Theo Nghị quyết"))
    assert changed.status_code == 303 and changed.location.endswith(f"{PAGE}/{target.id}")
    assert ("linked_share", "national", 2030, 55.0, True) in _rows()
    shown = client.get(f"{PAGE}/{target.id}").get_data(as_text=True)
    assert "Theo Nghị quyết" in shown and 'data-testid="delete-target"' in shown

    confirm = client.get(f"{PAGE}/{target.id}/delete")
    assert confirm.status_code == 200
    assert 'data-testid="confirm-delete"' in confirm.get_data(as_text=True)
    assert _count() == 2  # asking is not deleting
    deleted = client.post(f"{PAGE}/{target.id}/delete")
    assert deleted.status_code == 303 and deleted.location.endswith(PAGE)
    assert _count() == 1
    assert client.get(f"{PAGE}/{target.id}").status_code == 404


def test_a_province_authority_edits_its_province_s_targets_only(client: FlaskClient) -> None:
    national = _target()
    mine = _target(HANOI, "htx_count", 2030, 1500)
    other = _target(HCMC, "htx_count", 2030, 2000)
    _authority(client, "sonongnghiep@hanoi.gov.vn", HANOI)
    listing = client.get(PAGE).get_data(as_text=True)
    assert listing.count('data-testid="target-row"') == 3  # it reads every target
    assert listing.count('data-testid="edit-target"') == 1
    assert f'href="{PAGE}/{mine.id}/edit"' in listing
    assert _scopes_offered(client.get(f"{PAGE}/new").get_data(as_text=True)) == [HANOI]
    assert _scopes_offered(
        client.get(f"{PAGE}/{mine.id}/edit").get_data(as_text=True)) == [HANOI]

    changed = client.post(f"{PAGE}/{mine.id}/edit",
                          data=_form(metric="htx_count", scope=HANOI, value="1600"))
    assert changed.status_code == 303, changed.get_data(as_text=True)[:3000]
    before = _rows()
    assert ("htx_count", HANOI, 2030, 1600.0, False) in before

    for foreign in (national, other):
        shown = client.get(f"{PAGE}/{foreign.id}").get_data(as_text=True)
        assert 'data-testid="edit-target"' not in shown
        assert client.get(f"{PAGE}/{foreign.id}/edit").status_code == 403
        assert client.post(f"{PAGE}/{foreign.id}/edit", data=_form(
            metric=foreign.metric.value, scope=foreign.scope, value="1")).status_code == 403
        assert client.get(f"{PAGE}/{foreign.id}/delete").status_code == 403
        assert client.post(f"{PAGE}/{foreign.id}/delete").status_code == 403
    # A scope posted by hand: another province's, or national, beside the field.
    for scope in (HCMC, "national"):
        refused = client.post(f"{PAGE}/new", data=_form(metric="tht_count", scope=scope,
                                                        value="10"))
        assert refused.status_code == 403
        assert error_beside(refused.get_data(as_text=True), "scope") == (
            "Bạn không có quyền sửa các chỉ tiêu thuộc phạm vi này.")
        moved = client.post(f"{PAGE}/{mine.id}/edit",
                            data=_form(metric="htx_count", scope=scope, value="1600"))
        assert moved.status_code == 403
        assert error_beside(moved.get_data(as_text=True), "scope")
    assert _rows() == before


def test_an_organisation_s_user_reads_targets_but_cannot_edit_them(
    client: FlaskClient,
) -> None:
    target = _target(note="Mục tiêu của Chiến lược")
    sign_in(client, "chunhiem@htx.vn", make_org("HTX Đọc Chỉ Tiêu"))
    listing = client.get(PAGE)
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert 'data-testid="target-row"' in html and "Mục tiêu của Chiến lược" in html
    for control in ("new-target", "edit-target", "delete-target"):
        assert f'data-testid="{control}"' not in html
    shown = client.get(f"{PAGE}/{target.id}")
    assert shown.status_code == 200
    assert 'data-testid="edit-target"' not in shown.get_data(as_text=True)
    assert client.get(f"{PAGE}/new").status_code == 403
    assert client.post(f"{PAGE}/new", data=_form(year="2031")).status_code == 403
    assert client.get(f"{PAGE}/{target.id}/edit").status_code == 403
    assert client.post(f"{PAGE}/{target.id}/edit", data=_form(value="1")).status_code == 403
    assert client.get(f"{PAGE}/{target.id}/delete").status_code == 403
    assert client.post(f"{PAGE}/{target.id}/delete").status_code == 403
    assert _rows() == [("linked_share", "national", 2030, 50.0, False)]


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    target = _target()
    for method, path in (("get", PAGE), ("get", f"{PAGE}/{target.id}"),
                         ("get", f"{PAGE}/new"), ("post", f"{PAGE}/new"),
                         ("get", f"{PAGE}/{target.id}/edit"),
                         ("post", f"{PAGE}/{target.id}/edit"),
                         ("get", f"{PAGE}/{target.id}/delete"),
                         ("post", f"{PAGE}/{target.id}/delete")):
        response = getattr(client, method)(path, data=_form(year="2031"))
        assert response.status_code == 302, (method, path)
        assert response.location.startswith("/login"), (method, path)
    assert _count() == 1


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"value": "-1"}, "value", "Nhập một số từ 0 trở lên."),
    ({"value": ""}, "value", "Nhập một số từ 0 trở lên."),
    ({"value": "100,5"}, "value", "Tỷ lệ không được vượt quá 100 phần trăm."),
    ({"metric": "htx_count", "value": "10,5"}, "value", "Số lượng phải là số nguyên."),
    ({"value": "nhiều"}, "value", None),
    ({"value": "1.250"}, "value", None),  # a thousands separator or a decimal point?
    ({"scope": "98"}, "scope", "Nhập national (toàn quốc) hoặc mã của một tỉnh, thành "
                               "phố hiện hành."),
    ({"scope": ""}, "scope", None),
    ({"year": "1989"}, "year", "Từ 1990 đến 2100."),
    ({"year": "năm sau"}, "year", "Từ 1990 đến 2100."),
    ({"source": "  "}, "source", "Bắt buộc."),
    ({"source": "x" * 256}, "source", None),
    ({"metric": "happiness"}, "metric", "Không thuộc các giá trị được phép."),
    ({"qualifier": "roughly"}, "qualifier", None),
])
def test_bad_input_is_said_beside_its_field_and_writes_nothing(
    client: FlaskClient, changes: dict[str, str], field: str, message: str | None
) -> None:
    existing = _target()
    _authority(client, "vukinhte@mard.gov.vn")
    before = _rows()
    refused = client.post(f"{PAGE}/new", data=_form(**{"year": "2029", **changes}))
    assert refused.status_code == 422, refused.get_data(as_text=True)[:3000]
    said = error_beside(refused.get_data(as_text=True), field)
    assert said == message if message else said
    changed = client.post(f"{PAGE}/{existing.id}/edit", data=_form(**changes))
    assert changed.status_code == 422
    assert error_beside(changed.get_data(as_text=True), field) == said
    assert _rows() == before


def test_a_second_target_of_a_metric_scope_and_year_is_a_conflict_beside_the_metric(
    client: FlaskClient,
) -> None:
    _target()
    later = _target(year=2025, value=35)
    _authority(client, "vukinhte@mard.gov.vn")
    before = _rows()
    twice = client.post(f"{PAGE}/new", data=_form(value="45"))
    assert twice.status_code == 409
    html = twice.get_data(as_text=True)
    assert error_beside(html, "metric") == (
        "Đã có chỉ tiêu của chỉ số này cho phạm vi và năm này.")
    assert 'value="45"' in html  # the form comes back as it was typed
    moved = client.post(f"{PAGE}/{later.id}/edit", data=_form(year="2030", value="35"))
    assert moved.status_code == 409 and error_beside(moved.get_data(as_text=True), "metric")
    assert _rows() == before


# --------------------------------------------------------------------------- list


def test_the_list_filters_by_metric_scope_year_and_verified_and_pages(
    client: FlaskClient,
) -> None:
    for year in range(2000, 2031):
        _target(metric="htx_count", year=year, value=1000 + year, verified=year == 2030)
    _target(HANOI, "linked_share", 2030, 40)
    sign_in(client, "chunhiem@htx.vn", make_org("HTX Lọc"))

    def rows(query: str) -> list[tuple[str, str]]:
        html = client.get(f"{PAGE}?{query}").get_data(as_text=True)
        return list(zip(re.findall(r'data-testid="target-scope">([^<]*)<', html),
                        re.findall(r'data-testid="target-year">([^<]*)<', html),
                        strict=True))

    assert rows(f"scope={HANOI}") == [("Thành phố Hà Nội", "2030")]
    assert rows("metric=linked_share") == [("Thành phố Hà Nội", "2030")]
    assert rows("year=2030") == [("Toàn quốc", "2030"), ("Thành phố Hà Nội", "2030")]
    assert rows("verified=yes") == [("Toàn quốc", "2030")]
    assert len(rows("verified=no")) == 30 and len(rows("verified=no&page=2")) == 1
    assert rows("metric=htx_count&year=2030&verified=no") == []
    first = client.get(f"{PAGE}?metric=htx_count").get_data(as_text=True)
    assert first.count('data-testid="target-row"') == 30
    assert f'href="{PAGE}?page=2&amp;metric=htx_count"' in first
    assert rows("metric=htx_count&page=2") == [("Toàn quốc", "2030")]
    # A filter that is none of the choices is no filter; a year that cannot be one is said.
    assert len(rows("metric=happiness&scope=98&verified=maybe&page=2")) == 2
    bad_year = client.get(f"{PAGE}?year=3000")
    assert bad_year.status_code == 200
    assert error_beside(bad_year.get_data(as_text=True), "year") == "Từ 1990 đến 2100."


# --------------------------------------------------------------------------- safety


def test_every_write_needs_the_csrf_token(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _target()
    _authority(client, "vukinhte@mard.gov.vn")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    for path, data in ((f"{PAGE}/new", _form(year="2031")),
                       (f"{PAGE}/{target.id}/edit", _form(value="60")),
                       (f"{PAGE}/{target.id}/delete", {})):
        assert client.post(path, data=data).status_code == 400, path
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400
    assert _rows() == [("linked_share", "national", 2030, 50.0, False)]

    token = csrf_token_in(client.get(f"{PAGE}/new").get_data(as_text=True))
    created = client.post(f"{PAGE}/new", data={**_form(year="2031"), "csrf_token": token})
    assert created.status_code == 303
    token = csrf_token_in(client.get(f"{PAGE}/{target.id}/delete").get_data(as_text=True))
    deleted = client.post(f"{PAGE}/{target.id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    assert _rows() == [("linked_share", "national", 2031, 50.0, False)]


def test_a_note_is_shown_as_text_not_markup(client: FlaskClient) -> None:
    _authority(client, "vukinhte@mard.gov.vn")
    note = '<script>alert("chỉ tiêu")</script>'
    created = client.post(f"{PAGE}/new", data=_form(
        note=note, source='Quyết định <b onmouseover="x()">340</b>'))
    assert created.status_code == 303
    for page in (client.get(PAGE), client.get(created.location),
                 client.get(created.location + "/edit"),
                 client.get(created.location + "/delete")):
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "<b onmouseover" not in html
        assert "&lt;b onmouseover=" in html
    shown = client.get(created.location).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;chỉ tiêu&#34;)&lt;/script&gt;" in shown
