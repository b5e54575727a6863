"""Deliveries under linkage contracts (Decree 98/2018, DOMAIN.md §3): the evidence that a
linkage is real.

A delivery is one traceability ``Shipment`` (a lot, or part of it, shipped by a supplying
party of the contract to its offtaker), booked against one line of the contract, and —
once the offtaker has received it — its settlement: accepted and rejected kilograms, the
price and the invoice number.

Who is who:

- the **supplier** is the shipper: a party of the contract in a supplying role (leader,
  producer, farmers' representative or processor) that is not also an offtaker of it;
  an input supplier sells *to* the cooperative and a witness sells nothing;
- the **buyer** is an offtaker party of the contract, the shipment's receiver.

The price is whole đồng **per kilogram** (``price_vnd_per_kg``), whatever unit the
contract quotes: deliveries of one line then add up in SQL (value = accepted kg × price)
without a unit conversion per row.

A shipment is delivered under at most one contract (``shipment_id`` is unique).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Timestamped, UtcDateTime, db
from linkages.models.contracts import PartyRole

# A delivery the buyer accepted at least in part (the indicator's C).
ACCEPTED = "accepted_kg > 0"

# Party roles that make an organisation a supplier of the contract's goods.
SUPPLYING_ROLES = frozenset(
    {PartyRole.LEADER, PartyRole.PRODUCER, PartyRole.FARMERS_REPRESENTATIVE,
     PartyRole.PROCESSOR}
)


class LinkageDelivery(Timestamped, db.Model):
    __tablename__ = "linkage_deliveries"
    __table_args__ = (
        # A contract's fulfilment: its deliveries by line and day.
        Index("ix_linkage_deliveries_contract_line", "contract_id", "line_id", "shipped_on"),
        # The line's deliveries (amendments keep line ids; see contracts.terms).
        Index("ix_linkage_deliveries_line", "line_id"),
        # A buyer's view of a supplier (the scorecard) and the deliveries list by pair.
        Index("ix_linkage_deliveries_pair", "buyer_id", "supplier_id", "shipped_on"),
        Index("ix_linkage_deliveries_supplier", "supplier_id", "shipped_on"),
        # A lot's deliveries; on PostgreSQL also the volume-weighted indicator's
        # drill-down, from a province's lots of the period to the contracts they were
        # delivered under, from the index alone (linkages.indicator.links._delivered).
        Index("ix_linkage_deliveries_batch", "batch_id",
              postgresql_include=["contract_id", "supplier_id", "shipped_on", "created_at",
                                  "shipment_id"]),
        # The linkage indicator's C: has this supplier an accepted delivery under this
        # contract in the period? Probed once per (cooperative, contract) left in the
        # running (linkages.indicator.links); on PostgreSQL answered from the index alone.
        Index(
            "ix_linkage_deliveries_accepted", "contract_id", "supplier_id", "received_on",
            postgresql_include=["id", "settled_at", "shipment_id"],
            postgresql_where=text(ACCEPTED), sqlite_where=text(ACCEPTED),
        ),
        # The volume-weighted indicator: the deliveries of the contracts that make their
        # supplier count (linkages.indicator.links.volume_shipped); on PostgreSQL answered
        # from the index alone.
        Index(
            "ix_linkage_deliveries_contract_supplier", "contract_id", "supplier_id",
            postgresql_include=["batch_id", "shipped_kg", "shipped_on", "created_at",
                                "shipment_id"],
        ),
        CheckConstraint("shipped_kg > 0", name="shipped_positive"),
        CheckConstraint(
            "accepted_kg IS NULL OR accepted_kg >= 0", name="accepted_not_negative"
        ),
        CheckConstraint(
            "rejected_kg IS NULL OR rejected_kg >= 0", name="rejected_not_negative"
        ),
        CheckConstraint(
            "accepted_kg IS NULL OR accepted_kg + rejected_kg <= shipped_kg",
            name="settled_within_shipped",
        ),
        CheckConstraint(
            "price_vnd_per_kg IS NULL OR price_vnd_per_kg >= 0", name="price_not_negative"
        ),
        CheckConstraint("supplier_id <> buyer_id", name="not_to_itself"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_contracts.id", ondelete="RESTRICT")
    )
    line_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_contract_lines.id", ondelete="RESTRICT")
    )
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipments.id", ondelete="RESTRICT"), unique=True
    )
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    # The shipping day in Vietnam: on-time is shipped_on <= the line's deliver_by.
    shipped_on: Mapped[date] = mapped_column(Date)
    shipped_kg: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    # The settlement, by the buyer; all None until then (accepted and rejected together).
    received_on: Mapped[date | None] = mapped_column(Date)
    accepted_kg: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    rejected_kg: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    price_vnd_per_kg: Mapped[int | None] = mapped_column(BigInteger)
    invoice_number: Mapped[str] = mapped_column(String(64), default="")
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def settled(self) -> bool:
        return self.accepted_kg is not None


class LinkageDeliverySettlementChange(db.Model):
    """A delivery's settlement as it stood before a correction replaced it
    (``settle_delivery`` on a settled delivery), never edited: what the linkage
    indicator reads of the delivery as of a moment before the correction (its C counts
    accepted deliveries settled before its cutoff; the row's ``settled_at`` moves to the
    correction). The contract and supplier are copied from the delivery so that the
    indicator finds a pair's corrected deliveries from an index."""

    __tablename__ = "linkage_delivery_settlement_changes"
    __table_args__ = (
        Index("ix_linkage_delivery_settlement_changes_pair", "contract_id", "supplier_id",
              "changed_at"),
        Index("ix_linkage_delivery_settlement_changes_delivery", "delivery_id",
              "changed_at"),
        # "Any correction since the cutoff?", asked once per indicator statement.
        Index("ix_linkage_delivery_settlement_changes_changed_at", "changed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_deliveries.id", ondelete="CASCADE"))
    contract_id: Mapped[int] = mapped_column(Integer)
    supplier_id: Mapped[int] = mapped_column(Integer)
    # When the correction was recorded: a moment before it sees the values below.
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_on: Mapped[date | None] = mapped_column(Date)
    accepted_kg: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LinkageDeliveryShippingChange(db.Model):
    """A delivery's shipping as it stood before a correction of its shipment (the
    traceability correction of the ship event: its quantity or its time) replaced it,
    never edited: what the volume-weighted indicator reads of the delivery as of a moment
    before the correction (``linkages.services.deliveries.shipping``)."""

    __tablename__ = "linkage_delivery_shipping_changes"
    __table_args__ = (
        Index("ix_linkage_delivery_shipping_changes_delivery", "delivery_id", "changed_at"),
        # "Any correction since the cutoff?", asked once per indicator statement.
        Index("ix_linkage_delivery_shipping_changes_changed_at", "changed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_deliveries.id", ondelete="CASCADE"))
    # When the correction was recorded: a moment before it sees the values below.
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    shipped_on: Mapped[date] = mapped_column(Date)
    shipped_kg: Mapped[Decimal] = mapped_column(Numeric(18, 4))
