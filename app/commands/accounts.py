"""Accounts from the command line: the first admin, authorities, API tokens."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from app.auth import services as accounts
from app.auth.models import User
from core.actor import OrgRole, PlatformRole
from core.db import db
from core.errors import DomainError
from linkages.models import Organisation


def _fail(error: DomainError) -> None:
    db.session.rollback()
    messages = [f"{field}: {'; '.join(msgs)}" for field, msgs in error.field_errors.items()]
    raise click.ClickException(" ".join([str(error.detail or ""), *messages]).strip())


@click.command("create-user")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--name", "full_name", default="", help="Full name shown in the UI.")
@click.option("--org", "org_code", help="Registration code of the organisation to join.")
@click.option("--role", type=click.Choice([r.value for r in OrgRole]), default=OrgRole.STAFF.value)
@click.option("--platform-role", type=click.Choice([r.value for r in PlatformRole]))
@click.option("--province", "province_code", help="Province scope (2025 code) of an authority.")
def create_user(
    email: str,
    password_stdin: bool,
    full_name: str,
    org_code: str | None,
    role: str,
    platform_role: str | None,
    province_code: str | None,
) -> None:
    """Create a user (or add an existing one to an organisation)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    # Everything is checked before anything is written: a refused command leaves no trace.
    org = None
    if org_code:
        org = db.session.scalar(
            select(Organisation).where(Organisation.registration_code == org_code)
        )
        if org is None:
            raise click.ClickException(f"no organisation with registration code {org_code}")
    try:
        user = db.session.scalar(
            select(User).where(User.email == accounts.normalise_email(email))
        )
        if user is None:
            user = accounts.create_user(
                email,
                password,
                full_name=full_name,
                platform_role=PlatformRole(platform_role) if platform_role else None,
                province_code=province_code,
            )
        elif password:
            accounts.set_password(user, password)  # ends the sessions of the old one
        if org is not None:
            accounts.add_membership(user, org.id, OrgRole(role))
        db.session.commit()
    except DomainError as error:
        _fail(error)
    click.echo(f"user {user.email} (id {user.id}) ready")


@click.command("create-token")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for (shown in the UI).")
@click.option("--org", "org_code", help="Registration code of the organisation it acts for.")
def create_token(email: str, name: str, org_code: str | None) -> None:
    """Create a personal API token; it is printed once and cannot be shown again."""
    user = db.session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if user is None:
        raise click.ClickException(f"no user {email}")
    org_id = None
    if org_code:
        org_id = db.session.scalar(
            select(Organisation.id).where(Organisation.registration_code == org_code)
        )
        if org_id is None:
            raise click.ClickException(f"no organisation with registration code {org_code}")
    try:
        issued = accounts.create_token(user, name, org_id)
        db.session.commit()
    except DomainError as error:
        _fail(error)
    click.echo(issued.plaintext)


commands = [create_user, create_token]
