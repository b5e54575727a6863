"""Private helpers for the member and certification tests.

tests/factories.py (make_org, make_user_with_token, ensure_place) is being written by
another task; until it lands these few helpers stand in for it, so the tests here do not
depend on its exact signatures.
"""

from __future__ import annotations

import itertools

from sqlalchemy import select

from app.auth.services import add_membership, create_token, create_user
from core.actor import Actor, OrgRole, PlatformRole
from core.db import db
from linkages.models.organisations import Organisation, OrgType
from linkages.models.places import Commune, Province
from linkages.taxcode import tax_code_check_digit

_serial = itertools.count(1)


def valid_tax_code(seed: int) -> str:
    """A checksum-valid 10-digit tax code derived from ``seed`` (skips impossible bodies)."""
    n = seed
    while True:
        body = f"{(n * 7919) % 10**9:09d}"
        digit = tax_code_check_digit(body)
        if digit is not None:
            return f"{body}{digit}"
        n += 1


def ensure_commune() -> Commune:
    """A commune to point at: the loaded reference data's first, or a test one."""
    commune = db.session.scalar(select(Commune).order_by(Commune.code).limit(1))
    if commune is not None:
        return commune
    if db.session.get(Province, "99") is None:
        db.session.add(Province(code="99", name="Tỉnh Thử", name_en="Test", kind="tỉnh"))
    commune = Commune(code="99999", name="Xã Thử", kind="xã", province_code="99")
    db.session.add(commune)
    db.session.flush()
    return commune


def _free_tax_code() -> str:
    """A valid tax code no organisation holds yet (other suites may leave rows behind)."""
    while True:
        code = valid_tax_code(next(_serial) + 1000)
        taken = select(Organisation.id).where(Organisation.registration_code == code)
        if db.session.scalar(taken) is None:
            return code


def make_org(name: str = "HTX Thử", org_type: OrgType = OrgType.HTX) -> Organisation:
    org = Organisation(
        registration_code=_free_tax_code(),
        name=name,
        org_type=org_type,
        province_code=ensure_commune().province_code,
    )
    db.session.add(org)
    db.session.flush()
    return org


def actor_of(org: Organisation | None, role: OrgRole | None = OrgRole.ORG_ADMIN) -> Actor:
    """An actor of ``org`` without a user row (service tests do not need one)."""
    if org is None:
        return Actor(user_id=next(_serial) + 100000)
    return Actor(user_id=next(_serial) + 100000, organisation_id=org.id, org_role=role)


def platform_admin() -> Actor:
    return Actor(user_id=next(_serial) + 100000, platform_role=PlatformRole.ADMIN)


def token_for(org: Organisation | None, role: OrgRole = OrgRole.ORG_ADMIN,
              platform_role: PlatformRole | None = None) -> dict[str, str]:
    """Authorization headers of a new user acting for ``org`` with ``role``."""
    user = create_user(f"user{next(_serial)}@example.vn", None, platform_role=platform_role)
    if org is not None:
        add_membership(user, org.id, role)
    db.session.flush()
    db.session.refresh(user)
    issued = create_token(user, "test", organisation_id=org.id if org else None)
    return {"Authorization": f"Bearer {issued.plaintext}"}
