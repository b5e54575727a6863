"""A stored private file sent as a download, the same way from the API and the pages: the
file name kept (ASCII fallback and RFC 5987 UTF-8), never cached by a shared cache, never
sniffed into another type by the browser."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response


def private_download(content: bytes, mimetype: str, filename: str, sha256: str) -> Response:
    """``content`` as an attachment named ``filename``, its ETag the hash of its bytes."""
    response = Response(content, mimetype=mimetype)
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    ascii_name = ascii_name.replace('"', "_").replace("\\", "_")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["ETag"] = f'"{sha256}"'
    return response
