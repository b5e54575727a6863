"""``flask places …``: load the shipped snapshot of provinces, communes and regions."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core.db import db
from linkages.services.places import load_places

places = AppGroup("places", help="Administrative places (reference data).")


@places.command("load")
def load() -> None:
    """Insert or update places from the snapshot; safe to run again (never deletes)."""
    report = load_places()
    db.session.commit()
    for table, counts in report.tables.items():
        click.echo(
            f"{table}: {counts.total} in snapshot, {counts.inserted} inserted, "
            f"{counts.updated} updated"
            + (f", {counts.stale} not in snapshot (kept)" if counts.stale else "")
        )
    if not report.changed:
        click.echo("places already up to date")


commands = [places]
