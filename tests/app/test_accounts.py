"""Accounts: argon2 passwords, personal API tokens, the actor a token acts as."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.auth import services as accounts
from app.auth.models import ApiToken
from core.actor import OrgRole, PlatformRole
from core.db import db, utcnow
from core.errors import Conflict, ValidationFailed
from linkages.models import Organisation, OrgType


def _org(code: str, name: str) -> Organisation:
    org = Organisation(registration_code=code, name=name, org_type=OrgType.HTX)
    db.session.add(org)
    db.session.flush()
    return org


def _bearer(plaintext: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plaintext}"}


def test_password_is_stored_as_an_argon2id_hash_and_verified():
    user = accounts.create_user("Lan@Example.VN", "mat-khau-du-dai")
    assert user.email == "lan@example.vn"
    assert user.password_hash.startswith("$argon2id$")
    assert "mat-khau-du-dai" not in user.password_hash
    assert accounts.authenticate("lan@example.vn ", "mat-khau-du-dai") == user
    assert accounts.authenticate("lan@example.vn", "wrong-password") is None
    assert accounts.authenticate("nobody@example.vn", "mat-khau-du-dai") is None


def test_inactive_user_cannot_authenticate():
    user = accounts.create_user("off@example.vn", "mat-khau-du-dai")
    user.active = False
    assert accounts.authenticate("off@example.vn", "mat-khau-du-dai") is None


def test_short_password_and_duplicate_email_are_refused_with_field_errors():
    with pytest.raises(ValidationFailed) as short:
        accounts.create_user("a@example.vn", "short")
    assert "password" in short.value.field_errors
    accounts.create_user("dup@example.vn", "mat-khau-du-dai")
    with pytest.raises(Conflict) as dup:
        accounts.create_user("DUP@example.vn", "mat-khau-du-dai")
    assert "email" in dup.value.field_errors


def test_province_scope_is_only_for_authorities():
    with pytest.raises(ValidationFailed):
        accounts.create_user("x@example.vn", "mat-khau-du-dai", province_code="01")


def test_token_secret_is_shown_once_and_stored_only_as_a_hash():
    user = accounts.create_user("tok@example.vn", "mat-khau-du-dai")
    issued = accounts.create_token(user, "field phone")
    row = db.session.scalar(select(ApiToken).where(ApiToken.id == issued.token.id))
    secret = issued.plaintext.split("_", 2)[2]
    assert secret not in (row.secret_hash, row.prefix, row.name)
    assert len(row.secret_hash) == 64
    holder = accounts.token_holder(issued.plaintext)
    assert holder is not None and holder.user_id == user.id


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
        lambda t: "htx_000000000000_" + t.split("_", 2)[2],  # unknown prefix
        lambda t: t.replace("htx_", "xyz_"),
        lambda t: "",
    ],
)
def test_altered_or_unknown_tokens_are_refused(mangle):
    user = accounts.create_user("tok2@example.vn", "mat-khau-du-dai")
    issued = accounts.create_token(user, "ci")
    assert accounts.token_holder(mangle(issued.plaintext)) is None


def test_revoked_and_expired_tokens_are_refused():
    user = accounts.create_user("tok3@example.vn", "mat-khau-du-dai")
    revoked = accounts.create_token(user, "old laptop")
    expired = accounts.create_token(user, "temp")
    expired.token.expires_at = utcnow() - timedelta(minutes=1)
    actor = accounts.actor_for(user, None)
    accounts.revoke_token(actor, revoked.token.id)
    db.session.flush()
    assert accounts.token_holder(revoked.plaintext) is None
    assert accounts.token_holder(expired.plaintext) is None


def test_the_token_of_a_deactivated_user_is_refused():
    user = accounts.create_user("tok4@example.vn", "mat-khau-du-dai")
    issued = accounts.create_token(user, "sync")
    assert accounts.token_holder(issued.plaintext) is not None
    user.active = False
    db.session.flush()
    assert accounts.token_holder(issued.plaintext) is None


def _staff_of_one_admin_of_another(suffix: str) -> tuple[Any, Any, Any, Any]:
    """Two HTX ``0100109106-<suffix>1`` and ``…2``; a user on the staff of the first and
    admin of the second; a token of that user acting for neither (committed)."""
    first = _org(f"0100109106-{suffix}1", "HTX Một")
    second = _org(f"0100109106-{suffix}2", "HTX Hai")
    user = accounts.create_user(f"multi{suffix}@example.vn", "mat-khau-du-dai")
    accounts.add_membership(user, first.id, OrgRole.STAFF)
    accounts.add_membership(user, second.id, OrgRole.ORG_ADMIN)
    issued = accounts.create_token(user, "multi")
    db.session.commit()
    return first, second, user, issued


def test_a_token_holder_carries_every_membership_and_acts_for_one_of_them():
    first, second, user, issued = _staff_of_one_admin_of_another("01")
    holder = accounts.token_holder(issued.plaintext)
    assert holder is not None
    assert holder.memberships == {first.id: OrgRole.STAFF, second.id: OrgRole.ORG_ADMIN}
    assert holder.actor(second.id) == accounts.actor_for(user, second.id)
    assert holder.actor(second.id).org_role == OrgRole.ORG_ADMIN
    stranger = holder.actor(first.id + second.id + 1)  # not a member: acts for nobody
    assert stranger.organisation_id is None and stranger.org_role is None


def test_api_authenticates_with_bearer_token_only(client):
    org = _org("0100109106", "HTX Thử Nghiệm")
    user = accounts.create_user("api@example.vn", "mat-khau-du-dai")
    accounts.add_membership(user, org.id, OrgRole.ORG_ADMIN)
    issued = accounts.create_token(user, "script")
    db.session.commit()

    anonymous = client.get("/api/me")
    assert anonymous.status_code == 401
    assert anonymous.mimetype == "application/problem+json"

    me = client.get("/api/me", headers=_bearer(issued.plaintext))
    assert me.status_code == 200
    body = me.get_json()
    assert body["email"] == "api@example.vn"
    assert body["acting_organisation_id"] == org.id
    assert body["memberships"] == [{"organisation_id": org.id, "role": "org_admin"}]

    bad = client.get("/api/me", headers=_bearer(issued.plaintext + "x"))
    assert bad.status_code == 401


def test_revoking_a_token_through_the_api_locks_it_out(client):
    user = accounts.create_user("rev@example.vn", "mat-khau-du-dai")
    keep = accounts.create_token(user, "keep")
    drop = accounts.create_token(user, "drop")
    db.session.commit()

    listed = client.get("/api/me/tokens", headers=_bearer(keep.plaintext))
    assert listed.status_code == 200
    assert listed.headers["X-Total-Count"] == "2"
    assert {t["name"] for t in listed.get_json()} == {"keep", "drop"}
    assert all("secret" not in t and "secret_hash" not in t for t in listed.get_json())

    revoked = client.delete(f"/api/me/tokens/{drop.token.id}", headers=_bearer(keep.plaintext))
    assert revoked.status_code == 204
    assert client.get("/api/me", headers=_bearer(drop.plaintext)).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(client):
    owner = accounts.create_user("own@example.vn", "mat-khau-du-dai")
    other = accounts.create_user("oth@example.vn", "mat-khau-du-dai")
    target = accounts.create_token(owner, "mine")
    attacker = accounts.create_token(other, "theirs")
    db.session.commit()
    response = client.delete(
        f"/api/me/tokens/{target.token.id}", headers=_bearer(attacker.plaintext)
    )
    assert response.status_code == 404
    assert accounts.token_holder(target.plaintext) is not None


def test_token_of_a_multi_org_user_acts_for_the_org_named_in_the_header(client):
    _, second, _, issued = _staff_of_one_admin_of_another("00")
    headers = _bearer(issued.plaintext)
    assert client.get("/api/me", headers=headers).get_json()["acting_organisation_id"] is None
    headers["HTX-Organisation"] = "0100109106-002"
    assert client.get("/api/me", headers=headers).get_json()["acting_organisation_id"] == (
        second.id
    )


def test_authority_actor_carries_its_province_scope():
    user = accounts.create_user(
        "tinh@example.vn",
        "mat-khau-du-dai",
        platform_role=PlatformRole.AUTHORITY,
        province_code="01",
    )
    actor = accounts.actor_for(user, None)
    assert actor.is_authority and actor.province_code == "01"
    assert actor.organisation_id is None


def test_a_read_only_call_records_when_the_token_was_last_used(client):
    user = accounts.create_user("seen@example.vn", "mat-khau-du-dai")
    issued = accounts.create_token(user, "reader")
    db.session.commit()
    assert client.get("/api/me", headers=_bearer(issued.plaintext)).status_code == 200
    db.session.expire_all()
    first = db.session.get(ApiToken, issued.token.id).last_used_at
    assert first is not None
    # Within the granularity a second call does not write again.
    assert client.get("/api/me", headers=_bearer(issued.plaintext)).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, issued.token.id).last_used_at == first
