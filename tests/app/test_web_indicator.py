"""The authority dashboard of the linkage indicator (issue 12 §4, app/web/indicator.py) on
the hand-built country of tests/linkages/indicator_world.py, whose expected figures are
worked out in tests/linkages/test_indicator.py: statistical year 2025, denominator h1–h6,
h10, h12, h13 = 9 (eight in Hà Nội, h10 in Hồ Chí Minh City through its legacy province);
A counts 4 (h10 among them), B 5.

Who: admins and authorities read it (a province authority its province only, in every
table, drill-down and file, whatever the URL asks); organisations' users get 403, nobody
signed in the sign-in page. Bad input is a message beside its field (400 or 422), never a
500. Files are the page's tables with the same filters; charts are SVG with a title, a
description and a table beside them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import update

from app.web import indicator_dashboard
from app.web.charts import Point, bar_chart, line_chart, nice_ceiling
from core.actor import OrgRole, PlatformRole
from core.db import db
from core.spreadsheets import Column, csv_chunks, safe_text, xlsx_bytes
from linkages.models.organisations import Organisation
from linkages.models.targets import NATIONAL, IndicatorTarget, TargetMetric, TargetUnit
from tests.app.committed_indicator_world import IndicatorWorldIds, committed_indicator_world
from tests.app.register_pages import error_beside, sign_in
from tests.factories import HANOI, HCMC
from tests.linkages.indicator_world import IndicatorWorld

YEAR = "year=2025"
HCMC_NAME = "Thành phố Hồ Chí Minh"
HANOI_NAME = "Thành phố Hà Nội"


@pytest.fixture(scope="module")
def committed(app: Flask) -> Iterator[IndicatorWorldIds]:
    """The hand-built country, built and committed once for the module: building it for
    each test was half of the module's CPU time (tests/app/committed_indicator_world.py)."""
    yield from committed_indicator_world(app)


@pytest.fixture()
def world(committed: IndicatorWorldIds) -> IndicatorWorld:
    return committed.load()


def _as_national(client: FlaskClient) -> None:
    sign_in(client, "quocgia@bo-nnmt.gov.vn", platform_role=PlatformRole.AUTHORITY)


def _as_hcmc(client: FlaskClient) -> None:
    sign_in(client, "so@hcmc.gov.vn", platform_role=PlatformRole.AUTHORITY, province_code=HCMC)


def _html(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (
        url,
        response.status_code,
        response.get_data(as_text=True)[:3000],
    )
    return response.get_data(as_text=True)


def _groups(html: str, table: str = "breakdown-table") -> list[str]:
    found = re.search(rf'<table[^>]*data-testid="{table}".*?</table>', html, re.S)
    assert found, f"no {table}"
    return re.findall(r'data-testid="group-row" data-group="([^"]*)"', found.group(0))


def _csv(response: Any) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), "no BOM"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx(response: Any) -> Any:
    return load_workbook(io.BytesIO(response.get_data()))


def _filename(response: Any) -> str:
    found = re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"])
    assert found
    return found.group(1)


def _found(pattern: str, text: str, group: int = 1) -> str:
    """The ``group`` of ``pattern``'s first match in ``text`` (which must match)."""
    match = re.search(pattern, text, re.S)
    assert match, f"no {pattern!r}"
    return match.group(group)


def _drill_names(html: str) -> list[str]:
    rows = re.findall(r'data-testid="drill-row".*?</tr>', html, re.S)
    return [_found(r'<a href="/orgs/\d+">([^<]*)</a>', r) for r in rows]


def _target(year: int, value: float, scope: str = NATIONAL) -> None:
    db.session.add(
        IndicatorTarget(
            metric=TargetMetric.LINKED_SHARE,
            scope=scope,
            year=year,
            value=value,
            unit=TargetUnit.SHARE,
            source="Quyết định 340/QĐ-TTg",
            verified=True,
        )
    )
    db.session.commit()


# --------------------------------------------------------------------------- who


def test_nobody_signed_in_is_sent_to_sign_in(client: FlaskClient, world: IndicatorWorld) -> None:
    for url in (
        "/indicator",
        "/indicator/drill-down?which=all",
        "/indicator/breakdown.csv",
        "/indicator/drill-down.xlsx",
        "/indicator?variant=Z",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.startswith("/login"), url


def test_organisations_users_are_refused(client: FlaskClient, world: IndicatorWorld) -> None:
    sign_in(client, "chunhiem@h1.vn", world.orgs["h1"], OrgRole.ORG_ADMIN)
    for url in (
        "/indicator",
        "/indicator/drill-down?which=all",
        "/indicator/breakdown.csv",
        "/indicator/trend.xlsx",
        "/indicator/variants.csv",
        "/indicator/drill-down.csv",
        "/indicator?year=abc&variant=Z",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Indicator h2" not in response.get_data(as_text=True)
    menu = re.findall(r'data-endpoint="([^"]+)"', _html(client, "/"))
    assert "web_indicator.dashboard" not in menu


def test_the_national_authority_sees_every_province(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    _as_national(client)
    menu = re.findall(r'data-endpoint="([^"]+)"', _html(client, "/"))
    assert "web_indicator.dashboard" in menu
    html = _html(client, f"/indicator?variant=B&{YEAR}")
    assert 'data-testid="indicator-scope"' in html and "cả nước" in html
    assert _groups(html) == [HANOI, HCMC]
    # The filters fold away once there are figures to read.
    assert re.search(r'<details class="card indicator-filter-box" data-testid="filter-box"', html)
    # The headline: B counts 5 of 9 (vi: 55,6 %).
    headline = _found(r'data-testid="headline".*?</section>', html, 0)
    assert "55,6" in headline and "5 trên 9" in headline
    assert "B" in _found(r'data-testid="headline-variant">([^<]*)<', html)
    # Every variant side by side, each with its version and written definition.
    assert re.findall(r'data-testid="variant-row" data-variant="(\w)"', html) == [
        "A",
        "B",
        "C",
        "D",
        "E",
        "V",
    ]
    assert html.count("<dd>") >= 7  # six definitions and the denominator's
    # The province select offers every province.
    assert len(re.findall(r'<select id="province".*?</select>', html, re.S)) == 1
    assert HANOI_NAME in html and HCMC_NAME in html


def test_switching_variant_and_year_changes_the_figures(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    _as_national(client)
    a2025 = _html(client, f"/indicator?variant=A&{YEAR}")
    assert "4 trên 9" in a2025
    # Year 2026: only h10 counts under A (worked out in tests/linkages/test_indicator.py).
    a2026 = _html(client, "/indicator?variant=A&year=2026")
    assert "1 trên 9" in a2026
    volume = _html(client, f"/indicator?variant=V&{YEAR}")
    assert "600 kg" in volume and "1.800 kg" in volume
    assert 'data-testid="commodity-table"' not in volume  # no commodity breakdown for V


def test_charts_are_svg_with_a_title_a_description_and_a_table(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    _as_national(client)
    html = _html(client, f"/indicator?variant=A&{YEAR}")
    for chart, table in (
        ("chart-trend", "trend-table"),
        ("chart-breakdown", "breakdown-table"),
        ("chart-region", "region-table"),
        ("chart-commodity", "commodity-table"),
    ):
        svg = re.search(rf'<svg[^>]*id="{chart}".*?</svg>', html, re.S)
        assert svg, chart
        assert 'role="img"' in svg.group(0)
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in svg.group(0)
        assert f'<title id="{chart}-title">' in svg.group(0)
        assert f'<desc id="{chart}-desc">' in svg.group(0)
        assert "<style" not in svg.group(0) and "<script" not in svg.group(0)
        assert f'data-testid="{table}"' in html
    # The trend covers three statistical years by default.
    assert html.count('data-testid="trend-row"') == 3


def test_a_province_authority_sees_its_province_only(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    _as_hcmc(client)
    html = _html(client, f"/indicator?variant=A&{YEAR}")
    assert HCMC_NAME in _found(r'data-testid="indicator-scope">(.*?)</p>', html)
    assert '<select id="province"' not in html  # no other province offered
    assert _groups(html) == [HCMC]
    assert "1 trên 1" in html  # h10, counted through K10
    assert "Indicator h1<" not in html

    # Asking for Hà Nội in the URL shows nothing of Hà Nội.
    asked = _html(client, f"/indicator?variant=A&{YEAR}&province={HANOI}")
    assert 'data-testid="other-province-asked"' in asked
    assert HANOI not in _groups(asked)
    for url in (
        f"/indicator/drill-down?which=all&{YEAR}",
        f"/indicator/drill-down?which=all&{YEAR}&province={HANOI}",
        f"/indicator/drill-down?which=all&{YEAR}&breakdown=province&group={HANOI}",
    ):
        names = _drill_names(_html(client, url))
        assert all(n == "Indicator h10" for n in names), (url, names)
    assert _drill_names(_html(client, f"/indicator/drill-down?which=all&{YEAR}")) == [
        "Indicator h10"
    ]

    # And in the files.
    rows = _csv(client.get(f"/indicator/drill-down.csv?which=all&{YEAR}&province={HANOI}"))
    assert len(rows) == 1  # the header only
    rows = _csv(client.get(f"/indicator/drill-down.csv?which=all&{YEAR}"))
    assert [r[1] for r in rows[1:]] == ["Indicator h10"]
    table = _csv(client.get(f"/indicator/breakdown.csv?{YEAR}&province={HANOI}"))
    assert [r[0] for r in table[1:]] == [""]  # the total row only, of nothing
    assert table[1][2:4] == ["0", "0"]
    book = _xlsx(client.get(f"/indicator/breakdown.xlsx?{YEAR}"))
    codes = [r[0] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert codes == [HCMC, None]


# --------------------------------------------------------------------------- drill-down


def test_a_group_drills_down_to_its_cooperatives_with_the_reason(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    _as_national(client)
    html = _html(client, f"/indicator?variant=A&{YEAR}")
    link = re.search(
        r'data-group="01".*?data-testid="group-numerator"><a href="([^"]+)"', html, re.S
    )
    assert link, "no drill-down link on the Hà Nội row"
    page = _html(client, link.group(1).replace("&amp;", "&"))
    assert sorted(_drill_names(page)) == ["Indicator h1", "Indicator h13", "Indicator h2"]
    assert HANOI_NAME in _found(r'data-testid="drill-group">([^<]*)<', page)
    assert world.contracts["K1"].code in page  # the contract that made it count

    not_counted = _html(
        client,
        f"/indicator/drill-down?variant=A&{YEAR}&which=not_counted&breakdown=province&group=01",
    )
    names = _drill_names(not_counted)
    assert "Indicator h3" in names and "Indicator h10" not in names
    # The reasons, in Vietnamese; h3's contract is HTX-led: counted by B only.
    row = _found(r"Indicator h3<.*?</tr>", not_counted, 0)
    assert 'data-testid="drill-reason"' in row and "chỉ" in row


def test_the_drill_down_is_paginated(
    client: FlaskClient, world: IndicatorWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indicator_dashboard, "DRILL_PER_PAGE", 4)
    _as_national(client)
    first = _html(client, f"/indicator/drill-down?variant=A&{YEAR}&which=denominator")
    assert len(_drill_names(first)) == 4
    assert 'class="pager"' in first and "page=2" in first
    third = _html(client, f"/indicator/drill-down?variant=A&{YEAR}&which=denominator&page=3")
    assert len(_drill_names(third)) == 1
    past = _html(client, f"/indicator/drill-down?variant=A&{YEAR}&which=denominator&page=99")
    assert _drill_names(past) == []
    # The file holds every row, not a page.
    rows = _csv(client.get(f"/indicator/drill-down.csv?variant=A&{YEAR}&which=denominator"))
    assert len(rows) == 1 + 9


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("query", "field", "status"),
    [
        ("variant=Z", "variant", 422),
        ("province=98", "province", 422),
        ("region_scheme=NOPE", "region_scheme", 422),
        ("commodity=gold", "commodity", 422),
        ("period=range&from=2025-02-01&to=2025-01-01", "to", 422),
        ("from=2000-01-01&to=2025-01-01", "to", 422),
        ("as_of=2999-01-01", "as_of", 422),
        ("year=1900", "year", 422),
        ("years=50", "years", 422),
        ("variant=V&breakdown=commodity", "breakdown", 422),
        ("breakdown=everything", "breakdown", 422),
        ("year=abc", "year", 400),
        ("year=%D9%A3", "year", 400),
        ("as_of=01/02/2025", "as_of", 400),
        ("period=range&from=2025-01-01", "to", 400),
        ("period=weekly", "period", 400),
        ("from=0001-01-01&to=0001-01-02", "from", 400),
        ("province=0%001", "province", 400),
        ("province=%3Cscript%3Ealert(1)%3C/script%3E", "province", 422),
        ("commodity=%22%3E%3Cscript%3E", "commodity", 422),
    ],
)
def test_bad_input_is_a_message_beside_its_field(
    client: FlaskClient, world: IndicatorWorld, query: str, field: str, status: int
) -> None:
    _as_national(client)
    html = _html(client, f"/indicator?{query}", status)
    assert error_beside(html, field), query
    assert 'data-testid="headline"' not in html
    assert 'data-testid="filter-errors"' in html
    assert re.search(r'<details[^>]* open data-testid="filter-box"', html)  # unfolded
    assert "<script" not in html  # what was typed is shown back escaped


@pytest.mark.parametrize(
    ("path", "query", "field", "status"),
    [
        ("/indicator/breakdown.csv", "variant=Z", "variant", 422),
        ("/indicator/breakdown.xlsx", "breakdown=everything", "breakdown", 422),
        ("/indicator/breakdown.csv", "period=range&from=2025-02-01&to=2025-01-01", "to", 422),
        ("/indicator/trend.xlsx", "years=50", "years", 422),
        ("/indicator/trend.csv", "as_of=2999-01-01", "as_of", 422),
        ("/indicator/variants.csv", "province=98", "province", 422),
        ("/indicator/variants.xlsx", "year=abc", "year", 400),
    ],
)
def test_a_refused_download_is_the_page_with_the_message_beside_the_field(
    client: FlaskClient, world: IndicatorWorld, path: str, query: str, field: str, status: int
) -> None:
    _as_national(client)
    response = client.get(f"{path}?{query}")
    assert response.status_code == status and response.mimetype == "text/html"
    assert "Content-Disposition" not in response.headers
    assert error_beside(response.get_data(as_text=True), field)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("which=everyone", "which"),
        ("breakdown=province&group=99", "group"),
        ("breakdown=form&group=1", "group"),
        ("variant=Z&which=all", "variant"),
    ],
)
def test_bad_drill_down_input_is_a_message_beside_its_field(
    client: FlaskClient, world: IndicatorWorld, query: str, field: str
) -> None:
    _as_national(client)
    for path in ("/indicator/drill-down", "/indicator/drill-down.csv"):
        html = _html(client, f"{path}?{YEAR}&{query}", 422)
        assert error_beside(html, field), (path, query)


def test_a_province_asked_of_a_province_authority_that_does_not_exist_is_said(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    _as_hcmc(client)
    html = _html(client, f"/indicator?{YEAR}&province=98", 422)
    # The form has no province field for it: the message is above the form.
    found = re.search(r'data-testid="filter-errors">(.*?)</div>', html, re.S)
    assert found and "Không có tỉnh, thành phố nào mang mã này." in found.group(1)
    assert '<select id="province"' not in html


# --------------------------------------------------------------------------- files


def test_every_table_downloads_as_csv_and_xlsx_with_the_page_s_filters(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    _target(2025, 35)
    _as_national(client)
    response = client.get(f"/indicator/breakdown.csv?variant=B&{YEAR}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    name = _filename(response)
    assert name.startswith("htx-indicator-breakdown-B-province-sy2025-vn-asof-")
    assert name.endswith(".csv")
    rows = _csv(response)
    assert rows[0][:4] == ["Mã", "Tỉnh, thành phố", "Được tính (tử số)", "Mẫu số"]
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code[HANOI][1] == HANOI_NAME and by_code[HANOI][2:4] == ["4", "8"]
    assert by_code[HCMC][2:5] == ["1", "1", "100"]
    assert by_code[""][1:5] == ["Tổng cộng", "5", "9", "55.56"]
    assert by_code[""][5] == "-20.56"  # 35 % target, 55.56 % reached

    book = _xlsx(client.get(f"/indicator/breakdown.xlsx?variant=B&{YEAR}"))
    sheet, about = book.worksheets
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == HANOI and values[1][2:4] == (4, 8)
    assert values[-1][2:5] == (5, 9, 55.56)
    assert sheet.freeze_panes == "A2"
    facts = {r[0]: r[1] for r in about.iter_rows(values_only=True)}
    assert "B" in facts["Biến thể"] and facts["Số dòng"] == 3

    trend = _csv(client.get("/indicator/trend.csv?variant=A&year=2026"))
    assert [r[0] for r in trend[1:]] == ["2024", "2025", "2026"]
    assert [r[4] for r in trend[1:]] == ["1", "4", "1"]
    trend_book = _xlsx(client.get("/indicator/trend.xlsx?variant=A&year=2026&years=2"))
    assert [r[0] for r in trend_book.worksheets[0].iter_rows(min_row=2, values_only=True)] == [
        2025,
        2026,
    ]

    variants = _xlsx(client.get(f"/indicator/variants.xlsx?{YEAR}"))
    rows_v = list(variants.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows_v] == ["A", "B", "C", "D", "E", "V"]
    assert [r[4] for r in rows_v][:5] == [4, 5, 1, 1, 1]
    assert all(r[2] == "1" and r[8] for r in rows_v)  # version and definition
    variants_csv = client.get(f"/indicator/variants.csv?{YEAR}")
    assert _filename(variants_csv).startswith("htx-indicator-variants-all-")

    drill = client.get(f"/indicator/drill-down.xlsx?variant=A&{YEAR}&which=numerator")
    assert _filename(drill).startswith("htx-indicator-drill-down-A-numerator-sy2025-vn-")
    drilled = list(_xlsx(drill).worksheets[0].iter_rows(min_row=2, values_only=True))
    assert sorted(r[1] for r in drilled) == [
        "Indicator h1",
        "Indicator h10",
        "Indicator h13",
        "Indicator h2",
    ]
    assert {r[8] for r in drilled} >= {world.contracts["K1"].code}

    commodity = _csv(client.get(f"/indicator/breakdown.csv?variant=A&{YEAR}&breakdown=commodity"))
    assert commodity[1][:4] == ["coffee", "Cà phê", "4", "9"]


def test_text_never_runs_as_a_formula_or_a_script(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    db.session.execute(
        update(Organisation)
        .where(Organisation.id == world.id("h1"))
        .values(name="<script>alert(1)</script> HTX")
    )
    db.session.execute(
        update(Organisation)
        .where(Organisation.id == world.id("h2"))
        .values(name='=HYPERLINK("http://x","y")')
    )
    db.session.commit()
    _as_national(client)
    page = _html(client, f"/indicator/drill-down?variant=A&{YEAR}&which=numerator")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; HTX" in page
    rows = _csv(client.get(f"/indicator/drill-down.csv?variant=A&{YEAR}&which=numerator"))
    names = [r[1] for r in rows[1:]]
    assert '\'=HYPERLINK("http://x","y")' in names
    assert "<script>alert(1)</script> HTX" in names
    book = _xlsx(client.get(f"/indicator/drill-down.xlsx?variant=A&{YEAR}&which=numerator"))
    cells = [row[1] for row in book.worksheets[0].iter_rows(min_row=2)]
    formula = next(c for c in cells if str(c.value).startswith("=HYPERLINK"))
    assert formula.data_type == "s" and formula.quotePrefix


# --------------------------------------------------------------------------- targets


def test_the_headline_is_measured_against_the_year_s_target_and_2030(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    _target(2025, 35)
    _target(2030, 50)
    _target(2025, 60, HCMC)  # Hồ Chí Minh City's own, for its authority
    _as_national(client)
    html = _html(client, f"/indicator?variant=A&{YEAR}")
    # A counts 44,4 %: 9,4 points above 2025's 35 %, 5,6 below 2030's 50 %.
    gaps = re.findall(
        r'data-testid="target-(\d+)">\s*<strong>([^<]*)</strong>.*?'
        r'data-testid="target-gap">([^<]*)<',
        html,
        re.S,
    )
    assert gaps == [
        ("2025", "35%", "đã đạt, vượt 9,4 điểm phần trăm"),
        ("2030", "50%", "còn thiếu 5,6 điểm phần trăm"),
    ]
    assert "Quyết định 340/QĐ-TTg" in html and "mục tiêu toàn quốc" in html
    client.post("/logout")
    _as_hcmc(client)
    own = _html(client, f"/indicator?variant=B&{YEAR}")
    assert re.search(r'data-testid="target-2025">\s*<strong>60%', own)
    assert "mục tiêu của tỉnh" in own
    assert re.search(r'data-testid="target-2030">\s*<strong>50%', own)


def test_english_readers_get_english_words_and_numbers(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    _as_national(client)
    html = _html(client, f"/indicator?variant=B&{YEAR}&lang=en")
    assert "55.6%" in html and "5 of 9" in html and "B broad" in html
    rows = _csv(client.get(f"/indicator/breakdown.csv?variant=B&{YEAR}&lang=en"))
    assert rows[0][:4] == ["Code", "Province", "Counted (numerator)", "Denominator"]


# --------------------------------------------------------------------------- helpers


def test_a_bar_chart_escapes_its_texts_and_scales_its_bars() -> None:
    svg = str(
        bar_chart(
            "c1",
            "T <b>",
            "D & d",
            [
                Point("<script>x</script>", 50.0, "50 %"),
                Point("None", None, "—"),
                Point("Over", 150.0, "150 %"),
            ],
            target=35,
            target_text="Mục tiêu 35 %",
        )
    )
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt;" in svg
    assert '<title id="c1-title">T &lt;b&gt;</title>' in svg
    assert "D &amp; d" in svg and "&lt;script&gt;x&lt;/script&gt;: 50 %" in svg
    widths = [
        float(w)
        for w in re.findall(
            r'<rect x="0" y="[\d.]+" width="([\d.]+)" '
            r'height="14" fill="#1b5e20"',
            svg,
        )
    ]
    assert widths == [128.0, 256.0]  # half, and capped at the whole track
    assert 'stroke-dasharray="4 3"' in svg and "Mục tiêu 35 %" in svg
    empty = str(bar_chart("c2", "T", "D", [], empty_text="Không có"))
    assert "Không có" in empty and 'role="img"' in empty


def test_a_line_chart_breaks_where_a_value_is_missing() -> None:
    svg = str(
        line_chart(
            "t",
            "T",
            "D",
            [
                Point("2023", 10, "10 %"),
                Point("2024", None, "—"),
                Point("2025", 20, "20 %"),
                Point("2026", 40, "40 %"),
            ],
        )
    )
    assert svg.count("<polyline") == 1  # 2023 alone, then 2025–2026
    assert svg.count("<circle") == 3
    assert nice_ceiling(0) == 10 and nice_ceiling(44.4) == 50 and nice_ceiling(100) == 100
    assert nice_ceiling(1234) == 2000


def test_files_guard_formulas_and_keep_numbers_numbers() -> None:
    assert safe_text("=1+1") == "'=1+1" and safe_text("-x") == "'-x"
    assert safe_text("@SUM(A1)") == "'@SUM(A1)" and safe_text("HTX") == "HTX"
    text = "".join(
        csv_chunks([Column("a"), Column("b")], [["+84 912", -3.5], ["x", 1800.0]], rows_per_chunk=1)
    )
    assert text.startswith("\ufeffa,b\r\n")
    assert "'+84 912,-3.5\r\n" in text and "x,1800\r\n" in text
    book = load_workbook(
        io.BytesIO(
            xlsx_bytes(
                [Column("a", number_format="0.00")],
                [[-2.5], ["=A1"]],
                sheet_name="t/1",
                about_sheet="About",
            )
        )
    )
    assert book.sheetnames[0] == "t_1"
    sheet = book.worksheets[0]
    assert sheet["A2"].value == -2.5 and sheet["A2"].number_format == "0.00"
    assert sheet["A3"].value == "=A1" and sheet["A3"].data_type == "s"


# --------------------------------------------------------------------------- beside it


def _overview_value(html: str, measure: str) -> str:
    row = _found(rf'data-measure="{measure}">(.*?)</tr>', html)
    return re.findall(r'<td class="num">([^<]*)</td>', row)[0]


def test_the_figures_beside_the_indicator_share_the_scope_and_download(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    """The overview's HTX count is that of the scope: the whole country for the national
    authority, Hồ Chí Minh City only (h10) for its authority; the 2030 target of HTX shows
    beside it, and the file holds the same rows."""
    db.session.add(
        IndicatorTarget(
            metric=TargetMetric.HTX_COUNT,
            scope=NATIONAL,
            year=2030,
            value=45000,
            unit=TargetUnit.COUNT,
            source="Quyết định 340/QĐ-TTg",
            verified=True,
        )
    )
    db.session.commit()
    _as_national(client)
    html = _html(client, f"/indicator?{YEAR}&lang=en")
    national = int(_overview_value(html, "htx").replace(",", ""))
    assert national >= 10  # h1–h13 open on the reference day, whatever the field group
    htx_row = _found(r'data-measure="htx">(.*?)</tr>', html)
    assert "45,000" in htx_row
    rows = _csv(client.get(f"/indicator/overview.csv?{YEAR}&lang=en"))
    assert rows[0][:2] == ["Measure", "Value"]
    by_label = {r[0]: r for r in rows[1:]}
    assert by_label["Cooperatives (HTX) open"][1] == str(national)
    assert by_label["Cooperatives (HTX) open"][4] == "45000"
    assert any(label.startswith("OCOP products, 5 stars") for label in by_label)
    book = _xlsx(client.get(f"/indicator/overview.xlsx?{YEAR}&lang=en"))
    assert book.worksheets[0]["A2"].value == "Cooperatives (HTX) open"

    client.post("/logout")
    _as_hcmc(client)
    html = _html(client, f"/indicator?{YEAR}&province={HANOI}&lang=en")
    assert _overview_value(html, "htx") == "0"  # Hà Nội is not its to count
    html = _html(client, f"/indicator?{YEAR}&lang=en")
    assert _overview_value(html, "htx") == "1"  # h10 alone
    rows = _csv(client.get(f"/indicator/overview.csv?{YEAR}&lang=en"))
    assert {r[0]: r[1] for r in rows[1:]}["Cooperatives (HTX) open"] == "1"


def test_a_province_s_share_borrows_the_national_target_and_says_so(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    """Hồ Chí Minh City has no targets of its own: its good/fair share is read against the
    national 70 % (``TargetBook``), and the row says whose target it is; its HTX count is
    never read against the country's 45,000."""
    for metric, value, unit in (
        (TargetMetric.EFFECTIVE_SHARE, 70, TargetUnit.SHARE),
        (TargetMetric.HTX_COUNT, 45000, TargetUnit.COUNT),
    ):
        db.session.add(
            IndicatorTarget(
                metric=metric,
                scope=NATIONAL,
                year=2030,
                value=value,
                unit=unit,
                source="Quyết định 340/QĐ-TTg",
                verified=True,
            )
        )
    db.session.commit()
    _as_hcmc(client)
    html = _html(client, f"/indicator?{YEAR}&lang=en")
    rating = _found(r'data-measure="rating">(.*?)</tr>', html)
    assert "70" in rating and "against the national target" in rating
    htx = _found(r'data-measure="htx">(.*?)</tr>', html)
    assert "45,000" not in htx and "national target" not in htx
    _as_national(client)
    html = _html(client, f"/indicator?{YEAR}&lang=en")
    assert "against the national target" not in html


@pytest.mark.parametrize("variant", ["B", "V"])
def test_the_dashboard_reuses_its_figure_only_where_it_is_the_same_question(
    app: Flask, world: IndicatorWorld, variant: str,
) -> None:
    # The chosen variant's row of the variants' table and the trend's point of the same
    # year come from the figure itself; each must equal what the service answers when
    # asked on its own, and the other rows and years are asked on their own.
    from core.actor import Actor
    from linkages.indicator import service

    admin = Actor(user_id=1, platform_role=PlatformRole.ADMIN)
    with app.test_request_context("/"):
        filters = indicator_dashboard.Filters(
            variant=variant, year=2025,
            region_scheme=indicator_dashboard.places(admin).default_scheme)
        board = indicator_dashboard.dashboard(admin, filters)
        alone = {code: service.figure(admin, variant=code, year=2025, breakdown="none")
                 for code in ("A", "B", "C", "D", "E", "V")}
        assert {f["variant"]["code"]: f["total"] for f in board.variants} == {
            code: f["total"] for code, f in alone.items()}
        chosen = next(f for f in board.variants if f["variant"]["code"] == variant)
        assert chosen["breakdown"] == "none" and chosen["groups"] == []
        points = {p["year"]: (p["numerator"], p["denominator"]) for p in board.trend["points"]}
        for year in (2023, 2024, 2025):
            total = service.figure(admin, variant=variant, year=year, breakdown="none")["total"]
            assert points[year] == (total["numerator"], total["denominator"])


@pytest.mark.parametrize("breakdown", ["province", "region"])
def test_the_dashboard_asks_each_figure_once(
    app: Flask, world: IndicatorWorld, monkeypatch: pytest.MonkeyPatch, breakdown: str,
) -> None:
    # Every statement of the page's figures, by the question it answers (variant,
    # breakdown, year): none twice, and the chosen figure's total, which its groups or
    # its own statement already gave, never on its own. The region and commodity
    # figures then equal what the service answers when asked for them alone.
    from core.actor import Actor
    from linkages.indicator import figures, service

    asked: list[tuple[str, str, int | None]] = []
    groups = figures.groups

    def counted_groups(q: Any, breakdown: str) -> list[dict[str, Any]]:
        asked.append((q.variant.code.value, breakdown, q.period.year))
        return groups(q, breakdown)

    monkeypatch.setattr(figures, "groups", counted_groups)
    admin = Actor(user_id=1, platform_role=PlatformRole.ADMIN)
    with app.test_request_context("/"):
        filters = indicator_dashboard.Filters(
            variant="B", year=2025, breakdown=breakdown,
            region_scheme=indicator_dashboard.places(admin).default_scheme)
        board = indicator_dashboard.dashboard(admin, filters)
        assert len(asked) == len(set(asked)), asked
        if breakdown == "province":  # its groups add up to the total
            assert ("B", "none", 2025) not in asked
        assert ("B", "region", 2025) in asked and ("B", "commodity", 2025) in asked
        monkeypatch.setattr(figures, "groups", groups)
        for shown in ("region", "commodity"):
            alone = service.figure(admin, target=board.figure["target"],
                                   **filters.service_params(breakdown=shown))
            assert getattr(board, shown) == alone
