"""Verification of a supplier cooperative by a buyer: request, computed checklist, decision.

A buyer verifies a cooperative on its supplier list (``linkages.services.suppliers``):
``request_verification`` computes the checklist and stores it; ``decide_verification``
computes it again, stores that snapshot beside the decision, and records who and when.
Access: ``linkages.services.supplier_access``. Nothing here commits.

The checklist (``compute_checklist``), computed from records, never typed in:
- ``registration_active``: the supplier's registry status is active;
- ``certifications_valid``: at least one certification on file valid on the day, and one
  for each scheme the buyer requires (``required_schemes``). A buyer that names none
  requires those its contracts with the supplier require
  (``contract_schemes.schemes_required_by_contracts``); either way the item's
  ``required_by`` says which contract asked for each scheme (none: only the buyer did);
- ``planting_area_codes`` (only when the buyer declares the goods are for export): the
  supplier has active production areas and each carries its planting-area code
  (mã số vùng trồng);
- ``traceability_complete``: at least ``REQUIRED_COMPLETE_SHARE`` of the supplier's lots
  have complete key data elements (``traceability.services.completeness``); with no lot
  recorded there is nothing to trace and the item fails.
Certifications count whether public or private: the figures are counts, and a private
certificate is on file all the same.

Decision rules: only a requested verification is decided (409 otherwise); "verified"
needs an expiry date after today and a checklist passing on the day of the decision;
"rejected" needs a reason. Expired is read from the date (``SupplierVerification.status_on``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import LazyString
from sqlalchemy import Select, and_, case, literal, null, select
from sqlalchemy.orm import aliased, with_expression

from core.actor import Actor, require_authenticated
from core.clock import local_today
from core.db import db, utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.formatting import date_text
from core.i18n import _l
from linkages.labels import CHECKLIST_LABELS
from linkages.models.certifications import Certification, CertScheme
from linkages.models.organisations import Organisation, OrgStatus
from linkages.models.suppliers import (
    NOTE_MAX,
    REASON_MAX,
    SupplierLink,
    SupplierVerification,
    VerificationState,
    VerificationStatus,
)
from linkages.services.contract_schemes import schemes_required_by_contracts
from linkages.services.supplier_access import (
    SupplierListOp,
    VerificationOp,
    note_visible,
    require_verification,
    verification_scope,
)
from linkages.services.suppliers import require_list, supplier_province
from traceability.services.completeness import area_code_counts, completeness

__all__ = [
    "REQUIRED_COMPLETE_SHARE",
    "compute_checklist",
    "decide_verification",
    "get_verification",
    "list_verifications",
    "request_verification",
    "valid_verifications_of",
]

# Share of lots with complete KDEs the traceability item asks for: most, not all, since
# a cooperative's oldest lots often predate its use of the platform.
REQUIRED_COMPLETE_SHARE = 0.8


def compute_checklist(
    supplier_id: int,
    *,
    for_export: bool = False,
    required_schemes: Iterable[CertScheme | str] = (),
    on: date | None = None,
    buyer_id: int | None = None,
) -> dict[str, Any]:
    """The checklist of the supplier on day ``on`` (today in Vietnam), as stored: a JSON
    object with ``on``, ``passed`` (every applicable item passed) and ``items`` in a fixed
    order, each ``{key, applicable, passed, figures}``. With ``buyer_id``, the
    certifications item names the buyer's contracts requiring each scheme
    (``required_by``: ``{scheme: [{id, code}]}``). A fixed number of aggregate
    statements, whatever the supplier's size."""
    day = on or local_today()
    schemes = sorted({CertScheme(s).value for s in required_schemes})
    asked = schemes_required_by_contracts(buyer_id, supplier_id) if buyer_id else {}
    status = db.session.scalar(select(Organisation.status).where(Organisation.id == supplier_id))
    valid_schemes = set(
        db.session.scalars(
            select(Certification.scheme)
            .where(Certification.organisation_id == supplier_id, Certification.is_valid_on(day))
            .distinct()
        )
    )
    missing = [s for s in schemes if CertScheme(s) not in valid_schemes]
    areas, without_code = area_code_counts(supplier_id)
    lots = completeness(supplier_id)
    items = [
        _item("registration_active", status == OrgStatus.ACTIVE,
              status=status.value if status else None),
        _item("certifications_valid", bool(valid_schemes) and not missing,
              valid_schemes=sorted(s.value for s in valid_schemes), missing_schemes=missing,
              required_by={s: asked[s] for s in schemes if s in asked}),
        _item("planting_area_codes", areas > 0 and without_code == 0, applicable=for_export,
              areas=areas, without_code=without_code),
        _item("traceability_complete",
              lots.share is not None and lots.share >= REQUIRED_COMPLETE_SHARE,
              lots=lots.lots, complete=lots.complete, share=lots.share,
              required_share=REQUIRED_COMPLETE_SHARE),
    ]
    return {
        "on": day.isoformat(),
        "for_export": for_export,
        "required_schemes": schemes,
        "passed": all(i["passed"] for i in items if i["applicable"]),
        "items": items,
    }


def _item(key: str, passed: bool, *, applicable: bool = True, **figures: Any) -> dict[str, Any]:
    return {"key": key, "applicable": applicable, "passed": bool(passed) if applicable else True,
            "figures": figures}


# --------------------------------------------------------------------------- reading


def _readable(actor: Actor) -> Select[tuple[SupplierVerification]]:
    """Verifications the actor may read, with the note as the actor may see it."""
    supplier = aliased(Organisation)
    return (
        select(SupplierVerification)
        .join(supplier, supplier.id == SupplierVerification.supplier_id)
        .where(verification_scope(actor, supplier.province_code))
        .options(
            with_expression(
                SupplierVerification.visible_note,
                case((note_visible(actor), SupplierVerification.note), else_=null()),
            )
        )
        # The note is per reader: a row already in the session must take this reader's.
        .execution_options(populate_existing=True)
    )


def get_verification(actor: Actor, verification_id: int) -> SupplierVerification:
    """The verification if the actor may read it (``supplier_access``), else NotFound
    (Unauthenticated for nobody signed in); ``visible_note`` set for the actor."""
    found = db.session.get(SupplierVerification, verification_id)
    if found is None:
        raise NotFound()
    require_verification(actor, found, supplier_province(found.supplier_id), VerificationOp.READ)
    loaded = db.session.scalar(_readable(actor).where(SupplierVerification.id == verification_id))
    if loaded is None:  # pragma: no cover - the rule and its SQL agree
        raise NotFound()
    return loaded


def list_verifications(
    actor: Actor,
    *,
    buyer_id: int | None = None,
    supplier_id: int | None = None,
    status: VerificationStatus | None = None,
    on: date | None = None,
) -> Select[tuple[SupplierVerification]]:
    """A select of the verifications the actor may read, newest request first, for the
    caller to paginate; ``status`` filters on the status on day ``on`` (default today)."""
    require_authenticated(actor)
    stmt = _readable(actor)
    if buyer_id is not None:
        stmt = stmt.where(SupplierVerification.buyer_id == buyer_id)
    if supplier_id is not None:
        stmt = stmt.where(SupplierVerification.supplier_id == supplier_id)
    if status is not None:
        stmt = stmt.where(SupplierVerification.status_on(on or local_today()) == status)
    return stmt.order_by(SupplierVerification.requested_at.desc(), SupplierVerification.id.desc())


def valid_verifications_of(organisation_id: int, on: date) -> list[tuple[str, date]]:
    """For the consumer trace page: the buyers that verified the organisation as their
    supplier, valid on ``on``, as (buyer name, verified until), by name. Public by design,
    no actor: the badge is what a verification is for. Each (buyer, supplier) pair counts
    by its latest decision only, so a later rejection, or a verification again with a
    nearer expiry, replaces an earlier verification (an open request leaves it standing:
    the supplier stays verified while it is checked again); and a buyer that took the
    supplier off its list shows none. One statement."""
    latest = aliased(SupplierVerification)
    latest_decided = (
        select(latest.id)
        .where(
            latest.buyer_id == SupplierVerification.buyer_id,
            latest.supplier_id == SupplierVerification.supplier_id,
            latest.state != VerificationState.REQUESTED,
        )
        .order_by(latest.decided_at.desc(), latest.id.desc())
        .limit(1)
        .correlate(SupplierVerification)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Organisation.name, SupplierVerification.expires_on)
        .join(SupplierVerification, SupplierVerification.buyer_id == Organisation.id)
        .join(SupplierLink, and_(SupplierLink.buyer_id == SupplierVerification.buyer_id,
                                 SupplierLink.supplier_id == SupplierVerification.supplier_id))
        .where(
            SupplierVerification.supplier_id == organisation_id,
            SupplierVerification.is_valid_on(on),
            SupplierVerification.id == latest_decided,
        )
        .order_by(Organisation.name, Organisation.id)
    ).all()
    return [(name, expires) for name, expires in rows]


# --------------------------------------------------------------------------- writing


def request_verification(
    actor: Actor,
    buyer_id: int,
    supplier_id: Any,
    *,
    for_export: bool = False,
    required_schemes: Iterable[CertScheme | str] = (),
    note: str | None = "",
) -> SupplierVerification:
    """Ask for a verification of a cooperative on the buyer's list, with the checklist
    computed now. Without ``required_schemes``, those the buyer's contracts with the
    supplier require are checked (and stored as the request's). 422 naming
    ``supplier_id`` when it is not on the list (add it first),
    ``required_schemes`` for an unknown scheme, ``note`` when too long; 409 when the
    pair already has a request waiting for its decision."""
    require_list(actor, buyer_id, SupplierListOp.WRITE)
    errors: dict[str, list[Any]] = {}
    listed = isinstance(supplier_id, int) and db.session.scalar(
        select(literal(True)).where(
            SupplierLink.buyer_id == buyer_id, SupplierLink.supplier_id == supplier_id
        )
    )
    if not listed:
        errors["supplier_id"] = [_l("Put this cooperative on the supplier list first.")]
    try:
        schemes = sorted({CertScheme(s).value for s in required_schemes})
    except ValueError:
        errors["required_schemes"] = [_l("Not one of the allowed values.")]
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [_l("At most %(n)d characters.", n=NOTE_MAX)]
    if errors:
        raise ValidationFailed(field_errors=errors)
    waiting = db.session.scalar(
        select(SupplierVerification.id).where(
            SupplierVerification.buyer_id == buyer_id,
            SupplierVerification.supplier_id == supplier_id,
            SupplierVerification.state == VerificationState.REQUESTED,
        )
    )
    if waiting is not None:
        raise Conflict(
            _l("A verification of this supplier is already waiting for its decision."),
            field_errors={"supplier_id": [_l("A request is already open.")]},
        )
    if not schemes:
        schemes = list(schemes_required_by_contracts(buyer_id, supplier_id))
    verification = SupplierVerification(
        buyer_id=buyer_id,
        supplier_id=supplier_id,
        for_export=bool(for_export),
        required_schemes=schemes,
        note=note,
        requested_by_id=actor.user_id or None,
        requested_at=utcnow(),
        request_checklist=compute_checklist(
            supplier_id, for_export=bool(for_export), required_schemes=schemes,
            buyer_id=buyer_id,
        ),
    )
    db.session.add(verification)
    db.session.flush()
    return get_verification(actor, verification.id)


def decide_verification(
    actor: Actor,
    verification_id: int,
    *,
    decision: VerificationState | str,
    expires_on: date | None = None,
    reason: str | None = "",
) -> SupplierVerification:
    """Decide a requested verification, by the buyer that requested it (or a platform
    admin): the checklist is computed again and stored with the decision, who and when.
    Refused, writing nothing: 403 to other readers (the supplier, an authority), 409 when
    already decided, 422 naming ``decision`` (not verified/rejected, or a failing
    checklist for verified), ``expires_on`` (missing or not after today for verified;
    given for rejected) or ``reason`` (missing for rejected, too long)."""
    found = db.session.get(SupplierVerification, verification_id)
    if found is None:
        raise NotFound()
    require_verification(actor, found, supplier_province(found.supplier_id),
                         VerificationOp.DECIDE)
    if found.state != VerificationState.REQUESTED:
        raise Conflict(
            _l("This verification was already decided on %(day)s.",
               day=date_text(local_today(found.decided_at)) if found.decided_at else ""),
            field_errors={"decision": [_l("Already decided.")]},
        )
    today = local_today()
    reason = (reason or "").strip()
    errors: dict[str, list[Any]] = {}
    try:
        state = VerificationState(decision)
    except ValueError:
        state = VerificationState.REQUESTED
    if state == VerificationState.VERIFIED:
        if expires_on is None:
            errors["expires_on"] = [_l("A verified supplier needs an expiry date.")]
        elif expires_on <= today:
            errors["expires_on"] = [_l("The expiry date must be after today.")]
    elif state == VerificationState.REJECTED:
        if not reason:
            errors["reason"] = [_l("Say why the supplier is rejected.")]
        if expires_on is not None:
            errors["expires_on"] = [_l("Only a verified supplier has an expiry date.")]
    else:
        errors["decision"] = [_l("Decide verified or rejected.")]
    if len(reason) > REASON_MAX:
        errors["reason"] = [_l("At most %(n)d characters.", n=REASON_MAX)]
    if errors:
        raise ValidationFailed(field_errors=errors)
    checklist = compute_checklist(
        found.supplier_id, for_export=found.for_export,
        required_schemes=found.required_schemes or (), on=today, buyer_id=found.buyer_id,
    )
    if state == VerificationState.VERIFIED and not checklist["passed"]:
        failing = [i["key"] for i in checklist["items"] if not i["passed"]]
        raise ValidationFailed(field_errors={"decision": [
            _l("The checklist does not pass today (%(items)s): the supplier cannot be "
               "verified.", items=LazyString(lambda: ", ".join(
                   str(CHECKLIST_LABELS.get(key, key)) for key in failing)))
        ]})
    found.state = state
    found.expires_on = expires_on if state == VerificationState.VERIFIED else None
    found.reason = reason
    found.decision_checklist = checklist
    found.decided_by_id = actor.user_id or None
    found.decided_at = utcnow()
    db.session.flush()
    return get_verification(actor, found.id)
