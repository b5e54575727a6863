"""Supplier lists and verifications: who may add what, the computed checklist item by item,
the decision rules, expiry read from the date, and who sees which verification."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.actor import ANONYMOUS
from core.clock import local_today
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from core.units import Unit
from linkages.labels import CHECKLIST_LABELS
from linkages.models import (
    OrgStatus,
    OrgType,
    SupplierLink,
    SupplierVerification,
    VerificationStatus,
)
from linkages.services import contracts
from linkages.services import suppliers as sup
from linkages.services import verification as ver
from tests.factories import HCMC
from tests.linkages._helpers_contracts import terms
from tests.linkages.supplier_helpers import (
    admin,
    authority,
    certify,
    farm,
    harvest_lot,
    in_days,
    side,
)
from traceability.models import Batch


def _count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture()
def pair():
    buyer = side("Công ty Xuất khẩu Vải", OrgType.DN)
    supplier = side("HTX Vải thiều Lục Ngạn")
    return buyer, supplier


def _ready(buyer, supplier):
    """A supplier passing every checklist item, on the buyer's list."""
    farm(supplier)
    certify(supplier)
    sup.add_supplier(buyer.actor, buyer.org.id, supplier.org.id, note="Giá tốt")
    db.session.commit()


def _items(checklist):
    return {i["key"]: i for i in checklist["items"]}


# --- the supplier list -------------------------------------------------------------------


def test_only_an_existing_cooperative_other_than_the_buyer_goes_on_the_list(pair):
    buyer, supplier = pair
    other_dn = side("Công ty Khác", OrgType.DN)
    for bad in (other_dn.org.id, 987654321, buyer.org.id, "7"):
        with pytest.raises(ValidationFailed) as refused:
            sup.add_supplier(buyer.actor, buyer.org.id, bad)
        assert set(refused.value.field_errors) == {"supplier_id"}
    assert _count(SupplierLink) == 0
    link = sup.add_supplier(buyer.actor, buyer.org.id, supplier.org.id, note=" Ghi chú ")
    assert link.note == "Ghi chú" and link.current_status(local_today()) is None
    with pytest.raises(Conflict) as twice:
        sup.add_supplier(buyer.actor, buyer.org.id, supplier.org.id)
    assert set(twice.value.field_errors) == {"supplier_id"}
    assert _count(SupplierLink) == 1


def test_a_cooperative_may_buy_from_cooperatives_too(pair):
    _, supplier = pair
    union = side("Liên hiệp HTX Vải", OrgType.LHHTX)
    group = side("Tổ hợp tác Vải", OrgType.THT)
    sup.add_supplier(union.actor, union.org.id, supplier.org.id)
    sup.add_supplier(supplier.actor, supplier.org.id, group.org.id)
    assert _count(SupplierLink) == 2


def test_the_list_is_the_buyers_own(pair):
    buyer, supplier = pair
    sup.add_supplier(buyer.actor, buyer.org.id, supplier.org.id)
    stranger = side("Công ty Lạ", OrgType.DN)
    with pytest.raises(NotFound):
        sup.list_suppliers(stranger.actor, buyer.org.id)
    with pytest.raises(NotFound):  # the supplier itself does not read the buyer's list
        sup.get_supplier(supplier.actor, buyer.org.id, supplier.org.id)
    with pytest.raises(NotFound):
        sup.add_supplier(stranger.actor, buyer.org.id, supplier.org.id)
    with pytest.raises(Unauthenticated):
        sup.list_suppliers(ANONYMOUS, buyer.org.id)
    hanoi, _ = authority("01")
    assert sup.get_supplier(hanoi, buyer.org.id, supplier.org.id).supplier_id == supplier.org.id
    with pytest.raises(Forbidden):  # a reader, not a writer
        sup.remove_supplier(hanoi, buyer.org.id, supplier.org.id)
    sup.remove_supplier(buyer.staff, buyer.org.id, supplier.org.id)
    assert _count(SupplierLink) == 0
    with pytest.raises(NotFound):
        sup.remove_supplier(buyer.actor, buyer.org.id, supplier.org.id)


# --- the checklist, item by item -----------------------------------------------------------


def test_every_item_passes_for_a_ready_supplier(pair):
    buyer, supplier = pair
    _ready(buyer, supplier)
    checklist = ver.compute_checklist(supplier.org.id, for_export=True,
                                      required_schemes=["vietgap"])
    assert checklist["passed"] is True
    assert [i["key"] for i in checklist["items"]] == [
        "registration_active", "certifications_valid", "planting_area_codes",
        "traceability_complete"]
    assert all(i["passed"] for i in checklist["items"])
    assert _items(checklist)["traceability_complete"]["figures"]["share"] == 1.0


def test_registration_item_fails_for_a_dissolved_cooperative(pair):
    buyer, supplier = pair
    _ready(buyer, supplier)
    supplier.org.status = OrgStatus.DISSOLVED
    db.session.commit()
    checklist = ver.compute_checklist(supplier.org.id)
    assert _items(checklist)["registration_active"]["passed"] is False
    assert checklist["passed"] is False


def test_certification_item_needs_a_valid_one_and_every_required_scheme(pair):
    _buyer, supplier = pair
    farm(supplier)
    assert _items(ver.compute_checklist(supplier.org.id))["certifications_valid"]["passed"] \
        is False
    certify(supplier, "globalgap", issued=in_days(-800), expires=in_days(-1))  # expired
    assert _items(ver.compute_checklist(supplier.org.id))["certifications_valid"]["passed"] \
        is False
    certify(supplier, "vietgap", public=False)  # private, but on file
    item = _items(ver.compute_checklist(supplier.org.id, required_schemes=["vietgap"]))
    assert item["certifications_valid"]["passed"] is True
    item = _items(ver.compute_checklist(supplier.org.id,
                                        required_schemes=["vietgap", "globalgap"]))
    assert item["certifications_valid"]["passed"] is False
    assert item["certifications_valid"]["figures"]["missing_schemes"] == ["globalgap"]


def _contract_requiring(supplier, buyer, *schemes_per_line):
    """A draft between the two (the supplier leads and produces, the buyer buys), one line
    per ``schemes_per_line`` entry requiring those schemes."""
    line = terms(supplier.org, buyer.org)["lines"][0]
    lines = [{**line, "required_certifications": list(s)} for s in schemes_per_line]
    made = contracts.create_contract(supplier.actor, **terms(supplier.org, buyer.org,
                                                             lines=lines))
    db.session.commit()
    return made


def _terminate(contract, *sides):
    for who in sides:
        contracts.confirm_contract(who.actor, contract.id)
    contracts.transition_contract(sides[0].actor, contract.id, "active")
    contracts.transition_contract(sides[0].actor, contract.id, "terminated",
                                  reason="Mất mùa")
    db.session.commit()


def test_without_schemes_of_its_own_the_buyer_requires_those_of_its_contracts(pair):
    buyer, supplier = pair
    _ready(buyer, supplier)  # vietgap on file
    draft = _contract_requiring(supplier, buyer, ["4c"], ["vietgap", "4c"])
    ended = _contract_requiring(supplier, buyer, ["globalgap"])
    _terminate(ended, supplier, buyer)
    stranger = side("Công ty Hữu cơ", OrgType.DN)
    _contract_requiring(supplier, stranger, ["organic_eu"])  # not with this buyer
    asked = ver.request_verification(buyer.actor, buyer.org.id, supplier.org.id)
    assert asked.required_schemes == ["4c", "vietgap"]
    item = _items(asked.request_checklist)["certifications_valid"]
    by_draft = [{"id": draft.id, "code": draft.code}]
    assert item["figures"]["required_by"] == {"4c": by_draft, "vietgap": by_draft}
    assert item["figures"]["missing_schemes"] == ["4c"] and item["passed"] is False
    rejected = ver.decide_verification(buyer.actor, asked.id, decision="rejected",
                                       reason="Thiếu 4C")
    assert _items(rejected.decision_checklist)["certifications_valid"]["figures"][
        "required_by"] == {"4c": by_draft, "vietgap": by_draft}
    # Schemes of the buyer's own replace the contracts'; those a contract asks are named.
    own = ver.request_verification(buyer.actor, buyer.org.id, supplier.org.id,
                                   required_schemes=["vietgap", "haccp"])
    item = _items(own.request_checklist)["certifications_valid"]
    assert own.required_schemes == ["haccp", "vietgap"]
    assert item["figures"]["required_by"] == {"vietgap": by_draft}
    assert item["figures"]["missing_schemes"] == ["haccp"]


def test_planting_area_codes_count_only_for_export(pair):
    _buyer, supplier = pair
    farm(supplier, planting_code="")
    certify(supplier)
    domestic = _items(ver.compute_checklist(supplier.org.id))["planting_area_codes"]
    assert domestic["applicable"] is False and domestic["passed"] is True
    export = _items(ver.compute_checklist(supplier.org.id, for_export=True))
    assert export["planting_area_codes"]["passed"] is False
    assert export["planting_area_codes"]["figures"] == {"areas": 1, "without_code": 1}


def test_traceability_item_fails_without_lots_and_below_the_required_share(pair):
    _buyer, supplier = pair
    grown = farm(supplier, harvest=False)
    item = _items(ver.compute_checklist(supplier.org.id))["traceability_complete"]
    assert item["passed"] is False and item["figures"]["lots"] == 0
    harvest_lot(supplier, grown.area, grown.product)
    _bare_lot(supplier.org.id, grown.product.id)  # no event, no area, no harvest day
    item = _items(ver.compute_checklist(supplier.org.id))["traceability_complete"]
    assert item["figures"]["lots"] == 2 and item["figures"]["complete"] == 1
    assert item["figures"]["share"] == 0.5 and item["passed"] is False


def _bare_lot(org_id: int, product_id: int, **fields) -> Batch:
    n = _count(Batch) + 1
    lot = Batch(organisation_id=org_id, product_id=product_id, lot_code=f"BARE{n}",
                identifier=f"https://x.example/bare/{org_id}/{n}",
                canonical_id=f"https://x.example/bare/{org_id}/{n}",
                quantity=Decimal(5), unit=Unit.KG, quantity_kg=Decimal(5), **fields)
    db.session.add(lot)
    db.session.commit()
    return lot


# --- decisions ---------------------------------------------------------------------------


def test_verified_needs_a_future_expiry_and_rejected_a_reason(pair):
    buyer, supplier = pair
    _ready(buyer, supplier)
    asked = ver.request_verification(buyer.actor, buyer.org.id, supplier.org.id)
    assert asked.request_checklist["passed"] is True
    cases = [
        ({"decision": "verified"}, {"expires_on"}),
        ({"decision": "verified", "expires_on": local_today()}, {"expires_on"}),
        ({"decision": "verified", "expires_on": in_days(-3)}, {"expires_on"}),
        ({"decision": "rejected"}, {"reason"}),
        ({"decision": "rejected", "reason": "  "}, {"reason"}),
        ({"decision": "rejected", "reason": "x", "expires_on": in_days(3)}, {"expires_on"}),
        ({"decision": "requested"}, {"decision"}),
    ]
    for kwargs, fields in cases:
        with pytest.raises(ValidationFailed) as refused:
            ver.decide_verification(buyer.actor, asked.id, **kwargs)
        assert set(refused.value.field_errors) == fields, kwargs
    db.session.refresh(asked)
    assert asked.state == "requested" and asked.decided_at is None
    decided = ver.decide_verification(buyer.actor, asked.id, decision="verified",
                                      expires_on=in_days(365))
    assert decided.status_on(local_today()) == VerificationStatus.VERIFIED
    assert decided.decision_checklist["passed"] is True and decided.decided_by_id is not None
    with pytest.raises(Conflict) as twice:
        ver.decide_verification(buyer.actor, asked.id, decision="rejected", reason="Đổi ý")
    assert set(twice.value.field_errors) == {"decision"}


def test_a_failing_checklist_cannot_be_verified_but_can_be_rejected(pair):
    buyer, supplier = pair
    _ready(buyer, supplier)
    asked = ver.request_verification(buyer.actor, buyer.org.id, supplier.org.id,
                                     required_schemes=["organic_eu"])
    with pytest.raises(ValidationFailed) as refused:
        ver.decide_verification(buyer.actor, asked.id, decision="verified",
                                expires_on=in_days(30))
    assert set(refused.value.field_errors) == {"decision"}
    # The failing item is named in words, never by its key.
    message = str(refused.value.field_errors["decision"][0])
    assert "certifications_valid" not in message
    assert str(CHECKLIST_LABELS["certifications_valid"]) in message
    rejected = ver.decide_verification(buyer.actor, asked.id, decision="rejected",
                                       reason="Thiếu chứng nhận hữu cơ EU")
    assert rejected.status_on(local_today()) == VerificationStatus.REJECTED
    assert rejected.expires_on is None


def test_only_the_requesting_organisation_decides(pair):
    buyer, supplier = pair
    _ready(buyer, supplier)
    asked = ver.request_verification(buyer.actor, buyer.org.id, supplier.org.id)
    other = side("Công ty Khác", OrgType.DN)
    hanoi, _ = authority("01")
    with pytest.raises(NotFound):
        ver.decide_verification(other.actor, asked.id, decision="rejected", reason="x")
    for reader in (supplier.actor, hanoi):
        with pytest.raises(Forbidden):
            ver.decide_verification(reader, asked.id, decision="rejected", reason="x")
    db.session.refresh(asked)
    assert asked.state == "requested"


def test_a_request_needs_the_supplier_on_the_list_and_none_open(pair):
    buyer, supplier = pair
    farm(supplier)
    with pytest.raises(ValidationFailed) as refused:
        ver.request_verification(buyer.actor, buyer.org.id, supplier.org.id)
    assert set(refused.value.field_errors) == {"supplier_id"}
    sup.add_supplier(buyer.actor, buyer.org.id, supplier.org.id)
    ver.request_verification(buyer.actor, buyer.org.id, supplier.org.id)
    with pytest.raises(Conflict):
        ver.request_verification(buyer.actor, buyer.org.id, supplier.org.id)
    assert _count(SupplierVerification) == 1


# --- expiry is read from the date --------------------------------------------------------


def test_a_verified_supplier_is_expired_from_the_day_after_its_expiry(pair):
    buyer, supplier = pair
    _ready(buyer, supplier)
    asked = ver.request_verification(buyer.actor, buyer.org.id, supplier.org.id)
    until = in_days(10)
    done = ver.decide_verification(buyer.actor, asked.id, decision="verified",
                                   expires_on=until)
    assert done.status_on(until) == VerificationStatus.VERIFIED
    assert done.status_on(until + timedelta(days=1)) == VerificationStatus.EXPIRED
    after = until + timedelta(days=1)

    def listed(status, day):
        stmt = ver.list_verifications(buyer.actor, status=status, on=day)
        return [v.id for v in db.session.scalars(stmt)]

    assert listed(VerificationStatus.VERIFIED, until) == [done.id]
    assert listed(VerificationStatus.EXPIRED, until) == []
    assert listed(VerificationStatus.EXPIRED, after) == [done.id]
    link = sup.get_supplier(buyer.actor, buyer.org.id, supplier.org.id)
    assert link.current_status(after) == VerificationStatus.EXPIRED
    assert ver.valid_verifications_of(supplier.org.id, until) == [(buyer.org.name, until)]
    assert ver.valid_verifications_of(supplier.org.id, after) == []


def test_the_badge_lists_each_verifying_buyer_once_with_its_latest_expiry(pair):
    buyer, supplier = pair
    _ready(buyer, supplier)
    second = side("Công ty An Phát", OrgType.DN)
    sup.add_supplier(second.actor, second.org.id, supplier.org.id)
    for who, days in ((buyer, 20), (second, 40)):
        asked = ver.request_verification(who.actor, who.org.id, supplier.org.id)
        ver.decide_verification(who.actor, asked.id, decision="verified",
                                expires_on=in_days(days))
    asked = ver.request_verification(buyer.actor, buyer.org.id, supplier.org.id)
    ver.decide_verification(buyer.actor, asked.id, decision="verified",
                            expires_on=in_days(90))
    assert ver.valid_verifications_of(supplier.org.id, local_today()) == [
        ("Công ty An Phát", in_days(40)), (buyer.org.name, in_days(90))]


def test_the_badge_follows_each_pairs_latest_decision_and_its_list(pair):
    buyer, supplier = pair
    _ready(buyer, supplier)
    june, march = date(2027, 6, 30), date(2027, 3, 31)

    def decide(decision, **kw):
        asked = ver.request_verification(buyer.actor, buyer.org.id, supplier.org.id)
        ver.decide_verification(buyer.actor, asked.id, decision=decision, **kw)
        db.session.commit()

    def badge():
        return ver.valid_verifications_of(supplier.org.id, local_today())

    decide("verified", expires_on=june)
    assert badge() == [(buyer.org.name, june)]
    ver.request_verification(buyer.actor, buyer.org.id, supplier.org.id)  # checked again
    assert badge() == [(buyer.org.name, june)]
    waiting = db.session.scalar(select(SupplierVerification.id).where(
        SupplierVerification.state == "requested"))
    ver.decide_verification(buyer.actor, waiting, decision="verified", expires_on=march)
    assert badge() == [(buyer.org.name, march)]  # the nearer expiry, not the June one
    decide("rejected", reason="Hết hạn chứng nhận")
    assert badge() == []  # the rejection replaces every earlier verification
    decide("verified", expires_on=june)
    assert badge() == [(buyer.org.name, june)]
    sup.remove_supplier(buyer.actor, buyer.org.id, supplier.org.id)
    assert badge() == []  # off the list: no badge, though the verification is kept


# --- who sees which verification ---------------------------------------------------------


def test_each_party_sees_only_the_verifications_it_may(pair):
    buyer_a, supplier = pair
    _ready(buyer_a, supplier)
    buyer_b = side("Công ty B", OrgType.DN)
    sup.add_supplier(buyer_b.actor, buyer_b.org.id, supplier.org.id, note="B's")
    far = side("HTX Sài Gòn", province=HCMC)
    farm(far)
    sup.add_supplier(buyer_b.actor, buyer_b.org.id, far.org.id)
    of_a = ver.request_verification(buyer_a.actor, buyer_a.org.id, supplier.org.id,
                                    note="Bí mật A")
    of_b = ver.request_verification(buyer_b.actor, buyer_b.org.id, supplier.org.id,
                                    note="Bí mật B")
    far_b = ver.request_verification(buyer_b.actor, buyer_b.org.id, far.org.id)
    db.session.commit()

    def ids(actor):
        return {v.id for v in db.session.scalars(ver.list_verifications(actor))}

    assert ids(buyer_a.actor) == {of_a.id}
    assert ids(buyer_b.actor) == {of_b.id, far_b.id}
    with pytest.raises(NotFound):
        ver.get_verification(buyer_a.actor, of_b.id)
    assert ver.get_verification(buyer_a.actor, of_a.id).visible_note == "Bí mật A"
    # The supplier reads those of itself, without the buyers' notes.
    assert ids(supplier.actor) == {of_a.id, of_b.id}
    assert ver.get_verification(supplier.actor, of_a.id).visible_note is None
    assert all(v.visible_note is None
               for v in db.session.scalars(ver.list_verifications(supplier.actor)))
    # Authorities: by the supplier's province; the note is never theirs.
    hanoi, _ = authority("01")
    saigon, _ = authority(HCMC)
    national, _ = authority(None)
    assert ids(hanoi) == {of_a.id, of_b.id}
    assert ids(saigon) == {far_b.id}
    assert ids(national) == {of_a.id, of_b.id, far_b.id}
    with pytest.raises(NotFound):
        ver.get_verification(saigon, of_a.id)
    assert ver.get_verification(hanoi, of_a.id).visible_note is None
    platform, _ = admin()
    assert ver.get_verification(platform, of_b.id).visible_note == "Bí mật B"
    with pytest.raises(Unauthenticated):
        ver.get_verification(ANONYMOUS, of_a.id)
