"""Laboratory test results recorded on a lot: what backs a claim with a lab result on the
consumer trace page ("backed by a lab result"), beside declarations, buyers' receiving
records and certificates.

A result is the lot owner's record of a laboratory's report: which test, which laboratory
(and its accreditation, e.g. VILAS for Vietnam), the day the sample was taken, pass or fail,
and the report's number. The report itself (a PDF) is not kept. Results are never edited or
deleted: a retest is another result, and a result recorded in error is withdrawn (when, by
whom and why are kept; it then backs nothing, and the corrected one may be recorded).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Timestamped, UtcDateTime, db, str_enum


class LabTest(StrEnum):
    """What the laboratory tested the sample for (food-safety tests buyers and authorities
    ask for; ``OTHER`` for the rest, e.g. a GMO screening)."""

    PESTICIDE_RESIDUES = "pesticide_residues"
    HEAVY_METALS = "heavy_metals"
    MICROBIOLOGY = "microbiology"
    MYCOTOXINS = "mycotoxins"
    VETERINARY_DRUG_RESIDUES = "veterinary_drug_residues"
    OTHER = "other"


class LabOutcome(StrEnum):
    PASS = "pass"  # within the limits the report applies
    FAIL = "fail"


class LabResult(Timestamped, db.Model):
    """One test of one laboratory report about a sample of a lot."""

    __tablename__ = "lab_results"
    # One standing row per test of a report on a lot: the same report sent twice is a
    # conflict, not a second result; once withdrawn, the corrected one may be recorded.
    __table_args__ = (
        Index("uq_lab_results_standing_report", "batch_id", "test", "report_number",
              unique=True, postgresql_where=text("withdrawn_at IS NULL"),
              sqlite_where=text("withdrawn_at IS NULL")),
        Index("ix_lab_results_batch_id", "batch_id"),  # a lot's results, withdrawn too
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    test: Mapped[LabTest] = mapped_column(str_enum(LabTest, "lab_test"))
    laboratory: Mapped[str] = mapped_column(String(200))
    accreditation: Mapped[str] = mapped_column(String(40), default="")  # e.g. "VILAS 1234"
    sampled_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[LabOutcome] = mapped_column(str_enum(LabOutcome, "lab_outcome", 8))
    report_number: Mapped[str] = mapped_column(String(60))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Withdrawn: recorded in error (all three set together, never cleared).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(String(500))
