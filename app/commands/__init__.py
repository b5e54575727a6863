"""``flask`` CLI commands, one module per family; each module lists its ``commands``."""

from __future__ import annotations

import importlib

from flask import Flask

COMMAND_MODULES = [
    "app.commands.accounts",
    "app.commands.places",
    "app.commands.demo",
]


def register(app: Flask) -> None:
    for name in COMMAND_MODULES:
        for command in importlib.import_module(name).commands:
            app.cli.add_command(command)
