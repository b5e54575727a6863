"""Fixtures shared by the business-event and correction tests: a cooperative and an
enterprise, each with an admin and a staff user (``batch_factories.Party``)."""

from __future__ import annotations

import pytest

from linkages.models.organisations import OrgType
from tests.traceability.batch_factories import Party, make_party


@pytest.fixture()
def coop() -> Party:
    return make_party("HTX Cà phê")


@pytest.fixture()
def dn() -> Party:
    return make_party("Công ty Chế biến", OrgType.DN)
