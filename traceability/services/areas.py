"""Production areas of a cooperative: plots, zones, ponds, barns, apiaries, forest lots.

Visibility: an area is private data of its organisation (its users, platform admins);
others get NotFound. An authority reads the areas of its province, which here means the
areas of organisations registered in that province *and* the areas whose land lies in it
(an area's commune need not be in its cooperative's province: the provincial department
inspecting planting-area codes on its soil must see them).

Writes: the organisation's users, staff included (they keep the field records), and
platform admins. Only cooperatives (HTX, unions, cooperative groups) own production areas.
Areas are never deleted (batches and certifications point at them): ``active = False``
retires one.

Guarantees: a code unique in the organisation (409 on ``code``); a commune that exists,
the province derived from it; ``area_ha >= 0``; a GLN with a valid check digit; a GeoJSON
geometry that is structurally sound (see ``geometry_problems``); households that are
active members of the same organisation. Nothing here commits: the caller commits once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.exc import IntegrityError

from core.actor import Actor, can_write, require_authenticated, require_write
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import _l
from core.numbers import NumberRefused, to_decimal
from linkages.models.members import Member
from linkages.models.organisations import COOPERATIVE_TYPES, Organisation
from linkages.services.places import check_address
from traceability import gs1
from traceability.models.areas import AreaHousehold, AreaKind, ProductionArea

EDITABLE_FIELDS = frozenset(
    {
        "code",
        "name",
        "kind",
        "commune_code",
        "area_ha",
        "crop",
        "variety",
        "planting_area_code",
        "gln",
        "geometry",
        "household_ids",
        "active",
    }
)
_TEXT_LIMITS = {
    "code": 40,
    "name": 200,
    "crop": 100,
    "variety": 100,
    "planting_area_code": 40,
}
AREA_HA_MAX = Decimal(10) ** 7  # Numeric(12, 4) holds less than 10^8 ha
MAX_POSITIONS = 10_000  # a field boundary, not a national map


# --- reads ------------------------------------------------------------------------------


def area_scope(actor: Actor) -> ColumnElement[bool]:
    """SQL filter: the areas the actor may read (see the module docstring)."""
    if actor.is_admin:
        return true()
    clauses: list[ColumnElement[bool]] = []
    if actor.organisation_id is not None:
        clauses.append(ProductionArea.organisation_id == actor.organisation_id)
    if actor.is_authority:
        if actor.province_code is None:
            return true()
        in_province = select(Organisation.id).where(
            Organisation.province_code == actor.province_code
        )
        clauses.append(ProductionArea.province_code == actor.province_code)
        clauses.append(ProductionArea.organisation_id.in_(in_province))
    if not clauses:
        return false()
    return or_(*clauses)


def can_read_area(actor: Actor, area: ProductionArea) -> bool:
    if actor.is_admin or actor.acts_for(area.organisation_id):
        return True
    if actor.is_authority:
        return actor.province_code is None or actor.province_code in (
            area.province_code,
            _organisation(area.organisation_id)[1],
        )
    return False


def list_areas(
    actor: Actor,
    *,
    organisation_id: int | None = None,
    kind: AreaKind | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> Select[tuple[ProductionArea]]:
    """A select of the areas the actor may read, by organisation then code, for the
    caller to paginate (households load in one extra query per page). With
    ``organisation_id``, only that organisation's areas. ``q`` matches code, name or
    crop (case-insensitive substring)."""
    require_authenticated(actor)
    stmt = select(ProductionArea).where(area_scope(actor))
    if organisation_id is not None:
        stmt = stmt.where(ProductionArea.organisation_id == organisation_id)
    if kind is not None:
        stmt = stmt.where(ProductionArea.kind == kind)
    if active is not None:
        stmt = stmt.where(ProductionArea.active.is_(active))
    needle = (q or "").strip()
    if needle:
        stmt = stmt.where(
            or_(
                ProductionArea.code.icontains(needle, autoescape=True),
                ProductionArea.name.icontains(needle, autoescape=True),
                ProductionArea.crop.icontains(needle, autoescape=True),
            )
        )
    return stmt.order_by(
        ProductionArea.organisation_id, ProductionArea.code, ProductionArea.id
    )


def get_area(actor: Actor, area_id: int) -> ProductionArea:
    """The area if the actor may read it; NotFound otherwise (also when it exists)."""
    require_authenticated(actor)
    area = db.session.get(ProductionArea, area_id)
    if area is None or not can_read_area(actor, area):
        raise NotFound()
    return area


def writable_area(actor: Actor, area_id: int) -> ProductionArea:
    """The area if the actor may write to it (its organisation's users, staff included,
    or a platform admin): NotFound to those who may not read it, Forbidden to readers."""
    area = get_area(actor, area_id)
    if not can_edit_area(actor, area):
        raise Forbidden()
    return area


def can_edit_area(actor: Actor, area: ProductionArea) -> bool:
    """May the actor change this area and record its diary? The rule ``writable_area``
    enforces, for pages that offer (or hide) the edit buttons."""
    return can_write(actor, area.organisation_id)


def can_create_areas(actor: Actor) -> bool:
    """May the actor create areas for the organisation it acts for (a cooperative's
    users; ``create_area`` enforces the same)?"""
    if actor.organisation_id is None or not can_write(actor, actor.organisation_id):
        return False
    return _organisation(actor.organisation_id)[2] in COOPERATIVE_TYPES


# --- writes -----------------------------------------------------------------------------


def create_area(
    actor: Actor, organisation_id: int | None = None, **data: Any
) -> ProductionArea:
    """Create a production area of ``organisation_id`` (default: the actor's). ``data``
    holds ``EDITABLE_FIELDS``; ``household_ids`` lists member ids farming it."""
    _unknown_fields(data)
    require_authenticated(actor)
    org_id = organisation_id if organisation_id is not None else actor.organisation_id
    if org_id is None:
        raise ValidationFailed(
            field_errors={"organisation_id": [_l("Choose the organisation of the area.")]}
        )
    _id, province, org_type = _organisation(org_id)
    require_write(actor, org_id, province)
    if org_type not in COOPERATIVE_TYPES:
        raise ValidationFailed(
            field_errors={
                "organisation_id": [_l("Only cooperatives record production areas.")]
            }
        )
    state: dict[str, Any] = {
        "code": None,
        "name": None,
        "kind": None,
        "commune_code": None,
        "area_ha": None,
        "crop": "",
        "variety": "",
        "planting_area_code": "",
        "gln": None,
        "geometry": None,
        "household_ids": [],
        "active": True,
    }
    state.update(data)
    _validate(state, org_id)
    _check_unique_code(org_id, state["code"])
    household_ids = state.pop("household_ids")
    area = ProductionArea(organisation_id=org_id, **state)
    area.households = [AreaHousehold(member_id=m) for m in household_ids]
    with _unique_or_conflict():
        db.session.add(area)
    return area


def update_area(actor: Actor, area_id: int, **changes: Any) -> ProductionArea:
    """Change an area; the whole result is validated as on creation. ``household_ids``,
    when given, replaces the list of households."""
    _unknown_fields(changes)
    area = writable_area(actor, area_id)
    state = {name: getattr(area, name) for name in EDITABLE_FIELDS}
    state.update(changes)
    _validate(state, area.organisation_id, linked=set(area.household_ids))
    _check_unique_code(area.organisation_id, state["code"], area.id)
    household_ids = state.pop("household_ids")
    with _unique_or_conflict():
        for name, value in state.items():
            if getattr(area, name) != value:
                setattr(area, name, value)
        if set(household_ids) != set(area.household_ids):
            # Keep the rows that stay: no delete-and-reinsert of one key in a flush.
            wanted = set(household_ids)
            kept = [h for h in area.households if h.member_id in wanted]
            have = {h.member_id for h in kept}
            area.households = kept + [
                AreaHousehold(member_id=m) for m in household_ids if m not in have
            ]
    return area


# --- geometry -----------------------------------------------------------------------------


def geometry_problems(geometry: Any) -> dict[str, list[Any]]:
    """Why ``geometry`` is not an acceptable GeoJSON geometry (RFC 7946), keyed by the
    path of the first fault (``geometry.coordinates.0.3``); empty when it is fine.

    Accepted: Point, Polygon and MultiPolygon objects (an area is a place or a surface)
    with numeric [longitude, latitude(, altitude)] positions in range, linear rings of at
    least four positions whose last equals the first, and at most ``MAX_POSITIONS``
    positions. Ring orientation and self-intersection are not checked: GeoJSON readers
    must accept either winding, and a hand-drawn field boundary is good enough."""
    if not isinstance(geometry, dict):
        return {"geometry": [_l("A GeoJSON geometry is a JSON object.")]}
    extra = sorted(set(geometry) - {"type", "coordinates", "bbox"})
    if extra:
        return {f"geometry.{extra[0]}": [_l("Unknown member of a GeoJSON geometry.")]}
    kind = geometry.get("type")
    if kind not in ("Point", "Polygon", "MultiPolygon"):
        return {"geometry.type": [_l("Use a Point, a Polygon or a MultiPolygon.")]}
    if "coordinates" not in geometry:
        return {"geometry.coordinates": [_l("Required.")]}
    counter = [0]
    coordinates = geometry["coordinates"]
    path = "geometry.coordinates"
    if kind == "Point":
        problem = _position_problem(coordinates, path, counter)
    elif kind == "Polygon":
        problem = _polygon_problem(coordinates, path, counter)
    else:
        problem = _list_problem(coordinates, path)
        if problem is None:
            for i, polygon in enumerate(coordinates):
                problem = _polygon_problem(polygon, f"{path}.{i}", counter)
                if problem:
                    break
    return dict([problem]) if problem else {}


_Problem = tuple[str, list[Any]] | None


def _list_problem(value: Any, path: str, minimum: int = 1) -> _Problem:
    if not isinstance(value, list) or len(value) < minimum:
        return path, [_l("Expected a list of at least %(n)d items.", n=minimum)]
    return None


def _position_problem(value: Any, path: str, counter: list[int]) -> _Problem:
    counter[0] += 1
    if counter[0] > MAX_POSITIONS:
        return path, [_l("At most %(n)d positions.", n=MAX_POSITIONS)]
    if not isinstance(value, list) or len(value) not in (2, 3):
        return path, [_l("A position is [longitude, latitude] or with an altitude.")]
    for number in value:
        if isinstance(number, bool) or not isinstance(number, int | float) or (
            isinstance(number, float) and not math.isfinite(number)
        ):
            return path, [_l("Coordinates are numbers.")]
    lon, lat = value[0], value[1]
    if not -180 <= lon <= 180:
        return f"{path}.0", [_l("A longitude lies between -180 and 180.")]
    if not -90 <= lat <= 90:
        return f"{path}.1", [_l("A latitude lies between -90 and 90.")]
    return None


def _polygon_problem(rings: Any, path: str, counter: list[int]) -> _Problem:
    problem = _list_problem(rings, path)
    if problem:
        return problem
    for i, ring in enumerate(rings):
        ring_path = f"{path}.{i}"
        problem = _list_problem(ring, ring_path, 4)
        if problem:
            return ring_path, [_l("A ring has at least four positions.")]
        for j, position in enumerate(ring):
            problem = _position_problem(position, f"{ring_path}.{j}", counter)
            if problem:
                return problem
        if ring[0] != ring[-1]:
            return ring_path, [_l("A ring is closed: its last position repeats its first.")]
    return None


# --- helpers ------------------------------------------------------------------------------


def _organisation(organisation_id: int) -> tuple[int, str | None, Any]:
    row = db.session.execute(
        select(Organisation.id, Organisation.province_code, Organisation.org_type).where(
            Organisation.id == organisation_id
        )
    ).first()
    if row is None:
        raise NotFound()
    return row.id, row.province_code, row.org_type


def _unknown_fields(data: Mapping[str, Any]) -> None:
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(
            field_errors={name: [_l("Unknown field.")] for name in sorted(unknown)}
        )


def _validate(
    state: dict[str, Any], organisation_id: int, *, linked: set[int] | None = None
) -> None:
    """Check the whole record and normalise it in place (sets ``province_code``);
    every failing field at once. ``linked``: households already on the area, which stay
    acceptable after they leave the cooperative (the area's history is theirs)."""
    errors: dict[str, list[Any]] = {}

    def err(field: str, message: Any) -> None:
        errors.setdefault(field, []).append(message)

    for name, limit in _TEXT_LIMITS.items():
        value = state[name]
        value = value.strip() if isinstance(value, str) else ("" if value is None else value)
        state[name] = value
        if not isinstance(value, str):
            err(name, _l("Enter text."))
        elif len(value) > limit:
            err(name, _l("At most %(n)d characters.", n=limit))
    for name in ("code", "name"):
        if state[name] == "":
            err(name, _l("Required."))

    kind = state["kind"]
    if kind is not None and not isinstance(kind, AreaKind):
        try:
            kind = AreaKind(kind)
        except ValueError:
            err("kind", _l("Not one of the allowed values."))
    elif kind is None:
        err("kind", _l("Required."))
    state["kind"] = kind

    state["area_ha"] = _area_ha(state["area_ha"], err)

    gln = state["gln"]
    if isinstance(gln, str):
        gln = gln.strip() or None
    if gln is not None and not gs1.is_valid_gln(str(gln)):
        err("gln", _l("A GLN has 13 digits, the last a valid check digit."))
    state["gln"] = gln

    if state["geometry"] is not None:
        for field, messages in geometry_problems(state["geometry"]).items():
            errors.setdefault(field, []).extend(messages)
        if isinstance(state["geometry"], dict):  # stored without a stale bounding box
            state["geometry"] = {
                k: v for k, v in state["geometry"].items() if k in ("type", "coordinates")
            }

    state["household_ids"] = _households(
        state["household_ids"], organisation_id, err, linked or set()
    )
    if state["active"] is None:
        state["active"] = True

    # Places last: check_address raises on its own, so collect the other faults first.
    try:
        commune, province = check_address(state["commune_code"])
    except ValidationFailed as refused:
        for field, messages in refused.field_errors.items():
            errors.setdefault(field, []).extend(messages)
        commune, province = None, None
    state["commune_code"] = commune
    state["province_code"] = province

    if errors:
        raise ValidationFailed(field_errors=errors)


def _area_ha(value: Any, err: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return to_decimal(
            value,
            maximum=AREA_HA_MAX,
            below_message=_l("Enter an area of zero or more hectares."),
        )
    except NumberRefused as refused:
        err("area_ha", refused.message)
        return None


def _households(
    values: Iterable[Any] | None, organisation_id: int, err: Any, linked: set[int]
) -> list[int]:
    """Distinct member ids, in the given order; those not ``linked`` yet must be active
    members of the organisation."""
    ids: list[int] = []
    for value in values or ():
        if isinstance(value, bool) or not isinstance(value, int):
            err("household_ids", _l("Member ids are integers."))
            return []
        if value not in ids:
            ids.append(value)
    new = [i for i in ids if i not in linked]
    if not new:
        return ids
    found = set(
        db.session.scalars(
            select(Member.id).where(
                Member.id.in_(new),
                Member.organisation_id == organisation_id,
                Member.left_on.is_(None),
            )
        )
    )
    missing = [i for i in new if i not in found]
    if missing:
        err(
            "household_ids",
            _l(
                "Not active members of this organisation: %(ids)s.",
                ids=", ".join(str(i) for i in missing),
            ),
        )
    return ids


def _check_unique_code(organisation_id: int, code: str, area_id: int | None = None) -> None:
    same = select(ProductionArea.id).where(
        ProductionArea.organisation_id == organisation_id, ProductionArea.code == code
    )
    if area_id is not None:
        same = same.where(ProductionArea.id != area_id)
    with db.session.no_autoflush:
        if db.session.scalar(same.limit(1)) is not None:
            raise Conflict(
                _l("The organisation already has a production area with this code."),
                field_errors={"code": [_l("Already used by another area.")]},
            )


@contextmanager
def _unique_or_conflict() -> Iterator[None]:
    """Flush inside a SAVEPOINT: a concurrent insert of the same code becomes a 409 while
    the request's transaction stays usable."""
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(
            _l("The organisation already has a production area with this code."),
            field_errors={"code": [_l("Already used by another area.")]},
        ) from exc
