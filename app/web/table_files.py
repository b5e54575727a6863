"""A table as a file people download from a page: rows → a CSV or XLSX attachment
(``core.spreadsheets`` writes them; ``app.downloads.attachment`` sends them).

A CSV is streamed when asked (a long list never sits in memory whole); an XLSX is built
row by row with an "About this file" sheet saying what the table is. Numbers are written
plain (``1234.5``): these files are for spreadsheets, which format them in the reader's
locale. Column headers and "About" labels are in the request's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, stream_with_context

from app.downloads import attachment
from core.i18n import _
from core.spreadsheets import Cell, Column, csv_chunks, xlsx_bytes

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def table_download(fmt: str, columns: Sequence[Column], rows: Iterable[Sequence[Cell]], *,
                   filename_stem: str, sheet_name: str,
                   about: Sequence[tuple[Any, Cell]] = (), stream: bool = False) -> Response:
    """The table as ``<filename_stem>.<fmt>``. A CSV is streamed when ``stream`` (``rows``
    is then read as the response is sent, inside the request's context), else written at
    once; an XLSX is built row by row."""
    if fmt == "csv":
        chunks = csv_chunks(columns, rows)
        body: Any = stream_with_context(chunks) if stream else "".join(chunks)
        return attachment(body, CSV_MEDIA_TYPE, f"{filename_stem}.csv")
    if fmt != "xlsx":
        raise ValueError(fmt)
    body = xlsx_bytes(columns, rows, sheet_name=sheet_name,
                      about_sheet=str(_("About this file")), about=about)
    return attachment(body, XLSX_MEDIA_TYPE, f"{filename_stem}.xlsx")


__all__ = ["CSV_MEDIA_TYPE", "FORMATS", "XLSX_MEDIA_TYPE", "Cell", "Column", "table_download"]
