"""No recorded text runs as a formula in an export: every sheet of the XLSX writes it as
text, and the CSV prefixes it with an apostrophe (OWASP's advice for CSV injection)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from tests.traceability.batch_factories import make_area, make_party, make_product
from traceability.services import exports_fsma as fsma
from traceability.services import recording as be

STARTS = ("=", "+", "-", "@", "\t")  # "\r" comes back from the XML as "\n"
FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(1,1)", "\t=1+1", "\r=1+1", "=HYPERLINK(\"x\")"]


def _row(texts: list[str]) -> fsma.KdeRow:
    names = ["product", "location_name", "tlc_source_name", "ship_from_name", "ship_to_name",
             "reference_document_number", "record_keeper"]
    row = fsma.KdeRow("Cooling", date(2026, 3, 2), "08:00:00", "+07:00", "=L1", "u", "p",
                      Decimal("-1.5"), "kg", "", "", "", "")
    for name, text in zip(names, texts, strict=True):
        setattr(row, name, text)
    return row


def _formula_cells(book_bytes: bytes) -> list[str]:
    """Every formula element in every worksheet of the workbook, as stored."""
    with zipfile.ZipFile(io.BytesIO(book_bytes)) as archive:
        return [
            name
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and b"<f>" in archive.read(name)
        ]


def test_xlsx_writes_formula_like_text_as_text_in_every_sheet() -> None:
    body = fsma.xlsx_bytes(
        [_row(FORMULAS)],
        title="=TITLE()",
        about=[("Lot", "=1+1"), ("=key", "-2"), ("Identifier", "@x")],
    )
    assert _formula_cells(body) == []
    book = load_workbook(io.BytesIO(body))
    risky = [
        cell
        for sheet in book.worksheets
        for line in sheet.iter_rows()
        for cell in line
        if isinstance(cell.value, str) and cell.value.lstrip("\r\n").startswith(STARTS)
    ]
    # FSMA sheet: the offset "+07:00", the lot code and seven texts; About: the title,
    # "=1+1", "=key", "-2" and "@x".
    assert len(risky) == 9 + 5
    for cell in risky:
        assert cell.data_type == "s", cell.coordinate
        assert cell.quotePrefix, cell.coordinate  # stays text if edited in Excel
    about = book["About"]
    assert about["B2"].value == "=1+1"  # as recorded: no apostrophe added to the text
    assert about["A1"].value == "=TITLE()"
    sheet = book["FSMA 204"]
    assert sheet["E2"].value == "=L1" and sheet["G2"].value == "=1+1"
    assert sheet["H2"].value == -1.5 and sheet["H2"].data_type == "n"  # numbers stay numbers
    assert not sheet["C2"].quotePrefix  # ordinary text keeps the plain style


def test_xlsx_shows_control_characters_xml_cannot_hold_instead_of_failing() -> None:
    texts = ["Cà phê\x07nhân", "a\x0bb", "tab\tand\nnewline", "d", "e", "f", "g"]
    book = load_workbook(io.BytesIO(fsma.xlsx_bytes([_row(texts)], about=[("Lot", "x\x1fy")])))
    sheet = book["FSMA 204"]
    values = [c.value for c in sheet[2]]
    assert "Cà phê\ufffdnhân" in values and "a\ufffdb" in values
    assert "tab\tand\nnewline" in values  # XML holds these: kept
    assert "x\ufffdy" in [c.value for line in book["About"].iter_rows() for c in line]


def test_csv_prefixes_formula_like_text_with_an_apostrophe() -> None:
    text = "".join(fsma.csv_chunks([_row(FORMULAS)]))
    table = list(csv.reader(io.StringIO(text[1:])))
    row = dict(zip(table[0], table[1], strict=True))
    values = [row[label] for label in fsma.header_labels()]
    assert values[4] == "'=L1"
    for formula in FORMULAS:
        assert "'" + formula in values, formula
    assert row["Quantity"] == "-1.5"  # a number, not text: written as is
    assert row["Time zone offset"] == "+07:00"  # an offset, not a formula


def test_an_exported_lot_code_is_never_a_formula(client) -> None:
    coop = make_party("HTX Công Thức")
    area = make_area(coop.org, code="F1")
    product = make_product(coop.org, name="Cà phê")
    lot = be.record_harvest(
        coop.staff, area_ids=[area.id], product_id=product.id, quantity=Decimal(10),
        unit="kg", harvested_on=date(2026, 3, 2), lot_code="=1+1",
    )
    response = client.get(f"/api/batches/{lot.id}/exports/fsma204.xlsx",
                          headers=coop.staff_headers)
    assert response.status_code == 200
    assert _formula_cells(response.data) == []
    about = load_workbook(io.BytesIO(response.data))["About"]
    assert about["B2"].value == "=1+1" and about["B2"].data_type == "s"
