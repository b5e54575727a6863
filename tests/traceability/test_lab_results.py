"""Lab results on a lot (``traceability.services.lab_results``): recorded by the lot's
organisation only, checked field by field, once per test of a report, read by whoever
reads the lot."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.actor import Actor, PlatformRole
from core.clock import local_today
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import actor_of, make_user_with_token
from tests.traceability.batch_factories import Party, make_area, make_product
from traceability.models import Batch, BatchStatus, LabOutcome, LabResult, LabTest
from traceability.services import lab_results as lab_svc
from traceability.services import recording

GOOD: dict[str, Any] = {
    "test": "pesticide_residues",
    "laboratory": "Trung tâm Kiểm nghiệm Thực phẩm Hà Nội",
    "accreditation": "VILAS 1234",
    "sampled_on": date(2026, 3, 2),
    "outcome": "pass",
    "report_number": "KQ-2026/118",
}


def harvest(party: Party) -> Batch:
    batch = recording.record_harvest(
        party.staff, area_ids=[make_area(party.org).id],
        product_id=make_product(party.org).id, quantity=Decimal(100), unit="kg",
        harvested_on="2026-03-01",
    )
    db.session.flush()
    return batch


def platform(role: PlatformRole, province_code: str | None = None) -> Actor:
    user, _headers = make_user_with_token(platform_role=role, province_code=province_code)
    return actor_of(user)


def count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(LabResult)) or 0)


def test_the_lot_s_staff_record_a_result_tidied_to_one_line(coop: Party) -> None:
    batch = harvest(coop)
    result = lab_svc.record_lab_result(
        coop.staff, batch.id,
        **{**GOOD, "laboratory": "  Trung tâm Kiểm nghiệm\n  Thực phẩm Hà Nội ",
           "accreditation": None})
    assert result.batch_id == batch.id and result.recorded_by_id == coop.staff.user_id
    assert (result.test, result.outcome) == (LabTest.PESTICIDE_RESIDUES, LabOutcome.PASS)
    assert result.laboratory == "Trung tâm Kiểm nghiệm Thực phẩm Hà Nội"
    assert result.accreditation == ""
    listed = db.session.scalars(lab_svc.list_lab_results(coop.admin, batch.id)).all()
    assert [r.id for r in listed] == [result.id]


def test_results_are_listed_newest_sample_first(coop: Party) -> None:
    batch = harvest(coop)
    older = lab_svc.record_lab_result(coop.staff, batch.id, **GOOD)
    newer = lab_svc.record_lab_result(
        coop.staff, batch.id, **{**GOOD, "test": "heavy_metals", "outcome": "fail",
                                 "sampled_on": date(2026, 3, 5)})
    listed = db.session.scalars(lab_svc.list_lab_results(coop.staff, batch.id)).all()
    assert [r.id for r in listed] == [newer.id, older.id]


def test_the_same_test_of_the_same_report_is_recorded_once(coop: Party) -> None:
    batch = harvest(coop)
    lab_svc.record_lab_result(coop.staff, batch.id, **GOOD)
    with pytest.raises(Conflict) as refused:
        lab_svc.record_lab_result(coop.admin, batch.id, **{**GOOD, "outcome": "fail"})
    assert "report_number" in refused.value.field_errors
    # Another test of the same report is another result.
    lab_svc.record_lab_result(coop.staff, batch.id, **{**GOOD, "test": "microbiology"})
    assert count() == 2


def test_only_the_lot_s_organisation_and_platform_admins_record(coop: Party, dn: Party) -> None:
    batch = harvest(coop)
    with pytest.raises(NotFound):
        lab_svc.record_lab_result(dn.admin, batch.id, **GOOD)
    with pytest.raises(NotFound):
        lab_svc.list_lab_results(dn.admin, batch.id)
    # An authority over the province reads the lot and its results, but records nothing.
    authority = platform(PlatformRole.AUTHORITY)
    assert db.session.scalars(lab_svc.list_lab_results(authority, batch.id)).all() == []
    with pytest.raises(Forbidden):
        lab_svc.record_lab_result(authority, batch.id, **GOOD)
    assert count() == 0
    lab_svc.record_lab_result(platform(PlatformRole.ADMIN), batch.id, **GOOD)
    assert count() == 1


def test_a_buyer_reads_the_results_of_a_lot_shipped_to_it_but_records_none(
    coop: Party, dn: Party
) -> None:
    batch = harvest(coop)
    lab_svc.record_lab_result(coop.staff, batch.id, **GOOD)
    recording.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                              quantity=Decimal(10), unit="kg")
    assert len(db.session.scalars(lab_svc.list_lab_results(dn.staff, batch.id)).all()) == 1
    with pytest.raises(Forbidden):
        lab_svc.record_lab_result(dn.admin, batch.id, **{**GOOD, "report_number": "X"})


def test_a_withdrawn_lot_takes_no_result_but_a_recalled_one_does(coop: Party) -> None:
    batch = harvest(coop)
    batch.status = BatchStatus.VOID
    db.session.flush()
    with pytest.raises(Conflict):
        lab_svc.record_lab_result(coop.staff, batch.id, **GOOD)
    recalled = harvest(coop)
    recording.record_recall(coop.staff, recalled.id)
    lab_svc.record_lab_result(coop.staff, recalled.id, **{**GOOD, "outcome": "fail"})
    assert count() == 1


@pytest.mark.parametrize(("field", "value"), [
    ("test", None),
    ("test", "astrology"),
    ("laboratory", ""),
    ("laboratory", "   \n "),
    ("laboratory", "L" * 2048),
    ("laboratory", "Phòng thí nghiệm\x07"),
    ("laboratory", 42),
    ("accreditation", "V" * 41),
    ("sampled_on", None),
    ("sampled_on", "hôm qua"),
    ("sampled_on", date(1899, 12, 31)),
    ("sampled_on", date(9999, 1, 1)),
    ("outcome", "maybe"),
    ("outcome", None),
    ("report_number", ""),
    ("report_number", "R" * 61),
])
def test_bad_values_are_refused_naming_the_field(coop: Party, field: str, value: Any) -> None:
    batch = harvest(coop)
    with pytest.raises(ValidationFailed) as refused:
        lab_svc.record_lab_result(coop.staff, batch.id, **{**GOOD, field: value})
    assert field in refused.value.field_errors
    assert count() == 0


def test_a_sample_cannot_be_taken_tomorrow(coop: Party) -> None:
    batch = harvest(coop)
    with pytest.raises(ValidationFailed) as refused:
        lab_svc.record_lab_result(
            coop.staff, batch.id, **{**GOOD, "sampled_on": local_today() + timedelta(days=1)})
    assert list(refused.value.field_errors) == ["sampled_on"]
    # Today is fine, as an ISO date from a caller that did not parse it too.
    lab_svc.record_lab_result(coop.staff, batch.id,
                              **{**GOOD, "sampled_on": local_today().isoformat()})


def test_every_wrong_field_is_named_at_once_and_unknown_ones_too(coop: Party) -> None:
    batch = harvest(coop)
    with pytest.raises(ValidationFailed) as refused:
        lab_svc.record_lab_result(coop.staff, batch.id, test="x", laboratory="",
                                  sampled_on=None, outcome="", report_number="",
                                  colour="red")
    assert set(refused.value.field_errors) == {
        "test", "laboratory", "sampled_on", "outcome", "report_number", "colour"}


def test_markup_in_a_laboratory_s_name_is_kept_as_text(coop: Party) -> None:
    batch = harvest(coop)
    name = "<script>alert('lab')</script> & Co"
    result = lab_svc.record_lab_result(coop.staff, batch.id, **{**GOOD, "laboratory": name})
    assert result.laboratory == name  # stored as written; every page escapes it


# --------------------------------------------------------------------------- withdrawal


def test_the_owner_withdraws_a_result_with_a_reason_and_keeps_the_row(coop: Party) -> None:
    batch = harvest(coop)
    result = lab_svc.record_lab_result(coop.staff, batch.id, **GOOD)
    withdrawn = lab_svc.withdraw_lab_result(
        coop.admin, batch.id, result.id, "  Nhầm số\n báo cáo ")
    assert withdrawn.id == result.id and withdrawn.withdrawn_at is not None
    assert withdrawn.withdrawn_by_id == coop.admin.user_id
    assert withdrawn.withdrawal_reason == "Nhầm số báo cáo"
    assert count() == 1  # nothing deleted
    with pytest.raises(Conflict):
        lab_svc.withdraw_lab_result(coop.staff, batch.id, result.id, "again")


def test_only_who_records_withdraws(coop: Party, dn: Party) -> None:
    batch = harvest(coop)
    result = lab_svc.record_lab_result(coop.staff, batch.id, **GOOD)
    with pytest.raises(NotFound):
        lab_svc.withdraw_lab_result(dn.admin, batch.id, result.id, "Nhầm")
    recording.record_shipping(coop.staff, batch.id, to_organisation_id=dn.org.id,
                              quantity=Decimal(10), unit="kg")
    with pytest.raises(Forbidden):  # the buyer reads the lot, but may not withdraw
        lab_svc.withdraw_lab_result(dn.admin, batch.id, result.id, "Nhầm")
    with pytest.raises(Forbidden):
        lab_svc.withdraw_lab_result(platform(PlatformRole.AUTHORITY), batch.id, result.id,
                                    "Nhầm")
    other = harvest(coop)  # a result is withdrawn through its own lot only
    with pytest.raises(NotFound):
        lab_svc.withdraw_lab_result(coop.staff, other.id, result.id, "Nhầm")
    assert result.withdrawn_at is None


@pytest.mark.parametrize("reason", [None, "", "   ", "x" * 501, "a\x07b", 5])
def test_the_reason_is_required_on_one_line(coop: Party, reason: Any) -> None:
    batch = harvest(coop)
    result = lab_svc.record_lab_result(coop.staff, batch.id, **GOOD)
    with pytest.raises(ValidationFailed) as refused:
        lab_svc.withdraw_lab_result(coop.staff, batch.id, result.id, reason)
    assert list(refused.value.field_errors) == ["reason"]
    assert result.withdrawn_at is None
    lab_svc.withdraw_lab_result(coop.staff, batch.id, result.id, "x" * 500)


def test_after_a_withdrawal_the_corrected_result_is_recorded(coop: Party) -> None:
    batch = harvest(coop)
    wrong = lab_svc.record_lab_result(coop.staff, batch.id, **{**GOOD, "outcome": "fail"})
    lab_svc.withdraw_lab_result(coop.staff, batch.id, wrong.id, "Sai kết quả")
    right = lab_svc.record_lab_result(coop.staff, batch.id, **GOOD)
    assert right.id != wrong.id and count() == 2
    with pytest.raises(Conflict):  # the standing one is still recorded once
        lab_svc.record_lab_result(coop.staff, batch.id, **GOOD)
    # Even past the service's check, the index refuses a second standing row.
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(LabResult(batch_id=batch.id, recorded_by_id=None,
                                 **lab_svc.check_lab_result(GOOD)))
        db.session.flush()


def test_a_result_on_a_withdrawn_lot_may_still_be_withdrawn(coop: Party) -> None:
    batch = harvest(coop)
    result = lab_svc.record_lab_result(coop.staff, batch.id, **GOOD)
    batch.status = BatchStatus.VOID
    db.session.flush()
    assert lab_svc.withdraw_lab_result(coop.staff, batch.id, result.id, "Nhầm").withdrawn_at
