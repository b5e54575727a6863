"""Who may do what with a supplier list and a supplier verification: decided here, once
per resource; the services enforce these answers and pages render them.

Supplier list (and each supplier's scorecard) of a buyer: the buyer's private data. Read
by whoever may read the buyer's private data (its users, a platform admin, an authority of
the buyer's province or a national one); written (add, remove, request a verification) by
the buyer's users and platform admins.

Verification of a supplier by a buyer:
- read by the buyer's users, the supplier's users (it is about them), a platform admin and
  an authority of the whole country or of the supplier's province;
- the buyer's private note only by the buyer's users and platform admins: never by the
  supplier, nor by an authority (the note is the buyer's, whose province may differ);
- decided by the buyer's users (the organisation that requested it) and platform admins.

Refusals follow ``core.actor``: NotFound to those who may not read, Forbidden to readers
who may not write, Unauthenticated to nobody signed in.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from core.actor import Actor, can_read_private, can_write, require_authenticated
from core.errors import Forbidden, NotFound
from linkages.models.suppliers import SupplierVerification

__all__ = [
    "SupplierListOp",
    "VerificationOp",
    "require_supplier_list",
    "require_verification",
    "supplier_list_operations",
    "verification_operations",
    "verification_scope",
]


class SupplierListOp(StrEnum):
    READ = "read"  # the list, its notes, each supplier's scorecard
    WRITE = "write"  # add, remove, request a verification


class VerificationOp(StrEnum):
    READ = "read"
    READ_NOTE = "read_note"
    DECIDE = "decide"


def supplier_list_operations(
    actor: Actor, buyer_id: int, buyer_province: str | None
) -> frozenset[SupplierListOp]:
    """What the actor may do with the buyer's supplier list, now."""
    if not actor.is_authenticated:
        return frozenset()
    ops = set()
    if can_read_private(actor, buyer_id, buyer_province):
        ops.add(SupplierListOp.READ)
    if can_write(actor, buyer_id):
        ops.add(SupplierListOp.WRITE)
    return frozenset(ops)


def require_supplier_list(
    actor: Actor, buyer_id: int, buyer_province: str | None, op: SupplierListOp
) -> None:
    """Refuse ``op`` on the buyer's list: 401 anonymous, 404 non-readers, 403 readers."""
    require_authenticated(actor)
    ops = supplier_list_operations(actor, buyer_id, buyer_province)
    if op in ops:
        return
    raise Forbidden() if SupplierListOp.READ in ops else NotFound()


def verification_operations(
    actor: Actor, verification: SupplierVerification, supplier_province: str | None
) -> frozenset[VerificationOp]:
    """What the actor may do with the verification, now (whatever its state: deciding a
    decided one is a conflict, not a matter of who asks)."""
    if not actor.is_authenticated:
        return frozenset()
    buyer = actor.is_admin or actor.acts_for(verification.buyer_id)
    readers = buyer or actor.acts_for(verification.supplier_id) or (
        actor.is_authority
        and (actor.province_code is None or actor.province_code == supplier_province)
    )
    ops = set()
    if readers:
        ops.add(VerificationOp.READ)
    if buyer:
        ops |= {VerificationOp.READ_NOTE, VerificationOp.DECIDE}
    return frozenset(ops)


def require_verification(
    actor: Actor,
    verification: SupplierVerification,
    supplier_province: str | None,
    op: VerificationOp,
) -> frozenset[VerificationOp]:
    """Refuse ``op``: 401 anonymous, 404 non-readers, 403 readers. Returns every
    operation the actor may do, for the caller's further choices."""
    require_authenticated(actor)
    ops = verification_operations(actor, verification, supplier_province)
    if op not in ops:
        raise Forbidden() if VerificationOp.READ in ops else NotFound()
    return ops


def verification_scope(actor: Actor, supplier_province: Any) -> ColumnElement[bool]:
    """SQL: the verifications ``verification_operations`` lets the actor read, for lists
    (``supplier_province``: the supplier organisation's province column, joined)."""
    if actor.is_admin or (actor.is_authority and actor.province_code is None):
        return true()
    clauses: list[ColumnElement[bool]] = []
    if actor.organisation_id is not None:
        clauses += [
            SupplierVerification.buyer_id == actor.organisation_id,
            SupplierVerification.supplier_id == actor.organisation_id,
        ]
    if actor.is_authority:
        clauses.append(supplier_province == actor.province_code)
    return or_(*clauses) if clauses else false()


def note_visible(actor: Actor) -> ColumnElement[bool]:
    """SQL: the row's buyer note is the actor's to read (``VerificationOp.READ_NOTE``)."""
    if actor.is_admin:
        return true()
    if actor.organisation_id is None:
        return false()
    return SupplierVerification.buyer_id == actor.organisation_id
