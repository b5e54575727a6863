"""Laboratory results recorded on a lot (``LabResult``): the evidence behind "backed by a lab
result" on the consumer trace page (``traceability.services.trace_page``).

Guarantees:
- the lot's organisation (its staff and admins) and platform admins record results: 404 to
  those who may not read the lot, 403 to those who may (a buyer it was shipped to, an
  authority), 409 on a withdrawn (void) lot; a recalled or used-up lot still takes one
  (the result that explains a recall comes after it, often);
- a result names a test of ``LabTest``, a laboratory (1 to 200 characters) and optionally
  its accreditation (up to 40, e.g. "VILAS 1234"), the day the sample was taken (within the
  calendar, not after today), pass or fail, and the report's number (1 to 60). Texts are
  kept on one line with single spaces (they are shown as one line); control characters are
  refused. Every wrong field is named at once;
- one test of one report stands once per lot: the same again is 409 on
  ``report_number``, also when two requests race (the unique index);
- who records withdraws a result recorded in error (also on a withdrawn lot: the record is
  corrected, not the lot), with a reason (1 to 500 characters, kept on one line); nothing
  is deleted: the row keeps when, by whom and why. A result not of the lot is 404, one
  withdrawn already 409. A withdrawn result backs nothing on the trace page, and the same
  test of the same report may be recorded again (the corrected result);
- whoever may read the lot (``batches.get_batch``) reads its results, newest sample first;
  the public trace page shows passed results only (a failed one is the producer's and its
  buyers' to act on: a recall is what the consumer sees).

Nothing here commits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from core.actor import Actor, can_write
from core.boundary import calendar_message, in_calendar, required_choice
from core.clock import local_today
from core.db import db, utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import _l
from traceability.models.batches import Batch, BatchStatus
from traceability.models.lab_results import LabOutcome, LabResult, LabTest
from traceability.services import batches as batch_svc

LABORATORY_MAX = 200
ACCREDITATION_MAX = 40
REPORT_NUMBER_MAX = 60
REASON_MAX = 500
FIELDS = ("test", "laboratory", "accreditation", "sampled_on", "outcome", "report_number")

# The words for each test, on the batch page, the trace page and in the API's docs.
LAB_TEST_LABELS: Mapping[LabTest, Any] = {
    LabTest.PESTICIDE_RESIDUES: _l("Pesticide residues"),
    LabTest.HEAVY_METALS: _l("Heavy metals"),
    LabTest.MICROBIOLOGY: _l("Microbiology"),
    LabTest.MYCOTOXINS: _l("Mycotoxins"),
    LabTest.VETERINARY_DRUG_RESIDUES: _l("Veterinary drug residues"),
    LabTest.OTHER: _l("Other test"),
}
LAB_OUTCOME_LABELS: Mapping[LabOutcome, Any] = {
    LabOutcome.PASS: _l("Passed"),
    LabOutcome.FAIL: _l("Failed"),
}

Err = Callable[[str, Any], None]


# --------------------------------------------------------------------------- who


def may_record_lab_results(actor: Actor, batch: Batch) -> bool:
    """Would ``record_lab_result`` accept this actor for the lot (state aside)?"""
    return actor.is_authenticated and can_write(actor, batch.organisation_id)


def recording_batch(actor: Actor, batch_id: int, *, refuse_void: bool = True) -> Batch:
    """The lot, for recording a result (or showing the form that does): 404 / 403 as the
    module says, and 409 on a withdrawn lot unless ``refuse_void`` is false."""
    batch = batch_svc.owned_batch(actor, batch_id)
    if refuse_void and batch.status == BatchStatus.VOID:
        raise Conflict(_l(
            "Batch %(lot)s is withdrawn: the event that created it did not occur, so no "
            "lab result can be recorded on it.", lot=batch.lot_code,
        ))
    return batch


# --------------------------------------------------------------------------- reads


def list_lab_results(actor: Actor, batch_id: int) -> Select[tuple[LabResult]]:
    """The lot's results, newest sample first, for ``db.paginate`` (readers of the lot;
    anyone else 404)."""
    batch = batch_svc.get_batch(actor, batch_id)
    return results_of(batch.id)


def results_of(batch_id: int) -> Select[tuple[LabResult]]:
    """A lot's results, newest sample first (callers have checked access)."""
    return (
        select(LabResult)
        .where(LabResult.batch_id == batch_id)
        .order_by(LabResult.sampled_on.desc(), LabResult.id.desc())
    )


# --------------------------------------------------------------------------- writes


def record_lab_result(actor: Actor, batch_id: int, **data: Any) -> LabResult:
    """Record one test of a laboratory report on the lot (flushed); see the module
    docstring for who may and what is refused. ``data`` holds ``FIELDS``."""
    batch = recording_batch(actor, batch_id)
    values = check_lab_result(data)
    taken = select(LabResult.id).where(
        LabResult.batch_id == batch.id,
        LabResult.test == values["test"],
        LabResult.report_number == values["report_number"],
        LabResult.withdrawn_at.is_(None),
    )
    if db.session.scalar(taken.limit(1)) is not None:
        raise _recorded_already()
    result = LabResult(batch_id=batch.id, recorded_by_id=actor.user_id or None, **values)
    try:
        with db.session.begin_nested():
            db.session.add(result)
            db.session.flush()
    except IntegrityError as error:  # another request recorded it meanwhile
        raise _recorded_already() from error
    return result


def withdraw_lab_result(actor: Actor, batch_id: int, result_id: int, reason: Any) -> LabResult:
    """Withdraw a result of the lot recorded in error (flushed); see the module docstring."""
    batch = recording_batch(actor, batch_id, refuse_void=False)
    result = db.session.get(LabResult, result_id, with_for_update=True)
    if result is None or result.batch_id != batch.id:
        raise NotFound(_l("No such lab result on this lot."))
    if result.withdrawn_at is not None:
        raise Conflict(_l("This lab result is withdrawn already."))
    errors: dict[str, list[Any]] = {}
    text = _line(reason, "reason", REASON_MAX, lambda f, m: errors.setdefault(f, []).append(m))
    if errors:
        raise ValidationFailed(field_errors=errors)
    result.withdrawn_at = utcnow()
    result.withdrawn_by_id = actor.user_id or None
    result.withdrawal_reason = text
    db.session.flush()
    return result


def check_lab_result(data: Mapping[str, Any]) -> dict[str, Any]:
    """The values of a result, tidied, or ``ValidationFailed`` naming every wrong field."""
    errors: dict[str, list[Any]] = {}

    def err(field: str, message: Any) -> None:
        errors.setdefault(field, []).append(message)

    for name in sorted(set(data) - set(FIELDS)):
        err(name, _l("Unknown field."))
    values = {
        "test": required_choice(LabTest, data.get("test"), "test", err),
        "laboratory": _line(data.get("laboratory"), "laboratory", LABORATORY_MAX, err),
        "accreditation": _line(data.get("accreditation"), "accreditation", ACCREDITATION_MAX,
                               err, required=False),
        "sampled_on": _sample_day(data.get("sampled_on"), err),
        "outcome": required_choice(LabOutcome, data.get("outcome"), "outcome", err),
        "report_number": _line(data.get("report_number"), "report_number",
                               REPORT_NUMBER_MAX, err),
    }
    if errors:
        raise ValidationFailed(field_errors=errors)
    return values


def _recorded_already() -> Conflict:
    message = _l("This test of this report is already recorded for this lot.")
    return Conflict(message, field_errors={"report_number": [message]})


def _line(value: Any, field: str, limit: int, err: Err, *, required: bool = True) -> str:
    """A text on one line with single spaces (a lab's name pasted from a report often
    breaks across lines); control characters such as a bell or an escape are refused."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        err(field, _l("Enter a text."))
        return ""
    text = " ".join(value.split())
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        err(field, _l("Use letters, digits and punctuation only."))
    elif not text and required:
        err(field, _l("Required."))
    elif len(text) > limit:
        err(field, _l("At most %(n)d characters.", n=limit))
    return text


def _sample_day(value: Any, err: Err) -> date | None:
    if isinstance(value, str):  # an ISO date, from a caller that did not parse it
        try:
            value = date.fromisoformat(value)
        except ValueError:
            err("sampled_on", _l("Enter a date."))
            return None
    if isinstance(value, datetime):  # the day of a moment: a sample is dated by its day
        value = value.date()
    if not isinstance(value, date):
        err("sampled_on", _l("Enter a date."))
        return None
    if not in_calendar(value):
        err("sampled_on", calendar_message())
    elif value > local_today():
        err("sampled_on", _l("The date cannot be in the future."))
    return value


__all__ = [
    "ACCREDITATION_MAX",
    "FIELDS",
    "LABORATORY_MAX",
    "LAB_OUTCOME_LABELS",
    "LAB_TEST_LABELS",
    "REASON_MAX",
    "REPORT_NUMBER_MAX",
    "check_lab_result",
    "list_lab_results",
    "may_record_lab_results",
    "record_lab_result",
    "recording_batch",
    "results_of",
    "withdraw_lab_result",
]
