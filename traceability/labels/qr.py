"""QR codes of label URIs: encoded once per URI, rendered as PNG or SVG, both cached.

Encoding is most of the cost of a QR image, and most of the encoding is choosing the mask:
``qrcode`` draws eight masked symbols and scores them module by module in Python loops. Here
``qrcode`` still decides everything that makes the symbol (its segmentation of the data
into numeric, alphanumeric and byte runs, its tables of versions, error correction blocks
and mask patterns, its placement of the function patterns), but the codewords are packed in
one integer with a table-driven Reed-Solomon encoder, and each masked symbol is a pair of
big integers (rows, columns) scored with a few dozen shifts and bit counts. The result is
the very symbol ``qrcode`` makes, module for module and penalty for penalty (the tests
compare both), several times faster (bench/labels.py has the figures). Error correction is
always level M (15 % of the codewords recoverable): printed labels get scuffed.

Guarantees:
- ``encode(uri)`` is the QR symbol of the URI's UTF-8 bytes, error correction M, the smallest
  version that holds it, the mask ISO/IEC 18004's penalty rules choose (as ``qrcode`` scores
  them); it is computed once per URI per process (a bounded LRU cache);
- ``png`` and ``svg`` draw it with the 4-module quiet zone the standard asks for, crisp
  (whole pixels per module in a PNG, ``crispEdges`` in an SVG); their bytes are cached per
  (URI, format, size), also bounded;
- nothing here knows Flask or the database.
"""

from __future__ import annotations

import io
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

import qrcode
from PIL import Image
from qrcode import base as qr_base
from qrcode import util as qr_util
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of light margin on every side (ISO/IEC 18004)
#: Pixel sizes offered for PNG and SVG downloads (the whole image, quiet zone included).
SIZES = (128, 256, 512, 1024)
DEFAULT_SIZE = 256
MATRIX_CACHE_SIZE = 4096  # symbols of ~1.5 kB each
IMAGE_CACHE_SIZE = 512  # rendered images, a few kB to ~40 kB each
# qrcode's own default: a run of at least 20 digits (or upper-case alphanumerics) becomes a
# segment of its own, shorter runs stay in byte mode.
_SEGMENT_MINIMUM = 20

_ALNUM = qr_util.ALPHA_NUM
_PADDING = bytes((qr_util.PAD0, qr_util.PAD1))
_FROM_TEXT = bytes.maketrans(b"01", b"\x00\x01")
_TO_GREY = bytes.maketrans(b"\x00\x01", b"\xff\x00")


@dataclass(frozen=True, slots=True)
class QrMatrix:
    """A QR symbol without its quiet zone: ``size`` × ``size`` modules, row by row, one
    byte each (1 dark, 0 light)."""

    size: int
    version: int
    mask: int
    modules: bytes

    def rows(self) -> Iterator[bytes]:
        n = self.size
        for start in range(0, n * n, n):
            yield self.modules[start : start + n]

    def dark_runs(self) -> Iterator[tuple[int, int, int]]:
        """(row, first column, length) of each horizontal run of dark modules: what a
        vector drawing fills, one rectangle per run."""
        for r, row in enumerate(self.rows()):
            for run in _DARK_RUN.finditer(row):
                yield r, run.start(), run.end() - run.start()


_DARK_RUN = re.compile(rb"\x01+")


# --------------------------------------------------------------------------- layout
#
# A symbol is scored as two big integers of one bit per module: the rows one after the other
# (row-major) and the columns one after the other (column-major), module (0, 0) the highest
# bit. Shifting left by k brings the module k places further along a row (or a column) onto
# a module's own bit, so every penalty rule becomes a few shifts, ANDs and a bit count over
# the whole symbol; ``_Windows`` holds the masks that keep a window inside one row.


@dataclass(frozen=True, slots=True)
class _Windows:
    """For one symbol size, the modules where a window along a row may start."""

    five: int  # a run of five fits before the row ends
    eleven: int  # a finder-like pattern (11 modules) fits
    first: int  # the first module of a row
    block: int  # the top-left module of a 2×2 block (not in the last row or column)


@dataclass(frozen=True, slots=True)
class _Layout:
    """What every symbol of one version shares, row-major (``…_rows``) and column-major
    (``…_columns``)."""

    size: int
    bits: int  # data modules: codeword bits, then remainder bits (light before masking)
    # Function patterns; format, version information and the dark module light, as they
    # are while masks are scored.
    function_rows: int
    function_columns: int
    # For each module, its place in the bit stream (or the light sentinel past its end).
    gather_rows: itemgetter
    gather_columns: itemgetter
    masks_rows: tuple[int, ...]  # the eight mask patterns over the data modules
    masks_columns: tuple[int, ...]
    windows: _Windows


def _bits(cells: Iterable[bool | int | None]) -> int:
    """Modules (row-major or column-major) as an integer, the first one highest."""
    return int("".join("1" if cell else "0" for cell in cells) or "0", 2)


def _transposed(n: int) -> list[int]:
    """Row-major module indexes in column-major order."""
    return [row * n + col for col in range(n) for row in range(n)]


def _windows(n: int) -> _Windows:
    def where(test: Callable[[int, int], bool]) -> int:
        return _bits(test(i // n, i % n) for i in range(n * n))

    return _Windows(
        five=where(lambda r, c: c <= n - 5),
        eleven=where(lambda r, c: c <= n - 11),
        first=where(lambda r, c: c == 0),
        block=where(lambda r, c: r <= n - 2 and c <= n - 2),
    )


def _blank(version: int) -> qrcode.QRCode:
    symbol = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M)
    symbol.modules_count = n = version * 4 + 17
    symbol.modules = [[None] * n for _ in range(n)]
    return symbol


@lru_cache(maxsize=40)
def _layout(version: int) -> _Layout:
    symbol = _blank(version)
    n = symbol.modules_count
    for row, col in ((0, 0), (n - 7, 0), (0, n - 7)):
        symbol.setup_position_probe_pattern(row, col)
    symbol.setup_position_adjust_pattern()
    symbol.setup_timing_pattern()
    symbol.setup_type_info(True, 0)  # reserved, light while scoring
    if version >= 7:
        symbol.setup_type_number(True)
    cells = [cell for row in symbol.modules for cell in row]
    # The data modules in placement order: two-module columns from the right, up and down in
    # turn, the vertical timing column skipped (qrcode's map_data).
    order: list[int] = []
    upward = True
    for right in range(n - 1, 0, -2):
        if right <= 6:
            right -= 1
        for row in range(n - 1, -1, -1) if upward else range(n):
            for col in (right, right - 1):
                if cells[row * n + col] is None:
                    order.append(row * n + col)
        upward = not upward
    sentinel = len(order)  # a light bit past the last codeword bit
    position = dict.fromkeys(range(n * n), sentinel)
    position.update((module, bit) for bit, module in enumerate(order))
    columns = _transposed(n)
    masks = []
    for pattern in range(8):
        applies = qr_util.mask_func(pattern)
        masks.append([cells[i] is None and applies(i // n, i % n) for i in range(n * n)])
    return _Layout(
        size=n,
        bits=len(order),
        function_rows=_bits(cells),
        function_columns=_bits(cells[i] for i in columns),
        gather_rows=itemgetter(*(position[i] for i in range(n * n))),
        gather_columns=itemgetter(*(position[i] for i in columns)),
        masks_rows=tuple(_bits(mask) for mask in masks),
        masks_columns=tuple(_bits(mask[i] for i in columns) for mask in masks),
        windows=_windows(n),
    )


@lru_cache(maxsize=40 * 8)
def _information(version: int, mask: int) -> int:
    """Format information for (M, ``mask``), version information and the dark module,
    row-major."""
    symbol = _blank(version)
    symbol.setup_type_info(False, mask)
    if version >= 7:
        symbol.setup_type_number(False)
    return _bits(cell for row in symbol.modules for cell in row)


# --------------------------------------------------------------------------- encoding


def _lines_penalty(x: int, windows: _Windows) -> int:
    """Rules 1 and 3 along the rows of ``x`` (its columns, given column-major)."""
    along = [x, *(x << k for k in range(1, 11))]  # along[k]: the module k places on
    same = ~(x ^ along[1])  # a module and the next one alike
    five = same & (same << 1) & (same << 2) & (same << 3) & windows.five
    # Rule 1: a run of L >= 5 alike scores L - 2: its L - 4 windows of five, plus 2 for the
    # window that starts it (the first of its row, or after a module unlike it).
    starts = five & (~(same >> 1) | windows.first)
    score = five.bit_count() + 2 * starts.bit_count()
    # Rule 3: 1011101 with four light modules after it (10111010000) or before it.
    core = x & ~along[1] & along[2] & along[3] & along[4] & ~along[5] & along[6]
    light_after = ~(along[7] | along[8] | along[9] | along[10])
    light_before = ~(x | along[1] | along[2] | along[3])
    finder_like = (core & light_after | light_before & (core << 4)) & windows.eleven
    return score + 40 * finder_like.bit_count()


def _penalty(rows: int, columns: int, n: int, windows: _Windows) -> int:
    """ISO/IEC 18004's mask penalty of a symbol, scored as ``qrcode.util.lost_point``
    scores it (a window is counted once even when it could match both finder patterns:
    it cannot)."""
    score = _lines_penalty(rows, windows) + _lines_penalty(columns, windows)
    # Rule 2: 2×2 blocks of one colour, 3 each.
    across = ~(rows ^ (rows << 1))
    down = ~(rows ^ (rows << n))
    score += 3 * (across & down & (across << n) & windows.block).bit_count()
    # Rule 4: the share of dark modules away from one half, in steps of 5 %.
    percent = float(rows.bit_count()) / (n * n)
    return score + int(abs(percent * 100 - 50) / 5) * 10


@lru_cache(maxsize=64)
def _ecc_table(ec_count: int) -> tuple[int, ...]:
    """For each byte value, the generator polynomial times it, as one big integer: the
    remainder register of a Reed-Solomon encoder then advances by a shift and an XOR."""
    generator = qr_base.Polynomial([1], 0)
    for i in range(ec_count):
        generator = generator * qr_base.Polynomial([1, qr_base.gexp(i)], 0)
    logs = [qr_base.glog(c) for c in list(generator)[1:]]
    return (0, *(
        int.from_bytes(bytes(qr_base.gexp(g + qr_base.glog(f)) for g in logs), "big")
        for f in range(1, 256)
    ))


def _ecc(block: bytes, ec_count: int) -> bytes:
    table = _ecc_table(ec_count)
    top = 8 * (ec_count - 1)
    keep = (1 << 8 * ec_count) - 1
    register = 0
    for byte in block:
        register = ((register << 8) & keep) ^ table[(register >> top) ^ byte]
    return register.to_bytes(ec_count, "big")


def _codewords(version: int, segments: list[qr_util.QRData]) -> bytes:
    """Data and error correction codewords, interleaved: ``qrcode.util.create_data`` with
    the bits gathered in one integer and a table-driven Reed-Solomon encoder."""
    stream, length = 0, 0

    def put(value: int, bits: int) -> None:
        nonlocal stream, length
        stream = (stream << bits) | value
        length += bits

    for segment in segments:
        data = segment.data
        put(segment.mode, 4)
        put(len(data), qr_util.length_in_bits(segment.mode, version))
        if segment.mode == qr_util.MODE_NUMBER:
            for i in range(0, len(data), 3):
                chunk = data[i : i + 3]
                put(int(chunk), qr_util.NUMBER_LENGTH[len(chunk)])
        elif segment.mode == qr_util.MODE_ALPHA_NUM:
            for i in range(0, len(data) - 1, 2):
                put(_ALNUM.index(data[i]) * 45 + _ALNUM.index(data[i + 1]), 11)
            if len(data) % 2:
                put(_ALNUM.index(data[-1]), 6)
        else:
            put(int.from_bytes(data, "big"), 8 * len(data))
    blocks = qr_base.rs_blocks(version, ERROR_CORRECT_M)
    capacity = 8 * sum(block.data_count for block in blocks)
    put(0, min(capacity - length, 4))  # terminator
    put(0, -length % 8)
    pad = (capacity - length) // 8
    data = stream.to_bytes(length // 8, "big") + (_PADDING * pad)[:pad]
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        chunk = data[offset : offset + block.data_count]
        offset += block.data_count
        data_blocks.append(chunk)
        ec_blocks.append(_ecc(chunk, block.total_count - block.data_count))
    return bytes(_interleave(data_blocks) + _interleave(ec_blocks))


def _interleave(blocks: list[bytes]) -> bytearray:
    out = bytearray()
    for i in range(max(map(len, blocks))):
        out.extend(block[i] for block in blocks if i < len(block))
    return out


def _data_bits(segment: qr_util.QRData) -> int:
    count = len(segment.data)
    if segment.mode == qr_util.MODE_NUMBER:
        return 10 * (count // 3) + (0, 4, 7)[count % 3]
    if segment.mode == qr_util.MODE_ALPHA_NUM:
        return 11 * (count // 2) + 6 * (count % 2)
    return 8 * count


def _version(segments: list[qr_util.QRData]) -> int:
    """The smallest version whose level-M capacity holds the segments (``best_fit``,
    counted rather than written out)."""
    payload = sum(4 + _data_bits(segment) for segment in segments)
    version = 1
    while True:
        needed = payload + sum(qr_util.length_in_bits(s.mode, version) for s in segments)
        fits = bisect_left(qr_util.BIT_LIMIT_TABLE[ERROR_CORRECT_M], needed, version)
        if fits > 40:
            raise ValueError("too much data for a QR code")
        if qr_util.mode_sizes_for_version(fits) is qr_util.mode_sizes_for_version(version):
            return fits
        version = fits


def _symbol(uri: str) -> QrMatrix:
    segments = list(qr_util.optimal_data_chunks(uri.encode("utf-8"), _SEGMENT_MINIMUM))
    version = _version(segments)
    codewords = _codewords(version, segments)
    layout = _layout(version)
    n = layout.size
    # The codeword bits as text, then remainder bits and the sentinel, all light.
    stream = format(int.from_bytes(codewords, "big"), f"0{len(codewords) * 8}b")
    stream = stream.ljust(layout.bits + 1, "0")
    rows = int("".join(layout.gather_rows(stream)), 2) | layout.function_rows
    columns = int("".join(layout.gather_columns(stream)), 2) | layout.function_columns
    best, lowest = 0, -1
    for pattern in range(8):
        score = _penalty(rows ^ layout.masks_rows[pattern],
                         columns ^ layout.masks_columns[pattern], n, layout.windows)
        if lowest < 0 or score < lowest:
            best, lowest = pattern, score
    final = rows ^ layout.masks_rows[best] | _information(version, best)
    modules = format(final, f"0{n * n}b").encode().translate(_FROM_TEXT)
    return QrMatrix(size=n, version=version, mask=best, modules=modules)


@lru_cache(maxsize=MATRIX_CACHE_SIZE)
def encode(uri: str) -> QrMatrix:
    """The QR symbol of ``uri`` (see the module docstring), computed once per URI."""
    return _symbol(uri)


# --------------------------------------------------------------------------- images


def module_scale(matrix: QrMatrix, size: int) -> int:
    """Whole pixels per module that fit the symbol and its quiet zone in ``size`` pixels
    (at least one)."""
    return max(1, size // (matrix.size + 2 * QUIET_ZONE))


def render_png(matrix: QrMatrix, *, size: int | None = None, module_px: int | None = None) -> bytes:
    """A 1-bit PNG of the symbol: ``size`` × ``size`` pixels with the symbol centred in
    whole pixels per module, or ``module_px`` pixels per module and no padding beyond the
    quiet zone."""
    n = matrix.size
    scale = module_px or module_scale(matrix, size or DEFAULT_SIZE)
    side = max(size or 0, (n + 2 * QUIET_ZONE) * scale)
    code = Image.frombytes("L", (n, n), matrix.modules.translate(_TO_GREY))
    code = code.resize((n * scale, n * scale), Image.Resampling.NEAREST)
    canvas = Image.new("1", (side, side), 1)
    offset = (side - n * scale) // 2
    canvas.paste(code.convert("1", dither=Image.Dither.NONE), (offset, offset))
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()


def svg_path(matrix: QrMatrix, *, offset: int = QUIET_ZONE) -> str:
    """The dark modules as one SVG path in module units, one rectangle per run."""
    return "".join(
        f"M{col + offset} {row + offset}h{length}v1h-{length}z"
        for row, col, length in matrix.dark_runs()
    )


def render_svg(matrix: QrMatrix, *, size: int | None = None) -> bytes:
    """An SVG of the symbol and its quiet zone, ``size`` pixels wide and high when given
    (it scales freely: the view box is in modules)."""
    side = matrix.size + 2 * QUIET_ZONE
    dimensions = f' width="{size}" height="{size}"' if size else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}"{dimensions} '
        f'shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{svg_path(matrix)}"/></svg>\n'
    ).encode()


@lru_cache(maxsize=IMAGE_CACHE_SIZE)
def _image(uri: str, kind: str, size: int) -> bytes:
    matrix = encode(uri)
    return render_png(matrix, size=size) if kind == "png" else render_svg(matrix, size=size)


def png(uri: str, size: int = DEFAULT_SIZE) -> bytes:
    """The PNG of ``uri``'s QR code, ``size`` pixels square (cached)."""
    return _image(uri, "png", size)


def svg(uri: str, size: int = DEFAULT_SIZE) -> bytes:
    """The SVG of ``uri``'s QR code, ``size`` pixels square by default (cached)."""
    return _image(uri, "svg", size)


def clear_caches() -> None:
    """Forget every encoded symbol and image (benchmarks measure cold encodings)."""
    encode.cache_clear()
    _image.cache_clear()
