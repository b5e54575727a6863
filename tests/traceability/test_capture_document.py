"""The EPCIS capture services (``capture.capture_document``, ``capture.capture_event``),
called directly: what the REST binding's views do in one call, without HTTP."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from core.actor import ANONYMOUS, Actor, PlatformRole
from core.db import db
from core.errors import Conflict, Forbidden, Unauthenticated, ValidationFailed
from tests.app.test_epcis_api import CONTEXT, document, event
from tests.factories import actor_of, make_org, make_user_with_token
from traceability.epcis.hashing import event_hash_id
from traceability.models import EpcisEvent
from traceability.services.capture import capture_document, capture_event


def capturer() -> Actor:
    org = make_org("HTX Lúa gạo")
    user, _ = make_user_with_token(org)
    return actor_of(user, org)


def stored_count() -> int:
    return db.session.scalar(select(func.count()).select_from(EpcisEvent))


def test_a_valid_document_stores_every_event_for_the_actors_organisation() -> None:
    actor = capturer()
    before = stored_count()
    captured = capture_document(actor, document(event(1), event(2)), proceed=False)
    assert sorted(captured.outcomes) == [0, 1]
    assert captured.errors == {}
    assert [captured.outcomes[i].status for i in (0, 1)] == ["captured", "captured"]
    assert stored_count() == before + 2
    row = db.session.get(EpcisEvent, captured.outcomes[0].pk)
    assert row.organisation_id == actor.organisation_id
    assert row.event_id == captured.outcomes[0].event_id


def test_a_resent_document_is_reported_as_duplicates_and_writes_nothing() -> None:
    actor = capturer()
    doc = document(event(1), event(2))
    capture_document(actor, copy.deepcopy(doc), proceed=False)
    before = stored_count()
    again = capture_document(actor, doc, proceed=False)
    assert [again.outcomes[i].status for i in (0, 1)] == ["duplicate", "duplicate"]
    assert stored_count() == before


def test_rollback_refuses_the_whole_document_for_one_invalid_event_and_writes_nothing() -> None:
    actor = capturer()
    broken = event(2, eventTime="2026-03-01T08:00:00")  # no time-zone offset
    before = stored_count()
    with pytest.raises(ValidationFailed) as refused:
        capture_document(actor, document(event(1), broken, event(3)), proceed=False)
    assert "epcisBody.eventList.1.eventTime" in refused.value.field_errors
    assert stored_count() == before


def test_proceed_stores_the_valid_events_and_reports_the_invalid_one() -> None:
    actor = capturer()
    broken = event(2, bizStep="harvesting_rice")  # not a CBV word, not a URI
    before = stored_count()
    captured = capture_document(actor, document(event(1), broken, event(3)), proceed=True)
    assert sorted(captured.outcomes) == [0, 2]
    assert list(captured.errors) == [1]
    assert "epcisBody.eventList.1.bizStep" in captured.errors[1]
    assert len(captured.events) == 3
    assert stored_count() == before + 2


def test_an_unusable_document_is_refused_even_with_proceed() -> None:
    actor = capturer()
    before = stored_count()
    with pytest.raises(ValidationFailed) as refused:
        capture_document(actor, {**document(event(1)), "schemaVersion": "1.2"}, proceed=True)
    assert "schemaVersion" in refused.value.field_errors
    assert stored_count() == before


def test_ignore_fields_of_the_document_are_left_out_of_the_hash_event_id() -> None:
    actor = capturer()
    doc = document(event(1, **{"ex:captureId": "abc"}),
                   context=[*CONTEXT, {"ex": "https://example.com/epcis/"}])
    doc["ex:ignoreFields"] = ["ex:captureId"]
    expected = event_hash_id(copy.deepcopy(doc["epcisBody"]["eventList"][0]), doc["@context"],
                             ignore_fields=("ex:captureId",))
    captured = capture_document(actor, doc, proceed=False)
    assert captured.outcomes[0].event_id == expected


@pytest.mark.parametrize(
    ("actor", "error"),
    [
        (ANONYMOUS, Unauthenticated),
        (Actor(user_id=1, platform_role=PlatformRole.AUTHORITY), Forbidden),
        (Actor(user_id=1), Forbidden),  # signed in, acting for no organisation
    ],
)
def test_an_actor_who_may_not_capture_is_refused_and_nothing_is_written(
    actor: Actor, error: type[Exception]
) -> None:
    before = stored_count()
    with pytest.raises(error):
        capture_document(actor, document(event(1)), proceed=True)
    with pytest.raises(error):
        capture_event(actor, {**event(1), "@context": CONTEXT})
    assert stored_count() == before


def test_capture_event_stores_one_event_and_refuses_it_twice() -> None:
    actor = capturer()
    sent = event(5)  # no @context: read in the EPCIS 2.0 context
    stored = capture_event(actor, copy.deepcopy(sent))
    assert stored.organisation_id == actor.organisation_id
    assert stored.document["eventID"] == stored.event_id
    before = stored_count()
    with pytest.raises(Conflict):
        capture_event(actor, sent)
    assert stored_count() == before


def test_capture_event_refuses_a_document_and_an_invalid_event() -> None:
    actor = capturer()
    before = stored_count()
    with pytest.raises(ValidationFailed) as refused:
        capture_event(actor, document(event(1)))
    assert "type" in refused.value.field_errors
    with pytest.raises(ValidationFailed) as refused:
        capture_event(actor, event(1, eventTime="2026-03-01T08:00:00"))
    assert "eventTime" in refused.value.field_errors
    assert stored_count() == before
