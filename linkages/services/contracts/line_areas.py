"""The production areas a contract's product lines cover (Decree 98, Art. 5: the
raw-material area): which areas the contract form offers the actor, and the areas a
version of the terms names, for a reader of the contract.

The recorders (``terms._check_line``) decide whether an area may be on a line — one of a
producing party; these functions only say what a page offers and shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from core.actor import Actor
from core.db import db
from core.errors import NotFound
from linkages.models.contracts import LinkageContract
from linkages.models.organisations import COOPERATIVE_TYPES, Organisation
from linkages.services.contracts.access import contract_permissions
from linkages.services.contracts.terms import PRODUCING_ROLES
from traceability.models.areas import ProductionArea
from traceability.services.areas import list_areas

AREAS_OFFERED = 100  # a cooperative's active areas offered per product row


def areas_to_offer(
    actor: Actor, contract: LinkageContract | None = None
) -> list[ProductionArea]:
    """The active production areas the contract form offers the actor for its product
    lines: those of the organisation it acts for, when that organisation is a cooperative
    drafting a new contract (as a producer: the recorder refuses them otherwise), or a
    producing party of ``contract``. Empty for anyone else — an enterprise drafting leaves
    the areas to the cooperative, which adds them when it amends."""
    org_id = actor.organisation_id
    if org_id is None:
        return []
    if contract is None:
        org = db.session.get(Organisation, org_id)
        if org is None or org.org_type not in COOPERATIVE_TYPES:
            return []
    elif not any(
        p.organisation_id == org_id and p.role in PRODUCING_ROLES for p in contract.parties
    ):
        return []
    stmt = list_areas(actor, organisation_id=org_id, active=True).limit(AREAS_OFFERED)
    return list(db.session.scalars(stmt))


def line_areas(
    actor: Actor, contract: LinkageContract, lines: Iterable[Mapping[str, Any]]
) -> dict[int, ProductionArea]:
    """The areas the ``lines`` of a version of this contract's terms name (its snapshot's
    ``production_area_ids``), by id, for a reader of the contract: they are part of the
    terms it reads, even where it may not open the areas themselves. NotFound unless the
    actor reads the contract."""
    if not contract_permissions(actor, contract).read:
        raise NotFound()
    ids = {int(a) for line in lines for a in (line.get("production_area_ids") or [])}
    if not ids:
        return {}
    areas = db.session.scalars(select(ProductionArea).where(ProductionArea.id.in_(ids)))
    return {area.id: area for area in areas}
