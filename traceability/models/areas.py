"""Production areas (plots, ponds, barns…) and their cultivation diary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Timestamped, db, str_enum


class AreaKind(StrEnum):
    PLOT = "plot"
    ZONE = "zone"
    POND = "pond"
    BARN = "barn"
    APIARY = "apiary"
    FOREST_LOT = "forest_lot"


class ProductionArea(Timestamped, db.Model):
    __tablename__ = "production_areas"
    __table_args__ = (
        UniqueConstraint("organisation_id", "code"),
        CheckConstraint("area_ha IS NULL OR area_ha >= 0", name="area_ha_not_negative"),
        # The resolver finds a place by the GLN a scanned /414/ link names.
        Index("ix_production_areas_gln", "gln"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(40))  # the cooperative's own name for it
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AreaKind] = mapped_column(str_enum(AreaKind, "area_kind"))
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"), index=True)
    # Derived from the commune (which need not lie in the organisation's province): an
    # authority of the province where the land lies reads the area.
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"), index=True)
    area_ha: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    crop: Mapped[str] = mapped_column(String(100), default="")
    variety: Mapped[str] = mapped_column(String(100), default="")
    planting_area_code: Mapped[str] = mapped_column(String(40), default="")  # mã số vùng trồng
    gln: Mapped[str | None] = mapped_column(String(13))
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # GeoJSON geometry
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    households: Mapped[list[AreaHousehold]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AreaHousehold.member_id"
    )

    @property
    def household_ids(self) -> list[int]:
        return sorted(h.member_id for h in self.households)


class AreaHousehold(db.Model):
    """A member household that farms the area."""

    __tablename__ = "area_households"

    area_id: Mapped[int] = mapped_column(
        ForeignKey("production_areas.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class DiaryKind(StrEnum):
    FERTILISER = "fertiliser"
    PESTICIDE = "pesticide"
    PLANTING = "planting"
    FEEDING = "feeding"
    VACCINATION = "vaccination"
    IRRIGATION = "irrigation"
    OTHER = "other"


class DiaryEntry(Timestamped, db.Model):
    """One line of the cultivation diary (nhật ký canh tác) of an area."""

    __tablename__ = "diary_entries"
    __table_args__ = (
        # The PHI gate reads an area's pesticide entries by date.
        Index("ix_diary_entries_area_kind_date", "area_id", "kind", "occurred_on"),
        # The diary of an area, newest first.
        Index("ix_diary_entries_area_date", "area_id", "occurred_on"),
        CheckConstraint("dose IS NULL OR dose >= 0", name="dose_not_negative"),
        CheckConstraint("phi_days IS NULL OR phi_days >= 0", name="phi_days_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    area_id: Mapped[int] = mapped_column(ForeignKey("production_areas.id", ondelete="CASCADE"))
    kind: Mapped[DiaryKind] = mapped_column(str_enum(DiaryKind, "diary_kind"))
    occurred_on: Mapped[date] = mapped_column(Date)
    input_name: Mapped[str] = mapped_column(String(200), default="")  # product applied / fed
    active_ingredient: Mapped[str] = mapped_column(String(200), default="")
    dose: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    dose_unit: Mapped[str] = mapped_column(String(20), default="")
    operator: Mapped[str] = mapped_column(String(200), default="")
    # Pre-harvest interval: no harvest from the area until occurred_on + phi_days.
    phi_days: Mapped[int | None] = mapped_column(SmallInteger)
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
