"""Products (SKUs) of an organisation, and the commodities they belong to.

Visibility: a product is catalogue data, not a secret: its name, commodity and GTIN are
printed on every label and shown on every public trace page. So any authenticated user
reads any organisation's products (the anonymous consumer sees them through trace pages).

Writes: the organisation's own users (org admin and staff) and platform admins create and
edit its products, except the GTIN: setting, changing or removing a GTIN is for an org
admin (or platform admin), because the GTIN is the organisation's GS1 licence showing on
every label it prints. Once a product has batches, its GTIN can no longer be changed or
removed (their printed labels carry it); a product without one may still gain one.
Products are never deleted: ``active = False`` retires one.

GTINs: any valid GTIN-8/12/13/14 is accepted and stored as 14 digits (unique on the whole
platform, since a GTIN names one trade item worldwide). "893 prefix for Vietnamese
GTIN-13" is read as a fact to show, not a rule to enforce: a GTIN-13 starting with 893 was
issued by GS1 Vietnam and is flagged ``is_vietnamese_gtin``; a valid GTIN under another
prefix (a foreign brand owner, an importer's own code) is accepted too, unflagged. The
check digit is what is refused.

Nothing here commits: the caller commits once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError

from core.actor import Actor, can_read_private, can_write, require_authenticated
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import _l
from core.numbers import NumberRefused, to_decimal
from core.units import MASS_FACTORS, Unit
from linkages.models.organisations import Organisation
from traceability import gs1
from traceability.models.batches import Batch
from traceability.models.products import DEFAULT_UNITS, Commodity, Product

EDITABLE_FIELDS = frozenset(
    {
        "code",
        "name",
        "commodity",
        "gtin",
        "default_unit",
        "kg_per_unit",
        "pack_size",
        "pack_unit",
        "description",
        "applied_standards",
        "active",
    }
)
CODE_MAX = 20  # with the tax code it forms the platform product reference (≤ 40 chars)
_CODE_RE = re.compile(r"[A-Za-z0-9._-]+\Z")
NAME_MAX = 200
DESCRIPTION_MAX = 5000
# Applied standards (Decree 37/2026 Art. 23.5 i): a few names, each one short line. A name
# such as "TCVN 11041-2:2017 Nông nghiệp hữu cơ – Trồng trọt hữu cơ" is under 80 characters.
STANDARD_MAX = 120
STANDARDS_MAX = 20
# Numeric(14, 4) holds less than 10^10; refuse long before the database would.
NUMBER_MAX = Decimal(10) ** 9

COMMODITY_LABELS: Mapping[Commodity, Any] = {
    Commodity.RICE: _l("Rice"),
    Commodity.COFFEE: _l("Coffee"),
    Commodity.PEPPER: _l("Pepper"),
    Commodity.CASHEW: _l("Cashew"),
    Commodity.TEA: _l("Tea"),
    Commodity.FRUIT: _l("Fruit"),
    Commodity.VEGETABLES: _l("Vegetables"),
    Commodity.AQUATIC: _l("Aquatic products"),
    Commodity.LIVESTOCK: _l("Livestock"),
    Commodity.HONEY: _l("Honey"),
    Commodity.HERBS: _l("Medicinal herbs"),
    Commodity.FOREST_PRODUCTS: _l("Forest products"),
    Commodity.SALT: _l("Salt"),
    Commodity.OTHER: _l("Other"),
}


@dataclass(frozen=True, slots=True)
class CommodityInfo:
    code: Commodity
    label: Any  # lazy string: rendered in the language of the request that shows it
    default_unit: Unit


def commodities() -> list[CommodityInfo]:
    """Every commodity, in the order of the enumeration, with its label and default unit.
    Reference data: no actor, no database."""
    return [CommodityInfo(c, COMMODITY_LABELS[c], DEFAULT_UNITS[c]) for c in Commodity]


def needs_kg_per_unit(unit: Unit | None) -> bool:
    """Litres, pieces and heads weigh what the product says; mass units convert alone."""
    return unit is not None and unit not in MASS_FACTORS


# --- reads ------------------------------------------------------------------------------


def list_products(
    actor: Actor,
    *,
    organisation_id: int | None = None,
    commodity: Commodity | None = None,
    q: str | None = None,
    active: bool | None = None,
) -> Select[tuple[Product]]:
    """A select of products for the caller to paginate, by organisation then code.

    Any authenticated user may list (see the module docstring); ``organisation_id``
    narrows to one organisation (NotFound if it does not exist), ``q`` matches code or
    name (case-insensitive substring), ``active`` filters on the retired flag."""
    require_authenticated(actor)
    stmt = select(Product)
    if organisation_id is not None:
        _organisation(organisation_id)
        stmt = stmt.where(Product.organisation_id == organisation_id)
    if commodity is not None:
        stmt = stmt.where(Product.commodity == commodity)
    if active is not None:
        stmt = stmt.where(Product.active.is_(active))
    needle = (q or "").strip()
    if needle:
        stmt = stmt.where(
            or_(
                Product.name.icontains(needle, autoescape=True),
                Product.code.icontains(needle, autoescape=True),
            )
        )
    return stmt.order_by(Product.organisation_id, Product.code, Product.id)


def get_product(actor: Actor, product_id: int) -> Product:
    """The product, for any authenticated user; NotFound when it does not exist."""
    require_authenticated(actor)
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound()
    return product


def may_edit_products(actor: Actor, organisation_id: int) -> bool:
    """Would ``create_product`` and ``update_product`` accept this actor for the
    organisation (its users, or a platform admin)? Pages offer their forms on this."""
    return actor.is_authenticated and can_write(actor, organisation_id)


def may_set_gtin(actor: Actor, organisation_id: int) -> bool:
    """May the actor set, change or remove a GTIN of the organisation's products?"""
    return actor.is_authenticated and can_write(actor, organisation_id, admin_only=True)


def managed_product(actor: Actor, product_id: int, *, edit: bool = False) -> Product:
    """The product as its organisation's management pages show it: NotFound unless the
    actor may read the organisation's private data (a management page is not the
    catalogue); with ``edit``, Forbidden to such readers who may not change it."""
    require_authenticated(actor)
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound()
    province = db.session.scalar(
        select(Organisation.province_code).where(Organisation.id == product.organisation_id)
    )
    if not can_read_private(actor, product.organisation_id, province):
        raise NotFound()
    if edit and not may_edit_products(actor, product.organisation_id):
        raise Forbidden()
    return product


# --- writes -----------------------------------------------------------------------------


def create_product(
    actor: Actor, organisation_id: int | None = None, **data: Any
) -> Product:
    """Create a product of ``organisation_id`` (default: the organisation the actor acts
    for). ``data`` holds ``EDITABLE_FIELDS``; ``default_unit`` defaults to the
    commodity's. Guarantees: a normalised 14-digit GTIN with a valid check digit, unique on
    the platform (409 on ``gtin``); a code unique in the organisation (409 on ``code``);
    ``kg_per_unit`` whenever the default unit is not a mass."""
    _unknown_fields(data)
    require_authenticated(actor)
    org_id = organisation_id if organisation_id is not None else actor.organisation_id
    if org_id is None:
        raise ValidationFailed(
            field_errors={"organisation_id": [_l("Choose the organisation of the product.")]}
        )
    _organisation(org_id)
    _require_write(actor, org_id)
    state: dict[str, Any] = {
        "code": None,
        "name": None,
        "commodity": None,
        "gtin": None,
        "default_unit": None,
        "kg_per_unit": None,
        "pack_size": None,
        "pack_unit": None,
        "description": "",
        "applied_standards": [],
        "active": True,
    }
    state.update(data)
    _validate(state, creating=True)
    if state["gtin"] is not None:
        _require_gtin_admin(actor, org_id)
    _check_unique(org_id, state["code"], state["gtin"])
    product = Product(organisation_id=org_id, **state)
    with _unique_or_conflict():
        db.session.add(product)
    return product


def update_product(actor: Actor, product_id: int, **changes: Any) -> Product:
    """Change a product; the whole result is validated as on creation. A GTIN change
    needs an org admin (403 otherwise) and is refused (409 on ``gtin``) once the product
    has batches, whose labels carry the old one."""
    _unknown_fields(changes)
    require_authenticated(actor)
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound()
    _require_write(actor, product.organisation_id)
    state = {name: getattr(product, name) for name in EDITABLE_FIELDS}
    state.update(changes)
    _validate(state, creating=False)
    if state["gtin"] != product.gtin:
        _require_gtin_admin(actor, product.organisation_id)
        if product.gtin is not None and _has_batches(product.id):
            raise Conflict(
                _l("Batches of this product carry its GTIN on their labels."),
                field_errors={
                    "gtin": [_l("The GTIN of a product with batches cannot change.")]
                },
            )
    _check_unique(product.organisation_id, state["code"], state["gtin"], product.id)
    with _unique_or_conflict():
        for name in EDITABLE_FIELDS:
            if getattr(product, name) != state[name]:
                setattr(product, name, state[name])
    return product


# --- helpers ------------------------------------------------------------------------------


def _organisation(organisation_id: int) -> None:
    """NotFound unless the organisation exists."""
    found = select(Organisation.id).where(Organisation.id == organisation_id)
    if db.session.scalar(found) is None:
        raise NotFound()


def _require_write(actor: Actor, organisation_id: int) -> None:
    # Every authenticated user may read products, so a refused writer learns nothing from a
    # 403: no need for the 404 that hides private records.
    if not can_write(actor, organisation_id):
        raise Forbidden()


def _require_gtin_admin(actor: Actor, organisation_id: int) -> None:
    if not can_write(actor, organisation_id, admin_only=True):
        raise Forbidden(
            _l("Only an org admin sets or changes a GTIN."),
            field_errors={"gtin": [_l("Only an org admin sets or changes a GTIN.")]},
        )


def _has_batches(product_id: int) -> bool:
    first = select(Batch.id).where(Batch.product_id == product_id).limit(1)
    return db.session.scalar(first) is not None


def _unknown_fields(data: Mapping[str, Any]) -> None:
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(
            field_errors={name: [_l("Unknown field.")] for name in sorted(unknown)}
        )


def _enum(enum_cls: Any, value: Any, field: str, err: Any) -> Any:
    if value is None or isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        err(field, _l("Not one of the allowed values."))
        return None


def _positive(value: Any, field: str, err: Any) -> Decimal | None:
    """A Decimal > 0 and below ``NUMBER_MAX``, or None (with an error when not)."""
    if value is None:
        return None
    try:
        return to_decimal(value, strictly_positive=True, maximum=NUMBER_MAX)
    except NumberRefused as refused:
        err(field, refused.message)
        return None


def _standards(value: Any, err: Any) -> list[str]:
    """The applied standards as a clean list: each name on one line with single spaces
    (it is shown as one line), empty ones dropped, a repeat (ignoring case) kept once."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple):
        err("applied_standards", _l("Give a list of standards."))
        return []
    names: dict[str, str] = {}
    for item in value:
        if not isinstance(item, str):
            err("applied_standards", _l("Each standard is a text."))
            continue
        name = " ".join(item.split())
        if len(name) > STANDARD_MAX:
            err("applied_standards",
                _l("A standard has at most %(n)d characters.", n=STANDARD_MAX))
        elif name:
            names.setdefault(name.casefold(), name)
    if len(names) > STANDARDS_MAX:
        err("applied_standards", _l("At most %(n)d standards.", n=STANDARDS_MAX))
    return list(names.values())


def _validate(state: dict[str, Any], *, creating: bool) -> None:
    """Check the whole record and normalise it in place; every failing field at once."""
    errors: dict[str, list[Any]] = {}

    def err(field: str, message: Any) -> None:
        errors.setdefault(field, []).append(message)

    for name in ("code", "name", "description"):
        value = state[name]
        state[name] = value.strip() if isinstance(value, str) else value
    code, name = state["code"], state["name"]
    if not code:
        err("code", _l("Required."))
    elif len(code) > CODE_MAX:
        err("code", _l("At most %(n)d characters.", n=CODE_MAX))
    elif not _CODE_RE.match(code):
        # The code goes into the platform URI printed on labels: keep it to characters
        # that need no percent-encoding there (a subset of GS1's character set 82).
        err("code", _l("Use letters without accents, digits and - . _ only."))
    if not name:
        err("name", _l("Required."))
    elif len(name) > NAME_MAX:
        err("name", _l("At most %(n)d characters.", n=NAME_MAX))
    if state["description"] is None:
        state["description"] = ""
    elif len(state["description"]) > DESCRIPTION_MAX:
        err("description", _l("At most %(n)d characters.", n=DESCRIPTION_MAX))

    state["applied_standards"] = _standards(state["applied_standards"], err)

    state["commodity"] = _enum(Commodity, state["commodity"], "commodity", err)
    if state["commodity"] is None and "commodity" not in errors:
        err("commodity", _l("Required."))
    state["default_unit"] = _enum(Unit, state["default_unit"], "default_unit", err)
    if state["default_unit"] is None and "default_unit" not in errors:
        if creating and state["commodity"] is not None:
            state["default_unit"] = DEFAULT_UNITS[state["commodity"]]
        elif not creating:
            err("default_unit", _l("Required."))
    state["pack_unit"] = _enum(Unit, state["pack_unit"], "pack_unit", err)

    state["kg_per_unit"] = _positive(state["kg_per_unit"], "kg_per_unit", err)
    if (
        needs_kg_per_unit(state["default_unit"])
        and state["kg_per_unit"] is None
        and "kg_per_unit" not in errors
    ):
        err(
            "kg_per_unit",
            _l("Say how many kilograms one %(unit)s weighs.", unit=state["default_unit"].value),
        )
    state["pack_size"] = _positive(state["pack_size"], "pack_size", err)
    if (state["pack_size"] is None) != (state["pack_unit"] is None):
        if state["pack_size"] is None and "pack_size" not in errors:
            err("pack_size", _l("Give the pack size with its unit."))
        elif state["pack_unit"] is None and "pack_unit" not in errors:
            err("pack_unit", _l("Give the unit of the pack size."))

    gtin = state["gtin"]
    if isinstance(gtin, str):
        gtin = gtin.strip() or None
    if gtin is not None:
        try:
            gtin = gs1.normalise_gtin(str(gtin), field="gtin")
        except ValidationFailed as refused:
            for field, messages in refused.field_errors.items():
                errors.setdefault(field, []).extend(messages)
            gtin = None
    state["gtin"] = gtin
    if state["active"] is None:
        state["active"] = True

    if errors:
        raise ValidationFailed(field_errors=errors)


def _check_unique(
    organisation_id: int, code: str, gtin: str | None, product_id: int | None = None
) -> None:
    """Clear 409s, naming the field, before the unique constraints would refuse the row."""
    same_code = select(Product.id).where(
        Product.organisation_id == organisation_id, Product.code == code
    )
    same_gtin = select(Product.id).where(Product.gtin == gtin)
    if product_id is not None:
        same_code = same_code.where(Product.id != product_id)
        same_gtin = same_gtin.where(Product.id != product_id)
    with db.session.no_autoflush:
        if db.session.scalar(same_code.limit(1)) is not None:
            raise Conflict(
                _l("The organisation already has a product with this code."),
                field_errors={"code": [_l("Already used by another product.")]},
            )
        if gtin is not None and db.session.scalar(same_gtin.limit(1)) is not None:
            raise Conflict(
                _l("Another product already has this GTIN."),
                field_errors={"gtin": [_l("Already used by another product.")]},
            )


@contextmanager
def _unique_or_conflict() -> Iterator[None]:
    """Flush inside a SAVEPOINT so that a concurrent insert which slipped past
    ``_check_unique`` becomes a 409 while the request's transaction stays usable."""
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(_l("Another product already has this code or GTIN.")) from exc
