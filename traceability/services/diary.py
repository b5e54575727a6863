"""The cultivation diary (nhật ký canh tác) of a production area.

Each entry records one thing done on the area: a fertiliser or pesticide application, a
planting, a feeding, a vaccination, an irrigation. Pesticide entries carry the active
ingredient and the pre-harvest interval (PHI) in days, which the harvest gate
(``traceability.services.phi``) reads: no harvest from the area before
``occurred_on + phi_days``.

Visibility follows the area (``traceability.services.areas``): its organisation, platform
admins, and authorities of its province read; the organisation's users (staff included)
and platform admins write.

Corrections: diary entries are food-safety records that auditors (VietGAP, buyers) rely
on, so an entry is immutable once the (Vietnamese) day it was recorded has passed; a later
correction is a new entry whose notes say what it corrects. On the day it was recorded,
its author or an org admin (or a platform admin) may still fix a typo (PATCH); anyone
else gets 403, and after that day everyone gets 409. Entries are never deleted.

Nothing here commits: the caller commits once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select

from core.actor import Actor, can_write
from core.clock import VIETNAM, local_today
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import _l
from core.numbers import NumberRefused, to_decimal
from traceability.models.areas import DiaryEntry, DiaryKind
from traceability.services.areas import get_area, writable_area

EDITABLE_FIELDS = frozenset(
    {
        "kind",
        "occurred_on",
        "input_name",
        "active_ingredient",
        "dose",
        "dose_unit",
        "operator",
        "phi_days",
        "notes",
    }
)
_TEXT_LIMITS = {
    "input_name": 200,
    "active_ingredient": 200,
    "dose_unit": 20,
    "operator": 200,
    "notes": 5000,
}
# Kinds that apply or give something: the diary must say what.
INPUT_KINDS = frozenset(
    {DiaryKind.FERTILISER, DiaryKind.PESTICIDE, DiaryKind.FEEDING, DiaryKind.VACCINATION}
)
PHI_DAYS_MAX = 365  # the longest label PHIs are a few months; more is a typo
DOSE_MAX = Decimal(10) ** 9  # Numeric(14, 4)



def recorded_on(entry: DiaryEntry) -> date:
    """The Vietnamese calendar day the entry was recorded (its correction window)."""
    created = entry.created_at
    if created.tzinfo is None:  # SQLite hands back naive UTC
        created = created.replace(tzinfo=UTC)
    return created.astimezone(VIETNAM).date()


# --- reads ------------------------------------------------------------------------------


def list_entries(
    actor: Actor,
    area_id: int,
    *,
    kind: DiaryKind | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Select[tuple[DiaryEntry]]:
    """A select of the area's diary, newest first (by ``occurred_on``, then the order of
    recording), for the caller to paginate; NotFound if the actor may not read the area.
    ``since``/``until`` bound ``occurred_on`` (both inclusive)."""
    area = get_area(actor, area_id)
    stmt = select(DiaryEntry).where(DiaryEntry.area_id == area.id)
    if kind is not None:
        stmt = stmt.where(DiaryEntry.kind == kind)
    if since is not None:
        stmt = stmt.where(DiaryEntry.occurred_on >= since)
    if until is not None:
        stmt = stmt.where(DiaryEntry.occurred_on <= until)
    return stmt.order_by(DiaryEntry.occurred_on.desc(), DiaryEntry.id.desc())


def get_entry(actor: Actor, area_id: int, entry_id: int) -> DiaryEntry:
    """One entry of the area; NotFound if it is not the area's or the area is hidden."""
    area = get_area(actor, area_id)
    entry = db.session.get(DiaryEntry, entry_id)
    if entry is None or entry.area_id != area.id:
        raise NotFound()
    return entry


def may_correct(actor: Actor, entry: DiaryEntry) -> bool:
    """Whether ``correct_entry`` would let the actor fix this entry now (its day and its
    author or an admin), so a page offers "correct" exactly where it is allowed. The
    entry is one of an area the actor may read; writing the area is checked too."""
    return (
        recorded_on(entry) == local_today()
        and can_write(actor, entry.organisation_id)
        and _is_author_or_admin(actor, entry.organisation_id, entry)
    )


def _is_author_or_admin(actor: Actor, organisation_id: int, entry: DiaryEntry) -> bool:
    is_author = entry.recorded_by_id is not None and entry.recorded_by_id == actor.user_id
    return is_author or can_write(actor, organisation_id, admin_only=True)


# --- writes -----------------------------------------------------------------------------


def add_entry(actor: Actor, area_id: int, **data: Any) -> DiaryEntry:
    """Record an entry on the area, by the actor's user. Guarantees: a pesticide entry
    names its active ingredient and its PHI (days ≥ 0); input entries name the input;
    a dose is ≥ 0 and has a unit; ``occurred_on`` is not after today (Vietnam)."""
    _unknown_fields(data)
    area = writable_area(actor, area_id)
    state: dict[str, Any] = {
        "kind": None,
        "occurred_on": None,
        "input_name": "",
        "active_ingredient": "",
        "dose": None,
        "dose_unit": "",
        "operator": "",
        "phi_days": None,
        "notes": "",
    }
    state.update(data)
    _validate(state)
    entry = DiaryEntry(
        organisation_id=area.organisation_id,
        area_id=area.id,
        # The SYSTEM actor (CLI, seeders) is user 0, which is no row of ``users``.
        recorded_by_id=actor.user_id or None,
        **state,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def correct_entry(actor: Actor, area_id: int, entry_id: int, **changes: Any) -> DiaryEntry:
    """Fix an entry on the day it was recorded (see the module docstring): its author or
    an org admin; 403 for other users, 409 once the day has passed. The whole result is
    validated as on creation."""
    _unknown_fields(changes)
    area = writable_area(actor, area_id)
    entry = db.session.get(DiaryEntry, entry_id)
    if entry is None or entry.area_id != area.id:
        raise NotFound()
    if recorded_on(entry) != local_today():
        raise Conflict(
            _l(
                "Diary entries are kept as recorded once their day has passed; "
                "record a new entry that corrects this one."
            )
        )
    if not _is_author_or_admin(actor, area.organisation_id, entry):
        raise Forbidden(_l("Only the author or an org admin may correct this entry."))
    state = {name: getattr(entry, name) for name in EDITABLE_FIELDS}
    state.update(changes)
    _validate(state)
    for name, value in state.items():
        if getattr(entry, name) != value:
            setattr(entry, name, value)
    db.session.flush()
    return entry


# --- validation ---------------------------------------------------------------------------


def _unknown_fields(data: Mapping[str, Any]) -> None:
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(
            field_errors={name: [_l("Unknown field.")] for name in sorted(unknown)}
        )


def _validate(state: dict[str, Any]) -> None:
    """Check the whole entry and normalise it in place; every failing field at once."""
    errors: dict[str, list[Any]] = {}

    def err(field: str, message: Any) -> None:
        errors.setdefault(field, []).append(message)

    kind = state["kind"]
    if kind is None:
        err("kind", _l("Required."))
    elif not isinstance(kind, DiaryKind):
        try:
            kind = DiaryKind(kind)
        except ValueError:
            err("kind", _l("Not one of the allowed values."))
            kind = None
    state["kind"] = kind

    day = state["occurred_on"]
    if not isinstance(day, date) or isinstance(day, datetime):
        err("occurred_on", _l("Required."))
    elif day > local_today():
        err("occurred_on", _l("The diary records what was done: not a future day."))

    for name, limit in _TEXT_LIMITS.items():
        value = state[name]
        value = "" if value is None else value
        if not isinstance(value, str):
            err(name, _l("Enter text."))
            continue
        state[name] = value = value.strip()
        if len(value) > limit:
            err(name, _l("At most %(n)d characters.", n=limit))

    if kind in INPUT_KINDS and not state["input_name"]:
        err("input_name", _l("Say what was applied or given."))
    if kind == DiaryKind.PESTICIDE and not state["active_ingredient"]:
        err("active_ingredient", _l("A pesticide entry names its active ingredient."))

    state["dose"] = _dose(state["dose"], err)
    if state["dose"] is not None and not state["dose_unit"] and "dose_unit" not in errors:
        err("dose_unit", _l("Give the unit of the dose."))

    phi = state["phi_days"]
    if phi is not None and (isinstance(phi, bool) or not isinstance(phi, int)):
        err("phi_days", _l("Enter a whole number of days."))
    elif phi is not None and not 0 <= phi <= PHI_DAYS_MAX:
        err("phi_days", _l("Between 0 and %(n)d days.", n=PHI_DAYS_MAX))
    elif phi is None and kind == DiaryKind.PESTICIDE:
        err(
            "phi_days",
            _l("A pesticide entry states its pre-harvest interval in days (0 if none)."),
        )

    if errors:
        raise ValidationFailed(field_errors=errors)


def _dose(value: Any, err: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return to_decimal(
            value, maximum=DOSE_MAX, below_message=_l("Enter a dose of zero or more.")
        )
    except NumberRefused as refused:
        err("dose", refused.message)
        return None
