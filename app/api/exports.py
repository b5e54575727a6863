"""Exports of traceability records (files, not JSON resources):

- ``GET /api/batches/<id>/exports/epcis.json`` — the whole trace of a lot (its events and
  those of its ancestors and descendants that the caller may read) as an EPCIS 2.0
  ``EPCISDocument`` validated against the official schema; withdrawn events are in it with
  their error declarations (the faithful record).
- ``GET /api/batches/<id>/exports/fsma204.csv|.xlsx`` — the FSMA 204 key data elements of
  that trace as a sortable spreadsheet (one row per critical tracking event × lot).
- ``GET /api/organisations/<id>/exports/fsma204.csv|.xlsx?from=YYYY-MM-DD&to=YYYY-MM-DD`` —
  the same for every event the organisation recorded in the period (at most 366 days); the
  CSV is streamed. For the organisation itself, a platform admin or an authority in scope.

Headers are English; ``?lang=vi`` gives them (and the event names) in Vietnamese. Each file
comes as an attachment with a descriptive name. A lot the caller may not read, or an
organisation whose records it may not read, answers 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import marshmallow as ma
import orjson
from flask import Response, stream_with_context
from flask.views import MethodView

from app.api.base import ApiBlueprint
from app.auth.current import current_actor
from app.downloads import attachment
from core.i18n import _l
from core.schemas import StrictSchema, iso_in_calendar
from traceability.services import exports
from traceability.services import exports_fsma as fsma

blp = ApiBlueprint(
    "api_exports",
    __name__,
    url_prefix="/api",
    description="Exports of traceability records: EPCIS 2.0 documents and FSMA 204 "
    "spreadsheets (CSV, XLSX).",
)

EPCIS_MEDIA_TYPE = "application/ld+json"
# Files are returned as Flask responses; these only document them in the OpenAPI spec.
FILE = {"type": "string", "format": "binary"}
EPCIS_DOCUMENT = {
    "type": "object",
    "description": "An EPCISDocument (EPCIS 2.0 JSON-LD), valid against GS1's JSON schema.",
}


class FormatArgs(StrictSchema):
    lang = ma.fields.String(
        load_default=None,
        metadata={"description": "``vi`` for Vietnamese column headers (default English)."},
    )


class RangeArgs(FormatArgs):
    # Kept as text: the service names the failing parameter in one consistent 422.
    date_from = ma.fields.String(
        data_key="from",
        load_default=None,
        validate=iso_in_calendar,
        metadata={"description": "First day, YYYY-MM-DD."},
    )
    date_to = ma.fields.String(
        data_key="to",
        load_default=None,
        validate=iso_in_calendar,
        metadata={"description": "Last day (inclusive), YYYY-MM-DD; at most 366 days."},
    )


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d")


def _localised(args: dict[str, Any]) -> bool:
    return args.get("lang") == "vi"


@blp.route("/batches/<int:batch_id>/exports/epcis.json")
class BatchEpcisExport(MethodView):
    @blp.response(
        200,
        EPCIS_DOCUMENT,
        content_type=EPCIS_MEDIA_TYPE,
        description="An EPCISDocument (EPCIS 2.0 JSON-LD) with the events of the lot's trace.",
    )
    def get(self, batch_id: int) -> Response:
        """The lot's whole trace as an EPCIS 2.0 document: the events of the lot, of its
        ancestors and of its descendants that the caller may read, in time order,
        withdrawn events included with their error declarations."""
        actor = current_actor()
        batch, document = exports.trace_epcis_document(actor, batch_id)
        return attachment(
            orjson.dumps(document),
            EPCIS_MEDIA_TYPE,
            f"trace-{batch.lot_code}-{_stamp()}.epcis.json",
        )


def _batch_sheet(batch_id: int, args: dict[str, Any], kind: str) -> Response:
    localised = _localised(args)
    batch, rows = fsma.trace_kde_rows(current_actor(), batch_id, localised=localised)
    name = f"fsma204-{batch.lot_code}-{_stamp()}.{kind}"
    if kind == "csv":
        return attachment(
            "".join(fsma.csv_chunks(rows, localised=localised)),
            fsma.CSV_MEDIA_TYPE,
            name,
        )
    body = fsma.xlsx_bytes(
        rows,
        localised=localised,
        title=f"FSMA 204 — {batch.lot_code}",
        about=[(_l("Lot"), batch.lot_code), (_l("Identifier"), batch.identifier)],
    )
    return attachment(body, fsma.XLSX_MEDIA_TYPE, name)


@blp.route("/batches/<int:batch_id>/exports/fsma204.csv")
class BatchFsmaCsv(MethodView):
    @blp.arguments(FormatArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, FILE, content_type="text/csv", description="UTF-8 CSV with a BOM.")
    def get(self, args: dict[str, Any], batch_id: int) -> Response:
        """FSMA 204 key data elements of the lot's trace, one row per CTE × lot, as CSV."""
        return _batch_sheet(batch_id, args, "csv")


@blp.route("/batches/<int:batch_id>/exports/fsma204.xlsx")
class BatchFsmaXlsx(MethodView):
    @blp.arguments(FormatArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, FILE, content_type=fsma.XLSX_MEDIA_TYPE, description="An XLSX workbook.")
    def get(self, args: dict[str, Any], batch_id: int) -> Response:
        """FSMA 204 key data elements of the lot's trace as an XLSX workbook (frozen
        header, auto-filter, real dates)."""
        return _batch_sheet(batch_id, args, "xlsx")


def _range_sheet(organisation_id: int, args: dict[str, Any], kind: str) -> Response:
    period = exports.parse_range(args.get("date_from"), args.get("date_to"))
    localised = _localised(args)
    org, rows = fsma.organisation_kde_rows(
        current_actor(), organisation_id, period, localised=localised
    )
    name = (
        f"fsma204-{org.registration_code}-{period.start.isoformat()}"
        f"-{period.end.isoformat()}.{kind}"
    )
    if kind == "csv":
        # Streamed: a year of a large cooperative's records never sits in memory whole.
        chunks = stream_with_context(fsma.csv_chunks(rows, localised=localised))
        return attachment(chunks, fsma.CSV_MEDIA_TYPE, name)
    body = fsma.xlsx_bytes(
        rows,
        localised=localised,
        title=f"FSMA 204 — {org.name}",
        about=[
            (_l("Organisation"), org.name),
            (_l("Registration code"), org.registration_code),
            (_l("From"), period.start.isoformat()),
            (_l("To"), period.end.isoformat()),
        ],
    )
    return attachment(body, fsma.XLSX_MEDIA_TYPE, name)


@blp.route("/organisations/<int:organisation_id>/exports/fsma204.csv")
class OrganisationFsmaCsv(MethodView):
    @blp.arguments(RangeArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, FILE, content_type="text/csv", description="UTF-8 CSV with a BOM, streamed.")
    def get(self, args: dict[str, Any], organisation_id: int) -> Response:
        """FSMA 204 key data elements of every event the organisation recorded from
        ``from`` to ``to`` (inclusive, at most 366 days), as a streamed CSV."""
        return _range_sheet(organisation_id, args, "csv")


@blp.route("/organisations/<int:organisation_id>/exports/fsma204.xlsx")
class OrganisationFsmaXlsx(MethodView):
    @blp.arguments(RangeArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, FILE, content_type=fsma.XLSX_MEDIA_TYPE, description="An XLSX workbook.")
    def get(self, args: dict[str, Any], organisation_id: int) -> Response:
        """The same records as the CSV, as an XLSX workbook."""
        return _range_sheet(organisation_id, args, "xlsx")

