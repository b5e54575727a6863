"""Reports consumers send from the public trace page: a suspected fake, a quality problem,
wrong information, or something else about what they scanned.

A report reaches the producer it is about (``organisation_id``: the owner of the product the
scanned identifier names) and, when the lot is known, names it (``batch_id``). A report about
an identifier the platform does not know reaches no organisation, only platform admins.

Nothing identifies the sender unless they leave a contact: the client address is kept only
as a keyed hash (``client_fingerprint``), enough to tell that many reports came from one
place, never to recover the address (see ``traceability.services.scan_reports``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Timestamped, UtcDateTime, db, str_enum

# The longest URI a report keeps: far beyond any label's (a lot URI is under 100
# characters), short enough that a flood of long ones costs little.
URI_MAX = 2048
MESSAGE_MAX = 1000
CONTACT_MAX = 200
LANGUAGE_MAX = 8
FINGERPRINT_LENGTH = 64  # hex of HMAC-SHA256


class ReportKind(StrEnum):
    SUSPECTED_FAKE = "suspected_fake"
    QUALITY_PROBLEM = "quality_problem"
    WRONG_INFORMATION = "wrong_information"
    OTHER = "other"


class ReportStatus(StrEnum):
    NEW = "new"
    SEEN = "seen"


class ScanReport(Timestamped, db.Model):
    __tablename__ = "scan_reports"
    __table_args__ = (
        # An organisation's reports, newest first (its /reports page).
        Index("ix_scan_reports_org_created", "organisation_id", "created_at"),
        # Every report, newest first (platform admins), and the reports about a lot.
        Index("ix_scan_reports_created", "created_at"),
        Index("ix_scan_reports_batch", "batch_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uri: Mapped[str] = mapped_column(String(URI_MAX))  # as scanned (or as typed on the form)
    # The lot and product the URI names, when the platform knows them; the producer it
    # reaches. A report outlives a lot (SET NULL); it is the organisation's, and goes with it.
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("batches.id", ondelete="SET NULL")
    )
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    kind: Mapped[ReportKind] = mapped_column(str_enum(ReportKind, "scan_report_kind"))
    message: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(CONTACT_MAX))
    language: Mapped[str] = mapped_column(String(LANGUAGE_MAX))  # the page's, e.g. "vi"
    client_fingerprint: Mapped[str] = mapped_column(String(FINGERPRINT_LENGTH))
    status: Mapped[ReportStatus] = mapped_column(
        str_enum(ReportStatus, "scan_report_status", 8), default=ReportStatus.NEW
    )
    seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    seen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
