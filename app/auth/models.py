"""Users, their memberships in organisations and their personal API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from linkages.models.organisations import Organisation

from core.actor import OrgRole, PlatformRole
from core.db import Timestamped, UtcDateTime, db, str_enum


def new_session_nonce() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Timestamped, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    platform_role: Mapped[PlatformRole | None] = mapped_column(
        str_enum(PlatformRole, "platform_role")
    )
    # An authority may be scoped to one province (2025 code); None means the whole country.
    province_code: Mapped[str | None] = mapped_column(
        String(2), ForeignKey("provinces.code", ondelete="RESTRICT")
    )
    locale: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The session cookie is signed but kept by the browser, so the server could not take it
    # back: the cookie also carries this value (see ``get_id``) and the user loader refuses a
    # cookie whose value is no longer the user's. Signing out or a new password draws a new
    # one, which ends every session of the user at once. Random, not a counter, so that even
    # a leaked SECRET_KEY does not let anyone mint a session without reading this column.
    session_nonce: Mapped[str] = mapped_column(String(64), default=new_session_nonce)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    def get_id(self) -> str:
        """Flask-Login's "alternative token": what the session stores to name the user."""
        return f"{self.id}:{self.session_nonce}"


class Membership(Timestamped, db.Model):
    """A user's role in one organisation; a user may belong to several."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[OrgRole] = mapped_column(str_enum(OrgRole, "org_role"), default=OrgRole.STAFF)

    user: Mapped[User] = relationship(back_populates="memberships")


class ApiToken(Timestamped, db.Model):
    """A personal API token. Only a SHA-256 of the secret is kept; the secret is shown once.

    Tokens are random 256-bit secrets, so a fast hash is enough (argon2 is for passwords,
    which are guessable); the ``prefix`` finds the row without revealing the secret.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The organisation the token acts for; None: the user's only membership, if exactly one.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[User] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="raise")
