"""What the harvest form offers, in one call: the organisation's active production areas
and products, and its member households (for a pooled lot's rows).

Reads only; who may record a harvest is ``operations.harvesting_org``'s answer, so an
enterprise or a reader gets the recorder's own refusal before any form is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.actor import Actor
from core.db import db
from linkages.models.members import Member
from linkages.models.organisations import Organisation
from traceability.models.areas import ProductionArea
from traceability.models.products import Product
from traceability.services.operations import harvesting_org


@dataclass(frozen=True)
class HarvestChoices:
    organisation: Organisation
    areas: list[ProductionArea]  # active, by code
    products: list[Product]  # active, by name
    households: list[tuple[int, str]]  # current members (id, name), by name


def harvest_choices(actor: Actor) -> HarvestChoices:
    org = harvesting_org(actor)
    areas = db.session.scalars(
        select(ProductionArea)
        .where(ProductionArea.organisation_id == org.id, ProductionArea.active.is_(True))
        .order_by(ProductionArea.code, ProductionArea.id)
    ).all()
    products = db.session.scalars(
        select(Product)
        .where(Product.organisation_id == org.id, Product.active.is_(True))
        .order_by(Product.name, Product.id)
    ).all()
    households = db.session.execute(
        select(Member.id, Member.display_name)
        .where(Member.organisation_id == org.id, Member.left_on.is_(None))
        .order_by(Member.display_name, Member.id)
    ).all()
    return HarvestChoices(
        organisation=org,
        areas=list(areas),
        products=list(products),
        households=[(m.id, m.display_name) for m in households],
    )


__all__ = ["HarvestChoices", "harvest_choices"]
