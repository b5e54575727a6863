"""The named, versioned variants of the value-chain linkage indicator (DOMAIN.md §4).

A variant's ``version`` changes whenever its counting rule changes, so a figure returned
with ``(code, version)`` can always be told apart from one computed under another rule
(the later publication freeze stores both). Definitions are written once here, in English
msgids translated to Vietnamese in the catalogs, and returned next to every figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.i18n import _l
from linkages.models.contracts import ContractStatus, PartyRole
from linkages.models.organisations import OrgStatus, OrgType


class VariantCode(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    VOLUME = "V"


class Breakdown(StrEnum):
    NONE = "none"
    PROVINCE = "province"
    REGION = "region"
    COMMODITY = "commodity"
    FORM = "form"
    LEADER_TYPE = "leader_type"
    SIZE_CLASS = "size_class"


# Breakdowns by an attribute of the cooperative split the denominator too; those by an
# attribute of the contract (commodity, form, leader) do not: a cooperative with two
# contracts counts in both groups, and each group's share is over the whole denominator.
COOPERATIVE_BREAKDOWNS = frozenset({Breakdown.NONE, Breakdown.PROVINCE, Breakdown.REGION,
                                    Breakdown.SIZE_CLASS})
CONTRACT_BREAKDOWNS = frozenset({Breakdown.COMMODITY, Breakdown.FORM, Breakdown.LEADER_TYPE})

# The denominator (all variants): agricultural HTX, open at the period end.
CLOSED_ORG_STATUSES = frozenset({OrgStatus.DISSOLVED, OrgStatus.BANKRUPT, OrgStatus.REVOKED})
DENOMINATOR_TYPE = OrgType.HTX
# A: contract status on the reference day.
COUNTING_CONTRACT_STATUSES = frozenset(
    {ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.COMPLETED}
)
# B: cooperative counterparties count when they lead or buy.
COOPERATIVE_COUNTERPARTY_ROLES = frozenset({PartyRole.LEADER, PartyRole.OFFTAKER})
COOPERATIVE_COUNTERPARTY_TYPES = frozenset({OrgType.HTX, OrgType.LHHTX})
DENOMINATOR_VERSION = "1"


@dataclass(frozen=True)
class Variant:
    code: VariantCode
    version: str
    name: Any  # lazy string
    definition: Any  # lazy string
    # Which checks beyond A the variant adds (B replaces A's counterparty rule).
    broad_counterparty: bool = False
    needs_delivery: bool = False
    needs_project: bool = False
    form_one: bool = False
    volume: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Code, version, name and definition in the request's language."""
        return {"code": self.code.value, "version": self.version, "name": str(self.name),
                "definition": str(self.definition), "unit": "kg" if self.volume else "htx"}


_A_RULE = _l(
    "the cooperative is a party to a linkage contract that has an enterprise (DN) as "
    "another party, whose status on the reference day is signed, active or completed, and "
    "whose term overlaps the period (any of the forms 1–7)."
)

VARIANTS: dict[VariantCode, Variant] = {
    VariantCode.A: Variant(
        VariantCode.A, "1", _l("A strict"),
        _l("Share of the agricultural cooperatives in the denominator for which %(rule)s",
           rule=_A_RULE),
    ),
    VariantCode.B: Variant(
        VariantCode.B, "1", _l("B broad"),
        _l("As A, but the counterparty may also be a cooperative union (LHHTX) or another "
           "cooperative (HTX) that is the contract's leader or offtaker."),
        broad_counterparty=True,
    ),
    VariantCode.C: Variant(
        VariantCode.C, "1", _l("C effective"),
        _l("As A, and the cooperative supplied at least one delivery under that contract "
           "that the buyer accepted (accepted kg above zero) and received within the "
           "period."),
        needs_delivery=True,
    ),
    VariantCode.D: Variant(
        VariantCode.D, "1", _l("D supported"),
        _l("As A, and the contract belongs to a linkage project approved by a province "
           "on or before the reference day."),
        needs_project=True,
    ),
    VariantCode.E: Variant(
        VariantCode.E, "1", _l("E full chain"),
        _l("As A, and the contract is of form 1 (inputs, production, processing and "
           "offtake)."),
        form_one=True,
    ),
    VariantCode.VOLUME: Variant(
        VariantCode.VOLUME, "1", _l("Volume-weighted"),
        _l("Kilograms of the denominator cooperatives' batches harvested in the period "
           "that were shipped under a contract counted by A (at most each batch's own "
           "weight), over the kilograms of all their batches harvested in the period."),
        volume=True,
    ),
}

DENOMINATOR_DEFINITION = _l(
    "Cooperatives (HTX, not unions or cooperative groups) of the agricultural field group, "
    "registered on or before the period end, neither dissolved, bankrupt nor revoked on the "
    "reference day (suspended ones only when asked), in the chosen geography. Registry "
    "facts and contracts are taken as they stood on the reference day, the earlier of the "
    "period end and the as-of date, as recorded by the end of the as-of date."
)


def variant(code: str) -> Variant:
    """The variant named ``code`` (KeyError for an unknown code; callers validate)."""
    return VARIANTS[VariantCode(code)]
