"""Administrative places: the 34 provinces and 3,321 communes in force since 1 July 2025,
the 63 legacy provinces with the new province each merged into, and region schemes.

Region membership is data, not a column on the province: the official six-region scheme is
defined over the legacy provinces, the post-2025 one is provisional, and others (the
Cooperative Alliance's 7–8 regions) can be added without a schema change.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db


class Province(db.Model):
    """A province-level unit in force since 1 July 2025 (2-digit code)."""

    __tablename__ = "provinces"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))  # official: "Tỉnh Cao Bằng"
    short_name: Mapped[str] = mapped_column(String(60), default="")  # "Cao Bằng"
    name_en: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(40))  # "thành phố trung ương" | "tỉnh"

    legacy_provinces: Mapped[list[LegacyProvince]] = relationship(
        viewonly=True, lazy="raise", order_by="LegacyProvince.code"
    )


class Commune(db.Model):
    """A commune-level unit (xã, phường, đặc khu) since 1 July 2025 (5-digit code)."""

    __tablename__ = "communes"
    __table_args__ = (Index("ix_communes_province_code_name", "province_code", "name"),)

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))  # official, with its kind: "Phường Ba Đình"
    kind: Mapped[str] = mapped_column(String(20))  # "xã" | "phường" | "đặc khu"
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"))
    # The name lower-cased without diacritics ("phuong ba dinh"), so a search typed without
    # Vietnamese accents still finds it on any database; filled by the loader.
    search_name: Mapped[str] = mapped_column(String(100), default="")

    province: Mapped[Province] = relationship(lazy="raise")


class LegacyProvince(db.Model):
    """One of the 63 provinces before 1 July 2025, kept for older records."""

    __tablename__ = "legacy_provinces"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str] = mapped_column(String(60))
    new_province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)

    new_province: Mapped[Province] = relationship(lazy="raise")


class RegionScheme(db.Model):
    __tablename__ = "region_schemes"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    # Which province codes the scheme's memberships use: "legacy" (63) or "2025" (34).
    province_set: Mapped[str] = mapped_column(String(10))
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(400), default="")

    regions: Mapped[list[Region]] = relationship(
        viewonly=True, lazy="raise", order_by="Region.position"
    )
    # No direct foreign key (memberships point at a region); join on the scheme code.
    memberships: Mapped[list[RegionMembership]] = relationship(
        primaryjoin="RegionScheme.code == foreign(RegionMembership.scheme_code)",
        viewonly=True,
        lazy="raise",
        order_by=lambda: [RegionMembership.province_code, RegionMembership.valid_from],
    )


class Region(db.Model):
    __tablename__ = "regions"

    scheme_code: Mapped[str] = mapped_column(
        ForeignKey("region_schemes.code", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    # Display order within the scheme (north to south), not alphabetical by code.
    position: Mapped[int] = mapped_column(Integer, default=0)


class RegionMembership(db.Model):
    """Province ``province_code`` belongs to ``region_code`` of a scheme from ``valid_from``."""

    __tablename__ = "region_memberships"
    __table_args__ = (
        db.ForeignKeyConstraint(
            ["scheme_code", "region_code"],
            ["regions.scheme_code", "regions.code"],
            ondelete="CASCADE",
        ),
        Index("ix_region_memberships_province", "province_code", "scheme_code"),
        Index("ix_region_memberships_region", "scheme_code", "region_code"),
    )

    scheme_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(20))
