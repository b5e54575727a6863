"""JSON API (flask-smorest): one module per resource family, all registered here.

The flask-smorest ``api`` lives here rather than in ``app.extensions``: its published
contract (``app.api.openapi``) depends on ``app.errors``, which depends on the extensions.
"""

from __future__ import annotations

import importlib

from flask import Flask

from app.api.openapi import HtxApi
from app.auth.limits import limit_api

API_MODULES: list[str] = [
    "app.api.account",
    "app.api.organisations",
    "app.api.places",
    "app.api.members",
    "app.api.certifications",
    "app.api.products",
    "app.api.areas",
    "app.api.batches",
    "app.api.exports",
]

api = HtxApi()


def register(app: Flask) -> None:
    api.init_app(app)
    for name in API_MODULES:
        blp = importlib.import_module(name).blp
        # Anonymous reads (places, the public registry) are limited per client address;
        # token-authenticated calls are accountable to a user (see app.auth.limits).
        limit_api(blp)
        api.register_blueprint(blp)
