"""Key data elements (KDEs) of an organisation's lots, counted in SQL: how much of what it
records can be traced, how many of its lots were recalled, and whether its production
areas carry their planting-area codes.

A lot has complete key data elements when the platform can answer, from its records alone,
what it is, how much, when and where it came from, and that something happened to it:

- **product**: the lot names a product (a foreign key: always true, listed for the record);
- **quantity**: a positive quantity in kg as first recorded;
- **at least one event**: a live EPCIS event (neither retracted nor an error declaration)
  names the lot: without one it has no history at all;
- **origin and date**: a harvested lot names at least one production area and its harvest
  day; a lot made from others (a transformation, split or merge: a live ``BatchLink``) or
  booked in from a received shipment carries both through the lots it came from, which
  are counted where they were recorded.

Void lots (withdrawn records) are left out of every count. These are the KDEs the models
carry; lab results, the shipping document references and per-unit serials are optional
and do not make a lot incomplete.

Nothing here checks permissions: the callers (verification, scorecard) decide who may see
the figures, which are counts, never the lots themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select

from core.db import db
from traceability.models.areas import ProductionArea
from traceability.models.batches import Batch, BatchArea, BatchLink, BatchStatus, Shipment
from traceability.models.events import EpcisEvent, EventBatch

__all__ = ["Completeness", "area_code_counts", "completeness", "kde_complete", "recalled_lots"]


def kde_complete() -> ColumnElement[bool]:
    """SQL: the ``Batch`` row in the statement has complete key data elements (module
    docstring). Correlated EXISTS subqueries on indexed keys, usable in WHERE or CASE."""
    live_event = exists().where(
        EventBatch.batch_id == Batch.id,
        EpcisEvent.id == EventBatch.event_pk,
        EpcisEvent.retracted_at.is_(None),
        EpcisEvent.declares_error.is_(False),
    )
    has_area = exists().where(BatchArea.batch_id == Batch.id)
    made_from_lots = exists().where(BatchLink.child_id == Batch.id)
    received = exists().where(Shipment.received_batch_id == Batch.id)
    return and_(
        Batch.product_id.is_not(None),
        Batch.quantity_kg > 0,
        live_event,
        or_(made_from_lots, received, and_(Batch.harvest_start.is_not(None), has_area)),
    )


@dataclass(frozen=True, slots=True)
class Completeness:
    lots: int  # the organisation's lots, void ones left out
    complete: int  # of which with complete KDEs

    @property
    def incomplete(self) -> int:
        return self.lots - self.complete

    @property
    def share(self) -> float | None:
        """Complete lots over all lots, 4 decimals; None when there is no lot."""
        return round(self.complete / self.lots, 4) if self.lots else None


def completeness(organisation_id: int) -> Completeness:
    """The organisation's lots and how many have complete KDEs: one aggregate statement."""
    lots, complete = db.session.execute(
        select(func.count(), func.count(case((kde_complete(), 1)))).where(
            Batch.organisation_id == organisation_id, Batch.status != BatchStatus.VOID
        )
    ).one()
    return Completeness(int(lots or 0), int(complete or 0))


def recalled_lots(organisation_id: int) -> int:
    """How many of the organisation's lots are recalled: one COUNT. Lots made by others
    from them are the recall's business (``lineage.recall_forward``), not counted here."""
    return int(
        db.session.scalar(
            select(func.count()).where(
                Batch.organisation_id == organisation_id, Batch.status == BatchStatus.RECALLED
            )
        )
        or 0
    )


def area_code_counts(organisation_id: int) -> tuple[int, int]:
    """(active production areas, of which without a planting-area code): one aggregate.
    Export lots of fruit need the code (mã số vùng trồng) of the area they grew on."""
    areas, without = db.session.execute(
        select(
            func.count(),
            func.count(case((func.trim(ProductionArea.planting_area_code) == "", 1))),
        ).where(
            ProductionArea.organisation_id == organisation_id,
            ProductionArea.active.is_(True),
        )
    ).one()
    return int(areas or 0), int(without or 0)
