"""Targets as data (issue 12 §2): who reads and edits them, and what a valid one is.

Who:

- every signed-in user reads every target (they are published policy, not private data);
- platform admins and national authorities (an authority with no province) record,
  change and delete national targets and those of any province;
- a province authority those of its province only: a national target or another
  province's is readable to it, so changing one answers 403;
- everyone else: 403.

A valid target: a known metric, a year in ``MIN_YEAR``–``MAX_YEAR``, a value of zero or
more (a share at most 100 %, a count a whole number), a scope that is ``national`` or one
of the 34 current provinces; one target per metric, scope and year (409). Refusals name
the field and write nothing. Nothing here commits: the caller commits once.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Select, select

from core.actor import Actor, require_authenticated
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import _l
from linkages.indicator.period import MAX_YEAR, MIN_YEAR
from linkages.models.places import Province
from linkages.models.targets import (
    METRIC_UNITS,
    NATIONAL,
    IndicatorTarget,
    TargetMetric,
    TargetQualifier,
    TargetUnit,
)

SOURCE_MAX = 255
NOTE_MAX = 5000
EDITABLE = ("metric", "scope", "year", "value", "qualifier", "source", "verified", "note")


def may_edit(actor: Actor, scope: str) -> bool:
    """May the actor record, change or delete targets of ``scope``?"""
    if not actor.is_authenticated:
        return False
    if actor.is_admin:
        return True
    return actor.is_authority and actor.province_code in (None, scope)


def list_targets(
    actor: Actor,
    *,
    metric: str | None = None,
    scope: str | None = None,
    year: int | None = None,
    verified: bool | None = None,
) -> Select[tuple[IndicatorTarget]]:
    """A select of the targets, filtered; by year, scope (national first), metric."""
    require_authenticated(actor)
    t = IndicatorTarget
    stmt = select(t)
    if metric is not None:
        stmt = stmt.where(t.metric == TargetMetric(metric))
    if scope is not None:
        stmt = stmt.where(t.scope == scope)
    if year is not None:
        stmt = stmt.where(t.year == year)
    if verified is not None:
        stmt = stmt.where(t.verified == verified)
    national_first = t.scope != NATIONAL
    return stmt.order_by(t.year, national_first, t.scope, t.metric, t.id)


def get_target(actor: Actor, target_id: int) -> IndicatorTarget:
    """One target (any signed-in user); 404 when there is none."""
    require_authenticated(actor)
    target = db.session.get(IndicatorTarget, target_id)
    if target is None:
        raise NotFound()
    return target


def _require_editor(actor: Actor, scope: str, field: str | None = None) -> None:
    """403 unless the actor edits targets of ``scope`` (naming ``field`` when given)."""
    if may_edit(actor, scope):
        return
    message = _l("Targets of this scope are not yours to edit.")
    if field is None:
        raise Forbidden(message)
    raise Forbidden(message, field_errors={field: [message]})


def _validated(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (every editable field present) checked as a whole: 422 naming each bad
    field."""
    errors: dict[str, list[Any]] = {}
    try:
        metric = TargetMetric(data["metric"])
    except ValueError:
        errors["metric"] = [_l("Not one of the allowed values.")]
        metric = None
    scope = data["scope"]
    if scope != NATIONAL and (
        not isinstance(scope, str) or db.session.get(Province, scope) is None
    ):
        errors["scope"] = [_l("Give national or the code of a current province.")]
    year = data["year"]
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        errors["year"] = [_l("Between %(low)d and %(high)d.", low=MIN_YEAR, high=MAX_YEAR)]
    value = data["value"]
    if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        errors["value"] = [_l("Give a number, zero or more.")]
    elif metric is not None and METRIC_UNITS[metric] == TargetUnit.SHARE and value > 100:
        errors["value"] = [_l("A share is at most 100 percent.")]
    elif metric is not None and METRIC_UNITS[metric] == TargetUnit.COUNT and value != int(value):
        errors["value"] = [_l("A count is a whole number.")]
    try:
        qualifier = TargetQualifier(data["qualifier"])
    except ValueError:
        errors["qualifier"] = [_l("Not one of the allowed values.")]
        qualifier = TargetQualifier.EXACT
    source = (data["source"] or "").strip()
    if not source:
        errors["source"] = [_l("Required.")]
    elif len(source) > SOURCE_MAX:
        errors["source"] = [_l("At most %(n)d characters.", n=SOURCE_MAX)]
    note = (data["note"] or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [_l("At most %(n)d characters.", n=NOTE_MAX)]
    if errors:
        raise ValidationFailed(field_errors=errors)
    assert metric is not None
    return {"metric": metric, "scope": scope, "year": year, "value": float(value),
            "unit": METRIC_UNITS[metric], "qualifier": qualifier, "source": source,
            "verified": bool(data["verified"]), "note": note}


def _check_unique(fields: dict[str, Any], target_id: int | None = None) -> None:
    t = IndicatorTarget
    stmt = select(t.id).where(
        t.metric == fields["metric"], t.scope == fields["scope"], t.year == fields["year"]
    )
    if target_id is not None:
        stmt = stmt.where(t.id != target_id)
    if db.session.scalar(stmt) is not None:
        message = _l("There is a target of this metric for this scope and year.")
        raise Conflict(message, field_errors={"metric": [message]})


def create_target(actor: Actor, data: dict[str, Any]) -> IndicatorTarget:
    """Record a target of a scope the actor edits (403 naming ``scope`` otherwise)."""
    require_authenticated(actor)
    if not (actor.is_admin or actor.is_authority):
        raise Forbidden(_l("Targets are edited by authorities."))
    given = {"qualifier": TargetQualifier.EXACT.value, "verified": False, "note": "",
             "source": "", "scope": NATIONAL, **data}
    for name in ("metric", "year", "value"):
        given.setdefault(name, None)
    fields = _validated(given)
    _require_editor(actor, fields["scope"], "scope")
    _check_unique(fields)
    target = IndicatorTarget(**fields, recorded_by_id=actor.user_id or None)
    db.session.add(target)
    db.session.flush()
    return target


def update_target(actor: Actor, target_id: int, changes: dict[str, Any]) -> IndicatorTarget:
    """Change the given fields of a target: the actor must edit both its scope and, when it
    moves, the new one."""
    target = get_target(actor, target_id)
    _require_editor(actor, target.scope)
    current = {name: getattr(target, name) for name in EDITABLE}
    current = {k: getattr(v, "value", v) for k, v in current.items()}
    fields = _validated({**current, **changes})
    _require_editor(actor, fields["scope"], "scope")
    _check_unique(fields, target.id)
    for name, value in fields.items():
        setattr(target, name, value)
    target.recorded_by_id = actor.user_id or None
    db.session.flush()
    return target


def delete_target(actor: Actor, target_id: int) -> dict[str, Any]:
    """Delete a target of a scope the actor edits; its fields as they were."""
    target = get_target(actor, target_id)
    _require_editor(actor, target.scope)
    gone = {c.key: getattr(target, c.key) for c in IndicatorTarget.__table__.columns}
    db.session.delete(target)
    db.session.flush()
    return gone


# --- which target a figure is read against ----------------------------------------------


class TargetBook:
    """The targets a figure of one scope is read against, for some years, read in one
    query. A province's figure is read against the province's own target; for a share (a
    percent) it has none of, against the national one, which a share of any size can be
    compared with (and the target says its scope); a count never is (the country's 45,000
    HTX is no province's target). The dashboard's headline and the overview both ask here."""

    def __init__(self, scope: str, years: set[int]) -> None:
        t = IndicatorTarget
        scopes = {scope, NATIONAL}
        rows = db.session.scalars(select(t).where(t.scope.in_(scopes), t.year.in_(years)))
        self.scope = scope
        self.by_key = {(row.scope, row.metric, row.year): row for row in rows}

    def get(self, metric: TargetMetric, year: int) -> IndicatorTarget | None:
        own = self.by_key.get((self.scope, metric, year))
        if own is not None or self.scope == NATIONAL:
            return own
        if METRIC_UNITS[metric] == TargetUnit.SHARE:
            return self.by_key.get((NATIONAL, metric, year))
        return None
