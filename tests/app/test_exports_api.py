"""The exports API: a lot's trace as an EPCIS document and FSMA 204 spreadsheets of a trace
or of a cooperative's period, as attachments; 404 for strangers, 422 for bad ranges."""

from __future__ import annotations

import csv
import io

import orjson
import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from core.actor import PlatformRole
from tests.factories import make_user_with_token
from tests.traceability.batch_factories import make_party
from tests.traceability.test_exports import Chain, build_chain
from traceability.epcis.validation import validate_document
from traceability.services import exports_fsma as fsma


@pytest.fixture()
def chain() -> Chain:
    return build_chain()


def _csv(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_trace_epcis_export_is_a_valid_attachment(client: FlaskClient, chain: Chain) -> None:
    res = client.get(f"/api/batches/{chain.harvest.id}/exports/epcis.json",
                     headers=chain.coop.staff_headers)
    assert res.status_code == 200, res.data
    assert res.mimetype == "application/ld+json"
    disposition = res.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="trace-{chain.harvest.lot_code}-' in disposition
    document = orjson.loads(res.data)
    validate_document(document)
    events = document["epcisBody"]["eventList"]
    got = {e["eventID"] for e in events}
    # The buyer's receiving is there; its booking and roasting are its own business.
    assert chain.ids["receiving"] in got
    assert chain.ids["booking"] not in got and chain.ids["roasting"] not in got
    # The withdrawn cooling and its error declaration (same eventID) are both there.
    assert len(events) == 7 and sum("errorDeclaration" in e for e in events) == 1


def test_trace_csv_export_has_a_row_per_cte(client: FlaskClient, chain: Chain) -> None:
    res = client.get(f"/api/batches/{chain.harvest.id}/exports/fsma204.csv",
                     headers=chain.coop.staff_headers)
    assert res.status_code == 200
    assert res.mimetype == "text/csv" and res.mimetype_params["charset"] == "utf-8"
    assert res.headers["Content-Type"] == "text/csv; charset=utf-8"  # charset once
    assert "fsma204-" in res.headers["Content-Disposition"]
    table = _csv(res.data)
    assert table[0] == fsma.header_labels()
    assert [r[0] for r in table[1:]] == [
        "Harvesting", "Cooling", "Initial packing", "Shipping", "Receiving"
    ]
    receiving = dict(zip(table[0], table[5], strict=True))
    assert receiving["Traceability lot code (TLC)"] == "PK-0302"
    assert receiving["New TLC"] == "RX-01" and receiving["Quantity"] == "600"


def test_trace_xlsx_export_opens_with_frozen_header_and_filter(
    client: FlaskClient, chain: Chain
) -> None:
    res = client.get(f"/api/batches/{chain.harvest.id}/exports/fsma204.xlsx",
                     headers=chain.coop.staff_headers)
    assert res.status_code == 200 and res.mimetype == fsma.XLSX_MEDIA_TYPE
    assert f'fsma204-{chain.harvest.lot_code}-' in res.headers["Content-Disposition"]
    assert '.xlsx"' in res.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(res.data))["FSMA 204"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:Y6"
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [
        "Harvesting", "Cooling", "Initial packing", "Shipping", "Receiving"
    ]


def test_a_stranger_gets_404_for_every_trace_export(client: FlaskClient, chain: Chain) -> None:
    stranger = make_party("HTX Khác")
    for suffix in ("epcis.json", "fsma204.csv", "fsma204.xlsx"):
        res = client.get(f"/api/batches/{chain.harvest.id}/exports/{suffix}",
                         headers=stranger.staff_headers)
        assert res.status_code == 404, suffix
        assert res.mimetype == "application/problem+json"
    assert client.get(f"/api/batches/{chain.harvest.id}/exports/epcis.json").status_code == 401


def test_cooperative_range_export_csv_and_xlsx(client: FlaskClient, chain: Chain) -> None:
    url = f"/api/organisations/{chain.coop.org.id}/exports/fsma204"
    query = "?from=2026-03-01&to=2026-03-31"
    res = client.get(url + ".csv" + query, headers=chain.coop.admin_headers)
    assert res.status_code == 200, res.data
    assert res.headers["Content-Type"] == "text/csv; charset=utf-8"  # charset once
    assert (
        f'filename="fsma204-{chain.coop.org.registration_code}-2026-03-01-2026-03-31.csv"'
        in res.headers["Content-Disposition"]
    )
    table = _csv(res.data)
    assert [r[0] for r in table[1:]] == ["Harvesting", "Cooling", "Initial packing", "Shipping"]
    res = client.get(url + ".xlsx" + query, headers=chain.coop.admin_headers)
    assert res.status_code == 200
    rows = list(load_workbook(io.BytesIO(res.data))["FSMA 204"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["Harvesting", "Cooling", "Initial packing", "Shipping"]


def test_range_export_is_refused_to_other_organisations(client: FlaskClient, chain: Chain) -> None:
    url = (f"/api/organisations/{chain.coop.org.id}/exports/fsma204.csv"
           "?from=2026-03-01&to=2026-03-31")
    assert client.get(url, headers=chain.dn.staff_headers).status_code == 404
    _user, headers = make_user_with_token(platform_role=PlatformRole.ADMIN)
    assert client.get(url, headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("to=2026-03-31", "from"),
        ("from=2026-13-01&to=2026-03-31", "from"),
        ("from=2026-03-31&to=2026-03-01", "to"),
        ("from=2025-01-01&to=2026-03-01", "to"),
    ],
)
def test_bad_range_is_a_422_problem_naming_the_field(
    client: FlaskClient, chain: Chain, query: str, field: str
) -> None:
    res = client.get(f"/api/organisations/{chain.coop.org.id}/exports/fsma204.xlsx?{query}",
                     headers=chain.coop.staff_headers)
    assert res.status_code == 422
    assert res.mimetype == "application/problem+json"
    assert [e["field"] for e in res.json["errors"]] == [field]


def test_unknown_query_parameters_are_refused(client: FlaskClient, chain: Chain) -> None:
    res = client.get(f"/api/batches/{chain.harvest.id}/exports/fsma204.csv?colour=red",
                     headers=chain.coop.staff_headers)
    assert res.status_code == 422


def test_exports_are_documented_with_their_media_types(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    path = spec["paths"]["/api/batches/{batch_id}/exports/fsma204.xlsx"]["get"]
    assert fsma.XLSX_MEDIA_TYPE in path["responses"]["200"]["content"]
    assert "/api/organisations/{organisation_id}/exports/fsma204.csv" in spec["paths"]


def test_vietnamese_headers_on_request(client: FlaskClient, chain: Chain) -> None:
    res = client.get(f"/api/batches/{chain.harvest.id}/exports/fsma204.csv?lang=vi",
                     headers=chain.coop.staff_headers)
    assert res.status_code == 200
    table = _csv(res.data)
    assert len(table[0]) == len(fsma.COLUMNS) and len(table) == 6
