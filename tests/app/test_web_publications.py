"""Published figures in the UI (issue 12 §3, app/web/indicator_publications.py) on the
hand-built country of tests/linkages/indicator_world.py, whose figures
tests/linkages/test_indicator.py and test_publications.py work out by hand: statistical
year 2025 (ended), the whole country, A 4 / 9 (h1, h2, h10, h13), B 5 / 9; Hồ Chí Minh City
holds h10 only (A 1 / 1).

The dashboard shows, beside its headline, the figure published for the period and scope it
shows beside today's computation and what changed since, or offers to publish it (a POST
with the CSRF token; the service decides: a second publishing is a message, never a 500,
and writes nothing). The comparison page names the cooperatives that entered or left the
count with the reason they had then and today, and downloads them. A province authority
publishes and reads its province only; organisations' users are refused (403 on the
indicator's pages, 404 on a publication's cooperatives, as on the API); nobody signed in
is sent to sign in.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.auth.models import User
from core.actor import Actor, OrgRole, PlatformRole
from core.clock import local_today
from core.db import db
from linkages.indicator import publication_changes, publications
from linkages.models.organisations import FactField
from linkages.models.publications import (
    NATIONAL,
    IndicatorPublication,
    IndicatorPublicationMember,
)
from tests.app.committed_indicator_world import IndicatorWorldIds, committed_indicator_world
from tests.app.register_pages import error_beside, sign_in
from tests.app.web_support import csrf_token_in
from tests.factories import HANOI, HCMC, make_user_with_token
from tests.linkages import indicator_world
from tests.linkages.indicator_world import IndicatorWorld

DASHBOARD = "/indicator?variant=A&year=2025"
PUBLISH = "/indicator/publications/new?variant=A&year=2025"
NATIONAL_EMAIL = "quocgia@bo-nnmt.gov.vn"
NATIONAL_NAME = "Phạm Thị Công Bố"


@pytest.fixture(scope="module")
def committed(app: Flask) -> Iterator[IndicatorWorldIds]:
    """The hand-built country, built and committed once for the module: building it for
    each test was half of the module's CPU time (tests/app/committed_indicator_world.py)."""
    yield from committed_indicator_world(app)


@pytest.fixture()
def world(committed: IndicatorWorldIds) -> IndicatorWorld:
    return committed.load()


def _as_national(client: FlaskClient) -> None:
    sign_in(client, NATIONAL_EMAIL, platform_role=PlatformRole.AUTHORITY, full_name=NATIONAL_NAME)


def _as_hcmc(client: FlaskClient) -> None:
    sign_in(
        client,
        "so@hcmc.gov.vn",
        platform_role=PlatformRole.AUTHORITY,
        province_code=HCMC,
        full_name="Lê Văn Thành Phố",
    )


def _html(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (
        url,
        response.status_code,
        response.get_data(as_text=True)[:3000],
    )
    return response.get_data(as_text=True)


def _found(pattern: str, text: str, group: int = 1) -> str:
    match = re.search(pattern, text, re.S)
    assert match, f"no {pattern!r}"
    return match.group(group)


def _panel(html: str) -> str:
    """The published-figures card of a dashboard."""
    return _found(r'<section[^>]*data-testid="published".*?</section>', html, 0)


def _cell(html: str, testid: str) -> str:
    return re.sub(r"\s+", " ", _found(rf'data-testid="{testid}"[^>]*>(.*?)</t[dh]>', html))


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(IndicatorPublication)) or 0,
        db.session.scalar(select(func.count()).select_from(IndicatorPublicationMember)) or 0,
    )


def _publications() -> list[IndicatorPublication]:
    db.session.expire_all()
    return list(db.session.scalars(select(IndicatorPublication).order_by(IndicatorPublication.id)))


def _change_rows(html: str) -> list[tuple[str, str, str]]:
    """(variant, kind, cooperative) of each row of the changes table."""
    rows = re.findall(
        r'<tr data-testid="change-row" data-variant="(\w)" data-kind="(\w+)">'
        r'.*?data-testid="change-name">([^<]*)<',
        html,
        re.S,
    )
    return [(v, k, n) for v, k, n in rows]


def _dissolve(world: IndicatorWorld, name: str) -> None:
    """``name`` dissolved effective 1 Jun 2025, recorded today: it leaves the 2025 count."""
    indicator_world._fact(
        world.orgs[name], FactField.STATUS, "active", "dissolved", date(2025, 6, 1), local_today()
    )
    db.session.commit()


def _reason(code: str) -> str:
    with force_locale("vi"):
        return publication_changes.change_reason_text(code)


def _admin_publishes(**params: Any) -> IndicatorPublication:
    """A platform admin publishes 2025 (through the service, committed)."""
    user, _headers = make_user_with_token(platform_role=PlatformRole.ADMIN)
    actor = Actor(user_id=user.id, platform_role=PlatformRole.ADMIN)
    publication = publications.publish(actor, year=2025, **params)
    db.session.commit()
    return publication


def _publish_errors(html: str) -> str:
    """The messages above the publishing form (or the published figure)."""
    return _found(
        r'data-testid="publish-errors">\s*<div class="form-error" role="alert">'
        r"(.*?)</div>",
        html,
    )


# --------------------------------------------------------------------------- who


def test_nobody_signed_in_is_sent_to_sign_in(client: FlaskClient, world: IndicatorWorld) -> None:
    publication = _admin_publishes()
    for url in (
        "/indicator/publications",
        f"/indicator/publications/{publication.id}",
        f"/indicator/publications/{publication.id}/changes.csv",
        PUBLISH,
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.location.startswith("/login"), url
    response = client.post(PUBLISH, data={"note": "x"})
    assert response.status_code == 302 and response.location.startswith("/login")
    assert _counts()[0] == 1


def test_organisations_users_are_refused(client: FlaskClient, world: IndicatorWorld) -> None:
    publication = _admin_publishes()
    before = _counts()
    sign_in(client, "chunhiem@h1.vn", world.orgs["h1"], OrgRole.ORG_ADMIN)
    assert client.post(PUBLISH, data={"note": "x"}).status_code == 403
    assert client.get("/indicator/publications").status_code == 403
    # A publication's cooperatives are private to it: 404, as on the API.
    for url in (
        f"/indicator/publications/{publication.id}",
        f"/indicator/publications/{publication.id}/changes.csv",
        f"/indicator/publications/{publication.id}/changes.xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Indicator h2" not in response.get_data(as_text=True)
    assert _counts() == before


# --------------------------------------------------------------------------- publishing


def test_the_national_authority_publishes_from_the_dashboard(
    app: Flask, client: FlaskClient, world: IndicatorWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as_national(client)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = _html(client, DASHBOARD)
    panel = _panel(page)
    assert 'data-testid="not-published"' in panel and "cả nước" in panel
    form = _found(r'<form[^>]*data-testid="publish-form".*?</form>', panel, 0)
    action = _found(r'action="([^"]+)"', form).replace("&amp;", "&")
    assert action.startswith("/indicator/publications/new?") and "year=2025" in action
    assert 'name="csrf_token"' in form and 'name="note"' in form

    # Without the CSRF token (or with a forged one) nothing is published.
    assert client.post(action, data={"note": "x"}).status_code == 400
    assert client.post(action, data={"note": "x", "csrf_token": "forged"}).status_code == 400
    assert _counts() == (0, 0)

    token = csrf_token_in(page)
    done = client.post(action, data={"note": "Báo cáo số 12/BC-BNN", "csrf_token": token})
    assert done.status_code == 303, done.get_data(as_text=True)[:3000]
    assert done.location.startswith("/indicator?") and "year=2025" in done.location
    [publication] = _publications()
    user = db.session.scalar(select(User).where(User.email == NATIONAL_EMAIL))
    assert user is not None
    assert (
        publication.scope,
        publication.year,
        publication.period_end,
        publication.published_by_id,
        publication.note,
    ) == (NATIONAL, 2025, date(2025, 12, 14), user.id, "Báo cáo số 12/BC-BNN")

    shown = _html(client, done.location)
    assert 'class="flash flash-success"' in shown
    panel = _panel(shown)
    assert 'data-testid="publish-form"' not in panel
    # The published figure of A beside today's: 4 of 9 both, nothing changed yet.
    assert "44,4" in _cell(panel, "published-percent")
    assert (_cell(panel, "published-numerator"), _cell(panel, "published-denominator")) == (
        "4",
        "9",
    )
    assert (_cell(panel, "today-numerator"), _cell(panel, "today-denominator")) == ("4", "9")
    when = _found(r'data-testid="published-when">(.*?)</p>', panel)
    assert f"người công bố: {NATIONAL_NAME}," in when  # a name, not an id
    assert "phiên bản 1" in panel
    assert "Báo cáo số 12/BC-BNN" in _found(r'data-testid="published-note">(.*?)</p>', panel)
    assert "Không có hợp tác xã nào" in _found(r'data-testid="published-changes">(.*?)</p>', panel)
    assert f'href="/indicator/publications/{publication.id}"' in panel
    # Another variant shows its own published figure: B, 5 of 9.
    b_panel = _panel(_html(client, "/indicator?variant=B&year=2025"))
    assert (_cell(b_panel, "published-numerator"), _cell(b_panel, "published-denominator")) == (
        "5",
        "9",
    )

    # Publishing the same period again (another tab, a double click): a message, 409,
    # nothing written.
    before = _counts()
    again = client.post(action, data={"note": "lần hai", "csrf_token": token})
    assert again.status_code == 409, again.get_data(as_text=True)[:3000]
    errors = _publish_errors(again.get_data(as_text=True))
    assert "đã được công bố" in errors and "2024-12-15" in errors
    assert _counts() == before
    assert [p.note for p in _publications()] == ["Báo cáo số 12/BC-BNN"]


def test_a_period_not_over_is_not_offered_and_refused_beside_the_form(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    _as_national(client)
    # Statistical year 2026 ends on 14 Dec 2026: not over on the suite's day.
    this_year = "/indicator?variant=A&year=2026"
    if date(2026, 12, 14) >= local_today():
        panel = _panel(_html(client, this_year))
        assert 'data-testid="publish-form"' not in panel
        assert "chưa kết thúc" in panel
        refused = client.post("/indicator/publications/new?variant=A&year=2026", data={})
        assert refused.status_code == 422
        assert "chưa kết thúc" in _publish_errors(refused.get_data(as_text=True))
    # A note too long is said beside the note, and nothing is written.
    long_note = client.post(PUBLISH, data={"note": "x" * 5001})
    assert long_note.status_code == 422
    assert "5000" in error_beside(long_note.get_data(as_text=True), "note")
    # Filters that cannot be read: beside their field, nothing published.
    unreadable = client.post("/indicator/publications/new?year=abc", data={})
    assert unreadable.status_code == 400
    assert error_beside(unreadable.get_data(as_text=True), "year")
    assert _counts() == (0, 0)
    # A GET of the publishing URL goes back to the dashboard.
    back = client.get(PUBLISH)
    assert back.status_code == 303 and back.location.startswith("/indicator?")


def test_those_who_may_not_publish_read_not_published_yet(
    client: FlaskClient, world: IndicatorWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as_national(client)
    monkeypatch.setattr(publications, "may_publish", lambda actor, scope: False)
    panel = _panel(_html(client, DASHBOARD))
    assert 'data-testid="publish-form"' not in panel
    assert _found(r'data-testid="not-published">(.*?)</p>', panel).strip() == ("Chưa được công bố.")


def test_a_date_range_is_published_and_found_again(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    _as_national(client)
    query = "variant=B&period=range&from=2025-01-01&to=2025-06-30"
    assert 'data-testid="publish-form"' in _panel(_html(client, f"/indicator?{query}"))
    done = client.post(f"/indicator/publications/new?{query}", data={})
    assert done.status_code == 303, done.get_data(as_text=True)[:2000]
    [publication] = _publications()
    assert (
        publication.period_kind.value,
        publication.year,
        publication.period_start,
        publication.period_end,
    ) == ("range", None, date(2025, 1, 1), date(2025, 6, 30))
    shown = _html(client, done.location)
    assert "đã được công bố" in _found(r'class="flash flash-success"[^>]*>(.*?)</p>', shown)
    panel = _panel(shown)
    assert 'data-testid="published-table"' in panel and 'data-testid="publish-form"' not in panel
    # The statistical year around it is another period, still to publish.
    assert 'data-testid="publish-form"' in _panel(_html(client, "/indicator?year=2025"))
    english = _html(client, f"/indicator/publications/{publication.id}?lang=en")
    assert "Every variant, published and today" in english
    assert 'href="/indicator?period=range&amp;from=2025-01-01&amp;to=2025-06-30"' in english


# --------------------------------------------------------------------------- changes


def test_a_later_change_shows_on_the_dashboard_and_the_comparison_page(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    _as_national(client)
    assert client.post(PUBLISH, data={"note": ""}).status_code == 303
    [publication] = _publications()
    _dissolve(world, "h2")  # it counted in A and B; C, D, E had it in the denominator

    panel = _panel(_html(client, DASHBOARD))
    assert (_cell(panel, "published-numerator"), _cell(panel, "published-denominator")) == (
        "4",
        "9",
    )
    assert (_cell(panel, "today-numerator"), _cell(panel, "today-denominator")) == ("3", "8")
    difference = _found(r'data-testid="difference-row">(.*?)</tr>', panel)
    assert "−1" in difference and "−6,9" in difference  # 37,5 − 44,44 points
    changes = _found(r'data-testid="published-changes">(.*?)</p>', panel)
    assert "0 HTX vào số được tính" in changes, changes
    assert "1 HTX ra khỏi số được tính" in changes, changes
    compare_url = f"/indicator/publications/{publication.id}"
    assert f'href="{compare_url}"' in panel

    page = _html(client, compare_url)
    assert NATIONAL_NAME in _found(r'data-testid="published-by">(.*?)</dd>', page)
    rows = re.findall(r'data-testid="comparison-row" data-variant="(\w)"', page)
    assert rows == ["A", "B", "C", "D", "E", "V"]
    a_row = _found(r'data-variant="A">(.*?)</tr>', page)
    assert "4 / 9" in a_row and "3 / 8" in a_row
    assert f'href="{compare_url}?variant=A&amp;kind=left"' in a_row
    assert set(_change_rows(page)) == {
        ("A", "left", "Indicator h2"),
        ("B", "left", "Indicator h2"),
        ("C", "left_denominator", "Indicator h2"),
        ("D", "left_denominator", "Indicator h2"),
        ("E", "left_denominator", "Indicator h2"),
    }

    # Under A: counted then through its contract, today closed on the reference day.
    left = _html(client, f"{compare_url}?variant=A&kind=left")
    assert _change_rows(left) == [("A", "left", "Indicator h2")]
    row = _found(r'<tr data-testid="change-row".*?</tr>', left, 0)
    then = _found(r'data-testid="change-published">(.*?)</td>', row)
    assert "Được tính" in then and "LK-T-K2" in then
    today = _found(r'data-testid="change-today">(.*?)</td>', row)
    assert _reason("closed_on_reference_day") in today and "Không thuộc mẫu số" in today
    # Under C it never counted: both reasons are named.
    c_row = _html(client, f"{compare_url}?variant=C")
    then_reason = _found(r'data-testid="published-reason">([^<]*)<', c_row)
    today_reason = _found(r'data-testid="today-reason">([^<]*)<', c_row)
    assert then_reason and today_reason == _reason("closed_on_reference_day")
    assert then_reason != today_reason
    # The publication did not move.
    assert _html(client, "/indicator/publications").count('data-testid="publication-row"') == 1
    assert "44,4" in _cell(_panel(_html(client, DASHBOARD)), "published-percent")


def test_the_changes_download_as_csv_and_xlsx(client: FlaskClient, world: IndicatorWorld) -> None:
    _as_national(client)
    assert client.post(PUBLISH, data={}).status_code == 303
    [publication] = _publications()
    _dissolve(world, "h2")
    base = f"/indicator/publications/{publication.id}/changes"

    response = client.get(f"{base}.csv?variant=A")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    filename = _found(r'filename="([^"]+)"', response.headers["Content-Disposition"])
    assert filename.startswith(f"htx-publication-{publication.id}-changes-A-sy2025-vn-asof-")
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header[:4] == ["Biến thể", "Thay đổi", "Mã số đăng ký", "Hợp tác xã"]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert (row["Biến thể"], row["Hợp tác xã"], row["Mã tỉnh, thành phố"]) == (
        "A",
        "Indicator h2",
        HANOI,
    )
    assert row["Thay đổi"] == "Ra khỏi số được tính"
    assert row["Khi công bố: hợp đồng"] == "LK-T-K2"
    assert row["Hôm nay: lý do"] == _reason("closed_on_reference_day")
    # Every row of every variant, whatever the page shows.
    everything = client.get(f"{base}.csv").get_data().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(everything)))) == 1 + 5

    book = load_workbook(io.BytesIO(client.get(f"{base}.xlsx").get_data()))
    sheet = book["changes"]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert len(values) == 1 + 5 and {r[3] for r in values[1:]} == {"Indicator h2"}
    about = {r[0].value: r[1].value for r in book.worksheets[1].iter_rows() if r[0].value}
    assert about["Người công bố"] == NATIONAL_NAME
    assert about["Phạm vi"] == "Toàn quốc"


def test_a_province_authority_publishes_and_reads_its_province_only(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    national = _admin_publishes()
    hanoi = _admin_publishes(province=HANOI)
    _as_hcmc(client)
    panel = _panel(_html(client, DASHBOARD))
    assert 'data-testid="publish-form"' in panel  # its province is not published yet
    assert "Thành phố Hồ Chí Minh" in _found(r'data-testid="not-published">(.*?)</p>', panel)
    # Asking for Hà Nội in the URL still publishes its own province.
    done = client.post(f"{PUBLISH}&province={HANOI}", data={"note": "Sở NN&MT"})
    assert done.status_code == 303, done.get_data(as_text=True)[:2000]
    own = _publications()[-1]
    assert own.scope == HCMC
    again = client.post(f"{PUBLISH}&province={HANOI}", data={})
    assert again.status_code == 409 and len(_publications()) == 3

    _dissolve(world, "h2")
    _dissolve(world, "h10")
    panel = _panel(_html(client, DASHBOARD))
    assert (_cell(panel, "published-numerator"), _cell(panel, "published-denominator")) == (
        "1",
        "1",
    )
    assert (_cell(panel, "today-numerator"), _cell(panel, "today-denominator")) == ("0", "0")
    # Its own publication, and its slice of the national one: h10 only, never h2.
    pages: dict[int, str] = {}  # the comparison pages, each asked once (0.3 s of CPU each)
    for publication in (own, national):
        page = pages[publication.id] = _html(client, f"/indicator/publications/{publication.id}")
        assert "Thành phố Hồ Chí Minh" in _found(r'data-testid="publication-scope">(.*?)</p>', page)
        named = {name for _v, _k, name in _change_rows(page)}
        assert named == {"Indicator h10"}, publication.scope
        assert "Indicator h2" not in page
        csv_text = (
            client.get(f"/indicator/publications/{publication.id}/changes.csv")
            .get_data()
            .decode("utf-8-sig")
        )
        assert "Indicator h10" in csv_text and "Indicator h2" not in csv_text
    sliced = _found(r'data-variant="A">(.*?)</tr>', pages[national.id])
    assert "1 / 1" in sliced and "0 / 0" in sliced
    # Another province's publication is none of its business.
    for url in (
        f"/indicator/publications/{hanoi.id}",
        f"/indicator/publications/{hanoi.id}/changes.xlsx",
    ):
        assert client.get(url).status_code == 404, url
    listing = _html(client, "/indicator/publications")
    assert listing.count('data-testid="publication-row"') == 3
    assert f'href="/indicator/publications/{hanoi.id}"' not in listing
    assert f'href="/indicator/publications/{own.id}"' in listing
    assert f'href="/indicator/publications/{national.id}"' in listing


# --------------------------------------------------------------------------- bad input


def test_bad_input_on_the_comparison_page_is_said_beside_its_field(
    client: FlaskClient, world: IndicatorWorld
) -> None:
    _as_national(client)
    publication = _admin_publishes()
    url = f"/indicator/publications/{publication.id}"
    volume = client.get(f"{url}?variant=V")
    assert volume.status_code == 422
    assert "A đến E" in error_beside(volume.get_data(as_text=True), "variant")
    kind = client.get(f"{url}?kind=moved")
    assert kind.status_code == 422
    assert error_beside(kind.get_data(as_text=True), "kind")
    nul = client.get(f"{url}?variant=A%00")
    assert nul.status_code == 422
    refused_file = client.get(f"{url}/changes.csv?variant=Z")
    assert refused_file.status_code == 422 and refused_file.mimetype == "text/html"
    assert client.get(f"/indicator/publications/{publication.id + 1000}").status_code == 404
    assert client.get(f"{url}?page=999").status_code == 200
    assert _counts()[0] == 1


def test_a_note_is_shown_as_text_not_markup(client: FlaskClient, world: IndicatorWorld) -> None:
    _as_national(client)
    note = '<script>alert("công bố")</script>'
    assert client.post(PUBLISH, data={"note": note}).status_code == 303
    [publication] = _publications()
    assert publication.note == note
    for url in (DASHBOARD, f"/indicator/publications/{publication.id}", "/indicator/publications"):
        html = _html(client, url)
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert(" in html, url
