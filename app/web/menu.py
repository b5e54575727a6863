"""The main menu: what the signed-in actor can do, as data built in one place.

``menu_for(actor, org)`` answers the items for the actor acting for ``org`` (the
organisation the switcher chose, or None): what an organisation's people do, by its type
(a cooperative — HTX, union, group — records harvests, production areas and members; an
enterprise receives and processes, and is never offered a harvest), then what a platform
role adds (an authority reads the registry in its scope; a platform admin also the users).
Whether a harvest is offered is the service's rule (``operations.may_record_harvest``).
A page another module serves appears only once its endpoint is registered, so the menu
works before and after that page lands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from werkzeug.routing import BuildError

from core.actor import Actor
from core.i18n import _l
from linkages.models.organisations import COOPERATIVE_TYPES, Organisation
from linkages.services.linkage_projects import reads_projects
from linkages.services.supplier_access import SupplierListOp, supplier_list_operations
from traceability.services.operations import may_record_harvest


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: Any  # a lazy string, translated when rendered
    url: str


Applies = Callable[[Actor, Organisation | None], bool]


def _signed_in(actor: Actor, org: Organisation | None) -> bool:
    return actor.is_authenticated


def _for_org(actor: Actor, org: Organisation | None) -> bool:
    return org is not None


def _cooperative(actor: Actor, org: Organisation | None) -> bool:
    return org is not None and org.org_type in COOPERATIVE_TYPES


def _reads_batches(actor: Actor, org: Organisation | None) -> bool:
    return org is not None or actor.is_admin or actor.is_authority


def _overseer(actor: Actor, org: Organisation | None) -> bool:
    return actor.is_admin or actor.is_authority


def _platform_admin(actor: Actor, org: Organisation | None) -> bool:
    return actor.is_admin


def _contracts(actor: Actor, org: Organisation | None) -> bool:
    # Enterprises and cooperatives sign linkage contracts; authorities read those in
    # their scope (``contracts.contract_scope``).
    return org is not None or actor.is_admin or actor.is_authority


def _projects(actor: Actor, org: Organisation | None) -> bool:
    # Authorities and admins oversee linkage projects; an organisation sees the item once
    # a project holds one of its contracts (the service's answer).
    return reads_projects(actor)


def _buys(actor: Actor, org: Organisation | None) -> bool:
    # Who keeps a supplier list is the service's rule, asked as is.
    return org is not None and SupplierListOp.READ in supplier_list_operations(
        actor, org.id, org.province_code
    )


# In the order shown: the day's work first, the organisation's records next, the
# platform's lists, the account last.
ITEMS: tuple[tuple[str, Any, Applies], ...] = (
    ("web_shell.home", _l("Home"), _signed_in),
    ("web_batches.harvest", _l("Record a harvest"), may_record_harvest),
    ("web_batches.index", _l("Batches"), _reads_batches),
    ("web_shell.incoming", _l("Incoming shipments"), _for_org),
    ("web_areas.index", _l("Production areas"), _cooperative),
    ("web_members.index", _l("Members"), _cooperative),
    ("web_contracts.index", _l("Contracts"), _contracts),
    ("web_projects.index", _l("Linkage projects"), _projects),
    ("web_indicator.dashboard", _l("Linkage indicator"), _overseer),
    ("web_suppliers.index", _l("Suppliers"), _buys),
    ("web_products.index", _l("Products"), _for_org),
    ("web_certifications.index", _l("Certifications"), _for_org),
    ("web_reports.index", _l("Consumer reports"), _for_org),
    ("web_orgs.profile", _l("Profile"), _for_org),
    ("web_shell.registry_index", _l("Organisations"), _overseer),
    ("web_shell.users", _l("Users"), _platform_admin),
    ("web_account.tokens", _l("API tokens"), _signed_in),
)


def _url(endpoint: str, org: Organisation | None) -> str | None:
    """The item's address, or None when no page serves it (yet). Pages of one
    organisation take its id."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint)
    except BuildError:
        if org is None:
            return None
    try:
        return url_for(endpoint, organisation_id=org.id)
    except BuildError:
        return None


def menu_for(actor: Actor, org: Organisation | None) -> list[MenuItem]:
    """The menu of the actor acting for ``org`` (see the module docstring)."""
    items = []
    for endpoint, label, applies in ITEMS:
        if not applies(actor, org):
            continue
        url = _url(endpoint, org)
        if url is not None:
            items.append(MenuItem(endpoint, label, url))
    return items


__all__ = ["ITEMS", "MenuItem", "menu_for"]
