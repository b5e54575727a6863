"""HTML blueprints, one module per workspace; each module exposes ``bp``."""

from __future__ import annotations

import importlib

import flask_babel
from flask import Flask

from core.formatting import format_quantity

WEB_MODULES: list[str] = [
    "app.api.docs",
    "app.web.auth",
    "app.web.shell",
    "app.web.organisations",
    "app.web.account",
    "app.web.batches",
    "app.epcis",
    "app.web.batch_operations",
    "app.web.labels",
    "app.web.lab_results",
    "app.web.corrections",
    "app.web.areas",
    "app.web.members",
    "app.web.certifications",
    "app.web.products",
    "app.resolver",
    "app.public",
    "app.web.reports",
    "app.web.contracts",
    "app.web.linkage_projects",
    "app.web.suppliers",
    "app.web.indicator",
    "app.web.indicator_targets",
    "app.web.indicator_publications",
]


def register(app: Flask) -> None:
    # Locale-aware formatting everywhere in templates: dates and numbers read the Vietnamese
    # way (23/11/2026, 4.266.000.000) or the English way, from the same template.
    app.jinja_env.globals.update(
        format_date=flask_babel.format_date,
        format_datetime=flask_babel.format_datetime,
        format_number=format_quantity,
        # A ratio from 0 to 1 as the reader writes a percentage ("54 %", "54%").
        format_percent=lambda ratio: "—" if ratio is None else flask_babel.format_percent(
            ratio, "#,##0.#%"
        ),
    )
    app.jinja_env.filters["quantity"] = format_quantity  # {{ value|quantity }}
    for name in WEB_MODULES:
        app.register_blueprint(importlib.import_module(name).bp)
