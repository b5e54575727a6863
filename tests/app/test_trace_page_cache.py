"""The trace page's cache and scans over HTTP: a page is rendered once and served from the
cache until an event lands on its lot or an ancestor (through a service or /epcis/capture),
304 for a client's current copy, one scan per GET (never for HEAD, robots or bad codes), the
scan line in both languages, and the flags on the owner's batch page only.

Responses are read with ``buffered=True``: the scan is noted when the response is closed
(after it was sent), which Werkzeug's test client does only for a buffered response. Under
``TESTING`` noted scans wait in the buffer until ``flush_scans`` (the test's own
transaction would otherwise roll back a write made while its request's savepoint is open).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, insert, select

from app.public import views
from core.clock import VIETNAM
from core.db import db
from tests.app.test_epcis_api import capture, document
from tests.app.web_support import login, make_user
from tests.factories import api_client
from tests.own_process import limited_app_script, printed_by
from tests.traceability.trace_world import TraceWorld, at, build_trace_world
from traceability.models import BatchSerial, Scan
from traceability.services import recording, scans

world = pytest.fixture(build_trace_world, name="world")  # tests/traceability/trace_world.py


@pytest.fixture()
def web(app: Flask) -> FlaskClient:
    """Anonymous, as a consumer's phone."""
    return api_client(app)


@pytest.fixture()
def renders(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The key paths whose page data were built (a cache miss), in order."""
    for name in (views._PAGES, views._RECENT):  # empty caches for each test
        app.extensions.pop(name, None)
    scans.app_buffer().take()  # and no scan held from another test
    built: list[str] = []
    real = views.trace_page

    def counting(resolution: Any) -> Any:
        built.append(resolution.key_path)
        return real(resolution)

    monkeypatch.setattr(views, "trace_page", counting)
    yield built
    for name in (views._PAGES, views._RECENT):
        app.extensions.pop(name, None)
    scans.app_buffer().take()


def _get(web: FlaskClient, path: str, **kwargs: Any) -> Any:
    return web.get(path, buffered=True, **kwargs)


def _html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _scans() -> list[Scan]:
    scans.flush_scans()
    return list(db.session.scalars(select(Scan).order_by(Scan.id)))


def _scan_count() -> int:
    scans.flush_scans()
    return int(db.session.scalar(select(func.count()).select_from(Scan)) or 0)


def _url(world: TraceWorld) -> str:
    return f"/trace/{world.roasted_key_path}"


# --------------------------------------------------------------------------- the cache


def _queries_of(web: FlaskClient, path: str) -> tuple[Any, list[str]]:
    """The response and the SELECTs it ran (savepoints aside)."""
    seen: list[str] = []

    def listen(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        return _get(web, path), seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def test_the_page_is_built_once_and_then_served_from_the_cache(web, world, renders):
    first, built = _queries_of(web, _url(world))
    second, served = _queries_of(web, _url(world))
    assert first.status_code == second.status_code == 200
    assert renders == [world.roasted_key_path]
    # Served: the resolution, the version stamp and the scan count, nothing more.
    assert len(served) <= 3 < len(built), served
    assert "Cà phê rang xay Đông Á" in _html(second)
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.headers["ETag"].startswith('W/"')
    assert "no-cache" in first.headers["Cache-Control"]
    assert first.headers["Last-Modified"]


def test_each_language_and_query_is_a_page_of_its_own(web, world, renders):
    _get(web, _url(world))
    _get(web, _url(world), query_string={"lang": "en"})
    _get(web, _url(world), query_string={"lang": "en"})
    english = _get(web, _url(world), headers={"Accept-Language": "en"})
    assert len(renders) == 3  # vi, ?lang=en, and en by Accept-Language (other links)
    assert '<html lang="en">' in _html(english)


def test_an_event_on_the_lot_renders_the_page_afresh(web, world, renders):
    before = _get(web, _url(world)).headers["ETag"]
    recording.record_storing(world.roaster.staff, world.roasted_lot.id, at=at(5, 9))
    db.session.commit()
    after = _get(web, _url(world))
    assert len(renders) == 2 and after.headers["ETag"] != before


def test_a_recall_of_an_ancestor_shows_at_once(web, world, renders):
    assert 'data-testid="recall-banner"' not in _html(_get(web, _url(world)))
    recording.record_recall(world.coop.staff, world.harvest.id, at=at(6, 9))
    db.session.commit()
    html = _html(_get(web, _url(world)))
    assert 'data-testid="recall-banner"' in html and len(renders) == 2


def test_an_event_captured_through_epcis_on_an_ancestor_renders_afresh(web, world, renders):
    first = _get(web, _url(world))
    observed = {
        "type": "ObjectEvent",
        "eventTime": "2026-03-01T20:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "epcList": [],
        "quantityList": [{"epcClass": world.harvest.identifier}],
        "action": "OBSERVE",
        "bizStep": "inspecting",
    }
    reply = capture(web, world.coop.staff_headers, document(observed))
    assert reply.status_code == 201, reply.get_data(as_text=True)
    second = _get(web, _url(world))
    assert len(renders) == 2
    assert "inspecting" in _html(second) and "inspecting" not in _html(first)
    assert second.headers["ETag"] != first.headers["ETag"]
    # The client's copy is no longer current: the whole page again, not a 304.
    third = _get(web, _url(world), headers={"If-None-Match": first.headers["ETag"]})
    assert third.status_code == 200


def _record_lab_result(world: TraceWorld, batch_id: int, owner: Any) -> None:
    from datetime import date

    from traceability.services import lab_results

    lab_results.record_lab_result(
        owner.staff, batch_id, test="pesticide_residues", laboratory="Trung tâm Kiểm nghiệm",
        sampled_on=date(2026, 3, 2), outcome="pass", report_number="KQ-CACHE-1")
    db.session.commit()


@pytest.mark.parametrize("lot", ["roasted_lot", "harvest"])
def test_a_lab_result_on_the_lot_or_an_ancestor_renders_the_page_afresh(
    web, world, renders, lot
):
    first = _get(web, _url(world))
    owner = world.roaster if lot == "roasted_lot" else world.coop
    _record_lab_result(world, getattr(world, lot).id, owner)
    second = _get(web, _url(world))
    assert len(renders) == 2 and second.headers["ETag"] != first.headers["ETag"]
    assert 'data-testid="lab-results"' in _html(second)
    assert 'data-testid="lab-results"' not in _html(first)


@pytest.mark.parametrize("lot", ["roasted_lot", "harvest"])
def test_a_withdrawn_lab_result_renders_the_page_afresh_without_it(web, world, renders, lot):
    from traceability.models import LabResult
    from traceability.services import lab_results

    owner = world.roaster if lot == "roasted_lot" else world.coop
    batch_id = getattr(world, lot).id
    _record_lab_result(world, batch_id, owner)
    first = _get(web, _url(world))
    assert 'data-testid="lab-results"' in _html(first)
    result = db.session.scalar(select(LabResult).where(LabResult.batch_id == batch_id))
    assert result is not None
    lab_results.withdraw_lab_result(owner.staff, batch_id, result.id, "Nhập nhầm")
    db.session.commit()
    second = _get(web, _url(world))
    assert len(renders) == 2 and second.headers["ETag"] != first.headers["ETag"]
    assert 'data-testid="lab-results"' not in _html(second)


def test_an_event_on_another_lot_keeps_the_cached_page(web, world, renders):
    _get(web, _url(world))
    other = recording.record_harvest(
        world.coop.staff, area_ids=[world.area.id], product_id=world.raw.id,
        quantity=10, unit="kg", harvested_on=at(9, 7), lot_code="H-OTHER",
    )
    recording.record_storing(world.coop.staff, other.id, at=at(9, 9))
    db.session.commit()
    _get(web, _url(world))
    assert renders == [world.roasted_key_path]


# --------------------------------------------------------------------------- 304


def test_the_clients_current_copy_gets_304_and_still_counts_as_a_scan(web, world, renders):
    first = _get(web, _url(world))
    again = _get(web, _url(world), headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert "no-cache" in again.headers["Cache-Control"]
    assert _scan_count() == 2
    assert renders == [world.roasted_key_path]
    stale = _get(web, _url(world), headers={"If-None-Match": 'W/"not-this-one"'})
    assert stale.status_code == 200 and _html(stale)


def test_a_copy_from_another_language_is_not_current(web, world, renders):
    english = _get(web, _url(world), query_string={"lang": "en"})
    vietnamese = _get(web, _url(world), headers={"If-None-Match": english.headers["ETag"]})
    assert vietnamese.status_code == 200 and '<html lang="vi">' in _html(vietnamese)


def test_if_modified_since_alone_gets_304_when_nothing_changed(web, world, renders):
    first = _get(web, _url(world))
    again = _get(web, _url(world), headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 304


# --------------------------------------------------------------------------- scans


def test_each_get_records_one_scan_with_a_fingerprint_and_no_address(web, world, renders):
    for _ in range(3):
        _get(web, _url(world), query_string={"lang": "en"},
             environ_base={"REMOTE_ADDR": "198.51.100.4"})
    rows = _scans()
    assert len(rows) == 3
    assert {(r.batch_id, r.serial, r.level, r.language) for r in rows} == {
        (world.roasted_lot.id, None, "lot", "en")
    }
    assert all(len(r.fingerprint) == 64 and "198.51" not in r.fingerprint for r in rows)


def test_a_head_a_robot_or_a_bad_code_records_no_scan(web, world, renders):
    assert web.head(_url(world), buffered=True).status_code == 200
    bot = _get(web, _url(world), headers={"User-Agent": "Googlebot/2.1"})
    assert bot.status_code == 200
    for path, status in (("/trace/01/09506000134352/10/ABC", 404),
                         ("/trace/01/12345678901234/10/ABC", 400),
                         ("/trace/nothing/here", 400)):
        assert _get(web, path).status_code == status
    assert _scan_count() == 0


def test_a_resolver_redirect_and_its_page_are_one_scan(web, world, renders):
    redirect = _get(web, f"/{world.roasted_key_path}", headers={"Accept": "text/html"})
    assert redirect.status_code == 307 and _scan_count() == 0
    path = redirect.location.split("://", 1)[1].split("/", 1)[1]
    assert _get(web, "/" + path).status_code == 200
    assert _scan_count() == 1


def test_an_unregistered_lot_records_a_product_scan_and_is_not_cached(web, world, renders):
    path = f"/trace/01/{world.roasted.gtin}/10/NOT-OURS"
    for _ in range(2):
        response = _get(web, path)
        assert 'data-testid="report-form"' in _html(response)
        assert "ETag" not in response.headers
    assert len(renders) == 2
    assert [(s.batch_id, s.product_id, s.level) for s in _scans()] == [
        (None, world.roasted.id, "product")] * 2


def test_the_page_counts_earlier_scans_of_this_code(web, world, renders):
    lot = world.roasted_lot
    first = _html(_get(web, _url(world), query_string={"lang": "en"}))
    assert "This is the first scan of this code." in first
    second = _html(_get(web, _url(world), query_string={"lang": "en"}))
    assert "This code has been scanned 1 time before, first on" in second
    assert len(renders) == 1  # the count changed, the page was not rebuilt
    db.session.execute(insert(Scan.__table__), [{
        "scanned_at": datetime(2026, 3, 5, 6, 0, tzinfo=VIETNAM), "batch_id": lot.id,
        "product_id": lot.product_id, "serial": None, "level": "lot", "language": "vi",
        "fingerprint": "f" * 64,
    }])
    english = _html(_get(web, _url(world), query_string={"lang": "en"}))
    assert "This code has been scanned 3 times before, first on Mar 5, 2026." in english
    vietnamese = _html(_get(web, _url(world)))
    assert 'data-testid="scans"' in vietnamese and "5 thg 3, 2026" in vietnamese
    assert "4" in vietnamese.split('data-testid="scans"', 1)[1].split("</p>", 1)[0]


def test_a_serial_counts_its_own_scans_and_warns_when_copied(app, web, world, renders,
                                                             monkeypatch):
    monkeypatch.setitem(app.config, "SCAN_FLAG_SERIAL_MAX", 2)
    db.session.add(BatchSerial(batch_id=world.roasted_lot.id, serial="S-1"))
    db.session.commit()
    url = f"{_url(world)}/21/S-1"
    _get(web, _url(world))  # the lot's own label: not this code
    pages = [_html(_get(web, url, query_string={"lang": "en"})) for _ in range(4)]
    assert "This is the first scan of this code." in pages[0]
    assert "scanned 2 times before" in pages[2] and 'data-testid="scans-warning"' not in pages[2]
    assert "scanned 3 times before" in pages[3] and 'data-testid="scans-warning"' in pages[3]
    assert [s.serial for s in _scans()] == [None, "S-1", "S-1", "S-1", "S-1"]
    assert {s.level for s in _scans()[1:]} == {"serial"}


# --------------------------------------------------------------------------- batch page


def _signed_in(app: Flask, email: str, org: Any) -> FlaskClient:
    client = api_client(app)
    make_user(email, org)
    login(client, email)
    return client


def test_the_owner_sees_scans_and_flags_on_the_batch_page_and_a_buyer_does_not(
    app, world, monkeypatch
):
    monkeypatch.setitem(app.config, "SCAN_FLAG_SERIAL_MAX", 2)
    lot = world.harvest
    db.session.execute(insert(Scan.__table__), [
        {"scanned_at": at(10, 9), "batch_id": lot.id, "product_id": lot.product_id,
         "serial": "S-7", "level": "serial", "language": "vi", "fingerprint": f"{i:064d}"}
        for i in range(3)
    ])
    recording.record_recall(world.coop.staff, lot.id, at=at(9, 9))
    db.session.commit()
    coop = _signed_in(app, "lan@socson.vn", world.coop.org)
    html = _html(coop.get(f"/batches/{lot.id}", query_string={"lang": "en"}))
    assert 'data-testid="batch-scans"' in html
    assert "Scanned 3 times · 3 distinct clients" in html
    assert 'data-testid="flag-serials"' in html and "S-7" in html
    assert 'data-testid="flag-recalled"' in html and lot.lot_code in html
    # The roaster bought from this lot and opens its page, without its scans.
    roaster = _signed_in(app, "an@rangxay.vn", world.roaster.org)
    page = roaster.get(f"/batches/{lot.id}", query_string={"lang": "en"})
    assert page.status_code == 200
    assert 'data-testid="batch-scans"' not in _html(page) and "S-7" not in _html(page)


# --------------------------------------------------------------------------- floods

# The limiter is one object per process, off in the session's app (tests/own_process.py).
_FLOOD_SCRIPT = limited_app_script("""
from traceability.models import Scan

with app.app_context():
    from tests.factories import make_org
    from tests.traceability.batch_factories import make_product, new_gtin
    gtin = make_product(make_org("HTX Lũ"), gtin=new_gtin()).gtin


def get(addr, path):
    response = client.get(path, buffered=True, environ_base={"REMOTE_ADDR": addr})
    return str(response.status_code)


codes = [get("10.9.0.1", "/trace/01/" + gtin) for _ in range(5)]
codes += [get("10.9.0.2", "/trace/01/12345678901234"), get("10.9.0.2", "/trace/%00"),
          get("10.9.0.3", "/trace/01/" + gtin)]
with app.app_context():
    from traceability.services.scans import flush_scans
    flush_scans()
    stored = db.session.query(Scan).count()
print("codes=" + ",".join(codes))
print("stored=" + str(stored))
""", RATELIMIT_TRACE="3 per minute")


def test_a_flood_of_scans_gets_429_and_stores_nothing_more(tmp_path: Path):
    printed = dict(w.split("=", 1) for w in printed_by(_FLOOD_SCRIPT, tmp_path))
    assert printed["codes"].split(",") == ["200"] * 3 + ["429"] * 2 + ["400", "400", "200"]
    assert printed["stored"] == "4"  # three of the first client, one of the last
