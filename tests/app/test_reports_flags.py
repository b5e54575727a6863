"""The cooperative's overview of its lots whose scans carry a warning sign (issue 10 §5:
"Cooperatives see scan counts, flags and reports for their batches"): a summary on
``/reports`` and the list on ``/reports/flags``, each lot with its signs and a link to its
scans; another organisation sees none of them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert

from core.db import db
from tests.app.web_support import login, make_user
from tests.factories import api_client
from tests.traceability.trace_world import TraceWorld, at, build_trace_world
from traceability.models import Scan
from traceability.services import recording, scan_flags

world = pytest.fixture(build_trace_world, name="world")


def _scans(lot: Any, count: int, *, serial: str | None = None, when: Any = None) -> None:
    db.session.execute(insert(Scan.__table__), [
        {"scanned_at": when or at(10, 9), "batch_id": lot.id, "product_id": lot.product_id,
         "serial": serial, "level": "serial" if serial else "lot", "language": "vi",
         "fingerprint": f"{i:064d}"}
        for i in range(count)
    ])


def _signed_in(app: Flask, email: str, org: Any) -> FlaskClient:
    client = api_client(app)
    make_user(email, org)
    login(client, email)
    return client


def _html(response: Any) -> str:
    return str(response.get_data(as_text=True))


@pytest.fixture()
def flagged(app: Flask, world: TraceWorld, monkeypatch: pytest.MonkeyPatch) -> TraceWorld:
    """The coop's harvest: a serial scanned 3 times (over a maximum of 2) and scans after
    its recall; the roaster's lot: scans long after its expiry."""
    monkeypatch.setitem(app.config, "SCAN_FLAG_SERIAL_MAX", 2)
    _scans(world.harvest, 3, serial="S-7")
    recording.record_recall(world.coop.staff, world.harvest.id, at=at(9, 9))
    world.roasted_lot.expiry = date(2026, 1, 1)
    _scans(world.roasted_lot, 1, when=at(12, 9).replace(year=2026, month=6))
    _scans(world.received, 1)  # a lot scanned, with no sign
    db.session.commit()
    return world


def test_the_reports_page_sums_up_the_lots_with_warning_signs(app, flagged):
    coop = _signed_in(app, "lan@socson.vn", flagged.coop.org)
    html = _html(coop.get("/reports", query_string={"lang": "en"}))
    summary = html.split('data-testid="flag-summary"', 1)[1].split("</section>", 1)[0]
    assert "1 lot with warning signs in its scans" in summary
    assert "1 with a serial number scanned too often" in summary
    assert "1 scanned after its recall" in summary
    assert "expiry" not in summary


def test_the_list_shows_each_lot_with_its_signs_and_a_link_to_its_scans(app, flagged):
    coop = _signed_in(app, "lan@socson.vn", flagged.coop.org)
    html = _html(coop.get("/reports/flags", query_string={"lang": "en"}))
    rows = html.split('data-testid="flagged-lot"')[1:]
    assert len(rows) == 1
    assert flagged.harvest.lot_code in rows[0]
    assert f'/batches/{flagged.harvest.id}#scans-heading' in rows[0]
    assert 'data-flag="copied_serials"' in rows[0] and 'data-flag="after_recall"' in rows[0]
    assert 'data-flag="after_expiry"' not in rows[0]
    roaster = _signed_in(app, "an@rangxay.vn", flagged.roaster.org)
    theirs = _html(roaster.get("/reports/flags", query_string={"lang": "en"}))
    assert theirs.count('data-testid="flagged-lot"') == 1
    assert flagged.roasted_lot.lot_code in theirs and flagged.harvest.lot_code not in theirs
    assert 'data-flag="after_expiry"' in theirs


def test_another_organisation_sees_none_of_the_signs(app, flagged):
    other = _signed_in(app, "mai@khac.vn", flagged.other_buyer.org)
    html = _html(other.get("/reports/flags", query_string={"lang": "en"}))
    assert 'data-testid="flagged-lot"' not in html
    assert "No lot has warning signs in its scans." in html
    assert 'data-testid="flag-summary"' not in _html(other.get("/reports"))
    # Naming another organisation's lots gets no signs either.
    assert scan_flags.flags_of(flagged.other_buyer.staff, [flagged.harvest.id]) == {}


def test_signed_out_the_list_asks_to_sign_in(client):
    response = client.get("/reports/flags")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
