"""Personal ID numbers (CCCD, 12 digits): kept only as a keyed hash, never in plain text.

Why a keyed hash (HMAC-SHA256) and not a plain SHA-256: a CCCD has little entropy (3 digits
of province, 1 of sex/century, 2 of birth year, 6 random), so an unkeyed hash of every
possible number can be computed in hours; without the key a stolen database yields nothing.
The hash is deterministic so that the same person is recognised (one active membership per
organisation, a farmer in several cooperatives) without ever decrypting anything.

Keeping the last three digits in plain text for display ("*********123") is a deliberate
choice: they are half of the random serial, never enough to identify or impersonate anyone
(the first nine digits stay unknown), and they let a cooperative's staff tell two members
called "Nguyễn Văn An" apart and confirm a number read aloud, as Vietnamese banks do on
statements. The one cost: an attacker holding both the database AND the key could brute
force a hash from ~10^10 candidates instead of ~10^13; that attacker can already do so in
hours, so the key, not the hidden digits, is what protects the numbers. Three digits, not
four: the least that still disambiguates inside one cooperative of a few hundred members.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

from core.errors import ValidationFailed
from core.i18n import _l

PERSON_ID_LENGTH = 12
DISPLAY_DIGITS = 3
# Fixed label for deriving a development key from SECRET_KEY: never the SECRET_KEY itself,
# so a hash never doubles as a session-signing oracle. Changing it changes every hash.
_DERIVATION_LABEL = b"htx-trace/person-id-hash/v1"


class PersonIdKeyMissing(RuntimeError):
    """No PERSON_ID_HASH_KEY in production (``app.config.check`` refuses to start first)."""


def normalise(value: str, *, field: str = "id_number") -> str:
    """The 12 ASCII digits of ``value`` with spaces removed, or ``ValidationFailed``."""
    digits = "".join(str(value).split())
    # str.isdigit() accepts other scripts' digits ("١٢٣"); only ASCII 0-9 is a CCCD.
    if len(digits) != PERSON_ID_LENGTH or not (digits.isascii() and digits.isdigit()):
        raise ValidationFailed(
            field_errors={field: [_l("A personal ID number (CCCD) has exactly 12 digits.")]}
        )
    return digits


def _key() -> bytes:
    configured = current_app.config.get("PERSON_ID_HASH_KEY")
    if configured:
        return str(configured).encode()
    if current_app.config.get("ENV_NAME") == "production":
        raise PersonIdKeyMissing("PERSON_ID_HASH_KEY must be set in production")
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, _DERIVATION_LABEL, hashlib.sha256).digest()


def _digest(digits: str) -> str:
    return hmac.new(_key(), digits.encode(), hashlib.sha256).hexdigest()


def hash_person_id(value: str, *, field: str = "id_number") -> str:
    """64 hex characters: HMAC-SHA256 of the normalised number under the configured key."""
    return _digest(normalise(value, field=field))


def matches(value: str, stored_hash: str | None) -> bool:
    """Does ``value`` hash to ``stored_hash``? Compared in constant time; bad input: False."""
    if not stored_hash:
        return False
    try:
        digits = normalise(value)
    except ValidationFailed:
        return False
    return hmac.compare_digest(_digest(digits), stored_hash)


def display_digits(value: str, *, field: str = "id_number") -> str:
    """The last digits kept for display (see the module docstring for why three)."""
    return normalise(value, field=field)[-DISPLAY_DIGITS:]


def mask(last_digits: str | None) -> str | None:
    """``"123"`` → ``"*********123"``; None when no number was recorded."""
    if not last_digits:
        return None
    return "*" * (PERSON_ID_LENGTH - len(last_digits)) + last_digits
