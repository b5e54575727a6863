"""The linkage-contract part of the batch page's shipping and receiving forms (phones, no
JavaScript): shipping may name one of the cooperative's open contracts ("Under
contract"), and receiving a shipment delivered under a contract settles it (accepted and
rejected kg, price per kg, invoice number, with defaults filled in).

The rules are the services': ``linkages.services.deliveries`` ships, receives and settles;
this module only turns form fields into their arguments and their defaults into fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from app.web.form_support import parse_quantity, plain_qty, quantity_field, select_choices
from core.actor import Actor
from core.boundary import ascii_int
from core.db import MAX_BIGINT, db
from core.errors import ValidationFailed
from core.i18n import _, _l
from core.units import MASS_FACTORS
from linkages.models.contracts import LinkageContract
from linkages.models.deliveries import LinkageDelivery
from linkages.services import deliveries
from traceability.services import recording as events

# Service field names → the form's fields, added to the batch forms' own mapping.
FIELDS = {
    "contract_id": "contract_line",
    "contract_line_id": "contract_line",
    "batch_id": "contract_line",
    "settlement": "accepted_kg",
    "settlement.accepted_kg": "accepted_kg",
    "settlement.rejected_kg": "rejected_kg",
    "settlement.price_vnd_per_kg": "price_vnd_per_kg",
    "settlement.invoice_number": "invoice_number",
    "settlement.received_on": "at",
}


def contract_field() -> SelectField:
    return SelectField(
        _l("Under contract"),
        choices=[],
        default="",
        # Checked by the service, which names the field: a stale choice gets a message.
        validate_choice=False,
        description=_l("A signed linkage contract with this buyer, if the goods go under one."),
    )


class SettlementFields(FlaskForm):
    """The settlement of a delivery under a contract, on the receiving form."""

    accepted_kg = quantity_field(_l("Accepted (kg)"), required=False, allow_zero=True)
    rejected_kg = quantity_field(_l("Rejected (kg)"), required=False, allow_zero=True)
    price_vnd_per_kg = IntegerField(
        _l("Price (đồng per kg)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_BIGINT,
                                            message=_l("Enter a whole number of đồng."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    invoice_number = StringField(
        _l("Invoice no."),
        validators=[Optional(), Length(max=64, message=_l("At most 64 characters."))],
    )


def offer_contracts(form: Any, actor: Actor, organisation_id: int) -> None:
    """The shipping form's choices: none, or a line of an open contract with its buyer."""
    lines = deliveries.open_contracts_for(actor, organisation_id)
    form.contract_line.choices = select_choices([("", _("— Not under a contract —"))] + [
        (f"{c.contract_id}-{c.line_id}",
         " · ".join(part for part in (c.code, c.buyer_name, c.commodity, c.season) if part))
        for c in lines
    ])


def ship(actor: Actor, batch_id: int, form: Any, **shipping: Any) -> events.Recorded:
    """Record the shipping, under the chosen contract line when there is one."""
    chosen = form.contract_line.data or ""
    if not chosen:
        return events.record_shipping(actor, batch_id, **shipping)
    parts = [ascii_int(part) for part in chosen.split("-")]
    contract_id, line_id = parts if len(parts) == 2 else (None, None)
    if contract_id is None or line_id is None:
        raise ValidationFailed(field_errors={"contract_id": [_l("Not one of the choices.")]})
    return deliveries.ship_under_contract(
        actor, batch_id, contract_id, line_id, **shipping
    ).recorded


def delivered(actor: Actor, shipment_ids: list[int]) -> dict[int, LinkageDelivery]:
    return deliveries.shipment_deliveries(actor, shipment_ids)


def delivered_under(actor: Actor, shipment_ids: list[int]) -> dict[int, deliveries.ContractRef]:
    return deliveries.shipment_contracts(actor, shipment_ids)


def with_contract(label: str, contract: deliveries.ContractRef | None) -> str:
    """A shipment's choice on the receiving form, naming the contract it is delivered
    under (when it is)."""
    if contract is None:
        return label
    return _("%(shipment)s · under contract %(code)s", shipment=label, code=contract.code)


def fill_settlement(form: Any, delivery: LinkageDelivery | None) -> None:
    """Defaults for a GET: accept all that was shipped, reject nothing, the contract's
    price when it is quoted per unit of mass."""
    if delivery is None or request.method != "GET":
        return
    form.accepted_kg.data = plain_qty(delivery.shipped_kg)
    form.rejected_kg.data = "0"
    contract = db.session.get(LinkageContract, delivery.contract_id)
    factor = MASS_FACTORS.get(contract.price_unit) if contract and contract.price_unit else None
    if contract is not None and contract.price_vnd is not None and factor:
        form.price_vnd_per_kg.data = int(Decimal(contract.price_vnd) / factor)


def receive(
    actor: Actor, shipment_id: int, form: Any, under_contract: bool, **receiving: Any
) -> events.Recorded:
    """Record the receiving; a shipment under a contract is settled with the form's
    figures (blank ones take the service's defaults)."""
    settlement = None
    if under_contract:
        settlement = {
            "accepted_kg": parse_quantity(form.accepted_kg.data),
            "rejected_kg": parse_quantity(form.rejected_kg.data),
            "price_vnd_per_kg": form.price_vnd_per_kg.data,
            "invoice_number": form.invoice_number.data or "",
        }
    return deliveries.receive_under_contract(
        actor, shipment_id, settlement=settlement, **receiving
    ).recorded
