"""A lot's labels: its QR code to download (PNG, SVG) and A4 label sheets to print, with the
serial numbers recorded for serialised units.

- ``GET /batches/<id>/qr.png?size=…`` and ``/qr.svg?size=…``: the code of the lot's URI, at
  a size from ``qr.SIZES``. The identifier never changes, so the image is cached for a year
  (``immutable``) with an ETag; ``If-None-Match`` answers 304 without drawing anything.
  ``private``: the image is the lot's organisation's, so no shared cache may keep it.
- ``GET /batches/<id>/labels``: the page (a preview, downloads, the print form and the
  serial ranges); ``POST`` records a serial range (CSRF-protected) and comes back to the
  page ready to print those serials.
- ``GET /batches/<id>/labels.pdf?grid=…&count=…&kind=lot|serial&first_serial=…``: the sheet
  as a download. A GET: printing changes nothing. Bad input shows the page again with the
  message beside the field (422).

Who may: ``traceability.services.labels`` (the lot's organisation, platform admins).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, Form, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.auth.current import current_actor
from app.auth.limits import limit_label_sheets
from app.web.batch_display import page_helpers, render
from app.web.form_support import (
    apply_domain_error,
    select_choices,
    status_of,
    submit_to_service,
)
from core.boundary import ascii_int
from core.db import db
from core.errors import DomainError
from core.formatting import format_quantity
from core.i18n import _, _l, ngettext
from linkages.models.organisations import Organisation
from traceability.labels import qr, sheet
from traceability.models.batches import Batch
from traceability.models.products import Product
from traceability.models.serials import BatchSerial
from traceability.services import labels as label_svc
from traceability.services import serials as serial_svc

bp = Blueprint("web_labels", __name__, url_prefix="/batches")
bp.context_processor(page_helpers)

YEAR = 365 * 24 * 3600
QR_CACHE_CONTROL = f"private, max-age={YEAR}, immutable"


# --------------------------------------------------------------------------- QR images


def _qr(batch_id: int, fmt: str) -> Response:
    size_text = request.args.get("size")
    size = ascii_int(size_text)
    if size_text is not None and size is None:
        size = -1  # not a number: refused with the list of sizes
    image = label_svc.batch_qr(current_actor(), batch_id, fmt, size)
    if request.if_none_match.contains(image.etag):
        response = Response(status=304)
    else:
        response = Response(image.content, mimetype=image.media_type)
        response.headers["Content-Disposition"] = f'inline; filename="{image.filename}"'
    response.set_etag(image.etag)
    response.headers["Cache-Control"] = QR_CACHE_CONTROL
    return response


@bp.get("/<int:batch_id>/qr.png")
@login_required
def qr_png(batch_id: int) -> Response:
    return _qr(batch_id, "png")


@bp.get("/<int:batch_id>/qr.svg")
@login_required
def qr_svg(batch_id: int) -> Response:
    return _qr(batch_id, "svg")


# --------------------------------------------------------------------------- forms


class WholeNumber:
    """ASCII digits from ``low`` to ``high`` (``core.boundary.ascii_int``)."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def __call__(self, form: Form, field: Field) -> None:
        number = ascii_int((field.data or "").strip())
        if number is None or not self.low <= number <= self.high:
            raise ValidationError(_l(
                "Enter a whole number from %(low)s to %(high)s.",
                low=format_quantity(self.low), high=format_quantity(self.high),
            ))


def _number(field: Field) -> int:
    return int((field.data or "").strip())


def number_field(label: Any, missing: Any, low: int, high: int, **options: Any) -> StringField:
    """A whole number typed on a phone keypad, from ``low`` to ``high``."""
    return StringField(
        label, validators=[DataRequired(message=missing), WholeNumber(low, high)],
        render_kw={"inputmode": "numeric"}, **options,
    )


def _grid_label(grid: sheet.Grid) -> str:
    return _(
        "%(count)d labels of %(width)s × %(height)s mm (%(stock)s)",
        count=grid.per_page, width=format_quantity(grid.width),
        height=format_quantity(grid.height), stock=grid.stock,
    )


class PrintForm(Form):
    """The sheet to print: sent with GET (it writes nothing), so no CSRF token."""

    # The service checks the grid and the kind, with messages of its own.
    grid = SelectField(_l("Label sheet (A4)"), default=sheet.DEFAULT_GRID, validate_choice=False)
    kind = RadioField(
        _l("Labels"),
        choices=select_choices([
            (label_svc.LabelKind.LOT.value, _l("Lot labels: the lot's code on each")),
            (label_svc.LabelKind.SERIAL.value, _l("Serial labels: one per recorded serial number")),
        ]),
        default=label_svc.LabelKind.LOT.value,
        validate_choice=False,
    )
    count = number_field(_l("Number of labels"), _l("Enter the number of labels."),
                         1, label_svc.MAX_SHEET_LABELS)
    first_serial = StringField(
        _l("From serial number"),
        validators=[Optional(), Length(max=20, message=_l("At most 20 characters."))],
        description=_l("Serial labels only; empty: from the first recorded."),
    )


class SerialRangeForm(FlaskForm):
    """A range of serials to record. Its fields' ids start with ``range_``: the print form
    on the same page has a ``count`` too."""

    prefix = StringField(
        _l("Prefix"), id="range_prefix",
        validators=[Optional(), Length(max=19, message=_l("At most 19 characters."))],
        description=_l("Letters, digits, '-', '.' or '_' before the number, e.g. CF26-."),
    )
    first = number_field(_l("First number"), _l("Enter the first number."),
                         0, serial_svc.MAX_FIRST, default="1", id="range_first")
    count = number_field(_l("How many serial numbers"), _l("Enter how many serial numbers."),
                         1, serial_svc.MAX_SERIALS_PER_RANGE, id="range_count")
    width = number_field(
        _l("Digits"), _l("Enter the number of digits."), 1, serial_svc.MAX_SERIAL_LENGTH,
        default=str(serial_svc.DEFAULT_WIDTH), id="range_width",
        description=_l("The number is padded with zeros to this many digits: 000001."),
    )


SERIAL_FIELDS = {"prefix": "prefix", "first": "first", "count": "count", "width": "width"}
PRINT_FIELDS = {"grid": "grid", "count": "count", "kind": "kind",
                "first_serial": "first_serial"}


def _print_form(data: MultiDict[str, str] | None = None) -> PrintForm:
    form = PrintForm(data)
    form.grid.choices = select_choices(
        (key, _grid_label(grid)) for key, grid in sheet.GRIDS.items()
    )
    if not data:  # a first look: a page of lot labels
        form.count.data = str(sheet.GRIDS[sheet.DEFAULT_GRID].per_page)
    return form


def _page(
    batch: Batch, print_form: PrintForm, serial_form: SerialRangeForm, status: int = 200,
    errors: list[str] | None = None, print_errors: list[str] | None = None,
) -> tuple[str, int]:
    actor = current_actor()
    return render(
        "labels/labels.html",
        status,
        batch=batch,
        product=db.session.get(Product, batch.product_id),
        organisation=db.session.get(Organisation, batch.organisation_id),
        print_form=print_form,
        serial_form=serial_form,
        errors=errors or [],
        print_errors=print_errors or [],
        serials=label_svc.serial_overview(actor, batch.id),
        sizes=qr.SIZES,
        max_range=serial_svc.MAX_SERIALS_PER_RANGE,
    )


# --------------------------------------------------------------------------- the page


@bp.route("/<int:batch_id>/labels", methods=["GET", "POST"])
@login_required
def labels(batch_id: int) -> Response | tuple[str, int]:
    actor = current_actor()
    # The page is a form that writes: 403 to those who may read the lot but not label it.
    batch = label_svc.labelling_batch(actor, batch_id, refuse_void=request.method == "POST")
    form = SerialRangeForm()

    def record() -> list[BatchSerial]:
        return serial_svc.record_serial_range(
            actor, batch.id, first=_number(form.first), count=_number(form.count),
            prefix=(form.prefix.data or "").strip(), width=_number(form.width),
        )

    recorded, errors, status = submit_to_service(form, record, SERIAL_FIELDS, "first")
    if recorded:
        flash(ngettext("%(count)s serial number recorded: %(first)s to %(last)s.",
                       "%(count)s serial numbers recorded: %(first)s to %(last)s.",
                       len(recorded), count=format_quantity(len(recorded)),
                       first=recorded[0].serial, last=recorded[-1].serial), "success")
        return redirect(url_for(
            "web_labels.labels", batch_id=batch.id, kind="serial",
            first_serial=recorded[0].serial,
            count=min(len(recorded), label_svc.MAX_SHEET_LABELS), _anchor="print",
        ))
    print_form = _print_form(request.args if request.method == "GET" else None)
    return _page(batch, print_form, form, status, errors)


@bp.get("/<int:batch_id>/labels.pdf")
@login_required
@limit_label_sheets
def sheet_pdf(batch_id: int) -> Response | tuple[str, int]:
    actor = current_actor()
    batch = label_svc.labelled_batch(actor, batch_id)
    form = _print_form(request.args)
    status, loose = 422, []
    if not request.args or form.validate():
        try:
            made = label_svc.label_sheet(
                actor, batch.id,
                grid=form.grid.data or sheet.DEFAULT_GRID,
                count=_number(form.count),
                kind=form.kind.data or label_svc.LabelKind.LOT.value,
                first_serial=(form.first_serial.data or "").strip() or None,
            )
        except DomainError as error:
            loose = apply_domain_error(form, error, PRINT_FIELDS, "count")
            status = status_of(error)
        else:
            response = Response(made.pdf, mimetype="application/pdf")
            response.headers["Content-Disposition"] = f'attachment; filename="{made.filename}"'
            response.headers["Cache-Control"] = "private, no-store"
            return response
    return _page(batch, form, SerialRangeForm(formdata=None), status, print_errors=loose)
