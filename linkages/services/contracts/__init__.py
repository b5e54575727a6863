"""Linkage contracts (Decree 98/2018): who may do what (``access``), the terms (``terms``),
recording their life (``recording``), history and as-of views (``history``), signed scans
(``attachments``), the production areas of its lines (``line_areas``). Import the
functions from here."""

from linkages.services.contracts.access import (
    Awaiting,
    ContractPermissions,
    awaiting_confirmation,
    contract_permissions,
    contract_scope,
    get_contract,
    list_contracts,
)
from linkages.services.contracts.attachments import (
    DEFAULT_MAX_BYTES,
    add_attachment,
    get_attachment,
    list_attachments,
    sniff_content_type,
)
from linkages.services.contracts.history import (
    ContractAsOf,
    contract_as_of,
    contracts_as_of,
    list_versions,
)
from linkages.services.contracts.line_areas import areas_to_offer, line_areas
from linkages.services.contracts.recording import (
    amend_contract,
    confirm_contract,
    create_contract,
    transition_contract,
    verify_paper_contract,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Awaiting",
    "ContractAsOf",
    "ContractPermissions",
    "add_attachment",
    "amend_contract",
    "areas_to_offer",
    "awaiting_confirmation",
    "confirm_contract",
    "contract_as_of",
    "contract_permissions",
    "contract_scope",
    "contracts_as_of",
    "create_contract",
    "get_attachment",
    "get_contract",
    "line_areas",
    "list_attachments",
    "list_contracts",
    "list_versions",
    "sniff_content_type",
    "transition_contract",
    "verify_paper_contract",
]
