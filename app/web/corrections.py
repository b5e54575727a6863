"""Correcting a record of a lot's history, on a phone: the "Correct" link of a timeline entry
opens a short form that declares the event erroneous through ``correct_event`` — it did not
happen, or some details were wrong (then with the right quantity of each lot it names and/or
the right date).

Nothing is deleted or edited: the original stays in the history, marked as corrected, and a
corrective record is added when details were wrong (EPCIS error declaration). Only the
organisation that recorded the event may correct it; for anyone else the form does not exist
(404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import DateField, FieldList, Form, FormField, RadioField, SelectField
from wtforms.validators import InputRequired, Optional

from app.auth.current import current_actor
from app.web.batch_display import REASON_LABELS, page_helpers, render
from app.web.form_support import (
    not_in_future,
    parse_quantity,
    plain_qty,
    quantity_field,
    select_choices,
    submit_to_service,
    unit_choices,
    within_calendar,
)
from app.web.timeline import timeline
from core.actor import Actor
from core.clock import VIETNAM
from core.db import db
from core.errors import NotFound
from core.i18n import _, _l
from core.units import FROM_UNECE, Unit
from traceability.models.batches import Batch
from traceability.models.events import EpcisEvent, EventBatch
from traceability.models.products import Product
from traceability.services import batches as batch_svc
from traceability.services import recording as events
from traceability.services.capture import QUANTITY_LIST_KEYS, canonical_identifier
from traceability.services.operations import may_correct_event

bp = Blueprint("web_corrections", __name__, url_prefix="/batches")
bp.context_processor(page_helpers)



class QuantityFix(Form):
    """The right quantity of one lot the event names (the page's form carries the CSRF)."""

    quantity = quantity_field(_l("Quantity"), required=False, allow_zero=True)
    unit = SelectField(_l("Unit"), choices=unit_choices, default=Unit.KG.value)


class CorrectionForm(FlaskForm):
    reason = RadioField(
        _l("What was wrong?"),
        choices=lambda: select_choices(REASON_LABELS.items()),
        validators=[InputRequired(message=_l("Choose what was wrong."))],
    )
    quantities = FieldList(FormField(QuantityFix))
    at = DateField(_l("Right date"), validators=[Optional(), within_calendar, not_in_future])


@dataclass(frozen=True)
class Recorded:
    """What the event says of one lot it names: the quantity it gives, in its unit."""

    batch: Batch
    quantity: Decimal
    unit: Unit


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # SQLite gives back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM)


def _recorded_quantities(event: EpcisEvent) -> list[Recorded]:
    """The quantities the event gives for the lots it touches, in the lots' order."""
    lots = list(
        db.session.scalars(
            select(Batch)
            .join(EventBatch, EventBatch.batch_id == Batch.id)
            .where(EventBatch.event_pk == event.id)
            .order_by(Batch.id)
        )
    )
    elements: dict[str, dict[str, Any]] = {}
    for key in QUANTITY_LIST_KEYS:
        for element in event.document.get(key) or []:
            if element.get("epcClass") and element.get("quantity") is not None:
                elements.setdefault(canonical_identifier(element["epcClass"]), element)
    found = []
    for lot in lots:
        element = elements.get(lot.canonical_id)
        if element is None:
            continue
        unit = FROM_UNECE.get(str(element.get("uom") or "KGM"), lot.unit)
        if unit == Unit.PIECE and lot.unit == Unit.HEAD:  # one UN/ECE code for both
            unit = Unit.HEAD
        found.append(Recorded(lot, Decimal(str(element["quantity"])), unit))
    return found


def _correctable(actor: Actor, batch_id: int, event_pk: int) -> tuple[Batch, EpcisEvent]:
    """The lot (readable by the actor, else 404) and one of its events that the actor's
    organisation recorded (else 404)."""
    batch = batch_svc.get_batch(actor, batch_id)
    event = db.session.get(EpcisEvent, event_pk)
    touches = event is not None and db.session.scalar(
        select(EventBatch.batch_id).where(
            EventBatch.event_pk == event.id, EventBatch.batch_id == batch.id
        )
    )
    if (
        event is None
        or event.declares_error
        or not touches
        or not may_correct_event(actor, event.organisation_id)
    ):
        raise NotFound()
    return batch, event


def _changes(
    form: CorrectionForm, recorded: list[Recorded], original_day: date, original: datetime
) -> tuple[dict[int, tuple[Decimal, Unit]], datetime | None]:
    """What the correction changes: the quantities typed differently from the record, and
    the new date (at the original time of day)."""
    quantities: dict[int, tuple[Decimal, Unit]] = {}
    for entry, was in zip(form.quantities, recorded, strict=False):
        typed = parse_quantity(entry.form.quantity.data)
        unit = Unit(entry.form.unit.data)
        if typed is not None and (typed != was.quantity or unit != was.unit):
            quantities[was.batch.id] = (typed, unit)
    at = None
    if form.at.data and form.at.data != original_day:
        at = datetime.combine(form.at.data, original.timetz())
    return quantities, at


@bp.route("/<int:batch_id>/events/<bigint:event_pk>/correct", methods=["GET", "POST"])
@login_required
def correct(batch_id: int, event_pk: int) -> Response | tuple[str, int]:
    actor = current_actor()
    batch, event = _correctable(actor, batch_id, event_pk)
    back = url_for("web_batches.show", batch_id=batch.id)
    if event.retracted_at is not None:
        flash(_("This record has already been corrected."), "info")
        return redirect(back)
    recorded = _recorded_quantities(event)
    original = _local(event.event_time)
    form = CorrectionForm(data={
        "quantities": [
            {"quantity": plain_qty(r.quantity), "unit": r.unit.value} for r in recorded
        ],
        "at": original.date(),
    })
    for entry, was in zip(form.quantities, recorded, strict=False):
        entry.form.quantity.label.text = _("Quantity of lot %(lot)s", lot=was.batch.lot_code)
    # The service's quantity errors name their lot; beside the field when there is one.
    one = "quantities.0.quantity" if len(recorded) == 1 else None
    fields = {
        "reason": "reason", "at": "at",
        **({"quantities": one, "quantity": one, "unit": "quantities.0.unit"} if one else {}),
    }

    def record() -> events.Correction:
        wrong_data = form.reason.data == "incorrect_data"
        quantities, at = _changes(form, recorded, original.date(), original)
        return events.correct_event(
            actor,
            event.event_id,
            reason=form.reason.data,
            quantities=quantities if wrong_data else None,
            at=at if wrong_data else None,
            batch_id=batch.id,
        )

    done, errors, status = submit_to_service(form, record, fields)
    if done is not None:
        flash(_("Correction recorded. The original record stays in the history, marked as "
                "corrected."), "success")
        return redirect(back)
    entry = next((i for i in timeline(actor, batch.id) if i.pk == event.id), None)
    return render(
        "batches/correct.html",
        status,
        form=form,
        errors=errors,
        title=_("Correct a record"),
        hint=_("Say what was wrong with this record of the lot's history."),
        batch=batch,
        product=db.session.get(Product, batch.product_id),
        held=None,
        entry=entry,
        action=url_for("web_corrections.correct", batch_id=batch.id, event_pk=event.id),
    )
