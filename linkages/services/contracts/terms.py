"""The terms of a linkage contract: checked whole, applied to the row, and snapshotted.

``validate_terms`` reads a full set of terms (a creation, or the current terms with an
amendment's changes) and raises ``ValidationFailed`` naming every failing field at once;
``apply_terms`` writes checked terms to a contract; ``snapshot_of`` is the JSON a version
keeps of terms and status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.db import db
from core.errors import ValidationFailed
from core.i18n import _l
from core.units import MASS_FACTORS, Unit
from linkages.labels import ORG_STATUS_LABELS
from linkages.models.certifications import CertScheme
from linkages.models.contracts import (
    DisputeResolution,
    LinkageContract,
    LinkageContractLine,
    LinkageContractParty,
    PartyRole,
    PriceMechanism,
    linkage_form,
)
from linkages.models.deliveries import LinkageDelivery
from linkages.models.organisations import COOPERATIVE_TYPES, Organisation, OrgStatus, OrgType
from traceability.models.areas import ProductionArea
from traceability.models.products import Product

# Who may lead a linkage (Decree 98, Art. 3): an enterprise, a cooperative or a union.
LEADER_TYPES = frozenset({OrgType.DN, OrgType.HTX, OrgType.LHHTX})
# An organisation in one of these states can no longer sign anything.
CLOSED_STATUSES = frozenset({OrgStatus.DISSOLVED, OrgStatus.BANKRUPT, OrgStatus.REVOKED})
# Roles whose production areas a product line may cover.
PRODUCING_ROLES = frozenset({PartyRole.PRODUCER, PartyRole.FARMERS_REPRESENTATIVE})
# The figures each price mechanism cannot do without.
PRICE_FIGURES: dict[PriceMechanism, tuple[str, ...]] = {
    PriceMechanism.FIXED: ("price_vnd",),
    PriceMechanism.FLOOR: ("floor_price_vnd",),
    PriceMechanism.MARKET_PLUS: ("premium_vnd",),
    PriceMechanism.FORMULA: ("price_formula",),
    PriceMechanism.NEGOTIATED_AT_HARVEST: (),
}
_VND_FIELDS = ("price_vnd", "floor_price_vnd", "premium_vnd")
_TEXT_FIELDS = (
    "paper_number",
    "price_formula",
    "payment_terms",
    "input_advance_terms",
    "delivery_place",
    "delivery_method",
    "delivery_schedule",
    "breach_handling",
    "risk_sharing",
)
TERM_FIELDS = frozenset(
    {
        "title",
        "stages",
        "parties",
        "lines",
        "price_mechanism",
        "price_unit",
        *_VND_FIELDS,
        *_TEXT_FIELDS,
        "effective_from",
        "effective_to",
        "dispute_resolution",
    }
)
_LIMITS = {"title": 255, "paper_number": 100}

Err = Callable[[str, Any], None]


def current_terms(contract: LinkageContract) -> dict[str, Any]:
    """The contract's terms in the shape ``validate_terms`` reads."""
    terms: dict[str, Any] = {
        name: getattr(contract, name)
        for name in TERM_FIELDS - {"stages", "parties", "lines"}
    }
    terms["stages"] = {
        "inputs": contract.stage_inputs,
        "production": contract.stage_production,
        "processing": contract.stage_processing,
    }
    terms["parties"] = [
        {
            "organisation_id": p.organisation_id,
            "role": p.role,
            "represented_households": p.represented_households,
            "represented_description": p.represented_description,
        }
        for p in contract.parties
    ]
    terms["lines"] = [
        {
            "commodity": line.commodity,
            "product_id": line.product_id,
            "season": line.season,
            "planned_quantity": line.planned_quantity,
            "unit": line.unit,
            "quality_spec": line.quality_spec,
            "required_certifications": list(line.required_certifications or []),
            "raw_material_area_ha": line.raw_material_area_ha,
            "production_area_ids": line.production_area_ids,
            "deliver_from": line.deliver_from,
            "deliver_by": line.deliver_by,
        }
        for line in contract.lines
    ]
    return terms


def blank_terms() -> dict[str, Any]:
    return {
        "title": None,
        "stages": None,
        "parties": [],
        "lines": [],
        "price_mechanism": None,
        "price_unit": None,
        **dict.fromkeys(_VND_FIELDS),
        **dict.fromkeys(_TEXT_FIELDS, ""),
        "effective_from": None,
        "effective_to": None,
        "dispute_resolution": DisputeResolution.NEGOTIATION,
    }


def unknown_fields(data: Mapping[str, Any], allowed: frozenset[str] = TERM_FIELDS) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationFailed(
            field_errors={name: [_l("Unknown field.")] for name in sorted(unknown)}
        )


def validate_terms(terms: dict[str, Any]) -> dict[int, Organisation]:
    """Check and normalise ``terms`` in place; the party organisations by id. Raises
    ValidationFailed with every failing field."""
    errors: dict[str, list[Any]] = {}

    def err(name: str, message: Any) -> None:
        errors.setdefault(name, []).append(message)

    _check_scalars(terms, err)
    _check_price(terms, err)
    organisations = _check_parties(terms, err)
    _check_lines(terms, organisations, err)
    if errors:
        raise ValidationFailed(field_errors=errors)
    return organisations


def _enum(terms: dict[str, Any], name: str, enum_cls: Any, err: Err, *, required: bool) -> None:
    value = terms.get(name)
    if value is None:
        if required:
            err(name, _l("Required."))
        return
    try:
        terms[name] = enum_cls(value)
    except ValueError:
        terms[name] = None
        err(name, _l("Not one of the allowed values."))


def _check_scalars(terms: dict[str, Any], err: Err) -> None:
    title = (terms.get("title") or "").strip()
    terms["title"] = title
    if not title:
        err("title", _l("Required."))
    for name in _TEXT_FIELDS:
        terms[name] = (terms.get(name) or "").strip()
    for name, limit in _LIMITS.items():
        if len(terms[name]) > limit:
            err(name, _l("At most %(n)d characters.", n=limit))
    _enum(terms, "dispute_resolution", DisputeResolution, err, required=True)
    start, end = terms.get("effective_from"), terms.get("effective_to")
    if start is None:
        err("effective_from", _l("Required."))
    elif end is not None and end < start:
        err("effective_to", _l("A contract cannot end before it takes effect."))
    stages = terms.get("stages")
    if not isinstance(stages, Mapping):
        err("stages", _l("Required."))
        return
    clean = {k: bool(stages.get(k)) for k in ("inputs", "production", "processing")}
    terms["stages"] = clean
    if linkage_form(**clean) is None:
        err(
            "stages",
            _l(
                "Offtake alone is no linkage (Decree 98, Art. 4): the contract must also "
                "cover inputs, production or processing."
            ),
        )


def _check_price(terms: dict[str, Any], err: Err) -> None:
    _enum(terms, "price_mechanism", PriceMechanism, err, required=True)
    _enum(terms, "price_unit", Unit, err, required=False)
    for name in _VND_FIELDS:
        value = terms.get(name)
        if value is not None and (not isinstance(value, int) or value < 0):
            err(name, _l("Enter a whole number of đồng, zero or more."))
    mechanism = terms.get("price_mechanism")
    if mechanism is None:
        return
    for name in PRICE_FIGURES[mechanism]:
        if terms.get(name) in (None, ""):
            err(name, _l("This price mechanism needs this figure."))
    if any(terms.get(n) is not None for n in _VND_FIELDS) and terms.get("price_unit") is None:
        err("price_unit", _l("Say which unit the price is per."))


def _party_organisations(ids: set[int]) -> dict[int, Organisation]:
    if not ids:
        return {}
    found = db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    return {org.id: org for org in found}


def _check_parties(terms: dict[str, Any], err: Err) -> dict[int, Organisation]:
    parties = terms.get("parties") or []
    ids = {p.get("organisation_id") for p in parties if isinstance(p.get("organisation_id"), int)}
    organisations = _party_organisations(ids)  # type: ignore[arg-type]
    seen: set[tuple[int, PartyRole]] = set()
    leaders, offtakers = [], 0
    for index, party in enumerate(parties):
        prefix = f"parties.{index}"
        _enum(party, "role", PartyRole, err_at(err, prefix), required=True)
        org = organisations.get(party.get("organisation_id"))  # type: ignore[arg-type]
        role = party.get("role")
        if org is None:
            err(f"{prefix}.organisation_id", _l("No such organisation."))
        elif org.status in CLOSED_STATUSES:
            err(
                f"{prefix}.organisation_id",
                _l("%(name)s is %(status)s and cannot sign.", name=org.name,
                   status=ORG_STATUS_LABELS[org.status]),
            )
        if org is not None and role is not None:
            if (org.id, role) in seen:
                err(prefix, _l("This organisation is listed twice in this role."))
            seen.add((org.id, role))
        if role == PartyRole.LEADER:
            leaders.append((index, org))
        offtakers += role == PartyRole.OFFTAKER
        _check_represented(party, org, prefix, err)
    if len(leaders) != 1:
        err("parties", _l("A linkage has exactly one leader."))
    else:
        index, leader = leaders[0]
        if leader is not None and leader.org_type not in LEADER_TYPES:
            err(f"parties.{index}.role",
                _l("The leader must be an enterprise, a cooperative or a cooperative union."))
    if not offtakers:
        err("parties", _l("Every linkage includes offtake: name at least one offtaker."))
    return organisations


def err_at(err: Err, prefix: str) -> Err:
    return lambda name, message: err(f"{prefix}.{name}", message)


def _check_represented(
    party: dict[str, Any], org: Organisation | None, prefix: str, err: Err
) -> None:
    households = party.get("represented_households")
    party["represented_description"] = (party.get("represented_description") or "").strip()
    if households is None and not party["represented_description"]:
        return
    if org is not None and org.org_type not in COOPERATIVE_TYPES:
        err(f"{prefix}.represented_households",
            _l("Only a cooperative, union or cooperative group represents households."))
    if households is not None and (not isinstance(households, int) or households < 1):
        err(f"{prefix}.represented_households", _l("Enter a number of households, 1 or more."))


def _check_lines(terms: dict[str, Any], organisations: dict[int, Organisation], err: Err) -> None:
    lines = terms.get("lines") or []
    if not lines:
        err("lines", _l("Name at least one product."))
    party_ids = set(organisations)
    producers = {
        p.get("organisation_id")
        for p in terms.get("parties") or []
        if p.get("role") in PRODUCING_ROLES
    }
    term = (terms.get("effective_from"), terms.get("effective_to"))
    for index, line in enumerate(lines):
        _check_line(line, f"lines.{index}", party_ids, producers, err)
        _check_window(line, term, err_at(err, f"lines.{index}"))


def _check_window(line: dict[str, Any], term: tuple[Any, Any], at: Err) -> None:
    """The delivery window: optional dates, ``deliver_by`` not before ``deliver_from``,
    both inside the contract's term (an open end bounds nothing)."""
    start, end = term
    window = {name: line.get(name) for name in ("deliver_from", "deliver_by")}
    for name, day in window.items():
        line[name] = day
        if day is None:
            continue
        if not isinstance(day, date) or isinstance(day, datetime):
            at(name, _l("Enter a date."))
            line[name] = None
        elif (start is not None and day < start) or (end is not None and day > end):
            at(name, _l("The delivery window must lie inside the contract's term."))
    if line["deliver_from"] and line["deliver_by"] and line["deliver_by"] < line["deliver_from"]:
        at("deliver_by", _l("The window cannot close before it opens."))


def _check_line(
    line: dict[str, Any], prefix: str, party_ids: set[int], producers: set[Any], err: Err
) -> None:
    at = err_at(err, prefix)
    line["commodity"] = (line.get("commodity") or "").strip()
    line["season"] = (line.get("season") or "").strip()
    line["quality_spec"] = (line.get("quality_spec") or "").strip()
    if not line["commodity"]:
        at("commodity", _l("Required."))
    elif len(line["commodity"]) > 200:
        at("commodity", _l("At most %(n)d characters.", n=200))
    if len(line["season"]) > 100:
        at("season", _l("At most %(n)d characters.", n=100))
    quantity = line.get("planned_quantity")
    if not isinstance(quantity, Decimal) or not quantity.is_finite() or quantity < 0:
        at("planned_quantity", _l("Enter a quantity of zero or more."))
    _enum(line, "unit", Unit, at, required=True)
    area = line.get("raw_material_area_ha")
    if area is not None and (not isinstance(area, Decimal) or not area.is_finite() or area < 0):
        at("raw_material_area_ha", _l("Enter an area of zero or more hectares."))
    schemes = []
    for scheme in line.get("required_certifications") or []:
        try:
            schemes.append(CertScheme(scheme).value)
        except ValueError:
            at("required_certifications", _l("Not one of the allowed values."))
    line["required_certifications"] = sorted(set(schemes))
    product_id = line.get("product_id")
    line["_kg_per_unit"] = None
    if product_id is not None:
        row = db.session.execute(
            select(Product.organisation_id, Product.kg_per_unit).where(Product.id == product_id)
        ).first()
        # Unknown and foreign products get the same answer: nothing is revealed.
        if row is None or row.organisation_id not in party_ids:
            at("product_id", _l("No such product of a party."))
        else:
            line["_kg_per_unit"] = row.kg_per_unit
    area_ids = sorted(set(line.get("production_area_ids") or []))
    line["production_area_ids"] = area_ids
    if area_ids:
        rows = db.session.execute(
            select(ProductionArea.id, ProductionArea.organisation_id).where(
                ProductionArea.id.in_(area_ids)
            )
        ).all()
        owners = {row.id: row.organisation_id for row in rows}
        if any(owners.get(a) not in producers for a in area_ids):
            at("production_area_ids", _l("Only production areas of a producing party."))


def apply_terms(contract: LinkageContract, terms: Mapping[str, Any]) -> None:
    """Write checked terms to the contract, replacing its parties and lines."""
    for name in TERM_FIELDS - {"stages", "parties", "lines"}:
        if getattr(contract, name, None) != terms[name]:
            setattr(contract, name, terms[name])
    stages = terms["stages"]
    contract.stage_inputs = stages["inputs"]
    contract.stage_production = stages["production"]
    contract.stage_processing = stages["processing"]
    form = linkage_form(**stages)
    assert form is not None  # validate_terms refused the others
    contract.form = form
    before = current_terms(contract) if contract.id else {"parties": None, "lines": None}
    if terms["parties"] != before["parties"]:
        if contract.parties:
            # Deleted before the new rows go in: (contract, organisation, role) is unique.
            contract.parties = []
            db.session.flush()
        contract.parties = [
            LinkageContractParty(
                position=index,
                organisation_id=p["organisation_id"],
                role=p["role"],
                represented_households=p.get("represented_households"),
                represented_description=p.get("represented_description", ""),
            )
            for index, p in enumerate(terms["parties"])
        ]
    lines = [{k: v for k, v in line.items() if k != "_kg_per_unit"} for line in terms["lines"]]
    if lines != before["lines"]:
        _replace_lines(contract, terms["lines"])


def _replace_lines(contract: LinkageContract, lines: list[dict[str, Any]]) -> None:
    """Lines are updated in place, position by position, so that a line keeps its id (and
    the deliveries booked against it) through amendments; lines past the new end go, unless
    deliveries were booked against them (422 naming ``lines``)."""
    kept, dropped = contract.lines[: len(lines)], contract.lines[len(lines):]
    if dropped:
        delivered = db.session.scalar(
            select(LinkageDelivery.id)
            .where(LinkageDelivery.line_id.in_([line.id for line in dropped if line.id]))
            .limit(1)
        )
        if delivered is not None:
            raise ValidationFailed(
                field_errors={
                    "lines": [_l("A line with deliveries cannot be removed; amend it instead.")]
                }
            )
    for index, line in enumerate(lines):
        if index < len(kept):
            _fill_line(kept[index], index, line)
        else:
            contract.lines.append(_fill_line(LinkageContractLine(), index, line))
    for line in dropped:
        contract.lines.remove(line)


def _fill_line(
    row: LinkageContractLine, index: int, line: Mapping[str, Any]
) -> LinkageContractLine:
    unit = line["unit"]
    factor = MASS_FACTORS.get(unit, line.get("_kg_per_unit"))
    areas = []
    if line["production_area_ids"]:
        areas = list(
            db.session.scalars(
                select(ProductionArea)
                .where(ProductionArea.id.in_(line["production_area_ids"]))
                # The relationship's own order: compared and stored below, and read
                # back in this order, so PostgreSQL's arbitrary order never shows.
                .order_by(ProductionArea.id)
            )
        )
    values = {
        "position": index,
        "commodity": line["commodity"],
        "product_id": line.get("product_id"),
        "season": line["season"],
        "planned_quantity": line["planned_quantity"],
        "unit": unit,
        "planned_quantity_kg": None if factor is None else line["planned_quantity"] * factor,
        "quality_spec": line["quality_spec"],
        "required_certifications": line["required_certifications"],
        "raw_material_area_ha": line.get("raw_material_area_ha"),
        "deliver_from": line.get("deliver_from"),
        "deliver_by": line.get("deliver_by"),
    }
    for name, value in values.items():
        if getattr(row, name, None) != value:
            setattr(row, name, value)
    if row.production_area_ids != [area.id for area in areas]:
        row.production_areas = areas
    return row


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):  # an enum
        return value.value
    return value


def snapshot_of(contract: LinkageContract) -> dict[str, Any]:
    """The contract's terms and status as JSON values (dates ISO, decimals as text)."""
    terms = current_terms(contract)
    out: dict[str, Any] = {
        name: _json(value) for name, value in terms.items() if name not in ("parties", "lines")
    }
    out["parties"] = [{k: _json(v) for k, v in p.items()} for p in terms["parties"]]
    out["lines"] = [{k: _json(v) for k, v in line.items()} for line in terms["lines"]]
    for line, row in zip(out["lines"], contract.lines, strict=True):
        line["planned_quantity_kg"] = _json(row.planned_quantity_kg)
    out["status"] = contract.status.value
    out["form"] = contract.form
    out["code"] = contract.code
    out["terms_version"] = contract.terms_version
    return out
