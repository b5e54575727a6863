"""A supplier's scorecard, as its buyer sees it: figures computed from records, never
typed in, each with the link to the records behind it.

Figures (all SQL aggregates; nothing loops over rows):
- ``certifications``: certifications on file valid on the day (``value``), split into
  ``valid`` (beyond ``EXPIRY_WARNING_DAYS`` or without an expiry), ``expiring`` (within
  them) and ``expired`` — the rule of ``certifications.expiry_state``; revoked and
  not-yet-valid ones are in none;
- ``kde_completeness``: the share of the supplier's lots with complete key data elements
  (``traceability.services.completeness``), None without lots;
- ``recalls``: the supplier's recalled lots;
- ``scan_flags``: the supplier's lots carrying a scan flag
  (``traceability.services.scan_flags``), split by kind;
- ``fulfilment``, ``accepted``, ``on_time``: from the supplier's deliveries under linkage
  contracts to the buyer (``delivery_figures``).

Links are paths of this server: ``api`` the API list of the records (filtered where the
list has a filter), ``web`` a page listing them, where one exists. The lot figures link to
the batch lists filtered on the supplier and the figure (``kde_complete=false``,
``status=recalled``, ``scan_flagged=true``). A link lists what the reader may see: a buyer
sees the supplier's public certifications and the lots shipped to it, not the rest; the
figures are counts and reveal no record.

Access: the buyer's supplier list (``supplier_access.SupplierListOp.READ``), and the
supplier must be on that list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from core.actor import Actor
from core.clock import local_today
from core.db import db
from linkages.models.certifications import Certification
from linkages.services.certifications import EXPIRY_WARNING_DAYS
from linkages.services.deliveries import pair_figures, ratio
from linkages.services.supplier_access import SupplierListOp
from linkages.services.suppliers import get_supplier, require_list
from traceability.services.completeness import completeness, recalled_lots
from traceability.services.scan_flags import scan_flag_counts

__all__ = [
    "Figure",
    "Link",
    "Scorecard",
    "certification_counts",
    "delivery_figures",
    "supplier_scorecard",
]


@dataclass(frozen=True, slots=True)
class Link:
    """Where the records behind a figure (or one of its counts) are listed."""

    api: str | None = None
    web: str | None = None


@dataclass(frozen=True)
class Figure:
    key: str
    value: int | float | None
    available: bool = True  # False: the records it needs do not exist yet
    counts: dict[str, int] = field(default_factory=dict)
    link: Link = field(default_factory=Link)
    count_links: dict[str, Link] = field(default_factory=dict)


@dataclass(frozen=True)
class Scorecard:
    buyer_id: int
    supplier_id: int
    on: date
    figures: list[Figure]


def certification_counts(organisation_id: int, day: date) -> dict[str, int]:
    """``valid``/``expiring``/``expired`` certifications of the organisation on ``day``
    (module docstring): one aggregate statement."""
    horizon = day + timedelta(days=EXPIRY_WARNING_DAYS)
    valid = Certification.is_valid_on(day)
    expiring = and_(valid, Certification.expires_on.is_not(None),
                    Certification.expires_on <= horizon)
    expired = and_(
        Certification.issued_on <= day,
        Certification.expires_on < day,
        or_(Certification.revoked_on.is_(None), Certification.revoked_on > day),
    )
    row = db.session.execute(
        select(
            func.count(case((and_(valid, ~expiring), 1))),
            func.count(case((expiring, 1))),
            func.count(case((expired, 1))),
        ).where(Certification.organisation_id == organisation_id)
    ).one()
    return {"valid": int(row[0]), "expiring": int(row[1]), "expired": int(row[2])}


def delivery_figures(buyer_id: int, supplier_id: int, on: date) -> list[Figure]:
    """Fulfilment (accepted / contracted kg), accepted (accepted / settled kg) and on-time
    (deliveries shipped on or before their line's ``deliver_by`` / deliveries with one)
    ratios of the supplier's deliveries to the buyer, up to ``on``
    (``linkages.services.deliveries.pair_figures``: SQL aggregates).

    Three ``Figure``s keyed ``fulfilment``, ``accepted`` and ``on_time``, each a ratio
    (0–1, 4 decimals) or None without deliveries (or without a denominator), its
    ``counts`` the numerator and denominator (kg rounded to whole kilograms), and its
    ``link`` the deliveries list filtered on the pair."""
    sums = pair_figures(buyer_id, supplier_id, on)
    link = Link(api=f"/api/deliveries?buyer_id={buyer_id}&supplier_id={supplier_id}")
    any_ = sums.deliveries > 0

    def kg(value: Decimal) -> int:
        return int(value.quantize(Decimal(1)))

    return [
        Figure("fulfilment", ratio(sums.accepted_kg, sums.planned_kg) if any_ else None,
               counts={"accepted_kg": kg(sums.accepted_kg), "planned_kg": kg(sums.planned_kg)},
               link=link),
        Figure("accepted", ratio(sums.accepted_kg, sums.settled_kg) if any_ else None,
               counts={"accepted_kg": kg(sums.accepted_kg), "settled_kg": kg(sums.settled_kg)},
               link=link),
        Figure("on_time", ratio(sums.on_time, sums.with_window) if any_ else None,
               counts={"on_time": sums.on_time, "with_deliver_by": sums.with_window},
               link=link),
    ]


def _batches(supplier_id: int, name: str, value: str) -> Link:
    """The supplier's lots with one filter, in the API's and the web's batch lists."""
    query = f"?organisation_id={supplier_id}&{name}={value}"
    return Link(api=f"/api/batches{query}", web=f"/batches{query}")


def supplier_scorecard(
    actor: Actor, buyer_id: int, supplier_id: int, *, on: date | None = None
) -> Scorecard:
    """The scorecard of a supplier on the buyer's list, on day ``on`` (today in Vietnam).
    NotFound unless the actor reads the buyer's list and the supplier is on it."""
    require_list(actor, buyer_id, SupplierListOp.READ)
    get_supplier(actor, buyer_id, supplier_id)
    day = on or local_today()
    certs_api = f"/api/organisations/{supplier_id}/certifications"
    certs = certification_counts(supplier_id, day)
    lots = completeness(supplier_id)
    flags = scan_flag_counts(supplier_id)
    figures = [
        Figure(
            "certifications",
            certs["valid"] + certs["expiring"],
            counts=certs,
            link=Link(api=f"{certs_api}?validity=valid&on={day.isoformat()}"),
            count_links={
                "expired": Link(api=f"{certs_api}?validity=expired&on={day.isoformat()}")
            },
        ),
        Figure(
            "kde_completeness",
            lots.share,
            counts={"lots": lots.lots, "complete": lots.complete,
                    "incomplete": lots.incomplete},
            link=_batches(supplier_id, "kde_complete", "false"),
        ),
        Figure(
            "recalls",
            recalled_lots(supplier_id),
            link=_batches(supplier_id, "status", "recalled"),
        ),
        Figure(
            "scan_flags",
            flags.lots,
            counts={"copied_serials": flags.copied_serials,
                    "after_expiry": flags.after_expiry, "after_recall": flags.after_recall},
            link=_batches(supplier_id, "scan_flagged", "true"),
        ),
        *delivery_figures(buyer_id, supplier_id, day),
    ]
    return Scorecard(buyer_id=buyer_id, supplier_id=supplier_id, on=day, figures=figures)
