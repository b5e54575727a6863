"""Batches (lots) and their business events.

Reading: a batch is visible to its organisation, to a platform admin, to an authority in
scope (its organisation's province) and to an organisation it was shipped to; everyone else
gets 404. Member households of a pooled lot are shown only to the owning organisation;
others see the communes.

Writing: the owning organisation's users (staff or admins) record events on its batches;
receiving is recorded by the addressee of a shipment. One endpoint per kind of event, each
with its own documented body:

- ``POST /api/batches`` — a harvest (the batch and its commissioning event)
- ``POST /api/batches/<id>/events/{cooling|packing|storing|shipping|receiving|split|merge|
  transformation|destroy|recall}``
- ``POST /api/batches/<id>/corrections`` — error declaration + corrective event
- ``GET /api/batches/<id>/events`` — the timeline (corrected events flagged, with their
  correction)
- ``GET /api/batches/member-statements/<member_id>?from=&to=`` — a member's deliveries
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.auth.current import current_actor
from core.db import db
from core.errors import NotFound, ValidationFailed
from core.i18n import _l
from linkages.schemas.deliveries import (
    ReceivingWithSettlementIn,
    RecordedDeliveryOut,
    ShippingUnderContractIn,
)
from linkages.services import deliveries
from traceability.models.batches import Shipment
from traceability.schemas.batches import (
    BatchDetailOut,
    BatchListArgs,
    BatchOut,
    CorrectionOut,
    RecordedOut,
    StatementArgs,
    StatementOut,
    TimelineEntryOut,
)
from traceability.schemas.events_in import (
    CorrectionIn,
    DestroyIn,
    HarvestIn,
    MergeIn,
    ObserveIn,
    PackingIn,
    RecallIn,
    SplitIn,
    TransformationIn,
)
from traceability.services import batches as batch_service
from traceability.services import recording as events
from traceability.services.timeline import batch_timeline, timeline_entries

blp = ApiBlueprint(
    "api_batches",
    __name__,
    url_prefix="/api/batches",
    description="Batches (lots), their EPCIS business events, corrections and timeline.",
)


def _recorded(result: events.Recorded) -> dict[str, Any]:
    db.session.commit()
    return {
        "batch": result.batch,
        "created": result.created,
        "event_ids": result.event_ids,
        "shipment": result.shipment,
    }


class TimelinePage(SelectPage):
    """The timeline's rows are (event, effect) pairs, decorated with their corrections."""

    @property
    def items(self) -> list[Any]:
        stmt = self.page_of(self.collection)
        return [] if stmt is None else timeline_entries(db.session.execute(stmt).all())


@blp.route("")
class Batches(MethodView):
    @blp.arguments(BatchListArgs, location="query")
    @blp.response(200, BatchOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Batches the caller may read, newest first: its own organisation's, those shipped
        to it, and (authorities) those of organisations in its scope."""
        return batch_service.list_batches(current_actor(), **args)

    @blp.arguments(HarvestIn)
    @blp.response(201, BatchDetailOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Record a harvest: a new lot of the caller's organisation and its commissioning
        event (ObjectEvent ADD with the harvest ILMD). 409 inside a pre-harvest interval
        unless an org admin gives ``phi_override_reason`` (staff: 403)."""
        actor = current_actor()
        batch = events.record_harvest(actor, **data)
        db.session.commit()
        return _detail(actor, batch.id)


def _detail(actor: Any, batch_id: int) -> dict[str, Any]:
    detail = batch_service.batch_detail(actor, batch_id)
    out = {name: getattr(detail.batch, name, None) for name in BatchOut().fields}
    out.update(
        current_quantity_kg=detail.current_quantity_kg,
        product=detail.product,
        organisation=detail.organisation,
        phi_override_reason=detail.batch.phi_override_reason,
        areas=detail.areas,
        contributions=detail.contributions,
        communes=detail.communes,
        shipments=detail.shipments,
        parents=detail.parents,
        children=detail.children,
    )
    return out


@blp.route("/<int:batch_id>")
class BatchDetail(MethodView):
    @blp.response(200, BatchDetailOut)
    def get(self, batch_id: int) -> Any:
        """One batch: current quantity, origin areas, contributions (owner) or communes
        (others), shipments, one step back and forward."""
        return _detail(current_actor(), batch_id)


@blp.route("/<int:batch_id>/events")
class Timeline(MethodView):
    @blp.response(200, TimelineEntryOut(many=True))
    @blp.paginate(TimelinePage)
    def get(self, batch_id: int) -> Any:
        """The batch's events in time order, each with its effect on the batch; an event
        withdrawn by an error declaration is flagged ``corrected`` with the correction."""
        return batch_timeline(current_actor(), batch_id)


@blp.route("/<int:batch_id>/events/cooling")
class Cooling(MethodView):
    @blp.arguments(ObserveIn)
    @blp.response(201, RecordedOut)
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Cooling: ObjectEvent OBSERVE ``cooling`` (no quantity change)."""
        return _recorded(events.record_cooling(current_actor(), batch_id, **data))


@blp.route("/<int:batch_id>/events/storing")
class Storing(MethodView):
    @blp.arguments(ObserveIn)
    @blp.response(201, RecordedOut)
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Storing: ObjectEvent OBSERVE ``storing`` (no quantity change)."""
        return _recorded(events.record_storing(current_actor(), batch_id, **data))


@blp.route("/<int:batch_id>/events/packing")
class Packing(MethodView):
    @blp.arguments(PackingIn)
    @blp.response(201, RecordedOut)
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Initial packing: OBSERVE ``packing`` in the same lot, or with ``into_new_lot`` a
        TransformationEvent into a new packed lot (its traceability lot code)."""
        return _recorded(events.record_packing(current_actor(), batch_id, **data))


@blp.route("/<int:batch_id>/events/shipping")
class Shipping(MethodView):
    @blp.arguments(ShippingUnderContractIn)
    @blp.response(201, RecordedDeliveryOut)
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Ship to another organisation (PO and despatch reference): −kg and a shipment.
        409 naming the batch and the shortfall when it holds less. With ``contract_id``
        and ``contract_line_id``: under that signed or active linkage contract, to its
        offtaker, booked as a delivery (``delivery``)."""
        contract_id = data.pop("contract_id")
        line_id = data.pop("contract_line_id")
        actor = current_actor()
        if contract_id is None and line_id is None:
            return {**_recorded(events.record_shipping(actor, batch_id, **data)),
                    "delivery": None}
        if contract_id is None or line_id is None:
            missing = "contract_id" if contract_id is None else "contract_line_id"
            raise ValidationFailed(field_errors={missing: [_l("Name the contract and its line.")]})
        shipped = deliveries.ship_under_contract(actor, batch_id, contract_id, line_id, **data)
        return {**_recorded(shipped.recorded), "delivery": shipped.delivery}


@blp.route("/<int:batch_id>/events/receiving")
class Receiving(MethodView):
    @blp.arguments(ReceivingWithSettlementIn)
    @blp.response(201, RecordedDeliveryOut)
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Receive a shipment of this batch addressed to the caller's organisation (others:
        404), booked by default into a new lot of the receiver linked to this one. A
        shipment delivered under a linkage contract is settled at once (``settlement``,
        defaults: accepted = received, rejected = shipped − received)."""
        shipment = db.session.get(Shipment, data["shipment_id"])
        if shipment is None or shipment.batch_id != batch_id:
            raise NotFound()
        shipment_id = data.pop("shipment_id")
        received = deliveries.receive_under_contract(current_actor(), shipment_id, **data)
        return {**_recorded(received.recorded), "delivery": received.delivery}


def _with_url_batch(inputs: list[dict[str, Any]], batch_id: int) -> list[dict[str, Any]]:
    if not any(i["batch_id"] == batch_id for i in inputs):
        raise ValidationFailed(
            field_errors={"inputs": [_l("The inputs must include this batch.")]}
        )
    return inputs


@blp.route("/<int:batch_id>/events/transformation")
class Transformation(MethodView):
    @blp.arguments(TransformationIn)
    @blp.response(201, RecordedOut)
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Transform input batches (this one among them) into a new lot, optionally naming
        the process (drying, hulling, roasting…, stored as ``htx:process``): 409 naming an
        input that holds less than it gives."""
        _with_url_batch(data["inputs"], batch_id)
        return _recorded(events.record_transformation(current_actor(), **data))


@blp.route("/<int:batch_id>/events/split")
class Split(MethodView):
    @blp.arguments(SplitIn)
    @blp.response(201, RecordedOut)
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Split into new lots; the parts may not exceed what the batch holds (409)."""
        return _recorded(events.record_split(current_actor(), batch_id, **data))


@blp.route("/<int:batch_id>/events/merge")
class Merge(MethodView):
    @blp.arguments(MergeIn)
    @blp.response(201, RecordedOut)
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Merge this batch with others into a new lot."""
        _with_url_batch(data["inputs"], batch_id)
        return _recorded(events.record_merge(current_actor(), **data))


@blp.route("/<int:batch_id>/events/destroy")
class Destroy(MethodView):
    @blp.arguments(DestroyIn)
    @blp.response(201, RecordedOut)
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Destroy what the batch holds (or ``quantity`` of it)."""
        return _recorded(events.record_destroy(current_actor(), batch_id, **data))


@blp.route("/<int:batch_id>/events/recall")
class Recall(MethodView):
    @blp.arguments(RecallIn)
    @blp.response(201, RecordedOut)
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Recall the batch (and optionally the organisation's lots made from it)."""
        return _recorded(events.record_recall(current_actor(), batch_id, **data))


@blp.route("/<int:batch_id>/corrections")
class Corrections(MethodView):
    @blp.arguments(CorrectionIn)
    @blp.response(201, CorrectionOut)
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Declare one of this batch's events erroneous (``did_not_occur`` or
        ``incorrect_data`` with corrected quantities and/or time): the event is kept,
        withdrawn from the quantities, and shown corrected in the timeline."""
        quantities = {q["batch_id"]: (q["quantity"], q["unit"]) for q in data["quantities"]}
        result = events.correct_event(
            current_actor(),
            data["event_id"],
            reason=data["reason"],
            quantities=quantities,
            at=data.get("at"),
            batch_id=batch_id,
        )
        db.session.commit()
        return result


@blp.route("/member-statements/<int:member_id>")
class MemberStatement(MethodView):
    @blp.arguments(StatementArgs, location="query")
    @blp.response(200, StatementOut)
    def get(self, args: dict[str, Any], member_id: int) -> Any:
        """A member household's deliveries into pooled lots over a period (``from``/``to``
        inclusive), per product and batch, in the units delivered and in kg."""
        return batch_service.member_statement(current_actor(), member_id, **args)
