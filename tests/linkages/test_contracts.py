"""Linkage contracts: the Decree 98 form, the rules of the terms, confirmations and
signing, the status transitions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import product

import pytest
from sqlalchemy import func, select

from core.clock import local_today
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linkages.models import (
    ContractStatus,
    LinkageContract,
    LinkageContractVersion,
    OrgStatus,
    OrgType,
)
from linkages.models.contracts import ALLOWED_TRANSITIONS, FORMS, linkage_form
from linkages.services import contracts as svc
from tests.linkages._helpers_contracts import Side, authority, side, terms
from tests.traceability.batch_factories import make_area, make_product


@pytest.fixture()
def pair() -> tuple[Side, Side]:
    return side("HTX Cà phê Đắk Hà"), side("Công ty TNHH Xuất khẩu Cà phê", OrgType.DN)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _refused(call, *fields, error=ValidationFailed):
    db.session.commit()  # what came before stays; the refused call must add nothing
    before = (_count(LinkageContract), _count(LinkageContractVersion))
    with pytest.raises(error) as caught:
        call()
    db.session.rollback()
    assert (_count(LinkageContract), _count(LinkageContractVersion)) == before
    for field in fields:
        assert field in caught.value.field_errors, caught.value.field_errors
    return caught.value


# --- the form --------------------------------------------------------------------------


@pytest.mark.parametrize(("inputs", "production", "processing"),
                         list(product([False, True], repeat=3)))
def test_the_form_follows_the_stages_as_decree_98_says(inputs, production, processing):
    expected = {
        (True, True, True): 1, (True, False, False): 2, (False, True, False): 3,
        (True, True, False): 4, (False, True, True): 5, (True, False, True): 6,
        (False, False, True): 7, (False, False, False): None,
    }[(inputs, production, processing)]
    assert linkage_form(inputs, production, processing) == expected
    assert len(set(FORMS.values())) == 7


def test_a_contract_gets_its_form_from_the_stages_never_from_the_caller(pair):
    coop, buyer = pair
    stages = {"inputs": True, "production": True, "processing": True}
    contract = svc.create_contract(coop.actor, **terms(coop.org, buyer.org, stages=stages))
    assert contract.form == 1 and contract.status == ContractStatus.DRAFT
    assert contract.code.startswith("LK-")
    with pytest.raises(ValidationFailed) as caught:
        svc.create_contract(coop.actor, **terms(coop.org, buyer.org), form=3)
    assert "form" in caught.value.field_errors


def test_offtake_alone_is_no_linkage(pair):
    coop, buyer = pair
    stages = {"inputs": False, "production": False, "processing": False}
    _refused(lambda: svc.create_contract(coop.actor, **terms(coop.org, buyer.org,
                                                             stages=stages)), "stages")


# --- the terms ----------------------------------------------------------------------------


def test_a_contract_needs_an_offtaker(pair):
    coop, buyer = pair
    data = terms(coop.org, buyer.org)
    data["parties"] = [p for p in data["parties"] if p["role"] != "offtaker"]
    data["parties"].append({"organisation_id": buyer.org.id, "role": "processor"})
    _refused(lambda: svc.create_contract(coop.actor, **data), "parties")


@pytest.mark.parametrize("leader_type", [OrgType.THT, OrgType.FARM_HOUSEHOLD, OrgType.OTHER])
def test_the_leader_is_an_enterprise_a_cooperative_or_a_union(leader_type):
    group = side("Tổ hợp tác Thử", leader_type)
    buyer = side("Công ty Thử", OrgType.DN)
    data = terms(group.org, buyer.org)
    data["parties"][1].pop("represented_households")
    data["parties"][1].pop("represented_description")
    error = _refused(lambda: svc.create_contract(group.actor, **data))
    assert "parties.0.role" in error.field_errors


def test_exactly_one_leader(pair):
    coop, buyer = pair
    data = terms(coop.org, buyer.org)
    data["parties"].append({"organisation_id": buyer.org.id, "role": "leader"})
    _refused(lambda: svc.create_contract(coop.actor, **data), "parties")
    data["parties"] = [p for p in data["parties"] if p["role"] != "leader"]
    _refused(lambda: svc.create_contract(coop.actor, **data), "parties")


def test_the_term_cannot_end_before_it_starts(pair):
    coop, buyer = pair
    day = local_today()
    _refused(lambda: svc.create_contract(coop.actor, **terms(
        coop.org, buyer.org, effective_from=day, effective_to=day - timedelta(days=1))),
        "effective_to")


def test_a_party_must_exist_and_not_be_dissolved(pair):
    coop, buyer = pair
    data = terms(coop.org, buyer.org)
    data["parties"][2]["organisation_id"] = 10**8
    _refused(lambda: svc.create_contract(coop.actor, **data), "parties.2.organisation_id")
    buyer.org.status = OrgStatus.DISSOLVED
    db.session.commit()
    _refused(lambda: svc.create_contract(coop.actor, **terms(coop.org, buyer.org)),
             "parties.2.organisation_id")


@pytest.mark.parametrize(("mechanism", "missing"), [
    ("fixed", "price_vnd"), ("floor", "floor_price_vnd"), ("market_plus", "premium_vnd"),
    ("formula", "price_formula"),
])
def test_a_price_mechanism_needs_its_figures(pair, mechanism, missing):
    coop, buyer = pair
    data = terms(coop.org, buyer.org, price_mechanism=mechanism, floor_price_vnd=None)
    _refused(lambda: svc.create_contract(coop.actor, **data), missing)


def test_negotiated_at_harvest_needs_no_figure_and_prices_need_a_unit(pair):
    coop, buyer = pair
    svc.create_contract(coop.actor, **terms(
        coop.org, buyer.org, price_mechanism="negotiated_at_harvest", floor_price_vnd=None,
        price_unit=None))
    _refused(lambda: svc.create_contract(coop.actor, **terms(
        coop.org, buyer.org, price_unit=None)), "price_unit")


def test_quantities_are_normalised_to_kg_and_areas_belong_to_a_producer(pair):
    coop, buyer = pair
    area, foreign_area = make_area(coop.org), make_area(buyer.org)
    goods = make_product(coop.org)
    data = terms(coop.org, buyer.org)
    data["lines"][0].update(production_area_ids=[area.id], product_id=goods.id)
    contract = svc.create_contract(coop.actor, **data)
    line = contract.lines[0]
    assert line.planned_quantity_kg == Decimal("12500")
    assert line.production_area_ids == [area.id] and line.product_id == goods.id
    # The buyer is a party but no producer: its areas are not the contract's raw material.
    data["lines"][0]["production_area_ids"] = [foreign_area.id]
    _refused(lambda: svc.create_contract(coop.actor, **data), "lines.0.production_area_ids")


def test_the_entering_organisation_must_be_a_party(pair):
    coop, buyer = pair
    stranger = side("HTX Người Lạ")
    _refused(lambda: svc.create_contract(stranger.actor, **terms(coop.org, buyer.org)),
             "parties")


# --- confirmations and signing ------------------------------------------------------------


def test_it_is_signed_only_when_every_party_organisation_confirmed(pair):
    coop, buyer = pair
    contract = svc.create_contract(coop.actor, effective_on=local_today() - timedelta(days=5),
                                   **terms(coop.org, buyer.org))
    svc.confirm_contract(coop.actor, contract.id)
    db.session.commit()
    assert contract.status == ContractStatus.DRAFT and not contract.terms_agreed
    with pytest.raises(Conflict):
        svc.confirm_contract(coop.actor, contract.id)
    db.session.rollback()
    svc.confirm_contract(buyer.actor, contract.id, signed_on=local_today() - timedelta(days=1))
    assert contract.status == ContractStatus.SIGNED and contract.terms_agreed
    latest = db.session.scalar(select(LinkageContractVersion).where(
        LinkageContractVersion.contract_id == contract.id,
        LinkageContractVersion.number == 2))
    assert latest.change == "signed" and latest.effective_on == local_today() - timedelta(days=1)


def test_a_non_party_cannot_confirm(pair):
    coop, buyer = pair
    contract = svc.create_contract(coop.actor, **terms(coop.org, buyer.org))
    stranger = side("HTX Người Lạ")
    with pytest.raises(NotFound):
        svc.confirm_contract(stranger.actor, contract.id)
    overseer = authority(None)
    with pytest.raises(Forbidden) as caught:
        svc.confirm_contract(overseer.actor, contract.id)
    assert "organisation_id" in caught.value.field_errors


def test_an_authority_over_a_party_verifies_the_paper_contract(pair):
    coop, buyer = pair
    contract = svc.create_contract(coop.actor, **terms(coop.org, buyer.org))
    db.session.commit()
    with pytest.raises(NotFound):
        svc.verify_paper_contract(authority("79").actor, contract.id)
    with pytest.raises(Forbidden):
        svc.verify_paper_contract(coop.actor, contract.id)
    db.session.rollback()
    svc.verify_paper_contract(authority("01").actor, contract.id)
    assert contract.status == ContractStatus.SIGNED and contract.terms_agreed
    with pytest.raises(Conflict):
        svc.verify_paper_contract(authority(None).actor, contract.id)


def test_a_party_dissolved_before_signing_blocks_the_signature(pair):
    coop, buyer = pair
    contract = svc.create_contract(coop.actor, **terms(coop.org, buyer.org))
    svc.confirm_contract(coop.actor, contract.id)
    db.session.commit()
    buyer.org.status = OrgStatus.BANKRUPT
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        svc.confirm_contract(buyer.actor, contract.id)
    assert "parties.2.organisation_id" in caught.value.field_errors


def test_an_amendment_asks_every_party_to_confirm_again(pair):
    coop, buyer = pair
    contract = svc.create_contract(coop.actor, **terms(coop.org, buyer.org))
    svc.confirm_contract(coop.actor, contract.id)
    svc.confirm_contract(buyer.actor, contract.id)
    assert contract.terms_agreed
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        svc.amend_contract(buyer.actor, contract.id, reason="", floor_price_vnd=90000)
    assert "reason" in caught.value.field_errors
    db.session.rollback()
    svc.amend_contract(buyer.actor, contract.id, reason="Giá sàn giảm", floor_price_vnd=90000)
    assert contract.status == ContractStatus.SIGNED  # the signed terms stay signed
    assert not contract.terms_agreed and contract.confirmed_organisation_ids == set()
    assert len(contract.confirmations) == 2  # kept for the record
    svc.confirm_contract(coop.actor, contract.id)
    svc.confirm_contract(buyer.actor, contract.id)
    assert contract.terms_agreed and contract.floor_price_vnd == 90000


# --- transitions ------------------------------------------------------------------------

_PATH = {
    ContractStatus.DRAFT: [],
    ContractStatus.SIGNED: [],
    ContractStatus.ACTIVE: [ContractStatus.ACTIVE],
    ContractStatus.COMPLETED: [ContractStatus.ACTIVE, ContractStatus.COMPLETED],
    ContractStatus.TERMINATED: [ContractStatus.ACTIVE, ContractStatus.TERMINATED],
    ContractStatus.BREACHED: [ContractStatus.ACTIVE, ContractStatus.BREACHED],
    ContractStatus.LIQUIDATED: [ContractStatus.ACTIVE, ContractStatus.COMPLETED,
                                ContractStatus.LIQUIDATED],
}


def _contract_in(status: ContractStatus, coop: Side, buyer: Side) -> LinkageContract:
    contract = svc.create_contract(coop.actor, **terms(coop.org, buyer.org))
    if status != ContractStatus.DRAFT:
        svc.confirm_contract(coop.actor, contract.id)
        svc.confirm_contract(buyer.actor, contract.id)
    for step in _PATH[status]:
        svc.transition_contract(coop.actor, contract.id, step, reason="Theo biên bản")
    db.session.commit()
    assert contract.status == status
    return contract


@pytest.mark.parametrize(("current", "target"), list(product(ContractStatus, ContractStatus)),
                         ids=lambda s: s.value)
def test_only_the_allowed_transitions_happen(pair, current, target):
    coop, buyer = pair
    contract = _contract_in(current, coop, buyer)
    versions = contract.version_count
    if target in ALLOWED_TRANSITIONS[current]:
        svc.transition_contract(buyer.actor, contract.id, target, reason="Theo biên bản")
        assert contract.status == target and contract.version_count == versions + 1
        return
    with pytest.raises(Conflict) as caught:
        svc.transition_contract(buyer.actor, contract.id, target, reason="Theo biên bản")
    assert "status" in caught.value.field_errors
    db.session.rollback()
    assert db.session.get(LinkageContract, contract.id).status == current


@pytest.mark.parametrize("target", [ContractStatus.TERMINATED, ContractStatus.BREACHED])
def test_termination_and_breach_need_a_reason(pair, target):
    coop, buyer = pair
    contract = _contract_in(ContractStatus.ACTIVE, coop, buyer)
    with pytest.raises(ValidationFailed) as caught:
        svc.transition_contract(coop.actor, contract.id, target)
    assert "reason" in caught.value.field_errors


def test_closed_contracts_cannot_be_amended(pair):
    coop, buyer = pair
    contract = _contract_in(ContractStatus.COMPLETED, coop, buyer)
    with pytest.raises(Conflict):
        svc.amend_contract(coop.actor, contract.id, reason="Sửa", title="Khác")
