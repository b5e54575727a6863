"""What waits for an organisation's next step: the lots on a cooperative's start page.

A lot needs action while it holds goods its owner can still do something with: in stock
(ship, split, process…) or recalled with goods on hold (destroy them). The rule is
``operations``' own: the lots whose state lets the owner record a destruction, as a WHERE
clause (``rule_clause``), so the list and the batch page's buttons never disagree.

Nothing here writes.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import undefer

from core.actor import Actor, can_write, require_authenticated
from core.db import db
from traceability.models.batches import Batch
from traceability.services.operations import Operation, rule_clause


def batches_needing_action(
    actor: Actor, organisation_id: int | None = None
) -> Select[tuple[Batch]]:
    """A select of the organisation's lots that hold goods to act on (default: the one the
    actor acts for), oldest first so the longest waiting is on top, with their current
    quantity loaded. Empty for an actor who may not write for the organisation."""
    require_authenticated(actor)
    org_id = organisation_id if organisation_id is not None else actor.organisation_id
    stmt = select(Batch).options(undefer(Batch.current_quantity_kg))
    if org_id is None or not can_write(actor, org_id):
        return stmt.where(Batch.id.is_(None))
    return stmt.where(
        Batch.organisation_id == org_id, rule_clause(Operation.DESTROY)
    ).order_by(Batch.created_at, Batch.id)


def count_needing_action(actor: Actor, organisation_id: int | None = None) -> int:
    """How many lots ``batches_needing_action`` lists."""
    stmt = batches_needing_action(actor, organisation_id)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


__all__ = ["batches_needing_action", "count_needing_action"]
