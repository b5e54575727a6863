"""The serial registry: the serial numbers (GS1 AI 21) a producer issued under a lot.

A serialised label (``…/10/{lot}/21/{serial}``) resolves to its item only when its serial is
recorded here; an unknown serial under a known lot resolves to the lot (the resolver's
walk-up), so a label printed before its serial was recorded still leads somewhere useful.
Rows are written by the labelling service (serial ranges, label sheets); the resolver only
reads them, by the unique (batch, serial) index.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UtcDateTime, db, utcnow


class BatchSerial(db.Model):
    """One serial number issued under a lot."""

    __tablename__ = "batch_serials"
    # The resolver's lookup (batch, serial) is this constraint's index.
    __table_args__ = (UniqueConstraint("batch_id", "serial"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    serial: Mapped[str] = mapped_column(String(20))  # GS1 AI 21: ≤20 chars of CSET 82
    created_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), default=utcnow
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
