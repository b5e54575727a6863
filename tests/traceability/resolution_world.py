"""A small world for the resolver tests: a cooperative with a GTIN product, a product without
a GTIN (platform URIs), a lot of each, a recorded serial and a place with a GLN."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.db import db
from tests.traceability.batch_factories import (
    Party,
    make_area,
    make_party,
    make_product,
    new_gtin,
)
from traceability.gs1 import gs1_check_digit
from traceability.models import Batch, Product, ProductionArea
from traceability.models.serials import BatchSerial
from traceability.services import recording

BASE = "https://trace.example.vn"
LOT = "L2026-01"
SERIAL = "S0001"


@dataclass
class World:
    coop: Party
    gtin: str
    product: Product
    lot: Batch
    platform_product: Product
    platform_lot: Batch
    area: ProductionArea
    gln: str

    @property
    def platform_ref(self) -> str:
        return f"{self.coop.org.registration_code}.{self.platform_product.code}"


_glns = iter(range(100, 10_000))


def new_gln() -> str:
    body = f"893999{next(_glns):06d}"
    return body + str(gs1_check_digit(body))


def harvest_lot(party: Party, area: ProductionArea, product: Product, lot_code: str) -> Batch:
    return recording.record_harvest(
        party.staff, area_ids=[area.id], product_id=product.id, quantity=Decimal("100"),
        unit="kg", harvested_on=date(2026, 3, 1), lot_code=lot_code,
    )


def add_serial(batch: Batch, serial: str) -> None:
    db.session.add(BatchSerial(batch_id=batch.id, serial=serial))
    db.session.commit()


def make_world() -> World:
    coop = make_party("HTX Cà phê Cầu Đất")
    gln = new_gln()
    area = make_area(coop.org, gln=gln)
    gtin = new_gtin()
    product = make_product(coop.org, gtin=gtin, name="Cà phê Arabica Cầu Đất")
    lot = harvest_lot(coop, area, product, LOT)
    add_serial(lot, SERIAL)
    platform_product = make_product(coop.org, name="Cà phê bột")
    platform_lot = harvest_lot(coop, area, platform_product, "P-01")
    db.session.commit()
    return World(coop, gtin, product, lot, platform_product, platform_lot, area, gln)
