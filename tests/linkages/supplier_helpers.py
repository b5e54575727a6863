"""Fixtures of the supplier list, verification and scorecard tests: a buyer enterprise and a
supplier cooperative that passes every checklist item, with users, tokens and actors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from core.actor import Actor, OrgRole, PlatformRole
from core.clock import local_today
from core.db import db
from linkages.models.organisations import Organisation, OrgType
from linkages.services import certifications as certs
from tests.factories import HCMC, actor_of, make_org, make_user_with_token
from tests.traceability.batch_factories import make_area, make_product
from traceability.models import Batch, Product, ProductionArea
from traceability.services import recording as events


@dataclass
class Side:
    org: Organisation
    actor: Actor
    headers: dict[str, str]
    staff: Actor


def side(name: str, org_type: OrgType = OrgType.HTX, province: str = "01") -> Side:
    org = make_org(name, org_type, province_code=province)
    admin, headers = make_user_with_token(org, OrgRole.ORG_ADMIN)
    staff, _ = make_user_with_token(org, OrgRole.STAFF)
    return Side(org, actor_of(admin, org), headers, actor_of(staff, org))


def authority(province: str | None) -> tuple[Actor, dict[str, str]]:
    user, headers = make_user_with_token(platform_role=PlatformRole.AUTHORITY,
                                         province_code=province)
    return actor_of(user), headers


def admin() -> tuple[Actor, dict[str, str]]:
    user, headers = make_user_with_token(platform_role=PlatformRole.ADMIN)
    return actor_of(user), headers


@dataclass
class Farm:
    """What a supplier records: an export area, a product, one complete harvested lot."""

    area: ProductionArea
    product: Product
    batch: Batch


def farm(supplier: Side, *, planting_code: str = "VN-HN-001", harvest: bool = True) -> Farm:
    area = make_area(supplier.org, planting_area_code=planting_code)
    product = make_product(supplier.org, name="Vải thiều")
    batch = None
    if harvest:
        batch = harvest_lot(supplier, area, product)
    return Farm(area, product, batch)  # type: ignore[arg-type]


def harvest_lot(supplier: Side, area: ProductionArea, product: Product, **kw: object) -> Batch:
    recorded = events.record_harvest(
        supplier.actor, area_ids=[area.id], product_id=product.id, quantity=Decimal("100"),
        unit="kg", harvested_on=local_today() - timedelta(days=2), **kw,
    )
    db.session.commit()
    return recorded  # type: ignore[return-value]


def certify(supplier: Side, scheme: str = "vietgap", *, issued: date | None = None,
            expires: date | None = None, public: bool = True) -> int:
    today = local_today()
    cert = certs.add_certification(
        supplier.actor, supplier.org.id, scheme=scheme, number=f"{scheme.upper()}-1",
        issuer="Trung tâm Thử", issued_on=issued or today - timedelta(days=100),
        expires_on=expires if expires is not None else today + timedelta(days=700),
        is_public=public,
    )
    db.session.commit()
    return cert.id


def in_days(n: int) -> date:
    return local_today() + timedelta(days=n)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0)


__all__ = ["HCMC", "Farm", "Side", "admin", "authority", "certify", "farm", "harvest_lot",
           "in_days", "side"]
