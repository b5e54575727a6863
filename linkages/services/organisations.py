"""The organisations registry: create, edit, read and list organisations.

The registry record (name, type, registration code, address, contacts, status) is public,
as in the national business and cooperative registers: anyone, even anonymous, may read
it. Only a platform admin registers an organisation. An organisation's own admins edit its
name, street address and contacts; the facts that decide oversight and counting
(``FactField``: code, type, status, registration date, place codes) change only through
``linkages.services.oversight``, with a reason, an effective date and a history. Services
never commit: the caller does, once per request.

Cooperative profiles, yearly figures and union memberships live in
``linkages.services.cooperatives``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Select, or_, select

from core.actor import Actor, require_platform_admin, require_write
from core.clock import local_today
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import _l
from linkages.models.organisations import FactField, Organisation, OrgStatus, OrgType
from linkages.models.places import LegacyProvince
from linkages.services.places import check_address
from linkages.taxcode import InvalidRegistrationCode, validate_registration_code

# Viet Nam keeps UTC+7 all year (no daylight saving): "today" for registry dates.

# Fields an organisation's own admins edit (PATCH); they decide nothing about oversight.
SELF_EDITABLE_FIELDS = frozenset(
    {"name", "short_name", "address_line", "phone", "email", "website"}
)
# The oversight facts, plus the date of the current status (set by a status change).
OVERSIGHT_FIELDS = frozenset({*(f.value for f in FactField), "status_since"})
CREATE_FIELDS = SELF_EDITABLE_FIELDS | OVERSIGHT_FIELDS
REQUIRED_ON_CREATE = ("registration_code", "name", "org_type")

# Decisions of a court or of the registration office, and the closed statuses: an
# organisation never enters the first nor leaves the second by its own request.
REGISTRAR_STATUSES = frozenset({OrgStatus.BANKRUPT, OrgStatus.REVOKED})
TERMINAL_STATUSES = frozenset({OrgStatus.DISSOLVED, OrgStatus.BANKRUPT, OrgStatus.REVOKED})

_TEXT_LIMITS = {
    "name": 255,
    "short_name": 100,
    "address_line": 255,
    "phone": 40,
    "email": 254,
    "website": 255,
}

E = TypeVar("E", bound=StrEnum)




def fact_text(value: Any) -> str | None:
    """A fact's value as stored in the history and compared: enum values, ISO dates,
    stripped codes; an empty code is no code (None)."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return None
    return str(value).strip() or None


def kept_facts(row: Any, facts: Iterable[Any]) -> dict[Any, str | None]:
    """``row``'s values of ``facts`` (members of a fact enum naming its attributes) as a
    change history stores them (``fact_text``)."""
    return {fact: fact_text(getattr(row, fact.value)) for fact in facts}


class ErrorCollector(dict[str, list[Any]]):
    """Field errors collected while validating, raised together."""

    def add(self, field: str, message: Any) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationFailed(_l("The data is not valid."), field_errors=self)


def parse_enum(enum_cls: type[E], value: Any, field: str, errors: ErrorCollector) -> E | None:
    """``value`` as a member of ``enum_cls`` (None stays None), or a field error."""
    if value is None or isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        errors.add(
            field,
            _l("Must be one of: %(choices)s.", choices=", ".join(m.value for m in enum_cls)),
        )
        return None


def _clean_text(field: str, value: Any, errors: ErrorCollector) -> str | None:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(field, _l("Must be text."))
        return None
    value = value.strip()
    limit = _TEXT_LIMITS.get(field)
    if limit and len(value) > limit:
        errors.add(field, _l("At most %(n)d characters.", n=limit))
        return None
    if field == "email" and value and ("@" not in value or any(c.isspace() for c in value)):
        errors.add(field, _l("Not a valid e-mail address."))
        return None
    if field == "website" and value and not value.lower().startswith(("http://", "https://")):
        errors.add(field, _l("A web address starts with http:// or https://."))
        return None
    return value


def check_unknown(data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationFailed(
            _l("Unknown fields."), field_errors={k: [_l("Unknown field.")] for k in unknown}
        )


def collect_address(
    commune_code: str | None, province_code: str | None, errors: ErrorCollector
) -> tuple[str | None, str | None]:
    """Validate a commune/province pair (``places.check_address``); return the normalised
    (commune, province) to store: a commune alone gives its province, one of another
    province is refused.
    """
    try:
        return check_address(commune_code, province_code)
    except ValidationFailed as exc:
        for field, messages in exc.field_errors.items():
            for message in messages:
                errors.add(field, message)
        return None, None


def check_registration_code(
    code: Any, org_type: OrgType | None, errors: ErrorCollector, *, exclude_id: int | None = None
) -> str | None:
    try:
        normalised = validate_registration_code(code, org_type)
    except InvalidRegistrationCode as exc:
        errors.add("registration_code", exc.reason)
        return None
    clash = select(Organisation.id).where(Organisation.registration_code == normalised)
    if exclude_id is not None:
        clash = clash.where(Organisation.id != exclude_id)
    if db.session.scalar(clash) is not None:
        raise Conflict(
            _l("An organisation with this registration code is already registered."),
            field_errors={"registration_code": [_l("Already registered.")]},
        )
    return normalised


def create_organisation(actor: Actor, data: Mapping[str, Any]) -> Organisation:
    """Register an organisation (platform admins only).

    Guarantees: the registration code is valid for the type and unique (409 otherwise),
    the commune exists and lies in the province; nothing is written when anything fails.
    """
    require_platform_admin(actor)
    check_unknown(data, CREATE_FIELDS)
    errors = ErrorCollector()
    for field in REQUIRED_ON_CREATE:
        if data.get(field) in (None, ""):
            errors.add(field, _l("Required."))
    errors.raise_if_any()

    org_type = parse_enum(OrgType, data["org_type"], "org_type", errors)
    status = parse_enum(OrgStatus, data.get("status") or OrgStatus.ACTIVE, "status", errors)
    values: dict[str, Any] = {}
    for field in _TEXT_LIMITS:
        values[field] = _clean_text(field, data.get(field), errors)
    if not values.get("name") and "name" not in errors:
        errors.add("name", _l("Required."))
    commune, province = collect_address(
        data.get("commune_code"), data.get("province_code"), errors
    )
    legacy = data.get("legacy_province_code")
    if legacy and db.session.get(LegacyProvince, legacy) is None:
        errors.add("legacy_province_code", _l("Unknown legacy province code."))
    errors.raise_if_any()
    code = check_registration_code(data["registration_code"], org_type, errors)
    errors.raise_if_any()

    org = Organisation(
        registration_code=code,
        org_type=org_type,
        status=status,
        status_since=data.get("status_since") or local_today(),
        registered_on=data.get("registered_on"),
        commune_code=commune,
        province_code=province,
        legacy_province_code=legacy or None,
        **values,
    )
    db.session.add(org)
    db.session.flush()
    return org


def update_organisation(
    actor: Actor, organisation_id: int, changes: Mapping[str, Any]
) -> Organisation:
    """Change the name, street address or contacts of an organisation (its org admins, or
    a platform admin).

    Oversight facts (``OVERSIGHT_FIELDS``) are accepted only unchanged, so a client may
    send back what it read; a changed one is refused naming the field, and nothing is
    written: 403 for the organisation's admins (they file a change request), 422 for a
    platform admin (who records the change with an effective date and a reason).
    """
    org = get_organisation(actor, organisation_id)
    require_write(actor, org.id, org.province_code, admin_only=True)
    check_unknown(changes, CREATE_FIELDS)
    locked = sorted(
        f
        for f in OVERSIGHT_FIELDS
        if f in changes and fact_text(changes[f]) != fact_text(getattr(org, f))
    )
    if locked:
        _refuse_oversight_change(actor, org, locked)

    errors = ErrorCollector()
    values: dict[str, Any] = {}
    for field in _TEXT_LIMITS:
        if field in changes:
            values[field] = _clean_text(field, changes[field], errors)
    if "name" in values and not values["name"] and "name" not in errors:
        errors.add("name", _l("Required."))
    errors.raise_if_any()
    for field, value in values.items():
        setattr(org, field, value)
    db.session.flush()
    return org


def _refuse_oversight_change(actor: Actor, org: Organisation, fields: list[str]) -> None:
    # The paths are part of the message on purpose: the caller learns where to go.
    if actor.is_admin:
        path = f"/api/organisations/{org.id}/fact-changes"
        raise ValidationFailed(
            _l(
                "Registry facts change with an effective date and a reason: POST %(path)s.",
                path=path,
            ),
            field_errors={f: [_l("Changed with POST %(path)s.", path=path)] for f in fields},
        )
    path = f"/api/organisations/{org.id}/change-requests"
    raise Forbidden(
        _l(
            "An authority over the organisation changes these facts; request the change "
            "with POST %(path)s.",
            path=path,
        ),
        field_errors={f: [_l("Request the change: POST %(path)s.", path=path)] for f in fields},
    )


def get_organisation(actor: Actor, organisation_id: int) -> Organisation:
    """The public registry record; readable by anyone (the registers are public)."""
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound()
    return org


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_organisations(
    actor: Actor,
    *,
    org_type: OrgType | str | None = None,
    province_code: str | None = None,
    status: OrgStatus | str | None = None,
    q: str | None = None,
) -> Select[tuple[Organisation]]:
    """A ``select()`` of registry records (public fields), ordered by name, to paginate.

    ``q`` matches a part of the name or short name (case-insensitive for ASCII letters;
    accented Vietnamese capitals match only as typed on SQLite) or a registration code
    prefix.
    """
    errors = ErrorCollector()
    org_type = parse_enum(OrgType, org_type, "org_type", errors)
    status = parse_enum(OrgStatus, status, "status", errors)
    errors.raise_if_any()
    stmt = select(Organisation)
    if org_type is not None:
        stmt = stmt.where(Organisation.org_type == org_type)
    if status is not None:
        stmt = stmt.where(Organisation.status == status)
    if province_code:
        stmt = stmt.where(Organisation.province_code == province_code)
    if q and q.strip():
        term = _escape_like(q.strip())
        stmt = stmt.where(
            or_(
                Organisation.name.ilike(f"%{term}%", escape="\\"),
                Organisation.short_name.ilike(f"%{term}%", escape="\\"),
                Organisation.registration_code.like(f"{term}%", escape="\\"),
            )
        )
    return stmt.order_by(Organisation.name, Organisation.id)
