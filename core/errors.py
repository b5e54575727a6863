"""Domain errors: services raise these; ``app.errors`` maps each to HTTP once.

Field errors are a mapping of a field path (``"address.commune_code"``) to a list of
messages, so the API can name the failing field and a form can show the message beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

FieldErrors = Mapping[str, Sequence[str]]


class DomainError(Exception):
    status: int = 400
    kind: str = "bad-request"

    def __init__(
        self, detail: Any = None, *, field_errors: FieldErrors | None = None
    ) -> None:
        super().__init__(str(detail) if detail is not None else self.kind)
        self.detail = detail
        self.field_errors: dict[str, list[str]] = {
            k: [str(m) for m in v] for k, v in (field_errors or {}).items()
        }


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it exists."""

    status = 404
    kind = "not-found"


class Forbidden(DomainError):
    """The actor may see the object but not do this to it."""

    status = 403
    kind = "forbidden"


class Unauthenticated(DomainError):
    status = 401
    kind = "unauthenticated"


class Conflict(DomainError):
    """The request clashes with existing state (duplicate code, stale state)."""

    status = 409
    kind = "conflict"


class ValidationFailed(DomainError):
    """Input that parses but breaks a rule; always carries field errors."""

    status = 422
    kind = "validation"


class MalformedInput(DomainError):
    """Input that cannot be read as sent (not JSON, nested too deep): 400, naming where."""

    status = 400
    kind = "validation"
