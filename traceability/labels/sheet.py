"""A4 label sheets as PDF: one QR code per label with what it identifies written beside it
and its URI under it, on the sticker sheets sold in Vietnam (die-cut A4, 3×8, 4×10…).

Guarantees:
- the grids are data (``GRIDS``): label size, margins and pitch in millimetres, so a new
  sheet is one more entry; every grid keeps to the A4 page;
- each label shows its QR code (vector, error correction M, with its quiet zone), the
  product in bold, the given lines (lot or serial, date, cooperative) and the full URI in
  print under the code, wrapped at ``/`` where it must; text that cannot fit is cut with
  "…" — never the URI, whose type shrinks instead;
- Vietnamese prints as written: one TrueType font (DejaVu Sans Condensed, regular and
  bold, shipped in ``fonts/``) is embedded, subset to the characters used;
- fast: a QR code is drawn as one path of rectangles from its matrix (no images); a label
  printed many times is drawn once as a PDF form that every copy reuses (a thousand copies
  of a lot's label cost little more than one), and serial labels share one form for what
  they have in common, each drawing only its code, serial and URI;
- the same labels give the same bytes (no timestamps or random ids in the file).

Pure: no Flask, no database; the text arrives worded and formatted in the reader's
language (``traceability.services.labels``).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from traceability.labels.qr import QUIET_ZONE, QrMatrix, encode

MM = 72 / 25.4  # points per millimetre
FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR = "HTXLabel"
BOLD = "HTXLabel-Bold"
ELLIPSIS = "…"
LINE_SPACING = 1.18
MAX_LABELS = 1000  # one PDF; a bigger run is several sheets' worth of PDFs


@dataclass(frozen=True, slots=True)
class Grid:
    """A sheet of die-cut labels: ``columns`` × ``rows`` labels of ``width`` × ``height``
    mm, the first one ``left`` mm from the page's left edge and ``top`` mm from its top,
    the next one ``pitch_x`` mm to the right and ``pitch_y`` mm down."""

    key: str
    columns: int
    rows: int
    width: float
    height: float
    left: float
    top: float
    pitch_x: float
    pitch_y: float
    title_pt: float  # product name
    text_pt: float  # the other lines
    uri_pt: float  # the URI under the code (shrinks to fit, down to MIN_URI_PT)
    stock: str  # a sheet sold in this layout, named in the form

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


MIN_URI_PT = 3.6
PADDING_MM = 1.6  # kept clear inside every label: die-cutting and printers drift

GRIDS: dict[str, Grid] = {
    grid.key: grid
    for grid in (
        # key, columns × rows, label mm, left and top margins mm, pitch mm, type pt, a sheet
        Grid("3x8", 3, 8, 63.5, 33.9, 7.25, 12.9, 66.0, 33.9, 7.5, 6.0, 5.0, "Avery L7159"),
        Grid("4x10", 4, 10, 45.7, 25.4, 9.7, 21.5, 48.3, 25.4, 6.0, 5.0, 4.4, "Avery L7654"),
        Grid("2x7", 2, 7, 99.1, 38.1, 4.65, 15.15, 101.6, 38.1, 9.0, 7.0, 6.0, "Avery L7163"),
    )
}
DEFAULT_GRID = "3x8"


@dataclass(frozen=True, slots=True)
class Label:
    """What one label says: the URI its QR code holds (printed under it too), the product
    and the lines beside the code (the unit's line first, when it has one), worded for the
    reader."""

    uri: str
    title: str
    lines: tuple[str, ...] = ()  # the same on every label of the lot
    unit: str = ""  # the line that tells this unit from the lot's others (its serial)


# --------------------------------------------------------------------------- fonts


@lru_cache(maxsize=1)
def register_fonts() -> None:
    """Register the label font with reportlab once per process."""
    # Streams are compressed; ASCII85 on top only makes them bigger, and reportlab's
    # pure-Python encoder was a third of a serial sheet's time. Only labels use reportlab.
    rl_config.useA85 = 0
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSansCondensed.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSansCondensed-Bold.ttf")))


@lru_cache(maxsize=4096)
def _em(char: str, font: str) -> float:
    """The advance of ``char`` in ``font`` at 1 pt (labels use no kerning)."""
    return float(pdfmetrics.stringWidth(char, font, 1))


def _width(text: str, font: str, size: float) -> float:
    return size * sum(_em(char, font) for char in text)


def fit(text: str, font: str, size: float, width: float) -> str:
    """``text``, or as much of it as fits in ``width`` points followed by "…"."""
    if _width(text, font, size) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if _width(text[:middle].rstrip() + ELLIPSIS, font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def wrap_words(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """``text`` in at most ``max_lines`` lines of ``width`` points, broken between words;
    what is left over is cut with "…" on the last line."""
    words = text.split()
    lines: list[str] = []
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and _width(f"{line} {words[0]}", font, size) <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:
        lines[-1] = fit(f"{lines[-1]} {' '.join(words)}", font, size, width)
    return [fit(line, font, size, width) for line in lines]


def wrap_uri(uri: str, font: str, size: float, width: float) -> list[str]:
    """``uri`` in lines of ``width`` points, each broken after a ``/`` when one is near
    the end, else wherever the width runs out. Nothing is dropped."""
    lines: list[str] = []
    start = 0
    while start < len(uri):
        used, end = 0.0, start
        while end < len(uri):
            used += size * _em(uri[end], font)
            if used > width and end > start:
                break
            end += 1
        if end < len(uri):
            slash = uri.rfind("/", start, end)
            if slash - start >= (end - start) // 2:  # at a path step, if half full
                end = slash + 1
        lines.append(uri[start:end])
        start = end
    return lines


# --------------------------------------------------------------------------- drawing


@lru_cache(maxsize=2048)
def qr_operators(matrix: QrMatrix) -> str:
    """The symbol's dark modules as PDF path operators in module units, row 0 at y 0 (the
    caller flips and scales), filled."""
    return " ".join(f"{c} {r} {n} 1 re" for r, c, n in matrix.dark_runs()) + " f"


def _draw_qr(canvas: Canvas, matrix: QrMatrix, x: float, y: float, side: float) -> None:
    """The symbol with its quiet zone in the square of ``side`` points at (x, y)."""
    module = side / (matrix.size + 2 * QUIET_ZONE)
    left = x + QUIET_ZONE * module
    top = y + side - QUIET_ZONE * module
    canvas.addLiteral(
        f"q 0 g {module:.4f} 0 0 {-module:.4f} {left:.3f} {top:.3f} cm "
        f"{qr_operators(matrix)} Q"
    )


def _uri_lines(uri: str, grid: Grid, width: float) -> tuple[list[str], float]:
    """The URI's lines and type size: the grid's size, smaller until it takes at most
    three lines."""
    size = grid.uri_pt
    lines = wrap_uri(uri, REGULAR, size, width)
    while len(lines) > 3 and size > MIN_URI_PT:
        size = max(MIN_URI_PT, size - 0.2)
        lines = wrap_uri(uri, REGULAR, size, width)
    return lines, size


@dataclass(frozen=True, slots=True)
class _Text:
    font: str
    size: float
    x: float
    y: float
    text: str


@dataclass(frozen=True, slots=True)
class _Placed:
    """Where everything of one label goes, its bottom-left corner at (0, 0): the code's
    square (quiet zone included) over the URI, the text to its right. ``shared`` is what
    the lot's other labels say too (product, lines), ``own`` what is this label's alone
    (its unit line and URI)."""

    side: float
    pad: float
    uri_block: float
    shared: tuple[_Text, ...]
    own: tuple[_Text, ...]

    @property
    def shared_key(self) -> tuple[object, ...]:
        return (self.side, self.uri_block, self.shared)


@lru_cache(maxsize=2048)
def _place(grid: Grid, label: Label) -> _Placed:
    pad = PADDING_MM * MM
    width, height = grid.width * MM, grid.height * MM
    inner = width - 2 * pad
    uri_lines, uri_pt = _uri_lines(label.uri, grid, inner)
    uri_step = uri_pt * LINE_SPACING
    uri_block = len(uri_lines) * uri_step
    side = min(height - 2 * pad - uri_block, inner * 0.5)
    own: list[_Text] = []
    y = pad + uri_block - uri_pt
    for line in uri_lines:
        own.append(_Text(REGULAR, uri_pt, pad, y + 0.15 * uri_pt, line))
        y -= uri_step
    x = pad + side + 0.8 * MM
    text_width = width - pad - x
    shared: list[_Text] = []
    title_step = grid.title_pt * LINE_SPACING
    y = height - pad - grid.title_pt
    for line in wrap_words(label.title, BOLD, grid.title_pt, text_width, 2):
        shared.append(_Text(BOLD, grid.title_pt, x, y, line))
        y -= title_step
    y += title_step - grid.text_pt * (LINE_SPACING + 0.35)
    floor = pad + uri_block
    for n, line in enumerate((label.unit, *label.lines) if label.unit else label.lines):
        if y < floor:
            break
        placed = _Text(REGULAR, grid.text_pt, x, y, fit(line, REGULAR, grid.text_pt, text_width))
        (own if label.unit and n == 0 else shared).append(placed)
        y -= grid.text_pt * LINE_SPACING
    return _Placed(side, pad, uri_block, tuple(shared), tuple(own))


def _draw_texts(canvas: Canvas, texts: Sequence[_Text]) -> None:
    canvas.setFillGray(0)
    for text in texts:
        canvas.setFont(text.font, text.size)
        canvas.drawString(text.x, text.y, text.text)


def _draw_own(canvas: Canvas, label: Label, placed: _Placed) -> None:
    _draw_qr(canvas, encode(label.uri), placed.pad, placed.pad + placed.uri_block, placed.side)
    _draw_texts(canvas, placed.own)


class _Forms:
    """Named PDF forms of a sheet, each drawn once however often it is used."""

    def __init__(self, canvas: Canvas, grid: Grid) -> None:
        self.canvas, self.grid = canvas, grid
        self.names: dict[object, str] = {}

    def name(self, key: object, draw: Callable[[], None]) -> str:
        name = self.names.get(key)
        if name is None:
            name = self.names[key] = f"F{len(self.names)}"
            self.canvas.beginForm(name, 0, 0, self.grid.width * MM, self.grid.height * MM)
            draw()
            self.canvas.endForm()
        return name


def build_sheet(
    labels: Sequence[Label], grid: Grid, *, title: str = "", first_position: int = 0
) -> bytes:
    """The PDF: ``labels`` in reading order (left to right, top to bottom), as many A4
    pages as they take; ``first_position`` skips that many places of the first page (a
    sheet partly used already).

    A label used more than once is one form placed wherever it goes; a label used once
    (a serial's) places the form of what it shares with its lot's other labels, and draws
    its code, unit line and URI itself."""
    if not labels:
        raise ValueError("no labels")
    if len(labels) > MAX_LABELS:
        raise ValueError(f"at most {MAX_LABELS} labels per sheet")
    if not 0 <= first_position < grid.per_page:
        raise ValueError("first_position is a place on the first page")
    register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1, invariant=1)
    canvas.setTitle(title)
    canvas.setCreator("HTX Trace")
    forms = _Forms(canvas, grid)
    uses = Counter(labels)
    for index, label in enumerate(labels):
        place = first_position + index
        if place and place % grid.per_page == 0:
            canvas.showPage()
        row, column = divmod(place % grid.per_page, grid.columns)
        canvas.saveState()
        canvas.translate((grid.left + column * grid.pitch_x) * MM,
                         A4[1] - (grid.top + row * grid.pitch_y + grid.height) * MM)
        placed = _place(grid, label)

        def shared(p: _Placed = placed) -> None:
            _draw_texts(canvas, p.shared)

        def whole(p: _Placed = placed, lb: Label = label) -> None:
            _draw_texts(canvas, p.shared)
            _draw_own(canvas, lb, p)

        if uses[label] > 1:
            canvas.doForm(forms.name(label, whole))
        else:
            canvas.doForm(forms.name(placed.shared_key, shared))
            _draw_own(canvas, label, placed)
        canvas.restoreState()
    canvas.save()
    return out.getvalue()
