"""Labels of a lot: its QR code as PNG or SVG, and A4 label sheets of lot or serial labels.

Guarantees:
- labels are the lot's organisation's business: its staff and admins, and platform admins,
  have them (``may_print_labels``); anyone else gets ``NotFound`` for a read (images,
  sheets: a buyer or an authority may open the lot, but its labels are not theirs to
  print) and, for a write (recording serials, and the page whose form does it),
  ``Forbidden`` when they may read the lot;
- a QR code holds exactly the lot's identifier (``Batch.identifier``, fixed at creation),
  a serial label's the identifier plus ``/21/{serial}`` (percent-encoded as GS1 Digital
  Link says); sizes come from a fixed list (``qr.SIZES``), anything else is refused (422);
- an image's ETag is a hash of what it shows (URI, format, size, drawing version): the
  identifier never changes, so neither does the image;
- a sheet holds 1 to ``MAX_SHEET_LABELS`` labels on a grid of ``sheet.GRIDS``; serial
  labels print recorded serials only (``traceability.services.serials``), in the order
  they were recorded, from a chosen one; a withdrawn (void) lot gets no sheet (409);
- what a label says: the product, the lot (and serial), the harvest dates, the packing
  date when the lot was packed, the organisation, the best-before date, worded and dated
  in the reader's language.

Nothing here writes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date
from enum import StrEnum
from functools import cached_property
from typing import Any

from sqlalchemy import false, func, select

from core.actor import Actor, can_write, require_authenticated
from core.clock import VIETNAM
from core.db import db
from core.errors import Conflict, NotFound, ValidationFailed
from core.formatting import format_day
from core.i18n import _, _l
from linkages.models.organisations import Organisation
from traceability.gs1.digital_link import percent_encode
from traceability.labels import qr, sheet
from traceability.models.batches import Batch, BatchStatus
from traceability.models.events import EpcisEvent, EventBatch
from traceability.models.products import Product
from traceability.models.serials import BatchSerial
from traceability.services import batches as batch_svc

MAX_SHEET_LABELS = sheet.MAX_LABELS
QR_MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
# Part of every image's ETag: change it when the drawing of codes changes, so that caches
# holding the old drawing revalidate.
QR_DRAWING = "1"


class LabelKind(StrEnum):
    LOT = "lot"  # every label the lot's code
    SERIAL = "serial"  # one label per recorded serial


# --------------------------------------------------------------------------- who


def may_print_labels(actor: Actor, batch: Batch) -> bool:
    """May the actor have the lot's QR codes and label sheets (and record its serials)?"""
    return actor.is_authenticated and can_write(actor, batch.organisation_id)


def labelled_batch(actor: Actor, batch_id: int) -> Batch:
    """The lot, for reading its labels; ``NotFound`` to anyone who may not print them."""
    require_authenticated(actor)
    batch = db.session.get(Batch, batch_id)
    if batch is None or not may_print_labels(actor, batch):
        raise NotFound()
    return batch


def labelling_batch(actor: Actor, batch_id: int, *, refuse_void: bool = True) -> Batch:
    """The lot, for a write about its labels (serials) or the page whose forms make one:
    404 to those who may not read it, 403 to readers who may not print, 409 on a withdrawn
    lot (unless ``refuse_void`` is false: the page still shows)."""
    # The lot's organisation prints its labels (``may_print_labels``): its write rule.
    batch = batch_svc.owned_batch(actor, batch_id)
    if refuse_void:
        _refuse_void(batch)
    return batch


def _refuse_void(batch: Batch) -> None:
    if batch.status == BatchStatus.VOID:
        raise Conflict(_l(
            "Batch %(lot)s is withdrawn: the event that created it did not occur, so it "
            "gets no labels.", lot=batch.lot_code,
        ))


# --------------------------------------------------------------------------- QR images


def serial_uri(identifier: str, serial: str) -> str:
    """A serial's URI: the lot's identifier and ``/21/{serial}``."""
    return f"{identifier}/21/{percent_encode(serial)}"


def file_stem(text: str) -> str:
    """``text`` as a safe part of a download's file name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "lot"


@dataclass(frozen=True)
class QrImage:
    """A lot's QR code in one format and size; drawn only when its bytes are asked for."""

    uri: str
    fmt: str
    size: int
    filename: str

    @property
    def media_type(self) -> str:
        return QR_MEDIA_TYPES[self.fmt]

    @cached_property
    def etag(self) -> str:
        seen = f"{QR_DRAWING}\n{self.fmt}\n{self.size}\n{self.uri}".encode()
        return hashlib.sha256(seen).hexdigest()[:32]

    @property
    def content(self) -> bytes:
        return qr.png(self.uri, self.size) if self.fmt == "png" else qr.svg(self.uri, self.size)


def check_qr_size(size: int | None) -> int:
    """``size`` if it is one of ``qr.SIZES`` (None: the default), else 422."""
    if size is None:
        return qr.DEFAULT_SIZE
    if size not in qr.SIZES:
        raise ValidationFailed(field_errors={"size": [_l(
            "Choose one of the sizes offered: %(sizes)s pixels.",
            sizes=", ".join(str(s) for s in qr.SIZES),
        )]})
    return size


def batch_qr(actor: Actor, batch_id: int, fmt: str, size: int | None = None) -> QrImage:
    """The lot's QR code as ``fmt`` ("png" or "svg") at ``size`` pixels."""
    batch = labelled_batch(actor, batch_id)
    if fmt not in QR_MEDIA_TYPES:
        raise NotFound()
    size = check_qr_size(size)
    return QrImage(batch.identifier, fmt, size, f"qr-{file_stem(batch.lot_code)}-{size}.{fmt}")


# --------------------------------------------------------------------------- sheets


@dataclass(frozen=True)
class LabelSheet:
    pdf: bytes
    filename: str
    labels: int


@dataclass(frozen=True)
class SerialOverview:
    count: int
    first: str | None
    last: str | None


def serial_overview(actor: Actor, batch_id: int) -> SerialOverview:
    """How many serials the lot has, the first and the last recorded."""
    batch = labelled_batch(actor, batch_id)
    where = BatchSerial.batch_id == batch.id
    count, low, high = db.session.execute(
        select(func.count(), func.min(BatchSerial.id), func.max(BatchSerial.id)).where(where)
    ).one()
    if not count:
        return SerialOverview(0, None, None)
    ends = dict(db.session.execute(
        select(BatchSerial.id, BatchSerial.serial).where(BatchSerial.id.in_((low, high)))
    ).all())
    return SerialOverview(int(count), ends[low], ends[high])


def _packed_on(batch_id: int) -> date | None:
    """The day (Vietnamese time) the lot was first packed, if it was."""
    moment = db.session.scalar(
        select(func.min(EpcisEvent.event_time))
        .join(EventBatch, EventBatch.event_pk == EpcisEvent.id)
        .where(
            EventBatch.batch_id == batch_id,
            EpcisEvent.biz_step == "packing",
            EpcisEvent.retracted_at.is_(None),
            EpcisEvent.declares_error == false(),
        )
    )
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM).date()


def _lines(batch: Batch, organisation: Organisation) -> list[str]:
    """What every label of the lot says beside its code, after the product (and serial)."""
    lines = [_("Lot: %(lot)s", lot=batch.lot_code)]
    start, end = batch.harvest_start, batch.harvest_end
    if start and end and end != start:
        lines.append(_("Harvested: %(start)s – %(end)s", start=format_day(start),
                       end=format_day(end)))
    elif start:
        lines.append(_("Harvested: %(date)s", date=format_day(start)))
    packed = _packed_on(batch.id)
    if packed:
        lines.append(_("Packed: %(date)s", date=format_day(packed)))
    lines.append(organisation.name)
    if batch.expiry:
        lines.append(_("Best before: %(date)s", date=format_day(batch.expiry)))
    return lines


def _serials_from(batch: Batch, first_serial: str | None, count: int) -> list[str]:
    query = select(BatchSerial.serial).where(BatchSerial.batch_id == batch.id)
    if first_serial:
        start = db.session.scalar(select(BatchSerial.id).where(
            BatchSerial.batch_id == batch.id, BatchSerial.serial == first_serial
        ))
        if start is None:
            raise ValidationFailed(field_errors={"first_serial": [_l(
                "Serial %(serial)s is not recorded for this lot.", serial=first_serial
            )]})
        query = query.where(BatchSerial.id >= start)
    serials = list(db.session.scalars(query.order_by(BatchSerial.id).limit(count)))
    if not serials:
        raise ValidationFailed(field_errors={"kind": [_l(
            "No serial numbers are recorded for this lot yet: record a range first."
        )]})
    return serials


def check_sheet(
    grid: str, count: int | None, kind: str
) -> tuple[sheet.Grid, int, LabelKind]:
    """The grid, the number of labels (a full page when None) and the kind, or 422 naming
    each field that is wrong."""
    problems: dict[str, list[Any]] = {}
    if grid not in sheet.GRIDS:
        problems["grid"] = [_l("Choose one of the label sheets offered.")]
    if count is not None and not (isinstance(count, int) and 1 <= count <= MAX_SHEET_LABELS):
        problems["count"] = [_l("Enter a number of labels from 1 to %(max)d.",
                                max=MAX_SHEET_LABELS)]
    if kind not in set(LabelKind):
        problems["kind"] = [_l("Choose lot labels or serial labels.")]
    if problems:
        raise ValidationFailed(field_errors=problems)
    layout = sheet.GRIDS[grid]
    return layout, count or layout.per_page, LabelKind(kind)


def label_sheet(
    actor: Actor,
    batch_id: int,
    *,
    grid: str = sheet.DEFAULT_GRID,
    count: int | None = None,
    kind: str = LabelKind.LOT,
    first_serial: str | None = None,
) -> LabelSheet:
    """A PDF of ``count`` labels of the lot (a full page when not given) on ``grid``: lot
    labels, or serial labels of the recorded serials from ``first_serial`` (the first
    recorded when not given), as many as there are up to ``count``."""
    batch = labelled_batch(actor, batch_id)
    layout, count, label_kind = check_sheet(grid, count, kind)
    _refuse_void(batch)
    product = db.session.get(Product, batch.product_id)
    organisation = db.session.get(Organisation, batch.organisation_id)
    assert product is not None and organisation is not None  # foreign keys
    lines = tuple(_lines(batch, organisation))
    if label_kind == LabelKind.LOT:
        labels = [sheet.Label(batch.identifier, product.name, lines)] * count
    else:
        labels = [
            sheet.Label(serial_uri(batch.identifier, serial), product.name, lines,
                        unit=_("Serial: %(serial)s", serial=serial))
            for serial in _serials_from(batch, first_serial, count)
        ]
    pdf = sheet.build_sheet(labels, layout, title=_("Labels of lot %(lot)s", lot=batch.lot_code))
    stem = file_stem(batch.lot_code)
    return LabelSheet(pdf, f"labels-{stem}-{label_kind.value}-{layout.key}.pdf", len(labels))


__all__ = [
    "MAX_SHEET_LABELS",
    "LabelKind",
    "LabelSheet",
    "QrImage",
    "SerialOverview",
    "batch_qr",
    "check_qr_size",
    "check_sheet",
    "label_sheet",
    "labelled_batch",
    "labelling_batch",
    "may_print_labels",
    "serial_overview",
    "serial_uri",
]
