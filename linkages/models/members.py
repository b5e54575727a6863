"""Members of a cooperative (HTX), union (LHHTX) or cooperative group (THT).

Member types follow Law 17/2023/QH15: official members, associate members who contribute
capital and associate members who do not (new in 2023). A member is a person, a household
(represented by its head) or a legal entity (an enterprise, or an HTX inside an LHHTX).

Members are private data of the organisation. A member is never deleted: leaving records
``left_on`` and keeps the row, because membership history backs capital accounts, the
Law 2023 minimum-member checks for past years and the statistics reported each December.
Personal ID numbers are stored only as a keyed hash (see ``linkages.person_id``).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Timestamped, db, str_enum
from linkages import person_id


class MemberType(StrEnum):
    OFFICIAL = "official"  # thành viên chính thức
    ASSOCIATE_CAPITAL = "associate_capital"  # thành viên liên kết góp vốn
    ASSOCIATE_NO_CAPITAL = "associate_no_capital"  # thành viên liên kết không góp vốn


class MemberKind(StrEnum):
    INDIVIDUAL = "individual"  # cá nhân
    HOUSEHOLD = "household"  # hộ gia đình (represented by its head)
    LEGAL_ENTITY = "legal_entity"  # pháp nhân


class ContributionKind(StrEnum):
    CAPITAL = "capital"
    LAND_USE_RIGHTS = "land_use_rights"
    LABOUR = "labour"
    PRODUCE = "produce"
    EQUIPMENT = "equipment"
    OTHER = "other"


# "Active" means the membership has not ended. Partial indexes on that predicate keep the
# uniqueness rules and the active-member queries to the rows that matter; SQLite (3.8+)
# and PostgreSQL both support them, with the same SQL text.
_ACTIVE = "left_on IS NULL"


class Member(Timestamped, db.Model):
    __tablename__ = "members"
    __table_args__ = (
        # Listing an organisation's members in name order (all, or filtered by type).
        Index("ix_members_organisation_name", "organisation_id", "display_name"),
        # Listing and counting the active members (count_active_members groups by type).
        Index(
            "ix_members_active_organisation_type",
            "organisation_id",
            "member_type",
            sqlite_where=text(_ACTIVE),
            postgresql_where=text(_ACTIVE),
        ),
        # One person at most once active in one organisation; former rows may repeat
        # (someone who left and rejoined has two rows, both kept).
        Index(
            "uq_members_active_person",
            "organisation_id",
            "person_id_hash",
            unique=True,
            sqlite_where=text(f"{_ACTIVE} AND person_id_hash IS NOT NULL"),
            postgresql_where=text(f"{_ACTIVE} AND person_id_hash IS NOT NULL"),
        ),
        Index(
            "uq_members_active_legal_entity",
            "organisation_id",
            "legal_registration_code",
            unique=True,
            sqlite_where=text(f"{_ACTIVE} AND legal_registration_code IS NOT NULL"),
            postgresql_where=text(f"{_ACTIVE} AND legal_registration_code IS NOT NULL"),
        ),
        CheckConstraint("capital_contribution_vnd >= 0", name="capital_not_negative"),
        CheckConstraint(
            "household_size IS NULL OR household_size >= 1", name="household_size_positive"
        ),
        CheckConstraint(
            "left_on IS NULL OR joined_on IS NULL OR left_on >= joined_on",
            name="left_after_joined",
        ),
        CheckConstraint(
            "member_type <> 'associate_no_capital' OR capital_contribution_vnd = 0",
            name="no_capital_for_associate_no_capital",
        ),
        CheckConstraint(
            "member_kind = 'legal_entity' OR legal_registration_code IS NULL",
            name="registration_code_only_for_legal_entity",
        ),
        CheckConstraint(
            "member_kind <> 'legal_entity' OR person_id_hash IS NULL",
            name="person_id_not_for_legal_entity",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # RESTRICT: an organisation with members is dissolved (a status), never deleted, so
    # its membership history stays.
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    member_type: Mapped[MemberType] = mapped_column(str_enum(MemberType, "member_type"))
    member_kind: Mapped[MemberKind] = mapped_column(str_enum(MemberKind, "member_kind"))
    display_name: Mapped[str] = mapped_column(String(200))
    # HMAC-SHA256 hex of the CCCD of the person or household head; indexed to find one
    # person's memberships across organisations.
    person_id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    person_id_last_digits: Mapped[str | None] = mapped_column(String(person_id.DISPLAY_DIGITS))
    # Tax code (MST) of a legal-entity member.
    legal_registration_code: Mapped[str | None] = mapped_column(String(14))
    household_size: Mapped[int | None] = mapped_column(Integer)
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    phone: Mapped[str] = mapped_column(String(40), default="")
    joined_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    # Integer VND; BigInteger because a legal-entity member's capital passes 2^31 easily.
    capital_contribution_vnd: Mapped[int] = mapped_column(BigInteger, default=0)

    contributions: Mapped[list[MemberContribution]] = relationship(
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="MemberContribution.kind",
    )

    @property
    def is_active(self) -> bool:
        return self.left_on is None

    @property
    def contribution_kinds(self) -> list[ContributionKind]:
        return [c.kind for c in self.contributions]

    @property
    def id_number_masked(self) -> str | None:
        return person_id.mask(self.person_id_last_digits)


class MemberContribution(db.Model):
    """What a member contributes, one row per kind.

    An association table rather than a JSON list: the kinds are checked by the database
    (a CHECK from ``str_enum``) instead of by convention, and "members who contribute
    land-use rights" is the same plain join on SQLite and PostgreSQL, where a JSON list
    would need ``json_each`` on one and ``jsonb`` operators on the other. Loading them is one
    extra IN query per page (``selectin``), never one per member.
    """

    __tablename__ = "member_contributions"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[ContributionKind] = mapped_column(
        str_enum(ContributionKind, "contribution_kind"), primary_key=True
    )
