"""Deliveries under linkage contracts as the API takes and shows them: the deliveries
list and detail, the settlement, a contract's fulfilment, the open contracts a shipping
may name, and the contract fields of the shipping and receiving bodies."""

from __future__ import annotations

import marshmallow as ma
from marshmallow.validate import Length, Range

from core.db import MAX_BIGINT
from core.schemas import QuerySchema, StrictSchema
from linkages.models.contracts import ContractStatus
from traceability.schemas.batches import RecordedOut
from traceability.schemas.events_in import ReceivingIn, ShippingIn

_KG = Range(min=0, max=10**12)


def _kg_in(description: str) -> ma.fields.Decimal:
    return ma.fields.Decimal(
        allow_none=True, allow_nan=False, validate=_KG, load_default=None,
        metadata={"description": description},
    )


def _kg_out(**kwargs: object) -> ma.fields.Decimal:
    return ma.fields.Decimal(as_string=True, **kwargs)  # type: ignore[arg-type]


class SettlementIn(StrictSchema):
    accepted_kg = _kg_in("Accepted kg (default: the received quantity).")
    rejected_kg = _kg_in("Rejected kg (default: shipped − received).")
    price_vnd_per_kg = ma.fields.Integer(
        strict=True, allow_none=True, load_default=None, validate=Range(min=0, max=MAX_BIGINT),
        metadata={"description": "Price paid, whole đồng per kg."},
    )
    invoice_number = ma.fields.String(
        allow_none=True, load_default=None, validate=Length(max=64)
    )
    received_on = ma.fields.Date(
        load_default=None,
        metadata={"description": "Day received (default: the receiving's day, else today)."},
    )


class ShippingUnderContractIn(ShippingIn):
    contract_id = ma.fields.Integer(
        strict=True, load_default=None,
        metadata={"description": "Ship under this signed or active linkage contract: the "
                  "receiver must be its offtaker (GET /api/organisations/{id}/open-contracts)."},
    )
    contract_line_id = ma.fields.Integer(
        strict=True, load_default=None,
        metadata={"description": "The contract line delivered (with contract_id)."},
    )


class ReceivingWithSettlementIn(ReceivingIn):
    settlement = ma.fields.Nested(
        SettlementIn, load_default=None, allow_none=True,
        metadata={"description": "For a shipment delivered under a contract: the "
                  "settlement (defaults apply without it)."},
    )


class DeliveryIn(StrictSchema):
    shipment_id = ma.fields.Integer(strict=True, required=True)
    contract_id = ma.fields.Integer(strict=True, required=True)
    contract_line_id = ma.fields.Integer(strict=True, required=True)


class DeliveryListArgs(QuerySchema):
    contract_id = ma.fields.Integer(load_default=None)
    line_id = ma.fields.Integer(load_default=None)
    season = ma.fields.String(load_default=None, validate=Length(max=100))
    supplier_id = ma.fields.Integer(load_default=None)
    buyer_id = ma.fields.Integer(load_default=None)


class FulfilmentArgs(QuerySchema):
    on = ma.fields.Date(load_default=None, metadata={"description": "Default today."})


class OpenContractsArgs(QuerySchema):
    buyer_id = ma.fields.Integer(load_default=None)
    on = ma.fields.Date(load_default=None, metadata={"description": "Default today."})


class DeliveryOut(ma.Schema):
    id = ma.fields.Integer()
    contract_id = ma.fields.Integer()
    line_id = ma.fields.Integer()
    shipment_id = ma.fields.Integer()
    batch_id = ma.fields.Integer()
    supplier_id = ma.fields.Integer()
    buyer_id = ma.fields.Integer()
    shipped_on = ma.fields.Date()
    shipped_kg = _kg_out()
    settled = ma.fields.Boolean()
    received_on = ma.fields.Date(allow_none=True)
    accepted_kg = _kg_out(allow_none=True)
    rejected_kg = _kg_out(allow_none=True)
    price_vnd_per_kg = ma.fields.Integer(allow_none=True)
    invoice_number = ma.fields.String()
    settled_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()


class RecordedDeliveryOut(RecordedOut):
    delivery = ma.fields.Nested(DeliveryOut, allow_none=True)


class SideSellingOut(ma.Schema):
    signal = ma.fields.Boolean()
    elsewhere_kg = _kg_out()
    buyers = ma.fields.Integer()
    expected_kg = _kg_out(allow_none=True)
    accepted_kg = _kg_out()


class _LineOut(ma.Schema):
    """What names a contract line in the answers below."""

    line_id = ma.fields.Integer()
    commodity = ma.fields.String()
    season = ma.fields.String()
    product_id = ma.fields.Integer(allow_none=True)
    deliver_from = ma.fields.Date(allow_none=True)
    deliver_by = ma.fields.Date(allow_none=True)


class LineFulfilmentOut(_LineOut):
    position = ma.fields.Integer()
    planned_kg = _kg_out(allow_none=True)
    shipped_kg = _kg_out()
    accepted_kg = _kg_out()
    rejected_kg = _kg_out()
    deliveries = ma.fields.Integer()
    settled = ma.fields.Integer()
    with_window = ma.fields.Integer()
    on_time = ma.fields.Integer()
    fulfilment = ma.fields.Float(allow_none=True, metadata={"description": "accepted / planned"})
    shortfall_kg = _kg_out(allow_none=True)
    accepted_ratio = ma.fields.Float(allow_none=True)
    on_time_ratio = ma.fields.Float(allow_none=True)
    side_selling = ma.fields.Nested(SideSellingOut)


class ContractFulfilmentOut(ma.Schema):
    contract_id = ma.fields.Integer()
    code = ma.fields.String()
    on = ma.fields.Date()
    side_selling = ma.fields.Boolean()
    lines = ma.fields.List(ma.fields.Nested(LineFulfilmentOut))


class OpenContractOut(_LineOut):
    contract_id = ma.fields.Integer()
    code = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Enum(ContractStatus, by_value=True)
    buyer_id = ma.fields.Integer()
    buyer_name = ma.fields.String()
