"""The pre-harvest-interval (PHI) gate: no harvest from an area while a pesticide applied on
it is still inside its pre-harvest interval.

Rule: a pesticide ``DiaryEntry`` with ``occurred_on <= harvest day`` and
``occurred_on + phi_days > harvest day`` blocks the harvest; the first safe day is
``occurred_on + phi_days``. Applications after the harvest day do not count (they concern the
next crop). An org admin (or a platform admin) may let a blocked harvest through with a
written reason, which the batch records with who gave it; staff may not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from core.actor import Actor, OrgRole
from core.db import db
from core.errors import Conflict, Forbidden
from core.formatting import date_text
from core.i18n import _l
from traceability.models.areas import DiaryEntry, DiaryKind, ProductionArea


@dataclass(frozen=True)
class PhiViolation:
    area_id: int
    area_code: str
    active_ingredient: str
    applied_on: date
    phi_days: int
    safe_from: date  # the first day a harvest is allowed


def phi_violations(areas: Sequence[ProductionArea], harvest_day: date) -> list[PhiViolation]:
    """For each area still inside a pre-harvest interval on ``harvest_day``, the blocking
    application with the latest safe day. Two indexed queries on (area, kind, date)."""
    area_ids = [a.id for a in areas]
    if not area_ids:
        return []
    pesticide = (
        DiaryEntry.area_id.in_(area_ids),
        DiaryEntry.kind == DiaryKind.PESTICIDE,
        DiaryEntry.occurred_on <= harvest_day,
        DiaryEntry.phi_days > 0,
    )
    # Date arithmetic differs between SQLite and PostgreSQL; bound the window by the longest
    # interval instead, then finish in Python over the few rows inside it.
    longest = db.session.scalar(select(func.max(DiaryEntry.phi_days)).where(*pesticide))
    if not longest:
        return []
    rows = db.session.scalars(
        select(DiaryEntry).where(
            *pesticide, DiaryEntry.occurred_on > harvest_day - timedelta(days=int(longest))
        )
    ).all()
    codes = {a.id: a.code for a in areas}
    worst: dict[int, PhiViolation] = {}
    for entry in rows:
        safe_from = entry.occurred_on + timedelta(days=int(entry.phi_days or 0))
        if safe_from <= harvest_day:
            continue
        current = worst.get(entry.area_id)
        if current is None or safe_from > current.safe_from:
            worst[entry.area_id] = PhiViolation(
                area_id=entry.area_id,
                area_code=codes[entry.area_id],
                active_ingredient=entry.active_ingredient or entry.input_name,
                applied_on=entry.occurred_on,
                phi_days=int(entry.phi_days or 0),
                safe_from=safe_from,
            )
    return [worst[a] for a in area_ids if a in worst]


def may_override_phi(actor: Actor) -> bool:
    """May the actor let a harvest through a pre-harvest interval with a written reason?
    An organisation admin (of the organisation it records for) or a platform admin; staff
    may not. ``check_phi`` enforces it; the harvest form asks it to offer the reason."""
    return actor.is_admin or actor.org_role == OrgRole.ORG_ADMIN


def check_phi(
    actor: Actor,
    areas: Sequence[ProductionArea],
    harvest_day: date,
    override_reason: str | None,
    *,
    field: str = "harvested_on",
) -> str:
    """Refuse a harvest inside a pre-harvest interval (409 naming each area, the active
    ingredient and the first safe day) unless an org admin gives a reason (returned, to be
    recorded); staff giving a reason get 403. Returns "" when nothing had to be overridden."""
    violations = phi_violations(areas, harvest_day)
    if not violations:
        return ""
    reason = (override_reason or "").strip()
    messages = [
        _l(
            "Area %(area)s: %(ingredient)s was applied on %(applied)s with a pre-harvest "
            "interval of %(days)d days; the first safe harvest day is %(safe)s.",
            area=v.area_code,
            ingredient=v.active_ingredient or _l("a pesticide"),
            applied=date_text(v.applied_on),
            days=v.phi_days,
            safe=date_text(v.safe_from),
        )
        for v in violations
    ]
    if not reason:
        raise Conflict(" ".join(str(m) for m in messages), field_errors={field: messages})
    if not may_override_phi(actor):
        raise Forbidden(
            _l("Only an organisation admin may harvest inside a pre-harvest interval."),
            field_errors={
                "phi_override_reason": [
                    _l("Only an organisation admin may override the pre-harvest interval.")
                ]
            },
        )
    return reason
