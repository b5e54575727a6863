"""Objects a Flask app keeps per process (caches, buffers), made once on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app

__all__ = ["per_app"]

T = TypeVar("T")
_MAKING = threading.Lock()


def per_app(name: str, make: Callable[[Flask], T]) -> T:
    """The current app's object called ``name`` in ``app.extensions``, made by
    ``make(app)`` the first time: once, even when two threads of a worker ask at once
    (a scan buffer registers its exit hook once)."""
    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(name)
    if found is None:
        with _MAKING:
            found = app.extensions.get(name)
            if found is None:
                found = app.extensions[name] = make(app)
    return found  # type: ignore[no-any-return]
