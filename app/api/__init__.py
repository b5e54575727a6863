"""JSON API (flask-smorest): one module per resource family, all registered here.

The flask-smorest ``api`` lives here rather than in ``app.extensions``: its published
contract (``app.api.openapi``) depends on ``app.errors``, which depends on the extensions.
"""

from __future__ import annotations

import importlib

from flask import Flask

from app.api.openapi import HtxApi
from app.auth.limits import limit_api

# Module -> the tag its operations are listed under in /api/openapi.json and /api/docs
# (the blueprint's description describes it); in the order the docs page shows them.
API_MODULES: dict[str, str] = {
    "app.api.account": "Account",
    "app.api.organisations": "Organisations",
    "app.api.places": "Places",
    "app.api.members": "Members",
    "app.api.certifications": "Certifications",
    "app.api.products": "Products",
    "app.api.areas": "Production areas",
    "app.api.batches": "Batches",
    "app.api.lab_results": "Lab results",
    "app.api.exports": "Exports",
    "app.api.contracts": "Linkage contracts",
    "app.api.deliveries": "Deliveries",
    "app.api.linkage_projects": "Linkage projects",
    "app.api.suppliers": "Suppliers",
    "app.api.indicator": "Linkage indicator",
    "app.api.targets": "Indicator targets",
    "app.api.publications": "Published figures",
}

api = HtxApi()


def register(app: Flask) -> None:
    api.init_app(app)
    for name, tag in API_MODULES.items():
        blp = importlib.import_module(name).blp
        # Anonymous reads (places, the public registry) are limited per client address;
        # token-authenticated calls are accountable to a user (see app.auth.limits).
        limit_api(blp)
        api.register_blueprint(blp, tag=tag)
