"""Organisations as the linkage pages name them: by registration code (how a party or a
supplier is chosen on a form, as the shipping form chooses its receiver) and by id (the
names beside a contract's parties).

Reads only, of the public registry record: naming an organisation by its code reveals
nothing that the registry does not.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from core.db import db
from linkages.models.organisations import Organisation

__all__ = ["organisations_by_codes", "organisations_by_ids"]


def organisations_by_codes(codes: Iterable[str]) -> dict[str, Organisation]:
    """The organisations these registration codes name, by code (unknown codes absent)."""
    wanted = sorted({code.strip() for code in codes if code and code.strip()})
    if not wanted:
        return {}
    found = db.session.scalars(
        select(Organisation).where(Organisation.registration_code.in_(wanted))
    )
    return {org.registration_code: org for org in found}


def organisations_by_ids(ids: Iterable[int | None]) -> dict[int, Organisation]:
    """The organisations with these ids, by id, in one statement (unknown ids absent)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    found = db.session.scalars(select(Organisation).where(Organisation.id.in_(wanted)))
    return {org.id: org for org in found}
