"""The organisations registry: cooperatives (HTX), unions (LHHTX), groups (THT),
enterprises (DN) and the other parties of a value chain.

The registry record (name, type, registration code, address, status) is public, as in the
national business and cooperative registers; everything attached to it beyond that
(members, yearly figures, evidence) is private to the organisation.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Timestamped, db, str_enum


class OrgType(StrEnum):
    HTX = "htx"  # hợp tác xã
    LHHTX = "lhhtx"  # liên hiệp hợp tác xã
    THT = "tht"  # tổ hợp tác
    DN = "dn"  # doanh nghiệp
    HOUSEHOLD_BUSINESS = "household_business"  # hộ kinh doanh
    FARM_HOUSEHOLD = "farm_household"  # hộ nông dân
    OTHER = "other"


# Types that a cooperative profile, yearly figures and the Law 2023 minimums apply to.
COOPERATIVE_TYPES = frozenset({OrgType.HTX, OrgType.LHHTX, OrgType.THT})


class OrgStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DISSOLVING = "dissolving"
    DISSOLVED = "dissolved"
    BANKRUPT = "bankrupt"
    REVOKED = "revoked"


class Organisation(Timestamped, db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        Index("ix_organisations_province_type", "province_code", "org_type"),
        Index("ix_organisations_name", "name"),
        # Registry lists filter by status (active/dissolved…) within a type.
        Index("ix_organisations_type_status", "org_type", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Tax code (MST): 10 digits with check digit, optional "-NNN" branch; 12-digit personal ID
    # for individuals and households.
    registration_code: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str] = mapped_column(String(100), default="")
    org_type: Mapped[OrgType] = mapped_column(str_enum(OrgType, "org_type"))
    status: Mapped[OrgStatus] = mapped_column(
        str_enum(OrgStatus, "org_status"), default=OrgStatus.ACTIVE
    )
    status_since: Mapped[date | None] = mapped_column(Date)
    registered_on: Mapped[date | None] = mapped_column(Date)

    address_line: Mapped[str] = mapped_column(String(255), default="")
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"))
    # For records made before 1 July 2025: the province as it was then.
    legacy_province_code: Mapped[str | None] = mapped_column(
        ForeignKey("legacy_provinces.code")
    )
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(255), default="")
