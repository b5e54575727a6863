"""Helpers of the register pages' tests (members, certifications, products)."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from app.auth.services import add_membership, create_user
from core.actor import OrgRole
from core.db import db
from linkages.models.organisations import Organisation
from tests.app.web_support import PASSWORD, login


def sign_in(client: FlaskClient, email: str, org: Organisation | None = None,
            role: OrgRole = OrgRole.ORG_ADMIN, **fields: Any) -> None:
    """A new user (of ``org`` with ``role``, or with platform ``fields``), signed in."""
    user = create_user(email, PASSWORD, **fields)
    if org is not None:
        add_membership(user, org.id, role)
    db.session.commit()
    assert login(client, email).status_code in (302, 303)


def error_beside(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert found, f"no message beside {field}"
    return found.group(1)
