"""What the recorders share: the platform's EPCIS namespace and context, ``Recorded``,
event times, quantity elements and the parsing of typed quantities, a batch's organisation
and product, the one capture path for our own events (``store``), the status a withdrawal
leaves, and ``event_kind`` (what an event records, read by corrections and the timeline).

Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.actor import Actor
from core.clock import VIETNAM
from core.db import db, utcnow
from core.errors import Conflict, ValidationFailed
from core.i18n import _l
from core.numbers import NumberRefused, to_decimal
from core.units import UNECE, Unit
from linkages.models.organisations import Organisation
from traceability.epcis.validation import EPCIS_CONTEXT_URL, validate_event
from traceability.models.batches import Batch, BatchStatus, Shipment
from traceability.models.events import EpcisEvent
from traceability.models.products import Product
from traceability.services import batches as svc
from traceability.services.capture import CaptureResult, PreparedEvent, store_events

HTX_NAMESPACE = "https://ns.htx-trace.vn/epcis/"
EVENT_CONTEXT: list[Any] = [EPCIS_CONTEXT_URL, {"htx": HTX_NAMESPACE}]
ZERO = Decimal("0.0000")

# CBV 2.0 has no cooling step: an own-vocabulary URI, as CBV allows (a bare unknown word is
# refused by validation and by other repositories).
COOLING_STEP = f"{HTX_NAMESPACE}bizStep/cooling"


@dataclass
class Recorded:
    """What a business event wrote: the stored events (in order), the batch it is about,
    the batches it created, and the shipment it made or closed."""

    events: list[EpcisEvent]
    batch: Batch
    created: list[Batch] = field(default_factory=list)
    shipment: Shipment | None = None

    @property
    def event_ids(self) -> list[str]:
        return [e.event_id for e in self.events]


# --------------------------------------------------------------------------- helpers


def event_time(value: date | datetime | str | None, field_name: str = "at") -> datetime:
    """An aware datetime: a date is midnight in Vietnam, a naive time is Vietnamese time,
    an aware one keeps its offset; None is now (Vietnamese offset)."""
    if value is None:
        return utcnow().astimezone(VIETNAM).replace(microsecond=0)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            raise ValidationFailed(
                field_errors={field_name: [_l("Enter a date or a date and time.")]}
            ) from None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=VIETNAM)
    return datetime.combine(value, time(0, 0), tzinfo=VIETNAM)


def local_day(moment: datetime) -> date:
    return moment.date()


def time_fields(moment: datetime) -> dict[str, str]:
    offset = moment.strftime("%z")  # "+0700"
    return {
        "eventTime": moment.isoformat(),
        "eventTimeZoneOffset": f"{offset[:3]}:{offset[3:]}",
    }


def json_number(value: Decimal) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def quantity_element(batch: Batch, quantity: Decimal | None, unit: Unit | None) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": batch.identifier}
    if quantity is not None and unit is not None:
        element["quantity"] = json_number(quantity)
        element["uom"] = UNECE[Unit(unit)]
    return element


def object_event(
    moment: datetime,
    action: str,
    quantities: list[dict[str, Any]],
    biz_step: str,
    disposition: str,
    read_point: str,
    *,
    biz_location: str | None = None,
    **more: Any,
) -> dict[str, Any]:
    """An EPCIS ObjectEvent about lots (quantities, no instance EPCs) as every recorder
    writes it; ``more`` adds further standard fields (``sourceList``, ``ilmd``…) after the
    common ones, in the order given."""
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        **time_fields(moment),
        "epcList": [],
        "action": action,
        "quantityList": quantities,
        "bizStep": biz_step,
        "disposition": disposition,
        "readPoint": {"id": read_point},
    }
    if biz_location is not None:
        event["bizLocation"] = {"id": biz_location}
    event.update(more)
    return event


def kg_quantity_element(batch: Batch, kg: Decimal) -> dict[str, Any]:
    return quantity_element(batch, kg, Unit.KG)


def parse_decimal(value: Any, field_name: str) -> Decimal:
    try:
        return to_decimal(value, below_message=_l("Enter a quantity of zero or more."))
    except NumberRefused:
        # One message for every refusal, as before: quantities are typed, not computed.
        raise ValidationFailed(
            field_errors={field_name: [_l("Enter a quantity of zero or more.")]}
        ) from None


def parse_positive(value: Any, field_name: str) -> Decimal:
    number = parse_decimal(value, field_name)
    if number <= 0:
        raise ValidationFailed(field_errors={field_name: [_l("Enter a quantity above zero.")]})
    return number


def batch_org(actor: Actor, batch: Batch) -> Organisation:
    return svc.load_org(batch.organisation_id)


def product_of(batch: Batch) -> Product:
    product = db.session.get(Product, batch.product_id)
    assert product is not None
    return product


def store(actor: Actor, items: Sequence[PreparedEvent]) -> list[EpcisEvent]:
    """Validate our own events (an error is our bug, reported as a 422 anyway), store them
    all or nothing, and return the stored rows. A re-sent identical event is a 409."""
    for item in items:
        errors = validate_event(item.event, EVENT_CONTEXT)
        if errors:
            raise ValidationFailed(
                _l("The event could not be built correctly."), field_errors=errors
            )
    results: list[CaptureResult] = store_events(actor, items, EVENT_CONTEXT)
    if any(r.status == "duplicate" for r in results):
        raise Conflict(_l("This event has already been recorded."))
    db.session.flush()
    rows = {
        e.id: e
        for e in db.session.scalars(
            select(EpcisEvent).where(EpcisEvent.id.in_([r.pk for r in results]))
        )
    }
    return [rows[r.pk] for r in results if r.pk is not None]


def set_status_after_withdrawal(batch: Batch, remaining: Decimal, *, shipped: bool) -> None:
    if remaining > 0 or batch.status in (
        BatchStatus.DESTROYED,
        BatchStatus.RECALLED,
        BatchStatus.VOID,
    ):
        return
    batch.status = BatchStatus.IN_TRANSIT if shipped else BatchStatus.CONSUMED


# --------------------------------------------------------------------------- event kinds


def event_kind(document: Mapping[str, Any]) -> str:
    """A short name for what an event records (harvest, shipping, split…), for views."""
    operation = document.get("htx:operation")
    if isinstance(operation, str):
        return operation
    step = document.get("bizStep") or ""
    if document.get("type") == "ObjectEvent" and document.get("action") == "ADD" and (
        step == "commissioning"
    ):
        return "harvest"
    if document.get("disposition") == "recalled":
        return "recall"
    if step == COOLING_STEP:
        return "cooling"
    return {"destroying": "destroy"}.get(step, step or str(document.get("type", "")))
