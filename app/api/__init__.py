"""JSON API (flask-smorest): one module per resource family, all registered here."""

from __future__ import annotations

import importlib

from flask import Flask, current_app, request

from app.extensions import api, limiter

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


def _has_bearer_token() -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def _public_limit() -> str:
    return str(current_app.config["RATELIMIT_PUBLIC"])


def register(app: Flask) -> None:
    api.init_app(app)
    for name in API_MODULES:
        blp = importlib.import_module(name).blp
        # Anonymous reads (places, the public registry) are limited per client address;
        # token-authenticated calls are accountable to a user and not limited here.
        limiter.limit(_public_limit, exempt_when=_has_bearer_token)(blp)
        api.register_blueprint(blp)
