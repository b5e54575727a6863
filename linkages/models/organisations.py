"""The organisations registry: cooperatives (HTX), unions (LHHTX), groups (THT),
enterprises (DN) and the other parties of a value chain.

The registry record (name, type, registration code, address, status) is public, as in the
national business and cooperative registers; everything attached to it beyond that
(members, yearly figures, evidence) is private to the organisation.

The facts that decide oversight and counting (``FactField``) change only through
``linkages.services.oversight``: each change is a row of ``organisation_fact_changes`` with
its effective date, written in the same transaction as the current value on the
organisation row, so that reports can ask what a fact was on any date.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Timestamped, UtcDateTime, db, str_enum, utcnow


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


# --- oversight facts and their history ---------------------------------------------------


class FactField(StrEnum):
    """The registry facts that decide who oversees an organisation and whether and where
    it is counted. ``status_since`` is not one of them: it is the effective date of the
    latest status change."""

    REGISTRATION_CODE = "registration_code"
    ORG_TYPE = "org_type"
    STATUS = "status"
    REGISTERED_ON = "registered_on"
    PROVINCE_CODE = "province_code"
    COMMUNE_CODE = "commune_code"
    LEGACY_PROVINCE_CODE = "legacy_province_code"


class ChangeRequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


# Values are stored as text (enum values, ISO dates, codes) so that one column serves
# every field and "as of" queries stay plain SQL; 32 covers the longest (an org type).
FACT_VALUE_LENGTH = 32


class OrganisationChangeRequest(Timestamped, db.Model):
    """An organisation's request to change some of its facts, decided by an authority over
    it or a platform admin. Approval writes the ``OrganisationFactChange`` rows."""

    __tablename__ = "organisation_change_requests"
    __table_args__ = (
        Index("ix_organisation_change_requests_org_status", "organisation_id", "status"),
        CheckConstraint(
            "(status = 'pending' AND decided_at IS NULL) "
            "OR (status <> 'pending' AND decided_at IS NOT NULL)",
            name="decided_unless_pending",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    status: Mapped[ChangeRequestStatus] = mapped_column(
        str_enum(ChangeRequestStatus, "change_request_status"),
        default=ChangeRequestStatus.PENDING,
    )
    effective_on: Mapped[date] = mapped_column(Date)  # proposed; the approver may correct it
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    items: Mapped[list[OrganisationChangeRequestItem]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="OrganisationChangeRequestItem.field",
    )


class OrganisationChangeRequestItem(db.Model):
    """One requested field: the value it had when requested (``old_value``; a request
    whose fields changed meanwhile is stale and cannot be approved) and the value wanted."""

    __tablename__ = "organisation_change_request_items"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("organisation_change_requests.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[FactField] = mapped_column(str_enum(FactField, "fact_field"), primary_key=True)
    old_value: Mapped[str | None] = mapped_column(String(FACT_VALUE_LENGTH))
    new_value: Mapped[str | None] = mapped_column(String(FACT_VALUE_LENGTH))


class OrganisationFactChange(db.Model):
    """One change of one fact: never edited nor deleted (so no ``updated_at``).

    "As of" rule: the value of a field on date D is the ``old_value`` of the field's first
    change (by ``effective_on``, then ``id``) that takes effect after D, or, when there is
    none, the current value on the organisation row. Before its first recorded change a
    fact therefore has the value it was registered with. This holds because a change may
    not take effect before the field's last recorded change, and ``old_value`` is the
    value it replaced.
    """

    __tablename__ = "organisation_fact_changes"
    __table_args__ = (
        # The "as of" lookup: first change of (organisation, field) after a date.
        Index(
            "ix_organisation_fact_changes_as_of",
            "organisation_id",
            "field",
            "effective_on",
            "id",
        ),
        Index("ix_organisation_fact_changes_request_id", "request_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    field: Mapped[FactField] = mapped_column(str_enum(FactField, "fact_field"))
    old_value: Mapped[str | None] = mapped_column(String(FACT_VALUE_LENGTH))
    new_value: Mapped[str | None] = mapped_column(String(FACT_VALUE_LENGTH))
    effective_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # The approved request this change applies; None for a direct change.
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation_change_requests.id")
    )
