"""Harvest: a new lot of the actor's organisation and its commissioning event (ObjectEvent
ADD, ILMD with the harvest dates, origin and fields), a pooled lot's member contributions,
and the PHI gate. Nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy import select

from core.actor import Actor
from core.db import db
from core.errors import NotFound, ValidationFailed
from core.i18n import _l
from core.units import Unit, parse_unit
from traceability.models.areas import ProductionArea
from traceability.models.batches import Batch
from traceability.models.products import Product
from traceability.services import batches as svc
from traceability.services.capture import BatchEffect, PreparedEvent
from traceability.services.operations import harvesting_org
from traceability.services.phi import check_phi
from traceability.services.recording.common import (
    event_time,
    local_day,
    object_event,
    parse_decimal,
    parse_positive,
    quantity_element,
    store,
)


def record_harvest(
    actor: Actor,
    *,
    area_ids: Sequence[int],
    product_id: int,
    quantity: Decimal | None,
    unit: Unit | str,
    harvested_on: date | datetime | str,
    lot_code: str | None = None,
    grade: str = "",
    quality: dict[str, Any] | None = None,
    expiry: date | None = None,
    contributions: Sequence[svc.ContributionIn | dict[str, Any]] = (),
    phi_override_reason: str | None = None,
) -> Batch:
    """Create a harvest lot of the actor's organisation and its commissioning event.

    Areas and product must be the organisation's (else 404); the PHI gate runs on every
    area (409, or an org admin's recorded override; staff overriding get 403); member
    contributions must be active members and add up to no more than the lot (422). A
    pooled lot's quantity may be left out (None): it is then its contributions' sum.
    """
    org = harvesting_org(actor)
    if not area_ids:
        raise ValidationFailed(field_errors={"area_ids": [_l("Choose at least one area.")]})
    wanted = list(dict.fromkeys(area_ids))
    found = {
        a.id: a
        for a in db.session.scalars(
            select(ProductionArea).where(
                ProductionArea.id.in_(wanted), ProductionArea.organisation_id == org.id
            )
        )
    }
    missing = [a for a in wanted if a not in found]
    if missing:
        raise NotFound(
            field_errors={"area_ids": [_l("No such area in your organisation: %(ids)s.",
                                          ids=", ".join(map(str, missing)))]}
        )
    areas = [found[a] for a in wanted]
    product = svc.own_product(org, product_id)
    unit = parse_unit(unit)
    if quantity is None:
        quantity = _pooled_total(contributions, unit, product)
    quantity = parse_positive(quantity, "quantity")
    kg = svc.quantity_in_kg(quantity, unit, product)
    moment = event_time(harvested_on, "harvested_on")
    day = local_day(moment)
    override = check_phi(actor, areas, day, phi_override_reason)

    batch = svc.new_batch(
        actor,
        org,
        product,
        quantity=quantity,
        unit=unit,
        quantity_kg=kg,
        lot_code=lot_code,
        lot_day=day,
        lot_tag_text=areas[0].code,
        harvest_start=day,
        harvest_end=day,
        grade=grade,
        quality=quality,
        expiry=expiry,
        area_ids=wanted,
    )
    if override:
        batch.phi_override_reason = override
        batch.phi_override_by_id = actor.user_id or None
    svc.add_contributions(org, batch, product, contributions, default_day=day)

    location = svc.area_location_uri(areas[0], org)
    ilmd: dict[str, Any] = {
        "cbvmda:lotNumber": batch.lot_code,
        "cbvmda:harvestStartDate": day.isoformat(),
        "cbvmda:harvestEndDate": day.isoformat(),
        "cbvmda:countryOfOrigin": "VN",
        "htx:productName": product.name,
        "htx:commodity": product.commodity.value,
        "htx:fields": [
            {
                "htx:areaCode": a.code,
                "htx:areaName": a.name,
                "htx:location": svc.area_location_uri(a, org),
                **({"htx:plantingAreaCode": a.planting_area_code}
                   if a.planting_area_code else {}),
                **({"htx:crop": a.crop} if a.crop else {}),
                **({"htx:variety": a.variety} if a.variety else {}),
                **({"htx:communeCode": a.commune_code} if a.commune_code else {}),
            }
            for a in areas
        ],
    }
    if expiry:
        ilmd["cbvmda:itemExpirationDate"] = expiry.isoformat()
    if grade:
        ilmd["htx:grade"] = grade
    event = object_event(
        moment, "ADD", [quantity_element(batch, quantity, unit)], "commissioning", "active",
        location, biz_location=location,
        sourceList=[{"type": "owning_party", "source": svc.party_uri(org)}],
        ilmd=ilmd,
    )
    store(actor, [PreparedEvent(event, effects=[BatchEffect(batch.id, kg)])])
    return batch


def _pooled_total(
    items: Sequence[svc.ContributionIn | dict[str, Any]], unit: Unit, product: Product
) -> Decimal:
    """A pooled lot's quantity when only its members' deliveries are given: their sum in
    the lot's unit, rounded up to what is stored so that they never exceed the lot."""
    parsed = [i if isinstance(i, svc.ContributionIn) else svc.ContributionIn(**i) for i in items]
    if not parsed:
        raise ValidationFailed(field_errors={"quantity": [_l("Enter the quantity.")]})
    units = [parse_unit(c.unit, f"contributions.{i}.unit") for i, c in enumerate(parsed)]
    if all(u == unit for u in units):
        return sum((parse_decimal(c.quantity, f"contributions.{i}.quantity")
                    for i, c in enumerate(parsed)), Decimal(0))
    kg = sum(
        (svc.quantity_in_kg(parse_decimal(c.quantity, f"contributions.{i}.quantity"), u, product,
                            field=f"contributions.{i}.quantity")
         for i, (c, u) in enumerate(zip(parsed, units, strict=True))),
        Decimal(0),
    )
    per_unit = svc.quantity_in_kg(Decimal(1), unit, product)
    return (kg / per_unit).quantize(Decimal("0.0001"), rounding=ROUND_CEILING)
