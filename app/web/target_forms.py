"""The forms of the indicator targets' pages (issue 12 §2) and the words they show: what
each metric, qualifier and unit is called, and a target's value as the reader writes it.

The forms check only that the value is a number people can type unambiguously; what a
valid target is (a known metric and scope, a year in range, a share at most 100 %, a whole
count, one target per metric, scope and year) is ``linkages.indicator.targets``'s to say,
beside the field it names.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import format_percent
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from app.web.form_support import parse_quantity, plain_qty, select_choices
from core.boundary import ascii_int
from core.formatting import format_quantity
from core.i18n import _, _l
from linkages.indicator.targets import EDITABLE
from linkages.models.targets import (
    METRIC_UNITS,
    IndicatorTarget,
    TargetMetric,
    TargetQualifier,
    TargetUnit,
)
from linkages.schemas.targets import VALUE_MAX

METRIC_LABELS: dict[TargetMetric, Any] = {
    TargetMetric.LINKED_SHARE: _l("Agricultural cooperatives linked along value chains"),
    TargetMetric.HIGH_TECH_HTX: _l("Cooperatives applying high technology"),
    TargetMetric.HTX_COUNT: _l("Cooperatives (HTX)"),
    TargetMetric.THT_COUNT: _l("Cooperative groups (THT)"),
    TargetMetric.LHHTX_COUNT: _l("Unions of cooperatives (LHHTX)"),
    TargetMetric.MEMBERS: _l("Members of cooperatives"),
    TargetMetric.EFFECTIVE_SHARE: _l("Cooperatives operating effectively (rated good or fair)"),
}
UNIT_LABELS: dict[TargetUnit, Any] = {
    TargetUnit.SHARE: _l("percent"),
    TargetUnit.COUNT: _l("count"),
}
QUALIFIER_LABELS: dict[TargetQualifier, Any] = {
    TargetQualifier.EXACT: _l("Exactly"),
    TargetQualifier.ABOUT: _l("About"),
    TargetQualifier.MORE_THAN: _l("More than"),
}
# The service's names of a target's fields are the form's.
TARGET_FIELDS = {name: name for name in EDITABLE}


def metric_label(metric: TargetMetric | str) -> Any:
    try:
        return METRIC_LABELS[TargetMetric(metric)]
    except ValueError:
        return metric


def metric_choices(blank: Any = None) -> list[SelectChoice]:
    """The metrics, each with its unit ("… (percent)"), after a ``blank`` choice if given."""
    choices: list[tuple[str, Any]] = [("", blank)] if blank is not None else []
    return select_choices(choices + [
        (m.value, _l("%(metric)s (%(unit)s)", metric=label,
                     unit=UNIT_LABELS[METRIC_UNITS[m]]))
        for m, label in METRIC_LABELS.items()
    ])


def target_value(target: IndicatorTarget) -> str:
    """The value as the source states it, in the reader's number format: "khoảng 50 %",
    "trên 5.000"."""
    if target.unit == TargetUnit.SHARE:
        # Percent points to a ratio without the float's rounding (33.33 stays 33,33 %).
        number = str(format_percent(Decimal(str(target.value)) / 100, "#,##0.####%"))
    else:
        number = format_quantity(target.value)
    if target.qualifier == TargetQualifier.ABOUT:
        return _("about %(value)s", value=number)
    if target.qualifier == TargetQualifier.MORE_THAN:
        return _("more than %(value)s", value=number)
    return number


def _typed_number(form: FlaskForm, field: Field) -> None:
    """A value people can read one way only (``12,5`` or ``12.5``; ``1.250`` is refused as
    ambiguous). Empty, negative or out of the metric's range is the service's to say."""
    text = (field.data or "").strip()
    if not text:
        return
    number = parse_quantity(text)
    if number is None and "." in text:
        raise ValidationError(
            _l("Write the number without a thousands separator, e.g. 1250 or 12,5.")
        )
    if number is None:
        raise ValidationError(_l("Enter a number, e.g. 120 or 12,5."))
    if number > VALUE_MAX:
        raise ValidationError(_l("This number is too large."))


class TargetForm(FlaskForm):
    """A target as its source document states it. The choices are the service's to judge
    (``validate_choice=False``): a value posted by hand is refused by it, beside the field."""

    metric = SelectField(_l("Metric"), choices=metric_choices(), validate_choice=False)
    scope = SelectField(
        _l("Scope"), choices=[], validate_choice=False,
        description=_l("The whole country, or one province."),
    )
    year = StringField(
        _l("Year"), description=_l("The year the target is for, e.g. 2030."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    qualifier = SelectField(
        _l("As the source states it"),
        choices=select_choices((q.value, label) for q, label in QUALIFIER_LABELS.items()),
        default=TargetQualifier.EXACT.value, validate_choice=False,
    )
    value = StringField(
        _l("Value"), validators=[_typed_number],
        description=_l("A share in percent, from 0 to 100 (e.g. 35 or 12,5); a count as "
                       "a whole number (e.g. 5000)."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    source = StringField(
        _l("Source document"),
        description=_l("The document the target comes from, e.g. Quyết định 340/QĐ-TTg."),
    )
    verified = BooleanField(_l("Checked against the source document"))
    note = TextAreaField(_l("Note"))


class DeleteTargetForm(FlaskForm):
    """Deleting a target: the button alone (and the CSRF token)."""


def target_data(form: TargetForm) -> dict[str, Any]:
    """The posted target as the service takes it. A year or value that is no number is
    passed as None, so that the service names the field."""
    number = parse_quantity(form.value.data)
    return {
        "metric": form.metric.data or "",
        "scope": form.scope.data or "",
        "year": ascii_int((form.year.data or "").strip()),
        "value": float(number) if number is not None else None,
        "qualifier": form.qualifier.data or "",
        "source": form.source.data or "",
        "verified": bool(form.verified.data),
        "note": form.note.data or "",
    }


def fill(form: TargetForm, target: IndicatorTarget) -> None:
    """The edit form, filled in with the target as it stands."""
    form.metric.data = target.metric.value
    form.scope.data = target.scope
    form.year.data = str(target.year)
    form.qualifier.data = target.qualifier.value
    form.value.data = plain_qty(target.value)
    form.source.data = target.source
    form.verified.data = target.verified
    form.note.data = target.note


__all__ = [
    "METRIC_LABELS",
    "QUALIFIER_LABELS",
    "TARGET_FIELDS",
    "UNIT_LABELS",
    "DeleteTargetForm",
    "TargetForm",
    "fill",
    "metric_choices",
    "metric_label",
    "target_data",
    "target_value",
]
