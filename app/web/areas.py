"""Production areas on a phone: the list with each area's pre-harvest-interval status, the
area page (place, households, outline, status, diary), the area form (create, edit) and
the diary form.

Every page works without JavaScript: the commune list follows a province chosen with a
second submit button of the same form, so nothing typed is lost. A GeoJSON geometry is
pasted or uploaded (a Feature or a one-feature collection is unwrapped) and drawn as an
inline SVG outline. Permissions and rules are the services' (``traceability.services.areas``,
``diary``); bad input comes back beside its field with 422 (409 on a duplicate code), and
nothing is written.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from app.auth.current import current_actor
from app.web.batch_display import page_helpers, render
from app.web.form_support import (
    date_field,
    page_number,
    parse_quantity,
    plain_qty,
    quantity_field,
    select_choices,
    submit_to_service,
)
from app.web.place_picker import (
    PlaceForm,
    asked_for_communes,
    chosen_commune,
    fill_place_choices,
)
from core.boundary import ascii_int, load_json
from core.errors import MalformedInput, ValidationFailed
from core.i18n import _, _l
from traceability.models.areas import AreaKind, DiaryEntry, DiaryKind, ProductionArea
from traceability.services import area_pages, areas, diary

bp = Blueprint("web_areas", __name__)
bp.context_processor(page_helpers)
AREAS_PER_PAGE = 20
DIARY_PER_PAGE = 20
GEOJSON_MAX_BYTES = 512 * 1024  # a field boundary of MAX_POSITIONS points fits easily

KIND_LABELS: dict[AreaKind, Any] = {
    AreaKind.PLOT: _l("Plot, field"),
    AreaKind.ZONE: _l("Growing zone"),
    AreaKind.POND: _l("Pond"),
    AreaKind.BARN: _l("Barn"),
    AreaKind.APIARY: _l("Apiary"),
    AreaKind.FOREST_LOT: _l("Forest lot"),
}
DIARY_LABELS: dict[DiaryKind, Any] = {
    DiaryKind.PESTICIDE: _l("Pesticide application"),
    DiaryKind.FERTILISER: _l("Fertiliser application"),
    DiaryKind.PLANTING: _l("Planting"),
    DiaryKind.FEEDING: _l("Feeding"),
    DiaryKind.VACCINATION: _l("Vaccination"),
    DiaryKind.IRRIGATION: _l("Irrigation"),
    DiaryKind.OTHER: _l("Other work"),
}


def _text(limit: int, label: Any, description: Any = None) -> StringField:
    return StringField(
        label,
        validators=[
            Optional(), Length(max=limit, message=_l("At most %(n)d characters.", n=limit))
        ],
        description=description,
    )


# --------------------------------------------------------------------------- forms


class AreaForm(PlaceForm):
    code = StringField(
        _l("Area code"),
        validators=[Length(max=40, message=_l("At most 40 characters."))],
        description=_l("Your cooperative's own code, e.g. LO1."),
    )
    name = _text(200, _l("Name"))
    kind = SelectField(_l("Kind of area"), choices=[])
    area_ha = quantity_field(_l("Area (ha)"), required=False, allow_zero=True)
    crop = _text(100, _l("Crop or animal"))
    variety = _text(100, _l("Variety"))
    planting_area_code = _text(
        40,
        _l("Planting-area code"),
        _l("For export: the code issued by the plant protection authority, if any."),
    )
    gln = StringField(
        _l("GLN"),
        description=_l("13 digits, when the area has a GS1 location number."),
        render_kw={"inputmode": "numeric"},
    )
    household_ids = SelectMultipleField(
        _l("Member households farming it"), coerce=int, choices=[], validate_choice=False
    )
    geometry = TextAreaField(
        _l("Boundary (GeoJSON)"),
        description=_l("Paste a GeoJSON Polygon or MultiPolygon (longitude, latitude), "
                       "or upload a file below. Leave empty for none."),
        render_kw={"rows": 4, "spellcheck": "false"},
    )
    geometry_file = FileField(_l("…or upload a GeoJSON file"))
    active = BooleanField(_l("In use"), default=True)


class DiaryForm(FlaskForm):
    kind = SelectField(_l("What was done"), choices=[])
    occurred_on = date_field(_l("Date"))
    input_name = _text(200, _l("Product applied or given"),
                       _l("Trade name of the pesticide, fertiliser, feed or vaccine."))
    active_ingredient = _text(200, _l("Active ingredient"), _l("Required for a pesticide."))
    phi_days = StringField(
        _l("Pre-harvest interval (days)"),
        description=_l("From the pesticide's label; 0 if none."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    dose = quantity_field(_l("Dose"), required=False, allow_zero=True)
    dose_unit = _text(20, _l("Dose unit"), _l("e.g. ml/bình, kg/ha"))
    operator = _text(200, _l("Done by"))
    notes = TextAreaField(
        _l("Notes"),
        validators=[Optional(), Length(max=5000, message=_l("At most 5000 characters."))],
        render_kw={"rows": 3},
    )


# --------------------------------------------------------------------------- parsing


def geometry_of(text: str, field: str) -> Any:
    """The geometry in a pasted or uploaded GeoJSON text (None when empty): a geometry
    object as it is, the geometry of a Feature or of a collection of one Feature. Whether
    it is an acceptable geometry is the service's to say (``areas.geometry_problems``);
    unreadable JSON is refused here, beside ``field``."""
    if not text.strip():
        return None
    try:
        document = load_json(text, location=field)
    except MalformedInput as refused:
        if field not in refused.field_errors:  # nested too deep: its own message
            raise
        raise ValidationFailed(field_errors={field: [_l("This is not valid JSON.")]}) from None
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise ValidationFailed(field_errors={
                field: [_l("Give one area: a collection of exactly one Feature.")]})
        document = features[0]
    if isinstance(document, dict) and document.get("type") == "Feature":
        return document.get("geometry")
    return document


def _uploaded_text(upload: Any) -> str | None:
    """The uploaded file's text, None when no file was chosen."""
    if not isinstance(upload, FileStorage) or not upload.filename:
        return None
    data = upload.read(GEOJSON_MAX_BYTES + 1)
    if len(data) > GEOJSON_MAX_BYTES:
        raise ValidationFailed(field_errors={"geometry_file": [
            _l("The file is too large (at most %(kb)d KB).", kb=GEOJSON_MAX_BYTES // 1024)]})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            field_errors={"geometry_file": [_l("The file is not UTF-8 text.")]}
        ) from None


def _area_data(form: AreaForm) -> dict[str, Any]:
    """The service's fields from the form (ValidationFailed on unreadable GeoJSON)."""
    uploaded = _uploaded_text(form.geometry_file.data)
    if uploaded is not None:
        geometry = geometry_of(uploaded, "geometry_file")
        # Shown in the text box if the form comes back for another field: a browser does
        # not keep a chosen file, and the text saves the same geometry next time.
        form.geometry.data = uploaded
    else:
        geometry = geometry_of(form.geometry.data or "", "geometry")
    return {
        "code": form.code.data or "",
        "name": form.name.data or "",
        "kind": form.kind.data,
        "commune_code": chosen_commune(form),
        "area_ha": parse_quantity(form.area_ha.data),
        "crop": form.crop.data or "",
        "variety": form.variety.data or "",
        "planting_area_code": form.planting_area_code.data or "",
        "gln": form.gln.data or None,
        "geometry": geometry,
        "household_ids": list(form.household_ids.data or []),
        "active": bool(form.active.data),
    }


AREA_FIELDS = {name: name for name in areas.EDITABLE_FIELDS} | {
    "geometry_file": "geometry_file",
    "province_code": "commune_code",
    "organisation_id": "code",
}


def _fill_choices(form: AreaForm, choices: area_pages.AreaChoices) -> None:
    form.kind.choices = select_choices((k.value, label) for k, label in KIND_LABELS.items())
    fill_place_choices(form, choices.places)
    form.household_ids.choices = select_choices(choices.households)


def _fill_from(form: AreaForm, area: ProductionArea) -> None:
    form.code.data = area.code
    form.name.data = area.name
    form.kind.data = area.kind.value
    form.commune_code.data = area.commune_code or ""
    form.area_ha.data = plain_qty(area.area_ha) if area.area_ha is not None else ""
    form.crop.data = area.crop
    form.variety.data = area.variety
    form.planting_area_code.data = area.planting_area_code
    form.gln.data = area.gln or ""
    form.household_ids.data = area.household_ids
    form.geometry.data = json.dumps(area.geometry, ensure_ascii=False) if area.geometry else ""
    form.active.data = area.active


def _area_form_page(area_id: int | None) -> Response | tuple[str, int]:
    actor = current_actor()
    form = AreaForm()
    choices = area_pages.form_choices(actor, area_id, request.values.get("province"))
    _fill_choices(form, choices)
    if request.method == "GET" and choices.area is not None:
        _fill_from(form, choices.area)
    if asked_for_communes(form):
        return render("areas/form.html", form=form, area_id=area_id, errors=[])

    def record() -> ProductionArea:
        data = _area_data(form)
        if area_id is None:
            return areas.create_area(actor, None, **data)
        return areas.update_area(actor, area_id, **data)

    area, errors, status = submit_to_service(form, record, AREA_FIELDS, "code")
    if area is not None:
        flash(_("Area %(code)s saved.", code=area.code), "success")
        return redirect(url_for("web_areas.show", area_id=area.id))
    return render("areas/form.html", status, form=form, area_id=area_id, errors=errors)


# --------------------------------------------------------------------------- pages


@bp.get("/areas")
@login_required
def index() -> tuple[str, int]:
    listed = area_pages.list_page(current_actor(), page_number(), AREAS_PER_PAGE)
    return render("areas/index.html", listed=listed, kind_labels=KIND_LABELS)


@bp.route("/areas/new", methods=["GET", "POST"])
@login_required
def new() -> Response | tuple[str, int]:
    return _area_form_page(None)


@bp.get("/areas/<int:area_id>")
@login_required
def show(area_id: int) -> tuple[str, int]:
    page = area_pages.overview(current_actor(), area_id, page_number(), DIARY_PER_PAGE)
    return render(
        "areas/show.html",
        page=page,
        area=page.area,
        kind_labels=KIND_LABELS,
        diary_labels=DIARY_LABELS,
    )


@bp.route("/areas/<int:area_id>/edit", methods=["GET", "POST"])
@login_required
def edit(area_id: int) -> Response | tuple[str, int]:
    return _area_form_page(area_id)


DIARY_FIELDS = {name: name for name in diary.EDITABLE_FIELDS}


def _diary_data(form: DiaryForm) -> dict[str, Any]:
    phi_text = (form.phi_days.data or "").strip()
    # Not a whole number: handed over as typed, for the service to refuse beside the field.
    number = ascii_int(phi_text)
    phi_days = number if number is not None else (phi_text or None)
    return {
        "kind": form.kind.data,
        "occurred_on": form.occurred_on.data,
        "input_name": form.input_name.data or "",
        "active_ingredient": form.active_ingredient.data or "",
        "phi_days": phi_days,
        "dose": parse_quantity(form.dose.data),
        "dose_unit": form.dose_unit.data or "",
        "operator": form.operator.data or "",
        "notes": form.notes.data or "",
    }


def _fill_diary_from(form: DiaryForm, entry: DiaryEntry) -> None:
    form.kind.data = entry.kind.value
    form.occurred_on.data = entry.occurred_on
    form.input_name.data = entry.input_name
    form.active_ingredient.data = entry.active_ingredient
    form.phi_days.data = "" if entry.phi_days is None else str(entry.phi_days)
    form.dose.data = "" if entry.dose is None else plain_qty(entry.dose)
    form.dose_unit.data = entry.dose_unit
    form.operator.data = entry.operator
    form.notes.data = entry.notes


def _diary_form_page(area_id: int, entry_id: int | None) -> Response | tuple[str, int]:
    """Record a diary entry, or fix one on the day it was recorded (the service says
    whether it still may be: 409 once the day has passed, 403 to others than its author
    and the admins, shown above the form)."""
    actor = current_actor()
    area = areas.writable_area(actor, area_id)
    entry = None if entry_id is None else diary.get_entry(actor, area.id, entry_id)
    form = DiaryForm()
    form.kind.choices = select_choices((k.value, label) for k, label in DIARY_LABELS.items())
    if request.method == "GET" and entry is not None:
        _fill_diary_from(form, entry)

    def record() -> DiaryEntry:
        if entry is None:
            return diary.add_entry(actor, area.id, **_diary_data(form))
        return diary.correct_entry(actor, area.id, entry.id, **_diary_data(form))

    saved, errors, status = submit_to_service(form, record, DIARY_FIELDS, "notes")
    if saved is not None:
        flash(_("Diary entry corrected.") if entry else _("Diary entry recorded."), "success")
        return redirect(url_for("web_areas.show", area_id=area_id))
    return render("areas/diary_form.html", status, form=form, area=area, entry=entry,
                  errors=errors)


@bp.route("/areas/<int:area_id>/diary/new", methods=["GET", "POST"])
@login_required
def diary_new(area_id: int) -> Response | tuple[str, int]:
    return _diary_form_page(area_id, None)


@bp.route("/areas/<int:area_id>/diary/<int:entry_id>/correct", methods=["GET", "POST"])
@login_required
def diary_correct(area_id: int, entry_id: int) -> Response | tuple[str, int]:
    return _diary_form_page(area_id, entry_id)
