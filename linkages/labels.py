"""How the linkage domain's enumerations read to people: one translated label per value of
contract statuses, party roles, price mechanisms, dispute resolutions, verification
states, checklist items and organisation statuses.

Defined here, in the domain package, so that the pages and the services' problem messages
(which must not name a raw English value such as "terminated") use the same words. The
labels are lazy strings: they are translated when a page or a problem is rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from core.i18n import _l
from linkages.models.contracts import (
    ContractStatus,
    DisputeResolution,
    PartyRole,
    PriceMechanism,
    VersionChange,
)
from linkages.models.organisations import OrgStatus
from linkages.models.suppliers import VerificationStatus

__all__ = [
    "CHECKLIST_LABELS",
    "CONTRACT_STATUS_LABELS",
    "DISPUTE_LABELS",
    "LABELS",
    "ORG_STATUS_LABELS",
    "PARTY_ROLE_LABELS",
    "PRICE_MECHANISM_LABELS",
    "SCORECARD_LABELS",
    "STAGE_LABELS",
    "VERIFICATION_STATUS_LABELS",
    "VERSION_CHANGE_LABELS",
    "label",
]

CONTRACT_STATUS_LABELS: dict[ContractStatus, Any] = {
    ContractStatus.DRAFT: _l("Draft"),
    ContractStatus.SIGNED: _l("Signed"),
    ContractStatus.ACTIVE: _l("In force"),
    ContractStatus.COMPLETED: _l("Completed"),
    ContractStatus.TERMINATED: _l("Terminated"),
    ContractStatus.BREACHED: _l("Breached"),
    ContractStatus.LIQUIDATED: _l("Liquidated"),
}
PARTY_ROLE_LABELS: dict[PartyRole, Any] = {
    PartyRole.LEADER: _l("Linkage leader"),
    PartyRole.INPUT_SUPPLIER: _l("Input supplier"),
    PartyRole.PRODUCER: _l("Producer"),
    PartyRole.PROCESSOR: _l("Processor"),
    PartyRole.OFFTAKER: _l("Offtaker"),
    PartyRole.FARMERS_REPRESENTATIVE: _l("Farmers' representative"),
    PartyRole.WITNESS: _l("Witness"),
}
PRICE_MECHANISM_LABELS: dict[PriceMechanism, Any] = {
    PriceMechanism.FIXED: _l("Fixed price"),
    PriceMechanism.FLOOR: _l("Floor price, market above it"),
    PriceMechanism.MARKET_PLUS: _l("Market price plus a premium"),
    PriceMechanism.FORMULA: _l("Price formula"),
    PriceMechanism.NEGOTIATED_AT_HARVEST: _l("Negotiated at harvest"),
}
DISPUTE_LABELS: dict[DisputeResolution, Any] = {
    DisputeResolution.NEGOTIATION: _l("Negotiation"),
    DisputeResolution.CONCILIATION: _l("Conciliation"),
    DisputeResolution.ARBITRATION: _l("Commercial arbitration"),
    DisputeResolution.COURT: _l("Court"),
}
VERSION_CHANGE_LABELS: dict[VersionChange, Any] = {
    VersionChange.CREATED: _l("Entered as a draft"),
    VersionChange.AMENDED: _l("Amended"),
    VersionChange.SIGNED: _l("Signed by every party"),
    VersionChange.VERIFIED: _l("Paper contract verified by an authority"),
    VersionChange.TRANSITION: _l("Status changed"),
}
# The stages besides offtake (Decree 98, Art. 4), keyed as the terms name them.
STAGE_LABELS: dict[str, Any] = {
    "inputs": _l("Supply of inputs"),
    "production": _l("Production, harvest"),
    "processing": _l("Preparation, processing"),
    "offtake": _l("Offtake"),
}
VERIFICATION_STATUS_LABELS: dict[VerificationStatus, Any] = {
    VerificationStatus.REQUESTED: _l("Awaiting decision"),
    VerificationStatus.VERIFIED: _l("Verified"),
    VerificationStatus.REJECTED: _l("Rejected"),
    VerificationStatus.EXPIRED: _l("Verification expired"),
}
# The items of ``linkages.services.verification.compute_checklist``, by key.
CHECKLIST_LABELS: dict[str, Any] = {
    "registration_active": _l("Registration active"),
    "certifications_valid": _l("Valid certifications, including every one required"),
    "planting_area_codes": _l("Planting-area code on every production area (export)"),
    "traceability_complete": _l("Lots traceable with complete key data"),
}
# The figures of ``linkages.services.scorecard`` and their counts, by key.
SCORECARD_LABELS: dict[str, Any] = {
    "certifications": _l("Valid certifications"),
    "kde_completeness": _l("Lots with complete key data"),
    "recalls": _l("Recalled lots"),
    "scan_flags": _l("Lots with a scan warning"),
    "fulfilment": _l("Contracted quantity delivered"),
    "accepted": _l("Delivered quantity accepted"),
    "on_time": _l("Deliveries on time"),
    "valid": _l("valid"),
    "expiring": _l("expiring within 60 days"),
    "expired": _l("expired"),
    "lots": _l("lots"),
    "complete": _l("complete"),
    "incomplete": _l("incomplete"),
    "copied_serials": _l("copied serial numbers"),
    "after_expiry": _l("scanned after expiry"),
    "after_recall": _l("scanned after a recall"),
    "accepted_kg": _l("kg accepted"),
    "planned_kg": _l("kg contracted"),
    "settled_kg": _l("kg settled"),
    "with_deliver_by": _l("deliveries with a due date"),
}
ORG_STATUS_LABELS: dict[OrgStatus, Any] = {
    OrgStatus.ACTIVE: _l("Active"),
    OrgStatus.SUSPENDED: _l("Suspended"),
    OrgStatus.DISSOLVING: _l("Dissolving"),
    OrgStatus.DISSOLVED: _l("Dissolved"),
    OrgStatus.BANKRUPT: _l("Bankrupt"),
    OrgStatus.REVOKED: _l("Registration revoked"),
}

# StrEnum members are equal to their words, so enumerations sharing a word ("signed" is a
# contract status and a version change, "active" also an organisation status) cannot share
# a mapping: only those without a common word are merged here.
LABELS: Mapping[Any, Any] = {
    **CONTRACT_STATUS_LABELS,
    **PARTY_ROLE_LABELS,
    **PRICE_MECHANISM_LABELS,
    **DISPUTE_LABELS,
}


def label(value: StrEnum | str | None, labels: Mapping[Any, Any] = LABELS) -> Any:
    """The label of an enumeration value in ``labels`` ("" for None; an unknown value as
    it is)."""
    if value is None:
        return ""
    return labels.get(value, value)
