"""Linkage contracts over time (versions, as-of views, the set-based SQL helper), who sees
what, signed scans and linkage projects."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import local_today
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linkages.models import ContractStatus, OrgType
from linkages.services import contracts as svc
from linkages.services import linkage_projects as projects
from tests.linkages._helpers_contracts import HCMC, Side, authority, member_of, side, terms

PDF = b"%PDF-1.7\n" + b"0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100


@pytest.fixture()
def pair() -> tuple[Side, Side]:
    return side("HTX Cà phê Đắk Hà"), side("Công ty TNHH Xuất khẩu Cà phê", OrgType.DN)


def _days_ago(n: int):
    return local_today() - timedelta(days=n)


def _signed(coop: Side, buyer: Side, created: int = 60, signed: int = 50):
    contract = svc.create_contract(coop.actor, effective_on=_days_ago(created),
                                   **terms(coop.org, buyer.org))
    svc.confirm_contract(coop.actor, contract.id, signed_on=_days_ago(signed))
    svc.confirm_contract(buyer.actor, contract.id, signed_on=_days_ago(signed))
    db.session.commit()
    return contract


# --- versions and as-of ---------------------------------------------------------------------


def test_every_change_is_a_version_and_a_past_day_keeps_what_it_showed(pair):
    coop, buyer = pair
    contract = _signed(coop, buyer)
    svc.transition_contract(coop.actor, contract.id, "active", effective_on=_days_ago(40))
    before_amendment = svc.contract_as_of(coop.actor, contract.id, _days_ago(20))
    assert before_amendment.terms["floor_price_vnd"] == 95000
    svc.amend_contract(buyer.actor, contract.id, reason="Giá sàn theo thị trường",
                       effective_on=_days_ago(10), floor_price_vnd=90000)
    # Recorded today, effective ten days ago: it tells the last ten days, not before.
    svc.transition_contract(buyer.actor, contract.id, "breached", reason="Bán cho thương lái",
                            effective_on=_days_ago(5))
    db.session.commit()

    versions = list(db.session.scalars(svc.list_versions(coop.actor, contract.id)))
    assert [(v.number, v.change, v.status) for v in versions] == [
        (5, "transition", ContractStatus.BREACHED), (4, "amended", ContractStatus.ACTIVE),
        (3, "transition", ContractStatus.ACTIVE), (2, "signed", ContractStatus.SIGNED),
        (1, "created", ContractStatus.DRAFT)]
    assert versions[1].reason == "Giá sàn theo thị trường"
    assert versions[0].recorded_at.tzinfo is not None

    def status_on(days: int) -> str:
        return svc.contract_as_of(coop.actor, contract.id, _days_ago(days)).terms["status"]

    assert [status_on(d) for d in (55, 45, 20, 7, 0)] == [
        "draft", "signed", "active", "active", "breached"]
    again = svc.contract_as_of(coop.actor, contract.id, _days_ago(20))
    assert again.terms == before_amendment.terms and again.version.number == 3
    assert svc.contract_as_of(coop.actor, contract.id, _days_ago(7)).terms[
        "floor_price_vnd"] == 90000
    with pytest.raises(ValidationFailed) as caught:
        svc.contract_as_of(coop.actor, contract.id, _days_ago(61))
    assert "as_of" in caught.value.field_errors


def test_a_change_cannot_take_effect_before_the_previous_one_nor_in_the_future(pair):
    coop, buyer = pair
    contract = _signed(coop, buyer)
    for day in (_days_ago(51), local_today() + timedelta(days=1)):
        with pytest.raises(ValidationFailed) as caught:
            svc.transition_contract(coop.actor, contract.id, "active", effective_on=day)
        assert "effective_on" in caught.value.field_errors
        db.session.rollback()


def test_the_sql_helper_answers_every_contract_as_of_a_day(pair):
    coop, buyer = pair
    contract = _signed(coop, buyer)
    svc.transition_contract(coop.actor, contract.id, "active", effective_on=_days_ago(40))
    other = svc.create_contract(coop.actor, **terms(coop.org, buyer.org))
    db.session.commit()

    def rows(days: int) -> dict[int, tuple]:
        found = db.session.execute(svc.contracts_as_of(_days_ago(days))).all()
        return {r.contract_id: (r.status, r.form) for r in found
                if r.contract_id in (contract.id, other.id)}

    assert rows(55) == {contract.id: (ContractStatus.DRAFT, 3)}
    assert rows(45) == {contract.id: (ContractStatus.SIGNED, 3)}
    assert rows(0) == {contract.id: (ContractStatus.ACTIVE, 3), other.id: (ContractStatus.DRAFT, 3)}


# --- who sees what ------------------------------------------------------------------------


def test_an_enterprise_never_sees_another_enterprise_s_contracts(pair):
    coop, buyer = pair
    contract = svc.create_contract(coop.actor, **terms(coop.org, buyer.org))
    rival = side("Công ty Đối Thủ", OrgType.DN)
    stranger_coop = side("HTX Người Lạ")
    db.session.commit()
    for outsider in (rival, stranger_coop):
        with pytest.raises(NotFound):
            svc.get_contract(outsider.actor, contract.id)
        assert contract.id not in set(db.session.scalars(
            select(svc.list_contracts(outsider.actor).subquery().c.id)))
        assert not svc.contract_permissions(outsider.actor, contract).read
    staff = member_of(buyer.org)
    assert svc.get_contract(staff.actor, contract.id) is contract
    listed = db.session.scalars(svc.list_contracts(buyer.actor, role="offtaker")).all()
    assert listed == [contract]
    assert db.session.scalars(svc.list_contracts(buyer.actor, role="leader")).all() == []
    assert db.session.scalars(
        svc.list_contracts(coop.actor, counterparty_id=buyer.org.id, status="draft")).all() == [
        contract]


def _a_northern_and_a_southern_contract(coop: Side, buyer: Side):
    """The pair's contract (Hà Nội) and one between two parties of Hồ Chí Minh City."""
    contract = svc.create_contract(coop.actor, **terms(coop.org, buyer.org))
    south_coop = side("HTX Phía Nam", province_code=HCMC)
    south_buyer = side("Công ty Phía Nam", OrgType.DN, province_code=HCMC)
    southern = svc.create_contract(south_coop.actor, **terms(south_coop.org, south_buyer.org))
    db.session.commit()
    return contract, southern


def test_a_province_authority_sees_only_contracts_with_a_party_in_its_province(pair):
    contract, southern = _a_northern_and_a_southern_contract(*pair)
    hanoi, saigon, country = authority("01"), authority(HCMC), authority(None)
    assert svc.get_contract(hanoi.actor, contract.id) is contract
    with pytest.raises(NotFound):
        svc.get_contract(saigon.actor, contract.id)
    ids = set(db.session.scalars(select(svc.list_contracts(saigon.actor).subquery().c.id)))
    assert southern.id in ids and contract.id not in ids
    national = set(db.session.scalars(select(svc.list_contracts(country.actor).subquery().c.id)))
    assert {contract.id, southern.id} <= national
    # It reads but writes nothing of the contract's terms.
    permissions = svc.contract_permissions(hanoi.actor, contract)
    assert permissions.read and permissions.verify_paper
    assert not (permissions.amend or permissions.confirm or permissions.attach)
    with pytest.raises(Forbidden):
        svc.amend_contract(hanoi.actor, contract.id, reason="x", title="Khác")


# --- signed scans ---------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "media_type"),
                         [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")])
def test_a_scan_is_typed_by_its_bytes_and_hashed(pair, data, media_type):
    coop, buyer = pair
    contract = svc.create_contract(coop.actor, **terms(coop.org, buyer.org))
    scan = svc.add_attachment(buyer.actor, contract.id, "../../hợp đồng.pdf", data)
    assert scan.content_type == media_type and scan.filename == "hợp đồng.pdf"
    assert scan.sha256 == hashlib.sha256(data).hexdigest() and scan.size_bytes == len(data)
    assert svc.get_attachment(authority("01").actor, contract.id, scan.id).content == data


def test_oversized_empty_or_mislabelled_scans_are_refused(pair):
    coop, buyer = pair
    contract = svc.create_contract(coop.actor, **terms(coop.org, buyer.org))
    for data, limit in ((PDF, 50), (b"", 50), (b"MZ\x90\x00 not a pdf", 10**6),
                        (b"<html>%PDF-</html>", 10**6)):
        with pytest.raises(ValidationFailed) as caught:
            svc.add_attachment(coop.actor, contract.id, "scan.pdf", data, max_bytes=limit)
        assert "file" in caught.value.field_errors


def test_only_readers_download_and_only_parties_upload(pair):
    coop, buyer = pair
    contract = svc.create_contract(coop.actor, **terms(coop.org, buyer.org))
    scan = svc.add_attachment(coop.actor, contract.id, "scan.pdf", PDF)
    db.session.commit()
    for outsider in (side("Công ty Đối Thủ", OrgType.DN), authority(HCMC)):
        with pytest.raises(NotFound):
            svc.get_attachment(outsider.actor, contract.id, scan.id)
        with pytest.raises(NotFound):
            svc.add_attachment(outsider.actor, contract.id, "scan.pdf", PDF)
    with pytest.raises(Forbidden):
        svc.add_attachment(authority("01").actor, contract.id, "scan.pdf", PDF)
    assert svc.get_attachment(authority(None, admin=True).actor, contract.id, scan.id)


# --- linkage projects -----------------------------------------------------------------------


def _project(actor, province="01", contract_ids=()):
    return projects.create_project(
        actor, number="QĐ-1234/UBND", name="Chuỗi cà phê bền vững", province_code=province,
        decision_date=_days_ago(3), support_vnd=1_500_000_000, contract_ids=list(contract_ids))


def test_a_province_authority_groups_only_contracts_of_its_province(pair):
    coop, buyer = pair
    contract, southern = _a_northern_and_a_southern_contract(coop, buyer)
    hanoi = authority("01")
    with pytest.raises(Forbidden):
        _project(hanoi.actor, province=HCMC)
    with pytest.raises(ValidationFailed) as caught:
        _project(hanoi.actor, contract_ids=[southern.id])
    assert "contract_id" in caught.value.field_errors
    view = _project(hanoi.actor, contract_ids=[contract.id])
    assert view.contracts == [contract]
    db.session.commit()
    project_id = view.project.id
    with pytest.raises(Conflict):
        projects.add_project_contract(hanoi.actor, project_id, contract.id)
    # The parties read it; strangers and other provinces do not know it.
    assert projects.get_project(buyer.actor, project_id).contracts == [contract]
    for outsider in (authority(HCMC), side("HTX Người Lạ")):
        with pytest.raises(NotFound):
            projects.get_project(outsider.actor, project_id)
    with pytest.raises(Forbidden):
        projects.remove_project_contract(coop.actor, project_id, contract.id)
    assert projects.remove_project_contract(hanoi.actor, project_id, contract.id).contracts == []
    with pytest.raises(Forbidden):
        _project(coop.actor)
