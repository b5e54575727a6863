"""Scans: each time a consumer's phone opened the trace page of a lot, a serialised item or a
product.

A scan names what the scanned identifier resolved to (``batch_id``, ``product_id``), the
serial number as scanned (AI 21; with ``level`` ``"lot"`` it is a serial the producer never
recorded, which the resolver walked up from), the page's language and a keyed hash of the
client's address (``fingerprint``, as ``ScanReport.client_fingerprint``): never the address.

Rows are written in batches by ``traceability.services.scans`` (after the response, never
one commit per scan on the request path); nothing ever updates them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UtcDateTime, db
from traceability.models.scan_reports import FINGERPRINT_LENGTH, LANGUAGE_MAX

SERIAL_MAX = 20  # GS1 AI 21
LEVEL_MAX = 8  # "serial" | "lot" | "product"


class Scan(db.Model):
    __tablename__ = "scans"
    __table_args__ = (
        # One code's count and first scan (``serial IS NULL`` for a lot-level label), and a
        # lot's scans grouped by serial (the flags): one index range per lot.
        Index("ix_scans_batch_serial_time", "batch_id", "serial", "scanned_at"),
        # Product-level scans (no lot on the label, or a lot the producer never registered).
        Index("ix_scans_product_time", "product_id", "scanned_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scanned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Scans are statistics of what they name: they go with it.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE")
    )
    serial: Mapped[str | None] = mapped_column(String(SERIAL_MAX))
    level: Mapped[str] = mapped_column(String(LEVEL_MAX))  # what the identifier resolved to
    language: Mapped[str] = mapped_column(String(LANGUAGE_MAX))  # the page's, e.g. "vi"
    fingerprint: Mapped[str] = mapped_column(String(FINGERPRINT_LENGTH))
