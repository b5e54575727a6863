"""The signed-in user's own account page: personal API tokens (create, list, revoke).

A new token's secret is rendered once in the response to the form that created it (never
stored, never shown again, and the page is marked ``no-store`` so no cache keeps it).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.auth import services as accounts
from app.auth.current import current_actor
from app.web.form_support import page_number, select_choices
from core.db import db
from core.errors import DomainError
from core.i18n import _, _l
from linkages.models.organisations import Organisation

bp = Blueprint("web_account", __name__, url_prefix="/account")
TOKENS_PER_PAGE = 20


class TokenForm(FlaskForm):
    name = StringField(
        _l("What is it for?"),
        validators=[
            DataRequired(message=_l("Give the token a name, e.g. the device or script.")),
            Length(max=100, message=_l("At most 100 characters.")),
        ],
    )
    organisation_id = SelectField(_l("Acts for"), coerce=int)


class RevokeForm(FlaskForm):
    """Only the CSRF token: revoking is a POST like every change."""


def _organisation_choices() -> list[SelectChoice]:
    user = accounts.get_user(current_actor())
    ids = [m.organisation_id for m in user.memberships]
    rows = db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    )
    names = dict(rows.all())
    return select_choices(
        [(0, _("My only organisation, or none"))] + [(i, names[i]) for i in ids if i in names]
    )


def _page(form: TokenForm, new_token: str | None = None, status: int = 200) -> Response:
    page = page_number()
    tokens = db.paginate(
        accounts.tokens_of(current_actor()), page=page, per_page=TOKENS_PER_PAGE, error_out=False
    )
    html = render_template(
        "account/tokens.html",
        form=form,
        revoke_form=RevokeForm(),
        tokens=tokens,
        new_token=new_token,
    )
    response = make_response(html, status)
    if new_token:
        response.headers["Cache-Control"] = "no-store"
    return response


def _form(*, blank: bool = False) -> TokenForm:
    form = TokenForm(formdata=None) if blank else TokenForm()
    form.organisation_id.choices = _organisation_choices()
    return form


@bp.get("/tokens")
@login_required
def tokens() -> Response:
    return _page(_form())


@bp.post("/tokens")
@login_required
def create_token() -> Response:
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=422)
    user = accounts.get_user(current_actor())
    try:
        issued = accounts.create_token(user, form.name.data, form.organisation_id.data or None)
    except DomainError as error:
        db.session.rollback()
        for field, messages in error.field_errors.items():
            target = form.organisation_id if field == "organisation" else form.name
            target.errors = [*target.errors, *messages]
        return _page(form, status=422)
    db.session.commit()
    return _page(_form(blank=True), issued.plaintext)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    if not RevokeForm().validate_on_submit():
        abort(400)
    token = accounts.revoke_token(current_actor(), token_id)
    db.session.commit()
    flash(_("Token “%(name)s” revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("web_account.tokens"))
