"""Helpers for tests that drive the HTML UI through Flask's test client.

Use ``tests.factories.api_client(app)`` as the client: the autouse ``db`` fixture keeps one
application context pushed for the whole test, so without it ``g`` (Flask-Login's cached
user, Flask-Babel's locale, Flask-WTF's "CSRF already checked" flag) would leak from one
request into the next.
"""

from __future__ import annotations

import re

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
