"""A file field's bytes, the same way for the API and the pages."""

from __future__ import annotations

from typing import Any


def uploaded_bytes(upload: Any) -> bytes:
    """The bytes of an uploaded file (a ``FileStorage``); empty when the field held no file
    (a plain text value sent in its place, or nothing): the service then refuses it with
    its own message on the field."""
    return upload.read() if upload is not None and hasattr(upload, "read") else b""
