"""B's linkage contracts in the cross-organisation world (``cross_org_world.py``).

B (a cooperative of Hà Nội) leads and produces; F, an enterprise of Hà Nội with no user in
the world, buys. Neither C, E nor the Hồ Chí Minh City authority is a party, so none may
read them; the Hà Nội authority reads them and writes only what a province authority
writes: the verification of a paper contract and its linkage projects.

- ``contract_id``: a draft (B may amend and confirm it, attach a scan; the Hà Nội authority
  may verify the paper) with a signed scan (``attachment_id``);
- ``signed_contract_id``: signed by the authority's verification (B may make it active),
  in the Hà Nội project ``project_id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from core.actor import Actor
from linkages.models.organisations import Organisation, OrgType
from linkages.services import contracts
from linkages.services import linkage_projects as projects
from tests.factories import HANOI, make_org
from tests.linkages._helpers_contracts import terms

SCAN = b"%PDF-1.7\n% hop dong lien ket\n" + b"0" * 64
QUALITY_SECRET = "Độ ẩm dưới 12,5%, hạt sàng 16 — riêng của Bình Minh"

# Endpoints that act on the signed contract rather than the draft.
SIGNED_CONTRACT_ENDPOINTS = frozenset(
    {"api_contracts.Transition", "api_linkage_projects.ProjectContract",
     "web_contracts.transition", "web_projects.remove_contract"}
)


def contract_code(contract_id: int) -> str:
    """A contract's public code (the project page adds a contract by it)."""
    from core.db import db
    from linkages.models.contracts import LinkageContract

    contract = db.session.get(LinkageContract, contract_id)
    assert contract is not None
    return contract.code


def amend_form(contract_id: int, today: date) -> dict[str, Any]:
    """The web amendment form of a contract, filled with its terms, a new title, a reason
    (read when the request is made: the contract as it then is)."""
    from app.web.contract_forms import form_data_of
    from core.db import db
    from linkages.models.contracts import LinkageContract
    from linkages.services.party_lookup import organisations_by_ids

    contract = db.session.get(LinkageContract, contract_id)
    assert contract is not None
    codes = organisations_by_ids(p.organisation_id for p in contract.parties)
    return {**form_data_of(contract, codes), "title": "Hợp đồng liên kết đã đổi tên",
            "reason": "Đổi tên theo phụ lục", "effective_on": today.isoformat()}


@dataclass(frozen=True)
class ContractWorld:
    contract_id: int
    signed_contract_id: int
    attachment_id: int
    project_id: int
    secrets: tuple[str, ...]


def build_contracts(b_admin: Actor, authority_01: Actor, b: Organisation,
                    today: date) -> ContractWorld:
    """B's draft and signed contracts, a scan and a Hà Nội project (not committed)."""
    buyer = make_org("Công ty CP Chế biến Nông sản Phú Thịnh", OrgType.DN, province_code=HANOI)
    data = terms(b, buyer, effective_from=today, effective_to=None)
    data["lines"][0]["quality_spec"] = QUALITY_SECRET
    draft = contracts.create_contract(b_admin, **data)
    scan = contracts.add_attachment(b_admin, draft.id, "hop-dong-binh-minh.pdf", SCAN)
    signed = contracts.create_contract(b_admin, **data)
    contracts.verify_paper_contract(authority_01, signed.id)
    project = projects.create_project(
        authority_01, number="QĐ-2026/LK-01", name="Chuỗi liên kết cà phê Sóc Sơn",
        province_code=HANOI, decision_date=today, support_vnd=500_000_000,
        contract_ids=[signed.id],
    )
    return ContractWorld(
        contract_id=draft.id, signed_contract_id=signed.id, attachment_id=scan.id,
        project_id=project.project.id,
        secrets=(draft.code, signed.code, QUALITY_SECRET, "hop-dong-binh-minh.pdf"),
    )


def build_delivery(b_admin: Actor, signed_contract_id: int, batch_id: int,
                   today: date) -> int:
    """50 kg of B's lot shipped today to F under the signed contract, not settled yet
    (``delivery_id``: F settles it — in the world, a platform admin acting for it, as F has
    no user); not committed."""
    from decimal import Decimal

    from linkages.services import deliveries

    line = contracts.get_contract(b_admin, signed_contract_id).lines[0]
    shipped = deliveries.ship_under_contract(
        b_admin, batch_id, signed_contract_id, line.id, quantity=Decimal("50"), unit="kg",
        shipped_at=today,
    )
    assert shipped.delivery is not None
    return shipped.delivery.id
