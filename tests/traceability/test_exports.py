"""Exports of traceability records: the EPCIS document of a lot's trace and the FSMA 204
key data elements (CSV and XLSX) of a trace or of a cooperative over a date range."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.actor import PlatformRole
from core.clock import VIETNAM
from core.errors import NotFound, ValidationFailed
from linkages.models.organisations import OrgType
from tests.factories import actor_of, make_user_with_token
from tests.traceability.batch_factories import Party, make_area, make_party, make_product, new_gtin
from traceability.epcis.validation import EPCIS_CONTEXT_URL, validate_document
from traceability.models import Batch
from traceability.services import exports
from traceability.services import exports_fsma as fsma
from traceability.services import recording as be

VN = VIETNAM
DAY = date(2026, 3, 2)


def at(hour: int, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=VN)


@dataclass
class Chain:
    coop: Party
    dn: Party
    harvest: Batch
    packed: Batch
    booked: Batch
    roasted: Batch
    ids: dict[str, str]  # step → eventID


@pytest.fixture()
def chain() -> Chain:
    return build_chain()


def build_chain() -> Chain:
    """harvest → cooling (withdrawn) → cooling → pack into a new lot → ship (PO, despatch) →
    receive into the buyer's lot → the buyer roasts it."""
    coop = make_party("HTX Cà phê Cầu Đất")
    dn = make_party("Công ty Rang xay", OrgType.DN)
    area = make_area(coop.org, code="A1", planting_area_code="VN-LD-001")
    product = make_product(coop.org, gtin=new_gtin(), name="Cà phê nhân Arabica")
    harvest = be.record_harvest(
        coop.staff, area_ids=[area.id], product_id=product.id, quantity=Decimal(1000),
        unit="kg", harvested_on=at(6),
    )
    wrong = be.record_cooling(coop.staff, harvest.id, at=at(7))
    declared = be.correct_event(coop.admin, wrong.event_ids[0], reason="did_not_occur")
    cooled = be.record_cooling(coop.staff, harvest.id, at=at(8))
    packed = be.record_packing(coop.staff, harvest.id, at=at(9), into_new_lot=True,
                               lot_code="PK-0302")
    shipped = be.record_shipping(
        coop.staff, packed.batch.id, to_organisation_id=dn.org.id, quantity=Decimal(600),
        unit="kg", shipped_at=at(10), purchase_order="PO-77", despatch_ref="DN-9",
    )
    received = be.record_receiving(dn.staff, shipped.shipment.id, received_quantity=Decimal(600),
                                   received_at=at(15), lot_code="RX-01")
    roast_product = make_product(dn.org, name="Cà phê rang")
    roasted = be.record_transformation(
        dn.staff,
        inputs=[{"batch_id": received.batch.id, "quantity": Decimal(600), "unit": "kg"}],
        output={"product_id": roast_product.id, "quantity": Decimal(500), "unit": "kg",
                "lot_code": "RO-01"},
        at=at(9, DAY + timedelta(days=1)),
    )
    ids = {
        "harvest": _harvest_event_id(coop, harvest),
        "cooling_wrong": wrong.event_ids[0],
        "declaration": declared.declaration.event_id,
        "cooling": cooled.event_ids[0],
        "packing": packed.event_ids[0],
        "shipping": shipped.event_ids[0],
        "receiving": received.event_ids[0],
        "booking": received.event_ids[1],
        "roasting": roasted.event_ids[0],
    }
    return Chain(coop, dn, harvest, packed.batch, received.batch, roasted.batch, ids)


def _harvest_event_id(party: Party, batch: Batch) -> str:
    trace = exports.trace_events(party.staff, batch.id)
    return trace.events[0].document["eventID"]


def _admin():  # type: ignore[no-untyped-def]
    user, _headers = make_user_with_token(platform_role=PlatformRole.ADMIN)
    return actor_of(user)


def _event_ids(document: dict) -> list[str]:
    return [e["eventID"] for e in document["epcisBody"]["eventList"]]


# --------------------------------------------------------------------------- EPCIS document


def test_trace_document_validates_and_holds_the_cooperatives_visible_events(chain) -> None:
    batch, document = exports.trace_epcis_document(chain.coop.staff, chain.harvest.id)
    assert batch.id == chain.harvest.id
    validate_document(document)  # raises when not valid
    assert document["type"] == "EPCISDocument" and document["schemaVersion"] == "2.0"
    assert document["@context"][0] == EPCIS_CONTEXT_URL
    assert document["@context"][1]["htx"] == be.HTX_NAMESPACE
    ids = chain.ids
    # Of the buyer's events only its receiving is attached to the cooperative's lot; its
    # booking into its own lot and its roasting are the buyer's business (issue 8 §1).
    expected = [ids[k] for k in ("harvest", "cooling_wrong", "declaration", "cooling",
                                 "packing", "shipping", "receiving")]
    got = _event_ids(document)
    assert sorted(got) == sorted(expected) and len(got) == len(expected)
    declarations = [e for e in document["epcisBody"]["eventList"] if "errorDeclaration" in e]
    assert [d["eventID"] for d in declarations] == [ids["cooling_wrong"]]


def test_events_of_the_trace_come_in_time_order_as_captured(chain) -> None:
    _batch, document = exports.trace_epcis_document(chain.coop.staff, chain.harvest.id)
    times = [datetime.fromisoformat(e["eventTime"]) for e in document["epcisBody"]["eventList"]]
    assert times == sorted(times)
    shipping = next(e for e in document["epcisBody"]["eventList"]
                    if e["eventID"] == chain.ids["shipping"])
    assert shipping["recordTime"] and shipping["bizStep"] == "shipping"


def test_admin_sees_the_whole_lineage_including_the_buyers_processing(chain) -> None:
    _batch, document = exports.trace_epcis_document(_admin(), chain.harvest.id)
    validate_document(document)
    assert set(_event_ids(document)) == set(chain.ids.values())


def test_buyer_trace_of_its_product_goes_back_as_far_as_it_may_read(chain) -> None:
    _batch, document = exports.trace_epcis_document(chain.dn.staff, chain.roasted.id)
    validate_document(document)
    ids = chain.ids
    # The packing and shipping name the lot shipped to the buyer; the harvest and cooling
    # concern only the cooperative's field lot.
    assert set(_event_ids(document)) == {
        ids["packing"], ids["shipping"], ids["receiving"], ids["booking"], ids["roasting"]
    }


def test_a_stranger_cannot_export_a_trace(chain) -> None:
    stranger = make_party("HTX Khác")
    with pytest.raises(NotFound):
        exports.trace_epcis_document(stranger.staff, chain.harvest.id)
    with pytest.raises(NotFound):  # shipped a descendant, not the field lot
        exports.trace_epcis_document(chain.dn.staff, chain.harvest.id)


# --------------------------------------------------------------------------- FSMA rows


def _rows_by_cte(rows: list[fsma.KdeRow]) -> dict[str, list[fsma.KdeRow]]:
    out: dict[str, list[fsma.KdeRow]] = {}
    for row in rows:
        out.setdefault(row.cte, []).append(row)
    return out


def test_kde_rows_of_a_trace_one_per_cte_and_lot(chain) -> None:
    _batch, rows = fsma.trace_kde_rows(chain.coop.staff, chain.harvest.id)
    by = _rows_by_cte(rows)
    assert [r.cte for r in rows] == [
        "Harvesting", "Cooling", "Initial packing", "Shipping", "Receiving"
    ]
    coop_loc = f"https://trace.example.vn/loc/{chain.coop.org.registration_code}"
    dn_loc = f"https://trace.example.vn/loc/{chain.dn.org.registration_code}"

    [harvest] = by["Harvesting"]
    assert harvest.tlc == chain.harvest.lot_code
    assert harvest.quantity == Decimal(1000) and harvest.unit == "kg"
    assert harvest.product == "Cà phê nhân Arabica"
    assert harvest.event_date == DAY and harvest.event_time == "06:00:00"
    assert harvest.time_zone_offset == "+07:00"
    assert "/areas/" in harvest.location and harvest.tlc_source == harvest.location
    assert "A1" in harvest.location_name and "VN-LD-001" in harvest.location_name
    assert harvest.tlc_source_name == "HTX Cà phê Cầu Đất"

    [cooling] = by["Cooling"]  # the withdrawn cooling is not a record any more
    assert cooling.event_id == chain.ids["cooling"] and cooling.event_time == "08:00:00"

    [packing] = by["Initial packing"]
    assert packing.tlc == "PK-0302" == packing.new_tlc
    assert packing.input_tlc == chain.harvest.lot_code
    assert packing.input_quantity == Decimal(1000) and packing.quantity == Decimal(1000)
    assert packing.tlc_source == coop_loc

    [shipping] = by["Shipping"]
    assert shipping.tlc == "PK-0302" and shipping.quantity == Decimal(600)
    assert shipping.tlc_source == coop_loc and shipping.tlc_source_name == "HTX Cà phê Cầu Đất"
    assert shipping.ship_from == coop_loc and shipping.ship_to == dn_loc
    assert shipping.ship_to_name == "Công ty Rang xay"
    assert shipping.reference_document_type == "Purchase order; Despatch advice"
    assert shipping.reference_document_number == "PO-77; DN-9"

    [receiving] = by["Receiving"]
    assert receiving.tlc == "PK-0302" and receiving.new_tlc == "RX-01"
    assert receiving.location == dn_loc and receiving.location_name == "Công ty Rang xay"
    assert receiving.ship_from == coop_loc and receiving.quantity == Decimal(600)
    assert receiving.reference_document_number == "PO-77; DN-9"
    assert receiving.record_keeper == "Công ty Rang xay"


def test_transformation_rows_name_each_input_and_the_new_lot(chain) -> None:
    _batch, rows = fsma.trace_kde_rows(_admin(), chain.harvest.id)
    [roast] = [r for r in rows if r.cte == "Transformation"]
    assert roast.tlc == roast.new_tlc == "RO-01" and roast.product == "Cà phê rang"
    assert roast.input_tlc == "RX-01" and roast.input_quantity == Decimal(600)
    assert roast.quantity == Decimal(500) and roast.event_date == DAY + timedelta(days=1)
    assert roast.tlc_source.endswith(chain.dn.org.registration_code)


def test_csv_has_a_bom_english_headers_and_the_rows(chain) -> None:
    _batch, rows = fsma.trace_kde_rows(chain.coop.staff, chain.harvest.id)
    text = "".join(fsma.csv_chunks(rows))
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert table[0][:5] == [
        "Critical tracking event", "Event date", "Event time (local)", "Time zone offset",
        "Traceability lot code (TLC)",
    ]
    assert len(table[0]) == len(fsma.COLUMNS)
    assert len(table) == 1 + len(rows) == 6
    shipping = dict(zip(table[0], table[4], strict=True))
    assert shipping["Critical tracking event"] == "Shipping"
    assert shipping["Quantity"] == "600" and shipping["Event date"] == "2026-03-02"
    assert shipping["Product description"] == "Cà phê nhân Arabica"
    assert shipping["Reference document number"] == "PO-77; DN-9"


def test_csv_chunks_stream_in_pieces_with_one_bom() -> None:
    row = fsma.KdeRow("Cooling", DAY, "08:00:00", "+07:00", "L1", "u", "=cmd()", Decimal("1.5"),
                      "kg", "", "", "", "")
    chunks = list(fsma.csv_chunks([row] * 5, rows_per_chunk=2))
    assert len(chunks) == 3 and chunks[0].startswith("\ufeff")
    assert not any(c.startswith("\ufeff") for c in chunks[1:])
    table = list(csv.reader(io.StringIO("".join(chunks)[1:])))
    assert table[1][6] == "'=cmd()" and table[1][7] == "1.5" and table[1][3] == "+07:00"


def test_xlsx_has_the_same_rows_a_frozen_header_an_autofilter_and_real_dates(chain) -> None:
    _batch, rows = fsma.trace_kde_rows(chain.coop.staff, chain.harvest.id)
    book = load_workbook(io.BytesIO(fsma.xlsx_bytes(rows, title="t")))
    sheet = book["FSMA 204"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:Y{len(rows) + 1}"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == fsma.header_labels()
    assert len(values) == 1 + len(rows)
    assert [v[0] for v in values[1:]] == [r.cte for r in rows]
    assert isinstance(values[1][1], datetime) and values[1][1].date() == DAY
    assert [v[4] for v in values[1:]] == [r.tlc for r in rows]
    assert values[4][7] == 600
    assert sheet.column_dimensions["F"].width == 40


def test_localised_headers_follow_the_request_language(app) -> None:
    with app.test_request_context("/?lang=vi"):
        assert len(fsma.header_labels(localised=True)) == len(fsma.COLUMNS)
        assert fsma.header_labels()[0] == "Critical tracking event"


# --------------------------------------------------------------------------- range export


def test_cooperative_range_export_lists_its_own_live_records(chain) -> None:
    period = exports.parse_range("2026-03-01", "2026-03-31")
    org, rows = fsma.organisation_kde_rows(chain.coop.admin, chain.coop.org.id, period)
    assert org.id == chain.coop.org.id
    assert [r.cte for r in rows] == ["Harvesting", "Cooling", "Initial packing", "Shipping"]


def test_range_days_are_vietnamese_calendar_days(chain) -> None:
    # The roasting happened on 3 March at 09:00 in Vietnam (02:00 UTC).
    period = exports.parse_range("2026-03-03", "2026-03-03")
    _org, rows = fsma.organisation_kde_rows(chain.dn.staff, chain.dn.org.id, period)
    assert [r.cte for r in rows] == ["Transformation"]
    before = exports.parse_range("2026-02-01", "2026-03-01")
    _org, rows = fsma.organisation_kde_rows(chain.coop.staff, chain.coop.org.id, before)
    assert list(rows) == []


def test_range_export_pages_through_many_events(chain, monkeypatch) -> None:
    monkeypatch.setattr(exports, "PAGE_SIZE", 2)
    period = exports.parse_range("2026-03-01", "2026-03-31")
    pages = list(exports.organisation_events(chain.coop.staff, chain.coop.org.id, period,
                                             live_only=False))
    assert [len(p) for p in pages] == [2, 2, 2]
    assert len({e.pk for p in pages for e in p}) == 6  # incl. the withdrawn one and its fix


def test_range_export_is_for_the_organisation_admins_and_authorities_in_scope(chain) -> None:
    period = exports.parse_range("2026-03-01", "2026-03-31")
    with pytest.raises(NotFound):
        fsma.organisation_kde_rows(chain.dn.staff, chain.coop.org.id, period)
    _org, rows = fsma.organisation_kde_rows(_admin(), chain.coop.org.id, period)
    assert len(list(rows)) == 4
    user, _h = make_user_with_token(platform_role=PlatformRole.AUTHORITY, province_code="01")
    _org, rows = fsma.organisation_kde_rows(actor_of(user), chain.coop.org.id, period)
    assert len(list(rows)) == 4
    user, _h = make_user_with_token(platform_role=PlatformRole.AUTHORITY, province_code="79")
    with pytest.raises(NotFound):
        fsma.organisation_kde_rows(actor_of(user), chain.coop.org.id, period)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (None, "2026-03-01", "from"),
        ("2026-03-01", "", "to"),
        ("01/03/2026", "2026-03-31", "from"),
        ("2026-03-31", "2026-03-01", "to"),
        ("2025-01-01", "2026-01-02", "to"),
    ],
)
def test_bad_ranges_are_refused_naming_the_parameter(start, end, field) -> None:
    with pytest.raises(ValidationFailed) as err:
        exports.parse_range(start, end)
    assert list(err.value.field_errors) == [field]


def test_a_full_leap_year_is_allowed() -> None:
    period = exports.parse_range("2028-01-01", "2028-12-31")
    assert (period.end - period.start).days + 1 == exports.MAX_RANGE_DAYS
