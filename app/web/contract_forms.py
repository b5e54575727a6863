"""The forms of the linkage contract pages and their translation into the contract
service's terms.

The contract form works without JavaScript: a fixed number of party and product rows,
and an "Add a row" button that posts the form back with one more (as the pooled harvest
form does); empty rows are ignored. Parties are chosen by registration code, as the
shipping form chooses its receiver. The Decree 98 form is never asked: the service
derives it from the stage boxes. The price mechanism takes one figure, the one it needs
(``PRICE_FIGURES``), typed once in ``price_figure``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.web import register_support as reg
from app.web.certifications import SCHEME_LABELS
from app.web.form_support import (
    date_field,
    not_in_future,
    parse_quantity,
    plain_qty,
    quantity_field,
    select_choices,
    unit_choices,
    within_calendar,
)
from core.errors import ValidationFailed
from core.i18n import _l
from linkages.labels import (
    CONTRACT_STATUS_LABELS,
    DISPUTE_LABELS,
    PARTY_ROLE_LABELS,
    PRICE_MECHANISM_LABELS,
)
from linkages.models.contracts import ContractStatus, LinkageContract, PriceMechanism
from linkages.models.organisations import Organisation
from linkages.services.contracts.recording import REASON_LIMIT
from linkages.services.contracts.terms import PRICE_FIGURES, current_terms
from linkages.services.party_lookup import organisations_by_codes
from traceability.models.areas import ProductionArea

PARTY_ROWS, MAX_PARTY_ROWS = 3, 12  # party rows shown at first, and at most
LINE_ROWS, MAX_LINE_ROWS = 1, 20  # product rows likewise
TEXT_LIMIT = 4000  # the free-text terms: a page of text each
STAGES = ("inputs", "production", "processing")
PRICE_NUMBERS = ("price_vnd", "floor_price_vnd", "premium_vnd")
# A product row's fields that are the line's terms of the same name.
LINE_FIELDS = ("commodity", "product_id", "season", "planned_quantity", "unit", "quality_spec",
               "required_certifications", "raw_material_area_ha", "deliver_from", "deliver_by")


def _long_text(label: Any, **kw: Any) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[Optional(), Length(max=TEXT_LIMIT,
                                       message=_l("At most %(n)d characters.", n=TEXT_LIMIT))],
        **kw,
    )


def scheme_checkboxes(label: Any) -> SelectMultipleField:
    """Certification schemes to tick, one box each (a phone has no multiple select)."""
    return SelectMultipleField(
        label,
        choices=reg.enum_choices(SCHEME_LABELS),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # an unknown scheme is the service's to name
    )


class PartyRowForm(Form):
    """One party: an organisation by its registration code, in one role."""

    registration_code = StringField(
        _l("Registration code"),
        validators=[Optional(), Length(max=20, message=_l("At most 20 characters."))],
        render_kw={"autocomplete": "off", "list": "contract-organisations"},
    )
    role = SelectField(_l("Role"), choices=reg.enum_choices(PARTY_ROLE_LABELS, blank="—"))
    represented_households = reg.whole_number_field(
        _l("Households it represents"), minimum=1, maximum=10**6
    )
    represented_description = reg.text_field(_l("Who they are"), 500)

    def filled(self) -> bool:
        return bool((self.registration_code.data or "").strip() or self.role.data)


class LineRowForm(Form):
    """One product line: what is grown or made, for which season, how much, to what spec."""

    commodity = reg.text_field(_l("Commodity or product"), 200)
    product_id = SelectField(_l("Our product (optional)"), coerce=int, default=0)
    season = reg.text_field(_l("Season"), 100, description=_l("e.g. Winter–spring 2026"))
    planned_quantity = quantity_field(_l("Planned quantity"), required=False, allow_zero=True)
    unit = SelectField(_l("Unit"), choices=[], default="")
    quality_spec = _long_text(_l("Quality specification"))
    required_certifications = scheme_checkboxes(_l("Required certifications"))
    raw_material_area_ha = quantity_field(
        _l("Raw-material area (ha)"), required=False, allow_zero=True
    )
    # The producing cooperative's areas (``set_choices``); which may be on a line is the
    # service's to say, so a posted id outside the choices reaches it and is refused there.
    production_area_ids = SelectMultipleField(
        _l("Production areas it covers"),
        coerce=int,
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )
    # The delivery window: a delivery shipped on or before ``deliver_by`` is on time, so
    # without it the contract page has no on-time ratio. Inside the term: the service's.
    deliver_from = reg.optional_date_field(_l("Deliver from"))
    deliver_by = reg.optional_date_field(
        _l("Deliver by"), description=_l("A delivery shipped on or before this day is on time.")
    )

    def validate_deliver_by(self, field: DateField) -> None:
        opens = self.deliver_from.data
        if field.data and opens and field.data < opens:
            raise ValidationError(_l("The window cannot close before it opens."))

    def filled(self) -> bool:
        return bool(
            (self.commodity.data or "").strip()
            or (self.planned_quantity.data or "").strip()
            or (self.season.data or "").strip()
            or self.product_id.data
            or self.deliver_from.data
            or self.deliver_by.data
        )


class ContractForm(FlaskForm):
    title = reg.text_field(_l("Title"), 255, required=True)
    paper_number = reg.text_field(_l("Paper contract number"), 100)
    parties = FieldList(
        FormField(PartyRowForm), min_entries=PARTY_ROWS, max_entries=MAX_PARTY_ROWS
    )
    stage_inputs = BooleanField(_l("Supply of inputs"))
    stage_production = BooleanField(_l("Production, harvest"))
    stage_processing = BooleanField(_l("Preparation, processing"))
    lines = FieldList(FormField(LineRowForm), min_entries=LINE_ROWS, max_entries=MAX_LINE_ROWS)
    price_mechanism = SelectField(
        _l("Price mechanism"), choices=reg.enum_choices(PRICE_MECHANISM_LABELS, blank="—")
    )
    price_figure = reg.whole_number_field(
        _l("Price figure (đồng)"),
        description=_l("Fixed: the price; floor: the guaranteed minimum; market plus: the "
                       "premium. None when the price is negotiated at harvest."),
    )
    price_formula = _long_text(_l("Price formula"), description=_l("Only for a formula."))
    price_unit = SelectField(_l("Price per"), choices=[], default="")
    payment_terms = _long_text(_l("Payment terms"))
    input_advance_terms = _long_text(_l("Advance of inputs and how it is repaid"))
    delivery_place = _long_text(_l("Delivery place"))
    delivery_method = _long_text(_l("Delivery method"))
    delivery_schedule = _long_text(_l("Delivery schedule"))
    effective_from = DateField(
        _l("In force from"),
        validators=[DataRequired(message=_l("Enter a date.")), within_calendar],
    )
    effective_to = reg.optional_date_field(_l("In force until"),
                                           description=_l("Leave empty when open-ended."))
    breach_handling = _long_text(_l("Handling of breaches"))
    risk_sharing = _long_text(_l("Risk sharing and force majeure"))
    dispute_resolution = SelectField(
        _l("Dispute resolution"), choices=reg.enum_choices(DISPUTE_LABELS), default="negotiation"
    )

    def filled_parties(self) -> list[int]:
        return [n for n, entry in enumerate(self.parties) if entry.form.filled()]

    def filled_lines(self) -> list[int]:
        return [n for n, entry in enumerate(self.lines) if entry.form.filled()]


def _reason_field() -> TextAreaField:
    return TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Say why.")),
                    Length(max=REASON_LIMIT, message=_l("At most %(n)d characters.",
                                                        n=REASON_LIMIT))],
    )


def _effective_on_field() -> DateField:
    return date_field(_l("Takes effect on"))


class AmendForm(ContractForm):
    reason = _reason_field()
    effective_on = _effective_on_field()


class TransitionForm(FlaskForm):
    status = SelectField(_l("New status"), choices=[])
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=REASON_LIMIT,
                                       message=_l("At most %(n)d characters.", n=REASON_LIMIT))],
        description=_l("Required to terminate or to record a breach."),
    )
    effective_on = _effective_on_field()


class SignedOnForm(FlaskForm):
    """Confirming the terms, or verifying the paper contract: the day it counts from."""

    signed_on = DateField(
        _l("Signed on"), validators=[Optional(), within_calendar, not_in_future],
        description=_l("Leave empty for today."),
    )


class AttachmentForm(FlaskForm):
    file = FileField(_l("Signed scan (PDF, JPEG or PNG)"))


# --------------------------------------------------------------------------- choices


def area_label(area: ProductionArea) -> str:
    """An area as a product row offers it: its code and name, and its planting-area code
    (mã số vùng trồng) when it has one."""
    text = f"{area.code} · {area.name}"
    if area.planting_area_code:
        text += " · " + str(_l("planting-area code %(code)s", code=area.planting_area_code))
    return text


def set_choices(
    form: ContractForm, products: Iterable[Any], areas: Iterable[ProductionArea] = ()
) -> None:
    """The unit, product and production area lists of the form (the organisation's own
    products; the areas ``contracts.areas_to_offer`` answers)."""
    area_choices = select_choices((area.id, area_label(area)) for area in areas)
    units = unit_choices("—")
    form.price_unit.choices = units
    product_choices = select_choices(
        [(0, "—"), *((p.id, f"{p.code} · {p.name}") for p in products)]
    )
    for entry in form.lines:
        entry.form.unit.choices = units
        entry.form.production_area_ids.choices = area_choices
        chosen = entry.form.product_id.data
        # A line may name another party's product: kept as it is through an amendment.
        other = [SelectChoice(chosen, _l("Another party's product"))] if chosen and chosen not in {
            choice.value for choice in product_choices} else []
        entry.form.product_id.choices = [*product_choices, *other]


def transition_choices(form: TransitionForm, targets: Iterable[ContractStatus]) -> None:
    form.status.choices = select_choices(
        (status.value, CONTRACT_STATUS_LABELS[status])
        for status in ContractStatus
        if status in set(targets)
    )


def added_row(form: ContractForm, post: Mapping[str, Any]) -> bool:
    """An "Add a party" / "Add a product" button was pressed: one more row (up to the cap),
    keeping what was typed; nothing is checked or recorded yet."""
    if "add_party" in post:
        if len(form.parties) < MAX_PARTY_ROWS:
            form.parties.append_entry()
        return True
    if "add_line" in post:
        if len(form.lines) < MAX_LINE_ROWS:
            form.lines.append_entry()
        return True
    return False


# --------------------------------------------------------------------------- form → terms


def field_map(parties: list[int], lines: list[int]) -> dict[str, str]:
    """Where the service's messages go: each beside its field, a row's in that row (the
    service numbers the filled rows only)."""
    fields: dict[str, str] = {name: name for name in (
        "title", "paper_number", "price_mechanism", "price_unit", "price_formula",
        "payment_terms", "input_advance_terms", "delivery_place", "delivery_method",
        "delivery_schedule", "effective_from", "effective_to", "breach_handling",
        "risk_sharing", "dispute_resolution", "reason", "effective_on",
    )}
    fields.update({name: "price_figure" for name in PRICE_NUMBERS})
    fields["stages"] = "stage_inputs"
    fields["parties"] = f"parties.{parties[0] if parties else 0}.role"
    fields["lines"] = f"lines.{lines[0] if lines else 0}.commodity"
    for n, row in enumerate(parties):
        fields[f"parties.{n}"] = f"parties.{row}.role"
        fields[f"parties.{n}.organisation_id"] = f"parties.{row}.registration_code"
        for name in ("role", "represented_households", "represented_description"):
            fields[f"parties.{n}.{name}"] = f"parties.{row}.{name}"
    for n, row in enumerate(lines):
        fields[f"lines.{n}"] = f"lines.{row}.commodity"
        for name in LINE_FIELDS:
            fields[f"lines.{n}.{name}"] = f"lines.{row}.{name}"
        # Shown beside the area boxes, or where the row says who adds them.
        fields[f"lines.{n}.production_area_ids"] = f"lines.{row}.production_area_ids"
    return fields


def _text(value: str | None) -> str:
    return (value or "").strip()


def _parties(form: ContractForm, rows: list[int]) -> list[dict[str, Any]]:
    """The filled party rows, their codes resolved; ValidationFailed beside each code that
    names no organisation (or is missing)."""
    entries = [form.parties[n].form for n in rows]
    found = organisations_by_codes(_text(e.registration_code.data) for e in entries)
    errors: dict[str, list[Any]] = {}
    parties = []
    for n, entry in enumerate(entries):
        code = _text(entry.registration_code.data)
        org = found.get(code)
        if org is None:
            errors[f"parties.{n}.organisation_id"] = [
                _l("No organisation has this registration code.") if code
                else _l("Enter the registration code.")
            ]
        parties.append({
            "organisation_id": org.id if org else None,
            "role": entry.role.data or None,
            "represented_households": reg.parse_whole(entry.represented_households.data),
            "represented_description": _text(entry.represented_description.data),
        })
    if errors:
        raise ValidationFailed(field_errors=errors)
    return parties


def _areas(field: SelectMultipleField, kept: list[int]) -> list[int]:
    """A row's production areas: those ticked among the offered ones, and the line's
    others (another producing party's, one no longer offered) kept as they are. Without
    an offer the row shows none and the line keeps its own."""
    offered = {choice.value for choice in field.choices or []}
    if not offered:
        return list(kept)
    return [*(a for a in kept if a not in offered), *(field.data or [])]


def _lines(form: ContractForm, rows: list[int], kept: list[dict[str, Any]]) -> list[Any]:
    """The filled product rows. Terms of a line the form does not show, and the areas it
    does not offer, are kept from the line in the same place (``kept``)."""
    lines = []
    for n, row in enumerate(rows):
        entry = form.lines[row].form
        same_place = kept[n] if n < len(kept) else {}
        base = {k: v for k, v in same_place.items() if k not in LINE_FIELDS}
        area = _text(entry.raw_material_area_ha.data)
        line_areas = _areas(entry.production_area_ids, base.get("production_area_ids") or [])
        lines.append({
            **base,
            "commodity": _text(entry.commodity.data),
            "product_id": entry.product_id.data or None,
            "season": _text(entry.season.data),
            "planned_quantity": parse_quantity(entry.planned_quantity.data),
            "unit": entry.unit.data or None,
            "quality_spec": _text(entry.quality_spec.data),
            "required_certifications": list(entry.required_certifications.data or []),
            "raw_material_area_ha": parse_quantity(area) if area else None,
            "production_area_ids": line_areas,
            "deliver_from": entry.deliver_from.data,
            "deliver_by": entry.deliver_by.data,
        })
    return lines


def terms_of(form: ContractForm, contract: LinkageContract | None = None) -> dict[str, Any]:
    """The service's terms from a validated form (``contract``: the one being amended)."""
    mechanism = form.price_mechanism.data or None
    figure = reg.parse_whole(form.price_figure.data)
    needed = PRICE_FIGURES.get(PriceMechanism(mechanism), ()) if mechanism else ()
    kept = current_terms(contract)["lines"] if contract is not None else []
    terms: dict[str, Any] = {
        "title": _text(form.title.data),
        "paper_number": _text(form.paper_number.data),
        "parties": _parties(form, form.filled_parties()),
        "stages": {stage: bool(getattr(form, f"stage_{stage}").data) for stage in STAGES},
        "lines": _lines(form, form.filled_lines(), kept),
        "price_mechanism": mechanism,
        "price_unit": form.price_unit.data or None,
        # Only the figure this mechanism uses; the others are cleared.
        **{name: figure if name in needed else None for name in PRICE_NUMBERS},
        "price_formula": _text(form.price_formula.data) if "price_formula" in needed else "",
        "effective_from": form.effective_from.data,
        "effective_to": form.effective_to.data,
        "dispute_resolution": form.dispute_resolution.data or None,
    }
    for name in ("payment_terms", "input_advance_terms", "delivery_place", "delivery_method",
                 "delivery_schedule", "breach_handling", "risk_sharing"):
        terms[name] = _text(getattr(form, name).data)
    return terms


# --------------------------------------------------------------------------- terms → form


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _number(value: Decimal | int | None) -> str:
    return "" if value is None else plain_qty(value)


def form_data_of(contract: LinkageContract, codes: Mapping[int, Organisation]) -> dict[str, Any]:
    """The contract's terms as the form's fields (``codes``: its party organisations by
    id), to fill the amendment form, and for tests to post."""
    terms = current_terms(contract)
    mechanism = terms["price_mechanism"]
    figures = [terms[name] for name in PRICE_FIGURES[mechanism] if name in PRICE_NUMBERS]
    data: dict[str, Any] = {
        "title": terms["title"],
        "paper_number": terms["paper_number"],
        "price_mechanism": mechanism.value,
        "price_figure": str(figures[0]) if figures and figures[0] is not None else "",
        "price_formula": terms["price_formula"],
        "price_unit": terms["price_unit"].value if terms["price_unit"] else "",
        "effective_from": _day(terms["effective_from"]),
        "effective_to": _day(terms["effective_to"]),
        "dispute_resolution": terms["dispute_resolution"].value,
    }
    for name in ("payment_terms", "input_advance_terms", "delivery_place", "delivery_method",
                 "delivery_schedule", "breach_handling", "risk_sharing"):
        data[name] = terms[name]
    for stage in STAGES:
        if terms["stages"][stage]:
            data[f"stage_{stage}"] = "y"
    for n, party in enumerate(terms["parties"]):
        org = codes.get(party["organisation_id"])
        data[f"parties-{n}-registration_code"] = org.registration_code if org else ""
        data[f"parties-{n}-role"] = party["role"].value
        households = party["represented_households"]
        data[f"parties-{n}-represented_households"] = "" if households is None else str(households)
        data[f"parties-{n}-represented_description"] = party["represented_description"]
    for n, line in enumerate(terms["lines"]):
        prefix = f"lines-{n}-"
        data[prefix + "commodity"] = line["commodity"]
        data[prefix + "product_id"] = str(line["product_id"] or 0)
        data[prefix + "season"] = line["season"]
        data[prefix + "planned_quantity"] = _number(line["planned_quantity"])
        data[prefix + "unit"] = line["unit"].value
        data[prefix + "quality_spec"] = line["quality_spec"]
        data[prefix + "required_certifications"] = list(line["required_certifications"])
        data[prefix + "raw_material_area_ha"] = _number(line["raw_material_area_ha"])
        data[prefix + "production_area_ids"] = [str(a) for a in line["production_area_ids"]]
        data[prefix + "deliver_from"] = _day(line["deliver_from"])
        data[prefix + "deliver_by"] = _day(line["deliver_by"])
    return data
