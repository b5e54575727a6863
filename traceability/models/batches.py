"""Batches (lots), where they came from, who delivered into them, how they descend from one
another, and shipments between organisations.

A batch's current quantity is not a column: it is the sum of the quantity effects of the
events that touched it (``EventBatch.quantity_kg``), minus retracted events, so it can never
disagree with the event history.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Timestamped, UtcDateTime, db, str_enum
from core.units import Unit


class BatchStatus(StrEnum):
    ACTIVE = "active"  # held by its organisation
    IN_TRANSIT = "in_transit"  # shipped, not yet received
    CONSUMED = "consumed"  # used up by transformation, split or merge, or all shipped
    DESTROYED = "destroyed"
    RECALLED = "recalled"
    VOID = "void"  # withdrawn: the event that created it did not occur


class Batch(Timestamped, db.Model):
    __tablename__ = "batches"
    __table_args__ = (
        UniqueConstraint("organisation_id", "lot_code"),
        Index("ix_batches_org_created", "organisation_id", "created_at"),
        Index("ix_batches_product", "product_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    lot_code: Mapped[str] = mapped_column(String(20))  # GS1 AI 10: ≤20 chars of CSET 82
    # The URI printed on labels ({PUBLIC_BASE_URL}/01/{gtin}/10/{lot} or the platform shape),
    # fixed at creation so a later change of domain never breaks printed labels …
    identifier: Mapped[str] = mapped_column(String(300), unique=True)
    # … and its canonical form (https://id.gs1.org/01/…/10/… for GTIN lots), which is what
    # captured events are matched on, whatever domain or EPC URN spelling they use.
    canonical_id: Mapped[str] = mapped_column(String(300), unique=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4))  # as first recorded
    unit: Mapped[Unit] = mapped_column(str_enum(Unit, "batch_unit", 10))
    quantity_kg: Mapped[Decimal] = mapped_column(Numeric(18, 4))  # as first recorded, in kg
    harvest_start: Mapped[date | None] = mapped_column(Date)
    harvest_end: Mapped[date | None] = mapped_column(Date)
    grade: Mapped[str] = mapped_column(String(40), default="")
    quality: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # e.g. moisture, screen size
    expiry: Mapped[date | None] = mapped_column(Date)
    status: Mapped[BatchStatus] = mapped_column(
        str_enum(BatchStatus, "batch_status"), default=BatchStatus.ACTIVE
    )
    # When it became void (the withdrawal of the last event that made it): figures as of
    # an earlier moment still count it (``not_void_at``). Void is final.
    voided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A harvest inside a pre-harvest interval, let through by an org admin, says why.
    phi_override_reason: Mapped[str] = mapped_column(Text, default="")
    phi_override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    areas: Mapped[list[BatchArea]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


# The day a lot was harvested (its first day, else its last): what a period's lots are
# chosen by (``linkages.indicator.links.harvested_in_period``), and what
# ``ix_batches_harvested`` indexes: one expression, so that PostgreSQL matches the two.
HARVEST_DAY = func.coalesce(Batch.harvest_start, Batch.harvest_end)

# The lots harvested in a period (the linkage indicator's volume-weighted variant), with
# what it reads of them: ~200,000 of the bench country's 1.1 million lots from the index
# alone, where a scan read the whole table (bench/RESULTS.md, 2026-12-07). PostgreSQL
# only: SQLite's planner, without statistics, is kept on the plans it was measured with.
HARVESTED_INCLUDE = ("id", "organisation_id", "quantity_kg", "status", "voided_at",
                     "created_at", "product_id", "harvest_start", "harvest_end")
Index("ix_batches_harvested", HARVEST_DAY, postgresql_include=list(HARVESTED_INCLUDE)
      ).ddl_if(dialect="postgresql")


def not_void_at(moment: datetime) -> ColumnElement[bool]:
    """SQL on ``Batch``: the lot was not void at ``moment``, as recorded then: it is not
    void, or became void at or after it. Figures as of a past moment read it, so that
    withdrawing a lot's events later does not change what they showed."""
    return or_(Batch.status != BatchStatus.VOID, Batch.voided_at >= moment)


class BatchArea(db.Model):
    """A production area the batch was harvested from."""

    __tablename__ = "batch_areas"

    batch_id: Mapped[int] = mapped_column(
        ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(
        ForeignKey("production_areas.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class BatchContribution(Timestamped, db.Model):
    """A member household's delivery into a pooled lot."""

    __tablename__ = "batch_contributions"
    __table_args__ = (
        # Per-member statements: one member's deliveries over a period.
        Index("ix_batch_contributions_member_day", "member_id", "delivered_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("batches.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("production_areas.id", ondelete="RESTRICT")
    )
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    unit: Mapped[Unit] = mapped_column(str_enum(Unit, "contribution_unit", 10))
    quantity_kg: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    delivered_on: Mapped[date] = mapped_column(Date)


class BatchLink(db.Model):
    """One edge of the genealogy: ``child`` was made (partly) from ``parent`` by an event
    (transformation, split or merge), with the kilograms of the parent that went into it.

    Indexed both ways: ancestors walk child→parent, descendants parent→child. Only live
    edges are here: capture deletes the edges of an event withdrawn by an error declaration
    (the event itself stays), so lineage walks need not look at the events.
    """

    __tablename__ = "batch_links"
    # Covering both ways: a backward step reads child → (parent, event) from the index alone.
    __table_args__ = (Index("ix_batch_links_child_parent", "child_id", "parent_id", "event_pk"),)

    parent_id: Mapped[int] = mapped_column(
        ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True
    )
    child_id: Mapped[int] = mapped_column(
        ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True
    )
    event_pk: Mapped[int] = mapped_column(
        ForeignKey("epcis_events.id", ondelete="CASCADE"), primary_key=True
    )
    quantity_kg: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))


class Shipment(Timestamped, db.Model):
    """A batch (or part of it) sent to another organisation: the receiver may record
    receiving it, and sees the batch from then on."""

    __tablename__ = "shipments"
    __table_args__ = (
        Index("ix_shipments_to_org", "to_organisation_id", "shipped_at"),
        Index("ix_shipments_batch", "batch_id"),
        # Backward traces find the shipment a received lot was booked from.
        Index("ix_shipments_received_batch", "received_batch_id"),
        # From a withdrawn ship event to its shipment (shipments_withdrawn_before); on
        # PostgreSQL from the index alone.
        Index("ix_shipments_ship_event", "ship_event_pk", postgresql_include=["id"]),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"))
    from_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    to_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    quantity_kg: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    shipped_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ship_event_pk: Mapped[int] = mapped_column(ForeignKey("epcis_events.id"))
    # Business document references (FSMA 204 KDEs): purchase order / contract, despatch note.
    purchase_order: Mapped[str] = mapped_column(String(100), default="")
    despatch_ref: Mapped[str] = mapped_column(String(100), default="")
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    receive_event_pk: Mapped[int | None] = mapped_column(ForeignKey("epcis_events.id"))
    received_kg: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    # The batch the receiver books the goods into (its own lot), when it makes one.
    received_batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))



def _current_quantity_kg() -> Any:
    # Imported here: events.py is a sibling model module and must not be needed to import
    # this one's classes.
    from sqlalchemy import false, func, select
    from sqlalchemy.orm import deferred

    from traceability.models.events import EpcisEvent, EventBatch

    return deferred(
        select(func.coalesce(func.sum(EventBatch.quantity_kg), 0))
        .join(EpcisEvent, EpcisEvent.id == EventBatch.event_pk)
        .where(
            EventBatch.batch_id == Batch.id,
            EpcisEvent.retracted_at.is_(None),
            EpcisEvent.declares_error == false(),
        )
        .correlate_except(EventBatch, EpcisEvent)
        .scalar_subquery()
        .label("current_quantity_kg")
    )


# The batch's current kilograms, derived from its event ledger (never stored). Deferred:
# loaded only where a query asks for it with ``undefer(Batch.current_quantity_kg)`` (lists),
# so ordinary loads of a batch do not pay for the aggregate.
Batch.current_quantity_kg = _current_quantity_kg()  # type: ignore[attr-defined]
