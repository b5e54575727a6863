"""Split, merge and processing of a lot on a phone: the three forms of the batch page that
make new lots, each calling its service (``record_split``, ``record_merge``,
``record_transformation``) and committing once.

Every form works without JavaScript. The split form has a fixed number of part rows (the
blank ones are ignored). Merge and processing choose the other lots with check boxes from
a bounded list of the organisation's lots in stock, newest first, which a lot code search
narrows. Bad input comes back beside its field (a part, a chosen lot) with 422, or 409 when
a lot holds less than asked, naming it and the shortfall; nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import undefer
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import Length, Optional

from app.auth.current import current_actor
from app.web import batches as web
from app.web.batch_display import PROCESS_LABELS, UNIT_LABELS, fmt_qty, page_helpers, render
from app.web.form_support import (
    date_field,
    lot_code_field,
    moment_on,
    parse_quantity,
    quantity_field,
    select_choices,
    submit_to_service,
    unit_choices,
    within_calendar,
)
from core.actor import Actor
from core.boundary import ascii_int
from core.db import MAX_INTEGER, db
from core.i18n import _, _l
from core.units import Unit
from traceability.models.batches import Batch
from traceability.models.products import Product
from traceability.services import batches as batch_svc
from traceability.services import operations as ops
from traceability.services import recording as events
from traceability.services.operations import Operation

bp = Blueprint("web_batch_ops", __name__, url_prefix="/batches")
bp.context_processor(page_helpers)

SPLIT_ROWS = 4  # part rows of the split form …
SPLIT_ROWS_SHOWN = 2  # … of which the rest are folded under "more parts"
CHOICES_SHOWN = 20  # other lots offered to merge or process with, newest first

HINTS: dict[str, Any] = {
    "split": _l("Divide the lot into new lots, e.g. by grade or by buyer. What the parts do "
                "not take stays in this lot."),
    "merge": _l("Put this lot together with other lots of the same product into one new lot."),
    "transformation": _l("Processing such as drying, milling or roasting: what this lot (and "
                         "any other lots) gave becomes a new lot of the product made."),
}


# --------------------------------------------------------------------------- forms


class PartForm(Form):
    """One new lot of a split (no CSRF token of its own: the page's form carries it)."""

    quantity = quantity_field(_l("Quantity"), required=False)
    unit = SelectField(_l("Unit"), choices=unit_choices, default=Unit.KG.value)
    lot_code = lot_code_field()


class SplitForm(FlaskForm):
    parts = FieldList(FormField(PartForm), min_entries=SPLIT_ROWS, max_entries=SPLIT_ROWS)
    at = date_field(_l("Date"))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not _filled_parts(self):
            first = self.parts[0].form.quantity
            first.errors = [*first.errors, _l("Enter the quantity of at least one part.")]
            return False
        return valid


class LotChoiceForm(Form):
    """Another lot of the organisation, ticked to take part, with what it gives."""

    batch_id = HiddenField()
    chosen = BooleanField()
    quantity = quantity_field(_l("Quantity"), required=False)
    unit = SelectField(_l("Unit"), choices=unit_choices, default=Unit.KG.value)


class MergeForm(FlaskForm):
    quantity = quantity_field(_l("Quantity from this lot"), required=False)
    unit = SelectField(_l("Unit"), choices=unit_choices, default=Unit.KG.value)
    others = FieldList(FormField(LotChoiceForm), max_entries=CHOICES_SHOWN)
    lot_code = lot_code_field(_l("Lot code of the merged lot"))
    at = date_field(_l("Date"))
    q = HiddenField()


def process_choices() -> list[SelectChoice]:
    """The processes a processing step may name, after "not stated"."""
    return select_choices(
        [("", _l("Not stated"))] + [(p.value, label) for p, label in PROCESS_LABELS.items()]
    )


class TransformForm(FlaskForm):
    # Not "process": that name is the form's own method.
    process_step = SelectField(_l("Processing step"), choices=process_choices, default="")
    quantity = quantity_field(_l("Quantity used from this lot"))
    unit = SelectField(_l("Unit"), choices=unit_choices, default=Unit.KG.value)
    others = FieldList(FormField(LotChoiceForm), max_entries=CHOICES_SHOWN)
    product_id = SelectField(_l("Product made"), coerce=int)
    out_quantity = quantity_field(_l("Quantity made"))
    out_unit = SelectField(_l("Unit"), choices=[], default="")
    lot_code = lot_code_field(_l("Lot code of the new lot"))
    grade = StringField(
        _l("Grade"), validators=[Optional(), Length(max=40, message=_l("At most 40 characters."))]
    )
    expiry = DateField(_l("Best before / expiry"), validators=[Optional(), within_calendar])
    at = date_field(_l("Date"))
    q = HiddenField()


# --------------------------------------------------------------------------- shared


def _operable(actor: Actor, batch_id: int, kind: str) -> Batch:
    """The lot, when ``operations`` allows the actor to make new lots from it: readers who
    may not write get 403, anyone else 404, and a lot whose state refuses it 409 saying
    why."""
    batch, _held = ops.operable_batch(actor, batch_id, Operation(kind))
    return batch


def _page(template: str, status: int, kind: str, batch: Batch, **context: Any) -> Any:
    return render(
        template,
        status,
        title=web.ACTION_LABELS[kind],
        hint=HINTS[kind],
        batch=batch,
        product=db.session.get(Product, batch.product_id),
        held=batch_svc.current_quantity(batch.id),
        action=url_for(web.OPERATION_ENDPOINTS[Operation(kind)], batch_id=batch.id),
        **context,
    )


def _quantity_or_none(text: str | None) -> Decimal | None:
    return parse_quantity(text) if (text or "").strip() else None


def _row_fields(prefix: str, row: str, names: Iterable[str]) -> dict[str, str]:
    """The service's ``{prefix}.{name}`` field errors onto the form row ``{row}.{name}``."""
    return {f"{prefix}.{name}": f"{row}.{name}" for name in names}


# --------------------------------------------------------------------------- split


def _filled_parts(form: SplitForm) -> list[int]:
    """Rows of the parts that were filled in (a blank row is ignored)."""
    return [
        n
        for n, entry in enumerate(form.parts)
        if (entry.form.quantity.data or "").strip() or (entry.form.lot_code.data or "").strip()
    ]


@bp.route("/<int:batch_id>/split", methods=["GET", "POST"])
@login_required
def split(batch_id: int) -> Response | tuple[str, int]:
    actor = current_actor()
    batch = _operable(actor, batch_id, "split")
    form = SplitForm()
    if request.method == "GET":
        for entry in form.parts:
            entry.form.unit.data = batch.unit.value
    rows = _filled_parts(form)
    fields = {"at": "at"}
    for n, row in enumerate(rows):
        fields.update(_row_fields(f"parts.{n}", f"parts.{row}", ("quantity", "unit", "lot_code")))

    def record() -> events.Recorded:
        parts = []
        for row in rows:
            part = form.parts[row].form
            parts.append({
                "quantity": parse_quantity(part.quantity.data),
                "unit": part.unit.data,
                "lot_code": (part.lot_code.data or "").strip() or None,
            })
        return events.record_split(actor, batch.id, parts=parts, at=moment_on(form.at.data))

    recorded, errors, status = submit_to_service(form, record, fields)
    if recorded is not None:
        lots = ", ".join(
            f"{lot.lot_code} ({fmt_qty(lot.quantity)} {UNIT_LABELS[lot.unit]})"
            for lot in recorded.created
        )
        flash(_("Split recorded. New lots: %(lots)s.", lots=lots), "success")
        return redirect(url_for("web_batches.show", batch_id=batch.id))
    folded = form.parts[SPLIT_ROWS_SHOWN:]
    return _page(
        "batches/split.html",
        status,
        "split",
        batch,
        form=form,
        errors=errors,
        shown=SPLIT_ROWS_SHOWN,
        open_more=any(
            (e.form.quantity.data or "").strip() or e.form.errors for e in folded
        ),
    )


# --------------------------------------------------------------------------- merge, processing


def _choosable(
    batch: Batch, kind: str, *, same_product: bool, search: str
) -> tuple[list[Batch], bool]:
    """The organisation's other lots that ``kind`` may take, newest first, at most
    ``CHOICES_SHOWN`` (and whether there are more), with their current kg loaded in the
    same query."""
    stmt = (
        select(Batch)
        .options(undefer(Batch.current_quantity_kg))
        .where(
            Batch.organisation_id == batch.organisation_id,
            ops.rule_clause(Operation(kind)),
            Batch.id != batch.id,
        )
    )
    if same_product:
        stmt = stmt.where(Batch.product_id == batch.product_id)
    if search:
        stmt = stmt.where(func.upper(Batch.lot_code).contains(search.upper(), autoescape=True))
    lots = list(
        db.session.scalars(
            stmt.order_by(Batch.created_at.desc(), Batch.id.desc()).limit(CHOICES_SHOWN + 1)
        )
    )
    return lots[:CHOICES_SHOWN], len(lots) > CHOICES_SHOWN


def _row_batch_id(entry: Any) -> int:
    """The lot of a row (0, which names none, for anything that is not a possible id)."""
    number = ascii_int(str(entry.form.batch_id.data or ""))
    return number if number and number <= MAX_INTEGER else 0


def _lot_choices(
    form: MergeForm | TransformForm, batch: Batch, kind: str, *, same_product: bool
) -> tuple[dict[int, Batch], bool]:
    """Fill the rows of other lots: on a GET from the organisation's lots in stock; on a
    POST the rows come back from the form, and their lots (the organisation's only) are
    looked up for the labels. Returns the lots by id and whether more than are shown exist."""
    more = False
    if request.method == "GET":
        typed = request.args.get("q") or ""
        form.q.data = "".join(ch for ch in typed if ch.isprintable()).strip()[:20]
        lots, more = _choosable(batch, kind, same_product=same_product, search=form.q.data)
        for lot in lots:
            form.others.append_entry({"batch_id": str(lot.id), "unit": lot.unit.value})
        form.unit.data = batch.unit.value
    else:
        ids = [_row_batch_id(entry) for entry in form.others]
        lots = list(
            db.session.scalars(
                select(Batch)
                .options(undefer(Batch.current_quantity_kg))
                .where(Batch.id.in_(ids), Batch.organisation_id == batch.organisation_id)
            )
        ) if ids else []
    by_id = {lot.id: lot for lot in lots}
    for entry in form.others:
        lot = by_id.get(_row_batch_id(entry))
        code = lot.lot_code if lot else "?"
        entry.form.quantity.label.text = _("Quantity from lot %(lot)s", lot=code)
    return by_id, more


def _with_lots(form: MergeForm | TransformForm, lots: dict[int, Batch]
               ) -> list[tuple[Any, Batch | None]]:
    """The rows of other lots with their lot, for the page."""
    return [(entry.form, lots.get(_row_batch_id(entry))) for entry in form.others]


def _chosen_inputs(
    form: MergeForm | TransformForm, batch: Batch
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The service's ``inputs`` (this lot first, then the ticked ones) and where each
    input's field errors go on the form."""
    inputs: list[dict[str, Any]] = [{
        "batch_id": batch.id,
        "quantity": _quantity_or_none(form.quantity.data),
        "unit": form.unit.data,
    }]
    fields = {"inputs.0.quantity": "quantity", "inputs.0.unit": "unit",
              "inputs.0.batch_id": "quantity"}
    for row, entry in enumerate(form.others):
        if not entry.form.chosen.data:
            continue
        n = len(inputs)
        inputs.append({
            "batch_id": _row_batch_id(entry),
            "quantity": _quantity_or_none(entry.form.quantity.data),
            "unit": entry.form.unit.data,
        })
        fields.update(_row_fields(f"inputs.{n}", f"others.{row}", ("quantity", "unit")))
        fields[f"inputs.{n}.batch_id"] = f"others.{row}.quantity"
    return inputs, fields


@bp.route("/<int:batch_id>/merge", methods=["GET", "POST"])
@login_required
def merge(batch_id: int) -> Response | tuple[str, int]:
    actor = current_actor()
    batch = _operable(actor, batch_id, "merge")
    form = MergeForm()
    lots, more = _lot_choices(form, batch, "merge", same_product=True)
    inputs, fields = _chosen_inputs(form, batch)
    fields.update(lot_code="lot_code", at="at")

    def record() -> events.Recorded:
        return events.record_merge(
            actor,
            inputs=inputs,
            at=moment_on(form.at.data),
            lot_code=(form.lot_code.data or "").strip() or None,
        )

    recorded, errors, status = submit_to_service(form, record, fields)
    if recorded is not None:
        flash(_("Merge recorded: new lot %(lot)s.", lot=recorded.batch.lot_code), "success")
        return redirect(url_for("web_batches.show", batch_id=recorded.batch.id))
    return _page(
        "batches/merge.html", status, "merge", batch,
        form=form, errors=errors, rows=_with_lots(form, lots), more=more, shown=CHOICES_SHOWN,
    )


def _products(batch: Batch, form: TransformForm) -> dict[int, str]:
    """The organisation's products to make, and their names."""
    products = db.session.scalars(
        select(Product)
        .where(Product.organisation_id == batch.organisation_id, Product.active.is_(True))
        .order_by(Product.name, Product.id)
    ).all()
    form.product_id.choices = select_choices(
        (p.id, f"{p.name} ({UNIT_LABELS[p.default_unit]})") for p in products
    )
    form.out_unit.choices = unit_choices(_l("Default"))
    return {p.id: p.name for p in products}


TRANSFORM_FIELDS = {
    "output.product_id": "product_id",
    "output.quantity": "out_quantity",
    "output.unit": "out_unit",
    "output.lot_code": "lot_code",
    "lot_code": "lot_code",
    "at": "at",
    "process": "process_step",
}


@bp.route("/<int:batch_id>/transform", methods=["GET", "POST"])
@login_required
def transform(batch_id: int) -> Response | tuple[str, int]:
    actor = current_actor()
    batch = _operable(actor, batch_id, "transformation")
    form = TransformForm()
    names = _products(batch, form)
    lots, more = _lot_choices(form, batch, "transformation", same_product=False)
    inputs, fields = _chosen_inputs(form, batch)
    fields.update(TRANSFORM_FIELDS)

    def record() -> events.Recorded:
        return events.record_transformation(
            actor,
            inputs=inputs,
            output={
                "product_id": form.product_id.data,
                "quantity": parse_quantity(form.out_quantity.data),
                "unit": form.out_unit.data or None,
                "lot_code": (form.lot_code.data or "").strip() or None,
                "grade": (form.grade.data or "").strip(),
                "expiry": form.expiry.data,
            },
            at=moment_on(form.at.data),
            process=form.process_step.data or None,
        )

    recorded, errors, status = submit_to_service(form, record, fields)
    if recorded is not None:
        flash(_("Processing recorded: new lot %(lot)s.", lot=recorded.batch.lot_code), "success")
        return redirect(url_for("web_batches.show", batch_id=recorded.batch.id))
    return _page(
        "batches/transform.html", status, "transformation", batch,
        form=form, errors=errors, rows=_with_lots(form, lots), more=more, shown=CHOICES_SHOWN,
        lot_products=names,
        open_others=any(e.form.chosen.data or e.form.errors for e in form.others),
        open_more=bool(form.lot_code.errors or form.grade.errors or form.expiry.errors
                       or form.lot_code.data or form.grade.data or form.expiry.data),
    )

