"""Shared by the linkage contract tests: parties with users, authorities, and terms that
pass, in the service's shape (``terms``) and the API's (``body``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from core.actor import Actor, OrgRole, PlatformRole
from core.clock import local_today
from linkages.models.organisations import Organisation, OrgType
from tests.factories import HANOI, HCMC, actor_of, make_org, make_user_with_token

__all__ = ["HANOI", "HCMC", "Side", "authority", "body", "side", "terms"]


@dataclass
class Side:
    """An organisation with one user acting for it (service actor and API headers)."""

    org: Organisation
    actor: Actor
    headers: dict[str, str]


def side(
    name: str = "HTX Thử", org_type: OrgType = OrgType.HTX, *, province_code: str = HANOI,
    role: OrgRole = OrgRole.ORG_ADMIN,
) -> Side:
    org = make_org(name, org_type, province_code=province_code)
    user, headers = make_user_with_token(org, role)
    return Side(org, actor_of(user, org), headers)


def member_of(org: Organisation, role: OrgRole = OrgRole.STAFF) -> Side:
    user, headers = make_user_with_token(org, role)
    return Side(org, actor_of(user, org), headers)


def authority(province_code: str | None = None, *, admin: bool = False) -> Side:
    """A platform admin, or an authority of ``province_code`` (None: the whole country),
    as a ``Side`` without an organisation."""
    role = PlatformRole.ADMIN if admin else PlatformRole.AUTHORITY
    user, headers = make_user_with_token(platform_role=role, province_code=province_code)
    return Side(None, actor_of(user), headers)  # type: ignore[arg-type]


def terms(leader: Organisation, offtaker: Organisation, **overrides: Any) -> dict[str, Any]:
    """Valid terms: ``leader`` (a cooperative, also the producer) sells to ``offtaker``."""
    start = local_today() - timedelta(days=30)
    data: dict[str, Any] = {
        "title": "Hợp đồng liên kết tiêu thụ cà phê",
        "stages": {"inputs": False, "production": True, "processing": False},
        "parties": [
            {"organisation_id": leader.id, "role": "leader"},
            {"organisation_id": leader.id, "role": "producer", "represented_households": 40,
             "represented_description": "Hộ thành viên"},
            {"organisation_id": offtaker.id, "role": "offtaker"},
        ],
        "lines": [
            {"commodity": "Cà phê nhân", "season": "2026/27",
             "planned_quantity": Decimal("12.5"), "unit": "tan",
             "quality_spec": "Độ ẩm ≤ 12.5%", "required_certifications": ["4c"],
             "raw_material_area_ha": Decimal("30")}
        ],
        "price_mechanism": "floor",
        "price_unit": "kg",
        "floor_price_vnd": 95000,
        "effective_from": start,
        "effective_to": start + timedelta(days=365),
        "dispute_resolution": "conciliation",
    }
    data.update(overrides)
    return data


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def body(leader: Organisation, offtaker: Organisation, **overrides: Any) -> dict[str, Any]:
    """``terms`` as a JSON body."""
    return _json(terms(leader, offtaker, **overrides))
