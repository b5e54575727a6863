"""Commodities and products (SKUs) of an organisation."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Timestamped, db, str_enum
from core.units import Unit


class Commodity(StrEnum):
    RICE = "rice"
    COFFEE = "coffee"
    PEPPER = "pepper"
    CASHEW = "cashew"
    TEA = "tea"
    FRUIT = "fruit"
    VEGETABLES = "vegetables"
    AQUATIC = "aquatic"
    LIVESTOCK = "livestock"
    HONEY = "honey"
    HERBS = "herbs"
    FOREST_PRODUCTS = "forest_products"
    SALT = "salt"
    OTHER = "other"


# The unit each commodity is usually traded in (DOMAIN.md §7); a product may choose another.
DEFAULT_UNITS: dict[Commodity, Unit] = {
    Commodity.RICE: Unit.TAN,
    Commodity.COFFEE: Unit.TAN,
    Commodity.PEPPER: Unit.KG,
    Commodity.CASHEW: Unit.KG,
    Commodity.TEA: Unit.KG,
    Commodity.FRUIT: Unit.KG,
    Commodity.VEGETABLES: Unit.KG,
    Commodity.AQUATIC: Unit.KG,
    Commodity.LIVESTOCK: Unit.HEAD,
    Commodity.HONEY: Unit.LITRE,
    Commodity.HERBS: Unit.KG,
    Commodity.FOREST_PRODUCTS: Unit.KG,
    Commodity.SALT: Unit.TAN,
    Commodity.OTHER: Unit.KG,
}


class Product(Timestamped, db.Model):
    """A product or SKU. With a GTIN its lots are GS1 Digital Links; without one they are
    platform URIs of the same shape built from ``code``."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("organisation_id", "code"),
        Index("ix_products_org_commodity", "organisation_id", "commodity"),
        CheckConstraint("kg_per_unit IS NULL OR kg_per_unit > 0", name="kg_per_unit_positive"),
        CheckConstraint("pack_size IS NULL OR pack_size > 0", name="pack_size_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(20))  # the organisation's own SKU code
    name: Mapped[str] = mapped_column(String(200))
    commodity: Mapped[Commodity] = mapped_column(str_enum(Commodity, "commodity"))
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)  # stored as GTIN-14
    default_unit: Mapped[Unit] = mapped_column(str_enum(Unit, "unit", 10))
    # Weight of one litre / piece / head, for units that are not a mass.
    kg_per_unit: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    pack_size: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    pack_unit: Mapped[Unit | None] = mapped_column(str_enum(Unit, "pack_unit", 10))
    description: Mapped[str] = mapped_column(Text, default="")
    # The standards and technical regulations the product is made to, as the producer
    # names them (Decree 37/2026 Art. 23.5 i): "TCVN 11041-2:2017", "VietGAP", a TCCS
    # number. Free text, shown as written: a company standard has no central list. A JSON
    # list, not a table: it is read and written whole with the product, never queried.
    # The server default fills the rows that existed before the column (and raw inserts).
    applied_standards: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
