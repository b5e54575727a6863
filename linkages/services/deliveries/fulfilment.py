"""How well a linkage contract is being delivered: per line (season), and per buyer and
supplier for the scorecard. SQL aggregates only: one statement for the lines' deliveries,
one for the sales elsewhere; Python only divides the few per-line sums.

Figures of a line, up to the day ``on`` (deliveries shipped by then, whose shipping still
stands):

- planned kg (the line's ``planned_quantity_kg``; None when its unit has no weight);
- shipped, accepted and rejected kg; deliveries, of which settled;
- fulfilment = accepted / planned; shortfall = planned − accepted (not below 0);
- accepted ratio = accepted / (accepted + rejected), over settled deliveries;
- on-time ratio = deliveries shipped on or before the line's ``deliver_by`` / deliveries
  of a line with a ``deliver_by``;
- the **side-selling signal** ("bẻ kèo"): while the contract binds (its term,
  until it ended: completed, terminated, breached), up to ``on``, the supplying
  parties shipped lots of the line's product — or, for a line naming no product, of the
  commodity of the lots delivered under it (else the commodity code the line's text
  names) — to organisations that are no offtaker of the contract, while the accepted kg
  are below the pro-rata plan:

      expected = planned × elapsed share of the window,
      share = (min(on, end) − start + 1 day) / (end − start + 1 day), within 0…1,

  where the window is the line's ``deliver_from``…``deliver_by``, each defaulting to the
  contract's term. Without an end (an open-ended term and no ``deliver_by``) nothing is
  pro-rata: ``expected`` is None and the signal stays off, though the kg shipped
  elsewhere are still reported.

Ratios are floats 0–1 rounded to 4 decimals, None when nothing divides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from core.actor import Actor
from core.clock import VIETNAM, local_today
from core.db import db
from linkages.models.contracts import (
    ContractStatus,
    LinkageContract,
    LinkageContractLine,
    LinkageContractParty,
    LinkageContractVersion,
    PartyRole,
)
from linkages.models.deliveries import LinkageDelivery
from linkages.services.contracts import get_contract
from linkages.services.deliveries.access import supplying
from traceability.services.shipments import standing_shipments

KG = Decimal("0.0001")


def ratio(numerator: Decimal | int, denominator: Decimal | int | None) -> float | None:
    """numerator / denominator, 4 decimals; None when the denominator is None or 0."""
    if not denominator:
        return None
    return round(float(Decimal(numerator) / Decimal(denominator)), 4)


@dataclass(frozen=True)
class SideSelling:
    signal: bool
    elsewhere_kg: Decimal  # shipped to organisations that are no offtaker
    buyers: int  # how many such organisations
    expected_kg: Decimal | None  # the pro-rata plan (None: no end to pro-rate to)
    accepted_kg: Decimal


@dataclass(frozen=True)
class LineFulfilment:
    line_id: int
    position: int
    commodity: str
    season: str
    product_id: int | None
    deliver_from: date | None
    deliver_by: date | None
    planned_kg: Decimal | None
    shipped_kg: Decimal
    accepted_kg: Decimal
    rejected_kg: Decimal
    deliveries: int
    settled: int
    with_window: int
    on_time: int
    fulfilment: float | None  # accepted / planned
    shortfall_kg: Decimal | None
    accepted_ratio: float | None
    on_time_ratio: float | None
    side_selling: SideSelling


@dataclass(frozen=True)
class ContractFulfilment:
    """A contract's fulfilment on ``on``, line by line, ready to render."""

    contract_id: int
    code: str
    on: date
    lines: list[LineFulfilment]

    @property
    def side_selling(self) -> bool:
        return any(line.side_selling.signal for line in self.lines)


def _delivered(day: date) -> Any:
    """Deliveries shipped by ``day`` whose shipping still stands."""
    shipments = standing_shipments()
    d = LinkageDelivery
    return (
        select(d.id, d.line_id, d.shipped_on, d.shipped_kg, d.accepted_kg, d.rejected_kg)
        .join(shipments, shipments.c.shipment_id == d.shipment_id)
        .where(d.shipped_on <= day)
        .subquery("delivered")
    )


def _line_sums(contract_id: int, day: date) -> list[Any]:
    line, d = LinkageContractLine, _delivered(day)
    zero = Decimal(0)
    return list(db.session.execute(
        select(
            line.id, line.position, line.commodity, line.season, line.product_id,
            line.deliver_from, line.deliver_by, line.planned_quantity_kg,
            func.count(d.c.id).label("deliveries"),
            func.coalesce(func.sum(d.c.shipped_kg), zero).label("shipped"),
            func.coalesce(func.sum(d.c.accepted_kg), zero).label("accepted"),
            func.coalesce(func.sum(d.c.rejected_kg), zero).label("rejected"),
            func.count(d.c.accepted_kg).label("settled"),
            func.count(case((and_(d.c.id.is_not(None), line.deliver_by.is_not(None)), 1)))
            .label("with_window"),
            func.count(case((d.c.shipped_on <= line.deliver_by, 1))).label("on_time"),
        )
        .outerjoin(d, d.c.line_id == line.id)
        .where(line.contract_id == contract_id)
        .group_by(line.id)
        .order_by(line.position, line.id)
    ))


def _elsewhere(contract: LinkageContract, day: date) -> dict[int, tuple[Decimal, int]]:
    """Per line: kg the supplying parties shipped of the line's goods, while the contract
    bound them (its term, until it was completed, terminated or breached) up to ``day``,
    to organisations that are no offtaker, and to how many (module docstring)."""
    end = min(day, contract.effective_to or day, _bound_until(contract.id) or day)
    if end < contract.effective_from:
        return {}
    start_at = datetime.combine(contract.effective_from, time.min, VIETNAM)
    end_before = datetime.combine(end + timedelta(days=1), time.min, VIETNAM)
    line, s = LinkageContractLine, standing_shipments()
    delivered = aliased(standing_shipments())
    delivered_commodities = (
        select(delivered.c.commodity)
        .join(LinkageDelivery, LinkageDelivery.shipment_id == delivered.c.shipment_id)
        .where(LinkageDelivery.line_id == line.id)
    )
    same_goods = or_(
        s.c.product_id == line.product_id,
        and_(line.product_id.is_(None),
             or_(s.c.commodity.in_(delivered_commodities.scalar_subquery()),
                 s.c.commodity == func.lower(func.trim(line.commodity)))),
    )
    offtaker = exists().where(
        LinkageContractParty.contract_id == contract.id,
        LinkageContractParty.organisation_id == s.c.to_organisation_id,
        LinkageContractParty.role == PartyRole.OFFTAKER,
    )
    rows = db.session.execute(
        select(line.id, func.sum(s.c.quantity_kg), func.count(s.c.to_organisation_id.distinct()))
        .join(s, and_(same_goods, supplying(contract.id, s.c.from_organisation_id), ~offtaker,
                      s.c.shipped_at >= start_at, s.c.shipped_at < end_before))
        .where(line.contract_id == contract.id)
        .group_by(line.id)
    )
    return {row[0]: (Decimal(row[1] or 0), int(row[2])) for row in rows}


_ENDED = (ContractStatus.COMPLETED, ContractStatus.TERMINATED, ContractStatus.BREACHED,
          ContractStatus.LIQUIDATED)


def _bound_until(contract_id: int) -> date | None:
    """The last day the contract bound its parties: the day before its first ending
    (completed, terminated, breached) took effect; None while it has not ended. Selling
    elsewhere after that is no side-selling."""
    ended = db.session.scalar(
        select(func.min(LinkageContractVersion.effective_on)).where(
            LinkageContractVersion.contract_id == contract_id,
            LinkageContractVersion.status.in_(_ENDED),
        )
    )
    return ended - timedelta(days=1) if ended is not None else None


def _expected(contract: LinkageContract, row: Any, day: date) -> Decimal | None:
    """The pro-rata plan on ``day`` (module docstring), None without an end or a plan."""
    start = row.deliver_from or contract.effective_from
    end = row.deliver_by or contract.effective_to
    if end is None or row.planned_quantity_kg is None:
        return None
    total = (end - start).days + 1
    elapsed = min(max((min(day, end) - start).days + 1, 0), total)
    return (Decimal(row.planned_quantity_kg) * elapsed / total).quantize(KG)


def _line(contract: LinkageContract, row: Any, elsewhere: tuple[Decimal, int],
          day: date) -> LineFulfilment:
    planned = None if row.planned_quantity_kg is None else Decimal(row.planned_quantity_kg)
    accepted, rejected = Decimal(row.accepted), Decimal(row.rejected)
    expected = _expected(contract, row, day)
    elsewhere_kg, buyers = elsewhere
    return LineFulfilment(
        line_id=row.id, position=row.position, commodity=row.commodity, season=row.season,
        product_id=row.product_id, deliver_from=row.deliver_from, deliver_by=row.deliver_by,
        planned_kg=planned, shipped_kg=Decimal(row.shipped).quantize(KG),
        accepted_kg=accepted.quantize(KG), rejected_kg=rejected.quantize(KG),
        deliveries=row.deliveries, settled=row.settled, with_window=row.with_window,
        on_time=row.on_time,
        fulfilment=ratio(accepted, planned),
        shortfall_kg=None if planned is None else max(planned - accepted, Decimal(0)).quantize(KG),
        accepted_ratio=ratio(accepted, accepted + rejected) if row.settled else None,
        on_time_ratio=ratio(row.on_time, row.with_window),
        side_selling=SideSelling(
            signal=elsewhere_kg > 0 and expected is not None and accepted < expected,
            elsewhere_kg=elsewhere_kg.quantize(KG), buyers=buyers, expected_kg=expected,
            accepted_kg=accepted.quantize(KG),
        ),
    )


def contract_fulfilment(
    actor: Actor, contract_id: int, on: date | None = None
) -> ContractFulfilment:
    """The contract's fulfilment on ``on`` (today in Vietnam), line by line (module
    docstring). NotFound unless the actor reads the contract."""
    contract = get_contract(actor, contract_id)
    day = on or local_today()
    elsewhere = _elsewhere(contract, day)
    lines = [_line(contract, row, elsewhere.get(row.id, (Decimal(0), 0)), day)
             for row in _line_sums(contract.id, day)]
    return ContractFulfilment(contract.id, contract.code, day, lines)


@dataclass(frozen=True)
class PairFigures:
    """A supplier's deliveries to a buyer up to a day, for the scorecard."""

    deliveries: int
    planned_kg: Decimal
    accepted_kg: Decimal
    settled_kg: Decimal  # accepted + rejected
    with_window: int
    on_time: int


# A contract's plan counts for a supplier once signed, whatever became of it.
_PLANNED = frozenset(set(ContractStatus) - {ContractStatus.DRAFT})


def pair_figures(buyer_id: int, supplier_id: int, on: date) -> PairFigures:
    """Sums over the supplier's deliveries to the buyer shipped by ``on`` (shipping still
    standing), and the planned kg of the lines of the signed contracts (in effect by
    ``on``) where the buyer is an offtaker and the supplier supplies. Two statements."""
    line, d = LinkageContractLine, _delivered(on)
    delivered = db.session.execute(
        select(
            func.count(d.c.id),
            func.coalesce(func.sum(d.c.accepted_kg), 0),
            func.coalesce(func.sum(d.c.accepted_kg + d.c.rejected_kg), 0),
            func.count(case((line.deliver_by.is_not(None), 1))),
            func.count(case((d.c.shipped_on <= line.deliver_by, 1))),
        )
        .select_from(d)
        .join(LinkageDelivery, LinkageDelivery.id == d.c.id)
        .join(line, line.id == d.c.line_id)
        .where(LinkageDelivery.buyer_id == buyer_id, LinkageDelivery.supplier_id == supplier_id)
    ).one()
    c = LinkageContract
    planned = db.session.scalar(
        select(func.coalesce(func.sum(line.planned_quantity_kg), 0))
        .join(c, c.id == line.contract_id)
        .where(
            c.status.in_(_PLANNED),
            c.effective_from <= on,
            supplying(c.id, supplier_id),
            exists().where(
                LinkageContractParty.contract_id == c.id,
                LinkageContractParty.organisation_id == buyer_id,
                LinkageContractParty.role == PartyRole.OFFTAKER,
            ),
        )
    )
    return PairFigures(
        deliveries=int(delivered[0]), planned_kg=Decimal(planned or 0),
        accepted_kg=Decimal(delivered[1]), settled_kg=Decimal(delivered[2]),
        with_window=int(delivered[3]), on_time=int(delivered[4]),
    )
