"""The actor of the current request.

The HTML UI authenticates with the session (Flask-Login) and acts for the organisation
picked in the switcher (``session["org_id"]``); the API authenticates only with a bearer
token, so it needs no CSRF protection and a stolen cookie cannot drive it.
"""

from __future__ import annotations

from flask import request, session
from flask_login import current_user

from app.auth.models import User
from app.auth.services import (
    actor_for,
    record_token_use,
    token_holder,
    token_use_due,
    user_for_session,
)
from app.extensions import is_api_request, login_manager
from core.actor import ANONYMOUS, Actor
from core.db import db

ORG_SESSION_KEY = "org_id"
ORG_HEADER = "HTX-Organisation"
_ENVIRON_KEY = "htx.actor"  # registration code, for tokens of multi-org users
_TOKEN_USE_KEY = "htx.token_use"  # id of a token whose last_used_at is due


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return user_for_session(session_id)


def bearer_token() -> str | None:
    """The secret of the request's ``Authorization: Bearer …`` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def default_organisation_id(user: User, wanted: int | None) -> int | None:
    ids = [m.organisation_id for m in user.memberships]
    if wanted in ids:
        return wanted
    return ids[0] if ids else None


def _token_actor() -> Actor:
    plaintext = bearer_token()
    if not plaintext:
        return ANONYMOUS
    holder = token_holder(plaintext)
    if holder is None:
        return ANONYMOUS
    if token_use_due(holder.last_used_at):
        request.environ[_TOKEN_USE_KEY] = holder.token_id
    wanted = holder.token_organisation_id
    if wanted is None and request.headers.get(ORG_HEADER):
        from linkages.models.organisations import Organisation

        code = request.headers[ORG_HEADER].strip()
        wanted = db.session.query(Organisation.id).filter_by(registration_code=code).scalar()
    if wanted is None and len(holder.memberships) == 1:
        wanted = next(iter(holder.memberships))
    return holder.actor(wanted)


def _session_actor() -> Actor:
    if not current_user.is_authenticated:
        return ANONYMOUS
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    org_id = default_organisation_id(user, session.get(ORG_SESSION_KEY))
    if org_id is not None and session.get(ORG_SESSION_KEY) != org_id:
        session[ORG_SESSION_KEY] = org_id  # only on change: no Set-Cookie on every page
    return actor_for(user, org_id)


def save_token_use(_error: BaseException | None = None) -> None:
    """Stamp the token's ``last_used_at`` once the request is over (a ``teardown_request``
    hook: after the view, its commit and any streamed body), in a short transaction of its
    own that may fail without failing the request (see ``record_token_use``)."""
    token_id = request.environ.pop(_TOKEN_USE_KEY, None)
    if token_id is None:
        return
    # Whatever the request left uncommitted is discarded at teardown anyway; ending it now
    # means the stamp never upgrades the request's read transaction to a write.
    db.session.rollback()
    record_token_use(token_id)


def current_actor() -> Actor:
    """The actor of this request, worked out once (kept in the WSGI environ, which lives
    exactly as long as the request, unlike ``g`` when an app context is already pushed)."""
    actor = request.environ.get(_ENVIRON_KEY)
    if actor is None:
        actor = _token_actor() if is_api_request() else _session_actor()
        request.environ[_ENVIRON_KEY] = actor
    return actor
