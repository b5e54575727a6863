"""A contract's history: its versions, the contract as it stood on a date, and the same
for every contract at once in SQL (for the linkage indicator).

As-of rule (``LinkageContractVersion``): the contract on day D is its version with the
highest number among those taking effect on or before D. Versions take effect in the
order they are numbered (``recording._effective_on``), so what a past day shows changes
only when a change is recorded as taking effect on or before that day — never by a
change that takes effect later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select

from core.actor import Actor
from core.db import db
from core.errors import ValidationFailed
from core.i18n import _l
from linkages.models.contracts import ContractStatus, LinkageContractVersion
from linkages.services.contracts.access import get_contract


@dataclass(frozen=True)
class ContractAsOf:
    """The contract as it stood on ``on``: the version in force and its snapshot."""

    contract_id: int
    code: str
    on: date
    version: LinkageContractVersion

    @property
    def status(self) -> ContractStatus:
        return self.version.status

    @property
    def form(self) -> int:
        return self.version.form

    @property
    def terms(self) -> dict[str, Any]:
        return self.version.snapshot


def list_versions(actor: Actor, contract_id: int) -> Select[tuple[LinkageContractVersion]]:
    """A select of the contract's versions, newest first (NotFound unless readable)."""
    contract = get_contract(actor, contract_id)
    return (
        select(LinkageContractVersion)
        .where(LinkageContractVersion.contract_id == contract.id)
        .order_by(LinkageContractVersion.number.desc())
    )


def contract_as_of(actor: Actor, contract_id: int, on: date) -> ContractAsOf:
    """The contract (terms and status) as it stood on ``on``. NotFound unless readable;
    422 naming ``as_of`` for a day before its first version took effect."""
    contract = get_contract(actor, contract_id)
    version = db.session.scalar(
        select(LinkageContractVersion)
        .where(
            LinkageContractVersion.contract_id == contract.id,
            LinkageContractVersion.effective_on <= on,
        )
        .order_by(LinkageContractVersion.number.desc())
        .limit(1)
    )
    if version is None:
        raise ValidationFailed(
            field_errors={"as_of": [_l("The contract was not yet recorded on that day.")]}
        )
    return ContractAsOf(contract.id, contract.code, on, version)


def contracts_as_of(on: date) -> Select[Any]:
    """Every contract as it stood on ``on``, one row each: ``(contract_id, status, form,
    effective_from, effective_to)``, computed in SQL from the versions (contracts not yet
    recorded on that day are absent). For aggregates such as the linkage indicator; no
    actor: it selects no private text, and callers scope it as their report requires."""
    latest = (
        select(
            LinkageContractVersion.contract_id,
            func.max(LinkageContractVersion.number).label("number"),
        )
        .where(LinkageContractVersion.effective_on <= on)
        .group_by(LinkageContractVersion.contract_id)
        .subquery("latest")
    )
    v = LinkageContractVersion
    return select(
        v.contract_id, v.status, v.form, v.effective_from, v.effective_to
    ).join(latest, (latest.c.contract_id == v.contract_id) & (latest.c.number == v.number))
