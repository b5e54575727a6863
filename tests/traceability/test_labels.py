"""QR codes and label sheets (issue 10 §3): the codes decode back to the exact URI, the
encoder makes the very symbol ``qrcode`` makes, the sheets hold what they say on the grids
they name, and serial ranges are recorded only by the lot's organisation, never twice."""

from __future__ import annotations

import io
import math
import random
import re
import string
from decimal import Decimal

import pypdf
import pytest
import qrcode
import resvg_py
import zxingcpp
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy import func, select

from core.actor import Actor, PlatformRole
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import actor_of, make_user_with_token
from tests.traceability.batch_factories import Party, make_area, make_product, new_gtin
from traceability import gs1
from traceability.labels import qr, sheet
from traceability.models import Batch, BatchSerial, BatchStatus
from traceability.services import labels as label_svc
from traceability.services import recording
from traceability.services import serials as serial_svc

BASE = "https://trace.example.vn"
LOT_URI = gs1.build_digital_link(BASE, "08931234500016", lot="261123-LO1-1")
SERIAL_URI = gs1.build_digital_link(BASE, "08931234500016", lot="261123-LO1-1",
                                    serial="SN-000042")
# A lot whose characters must be percent-encoded in the URI (/, &, +, ').
ESCAPED_URI = gs1.build_digital_link(BASE, "08931234500016", lot="26/11&A+B'C")
PLATFORM_URI = gs1.build_platform_uri(BASE, "0312345678.CF-BM", lot="261123-LO1-1")


def decoded(png: bytes) -> list[str]:
    """The texts of the QR codes zxing-cpp finds in a PNG."""
    image = Image.open(io.BytesIO(png))
    return [found.text for found in zxingcpp.read_barcodes(image)
            if found.format == zxingcpp.BarcodeFormat.QRCode]


def rasterised(svg: bytes, width: int = 400) -> bytes:
    return bytes(resvg_py.svg_to_bytes(svg_string=svg.decode(), width=width, height=width))


# --------------------------------------------------------------------------- QR codes


def test_uris_that_need_percent_encoding_are_built_as_expected() -> None:
    assert "/10/26%2F11%26A%2BB%27C" in ESCAPED_URI
    assert SERIAL_URI.endswith("/10/261123-LO1-1/21/SN-000042")


@pytest.mark.parametrize("uri", [LOT_URI, SERIAL_URI, ESCAPED_URI, PLATFORM_URI])
@pytest.mark.parametrize("size", qr.SIZES)
def test_a_png_decodes_back_to_the_exact_uri(uri: str, size: int) -> None:
    png = qr.png(uri, size)
    assert Image.open(io.BytesIO(png)).size == (size, size)
    assert decoded(png) == [uri]


@pytest.mark.parametrize("uri", [LOT_URI, SERIAL_URI, ESCAPED_URI, PLATFORM_URI])
def test_an_svg_rasterised_decodes_back_to_the_exact_uri(uri: str) -> None:
    svg = qr.svg(uri)
    assert svg.startswith(b"<?xml") and b'shape-rendering="crispEdges"' in svg
    assert decoded(rasterised(svg)) == [uri]


def _qrcode_symbol(uri: str) -> bytes:
    reference = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    reference.add_data(uri)
    reference.make()
    return bytes(1 if cell else 0 for row in reference.get_matrix() for cell in row)


def test_the_encoder_makes_the_very_symbol_qrcode_makes() -> None:
    """Same segments, version, codewords and mask, module for module, over URIs of every
    shape and length a label may carry (versions 1 to 13)."""
    rng = random.Random(10)
    alphabet = string.ascii_letters + string.digits + "-._%/"
    uris = [LOT_URI, SERIAL_URI, ESCAPED_URI, PLATFORM_URI, "A", "0" * 30,
            "https://x.vn/01/08931234500016", "HTTPS://TRACE.EXAMPLE.VN/01/08931234500016"]
    uris += [f"{BASE}/p/R.{rng.randrange(10**6)}/10/"
             + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 280)))
             for _ in range(80)]
    versions = set()
    for uri in uris:
        symbol = qr._symbol(uri)
        versions.add(symbol.version)
        assert symbol.modules == _qrcode_symbol(uri), uri
    assert {1, 4, 7, 10}.issubset(versions)  # small, mid, with version information


def test_each_mask_is_scored_as_qrcode_scores_it() -> None:
    """The penalty of every masked symbol equals ``qrcode.util.lost_point``'s, so the mask
    chosen is the same for the same reasons, not by chance."""
    rng = random.Random(18004)
    for _ in range(40):
        uri = f"{BASE}/p/R/10/" + "".join(rng.choice(string.ascii_letters + "%-/0123456789")
                                          for _ in range(rng.randint(1, 250)))
        reference = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
        reference.add_data(uri)
        reference.best_fit()
        n = reference.version * 4 + 17
        layout = qr._layout(reference.version)
        for mask in range(8):
            reference.makeImpl(True, mask)
            cells = [cell for row in reference.modules for cell in row]
            rows = qr._bits(cells)
            columns = qr._bits(cells[i] for i in qr._transposed(n))
            assert qr._penalty(rows, columns, n, layout.windows) == qrcode.util.lost_point(
                reference.modules), (uri, mask)


def test_a_uri_is_encoded_once_and_its_images_drawn_once() -> None:
    qr.clear_caches()
    uri = f"{LOT_URI}-cache"
    first = qr.encode(uri)
    assert qr.encode(uri) is first
    assert qr.encode.cache_info().misses == 1
    assert qr.png(uri, 256) is qr.png(uri, 256)
    assert qr.svg(uri, 512) is qr.svg(uri, 512)
    assert qr.encode.cache_info().misses == 1
    assert qr.png(uri, 128) != qr.png(uri, 256)


def test_the_caches_are_bounded() -> None:
    assert qr.encode.cache_info().maxsize == qr.MATRIX_CACHE_SIZE
    assert qr._image.cache_info().maxsize == qr.IMAGE_CACHE_SIZE


def test_a_png_is_drawn_in_whole_pixels_per_module_with_its_quiet_zone() -> None:
    matrix = qr.encode(LOT_URI)
    png = Image.open(io.BytesIO(qr.render_png(matrix, module_px=3)))
    side = (matrix.size + 2 * qr.QUIET_ZONE) * 3
    assert png.size == (side, side)
    assert png.mode == "1"
    # The quiet zone is light all round; the finder pattern's corner dark.
    assert png.getpixel((qr.QUIET_ZONE * 3 - 1, qr.QUIET_ZONE * 3 - 1)) == 255
    assert png.getpixel((qr.QUIET_ZONE * 3, qr.QUIET_ZONE * 3)) == 0


# --------------------------------------------------------------------------- sheets


LINES = ("Lô: 261123-LO1-1", "Thu hoạch: 23 thg 11, 2026", "HTX Nông nghiệp Ea Tu")
TITLE = "Cà phê nhân Robusta loại 1"


def _pages(pdf: bytes) -> list[pypdf.PageObject]:
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    return list(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _form_streams(page: pypdf.PageObject) -> list[bytes]:
    forms = page["/Resources"]["/XObject"]
    return [forms[name].get_object().get_data() for name in forms]


def _streams(page: pypdf.PageObject) -> list[bytes]:
    """What a page draws: its forms, and its own content split at each label (q … Q)."""
    own = page.get_contents().get_data()
    return [*_form_streams(page), *own.split(b"/F")]


def _labels_on(page: pypdf.PageObject) -> int:
    """How many labels a page places (each is a form drawn with ``Do``)."""
    return len(re.findall(rb"/\S+ Do", page.get_contents().get_data()))


@pytest.mark.parametrize("key", sorted(sheet.GRIDS))
def test_a_sheet_fills_its_grid_page_by_page(key: str) -> None:
    grid = sheet.GRIDS[key]
    count = grid.per_page + 3
    pages = _pages(sheet.build_sheet([sheet.Label(LOT_URI, TITLE, LINES)] * count, grid))
    assert len(pages) == math.ceil(count / grid.per_page) == 2
    assert [_labels_on(p) for p in pages] == [grid.per_page, 3]
    for page in pages:
        assert page.mediabox.width == pytest.approx(595.28, abs=0.1)  # A4
        assert page.mediabox.height == pytest.approx(841.89, abs=0.1)


def test_every_grid_keeps_to_the_a4_page() -> None:
    for grid in sheet.GRIDS.values():
        right = grid.left + (grid.columns - 1) * grid.pitch_x + grid.width
        bottom = grid.top + (grid.rows - 1) * grid.pitch_y + grid.height
        assert grid.left >= 0 and grid.top >= 0
        assert right <= 210 and bottom <= 297, grid.key
        assert grid.pitch_x >= grid.width and grid.pitch_y >= grid.height
    assert {"3x8", "4x10"} <= set(sheet.GRIDS)
    assert (sheet.GRIDS["3x8"].per_page, sheet.GRIDS["4x10"].per_page) == (24, 40)


def test_a_label_says_what_it_identifies_in_vietnamese_with_an_embedded_font() -> None:
    pdf = sheet.build_sheet([sheet.Label(SERIAL_URI, TITLE, LINES, unit="Số sê-ri: SN-000042")],
                            sheet.GRIDS["3x8"])
    page = _pages(pdf)[0]
    text = "".join(stream.decode("latin-1") for stream in _streams(page))
    assert "Tf" in text
    extracted = page.extract_text()
    for expected in (TITLE, "Số sê-ri: SN-000042", *LINES):  # the title may wrap
        assert expected in " ".join(extracted.split()), expected
    # The URI, printed under the code, wrapped at a '/' and nothing dropped.
    assert SERIAL_URI in extracted.replace("\n", "")
    assert b"/FontFile2" in pdf  # the TrueType font travels with the file


def _drawn_symbol(stream: bytes) -> set[tuple[int, int]]:
    """The dark modules of the QR code a label's form draws (``col row len 1 re``)."""
    dark = set()
    for col, row, length in re.findall(rb"(\d+) (\d+) (\d+) 1 re", stream):
        dark.update((int(row), int(col) + i) for i in range(int(length)))
    return dark


def test_the_code_on_a_label_is_the_symbol_of_its_uri() -> None:
    labels = [sheet.Label(f"{LOT_URI}/21/S{n}", TITLE, LINES, unit=f"S{n}") for n in range(3)]
    labels.append(sheet.Label(LOT_URI, TITLE, LINES))
    page = _pages(sheet.build_sheet([*labels, labels[-1]], sheet.GRIDS["4x10"]))[0]
    drawn = [_drawn_symbol(stream) for stream in _streams(page)]
    for label in labels:
        matrix = qr.encode(label.uri)
        n = matrix.size
        expected = {(i // n, i % n) for i, cell in enumerate(matrix.modules) if cell}
        assert expected in drawn


def test_one_label_repeated_is_drawn_once() -> None:
    label = sheet.Label(LOT_URI, TITLE, LINES)
    pdf = sheet.build_sheet([label] * 1000, sheet.GRIDS["4x10"])
    pages = _pages(pdf)
    assert len(pages) == 25
    assert sum(_labels_on(p) for p in pages) == 1000
    assert len(pdf) < 200_000  # one form, a thousand references to it


def test_the_same_labels_give_the_same_bytes() -> None:
    labels = [sheet.Label(LOT_URI, TITLE, LINES)] * 5
    assert sheet.build_sheet(labels, sheet.GRIDS["3x8"]) == sheet.build_sheet(
        labels, sheet.GRIDS["3x8"])


def test_text_too_long_for_a_label_is_cut_and_a_uri_is_wrapped_whole() -> None:
    sheet.register_fonts()
    long = "Cà phê nhân Robusta loại 1 sàng 18 chế biến ướt, phơi giàn, đóng bao 60 kg"
    cut = sheet.fit(long, sheet.REGULAR, 6, 80)
    assert cut.endswith("…") and long.startswith(cut[:-1])
    lines = sheet.wrap_uri(ESCAPED_URI, sheet.REGULAR, 5, 60)
    assert "".join(lines) == ESCAPED_URI and len(lines) > 1


def test_a_sheet_refuses_no_labels_or_too_many() -> None:
    grid = sheet.GRIDS["3x8"]
    with pytest.raises(ValueError):
        sheet.build_sheet([], grid)
    with pytest.raises(ValueError):
        sheet.build_sheet([sheet.Label(LOT_URI, TITLE)] * (sheet.MAX_LABELS + 1), grid)


# --------------------------------------------------------------------------- services


def harvest(party: Party, *, lot_code: str | None = None, gtin: bool = True) -> Batch:
    batch = recording.record_harvest(
        party.staff, area_ids=[make_area(party.org).id],
        product_id=make_product(party.org, gtin=new_gtin() if gtin else None).id,
        quantity=Decimal(100), unit="kg", harvested_on="2026-03-01", lot_code=lot_code,
    )
    db.session.flush()
    return batch


def platform(role: PlatformRole, province_code: str | None = None) -> Actor:
    user, _headers = make_user_with_token(platform_role=role, province_code=province_code)
    return actor_of(user)


def test_the_lot_s_organisation_and_platform_admins_may_print_its_labels(
    coop: Party, dn: Party
) -> None:
    batch = harvest(coop)
    assert label_svc.may_print_labels(coop.staff, batch)
    assert label_svc.may_print_labels(coop.admin, batch)
    assert label_svc.may_print_labels(platform(PlatformRole.ADMIN), batch)
    assert not label_svc.may_print_labels(dn.admin, batch)
    assert not label_svc.may_print_labels(platform(PlatformRole.AUTHORITY), batch)
    with pytest.raises(NotFound):
        label_svc.batch_qr(dn.admin, batch.id, "png")
    with pytest.raises(NotFound):
        label_svc.label_sheet(platform(PlatformRole.AUTHORITY), batch.id)


def test_a_qr_image_holds_the_lot_s_identifier_at_an_offered_size(coop: Party) -> None:
    batch = harvest(coop, lot_code="26/11&A+B")
    image = label_svc.batch_qr(coop.staff, batch.id, "png", 512)
    assert image.uri == batch.identifier and "%2F" in batch.identifier
    assert decoded(image.content) == [batch.identifier]
    assert image.media_type == "image/png"
    assert image.filename == "qr-26_11_A_B-512.png"
    svg = label_svc.batch_qr(coop.staff, batch.id, "svg")
    assert svg.etag != image.etag
    assert label_svc.batch_qr(coop.staff, batch.id, "png", 512).etag == image.etag
    with pytest.raises(ValidationFailed) as refused:
        label_svc.batch_qr(coop.staff, batch.id, "png", 500)
    assert "size" in refused.value.field_errors


def test_a_lot_sheet_names_product_lot_dates_and_cooperative(coop: Party) -> None:
    batch = harvest(coop, gtin=False)
    made = label_svc.label_sheet(coop.staff, batch.id, grid="4x10", count=41)
    assert made.labels == 41
    assert made.filename == f"labels-{batch.lot_code}-lot-4x10.pdf"
    pages = _pages(made.pdf)
    assert [_labels_on(p) for p in pages] == [40, 1]
    text = pages[1].extract_text()
    assert "Cà phê nhân" in text and batch.lot_code in text and coop.org.name in text
    assert "2026" in text  # the harvest date
    assert batch.identifier in text.replace("\n", "")
    # A page when no count is given.
    assert label_svc.label_sheet(coop.staff, batch.id).labels == 24


@pytest.mark.parametrize(("field", "arguments"), [
    ("count", {"count": 0}),
    ("count", {"count": 1001}),
    ("grid", {"grid": "9x9"}),
    ("kind", {"kind": "pallet"}),
])
def test_a_sheet_out_of_bounds_is_refused(coop: Party, field: str, arguments: dict) -> None:
    batch = harvest(coop)
    with pytest.raises(ValidationFailed) as refused:
        label_svc.label_sheet(coop.staff, batch.id, **arguments)
    assert field in refused.value.field_errors


def test_a_range_of_serials_is_recorded_each_one(coop: Party) -> None:
    batch = harvest(coop)
    recorded = serial_svc.record_serial_range(
        coop.staff, batch.id, first=7, count=5, prefix="CF26-", width=4)
    assert [s.serial for s in recorded] == ["CF26-0007", "CF26-0008", "CF26-0009",
                                            "CF26-0010", "CF26-0011"]
    assert {s.batch_id for s in recorded} == {batch.id}
    assert recorded[0].created_by_id == coop.staff.user_id
    listed = db.session.scalars(serial_svc.list_serials(coop.admin, batch.id)).all()
    assert [s.serial for s in listed] == [s.serial for s in recorded]
    overview = label_svc.serial_overview(coop.staff, batch.id)
    assert (overview.count, overview.first, overview.last) == (5, "CF26-0007", "CF26-0011")


def test_a_range_overlapping_recorded_serials_is_refused_whole(coop: Party) -> None:
    batch = harvest(coop)
    serial_svc.record_serial_range(coop.staff, batch.id, first=1, count=10)
    with pytest.raises(Conflict) as refused:
        serial_svc.record_serial_range(coop.staff, batch.id, first=8, count=5)
    assert "000008" in str(refused.value.detail)
    assert "first" in refused.value.field_errors
    assert serial_svc.serial_count(batch.id) == 10
    # The same numbers under another prefix are other serials.
    serial_svc.record_serial_range(coop.staff, batch.id, first=8, count=5, prefix="B")
    assert serial_svc.serial_count(batch.id) == 15


@pytest.mark.parametrize(("field", "arguments"), [
    ("count", {"count": 0}),
    ("count", {"count": serial_svc.MAX_SERIALS_PER_RANGE + 1}),
    ("prefix", {"prefix": "A B"}),
    ("prefix", {"prefix": "<script>"}),
    ("prefix", {"prefix": "LÔ"}),
    ("prefix", {"prefix": "ABCDEFGHIJKLMNOP"}),  # 16 + 6 digits > 20 characters
    ("width", {"width": 21}),
    ("first", {"first": -1}),
])
def test_serials_out_of_bounds_are_refused(coop: Party, field: str, arguments: dict) -> None:
    batch = harvest(coop)
    with pytest.raises(ValidationFailed) as refused:
        serial_svc.record_serial_range(coop.staff, batch.id, **{"first": 1, "count": 3,
                                                                 **arguments})
    assert field in refused.value.field_errors
    assert serial_svc.serial_count(batch.id) == 0


def test_the_cap_is_a_range_of_ten_thousand(coop: Party) -> None:
    batch = harvest(coop)
    recorded = serial_svc.record_serial_range(
        coop.staff, batch.id, first=1, count=serial_svc.MAX_SERIALS_PER_RANGE)
    assert len(recorded) == serial_svc.MAX_SERIALS_PER_RANGE
    assert recorded[-1].serial == "010000"


def test_only_the_lot_s_organisation_records_serials(coop: Party, dn: Party) -> None:
    batch = harvest(coop)
    with pytest.raises(NotFound):
        serial_svc.record_serial_range(dn.admin, batch.id, first=1, count=3)
    with pytest.raises(NotFound):
        serial_svc.list_serials(dn.admin, batch.id)
    # An authority over the province reads the lot, but records nothing on it.
    with pytest.raises(Forbidden):
        serial_svc.record_serial_range(platform(PlatformRole.AUTHORITY), batch.id,
                                       first=1, count=3)
    assert serial_svc.serial_count(batch.id) == 0
    admin = platform(PlatformRole.ADMIN)
    assert len(serial_svc.record_serial_range(admin, batch.id, first=1, count=2)) == 2
    assert serial_svc.record_serial_range(coop.admin, batch.id, first=3, count=1)


def test_a_withdrawn_lot_gets_neither_serials_nor_sheets(coop: Party) -> None:
    batch = harvest(coop)
    batch.status = BatchStatus.VOID
    db.session.flush()
    with pytest.raises(Conflict):
        serial_svc.record_serial_range(coop.staff, batch.id, first=1, count=3)
    with pytest.raises(Conflict):
        label_svc.label_sheet(coop.staff, batch.id)


def test_serial_labels_print_recorded_serials_from_the_one_chosen(coop: Party) -> None:
    batch = harvest(coop)
    with pytest.raises(ValidationFailed) as none_yet:
        label_svc.label_sheet(coop.staff, batch.id, kind="serial")
    assert "kind" in none_yet.value.field_errors
    serial_svc.record_serial_range(coop.staff, batch.id, first=1, count=30, prefix="U")
    made = label_svc.label_sheet(coop.staff, batch.id, kind="serial", first_serial="U000011",
                                 count=5, grid="3x8")
    assert made.labels == 5
    page = _pages(made.pdf)[0]
    text = page.extract_text().replace("\n", "")
    for n in range(11, 16):
        assert f"{batch.identifier}/21/U{n:06d}" in text
    assert "U000016" not in text
    assert len(page["/Resources"]["/XObject"]) == 1  # what the labels share, drawn once
    drawn = [_drawn_symbol(stream) for stream in _streams(page)]
    matrix = qr.encode(label_svc.serial_uri(batch.identifier, "U000011"))
    assert {(i // matrix.size, i % matrix.size)
            for i, cell in enumerate(matrix.modules) if cell} in drawn
    # Fewer recorded than asked for: as many as there are.
    assert label_svc.label_sheet(coop.staff, batch.id, kind="serial",
                                 first_serial="U000028", count=10).labels == 3
    with pytest.raises(ValidationFailed) as unknown:
        label_svc.label_sheet(coop.staff, batch.id, kind="serial", first_serial="X1")
    assert "first_serial" in unknown.value.field_errors


def test_a_serial_uri_escapes_what_gs1_digital_link_escapes() -> None:
    assert label_svc.serial_uri(LOT_URI, "A/1") == f"{LOT_URI}/21/A%2F1"
    parsed = gs1.parse_digital_link(label_svc.serial_uri(LOT_URI, "A/1"))
    assert parsed.serial == "A/1"


def test_no_serial_is_recorded_by_a_refused_range(coop: Party) -> None:
    batch = harvest(coop)
    serial_svc.record_serial_range(coop.staff, batch.id, first=5, count=1)
    with pytest.raises(Conflict):
        serial_svc.record_serial_range(coop.staff, batch.id, first=1, count=10)
    total = db.session.scalar(select(func.count()).select_from(BatchSerial))
    assert total == 1
