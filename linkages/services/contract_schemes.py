"""The certification schemes a buyer's contracts with a supplier require: what a supplier
verification checks when the buyer names no scheme of its own
(``linkages.services.verification``).

The contracts counted are those in which both organisations are parties (in any role),
unless they ended in a termination or were liquidated: a draft already says what the
buyer will require, a completed or breached contract is still being settled. Each scheme
comes with the contracts whose lines require it, so that the checklist can say which
contract asked for it.

``schemes_required_by_contracts`` takes no actor: its caller decides who may read the
answer (the buyer and the supplier are parties to every contract named, and the checklist
is theirs and their overseers'). ``default_schemes`` is the buyer's question before it
requests a verification, asked with its supplier list's read permission.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from core.actor import Actor
from core.db import db
from linkages.models.certifications import CertScheme
from linkages.models.contracts import (
    ContractStatus,
    LinkageContract,
    LinkageContractLine,
    LinkageContractParty,
)
from linkages.services.suppliers import get_supplier

__all__ = ["ENDED", "default_schemes", "schemes_required_by_contracts"]

# Contracts whose requirements no longer bind the supplier.
ENDED = frozenset({ContractStatus.TERMINATED, ContractStatus.LIQUIDATED})


def schemes_required_by_contracts(
    buyer_id: int, supplier_id: int
) -> dict[str, list[dict[str, Any]]]:
    """``{scheme: [{"id": contract id, "code": its code}, …]}``: the union of the
    ``required_certifications`` of the lines of the pair's contracts (module docstring),
    each scheme with the contracts asking for it, oldest contract first. One statement."""
    buyer, supplier = aliased(LinkageContractParty), aliased(LinkageContractParty)
    rows = db.session.execute(
        select(LinkageContract.id, LinkageContract.code,
               LinkageContractLine.required_certifications)
        .join(LinkageContractLine, LinkageContractLine.contract_id == LinkageContract.id)
        .where(
            exists().where(buyer.contract_id == LinkageContract.id,
                           buyer.organisation_id == buyer_id),
            exists().where(supplier.contract_id == LinkageContract.id,
                           supplier.organisation_id == supplier_id),
            LinkageContract.status.not_in(ENDED),
        )
        .order_by(LinkageContract.id, LinkageContractLine.position)
    ).all()
    known = {scheme.value for scheme in CertScheme}
    found: dict[str, list[dict[str, Any]]] = {}
    for contract_id, code, schemes in rows:
        for scheme in schemes or ():
            if scheme not in known:
                continue  # the contract service stores none; nothing to check it against
            asking = found.setdefault(scheme, [])
            if not any(c["id"] == contract_id for c in asking):  # two lines, one contract
                asking.append({"id": contract_id, "code": code})
    return dict(sorted(found.items()))


def default_schemes(actor: Actor, buyer_id: int, supplier_id: int) -> list[str]:
    """The schemes a verification requested without any of the buyer's own would check.
    NotFound unless the actor reads the buyer's supplier list and the supplier is on it."""
    get_supplier(actor, buyer_id, supplier_id)  # the list's read permission first
    return list(schemes_required_by_contracts(buyer_id, supplier_id))
