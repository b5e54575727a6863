"""Helpers for tests that drive the HTML UI through Flask's test client.

Use ``tests.factories.api_client(app)`` as the client: the autouse ``db`` fixture keeps one
application context pushed for the whole test, so without it ``g`` (Flask-Login's cached
user, Flask-Babel's locale, Flask-WTF's "CSRF already checked" flag) would leak from one
request into the next.
"""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.auth.models import User
from app.auth.services import add_membership, create_user
from core.actor import OrgRole
from core.db import db
from linkages.models.organisations import Organisation

PASSWORD = "correct horse battery"


def make_user(email: str, *orgs: Organisation, full_name: str = "Nguyễn Thị Lan") -> User:
    user = create_user(email, PASSWORD, full_name=full_name)
    for org in orgs:
        add_membership(user, org.id, OrgRole.STAFF)
    db.session.commit()
    return user


def login(
    client: FlaskClient, email: str, password: str = PASSWORD, **extra: str
) -> TestResponse:
    return client.post("/login", data={"email": email, "password": password, **extra})


def csrf_token_in(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def error_beside(html: str, field: str) -> str:
    """The message a form shows beside ``field`` (``_forms.html``, ``batches/_fields.html``)."""
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert found, f"no message beside {field}"
    return found.group(1)


def coffee_coop() -> tuple[Organisation, User, Any, Any]:
    """A cooperative with a staff user, a plot and a product: the batch pages' usual cast."""
    from tests.factories import make_org
    from tests.traceability.batch_factories import make_area, make_product

    org = make_org("Hợp tác xã Cà phê Cầu Đất")
    user = make_user("lan@caudat.vn", org)
    return org, user, make_area(org, code="LO1"), make_product(org, name="Cà phê nhân")


def harvested(org: Organisation, user: User, area: Any, product: Any, qty: str = "1000") -> Any:
    """A lot harvested today through the event service, committed (as a form would leave it)."""
    from decimal import Decimal

    from core.clock import local_today
    from tests.factories import actor_of
    from traceability.services import recording

    batch = recording.record_harvest(
        actor_of(user, org), area_ids=[area.id], product_id=product.id,
        quantity=Decimal(qty), unit="kg", harvested_on=local_today(),
    )
    db.session.commit()
    return batch
