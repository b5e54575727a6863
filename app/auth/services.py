"""Account services: users, passwords, memberships, API tokens.

Passwords are argon2id hashes (parameters from the config, argon2-cffi's defaults unless
set; rehashed at sign-in when they change);
API tokens are ``htx_<prefix>_<secret>``: the prefix finds the row, the secret's SHA-256 is
compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context
from sqlalchemy import Select, bindparam, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import ApiToken, Membership, User, new_session_nonce
from app.config import password_hash_parameters
from core.actor import (
    Actor,
    OrgRole,
    PlatformRole,
    require_authenticated,
    require_platform_admin,
)
from core.db import db, utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import _l
from linkages.models.places import Province

TOKEN_PREFIX = "htx"
MIN_PASSWORD_LENGTH = 10
LAST_USED_GRANULARITY = timedelta(minutes=15)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Hashing:
    hasher: PasswordHasher
    # A real hash to verify against when the e-mail is unknown, so that a missing account
    # takes as long to refuse as a wrong password (no user enumeration by timing).
    dummy_hash: str


@lru_cache(maxsize=4)
def _hashing_with(time_cost: int, memory_cost: int, parallelism: int) -> _Hashing:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return _Hashing(hasher, hasher.hash(secrets.token_urlsafe(16)))


def _hashing() -> _Hashing:
    """The hasher the app's ``PASSWORD_HASH_*`` settings describe (app/config.py)."""
    config = current_app.config if has_app_context() else {}
    return _hashing_with(*password_hash_parameters(config))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            field_errors={
                "password": [
                    _l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
                ]
            }
        )
    return _hashing().hasher.hash(password)


def create_user(
    email: str,
    password: str | None,
    *,
    full_name: str = "",
    platform_role: PlatformRole | None = None,
    province_code: str | None = None,
) -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise ValidationFailed(field_errors={"email": [_l("Not a valid e-mail address.")]})
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(_l("A user with this e-mail already exists."),
                       field_errors={"email": [_l("Already registered.")]})
    if province_code and platform_role != PlatformRole.AUTHORITY:
        raise ValidationFailed(
            field_errors={"province": [_l("Only an authority account has a province scope.")]}
        )
    if province_code and db.session.get(Province, province_code) is None:
        raise ValidationFailed(field_errors={"province": [_l("Unknown province code.")]})
    user = User(
        email=email,
        full_name=full_name,
        password_hash=hash_password(password) if password else None,
        platform_role=platform_role,
        province_code=province_code,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (in constant-ish time)."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    hashing = _hashing()
    stored = user.password_hash if user and user.password_hash else hashing.dummy_hash
    try:
        hashing.hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or not user.password_hash or not user.active:
        return None
    if hashing.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hashing.hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def set_password(user: User, password: str) -> None:
    """Replace the user's password; every session signed in with the old one ends."""
    user.password_hash = hash_password(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """End every session of the user (signed cookies included: see ``User.session_nonce``).
    The caller commits."""
    user.session_nonce = new_session_nonce()


def user_for_session(session_id: str) -> User | None:
    """The active user a session names (``User.get_id()``), or None once that session ended
    (signed out, new password), the user is gone or deactivated."""
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit() or not nonce:
        return None  # includes cookies written before sessions carried a nonce
    # With its memberships in the same statement: every signed-in page needs them (the
    # organisation switcher, the actor), and a second statement cost a third of the load.
    user = db.session.get(User, int(user_id), options=[joinedload(User.memberships)])
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(user.session_nonce.encode(), nonce.encode()):
        return None
    return user


def add_membership(user: User, organisation_id: int, role: OrgRole) -> Membership:
    existing = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == organisation_id
        )
    )
    if existing:
        existing.role = role
        return existing
    membership = Membership(user=user, organisation_id=organisation_id, role=role)
    db.session.add(membership)
    db.session.flush()
    return membership


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str, organisation_id: int | None = None) -> IssuedToken:
    if not name.strip():
        raise ValidationFailed(field_errors={"name": [_l("A token needs a name.")]})
    if organisation_id is not None and organisation_id not in {
        m.organisation_id for m in user.memberships
    }:
        raise ValidationFailed(
            field_errors={"organisation": [_l("The user is not a member of this organisation.")]}
        )
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        organisation_id=organisation_id,
        name=name.strip(),
        prefix=prefix,
        secret_hash=_digest(secret),
    )
    db.session.add(token)
    db.session.flush()
    return IssuedToken(token, f"{TOKEN_PREFIX}_{prefix}_{secret}")


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """Who a valid token acts for: what ``current_actor`` needs of the token, its user and
    the user's memberships."""

    token_id: int
    token_organisation_id: int | None  # the organisation the token is limited to, if any
    last_used_at: datetime | None
    user_id: int
    platform_role: PlatformRole | None
    province_code: str | None
    memberships: dict[int, OrgRole]  # the user's role by organisation id

    def actor(self, organisation_id: int | None) -> Actor:
        return _actor(self.user_id, self.platform_role, self.province_code,
                      self.memberships, organisation_id)


@lru_cache(maxsize=1)
def _token_statement() -> Select[Any]:
    # Columns, not entities, in one statement: every API request resolves its token, and
    # loading a token, its user and the user's memberships as ORM objects (two statements
    # and an identity map) cost about as much as answering a simple list.
    token, user, member = ApiToken.__table__.c, User.__table__.c, Membership.__table__.c
    return (
        select(
            token.id, token.secret_hash, token.organisation_id, token.last_used_at,
            token.revoked_at, token.expires_at, user.id.label("user_id"), user.platform_role,
            user.province_code, member.organisation_id.label("member_of"), member.role,
        )
        .join_from(ApiToken.__table__, User.__table__, user.id == token.user_id)
        .outerjoin(Membership.__table__, member.user_id == user.id)
        .where(token.prefix == bindparam("prefix"), user.active.is_(True))
        .order_by(member.id)
    )


def token_holder(plaintext: str) -> TokenHolder | None:
    """Who the presented token acts for, or None (unknown, altered, revoked or expired
    token, inactive user); the secret is compared in constant time."""
    parts = plaintext.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    rows = db.session.execute(_token_statement(), {"prefix": parts[1]}).all()
    if not rows:
        _ = hmac.compare_digest(_digest(parts[2]), _digest(""))  # equalise timing
        return None
    token = rows[0]
    if not hmac.compare_digest(token.secret_hash, _digest(parts[2])):
        return None
    if token.revoked_at is not None or (token.expires_at and token.expires_at <= utcnow()):
        return None
    return TokenHolder(
        token_id=token.id, token_organisation_id=token.organisation_id,
        last_used_at=token.last_used_at, user_id=token.user_id,
        platform_role=token.platform_role, province_code=token.province_code,
        memberships={r.member_of: r.role for r in rows if r.member_of is not None},
    )


def token_use_due(last_used_at: datetime | None) -> bool:
    """Whether ``record_token_use`` has something to write: at most once per
    ``LAST_USED_GRANULARITY``, since a write per call would turn every read into a write."""
    return last_used_at is None or utcnow() - last_used_at >= LAST_USED_GRANULARITY


def record_token_use(token_id: int) -> None:
    """Stamp the token's ``last_used_at``, best-effort, in a transaction of its own.

    Call it once the request's own transaction is over. Bookkeeping must never fail a
    request: on SQLite a read transaction cannot become a write once another worker has
    written ("database is locked"), so the stamp is never part of the request's
    transaction, and a failure here (busy database) is logged and swallowed. The UPDATE is
    conditional, so two workers stamping at once write once.
    """
    now = utcnow()
    stamp = (
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(
                ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at <= now - LAST_USED_GRANULARITY,
            ),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    try:
        db.session.execute(stamp)
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("could not record the use of API token %s: %s", token_id, error)


def get_user(actor: Actor) -> User:
    require_authenticated(actor)
    user = db.session.get(User, actor.user_id)
    if user is None:  # deleted between authentication and now
        raise NotFound()
    return user


def tokens_of(actor: Actor) -> Select[tuple[ApiToken]]:
    require_authenticated(actor)
    return (
        select(ApiToken)
        .options(selectinload(ApiToken.organisation))
        .where(ApiToken.user_id == actor.user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )


def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    require_authenticated(actor)
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and not actor.is_admin):
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def actor_for(user: User, organisation_id: int | None) -> Actor:
    """The actor for ``user`` acting for ``organisation_id`` (ignored unless a member)."""
    return _actor(user.id, user.platform_role, user.province_code,
                  {m.organisation_id: m.role for m in user.memberships}, organisation_id)


def _actor(user_id: int, platform_role: PlatformRole | None, province_code: str | None,
           memberships: dict[int, OrgRole], organisation_id: int | None) -> Actor:
    role = memberships.get(organisation_id) if organisation_id is not None else None
    return Actor(
        user_id=user_id,
        organisation_id=organisation_id if role is not None else None,
        org_role=role,
        platform_role=platform_role,
        province_code=province_code if platform_role == PlatformRole.AUTHORITY else None,
    )


def list_users(actor: Actor) -> Select[tuple[User]]:
    """A select of every account, by e-mail, with its memberships, to paginate: the
    platform admin's only (anyone else: 403)."""
    require_platform_admin(actor)
    return select(User).options(selectinload(User.memberships)).order_by(User.email, User.id)


def display_names(ids: Iterable[int | None]) -> dict[int, str]:
    """Who recorded something, as a history shows it: each user's full name (their e-mail
    when they gave none), by id, in one statement; unknown and deleted users absent."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = db.session.execute(
        select(User.id, User.full_name, User.email).where(User.id.in_(wanted))
    ).all()
    return {row.id: row.full_name or row.email for row in rows}
