"""Small factories for the batch and business-event tests: products, areas, members and
diary entries written straight through the models (no service, no permission check)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from core.actor import Actor, OrgRole
from core.db import db
from core.units import Unit
from linkages.models.members import Member, MemberKind, MemberType
from linkages.models.organisations import Organisation, OrgType
from tests.factories import actor_of, make_org, make_user_with_token
from traceability.gs1 import gs1_check_digit
from traceability.models import (
    AreaKind,
    Commodity,
    DiaryEntry,
    DiaryKind,
    Product,
    ProductionArea,
)

_n = itertools.count(1)


def new_gtin() -> str:
    body = f"089399{next(_n) + 5000:07d}"
    return f"{body}{gs1_check_digit(body)}"


def make_product(
    org: Organisation,
    *,
    gtin: str | None = None,
    unit: Unit = Unit.KG,
    kg_per_unit: Decimal | None = None,
    commodity: Commodity = Commodity.COFFEE,
    name: str = "Cà phê nhân",
) -> Product:
    product = Product(
        organisation_id=org.id,
        code=f"SKU{next(_n)}",
        name=name,
        commodity=commodity,
        gtin=gtin,
        default_unit=unit,
        kg_per_unit=kg_per_unit,
    )
    db.session.add(product)
    db.session.commit()
    return product


def make_area(
    org: Organisation, *, code: str | None = None, gln: str | None = None, **fields: Any
) -> ProductionArea:
    area = ProductionArea(
        organisation_id=org.id,
        code=code or f"Lô {next(_n)}",
        name="Vườn thử nghiệm",
        kind=AreaKind.PLOT,
        gln=gln,
        **fields,
    )
    db.session.add(area)
    db.session.commit()
    return area


def make_member(org: Organisation, name: str = "Hộ Nguyễn Văn A", **fields: Any) -> Member:
    member = Member(
        organisation_id=org.id,
        member_type=MemberType.OFFICIAL,
        member_kind=MemberKind.HOUSEHOLD,
        display_name=name,
        **fields,
    )
    db.session.add(member)
    db.session.commit()
    return member


def spray(
    area: ProductionArea, on: date, phi_days: int, ingredient: str = "Chlorpyrifos"
) -> DiaryEntry:
    entry = DiaryEntry(
        organisation_id=area.organisation_id,
        area_id=area.id,
        kind=DiaryKind.PESTICIDE,
        occurred_on=on,
        input_name="Thuốc BVTV",
        active_ingredient=ingredient,
        phi_days=phi_days,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


@dataclass
class Party:
    """An organisation with an admin and a staff user, their actors and API headers."""

    org: Organisation
    admin: Actor
    staff: Actor
    admin_headers: dict[str, str]
    staff_headers: dict[str, str]


def make_party(name: str = "HTX Thử nghiệm", org_type: OrgType = OrgType.HTX,
               province_code: str = "01") -> Party:
    org = make_org(name, org_type, province_code=province_code)
    admin, admin_headers = make_user_with_token(org, OrgRole.ORG_ADMIN)
    staff, staff_headers = make_user_with_token(org, OrgRole.STAFF)
    return Party(org, actor_of(admin, org), actor_of(staff, org), admin_headers, staff_headers)
