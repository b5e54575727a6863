"""Static files: fingerprinted names, far-future caching, pre-compressed bodies.

``flask digest compile`` (Flask-Static-Digest; ``make run`` and ``make test`` run it) copies
each file under ``static/`` to a name carrying the MD5 of its content (``css/app-<md5>.css``),
writes ``.gz`` and ``.br`` next to each, and lists the names in ``static/cache_manifest.json``.
Here ``url_for('static', filename=…)`` turns into the fingerprinted name when the manifest has
it, and WhiteNoise serves the files: the fingerprinted ones as immutable (a ``max-age`` of ten
years), the plain names for a minute, each as brotli or gzip when the client accepts it
(``Vary: Accept-Encoding``). Without the build step every name stays plain and is still served.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from wsgiref.headers import Headers

from flask import Flask
from whitenoise import WhiteNoise

MANIFEST = "cache_manifest.json"
PLAIN_MAX_AGE = 60  # seconds: a plain name may change content with the next release

log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    folder = Path(app.static_folder or "static")
    prefix = f"{(app.static_url_path or '/static').rstrip('/')}/"
    manifest = read_manifest(folder / MANIFEST)
    fingerprinted = frozenset(prefix + name for name in manifest.values())

    @app.url_defaults
    def fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]

    def is_fingerprinted(_path: str, url: str) -> bool:
        return url in fingerprinted

    def add_headers(headers: Headers, _path: str, _url: str) -> None:
        headers["X-Content-Type-Options"] = "nosniff"  # as on every other response

    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app,
        root=folder,
        prefix=prefix,
        max_age=PLAIN_MAX_AGE,
        allow_all_origins=False,
        immutable_file_test=is_fingerprinted,
        add_headers_function=add_headers,
    )


def read_manifest(path: Path) -> dict[str, str]:
    """Plain name -> fingerprinted name, or nothing when the build step has not run."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable static manifest %s: %s", path, exc)
        return {}
    return {str(k): str(v) for k, v in manifest.items()} if isinstance(manifest, dict) else {}
