"""Corrections: never edit or delete. ``correct_event`` captures the error declaration
(the original event with ``errorDeclaration``) and, for ``incorrect_data``, one corrective
event, and keeps the quantities, the genealogy, the shipments and the statuses true.
Nothing here commits."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from blinker import Namespace
from sqlalchemy import and_, exists, or_, select

from core.actor import Actor, require_write
from core.clock import VIETNAM
from core.db import db, utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.formatting import quantity_text
from core.i18n import _l
from core.units import UNECE, Unit, parse_unit
from traceability.epcis.hashing import event_hash_id
from traceability.models.batches import Batch, BatchLink, BatchStatus, Shipment
from traceability.models.events import EpcisEvent, EventBatch
from traceability.services import batches as svc
from traceability.services.capture import (
    QUANTITY_LIST_KEYS,
    BatchEffect,
    Link,
    PreparedEvent,
    canonical_identifier,
)
from traceability.services.recording.common import (
    EVENT_CONTEXT,
    ZERO,
    event_kind,
    event_time,
    json_number,
    parse_decimal,
    product_of,
    store,
    time_fields,
)
from traceability.services.recording.movements import has_open_shipment

ERROR_REASONS = ("did_not_occur", "incorrect_data")

_signals = Namespace()
# Sent (sender: the ``Shipment``) when a correction moves a shipment onto its corrective
# event, the shipment holding the corrected quantity and time, before they are flushed.
# What another part booked on the shipment (a linkage contract's delivery) follows it
# there, or refuses the correction by raising a domain error: the request then writes
# nothing. A signal, so that traceability needs to know nothing of what is booked on it.
shipment_corrected = _signals.signal("shipment-corrected")


@dataclass
class Correction:
    """What a correction wrote. ``original`` is the event asked about, ``declaration`` its
    error declaration, ``corrective`` every corrective event (none for ``did_not_occur``).
    A receiving is corrected whole — the receiving event and the booking into the
    receiver's lot — so ``originals`` and ``declarations`` list every event withdrawn."""

    original: EpcisEvent
    declaration: EpcisEvent
    corrective: list[EpcisEvent]
    originals: list[EpcisEvent] = field(default_factory=list)
    declarations: list[EpcisEvent] = field(default_factory=list)


@dataclass
class _Fix:
    """One event being withdrawn: its effects and genealogy edges and, for
    ``incorrect_data``, its corrective document with the effects and edges that follow."""

    original: EpcisEvent
    effects: dict[int, Decimal]
    links: list[BatchLink]
    corrective: dict[str, Any] | None = None
    new_effects: dict[int, Decimal] = field(default_factory=dict)
    new_links: list[Link] = field(default_factory=list)


@dataclass
class _Receipt:
    """A shipment's receiving: the receiving event on the shipped lot and, when the goods
    were booked into a lot of the receiver, the booking TransformationEvent."""

    shipment: Shipment
    receive: EpcisEvent
    booking: EpcisEvent | None


def correct_event(
    actor: Actor,
    event_id: str,
    *,
    reason: str,
    quantities: Mapping[int, tuple[Decimal, Unit | str]] | None = None,
    at: date | datetime | str | None = None,
    batch_id: int | None = None,
) -> Correction:
    """Declare an event erroneous and, for ``incorrect_data``, capture its correction.

    ``did_not_occur``: the original is withdrawn, nothing replaces it. ``incorrect_data``:
    one corrective event, the original with the corrected ``quantities`` ({batch_id:
    (quantity, unit)}, for batches the event names) and/or time ``at``; its effects and links
    follow. Only the organisation that captured the event may correct it (others: 404). No
    batch may end below zero (409 naming it). ``batch_id``, when given (the API's URL), must
    be a batch the event touched.

    A receiving (its receiving event or its booking into the receiver's lot, either names
    it) is corrected whole by the receiver: ``did_not_occur`` takes back what the booked lot
    received and leaves the shipment not received (the shipped lot back in transit when it
    was closed on receipt); ``incorrect_data`` corrects the received quantity (given for the
    shipped or the booked lot, at most what was shipped) and/or time, in both events and in
    the shipment. A shipment already received cannot be corrected by the shipper until the
    receiver has withdrawn its receiving (409).

    Statuses follow: a lot made by a withdrawn event and made by no other live one is
    ``void``; lots given back quantity are active again; withdrawing a destroy or a recall
    lifts ``destroyed`` / ``recalled``.
    """
    original = _own_original(actor, event_id, batch_id)
    if original is None:
        raise NotFound(field_errors={"event_id": [_l("No such event of your organisation.")]})
    org = svc.load_org(original.organisation_id)
    require_write(actor, org.id, org.province_code)
    if reason not in ERROR_REASONS:
        raise ValidationFailed(
            field_errors={"reason": [_l("Use did_not_occur or incorrect_data.")]}
        )
    if original.retracted_at is not None:
        raise Conflict(_l("This event has already been corrected."))
    receipt = _receipt_of(original)
    originals = (
        [original]
        if receipt is None
        else [e for e in (receipt.receive, receipt.booking) if e is not None]
    )
    fixes = [_fix_of(event) for event in originals]
    concerned = {bid for fix in fixes for bid in fix.effects}
    if batch_id is not None and batch_id not in concerned:
        raise NotFound(field_errors={"event_id": [_l("The event does not concern this batch.")]})
    touched = {
        b.id: b
        for b in db.session.scalars(
            select(Batch).where(Batch.id.in_(sorted(concerned))).with_for_update()
        )
    }
    shipment = None
    if receipt is None:
        shipment = db.session.scalar(
            select(Shipment).where(Shipment.ship_event_pk == original.id).with_for_update()
        )
        if shipment is not None and shipment.received_at is not None:
            raise Conflict(
                _l("The shipment has been received: the receiver must first correct its "
                   "receiving.")
            )

    received_kg: Decimal | None = None
    if reason == "incorrect_data":
        if receipt is None:
            _correct_document(fixes[0], touched, quantities or {}, at)
        else:
            received_kg = _correct_receipt(fixes, receipt, touched, quantities or {}, at)
        if any(f.corrective is not None and f.corrective["eventID"] == f.original.event_id
               for f in fixes):
            raise ValidationFailed(
                field_errors={"quantities": [_l("The correction changes nothing.")]}
            )
    # Quantities stay true: with the originals withdrawn and the corrections counted, no
    # batch may end below zero.
    withdrawn = [f.original.id for f in fixes]
    for bid, batch in touched.items():
        after = svc.current_quantity(bid, exclude_event_pks=withdrawn)
        after += sum((f.new_effects.get(bid, ZERO) for f in fixes if f.corrective), ZERO)
        if after < 0:
            message = _l(
                "Batch %(lot)s would hold %(kg)s kg: correct its later events first.",
                lot=batch.lot_code,
                kg=quantity_text(after),
            )
            raise Conflict(message, field_errors={"quantities": [message]})

    now = utcnow().astimezone(VIETNAM).replace(microsecond=0)
    declarations = []
    for fix in fixes:
        declaration = _base_document(fix.original)
        declaration["errorDeclaration"] = {
            "declarationTime": now.isoformat(),
            "reason": reason,
            **({"correctiveEventIDs": [fix.corrective["eventID"]]} if fix.corrective else {}),
        }
        declarations.append(PreparedEvent(declaration, organisation_id=org.id))
    # Recorded for the event's organisation even when a platform admin corrects it: an
    # error declaration withdraws only the events of its own organisation.
    correctives = [
        PreparedEvent(
            fix.corrective,
            effects=[BatchEffect(b, kg) for b, kg in fix.new_effects.items()],
            links=fix.new_links,
            organisation_id=org.id,
        )
        for fix in fixes
        if fix.corrective is not None
    ]
    stored = store(actor, [*declarations, *correctives])
    stored_declarations, stored_correctives = stored[: len(fixes)], stored[len(fixes):]
    for fix in fixes:
        db.session.refresh(fix.original)
    if shipment is not None and stored_correctives:
        # The shipment now stands on the corrective event (a void one keeps pointing at
        # the withdrawn event, which hides it from the receiver).
        shipment.ship_event_pk = stored_correctives[0].id
        shipment.quantity_kg = -fixes[0].new_effects[shipment.batch_id]
        shipment.shipped_at = stored_correctives[0].event_time
        shipment_corrected.send(shipment)
    if receipt is not None:
        _update_receipt(receipt.shipment, stored_correctives, received_kg)
    db.session.flush()
    for bid, batch in touched.items():
        _settle_status(batch, svc.current_quantity(bid), [f.original for f in fixes])
    asked = originals.index(original)
    return Correction(
        original,
        stored_declarations[asked],
        stored_correctives,
        originals,
        stored_declarations,
    )


def _own_original(actor: Actor, event_id: str, batch_id: int | None) -> EpcisEvent | None:
    """The event (not a declaration) with this eventID that the actor may correct: its own
    organisation's; for a platform admin, the one of the batch's organisation when a batch
    is given, else the first recorded. eventIDs are unique only within an organisation."""
    query = select(EpcisEvent).where(
        EpcisEvent.event_id == event_id,
        EpcisEvent.declares_error.is_(False),
        EpcisEvent.organisation_id.is_not(None),
    )
    if not actor.is_admin:
        if actor.organisation_id is None:
            return None
        query = query.where(EpcisEvent.organisation_id == actor.organisation_id)
    elif batch_id is not None:
        query = query.where(
            EpcisEvent.organisation_id
            == select(Batch.organisation_id).where(Batch.id == batch_id).scalar_subquery()
        )
    return db.session.scalars(query.order_by(EpcisEvent.id).limit(1)).first()


def _base_document(event: EpcisEvent) -> dict[str, Any]:
    """The event as captured, without what the server or a declaration added."""
    return {
        k: v
        for k, v in copy.deepcopy(event.document).items()
        if k not in ("recordTime", "errorDeclaration", "@context")
    }


def _fix_of(event: EpcisEvent) -> _Fix:
    effects = {
        row.batch_id: Decimal(row.quantity_kg)
        for row in db.session.scalars(select(EventBatch).where(EventBatch.event_pk == event.id))
    }
    links = list(db.session.scalars(select(BatchLink).where(BatchLink.event_pk == event.id)))
    return _Fix(event, effects, links)


def _receipt_of(event: EpcisEvent) -> _Receipt | None:
    """The receipt ``event`` belongs to — as the shipment's receiving event, or as the
    booking that links the shipped lot to the lot it was received into — else None."""
    shipment = db.session.scalar(
        select(Shipment).where(Shipment.receive_event_pk == event.id).with_for_update()
    )
    if shipment is None:
        shipment = db.session.scalar(
            select(Shipment)
            .join(
                BatchLink,
                and_(
                    BatchLink.parent_id == Shipment.batch_id,
                    BatchLink.child_id == Shipment.received_batch_id,
                ),
            )
            .where(BatchLink.event_pk == event.id, Shipment.receive_event_pk.is_not(None))
            .with_for_update(of=Shipment)
        )
    if shipment is None or shipment.receive_event_pk is None:
        return None
    receive = db.session.get(EpcisEvent, shipment.receive_event_pk)
    if receive is None:
        return None
    booking = None
    if shipment.received_batch_id is not None:
        booking = db.session.scalar(
            select(EpcisEvent)
            .join(BatchLink, BatchLink.event_pk == EpcisEvent.id)
            .where(
                BatchLink.parent_id == shipment.batch_id,
                BatchLink.child_id == shipment.received_batch_id,
                EpcisEvent.retracted_at.is_(None),
                EpcisEvent.declares_error.is_(False),
            )
            .order_by(EpcisEvent.id.desc())
            .limit(1)
        )
    return _Receipt(shipment, receive, booking)


def _correct_document(
    fix: _Fix,
    touched: Mapping[int, Batch],
    quantities: Mapping[int, tuple[Decimal, Unit | str]],
    at: date | datetime | str | None,
) -> None:
    """The corrective document of one event: the corrected quantities of the batches it
    names and/or its new time; effects keep their sign, links follow."""
    doc = _base_document(fix.original)
    doc.pop("eventID", None)
    new_effects = dict(fix.effects)
    for bid, (qty, unit) in quantities.items():
        batch = touched.get(int(bid))
        if batch is None:
            raise ValidationFailed(
                field_errors={"quantities": [_l("The event does not concern batch %(id)s.",
                                                id=bid)]}
            )
        parsed = parse_unit(unit)
        amount = parse_decimal(qty, "quantity")
        kg = svc.quantity_in_kg(amount, parsed, product_of(batch))
        _replace_quantity(doc, batch, amount, parsed)
        sign = fix.effects[batch.id]
        new_effects[batch.id] = kg if sign > 0 else (-kg if sign < 0 else ZERO)
    if at is not None:
        doc.update(time_fields(event_time(at)))
    _keep_balanced(doc, new_effects)
    doc["eventID"] = event_hash_id(doc, EVENT_CONTEXT)
    fix.corrective = doc
    fix.new_effects = new_effects
    fix.new_links = _corrected_links(fix.links, fix.effects, new_effects)


def _keep_balanced(doc: Mapping[str, Any], effects: Mapping[int, Decimal]) -> None:
    """A split or a merge only moves kilograms between lots: corrected, what its inputs
    give must still be what its outputs hold (a transformation may lose weight, e.g. in
    drying, so it is not held to this)."""
    if event_kind(doc) not in ("split", "merge"):
        return
    given = -sum((kg for kg in effects.values() if kg < 0), ZERO)
    made = sum((kg for kg in effects.values() if kg > 0), ZERO)
    if given != made:
        raise ValidationFailed(
            field_errors={"quantities": [_l(
                "A split or merge keeps its kilograms: the inputs would give %(given)s kg and "
                "the new lots hold %(made)s kg. Correct both sides together.",
                given=quantity_text(given), made=quantity_text(made),
            )]}
        )


def _correct_receipt(
    fixes: Sequence[_Fix],
    receipt: _Receipt,
    touched: Mapping[int, Batch],
    quantities: Mapping[int, tuple[Decimal, Unit | str]],
    at: date | datetime | str | None,
) -> Decimal:
    """The corrective documents of a receiving and its booking: one received quantity
    (given for the shipped or the booked lot) in every quantity element of both, and/or
    their new time. Returns the received kilograms (of the shipped product)."""
    shipment = receipt.shipment
    shipped = touched[shipment.batch_id]
    booked = touched.get(shipment.received_batch_id) if shipment.received_batch_id else None
    given: dict[int, tuple[Decimal, Unit]] = {}
    for bid, (qty, unit) in quantities.items():
        if int(bid) not in (shipped.id, booked.id if booked else None):
            raise ValidationFailed(
                field_errors={"quantities": [_l("The event does not concern batch %(id)s.",
                                                id=bid)]}
            )
        given[int(bid)] = (parse_decimal(qty, "quantity"), parse_unit(unit))
    if len(set(given.values())) > 1:
        raise ValidationFailed(
            field_errors={"quantities": [_l("A receiving has one quantity: give it once.")]}
        )
    received_kg = Decimal(shipment.received_kg or 0)
    amount: Decimal | None = None
    unit = Unit.KG
    if given:
        amount, unit = next(iter(given.values()))
        received_kg = svc.quantity_in_kg(amount, unit, product_of(shipped), field="quantities")
        if received_kg > shipment.quantity_kg:
            raise ValidationFailed(
                field_errors={
                    "quantities": [
                        _l("More than was shipped (%(kg)s kg).",
                           kg=quantity_text(shipment.quantity_kg))
                    ]
                }
            )
    moment = event_time(at) if at is not None else None
    for fix in fixes:
        doc = _base_document(fix.original)
        doc.pop("eventID", None)
        new_effects = dict(fix.effects)
        if amount is not None:
            _replace_quantity(doc, shipped, amount, unit)
            if booked is not None and booked.id in fix.effects:
                _replace_quantity(doc, booked, amount, unit)
                new_effects[booked.id] = svc.quantity_in_kg(
                    amount, unit, product_of(booked), field="quantities"
                )
        if moment is not None:
            doc.update(time_fields(moment))
        doc["eventID"] = event_hash_id(doc, EVENT_CONTEXT)
        fix.corrective = doc
        fix.new_effects = new_effects
        fix.new_links = [Link(link.parent_id, link.child_id, received_kg) for link in fix.links]
    return received_kg


def _update_receipt(shipment: Shipment, correctives: Sequence[EpcisEvent],
                    received_kg: Decimal | None) -> None:
    """The shipment follows its corrected receiving: not received any more when it did not
    occur (it may be received again), else standing on the corrective receiving event."""
    if not correctives:
        shipment.received_at = None
        shipment.receive_event_pk = None
        shipment.received_kg = None
        shipment.received_batch_id = None
        return
    receive = correctives[0]  # the receiving event comes first, its booking after
    shipment.receive_event_pk = receive.id
    shipment.received_at = receive.event_time
    if received_kg is not None:
        shipment.received_kg = received_kg


def _replace_quantity(doc: dict[str, Any], batch: Batch, amount: Decimal, unit: Unit) -> None:
    found = False
    for key in QUANTITY_LIST_KEYS:
        for element in doc.get(key) or []:
            epc_class = element.get("epcClass")
            if epc_class and canonical_identifier(epc_class) == batch.canonical_id:
                element["quantity"] = json_number(amount)
                element["uom"] = UNECE[unit]
                found = True
    if not found:
        raise ValidationFailed(
            field_errors={"quantities": [_l("The event gives no quantity for batch %(lot)s.",
                                            lot=batch.lot_code)]}
        )


def _corrected_links(links: Sequence[BatchLink], old: Mapping[int, Decimal],
                     new: Mapping[int, Decimal]) -> list[Link]:
    """The original's genealogy edges with their kg following the corrected effects."""
    parents = {link.parent_id for link in links}
    children = {link.child_id for link in links}
    out = []
    for link in links:
        p_new, c_new = abs(new.get(link.parent_id, ZERO)), abs(new.get(link.child_id, ZERO))
        if len(children) == 1 and p_new:
            kg = p_new
        elif len(parents) == 1:
            kg = c_new
        else:
            p_old = abs(old.get(link.parent_id, ZERO))
            kg = (Decimal(link.quantity_kg or 0) * p_new / p_old).quantize(svc.KG_PLACES) \
                if p_old else ZERO
        out.append(Link(link.parent_id, link.child_id, kg))
    return out


def _live() -> Any:
    return and_(EpcisEvent.retracted_at.is_(None), EpcisEvent.declares_error.is_(False))


def _made_by_a_live_event(batch_id: int) -> bool:
    """Whether a live event still makes the lot: a harvest adding it, or a transformation,
    split, merge, packing or booking with it as an output (a genealogy edge into it)."""
    by_link = (
        select(BatchLink.event_pk)
        .join(EpcisEvent, EpcisEvent.id == BatchLink.event_pk)
        .where(BatchLink.child_id == batch_id, _live())
    )
    by_effect = (
        select(EventBatch.event_pk)
        .join(EpcisEvent, EpcisEvent.id == EventBatch.event_pk)
        .where(EventBatch.batch_id == batch_id, EventBatch.quantity_kg > 0, _live())
    )
    return bool(db.session.scalar(select(or_(exists(by_link), exists(by_effect)))))


def _has_live_recall(batch: Batch) -> bool:
    """A live recall by the lot's own organisation names it."""
    return bool(
        db.session.scalar(
            select(
                exists(
                    select(EventBatch.event_pk)
                    .join(EpcisEvent, EpcisEvent.id == EventBatch.event_pk)
                    .where(
                        EventBatch.batch_id == batch.id,
                        EpcisEvent.organisation_id == batch.organisation_id,
                        EpcisEvent.disposition == "recalled",
                        _live(),
                    )
                )
            )
        )
    )


def _settle_status(batch: Batch, held: Decimal, withdrawn: Sequence[EpcisEvent]) -> None:
    """The status a correction leaves: ``void`` when no live event makes the lot any more
    and it holds nothing (the event that made it did not occur); ``destroyed`` and
    ``recalled`` stay unless the destroy or the recall itself was withdrawn (a lot given
    back kilograms by a withdrawn destroy is not destroyed; one no live recall names is
    not recalled); otherwise ``active`` while it holds something, ``in_transit`` at zero
    with a shipment on its way, ``consumed`` at zero without."""
    if batch.status == BatchStatus.VOID:
        return
    kinds = {event_kind(e.document) for e in withdrawn}
    if batch.status == BatchStatus.DESTROYED:
        if "destroy" not in kinds or held <= 0:
            return
        if _has_live_recall(batch):
            batch.status = BatchStatus.RECALLED
            return
    if batch.status == BatchStatus.RECALLED and (
        "recall" not in kinds or _has_live_recall(batch)
    ):
        return
    if held <= 0 and not _made_by_a_live_event(batch.id):
        batch.status = BatchStatus.VOID
        # At the moment its making events stopped counting, so that a figure as of an
        # earlier moment, which still counts those events, counts the lot too.
        batch.voided_at = max((e.retracted_at for e in withdrawn if e.retracted_at),
                              default=utcnow())
    elif held > 0:
        batch.status = BatchStatus.ACTIVE
    elif has_open_shipment(batch.id):
        batch.status = BatchStatus.IN_TRANSIT
    else:
        batch.status = BatchStatus.CONSUMED
