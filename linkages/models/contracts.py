"""Linkage contracts (Decree 98/2018/NĐ-CP, DOMAIN.md §3), their history, signed scans and
the province-approved linkage projects that group them.

A contract is entered by one party and is a ``draft`` until every organisation party has
confirmed its current terms, or an authority over one of the parties has verified the
paper contract; then it is ``signed``. Its later life is a fixed set of transitions
(``ALLOWED_TRANSITIONS``). Every change is a ``LinkageContractVersion`` with a full
snapshot of terms and status, so that the contract can be shown as it stood on any date.

The Decree 98 form (1–7) is never typed in: ``linkage_form`` derives it from the stages.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from core.db import Timestamped, UtcDateTime, db, str_enum, utcnow
from core.units import Unit


class ContractStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    BREACHED = "breached"
    LIQUIDATED = "liquidated"


# The only moves ``transition_contract`` makes. draft → signed is not among them: a contract
# is signed by the parties' confirmations or an authority's verification of the paper.
ALLOWED_TRANSITIONS: dict[ContractStatus, frozenset[ContractStatus]] = {
    ContractStatus.DRAFT: frozenset(),
    ContractStatus.SIGNED: frozenset({ContractStatus.ACTIVE}),
    ContractStatus.ACTIVE: frozenset(
        {ContractStatus.COMPLETED, ContractStatus.TERMINATED, ContractStatus.BREACHED}
    ),
    ContractStatus.COMPLETED: frozenset({ContractStatus.LIQUIDATED}),
    ContractStatus.TERMINATED: frozenset({ContractStatus.LIQUIDATED}),
    ContractStatus.BREACHED: frozenset({ContractStatus.LIQUIDATED}),
    ContractStatus.LIQUIDATED: frozenset(),
}
# Moving to these needs a reason, as an amendment does.
REASON_REQUIRED = frozenset({ContractStatus.TERMINATED, ContractStatus.BREACHED})
# Terms may change (an amendment) only while the contract is not closed.
AMENDABLE = frozenset({ContractStatus.DRAFT, ContractStatus.SIGNED, ContractStatus.ACTIVE})


class PartyRole(StrEnum):
    LEADER = "leader"  # chủ trì liên kết
    INPUT_SUPPLIER = "input_supplier"
    PRODUCER = "producer"
    PROCESSOR = "processor"
    OFFTAKER = "offtaker"
    FARMERS_REPRESENTATIVE = "farmers_representative"
    WITNESS = "witness"


class PriceMechanism(StrEnum):
    FIXED = "fixed"
    FLOOR = "floor"  # guaranteed minimum, market above it
    MARKET_PLUS = "market_plus"  # market price plus a premium
    FORMULA = "formula"
    NEGOTIATED_AT_HARVEST = "negotiated_at_harvest"


class DisputeResolution(StrEnum):
    NEGOTIATION = "negotiation"
    CONCILIATION = "conciliation"
    ARBITRATION = "arbitration"
    COURT = "court"


class VersionChange(StrEnum):
    """What a version records."""

    CREATED = "created"
    AMENDED = "amended"
    SIGNED = "signed"  # by the parties' confirmations
    VERIFIED = "verified"  # signed by an authority's verification of the paper contract
    TRANSITION = "transition"


# Decree 98, Art. 4: stages (inputs, production/harvest, processing) → form; offtake is part
# of every form. No stage besides offtake, alone, is a linkage: it maps to no form.
FORMS: dict[tuple[bool, bool, bool], int] = {
    (True, True, True): 1,
    (True, False, False): 2,
    (False, True, False): 3,
    (True, True, False): 4,
    (False, True, True): 5,
    (True, False, True): 6,
    (False, False, True): 7,
}


def linkage_form(inputs: bool, production: bool, processing: bool) -> int | None:
    """The Decree 98 form (1–7) of a linkage covering these stages besides offtake, or None
    when the combination is no linkage (offtake alone)."""
    return FORMS.get((bool(inputs), bool(production), bool(processing)))


class LinkageContract(Timestamped, db.Model):
    __tablename__ = "linkage_contracts"
    __table_args__ = (
        # Lists by status and term (the indicator, an authority's overview).
        Index("ix_linkage_contracts_status_term", "status", "effective_from", "effective_to"),
        Index("ix_linkage_contracts_created_by_org", "created_by_organisation_id"),
        CheckConstraint("form BETWEEN 1 AND 7", name="form"),
        CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="term_order"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)  # public code, LK-…
    title: Mapped[str] = mapped_column(String(255))
    paper_number: Mapped[str] = mapped_column(String(100), default="")  # số hợp đồng
    status: Mapped[ContractStatus] = mapped_column(
        str_enum(ContractStatus, "contract_status"), default=ContractStatus.DRAFT
    )
    stage_inputs: Mapped[bool] = mapped_column(Boolean, default=False)
    stage_production: Mapped[bool] = mapped_column(Boolean, default=False)
    stage_processing: Mapped[bool] = mapped_column(Boolean, default=False)
    form: Mapped[int] = mapped_column(SmallInteger)  # always linkage_form(stages)

    price_mechanism: Mapped[PriceMechanism] = mapped_column(
        str_enum(PriceMechanism, "price_mechanism")
    )
    price_unit: Mapped[Unit | None] = mapped_column(str_enum(Unit, "contract_price_unit", 10))
    price_vnd: Mapped[int | None] = mapped_column(BigInteger)
    floor_price_vnd: Mapped[int | None] = mapped_column(BigInteger)
    premium_vnd: Mapped[int | None] = mapped_column(BigInteger)
    price_formula: Mapped[str] = mapped_column(Text, default="")
    payment_terms: Mapped[str] = mapped_column(Text, default="")
    input_advance_terms: Mapped[str] = mapped_column(Text, default="")
    delivery_place: Mapped[str] = mapped_column(Text, default="")
    delivery_method: Mapped[str] = mapped_column(Text, default="")
    delivery_schedule: Mapped[str] = mapped_column(Text, default="")
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)  # None: open-ended
    breach_handling: Mapped[str] = mapped_column(Text, default="")
    risk_sharing: Mapped[str] = mapped_column(Text, default="")  # incl. force majeure
    dispute_resolution: Mapped[DisputeResolution] = mapped_column(
        str_enum(DisputeResolution, "dispute_resolution"), default=DisputeResolution.NEGOTIATION
    )

    # The party organisation that entered it, and who.
    created_by_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Version number of the terms now in force: bumped by creation and each amendment.
    # Confirmations and the paper verification count for these terms only.
    terms_version: Mapped[int] = mapped_column(Integer, default=1)
    verified_terms_version: Mapped[int | None] = mapped_column(Integer)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version_count: Mapped[int] = mapped_column(Integer, default=0)

    parties: Mapped[list[LinkageContractParty]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="LinkageContractParty.position",
        back_populates="contract",
    )
    lines: Mapped[list[LinkageContractLine]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="LinkageContractLine.position"
    )
    confirmations: Mapped[list[LinkageContractConfirmation]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="LinkageContractConfirmation.id",
    )

    @property
    def party_organisation_ids(self) -> set[int]:
        return {p.organisation_id for p in self.parties}

    @property
    def confirmed_organisation_ids(self) -> set[int]:
        """Party organisations that confirmed the terms now in force."""
        return {c.organisation_id for c in self.confirmations
                if c.terms_version == self.terms_version}

    def covers(self, day: date) -> bool:
        """Is ``day`` within the contract's term (no end: open-ended)?"""
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to)

    @property
    def terms_agreed(self) -> bool:
        """Are the terms now in force agreed: all parties confirmed them, or an authority
        verified them against the paper?"""
        return self.verified_terms_version == self.terms_version or (
            self.party_organisation_ids <= self.confirmed_organisation_ids
        )


class LinkageContractParty(db.Model):
    """One organisation in one role. Farmer households or a THT that are no organisation
    of the registry take part through the cooperative that represents them: its party row
    (role ``farmers_representative``, or ``producer``) says how many households and who."""

    __tablename__ = "linkage_contract_parties"
    __table_args__ = (
        UniqueConstraint("contract_id", "organisation_id", "role"),
        # "My contracts": an organisation's parties, then their contracts.
        Index("ix_linkage_contract_parties_org_contract", "organisation_id", "contract_id"),
        CheckConstraint(
            "represented_households IS NULL OR represented_households >= 1",
            name="households_positive",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_contracts.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    role: Mapped[PartyRole] = mapped_column(str_enum(PartyRole, "contract_party_role"))
    represented_households: Mapped[int | None] = mapped_column(Integer)
    represented_description: Mapped[str] = mapped_column(Text, default="")

    contract: Mapped[LinkageContract] = relationship(back_populates="parties")


line_areas = db.Table(
    "linkage_contract_line_areas",
    db.Column(
        "line_id",
        Integer,
        ForeignKey("linkage_contract_lines.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    db.Column(
        "production_area_id",
        Integer,
        ForeignKey("production_areas.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)


class LinkageContractLine(db.Model):
    """A product line: what is grown or made, for which season, how much, to what spec."""

    __tablename__ = "linkage_contract_lines"
    __table_args__ = (
        Index("ix_linkage_contract_lines_contract", "contract_id", "position"),
        Index("ix_linkage_contract_lines_product_id", "product_id"),
        CheckConstraint("planned_quantity >= 0", name="quantity_not_negative"),
        CheckConstraint(
            "raw_material_area_ha IS NULL OR raw_material_area_ha >= 0",
            name="area_not_negative",
        ),
        CheckConstraint(
            "deliver_by IS NULL OR deliver_from IS NULL OR deliver_by >= deliver_from",
            name="delivery_window_order",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_contracts.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    commodity: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    season: Mapped[str] = mapped_column(String(100), default="")
    planned_quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    unit: Mapped[Unit] = mapped_column(str_enum(Unit, "contract_line_unit", 10))
    # None when the unit is no unit of mass and the product gives no weight per unit.
    planned_quantity_kg: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    quality_spec: Mapped[str] = mapped_column(Text, default="")
    # CertScheme values the goods must carry.
    required_certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    raw_material_area_ha: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    # The delivery window, inside the contract's term; both optional. A delivery is on
    # time when shipped on or before ``deliver_by``.
    deliver_from: Mapped[date | None] = mapped_column(Date)
    deliver_by: Mapped[date | None] = mapped_column(Date)

    # Areas of a producing party the line's goods come from.
    production_areas: Mapped[list[Any]] = relationship(
        "ProductionArea", secondary=line_areas, lazy="selectin", order_by="ProductionArea.id"
    )

    @property
    def production_area_ids(self) -> list[int]:
        return [area.id for area in self.production_areas]


class LinkageContractConfirmation(db.Model):
    """A party organisation's confirmation of one version of the terms. Kept after an
    amendment (history), but then no longer counts: ``terms_version`` tells which."""

    __tablename__ = "linkage_contract_confirmations"
    __table_args__ = (
        UniqueConstraint("contract_id", "organisation_id", "terms_version"),
        Index("ix_linkage_contract_confirmations_org", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_contracts.id", ondelete="CASCADE")
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    terms_version: Mapped[int] = mapped_column(Integer)
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    confirmed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


# What the indicator reads of a version besides its as-of key (ix_..._as_of, PostgreSQL).
VERSION_AS_OF_INCLUDE = ("id", "status", "form", "effective_from", "effective_to",
                         "recorded_at")


class LinkageContractVersion(db.Model):
    """One change of a contract, never edited: the state after it, whole (``snapshot``),
    with status, form and term as columns for SQL aggregates.

    "As of" rule: the contract on date D is the version with the highest ``number`` whose
    ``effective_on`` is on or before D. It holds because a change may not take effect
    before the previous one did (``effective_on`` never decreases with ``number``), so
    later records never alter what a date before their effective date shows.
    """

    __tablename__ = "linkage_contract_versions"
    __table_args__ = (
        UniqueConstraint("contract_id", "number"),
        # The as-of lookup, per contract and set-based: latest number on or before a date.
        # On PostgreSQL it carries what the indicator reads of a version, so that a past
        # reference day's look-ups read the index, not the table's terms
        # (linkages.indicator.inforce.in_force; bench/RESULTS.md, 2026-12-07).
        Index(
            "ix_linkage_contract_versions_as_of", "contract_id", "effective_on", "number",
            postgresql_include=list(VERSION_AS_OF_INCLUDE),
        ),
        Index("ix_linkage_contract_versions_effective_on", "effective_on"),
        # The indicator's "changed since the cutoff" (linkages.indicator.inforce).
        Index("ix_linkage_contract_versions_recorded_at", "recorded_at"),
        CheckConstraint("form BETWEEN 1 AND 7", name="form"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_contracts.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    change: Mapped[VersionChange] = mapped_column(str_enum(VersionChange, "contract_change"))
    status: Mapped[ContractStatus] = mapped_column(
        str_enum(ContractStatus, "contract_version_status")
    )
    form: Mapped[int] = mapped_column(SmallInteger)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    terms_version: Mapped[int] = mapped_column(Integer)
    effective_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_by_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)


class LinkageContractVersionParty(db.Model):
    """A party of a contract as one version recorded it, so that "who were the parties on
    day D" is a join in SQL (the linkage indicator) rather than a read of the snapshot
    JSON. Written with every version by ``recording._record_version``; never edited."""

    __tablename__ = "linkage_contract_version_parties"
    __table_args__ = (
        # The indicator's join: an organisation's parties in the versions in force.
        Index("ix_linkage_contract_version_parties_org", "organisation_id", "version_id"),
    )

    version_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_contract_versions.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True
    )
    role: Mapped[PartyRole] = mapped_column(
        str_enum(PartyRole, "contract_version_party_role"), primary_key=True
    )
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


class LinkageContractAttachment(db.Model):
    """A signed scan of the paper contract, kept in the database so that every worker
    serves it without shared storage. ``content`` is deferred: lists never load it."""

    __tablename__ = "linkage_contract_attachments"
    __table_args__ = (
        Index("ix_linkage_contract_attachments_contract", "contract_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_contracts.id", ondelete="CASCADE")
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


project_contracts = db.Table(
    "linkage_project_contracts",
    db.Column(
        "project_id", Integer, ForeignKey("linkage_projects.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    db.Column(
        "contract_id", Integer, ForeignKey("linkage_contracts.id", ondelete="CASCADE"),
        primary_key=True, index=True,
    ),
)


class LinkageProject(Timestamped, db.Model):
    """A linkage project or plan approved by a province (dự án/kế hoạch liên kết), with the
    state support it carries and the contracts it groups."""

    __tablename__ = "linkage_projects"
    __table_args__ = (
        UniqueConstraint("province_code", "number"),
        Index("ix_linkage_projects_province_decided", "province_code", "decision_date"),
        CheckConstraint("support_vnd >= 0", name="support_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64))  # the decision's number
    name: Mapped[str] = mapped_column(String(255))
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"))
    decision_date: Mapped[date] = mapped_column(Date)
    support_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    contracts: Mapped[list[LinkageContract]] = relationship(
        secondary=project_contracts, lazy="selectin", order_by="LinkageContract.id"
    )


class ProjectMembership(StrEnum):
    ADDED = "added"
    REMOVED = "removed"


class LinkageProjectContractChange(db.Model):
    """A contract included in a project or taken out of it, with when: never edited nor
    deleted, so that the linkage indicator's D as known at a past cutoff reads a
    project's contracts as they were then (``linkage_project_contracts`` holds them as
    they are now).

    "As known at" rule: a pair (project, contract) was in the project at a cutoff when
    its first change recorded at or after the cutoff is a removal, or, with no change
    since, when it is in now."""

    __tablename__ = "linkage_project_contract_changes"
    __table_args__ = (
        Index("ix_linkage_project_contract_changes_as_of", "changed_at", "project_id",
              "contract_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_projects.id", ondelete="CASCADE"))
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_contracts.id", ondelete="CASCADE"))
    change: Mapped[ProjectMembership] = mapped_column(
        str_enum(ProjectMembership, "project_membership"))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
