"""The province → commune picker of the forms that record where something is (a production
area, a member's household), without JavaScript: the commune list follows a province
chosen with a second submit button of the same form, so nothing typed is lost.

A form inherits ``PlaceForm``; its view fills the choices from
``linkages.services.places.place_choices`` and, when ``asked_for_communes(form)``, shows the
form again without saving. The template renders ``place_pick(form)`` from
``_place_pick.html``.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField

from app.web.form_support import select_choices
from core.i18n import _l
from linkages.services.places import PlaceChoices


class PlaceForm(FlaskForm):
    # Choices are filled per request; the service says whether a commune code exists.
    province = SelectField(_l("Province"), choices=[], validate_choice=False)
    show_communes = SubmitField(_l("Show its communes"))
    commune_code = SelectField(_l("Commune"), choices=[], validate_choice=False)


def fill_place_choices(form: PlaceForm, choices: PlaceChoices) -> None:
    form.province.choices = select_choices(choices.provinces)
    form.province.data = choices.province_code
    form.commune_code.choices = select_choices([("", _l("Not recorded")), *choices.communes])


def asked_for_communes(form: PlaceForm) -> bool:
    """Only another province's communes were asked for: show the form, save nothing."""
    return bool(form.show_communes.data)


def chosen_commune(form: PlaceForm) -> str | None:
    return form.commune_code.data or None


__all__ = ["PlaceForm", "asked_for_communes", "chosen_commune", "fill_place_choices"]
