"""The permission rules every service relies on."""

from __future__ import annotations

import pytest
from sqlalchemy import String, literal, select, union_all

from core.actor import (
    ANONYMOUS,
    Actor,
    OrgRole,
    PlatformRole,
    can_read_private,
    private_scope,
    require_read,
    require_write,
)
from core.db import db
from core.errors import Forbidden, NotFound, Unauthenticated

STAFF_A = Actor(user_id=1, organisation_id=10, org_role=OrgRole.STAFF)
ADMIN_A = Actor(user_id=2, organisation_id=10, org_role=OrgRole.ORG_ADMIN)
MEMBER_B = Actor(user_id=3, organisation_id=20, org_role=OrgRole.ORG_ADMIN)
NATIONAL = Actor(user_id=4, platform_role=PlatformRole.AUTHORITY)
HANOI = Actor(user_id=5, platform_role=PlatformRole.AUTHORITY, province_code="01")
PLATFORM = Actor(user_id=6, platform_role=PlatformRole.ADMIN)


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (STAFF_A, True),
        (ADMIN_A, True),
        (MEMBER_B, False),
        (NATIONAL, True),
        (HANOI, True),
        (PLATFORM, True),
        (ANONYMOUS, False),
    ],
)
def test_who_reads_private_data_of_a_hanoi_cooperative(actor, expected):
    assert can_read_private(actor, 10, "01") is expected


def test_province_scoped_authority_does_not_read_outside_its_province():
    assert can_read_private(HANOI, 10, "79") is False
    with pytest.raises(NotFound):
        require_read(HANOI, 10, "79")


def test_another_cooperative_gets_not_found_not_forbidden():
    with pytest.raises(NotFound):
        require_write(MEMBER_B, 10, "01")


def test_staff_writes_but_not_admin_only_things():
    require_write(STAFF_A, 10, "01")
    with pytest.raises(Forbidden):
        require_write(STAFF_A, 10, "01", admin_only=True)
    require_write(ADMIN_A, 10, "01", admin_only=True)


def test_authorities_read_but_never_write():
    with pytest.raises(Forbidden):
        require_write(HANOI, 10, "01")
    with pytest.raises(NotFound):
        require_write(HANOI, 10, "79")


def test_anonymous_writes_are_unauthenticated():
    with pytest.raises(Unauthenticated):
        require_write(ANONYMOUS, 10, "01")


@pytest.mark.parametrize(
    ("actor", "visible"),
    [
        (STAFF_A, {10}),
        (MEMBER_B, {20}),
        (HANOI, {10, 30}),
        (NATIONAL, {10, 20, 30, 40}),
        (PLATFORM, {10, 20, 30, 40}),
        (ANONYMOUS, set()),
    ],
)
def test_private_scope_filters_rows_in_sql_as_the_rule_says(actor, visible):
    rows = [(10, "01"), (20, "79"), (30, "01"), (40, None)]
    sub = union_all(
        *(
            select(literal(org_id).label("org"), literal(prov, String).label("prov"))
            for org_id, prov in rows
        )
    ).subquery()
    clause = private_scope(actor, sub.c.org, sub.c.prov)
    got = set(db.session.scalars(select(sub.c.org).where(clause)))
    assert got == visible
