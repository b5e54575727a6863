"""A buyer's supplier list: cooperatives (HTX, LHHTX, THT) it buys from, with a note.

Any organisation may keep one (an enterprise mostly; an HTX or LHHTX buying from others
too). Access: ``linkages.services.supplier_access``. Nothing here commits: the caller
commits once.

Guarantees: a supplier is an existing cooperative other than the buyer, listed at most
once per buyer; bad input names its field and writes nothing. Removing a supplier keeps
its verifications (they are the record of what was decided).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import undefer

from core.actor import Actor
from core.db import db
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import _l
from linkages.models.organisations import COOPERATIVE_TYPES, Organisation
from linkages.models.suppliers import NOTE_MAX, SupplierLink
from linkages.services.supplier_access import SupplierListOp, require_supplier_list

__all__ = [
    "add_supplier",
    "get_supplier",
    "list_suppliers",
    "remove_supplier",
    "require_list",
    "supplier_province",
]


def _current() -> tuple[Any, ...]:
    """Load options of the pair's latest verification (built when used: building them
    configures the mappers, which must wait until every model module is imported)."""
    return (
        undefer(SupplierLink.current_verification_id),  # type: ignore[attr-defined]
        undefer(SupplierLink.current_state),  # type: ignore[attr-defined]
        undefer(SupplierLink.current_expires_on),  # type: ignore[attr-defined]
    )


def require_list(actor: Actor, buyer_id: int, op: SupplierListOp) -> None:
    """NotFound for an unknown buyer, else ``require_supplier_list``."""
    province = db.session.execute(
        select(Organisation.province_code).where(Organisation.id == buyer_id)
    ).first()
    if province is None:
        raise NotFound()
    require_supplier_list(actor, buyer_id, province[0], op)


def supplier_province(supplier_id: int) -> str | None:
    return db.session.scalar(
        select(Organisation.province_code).where(Organisation.id == supplier_id)
    )


def list_suppliers(actor: Actor, buyer_id: int) -> Select[tuple[SupplierLink]]:
    """A select of the buyer's suppliers, by supplier name, each with its latest
    verification loaded in the same query, for the caller to paginate."""
    require_list(actor, buyer_id, SupplierListOp.READ)
    return (
        select(SupplierLink)
        .join(Organisation, Organisation.id == SupplierLink.supplier_id)
        .where(SupplierLink.buyer_id == buyer_id)
        .options(*_current())
        .order_by(Organisation.name, SupplierLink.id)
    )


def get_supplier(actor: Actor, buyer_id: int, supplier_id: int) -> SupplierLink:
    """One entry of the buyer's list (NotFound when the cooperative is not on it)."""
    require_list(actor, buyer_id, SupplierListOp.READ)
    link = db.session.scalar(
        select(SupplierLink)
        .where(SupplierLink.buyer_id == buyer_id, SupplierLink.supplier_id == supplier_id)
        .options(*_current())
    )
    if link is None:
        raise NotFound()
    return link


def add_supplier(
    actor: Actor, buyer_id: int, supplier_id: Any, note: str | None = ""
) -> SupplierLink:
    """Put a cooperative on the buyer's list. 422 naming ``supplier_id`` for an unknown
    organisation, one that is not a cooperative, or the buyer itself (the same message
    for unknown and foreign ids would reveal nothing, and a registry record is public
    anyway); 409 when it is already listed."""
    require_list(actor, buyer_id, SupplierListOp.WRITE)
    note = (note or "").strip()
    errors: dict[str, list[Any]] = {}
    supplier_type = db.session.scalar(
        select(Organisation.org_type).where(Organisation.id == supplier_id)
    ) if isinstance(supplier_id, int) else None
    if supplier_type is None:
        errors["supplier_id"] = [_l("No such record.")]
    elif supplier_id == buyer_id:
        errors["supplier_id"] = [_l("An organisation cannot be its own supplier.")]
    elif supplier_type not in COOPERATIVE_TYPES:
        errors["supplier_id"] = [
            _l("A supplier on this list is a cooperative: HTX, LHHTX or THT.")
        ]
    if len(note) > NOTE_MAX:
        errors["note"] = [_l("At most %(n)d characters.", n=NOTE_MAX)]
    if errors:
        raise ValidationFailed(field_errors=errors)
    taken = db.session.scalar(
        select(SupplierLink.id).where(
            SupplierLink.buyer_id == buyer_id, SupplierLink.supplier_id == supplier_id
        )
    )
    if taken is not None:
        raise Conflict(
            _l("This cooperative is already on the supplier list."),
            field_errors={"supplier_id": [_l("Already on the list.")]},
        )
    link = SupplierLink(
        buyer_id=buyer_id, supplier_id=supplier_id, note=note, added_by_id=actor.user_id or None
    )
    db.session.add(link)
    db.session.flush()
    return get_supplier(actor, buyer_id, supplier_id)


def remove_supplier(actor: Actor, buyer_id: int, supplier_id: int) -> None:
    """Take the cooperative off the buyer's list (NotFound when it is not on it)."""
    require_list(actor, buyer_id, SupplierListOp.WRITE)
    link = db.session.scalar(
        select(SupplierLink).where(
            SupplierLink.buyer_id == buyer_id, SupplierLink.supplier_id == supplier_id
        )
    )
    if link is None:
        raise NotFound()
    db.session.delete(link)
    db.session.flush()
