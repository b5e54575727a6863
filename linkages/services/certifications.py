"""Certifications of an organisation: list, read, add, correct, revoke (never delete).

Visibility: whoever may read the organisation's private data (its users, a platform
admin, an authority of its province) sees all its certifications; everyone else, the
anonymous consumer included, sees only the public ones. Writes are for an org admin of the
owner or a platform admin. Nothing here commits: the caller commits once.

Guarantees: ``expires_on >= issued_on``; OCOP certificates carry 3–5 stars matching the
score band when a score is given, and expire 36 months after issue unless told otherwise;
a revoked certification is kept, with the day and reason, and no longer edited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, or_, select

from core.actor import Actor, can_read_private, can_write, require_authenticated
from core.clock import local_today
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.formatting import date_text
from core.i18n import _l
from linkages.models.certifications import (
    OCOP_CERTIFICATE_MIN_STARS,
    CertFact,
    Certification,
    CertificationChange,
    CertScheme,
    SubjectKind,
    Validity,
    default_ocop_expiry,
    ocop_stars_for_score,
)
from linkages.models.organisations import Organisation
from linkages.services.organisations import kept_facts
from traceability.models.areas import ProductionArea
from traceability.models.products import Product

EDITABLE_FIELDS = frozenset(
    {
        "scheme",
        "scheme_name",
        "number",
        "issuer",
        "issued_on",
        "expires_on",
        "scope",
        "subject_kind",
        "production_area_id",
        "product_id",
        "is_public",
        "ocop_stars",
        "ocop_score",
    }
)
_TEXT_LIMITS = {"scheme_name": 200, "number": 100, "issuer": 255}



def _organisation(organisation_id: int) -> tuple[int, str | None]:
    row = db.session.execute(
        select(Organisation.id, Organisation.province_code).where(
            Organisation.id == organisation_id
        )
    ).first()
    if row is None:
        raise NotFound()
    return row.id, row.province_code


# A certification expiring within this many days is flagged on its page and the start page.
EXPIRY_WARNING_DAYS = 60


class ExpiryState(StrEnum):
    """What a certification's holder should know about its expiry on a given day."""

    FINE = "fine"  # valid beyond the warning window, or with no stated expiry
    EXPIRING = "expiring"  # still valid, expires within the warning window
    EXPIRED = "expired"
    REVOKED = "revoked"
    NOT_YET_VALID = "not_yet_valid"


def expiry_state(
    cert: Certification, today: date, within_days: int = EXPIRY_WARNING_DAYS
) -> ExpiryState:
    """The one expiry rule: revoked and not-yet-valid as ``Certification.validity_on``
    says; expired from the day after ``expires_on`` (valid on its expiry day); expiring
    when ``expires_on`` falls within ``within_days`` days of ``today`` (inclusive)."""
    validity = cert.validity_on(today)
    if validity != Validity.VALID:
        return ExpiryState(validity.value)
    if cert.expires_on is not None and cert.expires_on <= today + timedelta(days=within_days):
        return ExpiryState.EXPIRING
    return ExpiryState.FINE


def expiring_certifications(
    actor: Actor,
    organisation_id: int,
    within_days: int = EXPIRY_WARNING_DAYS,
    *,
    today: date | None = None,
) -> Select[tuple[Certification]]:
    """A select of the organisation's certifications that need attention on ``today``
    (Vietnam's by default): expired, or expiring within ``within_days`` — exactly those
    ``expiry_state`` calls EXPIRED or EXPIRING — soonest expiry first. Visibility as
    ``list_certifications``; revoked and not-yet-valid ones are left out."""
    day = today or local_today()
    stmt = list_certifications(actor, organisation_id).where(
        Certification.expires_on.is_not(None),
        Certification.expires_on <= day + timedelta(days=within_days),
        Certification.issued_on <= day,
        or_(Certification.revoked_on.is_(None), Certification.revoked_on > day),
    )
    return stmt.order_by(None).order_by(Certification.expires_on, Certification.id)


def may_edit_certifications(actor: Actor, organisation_id: int) -> bool:
    """Would ``add_certification``, ``update_certification`` and ``revoke_certification``
    accept this actor for the organisation? Pages offer their forms on this answer."""
    return actor.is_authenticated and can_write(actor, organisation_id, admin_only=True)


def managed_certification(
    actor: Actor, certification_id: int, *, edit: bool = False
) -> Certification:
    """The certification as its organisation's management pages show it: NotFound unless
    the actor may read the organisation's private data (a management page is not the
    public trace page, even for a public certification); with ``edit``, Forbidden to such
    readers who may not change it (an authority, a staff member)."""
    require_authenticated(actor)
    cert = db.session.get(Certification, certification_id)
    if cert is None:
        raise NotFound()
    org_id, province = _organisation(cert.organisation_id)
    if not can_read_private(actor, org_id, province):
        raise NotFound()
    if edit and not may_edit_certifications(actor, org_id):
        raise Forbidden()
    return cert


def list_certifications(
    actor: Actor,
    organisation_id: int,
    *,
    scheme: CertScheme | None = None,
    subject_kind: SubjectKind | None = None,
    validity: Validity | None = None,
    on: date | None = None,
) -> Select[tuple[Certification]]:
    """A select of the organisation's certifications, newest issue first, for the caller
    to paginate. Private ones only for those who may read private data. ``validity``
    filters on the status on day ``on`` (today in Vietnam by default), in SQL."""
    org_id, province = _organisation(organisation_id)
    stmt = select(Certification).where(Certification.organisation_id == org_id)
    if not can_read_private(actor, org_id, province):
        stmt = stmt.where(Certification.is_public.is_(True))
    if scheme is not None:
        stmt = stmt.where(Certification.scheme == scheme)
    if subject_kind is not None:
        stmt = stmt.where(Certification.subject_kind == subject_kind)
    if validity is not None:
        day = on or local_today()
        if validity == Validity.VALID:
            stmt = stmt.where(Certification.is_valid_on(day))
        else:
            stmt = stmt.where(Certification.validity_on(day) == validity)
    return stmt.order_by(Certification.issued_on.desc(), Certification.id.desc())


def get_certification(
    actor: Actor, certification_id: int, *, organisation_id: int | None = None
) -> Certification:
    """The certification if the actor may see it (public, or private readers), else
    NotFound — also when it belongs to another organisation than ``organisation_id``."""
    cert = db.session.get(Certification, certification_id)
    if cert is None or (
        organisation_id is not None and cert.organisation_id != organisation_id
    ):
        raise NotFound()
    if not cert.is_public:
        org_id, province = _organisation(cert.organisation_id)
        if not can_read_private(actor, org_id, province):
            raise NotFound()
    return cert


def _require_write(actor: Actor, organisation_id: int, *, visible: bool) -> None:
    """Like ``core.actor.require_write``, except that a refused writer who can see the
    target (any public certification, and the list every organisation shows publicly)
    gets 403, not 404: there is nothing to hide from them."""
    require_authenticated(actor)
    if can_write(actor, organisation_id, admin_only=True):
        return
    if visible:
        raise Forbidden()
    raise NotFound()


def _writable(actor: Actor, organisation_id: int) -> int:
    require_authenticated(actor)
    org_id, _province = _organisation(organisation_id)
    _require_write(actor, org_id, visible=True)
    return org_id


def _writable_cert(
    actor: Actor, certification_id: int, organisation_id: int | None
) -> Certification:
    require_authenticated(actor)
    cert = db.session.get(Certification, certification_id)
    if cert is None or (
        organisation_id is not None and cert.organisation_id != organisation_id
    ):
        raise NotFound()
    org_id, province = _organisation(cert.organisation_id)
    _require_write(
        actor, org_id, visible=cert.is_public or can_read_private(actor, org_id, province)
    )
    return cert


def add_certification(actor: Actor, organisation_id: int, **data: Any) -> Certification:
    """Record a certification of the organisation (``EDITABLE_FIELDS``). An OCOP
    certificate without ``expires_on`` expires 36 months after issue."""
    _unknown_fields(data)
    org_id = _writable(actor, organisation_id)
    state: dict[str, Any] = {
        "scheme": None,
        "scheme_name": "",
        "number": None,
        "issuer": None,
        "issued_on": None,
        "expires_on": None,
        "scope": "",
        "subject_kind": SubjectKind.ORGANISATION,
        "production_area_id": None,
        "product_id": None,
        "is_public": True,
        "ocop_stars": None,
        "ocop_score": None,
    }
    state.update(data)
    if (
        state["scheme"] == CertScheme.OCOP
        and state["expires_on"] is None
        and isinstance(state["issued_on"], date)
    ):
        state["expires_on"] = default_ocop_expiry(state["issued_on"])
    _validate(state)
    _check_subject_owner(org_id, state)
    cert = Certification(organisation_id=org_id, **state)
    db.session.add(cert)
    db.session.flush()
    return cert


def update_certification(
    actor: Actor, certification_id: int, *, organisation_id: int | None = None, **changes: Any
) -> Certification:
    """Correct a certification; the whole result is validated. A revoked one is frozen
    (409): its record is evidence of what was claimed and withdrawn."""
    _unknown_fields(changes)
    cert = _writable_cert(actor, certification_id, organisation_id)
    if cert.revoked_on is not None:
        raise Conflict(_l("A revoked certification can no longer be changed."))
    state = {name: getattr(cert, name) for name in EDITABLE_FIELDS}
    state.update(changes)
    _validate(state)
    _check_subject_owner(cert.organisation_id, state)
    before = kept_facts(cert, CertFact)
    for name in EDITABLE_FIELDS:
        if getattr(cert, name) != state[name]:
            setattr(cert, name, state[name])
    # What the indicator reads of it, as it stood before: figures as known at an earlier
    # moment still read that (``CertificationChange``).
    after = kept_facts(cert, CertFact)
    db.session.add_all(
        CertificationChange(certification_id=cert.id, field=fact, old_value=before[fact],
                            new_value=after[fact], changed_by_id=actor.user_id or None)
        for fact in CertFact if before[fact] != after[fact]
    )
    db.session.flush()
    return cert


def revoke_certification(
    actor: Actor,
    certification_id: int,
    revoked_on: date | None = None,
    reason: str = "",
    *,
    organisation_id: int | None = None,
) -> Certification:
    """Mark the certification revoked from ``revoked_on`` (today by default); the row
    stays. Refused: a second revocation (409), a day before issue (422)."""
    cert = _writable_cert(actor, certification_id, organisation_id)
    if cert.revoked_on is not None:
        raise Conflict(
            _l("This certification was already revoked on %(day)s.",
               day=date_text(cert.revoked_on)),
            field_errors={"revoked_on": [_l("Already revoked.")]},
        )
    day = revoked_on or local_today()
    errors: dict[str, list[Any]] = {}
    if day < cert.issued_on:
        errors["revoked_on"] = [_l("A certification cannot be revoked before it was issued.")]
    reason = (reason or "").strip()
    if len(reason) > 500:
        errors["reason"] = [_l("At most %(n)d characters.", n=500)]
    if errors:
        raise ValidationFailed(field_errors=errors)
    cert.revoked_on = day
    cert.revoked_at = utcnow()
    cert.revocation_reason = reason
    db.session.flush()
    return cert


# --- validation ---------------------------------------------------------------------


def _unknown_fields(data: Mapping[str, Any]) -> None:
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(
            field_errors={name: [_l("Unknown field.")] for name in sorted(unknown)}
        )


def _validate(state: dict[str, Any]) -> None:
    """Check the whole record; normalise it in place. Raises ValidationFailed with every
    failing field at once."""
    errors: dict[str, list[Any]] = {}

    def err(field: str, message: Any) -> None:
        errors.setdefault(field, []).append(message)

    for name, enum_cls in (("scheme", CertScheme), ("subject_kind", SubjectKind)):
        try:
            state[name] = enum_cls(state[name]) if state[name] is not None else None
        except ValueError:
            state[name] = None
            err(name, _l("Not one of the allowed values."))
            continue
        if state[name] is None:
            err(name, _l("Required."))

    for name in ("scheme_name", "scope"):
        if state[name] is None:
            state[name] = ""
    for name in ("scheme_name", "number", "issuer", "scope"):
        if isinstance(state[name], str):
            state[name] = state[name].strip()
    for name in ("number", "issuer"):
        if not state[name]:
            err(name, _l("Required."))
    for name, limit in _TEXT_LIMITS.items():
        if state[name] and len(state[name]) > limit:
            err(name, _l("At most %(n)d characters.", n=limit))
    if state["scheme"] == CertScheme.OTHER and not state["scheme_name"]:
        err("scheme_name", _l("Name the scheme when it is not in the list."))

    issued, expires = state["issued_on"], state["expires_on"]
    if not isinstance(issued, date):
        err("issued_on", _l("Required."))
    elif isinstance(expires, date) and expires < issued:
        err("expires_on", _l("A certification cannot expire before it was issued."))

    _validate_subject(state, err)
    _validate_ocop(state, err)
    if state["is_public"] is None:
        state["is_public"] = True

    if errors:
        raise ValidationFailed(field_errors=errors)


def _validate_subject(state: dict[str, Any], err: Any) -> None:
    kind = state["subject_kind"]
    area, product = state["production_area_id"], state["product_id"]
    if kind == SubjectKind.PRODUCTION_AREA and area is None:
        err("production_area_id", _l("Name the production area this certification covers."))
    if kind == SubjectKind.PRODUCT and product is None:
        err("product_id", _l("Name the product this certification covers."))
    if area is not None and kind != SubjectKind.PRODUCTION_AREA:
        err("production_area_id",
            _l("Only a certification of a production area names a production area."))
    if product is not None and kind != SubjectKind.PRODUCT:
        err("product_id", _l("Only a certification of a product names a product."))


def _check_subject_owner(organisation_id: int, state: Mapping[str, Any]) -> None:
    """The area or product a certification covers must be the organisation's own: one
    cannot claim another cooperative's VietGAP plot. Unknown and foreign ids get the same
    message, so the check reveals nothing about other organisations."""
    errors: dict[str, list[Any]] = {}
    for name, model in (("production_area_id", ProductionArea), ("product_id", Product)):
        subject_id = state[name]
        if subject_id is None:
            continue
        owner = db.session.scalar(select(model.organisation_id).where(model.id == subject_id))
        if owner != organisation_id:
            errors[name] = [_l("No such record of this organisation.")]
    if errors:
        raise ValidationFailed(field_errors=errors)


def _validate_ocop(state: dict[str, Any], err: Any) -> None:
    """Decision 148/QĐ-TTg: score bands fix the stars; certificates exist from 3 stars."""
    stars, score = state["ocop_stars"], state["ocop_score"]
    if state["scheme"] != CertScheme.OCOP:
        if stars is not None:
            err("ocop_stars", _l("Stars belong to OCOP certificates only."))
        if score is not None:
            err("ocop_score", _l("A score belongs to OCOP certificates only."))
        return
    if score is not None and (not isinstance(score, int) or not 0 <= score <= 100):
        err("ocop_score", _l("An OCOP score runs from 0 to 100."))
        score = None
    if stars is None:
        err("ocop_stars", _l("An OCOP certificate states its stars."))
        return
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        err("ocop_stars", _l("OCOP stars run from 1 to 5."))
        return
    if stars < OCOP_CERTIFICATE_MIN_STARS:
        err("ocop_stars", _l("OCOP certificates are issued from 3 stars."))
    if score is not None and ocop_stars_for_score(score) != stars:
        err("ocop_stars",
            _l("A score of %(score)d earns %(expected)d stars, not %(stars)d.",
               score=score, expected=ocop_stars_for_score(score), stars=stars))
