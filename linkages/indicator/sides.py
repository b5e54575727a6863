"""Each contract's sides (``linkages.models.sides``): one rule that works them out from a
contract's parties and their organisations' types, kept at every flush that writes
parties.

The rule (``side_columns``) is the one every figure applies to the parties in force on its
reference day with their types on that day (``links._contract_sides``); ``rows`` applies
it to the parties and types as they stand now, for the table. The full rebuild (the
migration, a bulk load) and the upkeep of a few contracts run the same statement.

When a figure may read the table (``settled``): a contract's row holds what the rule gives
on any reference day when the contract has not changed since that day (its parties in
force are its current ones: ``inforce.in_force``) and none of its parties' types ever
changed. Types change only through the registry's recorded changes
(``linkages.services.oversight``, an ``OrganisationFactChange`` of ``org_type``), so a
contract naming an organisation with such a change is left to the figure to work out,
as are the contracts changed since the day. On a current day that is a few hundred of the
country's contracts, not its 140,000.

Upkeep: after each flush, the contracts whose parties it wrote are worked out again
inside the same transaction. Two transactions changing one contract's parties at once
would each delete and insert its row (on PostgreSQL the second trips on the first's), so
the upkeep first locks the contracts' rows (``FOR NO KEY UPDATE``, in id order). Writes
that bypass the ORM (a bulk load, tests) must call ``rebuild``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, event, func, insert, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from linkages.indicator import upkeep
from linkages.indicator.definitions import (
    COOPERATIVE_COUNTERPARTY_ROLES,
    COOPERATIVE_COUNTERPARTY_TYPES,
)
from linkages.indicator.inforce import Among
from linkages.models.contracts import LinkageContract, LinkageContractParty
from linkages.models.organisations import FactField, Organisation, OrganisationFactChange, OrgType
from linkages.models.sides import LinkageContractSides


def is_enterprise(org_type: Any) -> ColumnElement[bool]:
    """SQL: the party's type (text) is an enterprise's."""
    return org_type == OrgType.DN.value


def leads(org_type: Any, role: Any) -> ColumnElement[bool]:
    """SQL: the party (its type as text, its role) is an HTX or a union leading or buying:
    B's other counterparty."""
    return and_(org_type.in_([t.value for t in COOPERATIVE_COUNTERPARTY_TYPES]),
                role.in_([r.value for r in COOPERATIVE_COUNTERPARTY_ROLES]))


def side_columns(org_id: Any, org_type: Any, role: Any) -> tuple[ColumnElement[Any], ...]:
    """The rule, as aggregates over one contract's parties (their ``org_id``, type and
    role): ``enterprise`` (1 when an enterprise is among them, else 0) and ``lead_min``,
    ``lead_max``, the lowest and highest ids of the parties that ``leads`` (NULL when
    none). Only the parties that are either (``concerned``) need to be read."""
    lead = leads(org_type, role)
    return (
        func.max(case((is_enterprise(org_type), 1), else_=0)).label("enterprise"),
        func.min(case((lead, org_id))).label("lead_min"),
        func.max(case((lead, org_id))).label("lead_max"),
    )


def concerned(org_type: Any, role: Any) -> ColumnElement[bool]:
    """SQL: the party is one ``side_columns`` reads."""
    return or_(is_enterprise(org_type), leads(org_type, role))


def rows(contract_ids: set[int] | None = None) -> Select[Any]:
    """``contract_id, enterprise, lead_min, lead_max`` of the contracts (of
    ``contract_ids`` only when given) as their parties and types stand now."""
    p, o = LinkageContractParty, Organisation
    enterprise, lead_min, lead_max = side_columns(p.organisation_id, o.org_type, p.role)
    stmt = (
        select(p.contract_id, (enterprise == 1).label("enterprise"), lead_min, lead_max)
        .join(o, o.id == p.organisation_id)
        .where(concerned(o.org_type, p.role))
        .group_by(p.contract_id)
    )
    if contract_ids is not None:
        stmt = stmt.where(p.contract_id.in_(contract_ids))
    return stmt


def rebuild(conn: Connection | Session, contract_ids: set[int] | None = None) -> None:
    """Work the sides out again: of every contract, or of ``contract_ids``."""
    t = LinkageContractSides
    gone = delete(t)
    if contract_ids is not None:
        gone = gone.where(t.contract_id.in_(contract_ids))
    conn.execute(gone)
    conn.execute(insert(t).from_select(["contract_id", "enterprise", "lead_min", "lead_max"],
                                       rows(contract_ids)))


# --- upkeep -------------------------------------------------------------------------

def _contracts(session: Session) -> set[int]:
    """The contracts whose parties this flush wrote (before and after a change)."""
    return {contract for obj in (*session.new, *session.dirty, *session.deleted)
            if isinstance(obj, LinkageContractParty)
            for contract in upkeep.values(obj, "contract_id")}


def _keep(session: Session, _context: Any) -> None:
    contract_ids = _contracts(session)
    if not contract_ids:
        return
    conn = session.connection()
    upkeep.lock(conn, LinkageContract, contract_ids)
    rebuild(conn, contract_ids)


def keep_sides() -> None:
    """Keep the sides at every flush of every session (the app factory calls it once)."""
    if not event.contains(Session, "after_flush", _keep):
        event.listen(Session, "after_flush", _keep)


# --- reading ------------------------------------------------------------------------

def type_changed() -> Select[Any]:
    """The ids of the organisations whose type was ever changed: the contracts naming
    them are not read from the table (module docstring)."""
    c = OrganisationFactChange
    return select(c.organisation_id).where(c.field == FactField.ORG_TYPE)


def unsettled(changed: Any) -> Select[Any]:
    """The ids of the contracts a figure works out itself: those of ``changed`` (the
    contracts changed since its day, ``InForce.changed``) and those naming an
    organisation whose type changed, found through the parties' organisation index
    (``inforce.Among``)."""
    p = LinkageContractParty
    return (select(changed.c.contract_id)
            .union(select(p.contract_id).where(Among(p.organisation_id, type_changed()))))
