"""What the registry record of a cooperative does not say: its profile (field, sub-type,
governance, size, high-tech status), its union memberships and its yearly figures.

All of it is private to the organisation (and readable by admins and authorities), unlike
the public registry record in ``linkages.models.organisations``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Timestamped, UtcDateTime, db, str_enum, utcnow

# Values are stored as text in the change histories: 40 holds the longest profile value
# (a high-tech basis), 16 a member count or a rating.
PROFILE_VALUE_LENGTH = 40
FIGURE_VALUE_LENGTH = 16


class FieldGroup(StrEnum):
    """Field groups of the national cooperative statistics."""

    AGRICULTURE = "agriculture"
    INDUSTRY_CONSTRUCTION = "industry_construction"
    FINANCE = "finance"  # people's credit funds and other credit cooperatives
    TRADE_SERVICES = "trade_services"


class AgriSubtype(StrEnum):
    """Sub-types of agricultural cooperatives (Decree 113/2024)."""

    CROPS = "crops"
    LIVESTOCK = "livestock"
    FORESTRY = "forestry"
    FISHERY = "fishery"
    SALT = "salt"
    RURAL_CLEAN_WATER = "rural_clean_water"
    GENERAL_AGRICULTURE = "general_agriculture"


class GovernanceModel(StrEnum):
    """Cooperative Law 2023: full (general meeting, board, director, supervisors) or the
    simplified model a small cooperative may choose (no separate board)."""

    FULL = "full"
    SIMPLIFIED = "simplified"


class SizeClass(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class HighTechStatus(StrEnum):
    """There is no legal "high-tech cooperative" certificate: a claim, verified or not."""

    NONE = "none"
    CLAIMED = "claimed"
    VERIFIED = "verified"


class HighTechBasis(StrEnum):
    HITECH_ENTERPRISE_CERTIFICATE = "hitech_enterprise_certificate"  # Decision 19/2018
    HITECH_ZONE = "hitech_zone"  # inside a recognised zone, Decision 66/2015
    DECISION_738_PROJECT = "decision_738_project"  # Decision 738/QĐ-BNN-KHCN
    PROVINCIAL_LIST = "provincial_list"
    SELF_DECLARED = "self_declared"


# Official counts use these bases only; a self-declaration can be claimed, not verified.
OFFICIAL_BASES = frozenset(HighTechBasis) - {HighTechBasis.SELF_DECLARED}


class TechnologyTag(StrEnum):
    GREENHOUSE = "greenhouse"
    DRIP_IRRIGATION = "drip_irrigation"
    IOT_SENSORS = "iot_sensors"
    HYDROPONICS = "hydroponics"
    TISSUE_CULTURE = "tissue_culture"
    DRONES = "drones"
    COLD_CHAIN = "cold_chain"
    OTHER = "other"


class Rating(StrEnum):
    """Annual rating of agricultural cooperatives."""

    GOOD = "good"  # ≥ 80 points
    FAIR = "fair"  # 65 – < 80
    AVERAGE = "average"  # 50 – < 65
    WEAK = "weak"  # < 50


# Lower bound of each rating's score band, best first.
RATING_THRESHOLDS: tuple[tuple[Rating, int], ...] = (
    (Rating.GOOD, 80),
    (Rating.FAIR, 65),
    (Rating.AVERAGE, 50),
    (Rating.WEAK, 0),
)


def rating_for_score(score: int) -> Rating:
    """The rating a 0–100 score earns."""
    for rating, lowest in RATING_THRESHOLDS:
        if score >= lowest:
            return rating
    return Rating.WEAK


class CooperativeProfile(Timestamped, db.Model):
    """One per HTX / LHHTX / THT organisation."""

    __tablename__ = "cooperative_profiles"
    __table_args__ = (
        # Indicator denominators and high-tech counts filter on these.
        Index("ix_cooperative_profiles_field_group", "field_group", "agri_subtype"),
        Index("ix_cooperative_profiles_high_tech", "high_tech_status", "high_tech_basis"),
    )

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    field_group: Mapped[FieldGroup] = mapped_column(str_enum(FieldGroup, "field_group"))
    agri_subtype: Mapped[AgriSubtype | None] = mapped_column(
        str_enum(AgriSubtype, "agri_subtype")
    )
    governance_model: Mapped[GovernanceModel] = mapped_column(
        str_enum(GovernanceModel, "governance_model"), default=GovernanceModel.FULL
    )
    size_class: Mapped[SizeClass | None] = mapped_column(str_enum(SizeClass, "size_class"))
    high_tech_status: Mapped[HighTechStatus] = mapped_column(
        str_enum(HighTechStatus, "high_tech_status"), default=HighTechStatus.NONE
    )
    high_tech_basis: Mapped[HighTechBasis | None] = mapped_column(
        str_enum(HighTechBasis, "high_tech_basis", length=40)
    )
    technology_other: Mapped[str] = mapped_column(String(255), default="")
    high_tech_evidence: Mapped[str] = mapped_column(Text, default="")
    high_tech_evidence_url: Mapped[str] = mapped_column(String(500), default="")
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    # An association table rather than a JSON list: the tags are a closed vocabulary that
    # the indicator breaks down by ("HTX using drip irrigation per province"), and a plain
    # table keeps that a portable indexed join on SQLite and PostgreSQL alike, with the
    # vocabulary enforced by a CHECK constraint instead of by application code.
    technologies: Mapped[list[CooperativeTechnology]] = relationship(
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="CooperativeTechnology.tag",
    )

    @property
    def technology_tags(self) -> list[TechnologyTag]:
        return [t.tag for t in self.technologies]


class ProfileFact(StrEnum):
    """The profile fields the indicator reads, whose changes are kept
    (``CooperativeProfileChange``): the field group decides the linkage denominator, the
    size class is a breakdown, the high-tech status and basis the high-tech count."""

    FIELD_GROUP = "field_group"
    SIZE_CLASS = "size_class"
    HIGH_TECH_STATUS = "high_tech_status"
    HIGH_TECH_BASIS = "high_tech_basis"


class CooperativeProfileChange(db.Model):
    """One change of one ``ProfileFact`` of a cooperative profile, taking effect on the day
    it is recorded (in Vietnam): never edited nor deleted, so that the indicator as of a
    past date reads the profile as it stood then.

    The same "as of" rule as the registry facts (``OrganisationFactChange``): the value on
    date D is the ``old_value`` of the first change (by ``effective_on``, then ``id``)
    taking effect after D or recorded at or after the cutoff, else the profile's current
    value. A profile's first values are part of its registration: recording the profile
    writes no change, as registering an organisation writes none.
    """

    __tablename__ = "cooperative_profile_changes"
    __table_args__ = (
        # The "as of" lookup: first change of (cooperative, field) after a date.
        Index("ix_cooperative_profile_changes_as_of", "organisation_id", "field",
              "effective_on", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("cooperative_profiles.organisation_id", ondelete="CASCADE")
    )
    field: Mapped[ProfileFact] = mapped_column(str_enum(ProfileFact, "profile_fact"))
    old_value: Mapped[str | None] = mapped_column(String(PROFILE_VALUE_LENGTH))
    new_value: Mapped[str | None] = mapped_column(String(PROFILE_VALUE_LENGTH))
    effective_on: Mapped[date] = mapped_column(Date)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CooperativeTechnology(db.Model):
    """A technology a cooperative uses (one row per tag)."""

    __tablename__ = "cooperative_technologies"
    __table_args__ = (Index("ix_cooperative_technologies_tag", "tag"),)

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("cooperative_profiles.organisation_id", ondelete="CASCADE"),
        primary_key=True,
    )
    tag: Mapped[TechnologyTag] = mapped_column(
        str_enum(TechnologyTag, "technology_tag"), primary_key=True
    )


class UnionMembership(Timestamped, db.Model):
    """An HTX's membership of a cooperative union (LHHTX), from ``joined_on`` until
    ``left_on`` (exclusive; None while it lasts). Ended memberships are kept as history."""

    __tablename__ = "union_memberships"
    __table_args__ = (
        CheckConstraint("union_id <> member_id", name="not_self"),
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
        Index("ix_union_memberships_union", "union_id", "left_on"),
        Index("ix_union_memberships_member", "member_id", "left_on"),
        # At most one open membership of an HTX in the same union.
        Index(
            "uq_union_memberships_open",
            "union_id",
            "member_id",
            unique=True,
            sqlite_where=text("left_on IS NULL"),
            postgresql_where=text("left_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)

    union = relationship("Organisation", foreign_keys=[union_id], lazy="raise")
    member = relationship("Organisation", foreign_keys=[member_id], lazy="raise")


class YearlyFigures(Timestamped, db.Model):
    """Figures an organisation reports for one statistical year.

    ``year`` is the national cooperative database's statistical year Y, which runs from
    15 December Y-1 to 14 December Y (reports may map to calendar years on request).
    """

    __tablename__ = "yearly_figures"
    __table_args__ = (
        UniqueConstraint("organisation_id", "year"),
        CheckConstraint(
            "official_members >= 0 AND associate_capital_members >= 0 "
            "AND associate_no_capital_members >= 0 AND households >= 0",
            name="counts_not_negative",
        ),
        CheckConstraint("revenue_vnd IS NULL OR revenue_vnd >= 0", name="revenue_not_negative"),
        CheckConstraint(
            "rating_score IS NULL OR (rating_score >= 0 AND rating_score <= 100)",
            name="rating_score_range",
        ),
        # Year-wide aggregates (share of good/fair ratings, member totals).
        Index("ix_yearly_figures_year_rating", "year", "rating"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    year: Mapped[int] = mapped_column(SmallInteger)
    official_members: Mapped[int] = mapped_column(Integer, default=0)
    associate_capital_members: Mapped[int] = mapped_column(Integer, default=0)
    associate_no_capital_members: Mapped[int] = mapped_column(Integer, default=0)
    households: Mapped[int] = mapped_column(Integer, default=0)
    revenue_vnd: Mapped[int | None] = mapped_column(BigInteger)  # integer VND
    rating: Mapped[Rating | None] = mapped_column(str_enum(Rating, "rating"))
    rating_score: Mapped[int | None] = mapped_column(SmallInteger)


class FigureFact(StrEnum):
    """The yearly figures the indicator reads, whose changes are kept
    (``YearlyFiguresChange``): the members (counted against the 2030 targets) and the
    rating (the share rated good or fair)."""

    OFFICIAL_MEMBERS = "official_members"
    ASSOCIATE_CAPITAL_MEMBERS = "associate_capital_members"
    ASSOCIATE_NO_CAPITAL_MEMBERS = "associate_no_capital_members"
    RATING = "rating"


class YearlyFiguresChange(db.Model):
    """One change of one ``FigureFact`` of a yearly-figures row once reported: never edited
    nor deleted, so that the indicator as known at a past cutoff reads the figures as
    they were reported by then.

    "As known at" rule: the value at a cutoff is the ``old_value`` of the first change
    (by ``changed_at``, then ``id``) recorded at or after the cutoff, else the row's
    current value; a row created at or after the cutoff is not known at all.
    """

    __tablename__ = "yearly_figures_changes"
    __table_args__ = (
        Index("ix_yearly_figures_changes_as_of", "figures_id", "field", "changed_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    figures_id: Mapped[int] = mapped_column(ForeignKey("yearly_figures.id", ondelete="CASCADE"))
    field: Mapped[FigureFact] = mapped_column(str_enum(FigureFact, "figure_fact"))
    old_value: Mapped[str | None] = mapped_column(String(FIGURE_VALUE_LENGTH))
    new_value: Mapped[str | None] = mapped_column(String(FIGURE_VALUE_LENGTH))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    # The row changed (its year, on the pages and in the API): one join, never a query each.
    figures: Mapped[YearlyFigures] = relationship(lazy="joined", innerjoin=True)
