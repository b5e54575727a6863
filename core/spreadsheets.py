"""Tables people open in a spreadsheet: rows → CSV text chunks or an XLSX workbook, the
same way for the FSMA 204 exports and the indicator's tables.

- CSV: UTF-8 with a byte-order mark (so that Excel reads Vietnamese right), CRLF lines,
  produced a few hundred rows at a time so that a long list can be streamed.
- XLSX: one sheet with a bold, frozen header row, an auto-filter and column widths, real
  numbers and dates, then a sheet that says what the table is and how many rows it has.
  openpyxl's write-only mode: a year of rows does not build a cell tree in memory.
- No recorded text ever runs as a formula (a product or cooperative named "=HYPERLINK(…)"):
  text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  apostrophe in the CSV, as OWASP advises, and is a string cell with Excel's quote prefix
  in the XLSX (the cell reads exactly as recorded and stays text if edited). A time-zone
  offset such as "+07:00" is no formula and is left alone. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.i18n import _

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500
_OFFSET = re.compile(r"^[+-]\d\d:\d\d$")

Cell = str | int | float | Decimal | date | None


@dataclass(frozen=True)
class Column:
    """A column's header (a lazy string is translated when written), its XLSX width in
    characters and number format (``"0.00"``; None: as is)."""

    label: Any
    width: int = 16
    number_format: str | None = None


def safe_text(value: str) -> str:
    """``value`` for a CSV cell: text a spreadsheet would run as a formula is prefixed
    with an apostrophe."""
    if value.startswith(FORMULA_START) and not _OFFSET.match(value):
        return "'" + value
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return safe_text(str(value))


def csv_chunks(columns: Sequence[Column], rows: Iterable[Sequence[Any]],
               rows_per_chunk: int = ROWS_PER_CHUNK) -> Iterator[str]:
    """The CSV as text chunks: the BOM and the header with the first ``rows_per_chunk``
    rows, then that many rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_text(str(c.label)) for c in columns])
    first, pending = True, 0
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        pending += 1
        if pending >= rows_per_chunk:
            yield (BOM if first else "") + buffer.getvalue()
            first, pending = False, 0
            buffer.seek(0)
            buffer.truncate()
    if pending or first:
        yield (BOM if first else "") + buffer.getvalue()


def xlsx_cell(sheet: Any, value: Any, number_format: str | None = None) -> Any:
    """What ``sheet.append`` takes for ``value``: a date cell shown as a date, a number
    with ``number_format``, and text a spreadsheet would take for a formula written as
    text. openpyxl writes any string starting with "=" as a formula, so the cell type is
    forced to string and given the quote prefix."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, str):
        # XML 1.0 has no place for most C0 control characters, which recorded text may
        # hold: openpyxl refuses them, so they are shown as U+FFFD instead of failing the
        # whole file.
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        if value.startswith(FORMULA_START):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text, never a formula
            cell.quotePrefix = True
            return cell
        return value
    if isinstance(value, datetime | date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if number_format and isinstance(value, int | float) and not isinstance(value, bool):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell
    return value


def sheet_title(name: str) -> str:
    """A valid sheet title: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'")
    return cleaned[:31] or "Sheet"


def xlsx_bytes(columns: Sequence[Column], rows: Iterable[Sequence[Any]], *,
               sheet_name: str, about_sheet: str, title: str = "",
               about: Sequence[tuple[Any, Any]] = ()) -> bytes:
    """The workbook: sheet ``sheet_name`` holding the table; sheet ``about_sheet`` the
    ``title`` (if any), the ``about`` pairs and the number of rows. Every cell goes
    through ``xlsx_cell``."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(sheet_name))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=xlsx_cell(sheet, str(column.label)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    formats = [c.number_format for c in columns]
    for row in rows:
        sheet.append([xlsx_cell(sheet, v, f) for v, f in zip(row, formats, strict=False)])
        count += 1
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    info = book.create_sheet(sheet_title(about_sheet))
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 80
    if title:
        info.append([xlsx_cell(info, title)])
    for key, value in about:
        info.append([xlsx_cell(info, str(key)), xlsx_cell(info, value)])
    info.append([xlsx_cell(info, str(_("Rows"))), count])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
