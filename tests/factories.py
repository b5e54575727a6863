"""Small factories shared by the whole test suite. Keep them generic: other test modules
rely on these signatures.

- ``valid_tax_code(seed=None)``: a fresh checksum-valid 10-digit tax code (MST).
- ``ensure_place(province_code, commune_code=None)``: make sure a real 2025 province (and
  commune) row exists, taking its names from the shipped snapshot; a no-op when the session
  fixture already loaded the snapshot. ``HANOI``/``HCMC`` and the commune constants below
  are real 2025 codes.
- ``make_org(name=..., org_type=HTX, *, province_code="01", commune_code=None, **fields)``:
  a committed ``Organisation`` with a fresh valid registration code (or the one given).
- ``make_user_with_token(org=None, role=ORG_ADMIN, *, platform_role=None,
  province_code=None)``: a user (member of ``org`` with ``role`` when given) and the
  ``{"Authorization": "Bearer …"}`` header of a new API token acting for ``org``.
- Every factory commits: inside the ``db`` fixture that only releases a SAVEPOINT of the
  test's outer transaction (still rolled back at the end), and it keeps the rows when a
  request that fails rolls the session back, as every error handler does.
- ``actor_of(user, org=None)``: the ``Actor`` that user is when acting for ``org``, for
  service-level tests.

Test clients run every request in a fresh application context (tests/conftest.py), so
``g`` and the cached actor never carry over from one request to the next.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.auth.models import User
from app.auth.services import actor_for, add_membership, create_token, create_user
from core.actor import Actor, OrgRole, PlatformRole
from core.db import db
from linkages.models.organisations import Organisation, OrgType
from linkages.models.places import Commune, Province
from linkages.taxcode import tax_code_check_digit

# Real codes in force since 1 July 2025 (linkages/data/places).
HANOI = "01"  # Thành phố Hà Nội
HCMC = "79"  # Thành phố Hồ Chí Minh
SOC_SON = "00376"  # Xã Sóc Sơn, Hà Nội
KIM_ANH = "00382"  # Xã Kim Anh, Hà Nội
DAU_TIENG = "25777"  # Xã Dầu Tiếng, TP Hồ Chí Minh

_SNAPSHOT = Path(__file__).resolve().parent.parent / "linkages" / "data" / "places"
_serial = itertools.count(1)
_snapshot_cache: dict[str, dict[str, dict[str, Any]]] = {}


def valid_tax_code(seed: int | None = None) -> str:
    """A checksum-valid 10-digit tax code, different on every call unless ``seed`` is given.

    Bodies start with 0 and lie in a range real codes (province prefix + sequence) do not
    reach, and bodies whose check digit would be 10 are skipped.
    """
    n = next(_serial) if seed is None else seed
    while True:
        body = f"09{(n * 7919) % 10**7:07d}"
        digit = tax_code_check_digit(body)
        if digit is not None:
            return f"{body}{digit}"
        n += 100_003


def _snapshot(name: str) -> dict[str, dict[str, Any]]:
    if name not in _snapshot_cache:
        with (_SNAPSHOT / name).open(encoding="utf-8") as fh:
            _snapshot_cache[name] = {row["code"]: row for row in json.load(fh)["items"]}
    return _snapshot_cache[name]


def _columns(model: type, row: dict[str, Any]) -> dict[str, Any]:
    names = set(model.__table__.columns.keys())  # type: ignore[attr-defined]
    return {k: v for k, v in row.items() if k in names}


def ensure_place(province_code: str, commune_code: str | None = None) -> None:
    """Make sure the province (and commune) exist, with their real names from the snapshot.

    Uses ``merge`` only for rows that are missing, so a loaded snapshot is never altered.
    """
    if db.session.get(Province, province_code) is None:
        row = _snapshot("provinces_2025.json")[province_code]
        db.session.merge(Province(**_columns(Province, row)))
    if commune_code is not None and db.session.get(Commune, commune_code) is None:
        row = dict(_snapshot("communes_2025.json")[commune_code])
        if row["province_code"] != province_code:
            raise ValueError(f"commune {commune_code} is not in province {province_code}")
        if "search_name" in Commune.__table__.columns:
            from linkages.services.places import fold

            row.setdefault("search_name", fold(row["name"]))
        db.session.merge(Commune(**_columns(Commune, row)))
    db.session.commit()


def make_org(
    name: str = "Hợp tác xã Thử nghiệm",
    org_type: OrgType = OrgType.HTX,
    *,
    province_code: str | None = HANOI,
    commune_code: str | None = None,
    registration_code: str | None = None,
    **fields: Any,
) -> Organisation:
    """A committed organisation, bypassing the service (no permission check)."""
    if province_code is not None:
        ensure_place(province_code, commune_code)
    org = Organisation(
        registration_code=registration_code or valid_tax_code(),
        name=name,
        org_type=org_type,
        province_code=province_code,
        commune_code=commune_code,
        **fields,
    )
    db.session.add(org)
    db.session.commit()
    return org


def make_user_with_token(
    org: Organisation | None = None,
    role: OrgRole = OrgRole.ORG_ADMIN,
    *,
    platform_role: PlatformRole | None = None,
    province_code: str | None = None,
    email: str | None = None,
) -> tuple[User, dict[str, str]]:
    """A user and the bearer header of a token acting for ``org`` (a member with ``role``).

    ``platform_role``/``province_code`` make an admin or a (province-scoped) authority.
    """
    if province_code is not None:
        ensure_place(province_code)
    user = create_user(
        email or f"user{next(_serial)}@example.vn",
        None,
        platform_role=platform_role,
        province_code=province_code,
    )
    if org is not None:
        add_membership(user, org.id, role)
        db.session.refresh(user)
    issued = create_token(user, "test", organisation_id=org.id if org else None)
    db.session.commit()
    return user, {"Authorization": f"Bearer {issued.plaintext}"}


def actor_of(user: User, org: Organisation | None = None) -> Actor:
    return actor_for(user, org.id if org else None)


def api_client(app: Flask) -> FlaskClient:
    """A test client; each request runs in a fresh app context (see tests/conftest.py)."""
    return app.test_client()
