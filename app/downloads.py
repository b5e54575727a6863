"""Files sent as downloads, the same way from the API and the pages: the file name kept
(ASCII fallback and RFC 5987 UTF-8), never cached by a shared cache, never sniffed into
another type by the browser."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response


def attachment(body: Any, mimetype: str, filename: str) -> Response:
    """``body`` (bytes, text or an iterator of chunks) as a download named ``filename``.
    Werkzeug adds "; charset=utf-8" to a text/* media type itself."""
    response = Response(body, mimetype=mimetype)
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    ascii_name = ascii_name.replace('"', "_").replace("\\", "_")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def private_download(content: bytes, mimetype: str, filename: str, sha256: str) -> Response:
    """A stored private file as an attachment named ``filename``, its ETag the hash of
    its bytes."""
    response = attachment(content, mimetype, filename)
    response.headers["ETag"] = f'"{sha256}"'
    return response
