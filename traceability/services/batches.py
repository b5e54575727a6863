"""Batches (lots): identifiers and lot codes, who may see them, their current quantity,
member contributions and the per-member statement.

Guarantees:
- a batch's identifier is fixed at creation: ``{PUBLIC_BASE_URL}/01/{gtin14}/10/{lot}`` for a
  product with a GTIN, else the platform URI ``{base}/p/{registration code}.{product code}/10/
  {lot}``; its ``canonical_id`` is ``gs1.canonical_uri(identifier)``;
- a lot code is unique in its organisation and a valid GS1 AI 10 value; generated codes are
  readable and deterministic: ``YYMMDD-<tag>-<n>`` (tag = area code, or R/T/S/M/P for
  receiving, transformation, split, merge, packing), ``n`` the first free number;
- the current quantity is never stored: it is the sum of the batch's event effects
  (``EventBatch.quantity_kg``) over events neither retracted nor error declarations, in SQL;
- a batch is readable by those who may read its organisation's private data, and by an
  organisation it was shipped to (a shipment whose ship event is not retracted); everyone
  else gets ``NotFound``;
- member households of a pooled lot are shown only to the owning organisation (and platform
  admins); others see the communes.

Nothing here commits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import current_app
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from core.actor import (
    Actor,
    can_read_private,
    can_write,
    require_authenticated,
    require_read,
)
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.formatting import quantity_text
from core.i18n import _l
from core.numbers import STORED_PLACES, rounds_to_zero, too_small_message
from core.units import Unit, to_kg
from linkages.models.members import Member
from linkages.models.organisations import Organisation
from traceability import gs1
from traceability.models.areas import ProductionArea
from traceability.models.batches import (
    Batch,
    BatchArea,
    BatchContribution,
    BatchLink,
    BatchStatus,
    Shipment,
)
from traceability.models.events import EpcisEvent, EventBatch
from traceability.models.products import Product
from traceability.services.completeness import kde_complete as kde_complete_clause
from traceability.services.scan_flags import flagged_lot_ids

KG_PLACES = STORED_PLACES  # Numeric(18, 4)
MAX_TAG_LENGTH = 8


# --------------------------------------------------------------------------- URIs


def base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def party_uri(org: Organisation) -> str:
    """The organisation as an EPCIS party (owning_party). Organisations have no party GLN
    on the platform yet, so this is the platform's HTTP URI of its registration code."""
    return f"{base_url()}/party/{quote(org.registration_code, safe='')}"


def org_location_uri(org: Organisation) -> str:
    """The organisation's premises as an EPCIS location (ship-from, ship-to, packing…)."""
    return f"{base_url()}/loc/{quote(org.registration_code, safe='')}"


def area_location_uri(area: ProductionArea, org: Organisation) -> str:
    """A production area: its GLN Digital Link (``/414/…``) when it has one, else a
    platform URI under its organisation's location, keyed by the stable row id (codes
    can be renamed; printed labels and captured events must not break)."""
    if area.gln:
        return gs1.build_gln_uri(base_url(), area.gln)
    return f"{org_location_uri(org)}/areas/{area.id}"


def batch_identifier(org: Organisation, product: Product, lot_code: str) -> str:
    """The label URI of a lot (see the module docstring)."""
    if product.gtin:
        return gs1.build_digital_link(base_url(), product.gtin, lot=lot_code)
    owner = db.session.get(Organisation, product.organisation_id) or org
    return gs1.build_platform_uri(
        base_url(), f"{owner.registration_code}.{product.code}", lot=lot_code
    )


# --------------------------------------------------------------------------- lot codes


def lot_tag(text: str) -> str:
    """A CSET 82-safe, upper-case tag of at most 8 characters for a generated lot code:
    accents dropped (đ → D), anything but A-Z and 0-9 removed."""
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    tag = re.sub(r"[^A-Z0-9]", "", folded.encode("ascii", "ignore").decode().upper())
    return (tag or "X")[:MAX_TAG_LENGTH]


def generate_lot_code(organisation_id: int, day: date, tag: str) -> str:
    """``YYMMDD-<tag>-<n>`` with the first ``n`` not used in the organisation."""
    prefix = f"{gs1.yymmdd(day)}-{lot_tag(tag)}-"
    used = set(
        db.session.scalars(
            select(Batch.lot_code).where(
                Batch.organisation_id == organisation_id, Batch.lot_code.like(f"{prefix}%")
            )
        )
    )
    n = 1
    while f"{prefix}{n}" in used:
        n += 1
    return f"{prefix}{n}"


# --------------------------------------------------------------------------- creation


def load_org(organisation_id: int | None) -> Organisation:
    org = db.session.get(Organisation, organisation_id) if organisation_id else None
    if org is None:
        raise NotFound()
    return org


def actor_org(actor: Actor) -> Organisation:
    """The organisation the actor writes for; a user acting for none may not record."""
    require_authenticated(actor)
    if actor.organisation_id is None:
        raise Forbidden(_l("Choose the organisation you are acting for first."))
    return load_org(actor.organisation_id)


def own_product(org: Organisation, product_id: int, field: str = "product_id") -> Product:
    """A product of ``org`` (another organisation's product is not found)."""
    product = db.session.get(Product, product_id)
    if product is None or product.organisation_id != org.id:
        raise NotFound(
            field_errors={field: [_l("No such product in your organisation.")]}
        )
    return product


def new_batch(
    actor: Actor,
    org: Organisation,
    product: Product,
    *,
    quantity: Decimal,
    unit: Unit,
    quantity_kg: Decimal,
    lot_code: str | None,
    lot_day: date,
    lot_tag_text: str,
    harvest_start: date | None = None,
    harvest_end: date | None = None,
    grade: str = "",
    quality: dict[str, Any] | None = None,
    expiry: date | None = None,
    area_ids: Sequence[int] = (),
    field: str = "lot_code",
) -> Batch:
    """Create (flush) a batch with its fixed identifier; 409 on a lot code already used in
    the organisation or an identifier already taken. A generated code taken meanwhile by
    another request (two phones recording the same product on the same day) moves on to
    the next number; a code given and taken meanwhile is the same 409 as one taken
    before."""
    generated = lot_code is None
    if lot_code is None:
        lot_code, identifier = _generated_code(org, product, lot_day, lot_tag_text)
    else:
        gs1.validate_lot(lot_code, field=field)
        if _code_taken(org, lot_code):
            raise _code_conflict(lot_code, field)
        identifier = batch_identifier(org, product, lot_code)
        if _identifier_taken(identifier):
            raise Conflict(
                _l("Lot code %(lot)s is already used for this product.", lot=lot_code),
                field_errors={field: [_l("This lot code is already used for this product.")]},
            )
    for _attempt in range(LOT_CODE_ATTEMPTS):
        batch = Batch(
            organisation_id=org.id,
            product_id=product.id,
            lot_code=lot_code,
            identifier=identifier,
            canonical_id=gs1.canonical_uri(identifier),
            quantity=quantity,
            unit=unit,
            quantity_kg=quantity_kg.quantize(KG_PLACES),
            harvest_start=harvest_start,
            harvest_end=harvest_end,
            grade=grade or "",
            quality=quality or None,
            expiry=expiry,
            status=BatchStatus.ACTIVE,
            created_by_id=actor.user_id or None,
        )
        batch.areas = [BatchArea(area_id=a) for a in dict.fromkeys(area_ids)]
        try:
            with db.session.begin_nested():
                db.session.add(batch)
                db.session.flush()
        except IntegrityError:
            # Another request committed this code first (its row was not there when we
            # looked); anything else is not ours to explain.
            if not (_code_taken(org, lot_code) or _identifier_taken(identifier)):
                raise
            if not generated:
                raise _code_conflict(lot_code, field) from None
            lot_code, identifier = _generated_code(org, product, lot_day, lot_tag_text)
            continue
        return batch
    raise _code_conflict(lot_code, field)


# A generated code taken by another request between our look and our insert moves on to
# the next number; so many races in a row mean something else is wrong.
LOT_CODE_ATTEMPTS = 5


def _generated_code(org: Organisation, product: Product, lot_day: date,
                    lot_tag_text: str) -> tuple[str, str]:
    """The first lot code not used in the organisation (``generate_lot_code``), moved on
    while its identifier is taken (it may collide with another organisation's lot of a
    shared product reference): code and identifier."""
    lot_code = generate_lot_code(org.id, lot_day, lot_tag_text)
    identifier = batch_identifier(org, product, lot_code)
    while _identifier_taken(identifier):
        head, n = lot_code.rsplit("-", 1)
        lot_code = f"{head}-{int(n) + 1}"
        identifier = batch_identifier(org, product, lot_code)
    return lot_code, identifier


def _code_taken(org: Organisation, lot_code: str) -> bool:
    return db.session.scalar(
        select(Batch.id).where(Batch.organisation_id == org.id, Batch.lot_code == lot_code)
    ) is not None


def _code_conflict(lot_code: str, field: str) -> Conflict:
    return Conflict(
        _l("Lot code %(lot)s is already used.", lot=lot_code),
        field_errors={field: [_l("This lot code is already used.")]},
    )


def _identifier_taken(identifier: str) -> bool:
    canonical = gs1.canonical_uri(identifier)
    return (
        db.session.scalar(
            select(Batch.id).where(
                or_(Batch.identifier == identifier, Batch.canonical_id == canonical)
            )
        )
        is not None
    )


# --------------------------------------------------------------------------- quantities


def quantity_expr(batch_id_col: Any, exclude_event_pks: Iterable[int] = ()) -> Any:
    """Correlated SQL: the current kg of the batch in ``batch_id_col``."""
    stmt = (
        select(func.coalesce(func.sum(EventBatch.quantity_kg), 0))
        .join(EpcisEvent, EpcisEvent.id == EventBatch.event_pk)
        .where(
            EventBatch.batch_id == batch_id_col,
            EpcisEvent.retracted_at.is_(None),
            EpcisEvent.declares_error.is_(False),
        )
    )
    excluded = list(exclude_event_pks)
    if excluded:
        stmt = stmt.where(EventBatch.event_pk.not_in(excluded))
    return stmt.scalar_subquery()


def lot_codes(batch_ids: Iterable[int]) -> dict[int, str]:
    """The lot codes of ``batch_ids``, for a list that names lots another service read
    (no permission: a lot code says nothing without access to the lot). One statement."""
    wanted = list(set(batch_ids))
    if not wanted:
        return {}
    return dict(db.session.execute(
        select(Batch.id, Batch.lot_code).where(Batch.id.in_(wanted))
    ).all())


def current_quantity(batch_id: int, *, exclude_event_pks: Iterable[int] = ()) -> Decimal:
    """Kilograms the batch holds now, from its event ledger (one SQL aggregate)."""
    value = db.session.scalar(select(quantity_expr(batch_id, exclude_event_pks)))
    return Decimal(str(value or 0)).quantize(KG_PLACES)


def current_quantities(batch_ids: Iterable[int]) -> dict[int, Decimal]:
    """Current kg of several batches in one grouped query."""
    ids = list(dict.fromkeys(batch_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(EventBatch.batch_id, func.sum(EventBatch.quantity_kg))
        .join(EpcisEvent, EpcisEvent.id == EventBatch.event_pk)
        .where(
            EventBatch.batch_id.in_(ids),
            EpcisEvent.retracted_at.is_(None),
            EpcisEvent.declares_error.is_(False),
        )
        .group_by(EventBatch.batch_id)
    ).all()
    found = {bid: Decimal(str(kg or 0)).quantize(KG_PLACES) for bid, kg in rows}
    return {bid: found.get(bid, Decimal("0.0000")) for bid in ids}


# Quantities are stored as Numeric(18, 4), in their unit and in kg: below 10^14. A lot of
# ten billion tonnes is already a typing slip, so the bound leaves room and names the field
# instead of letting the database overflow (a 500 on PostgreSQL).
MAX_KG = Decimal(10) ** 13


def quantity_in_kg(
    quantity: Decimal, unit: Unit | str, product: Product, field: str = "quantity"
) -> Decimal:
    """``quantity`` of ``unit`` in kg; refused (naming ``field``) when no lot could hold it."""
    unit = Unit(unit)
    if not isinstance(quantity, Decimal):
        quantity = Decimal(str(quantity))
    if not quantity.is_finite() or abs(quantity) >= MAX_KG:
        raise ValidationFailed(field_errors={field: [_l("This quantity is too large.")]})
    kg = to_kg(quantity, unit, product.kg_per_unit, field=field)
    if abs(kg) >= MAX_KG:
        raise ValidationFailed(field_errors={field: [_l("This quantity is too large.")]})
    if rounds_to_zero(quantity) or rounds_to_zero(kg):
        # Zero is a quantity some events take; a positive one stored as 0 is not.
        raise ValidationFailed(field_errors={field: [too_small_message()]})
    return kg.quantize(KG_PLACES)


def require_available(batch: Batch, needed_kg: Decimal, *, field: str = "quantity",
                      exclude_event_pks: Iterable[int] = ()) -> Decimal:
    """Refuse (409) taking ``needed_kg`` from a batch holding less; the problem says in
    one sentence which batch, what it holds and what was asked, in kg. Returns what the
    batch holds."""
    held = current_quantity(batch.id, exclude_event_pks=exclude_event_pks)
    if needed_kg > held:
        message = _l(
            "Batch %(lot)s holds only %(held)s kg, less than the %(needed)s kg asked for.",
            lot=batch.lot_code,
            held=quantity_text(held),
            needed=quantity_text(needed_kg),
        )
        raise Conflict(message, field_errors={field: [message]})
    return held


# --------------------------------------------------------------------------- reading


def _org_province(organisation_id: int) -> str | None:
    return db.session.scalar(
        select(Organisation.province_code).where(Organisation.id == organisation_id)
    )


def live_shipment_clause(to_organisation_id: int | None, batch_id_col: Any) -> Any:
    """EXISTS a shipment of that batch to the organisation whose ship event still stands."""
    if to_organisation_id is None:
        return None
    return exists(
        select(Shipment.id)
        .join(EpcisEvent, EpcisEvent.id == Shipment.ship_event_pk)
        .where(
            Shipment.batch_id == batch_id_col,
            Shipment.to_organisation_id == to_organisation_id,
            EpcisEvent.retracted_at.is_(None),
        )
    )


def can_read_batch(actor: Actor, batch: Batch) -> bool:
    if can_read_private(actor, batch.organisation_id, _org_province(batch.organisation_id)):
        return True
    clause = live_shipment_clause(actor.organisation_id, batch.id)
    return clause is not None and bool(db.session.scalar(select(clause)))


def get_batch(actor: Actor, batch_id: int, *, for_update: bool = False) -> Batch:
    """The batch if the actor may read it, else ``NotFound``."""
    require_authenticated(actor)
    batch = db.session.get(Batch, batch_id, with_for_update=for_update or None)
    if batch is None or not can_read_batch(actor, batch):
        raise NotFound()
    return batch


def owned_batch(actor: Actor, batch_id: int) -> Batch:
    """The batch, for a write that is its organisation's (its users, platform admins):
    ``NotFound`` to those who may not read it, ``Forbidden`` to those who may (a buyer it
    was shipped to, an authority)."""
    require_authenticated(actor)
    batch = db.session.get(Batch, batch_id)
    if batch is None:
        raise NotFound()
    if not can_write(actor, batch.organisation_id):
        if can_read_batch(actor, batch):
            raise Forbidden()
        raise NotFound()
    return batch


def list_batches(
    actor: Actor,
    *,
    status: BatchStatus | None = None,
    product_id: int | None = None,
    lot_code: str | None = None,
    organisation_id: int | None = None,
    kde_complete: bool | None = None,
    scan_flagged: bool | None = None,
) -> Select[tuple[Batch]]:
    """Batches the actor may read, newest first, with their current quantity loaded in the
    same query: its own organisation's, those shipped to it, and for authorities those of
    organisations in their scope. ``kde_complete``: those whose key data elements are
    complete, or not (``completeness``; void lots are neither, as the figures leave them
    out); ``scan_flagged``: those carrying a scan flag, or not (``scan_flags``): the
    records behind a supplier's scorecard."""
    require_authenticated(actor)
    own = private_or_shipped_scope(actor)
    stmt = (
        select(Batch)
        .join(Organisation, Organisation.id == Batch.organisation_id)
        .where(own)
        .options(undefer(Batch.current_quantity_kg))
    )
    if status is not None:
        stmt = stmt.where(Batch.status == status)
    if product_id is not None:
        stmt = stmt.where(Batch.product_id == product_id)
    if lot_code:
        stmt = stmt.where(Batch.lot_code == lot_code)
    if organisation_id is not None:
        stmt = stmt.where(Batch.organisation_id == organisation_id)
    if kde_complete is not None:
        complete = kde_complete_clause()
        stmt = stmt.where(Batch.status != BatchStatus.VOID,
                          complete if kde_complete else ~complete)
    if scan_flagged is not None:
        # Flags of that organisation's lots only when the list is of one: the same lots,
        # without computing every organisation's flags.
        flagged = Batch.id.in_(flagged_lot_ids(organisation_id))
        stmt = stmt.where(flagged if scan_flagged else ~flagged)
    return stmt.order_by(Batch.created_at.desc(), Batch.id.desc())


def private_scope_batches(actor: Actor) -> Any:
    from core.actor import private_scope

    return private_scope(actor, Batch.organisation_id, Organisation.province_code)


def private_or_shipped_scope(actor: Actor) -> Any:
    clauses = [private_scope_batches(actor)]
    shipped = live_shipment_clause(actor.organisation_id, Batch.id)
    if shipped is not None:
        clauses.append(shipped)
    return or_(*clauses)


def shows_owner_details(actor: Actor, organisation_id: int) -> bool:
    """An organisation's internal details (its member households, its areas by name) are
    for its own people and platform admins, the same people who write for it; others reading
    its lots (an authority, a buyer) see communes and the organisation's name instead."""
    return can_write(actor, organisation_id)


def shows_households(actor: Actor, batch: Batch) -> bool:
    """Member households are the owning organisation's business only."""
    return shows_owner_details(actor, batch.organisation_id)


@dataclass(frozen=True)
class BatchDetail:
    batch: Batch
    product: Product
    organisation: Organisation
    current_quantity_kg: Decimal
    areas: list[dict[str, Any]]
    contributions: list[dict[str, Any]] | None  # None: not shown to this actor
    communes: list[dict[str, Any]]
    shipments: list[Shipment]
    parents: list[dict[str, Any]]
    children: list[dict[str, Any]]


def batch_detail(actor: Actor, batch_id: int) -> BatchDetail:
    """One batch as its page shows it: current quantity, origin areas, contributions (owner)
    or communes (others), the shipments the actor may see, one step back and forward."""
    from linkages.models.places import Commune

    batch = get_batch(actor, batch_id)
    product = db.session.get(Product, batch.product_id)
    org = db.session.get(Organisation, batch.organisation_id)
    assert product is not None and org is not None
    area_rows = db.session.execute(
        select(ProductionArea, Commune.name)
        .join(BatchArea, BatchArea.area_id == ProductionArea.id)
        .outerjoin(Commune, Commune.code == ProductionArea.commune_code)
        .where(BatchArea.batch_id == batch.id)
        .order_by(ProductionArea.code)
    ).all()
    areas = [
        {
            "id": a.id,
            "code": a.code,
            "name": a.name,
            "planting_area_code": a.planting_area_code,
            "commune_code": a.commune_code,
            "commune_name": commune_name,
        }
        for a, commune_name in area_rows
    ]
    contribution_rows = db.session.execute(
        select(BatchContribution, Member.display_name, Member.commune_code, Commune.name)
        .join(Member, Member.id == BatchContribution.member_id)
        .outerjoin(Commune, Commune.code == Member.commune_code)
        .where(BatchContribution.batch_id == batch.id)
        .order_by(BatchContribution.delivered_on, BatchContribution.id)
    ).all()
    contributions = None
    if shows_households(actor, batch):
        contributions = [
            {
                "id": c.id,
                "member_id": c.member_id,
                "member_name": name,
                "area_id": c.area_id,
                "quantity": c.quantity,
                "unit": c.unit,
                "quantity_kg": c.quantity_kg,
                "delivered_on": c.delivered_on,
            }
            for c, name, _commune, _commune_name in contribution_rows
        ]
    communes: dict[str, dict[str, Any]] = {}
    for a in areas:
        if a["commune_code"]:
            communes[a["commune_code"]] = {"code": a["commune_code"], "name": a["commune_name"]}
    for _c, _name, code, commune_name in contribution_rows:
        if code:
            communes.setdefault(code, {"code": code, "name": commune_name})
    shipments_stmt = select(Shipment).where(Shipment.batch_id == batch.id)
    if not can_read_private(actor, batch.organisation_id, org.province_code):
        shipments_stmt = shipments_stmt.where(
            Shipment.to_organisation_id == actor.organisation_id
        )
    shipments = list(db.session.scalars(shipments_stmt.order_by(Shipment.shipped_at)))
    return BatchDetail(
        batch=batch,
        product=product,
        organisation=org,
        current_quantity_kg=current_quantity(batch.id),
        areas=areas,
        contributions=contributions,
        communes=sorted(communes.values(), key=lambda c: c["code"]),
        shipments=shipments,
        parents=_neighbours(batch.id, parents=True),
        children=_neighbours(batch.id, parents=False),
    )


def _neighbours(batch_id: int, *, parents: bool) -> list[dict[str, Any]]:
    """One step back (parents) or forward (children) over live genealogy edges."""
    mine, other = (
        (BatchLink.child_id, BatchLink.parent_id)
        if parents
        else (BatchLink.parent_id, BatchLink.child_id)
    )
    rows = db.session.execute(
        select(Batch.id, Batch.lot_code, Batch.organisation_id, func.sum(BatchLink.quantity_kg))
        .join(BatchLink, other == Batch.id)  # live edges only: see BatchLink
        .where(mine == batch_id)
        .group_by(Batch.id, Batch.lot_code, Batch.organisation_id)
        .order_by(Batch.id)
    ).all()
    return [
        {"batch_id": r[0], "lot_code": r[1], "organisation_id": r[2], "quantity_kg": r[3]}
        for r in rows
    ]


# --------------------------------------------------------------------------- contributions


@dataclass(frozen=True)
class ContributionIn:
    member_id: int
    quantity: Decimal
    unit: Unit
    delivered_on: date | None = None
    area_id: int | None = None


def add_contributions(
    org: Organisation,
    batch: Batch,
    product: Product,
    items: Sequence[ContributionIn | dict[str, Any]],
    *,
    default_day: date,
) -> list[BatchContribution]:
    """Record member deliveries into a pooled lot: members must be active members of the
    organisation, areas among the batch's areas, and the kilograms may not exceed the batch
    (422 naming ``contributions``)."""
    parsed = [i if isinstance(i, ContributionIn) else ContributionIn(**i) for i in items]
    if not parsed:
        return []
    errors: dict[str, list[str]] = {}
    member_ids = {c.member_id for c in parsed}
    active = set(
        db.session.scalars(
            select(Member.id).where(
                Member.id.in_(member_ids),
                Member.organisation_id == org.id,
                Member.left_on.is_(None),
            )
        )
    )
    batch_areas = {a.area_id for a in batch.areas}
    rows: list[BatchContribution] = []
    total = Decimal(0)
    for i, c in enumerate(parsed):
        if c.member_id not in active:
            errors[f"contributions.{i}.member_id"] = [
                _l("Not an active member of your organisation.")
            ]
        if c.area_id is not None and c.area_id not in batch_areas:
            errors[f"contributions.{i}.area_id"] = [
                _l("The area is not one of the batch's areas.")
            ]
        try:
            kg = quantity_in_kg(c.quantity, c.unit, product, field=f"contributions.{i}.quantity")
        except ValidationFailed as exc:
            for k, v in exc.field_errors.items():
                errors[k if k.startswith("contributions") else f"contributions.{i}.{k}"] = v
            continue
        total += kg
        rows.append(
            BatchContribution(
                batch_id=batch.id,
                member_id=c.member_id,
                area_id=c.area_id,
                quantity=Decimal(str(c.quantity)),
                unit=Unit(c.unit),
                quantity_kg=kg,
                delivered_on=c.delivered_on or default_day,
            )
        )
    if not errors and total > batch.quantity_kg:
        errors["contributions"] = [
            _l(
                "Members' deliveries add up to %(total)s kg, more than the batch's %(kg)s kg.",
                total=quantity_text(total),
                kg=quantity_text(batch.quantity_kg),
            )
        ]
    if errors:
        raise ValidationFailed(field_errors=errors)
    db.session.add_all(rows)
    return rows


@dataclass(frozen=True)
class StatementLine:
    product_id: int
    product_name: str
    batch_id: int
    lot_code: str
    unit: Unit
    quantity: Decimal
    quantity_kg: Decimal
    deliveries: int
    first_delivery: date
    last_delivery: date


@dataclass(frozen=True)
class MemberStatement:
    member: Member
    date_from: date | None
    date_to: date | None
    lines: list[StatementLine]
    total_kg: Decimal


def member_statement(
    actor: Actor, member_id: int, *, date_from: date | None = None, date_to: date | None = None
) -> MemberStatement:
    """A member household's deliveries over a period (inclusive dates): per product, batch
    and unit, the quantity in the units delivered and in kg — one grouped SQL query."""
    require_authenticated(actor)
    member = db.session.get(Member, member_id)
    if member is None:
        raise NotFound()
    require_read(actor, member.organisation_id, _org_province(member.organisation_id))
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed(field_errors={"to": [_l("The end is before the start.")]})
    stmt = (
        select(
            Product.id,
            Product.name,
            Batch.id,
            Batch.lot_code,
            BatchContribution.unit,
            func.sum(BatchContribution.quantity),
            func.sum(BatchContribution.quantity_kg),
            func.count(BatchContribution.id),
            func.min(BatchContribution.delivered_on),
            func.max(BatchContribution.delivered_on),
        )
        .join(Batch, Batch.id == BatchContribution.batch_id)
        .join(Product, Product.id == Batch.product_id)
        .where(BatchContribution.member_id == member.id)
        .group_by(Product.id, Product.name, Batch.id, Batch.lot_code, BatchContribution.unit)
        .order_by(Product.name, Batch.lot_code, BatchContribution.unit)
    )
    if date_from:
        stmt = stmt.where(BatchContribution.delivered_on >= date_from)
    if date_to:
        stmt = stmt.where(BatchContribution.delivered_on <= date_to)
    lines = [
        StatementLine(
            product_id=r[0],
            product_name=r[1],
            batch_id=r[2],
            lot_code=r[3],
            unit=Unit(r[4]),
            quantity=Decimal(str(r[5])).quantize(KG_PLACES),
            quantity_kg=Decimal(str(r[6])).quantize(KG_PLACES),
            deliveries=int(r[7]),
            first_delivery=_as_date(r[8]),
            last_delivery=_as_date(r[9]),
        )
        for r in db.session.execute(stmt)
    ]
    total = sum((line.quantity_kg for line in lines), Decimal("0.0000"))
    return MemberStatement(member, date_from, date_to, lines, total)


def _as_date(value: Any) -> date:
    # SQLite returns MIN/MAX of a DATE column as text.
    return date.fromisoformat(value) if isinstance(value, str) else value


__all__ = [
    "BatchDetail",
    "ContributionIn",
    "MemberStatement",
    "StatementLine",
    "actor_org",
    "add_contributions",
    "area_location_uri",
    "batch_detail",
    "batch_identifier",
    "current_quantities",
    "current_quantity",
    "generate_lot_code",
    "get_batch",
    "list_batches",
    "member_statement",
    "new_batch",
    "org_location_uri",
    "party_uri",
    "require_available",
    "shows_households",
    "shows_owner_details",
]
