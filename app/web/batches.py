"""Batches on a phone: the list, a one-screen harvest form, the batch page (identifier,
quantity, origin, timeline, one step back and forward) and short forms for the next event.

The forms that make new lots (split, merge, processing) are in ``batch_operations``, the
correction of a record in ``corrections``; they reuse the helpers here.

Every page works without JavaScript. Forms carry a CSRF token (Flask-WTF); bad input comes
back with the message beside the field and status 422 (409 when the service refuses on the
state of things, e.g. a pre-harvest interval or too little left), and nothing is written:
the services never commit, the view commits once after a success.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import unquote

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.auth.current import current_actor
from core.actor import Actor, OrgRole
from core.db import db, utcnow
from core.errors import DomainError, Forbidden, NotFound
from core.i18n import _, _l
from core.units import Unit
from linkages.models.members import Member
from linkages.models.organisations import Organisation
from traceability.models.areas import ProductionArea
from traceability.models.batches import Batch, BatchStatus, Shipment
from traceability.models.events import EpcisEvent
from traceability.models.products import Product
from traceability.services import batches as batch_svc
from traceability.services import business_events as events
from traceability.services import lineage

bp = Blueprint("web_batches", __name__, url_prefix="/batches")
T = TypeVar("T")
BATCHES_PER_PAGE = 20
VIETNAM = events.VIETNAM

UNIT_LABELS: dict[Unit, Any] = {
    Unit.KG: _l("kg"),
    Unit.G: _l("g"),
    Unit.TA: _l("quintal (100 kg)"),
    Unit.TAN: _l("tonne"),
    Unit.LITRE: _l("litre"),
    Unit.PIECE: _l("piece"),
    Unit.HEAD: _l("head"),
}
STATUS_LABELS: dict[BatchStatus, Any] = {
    BatchStatus.ACTIVE: _l("In stock"),
    BatchStatus.IN_TRANSIT: _l("In transit"),
    BatchStatus.VOID: _l("Withdrawn"),
    BatchStatus.CONSUMED: _l("Used up"),
    BatchStatus.DESTROYED: _l("Destroyed"),
    BatchStatus.RECALLED: _l("Recalled"),
}
KIND_LABELS: dict[str, Any] = {
    "harvest": _l("Harvest"),
    "cooling": _l("Cooling"),
    "storing": _l("Storing"),
    "packing": _l("Packing"),
    "shipping": _l("Shipping"),
    "receiving": _l("Receiving"),
    "destroy": _l("Destroyed"),
    "recall": _l("Recall"),
    "split": _l("Split"),
    "merge": _l("Merge"),
    "transformation": _l("Processing"),
    "commissioning": _l("New lot"),
}
# The next-event forms of the owner, in the order the batch page offers them.
OWNER_KINDS = ("cooling", "storing", "packing", "shipping", "destroy", "recall")
# Operations that make new lots (app/web/batch_operations.py), offered on a lot in stock.
OPERATION_ENDPOINTS: dict[str, str] = {
    "split": "web_batch_ops.split",
    "merge": "web_batch_ops.merge",
    "transformation": "web_batch_ops.transform",
}
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


REASON_LABELS: dict[str, Any] = {
    "did_not_occur": _l("It did not happen"),
    "incorrect_data": _l("Some details were wrong"),
}


# --------------------------------------------------------------------------- input helpers


def today_vn() -> date:
    return utcnow().astimezone(VIETNAM).date()


def parse_quantity(text: str | None) -> Decimal | None:
    """A quantity as people type it on a phone: ``12.5`` or the Vietnamese ``12,5``.
    A dot with three digits after it (``1.250``) is a thousands separator in Vietnamese, so
    it is refused as ambiguous rather than guessed; None when it is not a number."""
    raw = (text or "").strip().replace(" ", "")
    if not raw:
        return None
    if "," in raw and "." in raw:
        return None
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
        return None
    try:
        number = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _moment(day: date) -> datetime:
    """The chosen day at the current time of day, Vietnamese time (+07:00)."""
    now = utcnow().astimezone(VIETNAM).replace(microsecond=0)
    return datetime.combine(day, now.timetz())


def plain_qty(value: Decimal | int | float) -> str:
    """A quantity as a form field is filled in: no thousands separator, so that
    ``parse_quantity`` reads it back whatever the reader's number format (``1250``, ``12.5``)."""
    return format(Decimal(str(value)).normalize(), "f")


# Quantities are stored as Numeric(18, 4) in their unit and in kg: ten billion units, even
# of tonnes, still fit; a larger number is a typing slip, not a lot.
MAX_QUANTITY = Decimal(10) ** 10
QUANTITY_PLACES = Decimal("0.0001")


class PositiveQuantity:
    def __init__(self, required: bool = True, allow_zero: bool = False) -> None:
        self.required = required
        self.allow_zero = allow_zero

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if not (field.data or "").strip():
            if self.required:
                raise ValidationError(_l("Enter the quantity."))
            return
        number = parse_quantity(field.data)
        if number is None and "." in field.data:
            raise ValidationError(
                _l("Write the number without a thousands separator, e.g. 1250 or 12,5.")
            )
        if number is None:
            raise ValidationError(_l("Enter a number, e.g. 120 or 12,5."))
        if number >= MAX_QUANTITY:
            raise ValidationError(_l("This number is too large."))
        number = number.quantize(QUANTITY_PLACES)  # as stored: below 0.0001 is nothing
        if number < 0 or (number == 0 and not self.allow_zero):
            raise ValidationError(
                _l("Enter a quantity of zero or more.")
                if self.allow_zero
                else _l("Enter a quantity above zero.")
            )


def not_in_future(form: FlaskForm, field: Field) -> None:
    if field.data and field.data > today_vn():
        raise ValidationError(_l("The date cannot be in the future."))


def _unit_choices(blank: Any = None) -> list[tuple[str, Any]]:
    choices: list[tuple[str, Any]] = [("", blank)] if blank is not None else []
    return choices + [(u.value, UNIT_LABELS[u]) for u in Unit]


def _quantity_field(label: Any, required: bool = True, allow_zero: bool = False) -> StringField:
    return StringField(
        label,
        validators=[PositiveQuantity(required, allow_zero)],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


def _date_field(label: Any) -> DateField:
    return DateField(
        label,
        default=today_vn,
        validators=[DataRequired(message=_l("Enter a date.")), not_in_future],
    )


def lot_code_field(label: Any = None, description: Any = None) -> StringField:
    return StringField(
        label or _l("Lot code"),
        validators=[Optional(), Length(max=20, message=_l("At most 20 characters."))],
        description=description or _l("Leave empty to have one made."),
    )


# --------------------------------------------------------------------------- forms


class HarvestForm(FlaskForm):
    area_id = SelectField(_l("Area"), coerce=int)
    product_id = SelectField(_l("Product"), coerce=int)
    quantity = _quantity_field(_l("Quantity"))
    unit = SelectField(_l("Unit"), choices=[], default="")
    harvested_on = _date_field(_l("Harvest date"))
    lot_code = lot_code_field(
        _l("Lot code"), _l("Leave empty to have one made, e.g. 261123-LO1-1.")
    )
    grade = StringField(
        _l("Grade"), validators=[Optional(), Length(max=40, message=_l("At most 40 characters."))]
    )
    expiry = DateField(_l("Best before / expiry"), validators=[Optional()])
    member_id = SelectField(
        _l("Delivered by member household"),
        coerce=int,
        default=0,
        description=_l("When one household delivered the whole lot."),
    )
    phi_override_reason = TextAreaField(
        _l("Reason to harvest inside the pre-harvest interval"),
        validators=[Optional(), Length(max=500, message=_l("At most 500 characters."))],
        description=_l("Organisation admins only; it is recorded with the batch."),
    )


class ObservationForm(FlaskForm):
    at = _date_field(_l("Date"))


class ShippingForm(FlaskForm):
    receiver_code = StringField(
        _l("Receiver's registration code"),
        validators=[DataRequired(message=_l("Enter the receiver's registration code."))],
        description=_l("The tax or registration code of the buying organisation."),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "list": "receivers"},
    )
    quantity = _quantity_field(_l("Quantity"))
    unit = SelectField(_l("Unit"), choices=[])
    at = _date_field(_l("Shipping date"))
    purchase_order = StringField(
        _l("Purchase order / contract no."),
        validators=[Optional(), Length(max=100, message=_l("At most 100 characters."))],
    )
    despatch_ref = StringField(
        _l("Delivery note no."),
        validators=[Optional(), Length(max=100, message=_l("At most 100 characters."))],
    )


class DestroyForm(FlaskForm):
    quantity = _quantity_field(_l("Quantity"), required=False)
    unit = SelectField(_l("Unit"), choices=[])
    at = _date_field(_l("Date"))


class RecallForm(FlaskForm):
    include_descendants = BooleanField(_l("Also recall the lots we made from it"))
    at = _date_field(_l("Date"))


class ReceiveForm(FlaskForm):
    shipment_id = SelectField(_l("Shipment"), coerce=int)
    quantity = _quantity_field(_l("Quantity received"))
    unit = SelectField(_l("Unit"), choices=[])
    at = _date_field(_l("Date received"))
    lot_code = lot_code_field(_l("Our lot code"))


# --------------------------------------------------------------------------- shared


def _status_label(status: BatchStatus) -> Any:
    return STATUS_LABELS.get(status, status.value)


def fmt_qty(value: Decimal | int | float | None) -> str:
    """A quantity without trailing zeros, in the reader's number format."""
    from flask_babel import format_decimal

    if value is None:
        return "—"
    number = Decimal(str(value)).normalize()
    return str(format_decimal(number, format="#,##0.####"))


def fmt_local(moment: datetime | None) -> str:
    """Date and time in Vietnamese time, whatever the database handed back."""
    from flask_babel import format_datetime

    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite gives back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return str(format_datetime(moment.astimezone(VIETNAM), "short", rebase=False))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "fmt_qty": fmt_qty,
        "fmt_local": fmt_local,
        "unit_label": lambda u: UNIT_LABELS.get(Unit(u), u) if u else "",
        "status_label": _status_label,
    }


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status


def apply_domain_error(
    form: FlaskForm, error: DomainError, fields: Mapping[str, str], fallback: str | None = None
) -> list[str]:
    """Put a service's field errors beside the form's fields (``fields`` maps the service's
    names onto the form's); return the messages that fit no field, for the top of the form.
    A not-found or forbidden without field errors is about the page itself: re-raised."""
    db.session.rollback()
    if isinstance(error, NotFound | Forbidden) and not error.field_errors:
        raise error
    loose: list[str] = []
    for name, messages in error.field_errors.items():
        target = fields.get(name) or fields.get(name.split(".")[0]) or fallback
        field = form_field(form, target) if target else None
        if field is None:
            loose.extend(messages)
            continue
        field.errors = [*field.errors, *messages]
    if not error.field_errors and error.detail is not None:
        loose.append(str(error.detail))
    return loose


def form_field(form: FlaskForm, path: str) -> Field | None:
    """The field at ``path``: ``lot_code``, or ``parts.1.quantity`` for a field of the
    second entry of a list of sub-forms (``FieldList(FormField(...))``); None if absent."""
    node: Any = form
    for step in path.split("."):
        if isinstance(node, FormField):
            node = node.form
        if step.isdigit():
            entries = getattr(node, "entries", None)
            if entries is None or int(step) >= len(entries):
                return None
            node = entries[int(step)]
        else:
            node = getattr(node, step, None)
    return node if isinstance(node, Field) else None


def _status_of(error: DomainError) -> int:
    return 422 if error.status in (400, 404) else error.status


def submit_to_service(
    form: FlaskForm,
    record: Callable[[], T],
    fields: Mapping[str, str],
    fallback: str | None = None,
) -> tuple[T | None, list[str], int]:
    """Handle a form's POST: validate it, call the service through ``record`` and commit
    once on success. Returns what the service returned (None when the form or the service
    refused), the messages for the top of the form and the status of the page. On a GET:
    (None, [], 200)."""
    if request.method != "POST":
        return None, [], 200
    if not form.validate_on_submit():
        return None, [], 422
    try:
        result = record()
    except DomainError as error:
        return None, apply_domain_error(form, error, fields, fallback), _status_of(error)
    db.session.commit()
    return result, [], 200


# --------------------------------------------------------------------------- list


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    actor = current_actor()
    page = request.args.get("page", 1, type=int)
    batches = db.paginate(
        batch_svc.list_batches(actor, organisation_id=None),
        page=page,
        per_page=BATCHES_PER_PAGE,
        error_out=False,
    )
    products = _names(Product, {b.product_id for b in batches.items})
    orgs = _names(Organisation, {b.organisation_id for b in batches.items})
    return _render(
        "batches/index.html",
        batches=batches,
        products=products,
        orgs=orgs,
        can_record=actor.organisation_id is not None,
    )


def _names(model: Any, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(wanted))).all())


# --------------------------------------------------------------------------- harvest


def _harvest_choices(actor: Actor, form: HarvestForm) -> list[Product]:
    org = batch_svc.actor_org(actor)
    areas = db.session.scalars(
        select(ProductionArea)
        .where(ProductionArea.organisation_id == org.id, ProductionArea.active.is_(True))
        .order_by(ProductionArea.code, ProductionArea.id)
    ).all()
    products = db.session.scalars(
        select(Product)
        .where(Product.organisation_id == org.id, Product.active.is_(True))
        .order_by(Product.name, Product.id)
    ).all()
    form.area_id.choices = [(a.id, f"{a.code} · {a.name}") for a in areas]
    form.product_id.choices = [
        (p.id, f"{p.name} ({UNIT_LABELS[p.default_unit]})") for p in products
    ]
    members = db.session.execute(
        select(Member.id, Member.display_name)
        .where(Member.organisation_id == org.id, Member.left_on.is_(None))
        .order_by(Member.display_name, Member.id)
    ).all()
    form.member_id.choices = [(0, _l("None"))] + [(m.id, m.display_name) for m in members]
    form.unit.choices = _unit_choices(_l("Default"))
    # Left empty, the unit is the chosen product's; when every product uses the same one,
    # show it chosen already.
    usual = {p.default_unit for p in products}
    if request.method == "GET" and len(usual) == 1:
        form.unit.data = usual.pop().value
    return list(products)


def _contribution(form: HarvestForm, product: Product) -> list[batch_svc.ContributionIn]:
    """The whole lot as one member household's delivery, when one was chosen."""
    if not form.member_id.data:
        return []
    return [
        batch_svc.ContributionIn(
            member_id=form.member_id.data,
            quantity=parse_quantity(form.quantity.data),  # type: ignore[arg-type]
            unit=Unit(form.unit.data or product.default_unit),
        )
    ]


def _may_override_phi(actor: Actor) -> bool:
    return actor.is_admin or actor.org_role == OrgRole.ORG_ADMIN


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


@bp.route("/harvest", methods=["GET", "POST"])
@login_required
def harvest() -> Response | tuple[str, int]:
    actor = current_actor()
    form = HarvestForm()
    products = _harvest_choices(actor, form)
    if request.method == "POST" and not _may_override_phi(actor):
        form.phi_override_reason.data = ""

    def record() -> Batch:
        product = next(p for p in products if p.id == form.product_id.data)
        return events.record_harvest(
            actor,
            area_ids=[form.area_id.data],
            product_id=product.id,
            quantity=parse_quantity(form.quantity.data),  # type: ignore[arg-type]
            unit=form.unit.data or product.default_unit,
            harvested_on=_moment(form.harvested_on.data),
            lot_code=(form.lot_code.data or "").strip() or None,
            grade=(form.grade.data or "").strip(),
            expiry=form.expiry.data,
            phi_override_reason=(form.phi_override_reason.data or "").strip() or None,
            contributions=_contribution(form, product),
        )

    batch, errors, status = submit_to_service(form, record, HARVEST_FIELDS, "quantity")
    if batch is not None:
        flash(_("Harvest recorded: lot %(lot)s.", lot=batch.lot_code), "success")
        return redirect(url_for("web_batches.show", batch_id=batch.id))
    return _render(
        "batches/harvest.html",
        status,
        form=form,
        errors=errors,
        may_override=_may_override_phi(actor),
        has_choices=bool(form.area_id.choices and form.product_id.choices),
        open_more=bool(
            form.lot_code.errors or form.grade.errors or form.expiry.errors
            or form.member_id.errors or form.member_id.data
            or form.phi_override_reason.errors or form.phi_override_reason.data
            or (form.harvested_on.errors and _may_override_phi(actor))
        ),
    )


# --------------------------------------------------------------------------- batch page


@dataclass(frozen=True)
class TimelineItem:
    kind: str
    label: Any
    when: str
    where: str
    counterpart: str
    quantity_kg: Decimal
    corrected: bool
    event_id: str
    pk: int = 0
    # The withdrawn record's correction: why, when, and whether a corrected record replaced it.
    correction_reason: Any = ""
    corrected_when: str = ""
    replaced: bool = False
    is_correction: bool = False  # this record corrects an earlier one
    can_correct: bool = False  # captured by the reader's organisation and still standing


class _Places:
    """Names for the location and party URIs of a batch's events, looked up in two queries:
    ``…/loc/{code}`` and ``…/party/{code}`` name an organisation, ``…/loc/{code}/areas/{id}``
    an area (its name shown only to those who may read its organisation's private data)."""

    LOC = re.compile(r"/(loc|party)/([^/]+)(?:/areas/(\d+))?$")

    def __init__(self, actor: Actor, uris: Iterable[str]) -> None:
        codes: set[str] = set()
        area_ids: set[int] = set()
        self._parsed: dict[str, tuple[str, int | None]] = {}
        ours = batch_svc.base_url() + "/"
        for uri in uris:
            # Only the platform's own URIs: a GLN or another system's path is not ours to name.
            found = self.LOC.search(uri[len(ours) - 1:]) if uri.startswith(ours) else None
            if not found:
                continue
            code = unquote(found.group(2))
            area = int(found.group(3)) if found.group(3) else None
            self._parsed[uri] = (code, area)
            codes.add(code)
            if area is not None:
                area_ids.add(area)
        self.orgs = {
            o.registration_code: o
            for o in db.session.scalars(
                select(Organisation).where(Organisation.registration_code.in_(codes))
            )
        } if codes else {}
        self.areas = {
            a.id: a
            for a in db.session.scalars(
                select(ProductionArea).where(ProductionArea.id.in_(area_ids))
            )
        } if area_ids else {}
        self.actor = actor

    def name(self, uri: str | None) -> str:
        if not uri:
            return ""
        parsed = self._parsed.get(uri)
        if parsed is None:
            return ""
        code, area_id = parsed
        org = self.orgs.get(code)
        org_name = (org.short_name or org.name) if org else code
        area = self.areas.get(area_id) if area_id is not None else None
        if area is not None and (self.actor.is_admin or self.actor.acts_for(area.organisation_id)):
            return f"{area.code} · {area.name}"
        return org_name


def _event_uris(doc: Mapping[str, Any]) -> list[str]:
    uris = [(doc.get("bizLocation") or {}).get("id"), (doc.get("readPoint") or {}).get("id")]
    uris += [d.get("destination") for d in doc.get("destinationList") or []]
    uris += [s.get("source") for s in doc.get("sourceList") or []]
    return [u for u in uris if isinstance(u, str)]


def _party(doc: Mapping[str, Any], key: str, places: _Places) -> str:
    """The owning party of a ``source`` or ``destination`` list, by name."""
    for item in doc.get(f"{key}List") or []:
        if item.get("type") == "owning_party":
            return places.name(item.get(key))
    return ""


def _declared_at(text: str | None) -> str:
    try:
        return fmt_local(datetime.fromisoformat(text)) if text else ""
    except ValueError:
        return ""


def timeline(actor: Actor, batch_id: int) -> list[TimelineItem]:
    """The batch's events, newest first, ready to read: a withdrawn record stays, marked
    with its correction (why, when), and the corrected record that replaced it is marked as
    a correction; the reader's organisation may correct the records it captured."""
    rows = db.session.execute(events.batch_timeline(actor, batch_id)).all()
    entries = events.timeline_entries(rows)
    captured_by = {event.id: event.organisation_id for event, _kg in rows}
    corrective_ids = {
        cid for e in entries if e["correction"] for cid in e["correction"]["corrective_event_ids"]
    }
    places = _Places(actor, (u for e in entries for u in _event_uris(e["document"])))
    items = []
    for e in reversed(entries):
        correction = e["correction"] or {}
        org_id = captured_by.get(e["pk"])
        doc = e["document"]
        location = (doc.get("bizLocation") or {}).get("id") or (doc.get("readPoint") or {}).get(
            "id"
        )
        counterpart = ""
        if e["kind"] == "shipping":
            counterpart = _party(doc, "destination", places)
        elif e["kind"] == "receiving":
            counterpart = _party(doc, "source", places)
        items.append(
            TimelineItem(
                kind=e["kind"],
                label=KIND_LABELS.get(e["kind"], e["kind"]),
                when=fmt_local(e["event_time"]),
                where=places.name(location),
                counterpart=counterpart,
                quantity_kg=e["quantity_kg"],
                corrected=e["corrected"],
                event_id=e["event_id"],
                pk=e["pk"],
                correction_reason=REASON_LABELS.get(correction.get("reason") or "", ""),
                corrected_when=_declared_at(correction.get("declared_at")),
                replaced=bool(correction.get("corrective_event_ids")),
                is_correction=e["event_id"] in corrective_ids,
                can_correct=(
                    not e["corrected"]
                    and org_id is not None
                    and (actor.is_admin or actor.acts_for(org_id))
                ),
            )
        )
    return items


def _open_shipments_to_me(actor: Actor, batch_id: int) -> list[Shipment]:
    """Shipments of the batch addressed to the actor's organisation, not yet received, whose
    ship event still stands."""
    if actor.organisation_id is None:
        return []
    return list(
        db.session.scalars(
            select(Shipment)
            .join(EpcisEvent, EpcisEvent.id == Shipment.ship_event_pk)
            .where(
                Shipment.batch_id == batch_id,
                Shipment.to_organisation_id == actor.organisation_id,
                Shipment.received_at.is_(None),
                EpcisEvent.retracted_at.is_(None),
            )
            .order_by(Shipment.shipped_at, Shipment.id)
        )
    )


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


def owner_operations(actor: Actor, batch: Batch) -> list[str]:
    """Split, merge and processing: for the owner, on a lot in stock."""
    if not (actor.is_admin or actor.acts_for(batch.organisation_id)):
        return []
    return list(OPERATION_ENDPOINTS) if batch.status == BatchStatus.ACTIVE else []


def _owner_actions(actor: Actor, batch: Batch) -> list[str]:
    if not (actor.is_admin or actor.acts_for(batch.organisation_id)):
        return []
    if batch.status in (BatchStatus.DESTROYED, BatchStatus.VOID):  # void: it never existed
        return []
    if batch.status == BatchStatus.RECALLED:
        return ["cooling", "storing", "packing", "destroy"]
    return list(OWNER_KINDS)


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
    return _render(
        "batches/show.html",
        d=detail,
        batch=detail.batch,
        items=timeline(actor, batch_id),
        back=back,
        forward=forward,
        openable=openable,
        shipped_at=ship_times(s.event_pk for s in [*back.shipments, *forward.shipments]),
        actions=_owner_actions(actor, detail.batch),
        operations=owner_operations(actor, detail.batch),
        operation_endpoints=OPERATION_ENDPOINTS,
        action_labels=ACTION_LABELS,
        incoming=_open_shipments_to_me(actor, batch_id),
        owner=actor.is_admin or actor.acts_for(detail.batch.organisation_id),
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
    return _render(
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
    form.unit.choices = _unit_choices()
    if request.method == "GET" and not form.unit.data:
        form.unit.data = batch.unit.value


def _recent_receivers(actor: Actor) -> list[Organisation]:
    """Organisations the actor's organisation shipped to before (a datalist: the field
    still takes any registration code)."""
    if actor.organisation_id is None:
        return []
    recent = (
        select(Shipment.to_organisation_id)
        .where(Shipment.from_organisation_id == actor.organisation_id)
        .distinct()
    )
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.id.in_(recent)).order_by(Organisation.name)
            .limit(50)
        )
    )


def _record(actor: Actor, batch: Batch, kind: str, form: FlaskForm) -> events.Recorded:
    """Call the service for ``kind`` with the form's values (raises DomainError)."""
    at = _moment(form.at.data)
    if kind in ("cooling", "storing", "packing"):
        return events.record_observation(actor, batch.id, kind, at=at)
    if kind == "shipping":
        code = (form.receiver_code.data or "").strip()
        receiver = db.session.scalar(
            select(Organisation).where(Organisation.registration_code == code)
        )
        if receiver is None:
            raise NotFound(
                field_errors={
                    "to_organisation_id": [_l("No organisation has this registration code.")]
                }
            )
        return events.record_shipping(
            actor,
            batch.id,
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
        return events.record_receiving(
            actor,
            form.shipment_id.data,
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


def _event_batch(actor: Actor, batch_id: int, kind: str) -> tuple[Batch, list[Shipment]]:
    """The batch the form is about, checked the way the service will check it: the owner's
    kinds need a batch the actor may write (403 to readers, else 404); receiving needs an
    open shipment of it to the actor's organisation (else 404)."""
    if kind == "receive":
        batch = batch_svc.get_batch(actor, batch_id)
        shipments = _open_shipments_to_me(actor, batch_id)
        if not shipments:
            raise NotFound()
        return batch, shipments
    batch = batch_svc.writable_batch(actor, batch_id)
    if kind not in _owner_actions(actor, batch):
        raise NotFound()
    return batch, []


@bp.route("/<int:batch_id>/events/<kind>", methods=["GET", "POST"])
@login_required
def record_event(batch_id: int, kind: str) -> Response | tuple[str, int]:
    if kind not in EVENT_FORMS:
        raise NotFound()
    actor = current_actor()
    batch, shipments = _event_batch(actor, batch_id, kind)
    product = db.session.get(Product, batch.product_id)
    form = EVENT_FORMS[kind]()
    if hasattr(form, "unit"):
        _batch_units(form, batch)
    if kind == "receive":
        times = ship_times(s.ship_event_pk for s in shipments)
        form.shipment_id.choices = [
            (s.id, _("%(kg)s kg shipped on %(date)s", kg=fmt_qty(s.quantity_kg),
                     date=fmt_local(times.get(s.ship_event_pk))))
            for s in shipments
        ]
        if request.method == "GET":
            form.unit.data = Unit.KG.value
            form.quantity.data = plain_qty(shipments[0].quantity_kg)
    recorded, errors, status = submit_to_service(
        form, lambda: _record(actor, batch, kind, form), EVENT_FIELDS
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
    held = batch_svc.current_quantity(batch.id) if kind != "receive" else None
    return _render(
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
        receivers=_recent_receivers(actor) if kind == "shipping" else [],
    )
