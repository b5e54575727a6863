"""Rate limits that depend on who calls: declared once here, applied to views and blueprints.

Every counter lives in the limiter's storage (``RATELIMIT_STORAGE_URI``: ``memory://`` for
one process, ``redis://`` shared by every worker and host), never in a process's memory of
its own, so a limit holds however many workers serve.

- Anonymous API reads: per client address. Only a call whose bearer token was *accepted*
  is exempt: a token that fails counts as anonymous, so any ``Authorization`` header is no
  way around the limit.
- Failed token authentications on /api/ and /epcis/: per client address. Once used up,
  every bearer call from that address is refused until the window ends, a good token's too:
  were it let through, 429 against 200 would tell a guesser which token is right.
- EPCIS capture and queries: per user (per address when anonymous), whichever token.
- Sign-in: per address, and per account (the e-mail submitted) counting failed attempts
  only, so that many addresses cannot share the guessing of one account's password.
- Label sheets (PDF): per user. A 1,000-label sheet costs seconds of a worker's CPU
  (../shared/reference/PERFORMANCE.md), so a signed-in user, or a script with a stolen
  session, must not be able to keep the workers busy with them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, current_app, request
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from app.auth.current import bearer_token, current_actor
from app.auth.services import normalise_email
from app.extensions import limiter

__all__ = ["caller", "limit_api", "limit_epcis", "limit_label_sheets", "limit_sign_in",
           "token_accepted"]

View = TypeVar("View", bound=Callable[..., object])


def _configured(name: str) -> Callable[[], str]:
    """The limit string ``name`` of the configuration (config.DEFAULTS), read at request
    time, so that a test or an operator changes it without touching the declarations."""

    def limit() -> str:
        return str(current_app.config[name])

    return limit


def token_accepted() -> bool:
    """The call presents a bearer token and it was accepted (authenticating it now if the
    view has not yet: the actor is worked out once per request)."""
    return bearer_token() is not None and current_actor().is_authenticated


def _without_token() -> bool:
    return bearer_token() is None


def _token_refused(_response: Response) -> bool:
    return bearer_token() is not None and not current_actor().is_authenticated


def caller() -> str:
    """The user behind an accepted token, else the client address."""
    actor = current_actor()
    if actor.is_authenticated:
        return f"user:{actor.user_id}"
    return get_remote_address()


def _submitted_account() -> str:
    """The account a sign-in attempt is for. Keyed-hashed: the shared storage (Redis) then
    holds no e-mail address, and every key has the same short length."""
    email = normalise_email(request.form.get("email", ""))
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return "account:" + hmac.new(secret, email.encode(), hashlib.sha256).hexdigest()


def _sign_in_failed(response: Response) -> bool:
    # A successful sign-in is the only POST answered with a redirect.
    return response.status_code != 302


# Built once, so that applying them again (one app per test process, say) adds nothing.
_anonymous_reads = limiter.limit(_configured("RATELIMIT_PUBLIC"), exempt_when=token_accepted)
_token_failures = limiter.shared_limit(
    _configured("RATELIMIT_TOKEN_FAILURES"),
    scope="token-failures",
    key_func=get_remote_address,
    exempt_when=_without_token,
    deduct_when=_token_refused,
)
_epcis_capture = limiter.shared_limit(
    _configured("RATELIMIT_EPCIS_CAPTURE"), scope="epcis-capture", key_func=caller,
    methods=["POST"],
)
_epcis_queries = limiter.shared_limit(
    _configured("RATELIMIT_EPCIS_QUERY"), scope="epcis-query", key_func=caller,
    methods=["GET", "HEAD"],
)
_label_sheets = limiter.limit(_configured("RATELIMIT_LABEL_SHEETS"), key_func=caller,
                              scope="label-sheets")
_sign_in_per_address = limiter.limit(_configured("RATELIMIT_LOGIN"), methods=["POST"])
_sign_in_per_account = limiter.limit(
    _configured("RATELIMIT_LOGIN_ACCOUNT"),
    key_func=_submitted_account,
    methods=["POST"],
    deduct_when=_sign_in_failed,
    scope="account",
)


def limit_api(blueprint: Blueprint) -> None:
    """Limits of a JSON API blueprint (/api/…)."""
    _anonymous_reads(blueprint)
    _token_failures(blueprint)


def limit_epcis(blueprint: Blueprint) -> None:
    """Limits of the EPCIS binding (/epcis/…)."""
    _token_failures(blueprint)
    _epcis_capture(blueprint)
    _epcis_queries(blueprint)


def limit_sign_in(view: View) -> View:
    """Decorator of the sign-in view: per address, and per account on failures."""
    return _sign_in_per_address(_sign_in_per_account(view))


def limit_label_sheets(view: View) -> View:
    """Decorator of the label sheet PDF view: per user."""
    return _label_sheets(view)

