"""EPCIS 2.0 events, stored faithfully and indexed.

``document`` keeps each event exactly as captured (JSON), so it comes back out as it went in;
the other columns are derived from it once, at capture, for the queries of the EPCIS REST
binding and of the trace views. Nothing here is ever updated except ``retracted_at``, which
marks an event that a later error declaration withdrew (the declaration itself is a row of
its own, with the same ``event_id``, as the standard has it).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from core.db import UtcDateTime, db, str_enum

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a real bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):  # quantities computed by the services
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class EventDocument(TypeDecorator[Any]):
    """A JSON column serialised with orjson: capture writes thousands of event documents
    per request, and the standard library's encoder was a tenth of the time per event.

    The database type is plain JSON (``sa.JSON()`` in migrations); a ``str`` is bound with
    the dialect's JSON cast on PostgreSQL, and values are read back as Python objects.
    """

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        def process(value: Any) -> str | None:
            if value is None:
                return None
            return orjson.dumps(value, default=_json_default).decode()

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        def process(value: Any) -> Any:
            return orjson.loads(value) if isinstance(value, str | bytes) else value

        return process


class EventType(StrEnum):
    OBJECT = "ObjectEvent"
    AGGREGATION = "AggregationEvent"
    TRANSACTION = "TransactionEvent"
    TRANSFORMATION = "TransformationEvent"
    ASSOCIATION = "AssociationEvent"


class EpcisEvent(db.Model):
    __tablename__ = "epcis_events"
    __table_args__ = (
        # Each organisation is its own EPCIS repository: one original and at most one error
        # declaration per eventID *within the capturing organisation*, so that another
        # organisation can neither squat an ID, learn that it exists, nor retract it.
        UniqueConstraint("organisation_id", "event_id", "declares_error"),
        Index("ix_epcis_events_event_id", "event_id"),
        Index("ix_epcis_events_time", "event_time", "id"),
        Index("ix_epcis_events_type_time", "event_type", "event_time"),
        Index("ix_epcis_events_biz_step", "biz_step", "event_time"),
        Index("ix_epcis_events_disposition", "disposition", "event_time"),
        Index("ix_epcis_events_biz_location", "biz_location", "event_time"),
        Index("ix_epcis_events_org_time", "organisation_id", "event_time"),
        # Withdrawn events only (nearly none): the shipments withdrawn before a moment.
        # On PostgreSQL it carries the id, so that set is read from the index alone: one
        # heap page per withdrawn event otherwise (~35 ms of each of the indicator's C and
        # volume figures, bench/RESULTS.md, 2026-12-07).
        Index("ix_epcis_events_retracted_at", "retracted_at",
              postgresql_include=["id"],
              postgresql_where=text("retracted_at IS NOT NULL"),
              sqlite_where=text("retracted_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(300))
    declares_error: Mapped[bool] = mapped_column(Boolean, default=False)
    event_type: Mapped[EventType] = mapped_column(str_enum(EventType, "event_type"))
    event_time: Mapped[datetime] = mapped_column(UtcDateTime())  # UTC
    event_tz_offset: Mapped[str] = mapped_column(String(6))  # as declared, e.g. "+07:00"
    record_time: Mapped[datetime] = mapped_column(UtcDateTime())  # set by us
    action: Mapped[str | None] = mapped_column(String(10))
    # CBV values as bare words ("shipping"), other vocabularies as full URIs.
    biz_step: Mapped[str | None] = mapped_column(String(300))
    disposition: Mapped[str | None] = mapped_column(String(300))
    # Location ids in canonical form (an SGLN URN and its Digital Link are the same place);
    # ``document`` keeps them as written.
    read_point: Mapped[str | None] = mapped_column(String(500))
    biz_location: Mapped[str | None] = mapped_column(String(500))
    document: Mapped[dict[str, Any]] = mapped_column(EventDocument)
    # Who captured it: the organisation the capturing user acted for.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    captured_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retracted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class EpcRole(StrEnum):
    """Where in the event an identifier stands (decides which MATCH_ parameter finds it)."""

    EPC = "epc"  # epcList
    PARENT = "parent"  # parentID
    CHILD = "child"  # childEPCs
    INPUT = "input"  # inputEPCList
    OUTPUT = "output"  # outputEPCList
    QUANTITY = "quantity"  # quantityList epcClass
    CHILD_QUANTITY = "child_quantity"  # childQuantityList epcClass
    INPUT_QUANTITY = "input_quantity"  # inputQuantityList epcClass
    OUTPUT_QUANTITY = "output_quantity"  # outputQuantityList epcClass


class EventEpc(db.Model):
    """An identifier named by an event, in canonical form (https://id.gs1.org/… for GS1 keys)."""

    __tablename__ = "event_epcs"
    __table_args__ = (Index("ix_event_epcs_epc", "epc", "role", "event_pk"),)

    event_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("epcis_events.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[EpcRole] = mapped_column(str_enum(EpcRole, "epc_role", 16), primary_key=True)
    epc: Mapped[str] = mapped_column(String(500), primary_key=True)


class EventBatch(db.Model):
    """A batch an event touched, and what it did to the batch's quantity (kg; + adds,
    − removes, 0 only observes). A batch's current quantity is the sum over its events that
    are not retracted."""

    __tablename__ = "event_batches"
    __table_args__ = (Index("ix_event_batches_batch", "batch_id", "event_pk"),)

    event_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("epcis_events.id", ondelete="CASCADE"), primary_key=True
    )
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True
    )
    quantity_kg: Mapped[Decimal] = mapped_column(Numeric(18, 4), default=Decimal(0))
