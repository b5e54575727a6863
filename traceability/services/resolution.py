"""Resolving an identifier path (what a QR code on a label holds) to what the platform knows.

``resolve_path("/01/08931234500016/10/LOT1/21/7")`` parses the whole URI with GS1's Digital
Link syntax (``traceability.gs1``) and finds the finest level the platform has recorded:

- a **serial** recorded under its lot (``BatchSerial``); an unknown serial under a known lot
  walks up to the lot (``unknown_serial`` says which serial was asked for);
- a **lot** (``Batch``) of the product; an unknown lot under a known product walks up to
  the product (``unregistered_lot``: the producer registered no such lot, which the consumer
  page must say plainly);
- a **product** by its GTIN, or by its platform reference ``{registration code}.{product
  code}`` for cooperatives without a GS1 prefix (``/p/…``);
- a **place** (``/414/{gln}``): a production area with that GLN;
- ``/417/`` (party) and ``/00/`` (SSCC) parse, but the platform records neither a party GLN
  nor SSCCs yet, so they are unknown keys.

Guarantees:
- a syntax fault of any part of the URI (key and check digit, qualifier order, characters
  and lengths, percent-encoding, query data attributes) raises ``ValidationFailed`` naming
  the AI at fault or ``"uri"`` (the resolver answers 400); an unknown primary key raises
  ``NotFound`` (404). Nothing else is refused: the identifiers are public.
- reads only, never commits; a found lot costs one indexed query (batch, product and
  producer joined, by the unique ``canonical_id``), a serial one more (the unique
  (batch, serial) index), a walk-up one or two more. No lazy load happens on the way.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload

from core.db import db
from core.errors import NotFound
from core.i18n import _
from linkages.models.organisations import Organisation
from traceability.gs1 import DigitalLink, canonical_uri, parse_digital_link
from traceability.gs1.ai import GLN, GTIN, PARTY_GLN, SSCC
from traceability.gs1.digital_link import PLATFORM_KEY, compose_uri
from traceability.models.areas import ProductionArea
from traceability.models.batches import Batch
from traceability.models.products import Product
from traceability.models.serials import BatchSerial

__all__ = [
    "LEVELS",
    "Resolution",
    "key_path_of",
    "resolve_path",
    "trace_page_path",
]

#: The levels a resolution can stop at, finest first within each kind of key.
LEVELS = ("serial", "lot", "product", "place", "party", "logistic_unit")


@dataclass(frozen=True)
class Resolution:
    """What an identifier path resolved to (see the module docstring)."""

    link: DigitalLink  # the identifier as parsed (traceability.gs1)
    # The identifier's path without the leading "/" and without a base, values
    # percent-encoded as the builders write them: "01/08931234500016/10/LOT1", "p/HTX-CF/10/L1".
    key_path: str
    level: str  # "serial" | "lot" | "product" | "place" | "party" | "logistic_unit"
    product: Product | None
    batch: Batch | None  # the lot when known
    serial: str | None  # a known serial of that lot
    unknown_serial: str | None  # a serial asked for but not recorded (walked up to the lot)
    unregistered_lot: str | None  # a lot not registered by the producer (walked up)
    organisation: Organisation | None  # the producer / owner of the key
    area: ProductionArea | None = None  # the place of a /414/ key


def trace_page_path(key_path: str) -> str:
    """The consumer trace page of an identifier (``key_path`` as in ``Resolution``)."""
    return f"/trace/{key_path}"


def key_path_of(link: DigitalLink, qualifiers: tuple[tuple[str, str], ...] | None = None) -> str:
    """``link``'s key path (with ``qualifiers`` instead of its own when given)."""
    chosen = link.qualifiers if qualifiers is None else qualifiers
    return compose_uri("", link.key_ai, link.key_value, chosen)[1:]


def resolver_base() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def resolve_path(path: str, query: str = "") -> Resolution:
    """Parse ``path`` (``"/01/…/10/LOT1"``, percent-encoded as received) with ``query`` (the
    raw query string, data attributes and resolver parameters) and resolve it.

    Raises ``ValidationFailed`` for any syntax fault, ``NotFound`` for an unknown primary key
    (an unknown lot or serial walks up instead; see the module docstring).
    """
    if not path.startswith("/"):
        path = "/" + path
    uri = resolver_base() + path + (f"?{query}" if query else "")
    link = parse_digital_link(uri)
    key_path = key_path_of(link)
    if link.key_ai in (GTIN, PLATFORM_KEY):
        return _resolve_trade_item(link, key_path)
    if link.key_ai == GLN:
        return _resolve_place(link, key_path)
    if link.key_ai == PARTY_GLN:
        raise NotFound(
            _("No organisation with the GLN %(gln)s is registered here.", gln=link.key_value)
        )
    if link.key_ai == SSCC:
        raise NotFound(
            _("No logistic unit with the SSCC %(sscc)s is registered here.", sscc=link.key_value)
        )
    raise NotFound()  # pragma: no cover - the parser knows no other key


# --------------------------------------------------------------------------- trade items


# Built once, the lot bound at execution: building this statement and its cache key on
# every scan cost more than running it (~170 of ~280 µs on SQLite).
# areas are a selectin relationship: not loaded unless a page asks for them.
_LOT_QUERY = (
    select(Batch, Product, Organisation)
    .join(Product, Product.id == Batch.product_id)
    .join(Organisation, Organisation.id == Product.organisation_id)
    .where(Batch.canonical_id == bindparam("canonical_id"))
    .options(lazyload(Batch.areas))
)


def _product_query(link: DigitalLink):  # type: ignore[no-untyped-def]
    query = select(Product, Organisation).join(
        Organisation, Organisation.id == Product.organisation_id
    )
    if link.key_ai == GTIN:
        return query.where(Product.gtin == link.key_value)
    registration_code, dot, code = link.key_value.partition(".")
    if not dot or not registration_code or not code:
        return None
    return query.where(Organisation.registration_code == registration_code, Product.code == code)


def _unknown_product(link: DigitalLink) -> NotFound:
    if link.key_ai == GTIN:
        return NotFound(
            _("No product with the GTIN %(gtin)s is registered here.", gtin=link.key_value)
        )
    return NotFound(
        _("No product with the reference %(ref)s is registered here.", ref=link.key_value)
    )


def _resolve_trade_item(link: DigitalLink, key_path: str) -> Resolution:
    lot, serial = link.lot, link.serial
    batch: Batch | None = None
    product: Product | None = None
    producer: Organisation | None = None
    if lot is not None:
        lot_link = DigitalLink(link.base, link.key_ai, link.key_value, (("10", lot),))
        row = db.session.execute(
            _LOT_QUERY, {"canonical_id": canonical_uri(lot_link)}
        ).first()
        if row is not None:
            batch, product, producer = row
    if product is None:
        query = _product_query(link)
        row = db.session.execute(query).first() if query is not None else None
        if row is None:
            raise _unknown_product(link)
        product, producer = row
        if lot is not None and link.is_platform:
            # A platform lot's canonical id carries the domain it was created on: after a
            # change of PUBLIC_BASE_URL its printed labels still name the product and lot.
            batch = db.session.scalars(
                select(Batch)
                .where(Batch.product_id == product.id, Batch.lot_code == lot)
                .options(lazyload(Batch.areas))
            ).first()
    if batch is None:
        return Resolution(
            link, key_path, "product", product, None, None, None, lot, producer
        )
    if serial is None:
        return Resolution(link, key_path, "lot", product, batch, None, None, None, producer)
    known = db.session.scalar(
        select(BatchSerial.id).where(BatchSerial.batch_id == batch.id, BatchSerial.serial == serial)
    )
    if known is None:
        return Resolution(link, key_path, "lot", product, batch, None, serial, None, producer)
    return Resolution(link, key_path, "serial", product, batch, serial, None, None, producer)


# --------------------------------------------------------------------------- places


def _resolve_place(link: DigitalLink, key_path: str) -> Resolution:
    row = db.session.execute(
        select(ProductionArea, Organisation)
        .join(Organisation, Organisation.id == ProductionArea.organisation_id)
        .where(ProductionArea.gln == link.key_value)
        .order_by(ProductionArea.id)
        .options(lazyload(ProductionArea.households))
    ).first()
    if row is None:
        raise NotFound(
            _("No place with the GLN %(gln)s is registered here.", gln=link.key_value)
        )
    area, owner = row
    return Resolution(link, key_path, "place", None, None, None, None, None, owner, area)
