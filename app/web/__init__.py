"""HTML blueprints, one module per workspace; each module exposes ``bp``."""

from __future__ import annotations

import importlib

from flask import Flask

WEB_MODULES: list[str] = [
    "app.api.docs",
    "app.web.auth",
    "app.web.shell",
    "app.web.organisations",
]


def register(app: Flask) -> None:
    for name in WEB_MODULES:
        app.register_blueprint(importlib.import_module(name).bp)
