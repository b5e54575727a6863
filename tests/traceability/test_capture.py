"""The shared event store: traceability.services.capture.store_events."""

from __future__ import annotations

import copy
import itertools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.actor import ANONYMOUS, SYSTEM, Actor, PlatformRole
from core.db import db, utcnow
from core.errors import Forbidden, Unauthenticated
from core.units import Unit
from linkages.models.organisations import Organisation, OrgType
from tests.factories import actor_of, make_org, make_user_with_token
from traceability.epcis.validation import check_document, validate_event
from traceability.gs1 import build_digital_link, canonical_uri, gs1_check_digit
from traceability.models import (
    Batch,
    BatchLink,
    Commodity,
    EpcisEvent,
    EpcRole,
    EventBatch,
    EventEpc,
    Product,
    Shipment,
)
from traceability.services.capture import (
    BatchEffect,
    Link,
    PreparedEvent,
    canonical_identifier,
    events_withdrawn,
    store_events,
)

DATA = Path(__file__).parent / "data"
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
BASE = "https://trace.example.vn"
_gtin_serial = itertools.count(1)
_lot_serial = itertools.count(1)


# --------------------------------------------------------------------------- helpers


def new_gtin() -> str:
    body = f"089312{next(_gtin_serial) + 3000:07d}"
    return f"{body}{gs1_check_digit(body)}"


def make_batch(org: Organisation, *, gtin: str | None = None, lot: str | None = None) -> Batch:
    """A committed GTIN batch of ``org`` (bypassing the batch service)."""
    gtin = gtin or new_gtin()
    product = db.session.scalar(select(Product).where(Product.gtin == gtin))
    if product is None:
        product = Product(
            organisation_id=org.id,
            code=f"P{gtin[-6:]}",
            name="Gạo ST25",
            commodity=Commodity.RICE,
            gtin=gtin,
            default_unit=Unit.KG,
        )
        db.session.add(product)
        db.session.flush()
    lot = lot or f"L{next(_lot_serial):05d}"
    identifier = build_digital_link(BASE, gtin, lot=lot)
    batch = Batch(
        organisation_id=org.id,
        product_id=product.id,
        lot_code=lot,
        identifier=identifier,
        canonical_id=canonical_uri(identifier),
        quantity=Decimal(1000),
        unit=Unit.KG,
        quantity_kg=Decimal(1000),
    )
    db.session.add(batch)
    db.session.commit()
    return batch


def org_actor(org: Organisation | None = None) -> tuple[Organisation, Actor]:
    org = org or make_org("HTX Lúa gạo")
    user, _ = make_user_with_token(org)
    return org, actor_of(user, org)


def object_event(*epcs: str, time: str = "2026-03-01T08:00:00+07:00", **extra: Any) -> dict:
    event = {
        "type": "ObjectEvent",
        "eventTime": time,
        "eventTimeZoneOffset": time[-6:],
        "epcList": list(epcs),
        "action": "OBSERVE",
        "bizStep": "receiving",
        **extra,
    }
    assert validate_event(event, CONTEXT) == {}
    return event


def quantity_event(epc_class: str, kg: float, **extra: Any) -> dict:
    event = {
        "type": "ObjectEvent",
        "eventTime": "2026-03-01T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "epcList": [],
        "quantityList": [{"epcClass": epc_class, "quantity": kg, "uom": "KGM"}],
        "action": "ADD",
        "bizStep": "commissioning",
        **extra,
    }
    assert validate_event(event, CONTEXT) == {}
    return event


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --------------------------------------------------------------------------- tests


def test_event_without_id_gets_the_golden_event_hash_id() -> None:
    _, actor = org_actor()
    doc = json.loads((DATA / "event-hash" / "epcisDocWithSingleEvent.jsonld").read_text())
    golden = (DATA / "event-hash" / "epcisDocWithSingleEvent.hashes").read_text().split()
    checked = check_document(doc)
    results = store_events(actor, [PreparedEvent(e) for e in checked.events], doc["@context"])
    assert [r.event_id for r in results] == golden
    stored = db.session.get(EpcisEvent, results[0].pk)
    assert stored.event_id == golden[0]
    assert stored.document["eventID"] == golden[0]
    assert stored.document["recordTime"].endswith("Z")
    assert stored.biz_step == "shipping"
    assert stored.disposition == "in_transit"
    assert stored.read_point == "https://id.gs1.org/414/0614141073467/254/1234"
    assert stored.event_tz_offset == "-06:00"
    assert stored.organisation_id == actor.organisation_id


def test_resent_event_is_a_duplicate_and_nothing_is_written() -> None:
    _, actor = org_actor()
    event = object_event("urn:epc:id:sgtin:0614141.107346.2017")
    first = store_events(actor, [PreparedEvent(event)], CONTEXT)
    before = count(EpcisEvent)
    again = store_events(actor, [PreparedEvent(copy.deepcopy(event))], CONTEXT)
    assert first[0].status == "captured"
    assert again[0].status == "duplicate"
    assert again[0].pk == first[0].pk
    assert count(EpcisEvent) == before


def test_same_event_twice_in_one_call_is_stored_once() -> None:
    _, actor = org_actor()
    event = object_event("urn:epc:id:sgtin:0614141.107346.2017")
    results = store_events(actor, [PreparedEvent(event), PreparedEvent(dict(event))], CONTEXT)
    assert [r.status for r in results] == ["captured", "duplicate"]
    assert results[0].pk == results[1].pk


def test_the_callers_event_dict_is_not_modified() -> None:
    _, actor = org_actor()
    event = object_event("urn:epc:id:sgtin:0614141.107346.2017")
    snapshot = copy.deepcopy(event)
    store_events(actor, [PreparedEvent(event)], CONTEXT)
    assert event == snapshot


def test_identifiers_are_indexed_canonically_whatever_their_spelling() -> None:
    _, actor = org_actor()
    event = object_event(
        "urn:epc:id:sgtin:0614141.107346.2017",
        "https://example.com/01/10614141073464/21/2018",
        "urn:uuid:6b5d5e2c-7f7c-4f52-9f43-1c2d0e6fa001",
    )
    [result] = store_events(actor, [PreparedEvent(event)], CONTEXT)
    epcs = set(
        db.session.scalars(select(EventEpc.epc).where(EventEpc.event_pk == result.pk))
    )
    assert epcs == {
        "https://id.gs1.org/01/10614141073464/21/2017",
        "https://id.gs1.org/01/10614141073464/21/2018",
        "urn:uuid:6b5d5e2c-7f7c-4f52-9f43-1c2d0e6fa001",
    }
    assert canonical_identifier("urn:epc:class:lgtin:4012345.022222.87545GHGH") == (
        "https://id.gs1.org/01/04012345222227/10/87545GHGH"
    )


def test_event_naming_an_own_batch_attaches_to_it_in_any_spelling() -> None:
    org, actor = org_actor()
    batch = make_batch(org)
    other_domain = batch.identifier.replace(BASE, "https://resolver.example.com")
    event = quantity_event(other_domain, 10)
    [result] = store_events(actor, [PreparedEvent(event)], CONTEXT)
    rows = db.session.execute(
        select(EventBatch.batch_id, EventBatch.quantity_kg).where(
            EventBatch.event_pk == result.pk
        )
    ).all()
    assert rows == [(batch.id, Decimal(0))]
    roles = db.session.scalars(
        select(EventEpc.role).where(EventEpc.event_pk == result.pk)
    ).all()
    assert roles == [EpcRole.QUANTITY]


def test_explicit_effects_and_links_are_written() -> None:
    org, actor = org_actor()
    parent, child = make_batch(org), make_batch(org)
    event = {
        "type": "TransformationEvent",
        "eventTime": "2026-03-02T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "inputQuantityList": [{"epcClass": parent.identifier, "quantity": 100, "uom": "KGM"}],
        "outputQuantityList": [{"epcClass": child.identifier, "quantity": 90, "uom": "KGM"}],
        "bizStep": "commissioning",
    }
    assert validate_event(event, CONTEXT) == {}
    item = PreparedEvent(
        event,
        effects=[BatchEffect(parent.id, Decimal(-100)), BatchEffect(child.id, Decimal(90))],
        links=[Link(parent.id, child.id, Decimal(100))],
    )
    [result] = store_events(actor, [item], CONTEXT)
    effects = dict(
        db.session.execute(
            select(EventBatch.batch_id, EventBatch.quantity_kg).where(
                EventBatch.event_pk == result.pk
            )
        ).all()
    )
    assert effects == {parent.id: Decimal(-100), child.id: Decimal(90)}
    link = db.session.scalar(select(BatchLink).where(BatchLink.event_pk == result.pk))
    assert (link.parent_id, link.child_id, link.quantity_kg) == (parent.id, child.id, 100)


def test_naming_another_organisations_batch_is_kept_as_an_own_observation() -> None:
    _, actor = org_actor()
    stranger = make_org("HTX Khác")
    batch = make_batch(stranger)
    event = quantity_event(batch.identifier, 5)
    [result] = store_events(actor, [PreparedEvent(event)], CONTEXT)
    assert result.status == "captured"
    stored = db.session.get(EpcisEvent, result.pk)
    assert stored.organisation_id == actor.organisation_id
    # Not attached to the stranger's lot: absent from its timeline and its quantity.
    attached = select(func.count()).where(EventBatch.batch_id == batch.id)
    assert db.session.scalar(attached) == 0


def test_a_service_effect_on_another_organisations_batch_is_refused() -> None:
    _, actor = org_actor()
    foreign = make_batch(make_org("HTX Lạ"))
    event = quantity_event(foreign.identifier, 4)
    before = count(EpcisEvent)
    with pytest.raises(Forbidden):
        store_events(
            actor, [PreparedEvent(event, effects=[BatchEffect(foreign.id, Decimal(-4))])], CONTEXT
        )
    assert count(EpcisEvent) == before


def test_a_batch_shipped_to_the_organisation_may_be_named() -> None:
    org, actor = org_actor(make_org("Công ty Thu mua", OrgType.DN))
    sender = make_org("HTX Gửi")
    batch = make_batch(sender)
    _, sender_actor = org_actor(sender)
    [ship] = store_events(sender_actor, [PreparedEvent(quantity_event(batch.identifier, 1))])
    db.session.add(
        Shipment(
            batch_id=batch.id,
            from_organisation_id=sender.id,
            to_organisation_id=org.id,
            quantity_kg=Decimal(100),
            shipped_at=utcnow(),
            ship_event_pk=ship.pk,
        )
    )
    db.session.flush()
    receive = object_event(batch.identifier, bizStep="receiving")
    [result] = store_events(actor, [PreparedEvent(receive)], CONTEXT)
    assert result.status == "captured"
    assert db.session.scalar(
        select(EventBatch.batch_id).where(EventBatch.event_pk == result.pk)
    ) == batch.id


def test_error_declaration_retracts_the_original_and_both_stay_stored() -> None:
    _, actor = org_actor()
    event = object_event("urn:epc:id:sgtin:0614141.107346.2017")
    [original] = store_events(actor, [PreparedEvent(event)], CONTEXT)
    declaration = {
        **event,
        "errorDeclaration": {"declarationTime": "2026-03-02T08:00:00+07:00",
                             "reason": "incorrect_data"},
    }
    assert validate_event(declaration, CONTEXT) == {}
    [declared] = store_events(actor, [PreparedEvent(declaration)], CONTEXT)
    assert declared.status == "captured"
    assert declared.event_id == original.event_id  # the hash leaves errorDeclaration out
    assert declared.declares_error
    assert db.session.get(EpcisEvent, original.pk).retracted_at is not None
    assert db.session.get(EpcisEvent, declared.pk).retracted_at is None
    [again] = store_events(actor, [PreparedEvent(dict(declaration))], CONTEXT)
    assert again.status == "duplicate"


def test_a_withdrawal_is_announced_with_the_events_it_withdrew() -> None:
    # The linkage indicator's tallies follow withdrawals from this signal: the UPDATE that
    # withdraws the events is seen by no ORM flush.
    _, actor = org_actor()
    event = object_event("urn:epc:id:sgtin:0614141.107346.2031")
    [original] = store_events(actor, [PreparedEvent(event)], CONTEXT)
    heard: list[list[int]] = []

    def hear(_session: Any, *, event_pks: list[int], **_: Any) -> None:
        heard.append(event_pks)

    declaration = {**event, "errorDeclaration": {"declarationTime": "2026-03-02T08:00:00Z"}}
    with events_withdrawn.connected_to(hear):
        store_events(actor, [PreparedEvent(declaration)], CONTEXT)
        # Declared again (with another time, so not a duplicate): nothing left to withdraw.
        again = {**event, "errorDeclaration": {"declarationTime": "2026-03-03T08:00:00Z"}}
        store_events(actor, [PreparedEvent(again)], CONTEXT)
    assert heard == [[original.pk]]


def test_original_arriving_after_its_error_declaration_is_stored_retracted() -> None:
    _, actor = org_actor()
    event = object_event("urn:epc:id:sgtin:0614141.107346.2099", eventID="urn:uuid:1-2-3")
    declaration = {**event, "errorDeclaration": {"declarationTime": "2026-03-02T08:00:00Z"}}
    store_events(actor, [PreparedEvent(declaration)], CONTEXT)
    [original] = store_events(actor, [PreparedEvent(event)], CONTEXT)
    assert db.session.get(EpcisEvent, original.pk).retracted_at is not None


def test_an_organisations_error_declaration_never_retracts_another_organisations_event() -> (
    None
):
    _, owner = org_actor()
    _, other = org_actor(make_org("HTX Khác"))
    event = object_event("urn:epc:id:sgtin:0614141.107346.3000")
    [original] = store_events(owner, [PreparedEvent(event)], CONTEXT)
    declaration = {**event, "errorDeclaration": {"declarationTime": "2026-03-02T08:00:00Z"}}
    [declared] = store_events(other, [PreparedEvent(declaration)], CONTEXT)
    # Stored as the other organisation's own declaration (of an event it may yet capture).
    assert declared.status == "captured"
    assert db.session.get(EpcisEvent, declared.pk).organisation_id == other.organisation_id
    assert db.session.get(EpcisEvent, original.pk).retracted_at is None


def test_capture_needs_an_authenticated_actor_acting_for_an_organisation() -> None:
    event = object_event("urn:epc:id:sgtin:0614141.107346.2017")
    with pytest.raises(Unauthenticated):
        store_events(ANONYMOUS, [PreparedEvent(event)], CONTEXT)
    authority = Actor(user_id=1, platform_role=PlatformRole.AUTHORITY)
    with pytest.raises(Forbidden):
        store_events(authority, [PreparedEvent(event)], CONTEXT)


def test_platform_admin_may_capture_without_an_organisation() -> None:
    batch = make_batch(make_org("HTX Mẫu"))
    [result] = store_events(SYSTEM, [PreparedEvent(quantity_event(batch.identifier, 2))])
    assert result.status == "captured"
    stored = db.session.get(EpcisEvent, result.pk)
    assert stored.organisation_id is None and stored.captured_by_id is None


def test_document_namespaces_travel_with_each_stored_event() -> None:
    _, actor = org_actor()
    context = [*CONTEXT, {"example": "http://ns.example.com/epcis/"}]
    event = object_event("urn:epc:id:sgtin:0614141.107346.2017")
    event["example:note"] = "hello"
    [result] = store_events(actor, [PreparedEvent(event)], context)
    stored = db.session.get(EpcisEvent, result.pk).document
    assert stored["@context"] == [{"example": "http://ns.example.com/epcis/"}]
    assert validate_event(stored) == {} or validate_event(stored, CONTEXT) == {}
