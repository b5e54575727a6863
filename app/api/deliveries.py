"""Deliveries under linkage contracts (Decree 98/2018): the shipments of a supplying party
to the contract's offtaker booked against a contract line, and their settlement (accepted
and rejected kg, price per kg, invoice).

Shipping under a contract and receiving with a settlement go through the batch events
(``POST /api/batches/{id}/events/shipping`` with ``contract_id`` and
``contract_line_id``; ``…/receiving`` with ``settlement``); here: the list and one
delivery (whoever reads the contract), booking a shipment already recorded (its shipper),
and settling or correcting the settlement (the buyer). A contract's fulfilment is
``GET /api/contracts/{id}/fulfilment``; the contracts a shipping may name,
``GET /api/organisations/{id}/open-contracts``.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.auth.current import current_actor
from core.db import db
from linkages.schemas.deliveries import (
    DeliveryIn,
    DeliveryListArgs,
    DeliveryOut,
    OpenContractOut,
    SettlementIn,
)
from linkages.services import deliveries

blp = ApiBlueprint(
    "api_deliveries",
    __name__,
    url_prefix="/api/deliveries",
    description="Deliveries under linkage contracts: shipments booked against a contract "
    "line, and their settlement by the buyer.",
)


class OpenContractPage(SelectPage):
    """Pages of ``open_contracts_query`` rows, as ``OpenContractLine``s."""

    @property
    def items(self) -> list[Any]:
        stmt = self.page_of(self.collection)
        if stmt is None:
            return []
        return [deliveries.OpenContractLine(**row._asdict()) for row in db.session.execute(stmt)]


@blp.route("")
class Deliveries(MethodView):
    @blp.arguments(DeliveryListArgs, location="query")
    @blp.response(200, DeliveryOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The deliveries of the contracts the caller reads, newest first; filter by
        contract, line, season, supplier or buyer."""
        return deliveries.list_deliveries(current_actor(), **args)

    @blp.arguments(DeliveryIn)
    @blp.response(201, DeliveryOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Book a shipment my organisation already recorded as a delivery on a line of a
        signed or active contract with its receiver."""
        delivery = deliveries.deliver_shipment(
            current_actor(), data["shipment_id"], data["contract_id"], data["contract_line_id"]
        )
        db.session.commit()
        return delivery


@blp.route("/<int:delivery_id>")
class Delivery(MethodView):
    @blp.response(200, DeliveryOut)
    def get(self, delivery_id: int) -> Any:
        """One delivery and its settlement."""
        return deliveries.get_delivery(current_actor(), delivery_id)


@blp.route("/<int:delivery_id>/settlement")
class Settlement(MethodView):
    @blp.arguments(SettlementIn)
    @blp.response(200, DeliveryOut)
    def post(self, data: dict[str, Any], delivery_id: int) -> Any:
        """Settle the delivery, or correct its settlement: the buyer only. Accepted
        defaults to the received quantity, rejected to shipped − received; together at
        most the shipped kg."""
        delivery = deliveries.settle_delivery(current_actor(), delivery_id, **data)
        db.session.commit()
        return delivery


__all__ = ["OpenContractOut", "OpenContractPage", "blp"]
