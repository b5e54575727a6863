"""The demo's lots to scan: one of each kind of label a consumer meets, found in a database
seeded by ``flask seed-demo`` (``app.demo.traces`` plans them), with the URLs to open.

- ``gtin``: a lot of a product with a GTIN (Viet Nam's prefix 893), its label a GS1 Digital
  Link ``/01/{GTIN}/10/{lot}``: the coffee buyer's export lot of green coffee, made from
  the coffee cooperative's harvests through a merge, a processing step and a split; its
  product names its standards, and two lab results are behind it (``app.demo.traces``);
- ``platform``: a lot of a product without a GTIN, its label the platform's own URI
  ``/p/{registration code}.{product code}/10/{lot}``: the coffee cooperative's harvest lot
  shipped to its buyer;
- ``recalled``: a lot made from a recalled lot (the recall is on its ancestor, at the
  cooperative that harvested it): its page shows the recall banner through its lineage;
- ``serialised``: a unit of a lot whose serial numbers were recorded
  (``traceability.services.serials``), ``…/10/{lot}/21/{serial}``.

Lot codes carry the seeding day, so the URLs are looked up rather than written down:
``flask demo-urls`` prints them (``flask seed-demo`` too, at the end).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import exists, select

from app.demo.catalog import COFFEE_BUYER, COFFEE_HTX
from core.db import db
from linkages.models.organisations import Organisation
from traceability.gs1 import parse_digital_link
from traceability.models.batches import Batch, BatchStatus, Shipment
from traceability.models.products import Product
from traceability.models.serials import BatchSerial
from traceability.services import lineage
from traceability.services.labels import serial_uri
from traceability.services.resolution import key_path_of, trace_page_path

__all__ = ["KINDS", "ShowcaseLot", "showcase_lots"]

#: Each kind and what it shows, in the order they are listed.
KINDS: dict[str, str] = {
    "gtin": "a lot of a product with a GTIN (GS1 Digital Link)",
    "platform": "a lot of a product without a GTIN (platform URI)",
    "recalled": "a lot made from a recalled lot (the recall banner, through its lineage)",
    "serialised": "one serialised unit of a lot with recorded serial numbers",
}


@dataclass(frozen=True, slots=True)
class ShowcaseLot:
    kind: str  # a key of KINDS
    batch_id: int
    lot_code: str
    product: str
    organisation: str
    key_path: str  # "01/08931234500016/10/LOT1" (with "/21/{serial}" for a serialised unit)
    serial: str | None = None

    @property
    def what(self) -> str:
        return KINDS[self.kind]

    @property
    def label_path(self) -> str:
        """What the label's QR code holds, on this instance (the resolver answers it)."""
        return f"/{self.key_path}"

    @property
    def trace_path(self) -> str:
        """The consumer trace page the resolver redirects to."""
        return trace_page_path(self.key_path)

    def url(self, path: str) -> str:
        return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + path


def showcase_lots() -> list[ShowcaseLot]:
    """The demo's lots to scan, one per kind found (``KINDS`` order); empty when the
    database holds no demo (another seed may leave a kind out)."""
    found = [
        _gtin_lot(),
        _platform_lot(),
        _recalled_lot(),
        _serialised_unit(),
    ]
    return [lot for lot in found if lot is not None]


def _organisation_id(name: str) -> int | None:
    return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


def _lot(kind: str, batch: Batch, serial: str | None = None) -> ShowcaseLot:
    uri = serial_uri(batch.identifier, serial) if serial else batch.identifier
    product = db.session.get(Product, batch.product_id)
    organisation = db.session.get(Organisation, batch.organisation_id)
    return ShowcaseLot(
        kind=kind,
        batch_id=batch.id,
        lot_code=batch.lot_code,
        product=product.name if product else "",
        organisation=organisation.name if organisation else "",
        key_path=key_path_of(parse_digital_link(uri)),
        serial=serial,
    )


_HAS_SERIALS = exists().where(BatchSerial.batch_id == Batch.id)


def _gtin_lot() -> ShowcaseLot | None:
    buyer = _organisation_id(COFFEE_BUYER)
    batches = db.session.scalars(
        select(Batch)
        .join(Product, Product.id == Batch.product_id)
        .where(Batch.organisation_id == buyer, Product.gtin.is_not(None),
               Batch.status == BatchStatus.ACTIVE, ~_HAS_SERIALS)
        .order_by(Batch.id)
    ).all()
    # An export lot (split from the processed lot) has the longest journey.
    chosen = next((b for b in batches if "-XK-" in b.lot_code), batches[0] if batches else None)
    return _lot("gtin", chosen) if chosen is not None else None


def _platform_lot() -> ShowcaseLot | None:
    cooperative = _organisation_id(COFFEE_HTX)
    chosen = db.session.scalars(
        select(Batch)
        .join(Product, Product.id == Batch.product_id)
        .where(Batch.organisation_id == cooperative, Product.gtin.is_(None),
               Batch.status != BatchStatus.RECALLED,
               exists().where(Shipment.batch_id == Batch.id))
        .order_by(Batch.id.desc())
        .limit(1)
    ).first()
    return _lot("platform", chosen) if chosen is not None else None


def _recalled_lot() -> ShowcaseLot | None:
    """The furthest lot of another organisation made from the first recalled lot."""
    recalled = db.session.scalars(
        select(Batch).where(Batch.status == BatchStatus.RECALLED).order_by(Batch.id).limit(1)
    ).first()
    if recalled is None:
        return None
    made = lineage.descendants(recalled.id)
    elsewhere = db.session.scalars(
        select(Batch).where(Batch.id.in_(list(made)),
                            Batch.organisation_id != recalled.organisation_id)
    ).all()
    if not elsewhere:
        return _lot("recalled", recalled)
    return _lot("recalled", min(elsewhere, key=lambda b: (-made[b.id], b.id)))


def _serialised_unit() -> ShowcaseLot | None:
    row = db.session.execute(
        select(Batch, BatchSerial.serial)
        .join(BatchSerial, BatchSerial.batch_id == Batch.id)
        .order_by(BatchSerial.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    batch, serial = row
    return _lot("serialised", batch, serial)
