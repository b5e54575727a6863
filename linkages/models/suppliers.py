"""A buyer's supplier list and its verifications of supplier cooperatives (issue 11 §4).

``SupplierLink``: one row per (buyer, supplier) pair: an enterprise (or any organisation
buying from cooperatives) keeps a cooperative on its supplier list, with a private note.

``SupplierVerification``: a buyer's verification of one supplier: requested, then decided
verified (until an expiry date) or rejected (with a reason). The checklist is computed, never
typed: a snapshot at the request and another at the decision are stored with it, so the
record shows what the decider saw.

"Expired" is not stored: a verified verification is expired from the day after its
``expires_on`` (valid on its expiry day, as certifications are), derived at read time by
``status_on`` in Python and in SQL. No job has to run at midnight for a badge to disappear
from the consumer trace page, and no row changes when a date passes.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    select,
    text,
    type_coerce,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, deferred, mapped_column, query_expression

from core.db import Timestamped, UtcDateTime, db, str_enum, utcnow

NOTE_MAX = 2000
REASON_MAX = 1000


class VerificationState(StrEnum):
    """What is stored: the decision, or its absence."""

    REQUESTED = "requested"
    VERIFIED = "verified"
    REJECTED = "rejected"


class VerificationStatus(StrEnum):
    """What a verification is on a given day: the stored state, with a verified one past
    its expiry date read as expired."""

    REQUESTED = "requested"
    VERIFIED = "verified"
    REJECTED = "rejected"
    EXPIRED = "expired"


class SupplierLink(Timestamped, db.Model):
    __tablename__ = "supplier_links"
    __table_args__ = (
        UniqueConstraint("buyer_id", "supplier_id"),
        # "Whose supplier is this cooperative?" (authority scoping, the supplier's side).
        Index("ix_supplier_links_supplier", "supplier_id"),
        CheckConstraint("buyer_id <> supplier_id", name="not_own_supplier"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    note: Mapped[str] = mapped_column(Text, default="")  # the buyer's, private to it
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def current_status(self, day: date) -> VerificationStatus | None:
        """The status of the pair's latest verification on ``day`` (None: never asked);
        needs the ``current_*`` columns loaded (``undefer``)."""
        state = self.current_state  # type: ignore[attr-defined]
        if state is None:
            return None
        return status_of(VerificationState(state), self.current_expires_on, day)  # type: ignore[attr-defined]


class SupplierVerification(Timestamped, db.Model):
    __tablename__ = "supplier_verifications"
    __table_args__ = (
        # A buyer's verifications, newest first; one pair's history.
        Index("ix_supplier_verifications_buyer", "buyer_id", "supplier_id", "requested_at"),
        # The trace-page badge: a supplier's verified ones by expiry.
        Index("ix_supplier_verifications_supplier", "supplier_id", "state", "expires_on"),
        # At most one open request per pair: deciding it is the way forward.
        Index(
            "uq_supplier_verifications_open",
            "buyer_id",
            "supplier_id",
            unique=True,
            sqlite_where=text("state = 'requested'"),
            postgresql_where=text("state = 'requested'"),
        ),
        CheckConstraint("buyer_id <> supplier_id", name="not_own_supplier"),
        CheckConstraint(
            "(state = 'requested' AND decided_at IS NULL) "
            "OR (state <> 'requested' AND decided_at IS NOT NULL)",
            name="decided_unless_requested",
        ),
        CheckConstraint(
            "state <> 'verified' OR expires_on IS NOT NULL", name="verified_has_expiry"
        ),
        CheckConstraint("state <> 'rejected' OR reason <> ''", name="rejected_has_reason"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    state: Mapped[VerificationState] = mapped_column(
        str_enum(VerificationState, "verification_state"), default=VerificationState.REQUESTED
    )
    # What the buyer asked to be checked; schemes default to those its contracts with the
    # supplier require (linkages.services.contract_schemes).
    for_export: Mapped[bool] = mapped_column(Boolean, default=False)
    required_schemes: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")  # the buyer's, private to it
    # ``note`` as the reading actor may see it, set by the query that loads the row
    # (``linkages.services.verification``); None when not loaded or not theirs to read.
    visible_note: Mapped[str | None] = query_expression()

    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    request_checklist: Mapped[dict[str, Any]] = mapped_column(JSON)

    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_checklist: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Inclusive: a verification is valid on its expiry day.
    expires_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(REASON_MAX), default="")

    @hybrid_method
    def status_on(self, day: date) -> VerificationStatus:
        return status_of(self.state, self.expires_on, day)

    @status_on.inplace.expression
    @classmethod
    def _status_on_expression(cls, day: date) -> ColumnElement[Any]:
        expression = case(
            (
                and_(cls.state == VerificationState.VERIFIED, cls.expires_on < day),
                VerificationStatus.EXPIRED.value,
            ),
            else_=cls.state,
        )
        return type_coerce(expression, str_enum(VerificationStatus, "verification_status"))

    @hybrid_method
    def is_valid_on(self, day: date) -> bool:
        return self.status_on(day) == VerificationStatus.VERIFIED

    @is_valid_on.inplace.expression
    @classmethod
    def _is_valid_on_expression(cls, day: date) -> ColumnElement[bool]:
        # Plain predicates, so the (supplier, state, expires_on) index serves the badge.
        return and_(cls.state == VerificationState.VERIFIED, cls.expires_on >= day)


def status_of(state: VerificationState, expires_on: date | None, day: date) -> VerificationStatus:
    """The one expiry rule, for values read apart from a ``SupplierVerification``: a
    verified one is expired from the day after ``expires_on``."""
    if state == VerificationState.VERIFIED and expires_on is not None and expires_on < day:
        return VerificationStatus.EXPIRED
    return VerificationStatus(state.value)


def _latest_of_pair(column: Any) -> Any:
    """A deferred column of the pair's latest verification (by request time, then id)."""
    return deferred(
        select(column)
        .where(
            SupplierVerification.buyer_id == SupplierLink.buyer_id,
            SupplierVerification.supplier_id == SupplierLink.supplier_id,
        )
        .order_by(SupplierVerification.requested_at.desc(), SupplierVerification.id.desc())
        .limit(1)
        .correlate_except(SupplierVerification)
        .scalar_subquery()
    )


# The supplier list shows each supplier with its current verification: correlated
# subqueries on the (buyer, supplier, requested_at) index, loaded only where a query asks
# (``undefer``), as ``Batch.current_quantity_kg`` is.
SupplierLink.current_verification_id = _latest_of_pair(SupplierVerification.id)  # type: ignore[attr-defined]
SupplierLink.current_state = _latest_of_pair(SupplierVerification.state)  # type: ignore[attr-defined]
SupplierLink.current_expires_on = _latest_of_pair(SupplierVerification.expires_on)  # type: ignore[attr-defined]
