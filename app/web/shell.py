"""The UI shell: the start page of each role, the organisation switcher, the language
switch, and what every page's header needs to know (the user, their organisations, the
menu, the language).

The home page dispatches by role: a cooperative's people see the lots needing action and
expiring certificates, an enterprise's the shipments to receive, an authority the registry
of organisations in its scope, a platform admin the organisations and users. The lists are
services' answers (``traceability.services.worklists``/``shipments``,
``linkages.services.registry``, ``app.auth.services.list_users``); this module only renders.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from app.auth.current import ORG_SESSION_KEY, current_actor
from app.auth.services import list_users
from app.web.auth import current_path, safe_next_url
from app.web.batch_display import page_helpers
from app.web.form_support import page_number
from app.web.menu import menu_for
from app.web.organisations import label as registry_label
from core.actor import Actor
from core.boundary import ascii_int
from core.db import db
from core.errors import NotFound
from core.i18n import _
from linkages.models.organisations import COOPERATIVE_TYPES, Organisation, OrgStatus, OrgType
from linkages.services import certifications as certification_svc
from linkages.services import linkage_worklists as worklists
from linkages.services import registry
from linkages.services.party_lookup import organisations_by_ids
from traceability.services.shipments import incoming_shipments
from traceability.services.worklists import batches_needing_action, count_needing_action

log = logging.getLogger(__name__)
bp = Blueprint("web_shell", __name__)
bp.context_processor(page_helpers)
PER_PAGE = 20
START_LIST_SIZE = 10  # rows of each list on a start page; the full lists are paginated
EXPIRY_WINDOW_DAYS = certification_svc.EXPIRY_WARNING_DAYS

# Each language names itself, so that someone who cannot read the current one finds theirs.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def _back() -> Response:
    """Redirect to the form's ``next`` (same site only), else home."""
    return redirect(safe_next_url(request.form.get("next")) or "/")


def _user_organisations() -> list[Organisation]:
    ids = [m.organisation_id for m in current_user.memberships]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)
        )
    )


@bp.app_template_global("get_locale")
def _template_locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


@bp.app_context_processor
def shell_context() -> dict[str, Any]:
    """The header's data: the user's organisations, the one acted for, the languages."""
    organisations: list[Organisation] = []
    current_org: Organisation | None = None
    menu: list[Any] = []
    if current_user.is_authenticated:
        try:
            organisations = _user_organisations()
            actor = current_actor()
            current_org = next((o for o in organisations if o.id == actor.organisation_id), None)
            menu = menu_for(actor, current_org)
        except SQLAlchemyError:
            # An error page must still render when the database is what failed.
            log.warning("shell context unavailable", exc_info=True)
            db.session.rollback()
    return {
        "shell_organisations": organisations,
        "shell_current_org": current_org,
        "shell_menu": menu,
        "shell_endpoint": request.endpoint,
        "shell_languages": [
            (code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]
        ],
        "shell_next": _return_path(),
    }


def _return_path() -> str:
    """Where the header's forms come back to: this page, unless it answers only POSTs
    (a failed form post of a GET-able page comes back to that page, without its query)."""
    if request.method == "GET":
        return current_path()
    rule = request.url_rule
    if rule is not None and rule.methods and "GET" in rule.methods:
        return request.path
    return "/"


@bp.get("/")
def home() -> str:
    """The start page of the signed-in role (the landing page for anyone else)."""
    if not current_user.is_authenticated:
        return render_template("shell/landing.html")
    actor = current_actor()
    org = db.session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    if org is not None and org.org_type in COOPERATIVE_TYPES:
        return _cooperative_start(actor, org)
    if org is not None:
        return _enterprise_start(actor, org)
    if actor.is_admin:
        return _admin_start(actor)
    if actor.is_authority:
        return _registry_page(actor, "home/authority.html")
    return render_template("home/no_organisation.html")


def _cooperative_start(actor: Actor, org: Organisation) -> str:
    today = certification_svc.local_today()
    expiring = certification_svc.expiring_certifications(
        actor, org.id, within_days=EXPIRY_WINDOW_DAYS, today=today
    )
    waiting = batches_needing_action(actor, org.id).limit(START_LIST_SIZE)
    return render_template(
        "home/cooperative.html",
        org=org,
        waiting=list(db.session.scalars(waiting)),
        waiting_total=count_needing_action(actor, org.id),
        incoming=incoming_shipments(actor, per_page=START_LIST_SIZE),
        certificates=[
            (cert, certification_svc.expiry_state(cert, today, EXPIRY_WINDOW_DAYS))
            for cert in db.session.scalars(expiring.limit(START_LIST_SIZE))
        ],
        expiry_days=EXPIRY_WINDOW_DAYS,
        **_awaiting(actor),
    )


def _awaiting(actor: Actor) -> dict[str, Any]:
    """The contracts waiting for the organisation's confirmation, with their parties."""
    contracts = list(
        db.session.scalars(worklists.contracts_awaiting_confirmation(actor).limit(START_LIST_SIZE))
    )
    names = organisations_by_ids(p.organisation_id for c in contracts for p in c.parties)
    return {"awaiting_contracts": contracts, "contract_names": names}


def _enterprise_start(actor: Actor, org: Organisation) -> str:
    expiring = worklists.verifications_expiring(
        actor, org.id, org.province_code, within_days=worklists.EXPIRY_WINDOW_DAYS
    )
    verifications = list(db.session.scalars(expiring.limit(START_LIST_SIZE)))
    return render_template(
        "home/enterprise.html",
        org=org,
        incoming=incoming_shipments(actor),
        expiring_verifications=verifications,
        supplier_names=organisations_by_ids(v.supplier_id for v in verifications),
        verification_days=worklists.EXPIRY_WINDOW_DAYS,
        **_awaiting(actor),
    )


def _admin_start(actor: Actor) -> str:
    organisations = db.paginate(
        registry.registry_in_scope(actor), page=1, per_page=START_LIST_SIZE, error_out=False
    )
    users = db.paginate(list_users(actor), page=1, per_page=START_LIST_SIZE, error_out=False)
    return render_template(
        "home/admin.html", organisations=organisations, users=users, label=registry_label
    )


def _choice(value: str | None, choices: type[OrgType] | type[OrgStatus]) -> str:
    """A filter's value when it is one of the choices, else no filter."""
    return value if value in {c.value for c in choices} else ""


def _registry_page(actor: Actor, template: str) -> str:
    """The registry in the overseer's scope (the service refuses anyone else: 403)."""
    filters = {
        "q": (request.args.get("q") or "").strip()[:100],
        "org_type": _choice(request.args.get("org_type"), OrgType),
        "status": _choice(request.args.get("status"), OrgStatus),
        "province_code": (request.args.get("province_code") or "").strip()[:2],
    }
    organisations = db.paginate(
        registry.registry_in_scope(actor, **filters),
        page=page_number(), per_page=PER_PAGE, error_out=False,
    )
    provinces = registry.provinces_in_scope(actor)
    return render_template(
        template,
        organisations=organisations,
        filters=filters,
        filter_args={name: value for name, value in filters.items() if value},
        provinces=provinces,
        province_names=dict(provinces),
        org_types=list(OrgType),
        statuses=list(OrgStatus),
        label=registry_label,
        scoped=actor.province_code is not None,
    )


@bp.get("/registry")
@login_required
def registry_index() -> str:
    """The organisations an authority oversees (a platform admin: all), searchable."""
    return _registry_page(current_actor(), "home/registry.html")


@bp.get("/admin/users")
@login_required
def users() -> str:
    """Every account, for the platform admin."""
    page = db.paginate(
        list_users(current_actor()), page=page_number(), per_page=PER_PAGE, error_out=False
    )
    return render_template("home/users.html", users=page)


@bp.get("/shipments/incoming")
@login_required
def incoming() -> str:
    """Shipments addressed to the organisation acted for, not received yet."""
    actor = current_actor()
    return render_template(
        "home/incoming.html", incoming=incoming_shipments(actor, page=page_number())
    )


@bp.post("/switch-org")
@login_required
def switch_org() -> Response:
    """Act for another of the user's organisations; any other id is 'not found'."""
    org_id = ascii_int(request.form.get("org_id"))
    if org_id is None or org_id not in {m.organisation_id for m in current_user.memberships}:
        raise NotFound()
    organisation = db.session.get(Organisation, org_id)
    if organisation is None:
        raise NotFound()
    session[ORG_SESSION_KEY] = org_id
    flash(_("You are now working for %(name)s.", name=organisation.name), "success")
    return _back()


@bp.post("/lang")
def set_language() -> Response:
    """Remember the language in the session and, for a signed-in user, on the account."""
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return _back()
