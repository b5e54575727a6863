"""JSON API (flask-smorest): one module per resource family, all registered here."""

from __future__ import annotations

from flask import Flask

from app.extensions import api

API_MODULES: list[str] = [
    "app.api.account",
    "app.api.organisations",
    "app.api.places",
    "app.api.members",
    "app.api.certifications",
]


def register(app: Flask) -> None:
    import importlib

    api.init_app(app)
    for name in API_MODULES:
        module = importlib.import_module(name)
        api.register_blueprint(module.blp)
