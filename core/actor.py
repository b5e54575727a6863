"""Who is acting: the one permission layer every service uses.

A request is made by an ``Actor``: a user acting for at most one organisation (chosen with
the organisation switcher or fixed by the API token), possibly holding a platform role.
Services receive the actor as a plain argument, so the same rules hold for the HTML UI,
the JSON API and the CLI, and the domain packages never touch Flask's request state.

Rules (see README, "Permissions"):
- an organisation's members (org admin, staff) read and write its private data;
  some writes (profile, members, users) are for org admins only;
- a platform admin reads and writes everything;
- an authority reads everything, or only its province when scoped, and writes nothing;
- everyone else sees only what is explicitly public.
Reads that are refused answer ``NotFound`` so that a stranger cannot even learn that a
private record exists; writes refused to someone who may read answer ``Forbidden``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from core.errors import Forbidden, NotFound, Unauthenticated


class OrgRole(StrEnum):
    ORG_ADMIN = "org_admin"
    STAFF = "staff"


class PlatformRole(StrEnum):
    ADMIN = "admin"
    AUTHORITY = "authority"


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None = None
    organisation_id: int | None = None
    org_role: OrgRole | None = None
    platform_role: PlatformRole | None = None
    province_code: str | None = None  # scope of an authority; None = whole country

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_admin(self) -> bool:
        return self.platform_role == PlatformRole.ADMIN

    @property
    def is_authority(self) -> bool:
        return self.platform_role == PlatformRole.AUTHORITY

    def acts_for(self, organisation_id: int | None) -> bool:
        return organisation_id is not None and self.organisation_id == organisation_id


ANONYMOUS = Actor()
SYSTEM = Actor(user_id=0, platform_role=PlatformRole.ADMIN)  # CLI loaders and seeders


def require_authenticated(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise Unauthenticated()


def can_read_private(actor: Actor, organisation_id: int, province_code: str | None) -> bool:
    """May the actor read the private data of this organisation?"""
    if actor.is_admin or actor.acts_for(organisation_id):
        return True
    if actor.is_authority:
        return actor.province_code is None or actor.province_code == province_code
    return False


def can_write(actor: Actor, organisation_id: int, *, admin_only: bool = False) -> bool:
    if actor.is_admin:
        return True
    if not actor.acts_for(organisation_id):
        return False
    return not admin_only or actor.org_role == OrgRole.ORG_ADMIN


def require_read(actor: Actor, organisation_id: int, province_code: str | None) -> None:
    """Refuse a read of the organisation's private data: 401 to anonymous callers (as every
    other private read: they are told to authenticate, which reveals nothing), 404 to
    those signed in who may not read it."""
    require_authenticated(actor)
    if not can_read_private(actor, organisation_id, province_code):
        raise NotFound()


def require_write(
    actor: Actor, organisation_id: int, province_code: str | None, *, admin_only: bool = False
) -> None:
    """Refuse a write: 404 to those who may not even read, 403 to readers."""
    require_authenticated(actor)
    if can_write(actor, organisation_id, admin_only=admin_only):
        return
    require_read(actor, organisation_id, province_code)
    raise Forbidden()


def require_platform_admin(actor: Actor) -> None:
    require_authenticated(actor)
    if not actor.is_admin:
        raise Forbidden()


def private_scope(actor: Actor, org_id_col: Any, province_col: Any) -> ColumnElement[bool]:
    """SQL filter: rows whose owning organisation's private data the actor may read.

    Same rule as ``can_read_private``, as a WHERE clause, so lists stay one query.
    """
    if actor.is_admin:
        return true()
    clauses = []
    if actor.organisation_id is not None:
        clauses.append(org_id_col == actor.organisation_id)
    if actor.is_authority:
        if actor.province_code is None:
            return true()
        clauses.append(province_col == actor.province_code)
    if not clauses:
        return false()
    return or_(*clauses)
