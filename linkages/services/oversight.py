"""Who changes the facts that decide oversight and counting, and their history.

An organisation's registration code, type, status, registration date and place codes
(``FactField``) decide which authority oversees it and whether, and where, the linkage
indicator counts it. Its own admins therefore cannot change them (they could move the
organisation out of its province authority's view, or close it): they file a change
request, which an authority over the organisation or a platform admin approves or rejects
with a reason. Those deciders may also change the facts directly. This is the one narrow
exception to "authorities write nothing" (``core.actor``), and ``may_oversee`` is its
only test.

Every change is an ``OrganisationFactChange`` row (who, when, why, effective date) written
in the same transaction as the current value on the organisation row. Nothing is recorded
at registration: before its first recorded change a fact has the value it was registered
with (the "as of" rule on the model, in SQL in ``fact_as_of``). To keep that rule exact, a
change may not take effect before the last recorded change of the same field (nor, for
the status, before ``status_since``), nor in the future. Services never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, case, cast, exists, func, select

from core.actor import Actor, require_authenticated, require_read, require_write
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.formatting import date_text
from core.i18n import _l
from linkages.models.organisations import (
    FACT_VALUE_LENGTH,
    ChangeRequestStatus,
    FactField,
    Organisation,
    OrganisationChangeRequest,
    OrganisationChangeRequestItem,
    OrganisationFactChange,
    OrgStatus,
    OrgType,
)
from linkages.models.places import LegacyProvince
from linkages.services.organisations import (
    REGISTRAR_STATUSES,
    TERMINAL_STATUSES,
    ErrorCollector,
    check_registration_code,
    check_unknown,
    collect_address,
    fact_text,
    get_organisation,
    local_today,
    parse_enum,
)

REASON_LIMIT = 2000
CHANGE_FIELDS = frozenset({*(f.value for f in FactField), "effective_on", "reason"})
DECISION_FIELDS = frozenset({"effective_on", "reason"})

# Where a status may go. A closed status (dissolved, bankrupt, revoked) only goes back to
# active: the reversal of a decision that was annulled or recorded by mistake.
_OPEN = frozenset(OrgStatus) - TERMINAL_STATUSES
STATUS_TRANSITIONS: dict[OrgStatus, frozenset[OrgStatus]] = {
    **{s: frozenset(OrgStatus) - {s} for s in _OPEN},
    **{s: frozenset({OrgStatus.ACTIVE}) for s in TERMINAL_STATUSES},
}

_DATE_FIELDS = frozenset({FactField.REGISTERED_ON})
_ENUMS: dict[FactField, type[OrgType] | type[OrgStatus]] = {
    FactField.ORG_TYPE: OrgType,
    FactField.STATUS: OrgStatus,
}


# --- who ----------------------------------------------------------------------------------


def may_oversee(actor: Actor, org: Organisation) -> bool:
    """May ``actor`` change ``org``'s oversight facts and decide its change requests?

    A platform admin, or an authority over the organisation: national, or of the
    organisation's province. The only write an authority ever makes.
    """
    if actor.is_admin:
        return True
    return actor.is_authority and actor.province_code in (None, org.province_code)


def _require_oversee(actor: Actor, org: Organisation) -> None:
    """401 anonymous, 404 to those who may not even read the organisation's private data
    (another organisation, an authority of another province), 403 to its own users."""
    require_authenticated(actor)
    if may_oversee(actor, org):
        return
    require_read(actor, org.id, org.province_code)
    raise Forbidden(
        _l("Only an authority over the organisation or a platform administrator decides this.")
    )


def _overseen_org(actor: Actor, organisation_id: int) -> Organisation:
    """The organisation, locked for this transaction; refused unless the actor may
    oversee it.

    The lock serialises every change and decision on one organisation: the history's
    ``old_value`` chain (on which "as of" relies) and a request's pending state stay
    exact under concurrent requests. (SQLite locks the whole database on write anyway.)
    """
    org = get_organisation(actor, organisation_id)
    db.session.refresh(org, with_for_update=True)
    _require_oversee(actor, org)
    return org


def _readable_org(actor: Actor, organisation_id: int) -> Organisation:
    org = get_organisation(actor, organisation_id)
    require_read(actor, org.id, org.province_code)
    return org


# --- values -------------------------------------------------------------------------------


def _value_of(field: FactField, text: str | None) -> Any:
    """A stored text value back as the organisation row's type."""
    if text is None:
        return None
    if field in _ENUMS:
        return _ENUMS[field](text)
    if field in _DATE_FIELDS:
        return date.fromisoformat(text)
    return text


@dataclass(frozen=True, slots=True)
class _CheckedChange:
    values: dict[FactField, Any]  # only the fields whose value changes
    effective_on: date
    reason: str


def _clean_reason(value: Any, errors: ErrorCollector) -> str:
    reason = value.strip() if isinstance(value, str) else ""
    if not reason:
        errors.add("reason", _l("Required: say why."))
    elif len(reason) > REASON_LIMIT:
        errors.add("reason", _l("At most %(n)d characters.", n=REASON_LIMIT))
    return reason


def _clean_effective_on(value: Any, errors: ErrorCollector) -> date | None:
    if not isinstance(value, date):
        errors.add("effective_on", _l("Required: the date the change takes effect."))
        return None
    if value > local_today():
        # The organisation row holds today's values: a future change would show too early.
        errors.add("effective_on", _l("Cannot be in the future; record it once in effect."))
        return None
    return value


def _check_status(
    current: OrgStatus, wanted: OrgStatus, by_request: bool, errors: ErrorCollector
) -> None:
    if wanted not in STATUS_TRANSITIONS[current]:
        errors.add(
            "status",
            _l(
                "An organisation that is %(current)s cannot become %(wanted)s.",
                current=current.value,
                wanted=wanted.value,
            ),
        )
    elif by_request and (current in TERMINAL_STATUSES or wanted in REGISTRAR_STATUSES):
        errors.add(
            "status",
            _l("Only an authority records this status change; it cannot be requested."),
        )


def _check_not_before_last_change(
    org: Organisation, fields: list[FactField], effective_on: date, errors: ErrorCollector
) -> None:
    rows = db.session.execute(
        select(OrganisationFactChange.field, func.max(OrganisationFactChange.effective_on))
        .where(
            OrganisationFactChange.organisation_id == org.id,
            OrganisationFactChange.field.in_(fields),
        )
        .group_by(OrganisationFactChange.field)
    )
    floors: dict[FactField, date] = {field: last for field, last in rows}
    if FactField.STATUS in fields and org.status_since is not None:
        # status_since dates the current status even when no change of it is recorded.
        last = floors.get(FactField.STATUS)
        floors[FactField.STATUS] = max(last, org.status_since) if last else org.status_since
    for field in fields:
        floor = floors.get(field)
        if floor is not None and effective_on < floor:
            errors.add(
                "effective_on",
                _l(
                    "Cannot be before the last recorded change of %(field)s (%(date)s).",
                    field=field.value,
                    date=date_text(floor),
                ),
            )


def _parse_facts(
    org: Organisation, data: Mapping[str, Any], errors: ErrorCollector
) -> dict[FactField, Any]:
    """The facts ``data`` names, parsed and checked one by one (not yet the registration
    code, whose check depends on the type and may be a conflict)."""
    wanted: dict[FactField, Any] = {}
    if "org_type" in data:
        wanted[FactField.ORG_TYPE] = parse_enum(OrgType, data["org_type"], "org_type", errors)
        if wanted[FactField.ORG_TYPE] is None and "org_type" not in errors:
            errors.add("org_type", _l("Required."))
    if "status" in data:
        wanted[FactField.STATUS] = parse_enum(OrgStatus, data["status"], "status", errors)
        if wanted[FactField.STATUS] is None and "status" not in errors:
            errors.add("status", _l("Required."))
    if "registered_on" in data:
        registered = data["registered_on"]
        if registered is not None and not isinstance(registered, date):
            errors.add("registered_on", _l("Not a valid date."))
        elif registered is not None and registered > local_today():
            errors.add("registered_on", _l("Cannot be in the future."))
        wanted[FactField.REGISTERED_ON] = registered
    if {"commune_code", "province_code"} & set(data):
        # A commune alone brings its province; a new province with the old commune must
        # still agree (clear or resend the commune).
        province_given = data.get("province_code", org.province_code)
        if data.get("commune_code") and "province_code" not in data:
            province_given = None
        commune, province = collect_address(
            data.get("commune_code", org.commune_code), province_given, errors
        )
        wanted[FactField.COMMUNE_CODE] = commune
        wanted[FactField.PROVINCE_CODE] = province
    if "legacy_province_code" in data:
        legacy = fact_text(data["legacy_province_code"])
        if legacy is not None and db.session.get(LegacyProvince, legacy) is None:
            errors.add("legacy_province_code", _l("Unknown legacy province code."))
        wanted[FactField.LEGACY_PROVINCE_CODE] = legacy
    return wanted


def _check_change(
    org: Organisation, data: Mapping[str, Any], *, by_request: bool
) -> _CheckedChange:
    """Validate a change of facts against the organisation as it is now; return only the
    fields whose value changes. Raises ``ValidationFailed`` naming each failing field
    (``Conflict`` for a registration code already taken)."""
    errors = ErrorCollector()
    for field in sorted(set(data) - CHANGE_FIELDS):
        if field == "status_since":
            errors.add(field, _l("Set by the effective date of a status change."))
        else:
            errors.add(field, _l("Unknown field."))
    reason = _clean_reason(data.get("reason"), errors)
    effective_on = _clean_effective_on(data.get("effective_on"), errors)
    wanted = _parse_facts(org, data, errors)
    if not wanted and "registration_code" not in data and not errors:
        errors.add("_schema", _l("Name at least one fact to change."))
    errors.raise_if_any()

    org_type = wanted.get(FactField.ORG_TYPE, org.org_type)
    if "registration_code" in data or org_type != org.org_type:
        # A type change re-checks the code: a personal ID is only for individuals.
        wanted[FactField.REGISTRATION_CODE] = check_registration_code(
            data.get("registration_code", org.registration_code), org_type, errors,
            exclude_id=org.id,
        )
        errors.raise_if_any()

    changed = {
        field: value
        for field, value in sorted(wanted.items(), key=lambda item: item[0].value)
        if fact_text(value) != fact_text(getattr(org, field.value))
    }
    if not changed:
        errors.add("_schema", _l("Nothing changes: these are the current values."))
    if FactField.STATUS in changed:
        _check_status(org.status, changed[FactField.STATUS], by_request, errors)
    assert effective_on is not None  # refused above otherwise
    _check_not_before_last_change(org, list(changed), effective_on, errors)
    errors.raise_if_any()
    return _CheckedChange(changed, effective_on, reason)


def _apply(
    actor: Actor,
    org: Organisation,
    change: _CheckedChange,
    request: OrganisationChangeRequest | None = None,
) -> list[OrganisationFactChange]:
    """Write the history rows and the organisation row's new values together."""
    rows = []
    for field, value in change.values.items():
        rows.append(
            OrganisationFactChange(
                organisation_id=org.id,
                field=field,
                old_value=fact_text(getattr(org, field.value)),
                new_value=fact_text(value),
                effective_on=change.effective_on,
                reason=change.reason,
                changed_by_id=actor.user_id or None,
                request_id=request.id if request is not None else None,
            )
        )
        setattr(org, field.value, value)
    if FactField.STATUS in change.values:
        org.status_since = change.effective_on
    db.session.add_all(rows)
    db.session.flush()
    return rows


# --- direct changes and history ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactChangeSet:
    organisation: Organisation
    changes: list[OrganisationFactChange]


def change_facts(actor: Actor, organisation_id: int, data: Mapping[str, Any]) -> FactChangeSet:
    """Change oversight facts directly (an authority over the organisation, or a platform
    admin). ``data`` holds the new values (``FactField`` names) with ``effective_on``
    and ``reason``.

    Guarantees: one history row per field whose value changes, written with the new value
    on the organisation row (a status change also sets ``status_since`` to the effective
    date); place codes exist and agree; the code is valid for the type and unique (409);
    the status move is allowed; nothing is written when anything fails.
    """
    org = _overseen_org(actor, organisation_id)
    change = _check_change(org, data, by_request=False)
    return FactChangeSet(org, _apply(actor, org, change))


def list_fact_changes(
    actor: Actor, organisation_id: int, *, field: FactField | str | None = None
) -> Select[tuple[OrganisationFactChange]]:
    """The history of an organisation's facts, latest effective first (readable by those
    who may read its private data), to paginate."""
    org = _readable_org(actor, organisation_id)
    errors = ErrorCollector()
    field = parse_enum(FactField, field, "field", errors)
    errors.raise_if_any()
    stmt = select(OrganisationFactChange).where(OrganisationFactChange.organisation_id == org.id)
    if field is not None:
        stmt = stmt.where(OrganisationFactChange.field == field)
    return stmt.order_by(
        OrganisationFactChange.effective_on.desc(), OrganisationFactChange.id.desc()
    )


def fact_as_of(
    field: FactField, on: date, *, org: Any = Organisation, known_before: datetime | None = None
) -> ColumnElement[str | None]:
    """SQL: the value (as text) of ``field`` on date ``on`` for the ``org`` row (the
    ``Organisation`` entity or an alias of it) of the enclosing query: the old value of the
    first change taking effect after ``on``, or the current value when none does (the rule
    on ``OrganisationFactChange``). With ``known_before``, changes recorded at or after it
    count as not yet made, so the answer is what the registry said at that moment: changes
    of a field are recorded in the order they take effect, so the first such change still
    holds the value then in force as its ``old_value``."""
    after: ColumnElement[bool] = OrganisationFactChange.effective_on > on
    if known_before is not None:
        after = after | (OrganisationFactChange.changed_at >= known_before)
    later = (
        OrganisationFactChange.organisation_id == org.id,
        OrganisationFactChange.field == field,
        after,
    )
    first_later_old = (
        select(OrganisationFactChange.old_value)
        .where(*later)
        .order_by(OrganisationFactChange.effective_on, OrganisationFactChange.id)
        .limit(1)
        .correlate(org)
        .scalar_subquery()
    )
    current = cast(getattr(org, field.value), String(FACT_VALUE_LENGTH))
    return case((exists().where(*later).correlate(org), first_later_old), else_=current)


def facts_as_of(actor: Actor, organisation_id: int, on: date) -> dict[str, Any]:
    """The organisation's oversight facts as they were on ``on`` (private readers)."""
    org = _readable_org(actor, organisation_id)
    row = db.session.execute(
        select(*(fact_as_of(f, on).label(f.value) for f in FactField)).where(
            Organisation.id == org.id
        )
    ).one()
    facts: dict[str, Any] = {"organisation_id": org.id, "on": on}
    facts.update({f.value: _value_of(f, getattr(row, f.value)) for f in FactField})
    return facts


# --- change requests ------------------------------------------------------------------


def request_change(
    actor: Actor, organisation_id: int, data: Mapping[str, Any]
) -> OrganisationChangeRequest:
    """File a request to change oversight facts (the organisation's admins; a platform
    admin may file one for it). Same input and checks as ``change_facts``; besides, an
    organisation cannot ask to leave a closed status nor to be declared bankrupt or
    revoked. The values it replaces are kept, so a request overtaken by another change
    cannot be approved."""
    org = get_organisation(actor, organisation_id)
    require_write(actor, org.id, org.province_code, admin_only=True)
    change = _check_change(org, data, by_request=True)
    request = OrganisationChangeRequest(
        organisation_id=org.id,
        effective_on=change.effective_on,
        reason=change.reason,
        requested_by_id=actor.user_id or None,
        items=[
            OrganisationChangeRequestItem(
                field=field,
                old_value=fact_text(getattr(org, field.value)),
                new_value=fact_text(value),
            )
            for field, value in change.values.items()
        ],
    )
    db.session.add(request)
    db.session.flush()
    return request


def list_change_requests(
    actor: Actor, organisation_id: int, *, status: ChangeRequestStatus | str | None = None
) -> Select[tuple[OrganisationChangeRequest]]:
    """The organisation's change requests, newest first (private readers), to paginate."""
    org = _readable_org(actor, organisation_id)
    errors = ErrorCollector()
    status = parse_enum(ChangeRequestStatus, status, "status", errors)
    errors.raise_if_any()
    stmt = select(OrganisationChangeRequest).where(
        OrganisationChangeRequest.organisation_id == org.id
    )
    if status is not None:
        stmt = stmt.where(OrganisationChangeRequest.status == status)
    return stmt.order_by(
        OrganisationChangeRequest.requested_at.desc(), OrganisationChangeRequest.id.desc()
    )


def _request_of(org: Organisation, request_id: int) -> OrganisationChangeRequest:
    request = db.session.get(OrganisationChangeRequest, request_id)
    if request is None or request.organisation_id != org.id:
        raise NotFound()
    return request


def get_change_request(
    actor: Actor, organisation_id: int, request_id: int
) -> OrganisationChangeRequest:
    """One change request of the organisation (private readers)."""
    return _request_of(_readable_org(actor, organisation_id), request_id)


def _pending_request_to_decide(
    actor: Actor, organisation_id: int, request_id: int, data: Mapping[str, Any]
) -> tuple[Organisation, OrganisationChangeRequest]:
    org = _overseen_org(actor, organisation_id)
    request = _request_of(org, request_id)
    db.session.refresh(request)  # its state as of the lock, not as first loaded
    if request.status != ChangeRequestStatus.PENDING:
        raise Conflict(
            _l("This request was already approved.")
            if request.status == ChangeRequestStatus.APPROVED
            else _l("This request was already rejected."),
            field_errors={"status": [_l("Already decided.")]},
        )
    check_unknown(data, DECISION_FIELDS)
    return org, request


def _decide(
    actor: Actor, request: OrganisationChangeRequest, status: ChangeRequestStatus, reason: str
) -> None:
    request.status = status
    request.decided_by_id = actor.user_id or None
    request.decided_at = utcnow()
    request.decision_reason = reason


def approve_change_request(
    actor: Actor, organisation_id: int, request_id: int, data: Mapping[str, Any]
) -> OrganisationChangeRequest:
    """Approve a pending request (an authority over the organisation, or a platform admin)
    and apply it: history rows carry the request's reason and id, the approver as author,
    and the requested effective date unless ``data["effective_on"]`` corrects it;
    ``data["reason"]`` is an optional note on the decision.

    Guarantees: 409 when the request was already decided, or when a requested field no
    longer has the value it had when requested (naming those fields); the change is
    re-checked as a direct change; nothing is written when anything fails.
    """
    org, request = _pending_request_to_decide(actor, organisation_id, request_id, data)
    stale = [
        item.field.value
        for item in request.items
        if fact_text(getattr(org, item.field.value)) != item.old_value
    ]
    if stale:
        raise Conflict(
            _l("The organisation's facts changed since the request was made; reject it."),
            field_errors={f: [_l("Changed since the request was made.")] for f in stale},
        )
    note = data.get("reason")
    errors = ErrorCollector()
    if note is not None and (not isinstance(note, str) or len(note) > REASON_LIMIT):
        errors.add("reason", _l("At most %(n)d characters.", n=REASON_LIMIT))
    errors.raise_if_any()
    wanted: dict[str, Any] = {
        item.field.value: _value_of(item.field, item.new_value) for item in request.items
    }
    wanted["effective_on"] = data.get("effective_on") or request.effective_on
    wanted["reason"] = request.reason
    change = _check_change(org, wanted, by_request=False)
    _apply(actor, org, change, request)
    # The request keeps the date asked for; the history rows carry the date applied.
    _decide(actor, request, ChangeRequestStatus.APPROVED, (note or "").strip())
    db.session.flush()
    return request


def reject_change_request(
    actor: Actor, organisation_id: int, request_id: int, data: Mapping[str, Any]
) -> OrganisationChangeRequest:
    """Reject a pending request with a reason (an authority over the organisation, or a
    platform admin); 409 when it was already decided. Nothing about the organisation
    changes."""
    _, request = _pending_request_to_decide(actor, organisation_id, request_id, data)
    if "effective_on" in data:
        raise ValidationFailed(
            _l("A rejection has no effective date."),
            field_errors={"effective_on": [_l("Unknown field.")]},
        )
    errors = ErrorCollector()
    reason = _clean_reason(data.get("reason"), errors)
    errors.raise_if_any()
    _decide(actor, request, ChangeRequestStatus.REJECTED, reason)
    db.session.flush()
    return request
