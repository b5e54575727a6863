"""Labels benchmark: QR codes per second for each library tried, and label sheet PDFs.

``.venv/bin/python bench/labels.py`` (``make bench`` runs it after the HTTP and lineage
benchmarks; no database, no server):

1. QR codes of distinct serial URIs (``…/01/{gtin}/10/{lot}/21/{serial}``, cold: nothing
   cached), error correction M, one after the other, interleaved between the libraries so
   that all see the same machine:
   - the symbol alone (``encode``): ``qrcode`` (``QRCode.make``), ``segno``
     (``make_qr(error="m", boost_error=False)``) and ours (``traceability.labels.qr``:
     qrcode's segments and codewords, rows scored at once; the same symbol as qrcode);
   - a PNG of about 256 px and an SVG, each library with its own writer;
   - ours from the cache (what a repeated request costs: a dictionary lookup);
   every symbol of a sample is decoded back with zxing-cpp (when installed) to check that
   the library is correct, not only fast;
2. the time to build an A4 label sheet PDF of 1,000 labels (``traceability.labels.sheet``):
   one lot's label 1,000 times, 1,000 serial labels (1,000 distinct codes) with every cache
   cleared first and again warm, and the naive build for comparison (each label a PNG from
   ``qrcode.make`` embedded as an image, the text drawn label by label);
3. appends a dated section to ``bench/RESULTS.md``: medians, p90 and p99.

segno and zxing-cpp are development dependencies (requirements/dev.lock); without them
their rows say so.
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import qrcode  # noqa: E402
import qrcode.image.svg  # noqa: E402
from environment import code_line, machine_line, record  # noqa: E402
from qrcode.constants import ERROR_CORRECT_M  # noqa: E402

from traceability.labels import qr, sheet  # noqa: E402

BASE = "https://trace.example.vn/01/08931234500016/10/261123-LO1-1"
PNG_PX = 256
SHEET_LABELS = 1000
TITLE = "Cà phê nhân Robusta loại 1 – sàng 18"
LINES = ("Lô: 261123-LO1-1", "Thu hoạch: 23 thg 11, 2026", "Đóng gói: 28 thg 11, 2026",
         "HTX Nông nghiệp Dịch vụ Ea Tu")

try:
    import segno
except ImportError:  # a development dependency
    segno = None
try:
    import zxingcpp
except ImportError:
    zxingcpp = None


# ---------------------------------------------------------------------------------------------
# QR codes


def _qrcode_symbol(uri: str) -> Any:
    symbol = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    symbol.add_data(uri)
    symbol.make()
    return symbol.modules


def _qrcode_png(uri: str) -> bytes:
    symbol = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    symbol.add_data(uri)
    symbol.make()
    symbol.box_size = max(1, PNG_PX // (len(symbol.modules) + 8))
    out = io.BytesIO()
    symbol.make_image().save(out)
    return out.getvalue()


def _qrcode_svg(uri: str) -> bytes:
    image = qrcode.make(uri, error_correction=ERROR_CORRECT_M,
                        image_factory=qrcode.image.svg.SvgPathImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def _segno(uri: str) -> Any:
    return segno.make_qr(uri, error="m", boost_error=False)


def _segno_png(uri: str) -> bytes:
    code = _segno(uri)
    out = io.BytesIO()
    code.save(out, kind="png", scale=max(1, PNG_PX // (code.symbol_size(border=4)[0])))
    return out.getvalue()


def _segno_svg(uri: str) -> bytes:
    out = io.BytesIO()
    _segno(uri).save(out, kind="svg")
    return out.getvalue()


def _ours_png(uri: str) -> bytes:
    return qr.render_png(qr._symbol(uri), size=PNG_PX)


def _ours_svg(uri: str) -> bytes:
    return qr.render_svg(qr._symbol(uri), size=PNG_PX)


def _decodes(png: bytes, uri: str) -> bool:
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return [f.text for f in found] == [uri]


def _svg_decodes(svg: bytes, uri: str) -> bool | None:
    try:
        import resvg_py
    except ImportError:
        return None
    # This resvg build refuses sizes in mm (qrcode's SVG): the view box is what counts.
    text = svg.decode().replace('mm"', '"')
    return _decodes(bytes(resvg_py.svg_to_bytes(svg_string=text, width=400, height=400,
                                                background="#ffffff")), uri)


# Each case: (library, what, function of a URI, checker of its output or None).
def qr_cases() -> list[tuple[str, str, Callable[[str], Any], Callable[[Any, str], Any] | None]]:
    cases: list[tuple[str, str, Callable[[str], Any], Callable[[Any, str], Any] | None]] = [
        ("qrcode 8", "symbol", _qrcode_symbol, None),
        ("ours (qrcode inside)", "symbol", qr._symbol, None),
        ("qrcode 8", "PNG", _qrcode_png, _decodes),
        ("ours (qrcode inside)", "PNG", _ours_png, _decodes),
        ("qrcode 8", "SVG", _qrcode_svg, _svg_decodes),
        ("ours (qrcode inside)", "SVG", _ours_svg, _svg_decodes),
    ]
    if segno is not None:
        cases[2:2] = [("segno 1.6", "symbol", _segno, None)]
        cases[5:5] = [("segno 1.6", "PNG", _segno_png, _decodes)]
        cases += [("segno 1.6", "SVG", _segno_svg, _svg_decodes)]
    return cases


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """Median, p90 and p99 (for fewer than 100 samples p99 is close to the largest)."""
    if len(samples) == 1:
        return samples[0], samples[0], samples[0]
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), cuts[89], cuts[98]


def measure_qr(count: int) -> list[dict[str, Any]]:
    cases = qr_cases()
    timings: list[list[float]] = [[] for _ in cases]
    for n in range(count):
        uri = f"{BASE}/21/SN{n:08d}"
        for index, (_library, _what, make, _check) in enumerate(cases):
            started = time.perf_counter()
            make(uri)
            timings[index].append(time.perf_counter() - started)
    rows = []
    for (library, what, make, check), samples in zip(cases, timings, strict=True):
        verdict = "—"
        if check is not None and zxingcpp is not None:
            results = [check(make(f"{BASE}/21/CHECK{n}"), f"{BASE}/21/CHECK{n}")
                       for n in range(20)]
            verdict = "n/a" if None in results else f"{sum(results)}/20"
        median, p90, p99 = percentiles(samples)
        rows.append({"library": library, "what": what, "per_s": len(samples) / sum(samples),
                     "median_ms": median * 1000, "p90_ms": p90 * 1000, "p99_ms": p99 * 1000,
                     "decoded": verdict})
    # A cached image: what every request after the first costs.
    uri = f"{BASE}/21/CACHED"
    qr.png(uri)
    started = time.perf_counter()
    for _ in range(10_000):
        qr.png(uri)
    per = (time.perf_counter() - started) / 10_000
    rows.append({"library": "ours, cached", "what": "PNG", "per_s": 1 / per,
                 "median_ms": per * 1000, "p90_ms": None, "p99_ms": None, "decoded": "—"})
    return rows


# ---------------------------------------------------------------------------------------------
# Sheets


def _lot_labels() -> list[sheet.Label]:
    return [sheet.Label(BASE, TITLE, LINES)] * SHEET_LABELS


def _serial_labels() -> list[sheet.Label]:
    return [sheet.Label(f"{BASE}/21/SN{n:08d}", TITLE, LINES, unit=f"Số sê-ri: SN{n:08d}")
            for n in range(SHEET_LABELS)]


def _cold() -> None:
    qr.clear_caches()
    sheet.qr_operators.cache_clear()
    sheet._place.cache_clear()


def naive_sheet(labels: list[sheet.Label], grid: sheet.Grid) -> bytes:
    """What a first version would do: each label's QR code made as a PNG with
    ``qrcode.make`` and embedded as an image, and its text drawn on the page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    sheet.register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    mm = sheet.MM
    for index, label in enumerate(labels):
        if index and index % grid.per_page == 0:
            canvas.showPage()
        row, column = divmod(index % grid.per_page, grid.columns)
        x = (grid.left + column * grid.pitch_x) * mm
        y = A4[1] - (grid.top + row * grid.pitch_y + grid.height) * mm
        png = io.BytesIO()
        qrcode.make(label.uri, error_correction=ERROR_CORRECT_M, box_size=4).save(png)
        png.seek(0)
        side = grid.height * mm * 0.75
        canvas.drawImage(ImageReader(png), x + 2, y + grid.height * mm - side - 2, side, side)
        canvas.setFont(sheet.BOLD, grid.title_pt)
        canvas.drawString(x + side + 4, y + grid.height * mm - 10, label.title)
        canvas.setFont(sheet.REGULAR, grid.text_pt)
        lines = (label.unit, *label.lines, label.uri) if label.unit else (*label.lines, label.uri)
        for n, line in enumerate(lines):
            canvas.drawString(x + side + 4, y + grid.height * mm - 20 - n * 7, line)
    canvas.save()
    return out.getvalue()


def measure_sheets(repeat: int, naive_repeat: int) -> list[dict[str, Any]]:
    grid = sheet.GRIDS["3x8"]
    lot, serials = _lot_labels(), _serial_labels()
    cases: list[tuple[str, Callable[[], bytes], Callable[[], None] | None, int]] = [
        ("1,000 labels of one lot (one code), cold", lambda: sheet.build_sheet(lot, grid),
         _cold, repeat),
        ("1,000 serial labels (1,000 codes), cold", lambda: sheet.build_sheet(serials, grid),
         _cold, repeat),
        ("1,000 serial labels, codes cached (a reprint)",
         lambda: sheet.build_sheet(serials, grid), None, repeat),
        ("naive: 1,000 labels of one lot, a PNG per label",
         lambda: naive_sheet(lot, grid), None, naive_repeat),
        ("naive: 1,000 serial labels, a PNG per label",
         lambda: naive_sheet(serials, grid), None, naive_repeat),
    ]
    rows = []
    for what, build, before, times in cases:
        samples, size = [], 0
        for _ in range(times):
            if before:
                before()
            started = time.perf_counter()
            size = len(build())
            samples.append(time.perf_counter() - started)
        median, p90, p99 = percentiles(samples)
        rows.append({"what": what, "runs": times, "median_s": median, "p90_s": p90,
                     "p99_s": p99, "bytes": size})
    return rows


# ---------------------------------------------------------------------------------------------
# The report


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              timeout=5).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if value >= 0.01 else f"{value:.2g}"


def report(qr_rows: list[dict[str, Any]], sheet_rows: list[dict[str, Any]], count: int,
           load: tuple[str, str]) -> str:
    import reportlab

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    versions = [f"qrcode {_version('qrcode')}", f"segno {_version('segno')}",
                f"reportlab {reportlab.Version}", f"Pillow {_version('pillow')}",
                f"zxing-cpp {_version('zxing-cpp')}"]
    out = [
        f"## {stamp} — labels (bench/labels.py)", "",
        machine_line(),
        f"- Python {platform.python_version()}; {', '.join(versions)}",
        f"- load (`uptime`): before `{load[0]}`; after `{load[1]}`",
        code_line(),
        f"- QR: {count:,} distinct serial URIs ({len(BASE) + 14} characters, version 4-5 at "
        f"level M), cold, each library in turn per URI; PNG ~{PNG_PX} px; *decoded*: 20 "
        "further codes read back with zxing-cpp (SVG rasterised with resvg)",
        "",
        "| library | output | per s | median ms | p90 ms | p99 ms | decoded |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in qr_rows:
        out.append(f"| {r['library']} | {r['what']} | {r['per_s']:,.0f} | "
                   f"{_ms(r['median_ms'])} | {_ms(r['p90_ms'])} | {_ms(r['p99_ms'])} | "
                   f"{r['decoded']} |")
    out += [
        "",
        "Label sheets, A4 3×8 (`traceability.labels.sheet.build_sheet`), aim < 1.5 s for "
        "1,000 labels:",
        "",
        "| sheet | runs | median s | p90 s | p99 s | PDF bytes |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in sheet_rows:
        out.append(f"| {r['what']} | {r['runs']} | {r['median_s']:.3f} | {r['p90_s']:.3f} | "
                   f"{r['p99_s']:.3f} | {r['bytes']:,} |")
    out.append("")
    return "\n".join(out) + "\n"


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--codes", type=int, default=1000, help="distinct URIs per library")
    parser.add_argument("--repeat", type=int, default=11, help="builds of each sheet")
    parser.add_argument("--naive-repeat", type=int, default=3, help="naive builds")
    parser.add_argument("--no-record", action="store_true", help="print, do not append")
    args = parser.parse_args(argv)
    if not 50 <= args.codes <= 20_000 or not 1 <= args.repeat <= 50:
        parser.error("keep runs bounded: 50-20,000 codes, 1-50 repeats")
    load_before = _uptime()
    qr_rows = measure_qr(args.codes)
    sheet_rows = measure_sheets(args.repeat, max(1, args.naive_repeat))
    section = report(qr_rows, sheet_rows, args.codes, (load_before, _uptime()))
    print(section)
    if not args.no_record:
        record("\n" + section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
