"""Certifications an organisation holds: VietGAP, GlobalG.A.P., organic, HACCP/ISO, 4C,
planting-area and packing-house codes, OCOP stars (DOMAIN.md §5).

A certification is owned by one organisation and is about the organisation itself, one of
its production areas or one of its products. It is public by default, because consumers
see certifications on the trace page; an owner may keep one private.

Certifications are never deleted: a withdrawn one gets ``revoked_on`` (and a reason), so
that a batch traced years later still shows what was valid on its harvest day.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    and_,
    case,
    or_,
    type_coerce,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Timestamped, UtcDateTime, db, str_enum, utcnow


class CertScheme(StrEnum):
    VIETGAP = "vietgap"  # crops, TCVN 11892-1:2017
    VIETGAHP = "vietgahp"  # livestock
    VIETGAP_AQUACULTURE = "vietgap_aquaculture"
    GLOBALGAP = "globalgap"
    ORGANIC_VN = "organic_vn"  # TCVN 11041
    ORGANIC_EU = "organic_eu"
    ORGANIC_USDA = "organic_usda"
    ORGANIC_JAS = "organic_jas"
    HACCP = "haccp"
    ISO22000 = "iso22000"
    FSSC22000 = "fssc22000"
    FOUR_C = "4c"
    RAINFOREST = "rainforest"
    FAIRTRADE = "fairtrade"
    PLANTING_AREA_CODE = "planting_area_code"  # mã số vùng trồng
    PACKING_HOUSE_CODE = "packing_house_code"  # mã số cơ sở đóng gói
    OCOP = "ocop"
    OTHER = "other"


class SubjectKind(StrEnum):
    ORGANISATION = "organisation"
    PRODUCTION_AREA = "production_area"
    PRODUCT = "product"


class Validity(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"


# OCOP (Decision 148/QĐ-TTg, 2023): a 100-point score; the star bands below; certificates
# are issued from 3 stars and are valid for 36 months.
OCOP_STAR_BANDS: tuple[tuple[int, int], ...] = ((90, 5), (70, 4), (50, 3), (30, 2), (0, 1))
OCOP_CERTIFICATE_MIN_STARS = 3
OCOP_VALIDITY_MONTHS = 36


def ocop_stars_for_score(score: int) -> int:
    """The star rank a score of 0–100 earns: 5★ ≥90, 4★ 70–<90, 3★ 50–<70, 2★ 30–<50, 1★."""
    for floor, stars in OCOP_STAR_BANDS:
        if score >= floor:
            return stars
    return 1


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months; the 29–31st clamp to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_ocop_expiry(issued_on: date) -> date:
    return add_months(issued_on, OCOP_VALIDITY_MONTHS)


class Certification(Timestamped, db.Model):
    __tablename__ = "certifications"
    __table_args__ = (
        # An organisation's certifications, newest first (its page, the trace page).
        Index("ix_certifications_organisation_issued", "organisation_id", "issued_on"),
        # National counts by scheme and "expiring soon" reminders.
        Index("ix_certifications_scheme_expires", "scheme", "expires_on"),
        CheckConstraint(
            "expires_on IS NULL OR expires_on >= issued_on", name="expires_after_issue"
        ),
        CheckConstraint(
            "revoked_on IS NULL OR revoked_on >= issued_on", name="revoked_after_issue"
        ),
        CheckConstraint(
            "scheme = 'ocop' OR (ocop_stars IS NULL AND ocop_score IS NULL)",
            name="ocop_fields_only_for_ocop",
        ),
        CheckConstraint("ocop_stars IS NULL OR ocop_stars BETWEEN 1 AND 5", name="ocop_stars"),
        CheckConstraint("ocop_score IS NULL OR ocop_score BETWEEN 0 AND 100", name="ocop_score"),
        CheckConstraint(
            "(subject_kind = 'organisation'"
            " AND production_area_id IS NULL AND product_id IS NULL)"
            " OR (subject_kind = 'production_area'"
            " AND production_area_id IS NOT NULL AND product_id IS NULL)"
            " OR (subject_kind = 'product'"
            " AND product_id IS NOT NULL AND production_area_id IS NULL)",
            name="subject_matches_kind",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    scheme: Mapped[CertScheme] = mapped_column(str_enum(CertScheme, "cert_scheme"))
    # The scheme's name when ``scheme`` is "other" (e.g. "Halal", "BRCGS").
    scheme_name: Mapped[str] = mapped_column(String(200), default="")
    number: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(255))
    issued_on: Mapped[date] = mapped_column(Date)
    # Inclusive: the certification is valid on its expiry day. None: no stated expiry.
    expires_on: Mapped[date | None] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(Text, default="")

    subject_kind: Mapped[SubjectKind] = mapped_column(
        str_enum(SubjectKind, "cert_subject_kind"), default=SubjectKind.ORGANISATION
    )
    # RESTRICT: a certification is evidence; the area or product it covers is retired
    # (``active``), never deleted from under it.
    production_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("production_areas.id", ondelete="RESTRICT"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )

    is_public: Mapped[bool] = mapped_column(Boolean, default=True)

    ocop_stars: Mapped[int | None] = mapped_column(SmallInteger)
    ocop_score: Mapped[int | None] = mapped_column(SmallInteger)

    revoked_on: Mapped[date | None] = mapped_column(Date)
    revocation_reason: Mapped[str] = mapped_column(String(500), default="")
    # When the revocation was recorded (``revoked_on`` may be a day before it): figures as
    # of an earlier moment do not know it (``linkages.indicator.inforce
    # .certifications_known``).
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    # Validity on a given day, in Python for one object and as SQL for filters/ordering:
    # revoked (from its revocation day) wins, then not yet valid, then expired.
    @hybrid_method
    def validity_on(self, day: date) -> Validity:
        if self.revoked_on is not None and self.revoked_on <= day:
            return Validity.REVOKED
        if self.issued_on > day:
            return Validity.NOT_YET_VALID
        if self.expires_on is not None and self.expires_on < day:
            return Validity.EXPIRED
        return Validity.VALID

    @validity_on.inplace.expression
    @classmethod
    def _validity_on_expression(cls, day: date) -> ColumnElement[Any]:
        expression = case(
            (and_(cls.revoked_on.is_not(None), cls.revoked_on <= day), Validity.REVOKED.value),
            (cls.issued_on > day, Validity.NOT_YET_VALID.value),
            (and_(cls.expires_on.is_not(None), cls.expires_on < day), Validity.EXPIRED.value),
            else_=Validity.VALID.value,
        )
        # Typed as the enum so that ``== Validity.VALID`` binds "valid" on every driver and
        # selected values come back as ``Validity`` members.
        return type_coerce(expression, str_enum(Validity, "cert_validity"))

    @hybrid_method
    def is_valid_on(self, day: date) -> bool:
        return self.validity_on(day) == Validity.VALID

    @is_valid_on.inplace.expression
    @classmethod
    def _is_valid_on_expression(cls, day: date) -> ColumnElement[bool]:
        # Plain range predicates rather than the CASE above, so an index on the dates helps.
        return and_(
            cls.issued_on <= day,
            or_(cls.expires_on.is_(None), cls.expires_on >= day),
            or_(cls.revoked_on.is_(None), cls.revoked_on > day),
        )


class CertFact(StrEnum):
    """The fields of a certification the linkage indicator reads (OCOP products by stars),
    whose corrections are kept (``CertificationChange``)."""

    SCHEME = "scheme"
    ISSUED_ON = "issued_on"
    EXPIRES_ON = "expires_on"
    OCOP_STARS = "ocop_stars"


CERT_VALUE_LENGTH = 32  # the longest kept value: a scheme code


class CertificationChange(db.Model):
    """One correction of one ``CertFact`` of a certification (``update_certification``):
    never edited nor deleted, so that the indicator as known at a past cutoff reads the
    certification as it was recorded then.

    "As known at" rule, as the yearly figures' (``YearlyFiguresChange``): the value at a
    cutoff is the ``old_value`` of the first change (by ``changed_at``, then ``id``)
    recorded at or after the cutoff, else the row's current value.
    """

    __tablename__ = "certification_changes"
    __table_args__ = (
        Index("ix_certification_changes_as_of", "certification_id", "field", "changed_at",
              "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certification_id: Mapped[int] = mapped_column(
        ForeignKey("certifications.id", ondelete="CASCADE"))
    field: Mapped[CertFact] = mapped_column(str_enum(CertFact, "cert_fact"))
    old_value: Mapped[str | None] = mapped_column(String(CERT_VALUE_LENGTH))
    new_value: Mapped[str | None] = mapped_column(String(CERT_VALUE_LENGTH))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
