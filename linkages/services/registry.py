"""The registry of organisations as an overseer reads it: an authority's start page (until
its dashboard exists) and the platform admin's list of organisations.

Guarantees: only authorities and platform admins read it here (anyone else: 403, the
public registry records stay readable one by one); a province-scoped authority sees the
organisations of its province only, whatever province filter it asks for; the search and
filters are ``organisations.list_organisations``' own.

Nothing here writes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from core.actor import Actor, require_authenticated
from core.db import db
from core.errors import Forbidden
from linkages.models.organisations import Organisation, OrgStatus, OrgType
from linkages.models.places import Province
from linkages.services.organisations import list_organisations


def may_read_registry(actor: Actor) -> bool:
    return actor.is_admin or actor.is_authority


def registry_in_scope(
    actor: Actor,
    *,
    org_type: OrgType | str | None = None,
    status: OrgStatus | str | None = None,
    province_code: str | None = None,
    q: str | None = None,
) -> Select[tuple[Organisation]]:
    """A select of the organisations the overseer oversees, by name, filtered and searched
    (``q``: part of the name or a registration code prefix), to paginate."""
    require_authenticated(actor)
    if not may_read_registry(actor):
        raise Forbidden()
    if actor.province_code is not None:
        province_code = actor.province_code
    return list_organisations(
        actor, org_type=org_type or None, status=status or None,
        province_code=province_code or None, q=q,
    )


def provinces_in_scope(actor: Actor) -> list[Any]:
    """(code, name) of the provinces the overseer may filter on: its own when scoped."""
    stmt = select(Province.code, Province.name).order_by(Province.code)  # the official order
    if actor.province_code is not None:
        stmt = stmt.where(Province.code == actor.province_code)
    return list(db.session.execute(stmt).all())


__all__ = ["may_read_registry", "provinces_in_scope", "registry_in_scope"]
