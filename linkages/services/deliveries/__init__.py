"""Deliveries under linkage contracts (Decree 98/2018; issue 11 §3): who may see and do
what (``access``), shipping, receiving and settling (``recording``), fulfilment and the
side-selling signal (``fulfilment``); a delivery follows the correction of its shipping
(``shipping``, connected when this package is imported). Import the functions from here."""

from linkages.services.deliveries.access import (
    DELIVERABLE,
    ContractRef,
    DeliveryPermissions,
    OpenContractLine,
    delivery_permissions,
    get_delivery,
    list_deliveries,
    open_contracts_for,
    open_contracts_query,
    shipment_contracts,
    shipment_deliveries,
)
from linkages.services.deliveries.fulfilment import (
    ContractFulfilment,
    LineFulfilment,
    PairFigures,
    SideSelling,
    contract_fulfilment,
    pair_figures,
    ratio,
)
from linkages.services.deliveries.recording import (
    Delivered,
    deliver_shipment,
    receive_under_contract,
    settle_delivery,
    ship_under_contract,
)
from linkages.services.deliveries.shipping import follow_shipping_correction

__all__ = [
    "DELIVERABLE",
    "ContractFulfilment",
    "ContractRef",
    "Delivered",
    "DeliveryPermissions",
    "LineFulfilment",
    "OpenContractLine",
    "PairFigures",
    "SideSelling",
    "contract_fulfilment",
    "deliver_shipment",
    "delivery_permissions",
    "follow_shipping_correction",
    "get_delivery",
    "list_deliveries",
    "open_contracts_for",
    "open_contracts_query",
    "pair_figures",
    "ratio",
    "receive_under_contract",
    "settle_delivery",
    "ship_under_contract",
    "shipment_contracts",
    "shipment_deliveries",
]
