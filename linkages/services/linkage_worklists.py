"""What a start page asks of the linkage workspaces: the contracts waiting for my
organisation's confirmation, and my supplier verifications about to expire.

Reads only, each a select for the caller to limit or paginate; the rules are those of
``linkages.services.contracts.access`` and ``linkages.models.suppliers``, written as SQL.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Select, and_, exists, false, or_, select
from sqlalchemy.orm import aliased

from core.actor import Actor, require_authenticated
from core.clock import local_today
from linkages.models.contracts import (
    AMENDABLE,
    LinkageContract,
    LinkageContractConfirmation,
    LinkageContractParty,
)
from linkages.models.suppliers import SupplierVerification, VerificationState
from linkages.services.supplier_access import SupplierListOp, supplier_list_operations

__all__ = ["EXPIRY_WINDOW_DAYS", "contracts_awaiting_confirmation", "verifications_expiring"]

# As for certifications: two months is time enough to verify a supplier again.
EXPIRY_WINDOW_DAYS = 60


def contracts_awaiting_confirmation(actor: Actor) -> Select[tuple[LinkageContract]]:
    """Contracts the actor's organisation should confirm now, oldest first: it is a party,
    the contract is open to amendment, its terms in force are not agreed (no authority
    verified them) and the organisation has not confirmed them — the SQL form of
    ``ContractPermissions.confirm``. Empty for an actor acting for no organisation."""
    require_authenticated(actor)
    org_id = actor.organisation_id
    if org_id is None:
        return select(LinkageContract).where(false())
    party = exists().where(
        LinkageContractParty.contract_id == LinkageContract.id,
        LinkageContractParty.organisation_id == org_id,
    )
    confirmed = exists().where(
        LinkageContractConfirmation.contract_id == LinkageContract.id,
        LinkageContractConfirmation.organisation_id == org_id,
        LinkageContractConfirmation.terms_version == LinkageContract.terms_version,
    )
    verified = and_(
        LinkageContract.verified_terms_version.is_not(None),
        LinkageContract.verified_terms_version == LinkageContract.terms_version,
    )
    return (
        select(LinkageContract)
        .where(party, ~confirmed, ~verified, LinkageContract.status.in_(AMENDABLE))
        .order_by(LinkageContract.id)
    )


def verifications_expiring(
    actor: Actor,
    buyer_id: int,
    buyer_province: str | None,
    *,
    within_days: int = EXPIRY_WINDOW_DAYS,
    today: date | None = None,
) -> Select[tuple[SupplierVerification]]:
    """The buyer's verified suppliers whose verification is valid today and expires within
    ``within_days``, soonest first. A verification the buyer has already followed with a
    newer request of the same supplier is left out: it is being renewed. Empty unless the
    actor reads the buyer's supplier list (``supplier_access``)."""
    require_authenticated(actor)
    if SupplierListOp.READ not in supplier_list_operations(actor, buyer_id, buyer_province):
        return select(SupplierVerification).where(false())
    day = today or local_today()
    later = aliased(SupplierVerification)
    renewed = exists().where(
        later.buyer_id == SupplierVerification.buyer_id,
        later.supplier_id == SupplierVerification.supplier_id,
        or_(
            later.requested_at > SupplierVerification.requested_at,
            and_(later.requested_at == SupplierVerification.requested_at,
                 later.id > SupplierVerification.id),
        ),
    )
    return (
        select(SupplierVerification)
        .where(
            SupplierVerification.buyer_id == buyer_id,
            SupplierVerification.state == VerificationState.VERIFIED,
            SupplierVerification.expires_on >= day,
            SupplierVerification.expires_on <= day + timedelta(days=within_days),
            ~renewed,
        )
        .order_by(SupplierVerification.expires_on, SupplierVerification.id)
    )
