"""Batches on a phone: the list, a one-screen harvest form, the batch page (identifier,
quantity, origin, timeline, one step back and forward) and short forms for the next event.

The forms that make new lots (split, merge, processing) are in ``batch_operations``, the
correction of a record in ``corrections``; labels and formats are in ``batch_display``,
form plumbing in ``form_support``, the timeline in ``timeline``.

Every page works without JavaScript. Forms carry a CSRF token (Flask-WTF); bad input comes
back with the message beside the field and status 422 (409 when the service refuses on the
state of things, e.g. a pre-harvest interval or too little left), and nothing is written:
the services never commit, the view commits once after a success.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from app.auth.current import current_actor
from app.web import contract_deliveries as contracts_ui
from app.web import lab_results as lab_web
from app.web.batch_display import (
    UNIT_LABELS,
    fmt_local,
    fmt_qty,
    page_helpers,
    render,
)
from app.web.batch_filters import batch_filters
from app.web.contract_deliveries import SettlementFields, contract_field
from app.web.form_support import (
    date_field,
    lot_code_field,
    moment_on,
    page_number,
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
from core.db import db
from core.errors import NotFound
from core.i18n import _, _l
from core.units import Unit
from linkages.models.organisations import Organisation
from linkages.services.party_lookup import organisations_by_ids
from traceability.models.batches import Batch, Shipment
from traceability.models.events import EpcisEvent
from traceability.models.products import Product
from traceability.services import batches as batch_svc
from traceability.services import lineage
from traceability.services import operations as ops
from traceability.services import recording as events
from traceability.services import scans as scan_svc
from traceability.services.harvest_choices import harvest_choices
from traceability.services.labels import may_print_labels
from traceability.services.operations import Operation
from traceability.services.phi import may_override_phi
from traceability.services.receivers import receiver_by_code, recent_receivers

bp = Blueprint("web_batches", __name__, url_prefix="/batches")
bp.context_processor(page_helpers)
bp.context_processor(lab_web.lab_helpers)
BATCHES_PER_PAGE = 20

# The batch page offers a button for every operation ``operations.allowed_operations``
# answers that has a form: the next-event forms here, in this order …
EVENT_OPERATIONS = (
    Operation.COOLING,
    Operation.STORING,
    Operation.PACKING,
    Operation.SHIPPING,
    Operation.DESTROY,
    Operation.RECALL,
)
# … the forms that make new lots (app/web/batch_operations.py) …
OPERATION_ENDPOINTS: dict[Operation, str] = {
    Operation.SPLIT: "web_batch_ops.split",
    Operation.MERGE: "web_batch_ops.merge",
    Operation.TRANSFORMATION: "web_batch_ops.transform",
}
# … and receiving. Corrections are offered on each record of the history; packing into a
# new lot is the API's only.
ACTION_LABELS: dict[str, Any] = {
    "cooling": _l("Cooling"),
    "storing": _l("Storing"),
    "packing": _l("Packing"),
    "shipping": _l("Shipping"),
    "destroy": _l("Destroy"),
    "recall": _l("Recall"),
    "receive": _l("Receive"),
    "split": _l("Split"),
    "merge": _l("Merge"),
    "transformation": _l("Process"),
}
ACTION_HINTS: dict[str, Any] = {
    "cooling": _l("The lot was cooled (pre-cooling, cold room)."),
    "storing": _l("The lot was put into storage."),
    "packing": _l("The lot was packed, keeping its lot code."),
    "shipping": _l("Part or all of the lot leaves for another organisation."),
    "destroy": _l("Part or all of the lot was destroyed; it no longer counts."),
    "recall": _l("Withdraw the lot: it is marked recalled and nothing more can be done "
                 "with it."),
    "receive": _l("Record that the shipment arrived; the goods become a lot of yours."),
}


# --------------------------------------------------------------------------- forms


CONTRIBUTION_ROWS = 3  # member rows the harvest form shows at first …
MAX_CONTRIBUTION_ROWS = 30  # … and at most, one more per "Add a row"


class ContributionRowForm(Form):
    """One member household's delivery into a pooled lot (the page's form carries the CSRF
    token). A row left empty is ignored."""

    member_id = SelectField(_l("Member household"), coerce=int, default=0)
    quantity = quantity_field(_l("Quantity"), required=False)
    unit = SelectField(_l("Unit"), choices=[], default="")
    area_id = SelectField(_l("Area"), coerce=int, default=0)

    def filled(self) -> bool:
        return bool(
            self.member_id.data or (self.quantity.data or "").strip() or self.area_id.data
        )


class HarvestForm(FlaskForm):
    area_id = SelectField(_l("Area"), coerce=int)
    product_id = SelectField(_l("Product"), coerce=int)
    # Left empty on a pooled lot, the service adds up the members' deliveries.
    quantity = quantity_field(_l("Quantity"), required=False)
    unit = SelectField(_l("Unit"), choices=[], default="")
    harvested_on = date_field(_l("Harvest date"))
    lot_code = lot_code_field(
        _l("Lot code"), _l("Leave empty to have one made, e.g. 261123-LO1-1.")
    )
    grade = StringField(
        _l("Grade"), validators=[Optional(), Length(max=40, message=_l("At most 40 characters."))]
    )
    expiry = DateField(_l("Best before / expiry"), validators=[Optional(), within_calendar])
    phi_override_reason = TextAreaField(
        _l("Reason to harvest inside the pre-harvest interval"),
        validators=[Optional(), Length(max=500, message=_l("At most 500 characters."))],
        description=_l("Organisation admins only; it is recorded with the batch."),
    )
    contributions = FieldList(
        FormField(ContributionRowForm),
        min_entries=CONTRIBUTION_ROWS,
        max_entries=MAX_CONTRIBUTION_ROWS,
    )

    def filled_rows(self) -> list[int]:
        """The contribution rows filled in, by their place on the page."""
        return [n for n, entry in enumerate(self.contributions) if entry.form.filled()]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        rows = self.filled_rows()
        for n in rows:
            row = self.contributions[n].form
            if not row.member_id.data:
                row.member_id.errors = [*row.member_id.errors, _l("Choose the household.")]
                valid = False
            if not (row.quantity.data or "").strip():
                row.quantity.errors = [*row.quantity.errors, _l("Enter the quantity.")]
                valid = False
        return valid


class ObservationForm(FlaskForm):
    at = date_field(_l("Date"))


class ShippingForm(FlaskForm):
    receiver_code = StringField(
        _l("Receiver's registration code"),
        validators=[DataRequired(message=_l("Enter the receiver's registration code."))],
        description=_l("The tax or registration code of the buying organisation."),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "list": "receivers"},
    )
    quantity = quantity_field(_l("Quantity"))
    unit = SelectField(_l("Unit"), choices=[])
    at = date_field(_l("Shipping date"))
    purchase_order = StringField(
        _l("Purchase order / contract no."),
        validators=[Optional(), Length(max=100, message=_l("At most 100 characters."))],
    )
    despatch_ref = StringField(
        _l("Delivery note no."),
        validators=[Optional(), Length(max=100, message=_l("At most 100 characters."))],
    )
    contract_line = contract_field()


class DestroyForm(FlaskForm):
    quantity = quantity_field(_l("Quantity"), required=False)
    unit = SelectField(_l("Unit"), choices=[])
    at = date_field(_l("Date"))


class RecallForm(FlaskForm):
    include_descendants = BooleanField(_l("Also recall the lots we made from it"))
    at = date_field(_l("Date"))


class ReceiveForm(SettlementFields):
    shipment_id = SelectField(_l("Shipment"), coerce=int)
    quantity = quantity_field(_l("Quantity received"))
    unit = SelectField(_l("Unit"), choices=[])
    at = date_field(_l("Date received"))
    lot_code = lot_code_field(_l("Our lot code"))


# --------------------------------------------------------------------------- list


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    actor = current_actor()
    page = page_number()
    # Acting for an organisation, the list is its own stock: a lot shipped to it is the
    # shipper's (an incoming shipment on the start page until received, then a lot of its
    # own); overseers acting for none read every lot in their scope. ``?organisation_id=``
    # asks for another's lots (a supplier's, from its scorecard): those the actor may read.
    own = actor.organisation_id
    filters = batch_filters(request.args, own)
    batches = db.paginate(
        batch_svc.list_batches(actor, **filters.service_args()),
        page=page,
        per_page=BATCHES_PER_PAGE,
        error_out=False,
    )
    products = _names(Product, {b.product_id for b in batches.items})
    orgs = _names(Organisation, {b.organisation_id for b in batches.items})
    whose = filters.organisation_id if filters.organisation_id != own else None
    return render(
        "batches/index.html",
        batches=batches,
        products=products,
        orgs=orgs,
        filters=filters,
        filter_args=filters.query(own),
        whose=organisations_by_ids([whose]).get(whose) if whose else None,
        can_record=whose is None and ops.may_record_harvest(
            actor, db.session.get(Organisation, own) if own else None
        ),
    )


def _names(model: Any, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(wanted))).all())


# --------------------------------------------------------------------------- harvest


def _harvest_choices(actor: Actor, form: HarvestForm) -> list[Product]:
    choices = harvest_choices(actor)
    products = choices.products
    form.area_id.choices = select_choices((a.id, f"{a.code} · {a.name}") for a in choices.areas)
    form.product_id.choices = select_choices(
        (p.id, f"{p.name} ({UNIT_LABELS[p.default_unit]})") for p in products
    )
    members = choices.households
    form.unit.choices = unit_choices(_l("Default"))
    for entry in form.contributions:
        row = entry.form
        row.member_id.choices = select_choices([(0, "—"), *members])
        row.unit.choices = form.unit.choices
        row.area_id.choices = [SelectChoice(0, _l("Not stated")), *form.area_id.choices]
    # Left empty, the unit is the chosen product's; when every product uses the same one,
    # show it chosen already.
    usual = {p.default_unit for p in products}
    if request.method == "GET" and len(usual) == 1:
        form.unit.data = usual.pop().value
    return list(products)


def _added_row(form: HarvestForm) -> bool:
    """"Add a row" was pressed: one more member row (up to the cap), keeping what was
    typed; nothing is checked or recorded yet."""
    if request.method != "POST" or "add_row" not in request.form:
        return False
    if len(form.contributions) < MAX_CONTRIBUTION_ROWS:
        form.contributions.append_entry()
    return True


def _contributions(
    form: HarvestForm, product: Product, rows: list[int]
) -> list[batch_svc.ContributionIn]:
    """The members' deliveries: the filled rows (one household that delivered the whole
    lot is one row)."""
    unit = Unit(form.unit.data or product.default_unit)
    return [
        batch_svc.ContributionIn(
            member_id=row.member_id.data,
            quantity=parse_quantity(row.quantity.data),  # type: ignore[arg-type]
            unit=Unit(row.unit.data or unit),
            area_id=row.area_id.data or None,
        )
        for row in (form.contributions[n].form for n in rows)
    ]


HARVEST_FIELDS = {
    "area_ids": "area_id",
    "area_id": "area_id",
    "product_id": "product_id",
    "quantity": "quantity",
    "unit": "unit",
    "harvested_on": "harvested_on",
    "lot_code": "lot_code",
    "grade": "grade",
    "expiry": "expiry",
    "phi_override_reason": "phi_override_reason",
    "contributions": "member_id",
}


def _harvest_fields(rows: list[int]) -> dict[str, str]:
    """Where the service's messages go: a row's beside its field in that row (the service
    numbers the filled rows only); the deliveries' sum beside the lot's quantity."""
    if not rows:
        return HARVEST_FIELDS
    fields = {**HARVEST_FIELDS, "contributions": "quantity"}
    for n, row in enumerate(rows):
        for name in ("member_id", "quantity", "unit", "area_id"):
            fields[f"contributions.{n}.{name}"] = f"contributions.{row}.{name}"
    return fields


@bp.route("/harvest", methods=["GET", "POST"])
@login_required
def harvest() -> Response | tuple[str, int]:
    actor = current_actor()
    form = HarvestForm()
    adding = _added_row(form)
    products = _harvest_choices(actor, form)
    if request.method == "POST" and not may_override_phi(actor):
        form.phi_override_reason.data = ""
    rows = form.filled_rows()

    def record() -> Batch:
        product = next(p for p in products if p.id == form.product_id.data)
        contributions = _contributions(form, product, rows)
        return events.record_harvest(
            actor,
            # The lot comes from its own area and those its members delivered from.
            area_ids=list(dict.fromkeys(
                [form.area_id.data, *(c.area_id for c in contributions if c.area_id)]
            )),
            product_id=product.id,
            quantity=parse_quantity(form.quantity.data),
            unit=form.unit.data or product.default_unit,
            harvested_on=moment_on(form.harvested_on.data),
            lot_code=(form.lot_code.data or "").strip() or None,
            grade=(form.grade.data or "").strip(),
            expiry=form.expiry.data,
            phi_override_reason=(form.phi_override_reason.data or "").strip() or None,
            contributions=contributions,
        )

    batch, errors, status = (
        (None, [], 200) if adding
        else submit_to_service(form, record, _harvest_fields(rows), "quantity")
    )
    if batch is not None:
        flash(_("Harvest recorded: lot %(lot)s.", lot=batch.lot_code), "success")
        return redirect(url_for("web_batches.show", batch_id=batch.id))
    return render(
        "batches/harvest.html",
        status,
        form=form,
        errors=errors,
        may_override=may_override_phi(actor),
        has_choices=bool(form.area_id.choices and form.product_id.choices),
        has_households=len(form.contributions[0].form.member_id.choices) > 1,
        open_more=bool(
            form.lot_code.errors or form.grade.errors or form.expiry.errors
            or form.phi_override_reason.errors or form.phi_override_reason.data
            or (form.harvested_on.errors and may_override_phi(actor))
        ),
        open_members=adding or bool(rows),
        may_add_row=len(form.contributions) < MAX_CONTRIBUTION_ROWS,
        new_row=len(form.contributions) - 1 if adding else None,
    )


# --------------------------------------------------------------------------- batch page


def ship_times(event_pks: Iterable[int]) -> dict[int, datetime]:
    """When each shipment happened, from its ship event (stored in UTC): a shipment row's own
    ``shipped_at`` comes back from SQLite in the wall-clock time it was given, offset lost."""
    pks = list(set(event_pks))
    if not pks:
        return {}
    return dict(
        db.session.execute(
            select(EpcisEvent.id, EpcisEvent.event_time).where(EpcisEvent.id.in_(pks))
        ).all()
    )


@bp.get("/<int:batch_id>")
@login_required
def show(batch_id: int) -> tuple[str, int]:
    actor = current_actor()
    detail = batch_svc.batch_detail(actor, batch_id)
    back = lineage.one_step_back(actor, batch_id)
    forward = lineage.one_step_forward(actor, batch_id)
    # A lot of another organisation can be opened when its details are ours to read or it
    # was shipped to us (the supplier's lot our own was booked from).
    shipped_to_us = {s.batch_id for s in back.shipments}
    openable = {
        lot.id for lot in [*back.lots, *forward.lots]
        if lot.details_visible or lot.id in shipped_to_us
    }
    allowed = ops.allowed_operations(actor, detail.batch, held_kg=detail.current_quantity_kg)
    return render(
        "batches/show.html",
        d=detail,
        batch=detail.batch,
        items=timeline(actor, batch_id),
        back=back,
        forward=forward,
        openable=openable,
        shipped_at=ship_times(s.event_pk for s in [*back.shipments, *forward.shipments]),
        actions=ops.operations_in(EVENT_OPERATIONS, allowed),
        operations=ops.operations_in(OPERATION_ENDPOINTS, allowed),
        operation_endpoints=OPERATION_ENDPOINTS,
        action_labels=ACTION_LABELS,
        incoming=Operation.RECEIVE in allowed,
        owner=batch_svc.shows_households(actor, detail.batch),
        may_print=may_print_labels(actor, detail.batch),
        scans=scan_svc.batch_scans(actor, detail.batch),
        lab_results=lab_web.results(batch_id),
        lab_form=lab_web.offered_form(detail.batch),
        may_withdraw_lab=lab_web.may_withdraw(detail.batch),
    )


@bp.get("/<int:batch_id>/trace")
@login_required
def trace(batch_id: int) -> tuple[str, int]:
    """The full trace of a lot: every ancestor back to the fields (with suppliers, origins
    and, for the cooperative, member households) and every descendant and buyer."""
    actor = current_actor()
    back = lineage.trace_back(actor, batch_id)
    forward = lineage.trace_forward(actor, batch_id)
    shipped_to_us = {s.batch_id for s in back.suppliers}
    lots = [back.batch, *back.lots, *forward.lots]
    openable = {lot.id for lot in lots if lot.details_visible or lot.id in shipped_to_us}
    codes = {lot.id: lot.lot_code for lot in lots}
    return render(
        "batches/trace.html",
        back=back,
        forward=forward,
        batch=back.batch,
        openable=openable,
        codes=codes,
        shipped_at=ship_times(s.event_pk for s in [*back.suppliers, *forward.buyers]),
    )


# --------------------------------------------------------------------------- next events

def _batch_units(form: FlaskForm, batch: Batch) -> None:
    form.unit.choices = unit_choices()
    if request.method == "GET" and not form.unit.data:
        form.unit.data = batch.unit.value


def _record(
    actor: Actor, batch: Batch, kind: str, form: FlaskForm, delivered: Container[int] = ()
) -> events.Recorded:
    """Call the service for ``kind`` with the form's values (raises DomainError)."""
    at = moment_on(form.at.data)
    if kind in ("cooling", "storing", "packing"):
        return events.record_observation(actor, batch.id, kind, at=at)
    if kind == "shipping":
        receiver = receiver_by_code(form.receiver_code.data or "")
        return contracts_ui.ship(
            actor,
            batch.id,
            form,
            to_organisation_id=receiver.id,
            quantity=parse_quantity(form.quantity.data),  # type: ignore[arg-type]
            unit=form.unit.data,
            shipped_at=at,
            purchase_order=(form.purchase_order.data or "").strip(),
            despatch_ref=(form.despatch_ref.data or "").strip(),
        )
    if kind == "destroy":
        quantity = parse_quantity(form.quantity.data)
        return events.record_destroy(
            actor, batch.id, at=at, quantity=quantity, unit=form.unit.data if quantity else None
        )
    if kind == "recall":
        return events.record_recall(
            actor, batch.id, at=at, include_descendants=bool(form.include_descendants.data)
        )
    if kind == "receive":
        return contracts_ui.receive(
            actor,
            form.shipment_id.data,
            form,
            form.shipment_id.data in delivered,
            received_quantity=parse_quantity(form.quantity.data),  # type: ignore[arg-type]
            unit=form.unit.data,
            received_at=at,
            lot_code=(form.lot_code.data or "").strip() or None,
        )
    raise NotFound()


EVENT_FIELDS = {
    "at": "at",
    "shipped_at": "at",
    "received_at": "at",
    "quantity": "quantity",
    "received_quantity": "quantity",
    "unit": "unit",
    "to_organisation_id": "receiver_code",
    "lot_code": "lot_code",
    "area_id": "at",
    **contracts_ui.FIELDS,
}
EVENT_FORMS: dict[str, type[FlaskForm]] = {
    "cooling": ObservationForm,
    "storing": ObservationForm,
    "packing": ObservationForm,
    "shipping": ShippingForm,
    "destroy": DestroyForm,
    "recall": RecallForm,
    "receive": ReceiveForm,
}
SUCCESS = {
    "cooling": _l("Cooling recorded."),
    "storing": _l("Storing recorded."),
    "packing": _l("Packing recorded."),
    "shipping": _l("Shipment recorded."),
    "destroy": _l("Destruction recorded."),
    "recall": _l("The lot is recalled."),
}


def _event_batch(
    actor: Actor, batch_id: int, kind: str
) -> tuple[Batch, list[Shipment], Decimal | None]:
    """The batch the form is about, what it holds, and the shipments to receive, checked
    the way the service will check them (``operations``): receiving needs an open shipment
    of it to the actor's organisation (else 404); the owner's kinds 404 to those who may
    not read, 403 to readers, 409 saying why on a lot whose state refuses them."""
    if kind == "receive":
        batch = batch_svc.get_batch(actor, batch_id)
        shipments = ops.receivable_shipments(actor, batch_id)
        if not shipments:
            raise NotFound()
        return batch, shipments, None
    batch, held = ops.operable_batch(actor, batch_id, Operation(kind))
    return batch, [], held


@bp.route("/<int:batch_id>/events/<kind>", methods=["GET", "POST"])
@login_required
def record_event(batch_id: int, kind: str) -> Response | tuple[str, int]:
    if kind not in EVENT_FORMS:
        raise NotFound()
    actor = current_actor()
    batch, shipments, held = _event_batch(actor, batch_id, kind)
    product = db.session.get(Product, batch.product_id)
    form = EVENT_FORMS[kind]()
    if hasattr(form, "unit"):
        _batch_units(form, batch)
    if kind == "shipping":
        contracts_ui.offer_contracts(form, actor, batch.organisation_id)
    delivered = contracts_ui.delivered(actor, [s.id for s in shipments])
    under = contracts_ui.delivered_under(actor, list(delivered))
    if kind == "receive":
        times = ship_times(s.ship_event_pk for s in shipments)
        form.shipment_id.choices = select_choices(
            (s.id, contracts_ui.with_contract(
                _("%(kg)s kg shipped on %(date)s", kg=fmt_qty(s.quantity_kg),
                  date=fmt_local(times.get(s.ship_event_pk))), under.get(s.id)))
            for s in shipments
        )
        if request.method == "GET":
            form.unit.data = Unit.KG.value
            form.quantity.data = plain_qty(shipments[0].quantity_kg)
        contracts_ui.fill_settlement(form, delivered.get(shipments[0].id))
    recorded, errors, status = submit_to_service(
        form, lambda: _record(actor, batch, kind, form, delivered), EVENT_FIELDS
    )
    if recorded is not None:
        target = recorded.batch
        message = (
            _("Receipt recorded: lot %(lot)s is now in your stock.", lot=target.lot_code)
            if kind == "receive"
            else str(SUCCESS[kind])
        )
        flash(message, "success")
        return redirect(url_for("web_batches.show", batch_id=target.id))
    return render(
        "batches/event.html",
        status,
        form=form,
        kind=kind,
        title=ACTION_LABELS[kind],
        hint=ACTION_HINTS[kind],
        batch=batch,
        product=product,
        held=held,
        errors=errors,
        receivers=recent_receivers(actor) if kind == "shipping" else [],
        under_contract=bool(delivered),
        contracts=under,
    )
