"""``flask seed-demo``: the fictitious demo country (``app.demo.country``)."""

from __future__ import annotations

import time

import click

from app.demo.country import (
    DEFAULT_SEED,
    DemoSeedError,
    iter_account_rows,
    registry_is_empty,
    seed_demo_country,
)
from app.demo.showcase import showcase_lots
from core.db import db
from core.errors import DomainError


@click.command("seed-demo")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Seed of the generator: the same seed gives the same country.")
@click.option("--if-empty", is_flag=True,
              help="Do nothing (and succeed) when organisations already exist.")
def seed_demo(seed: int, if_empty: bool) -> None:
    """Create the demo country in an empty database and print the demo accounts.

    The demo is never added to existing data (no duplicates, no mixing with real records):
    without --if-empty, a database that already holds organisations is refused. Needs the
    places (`flask places load`).
    """
    if not registry_is_empty():
        if if_empty:
            click.echo("Organisations already exist: demo country not seeded (--if-empty).")
            return
        raise click.ClickException(
            "Organisations already exist: the demo country is seeded only into an empty "
            "database. Use --if-empty to skip quietly, or a fresh database to reseed."
        )
    started = time.perf_counter()
    try:
        report = seed_demo_country(seed)
        db.session.commit()
    except (DemoSeedError, DomainError) as error:
        db.session.rollback()
        detail = getattr(error, "field_errors", None)
        raise click.ClickException(f"{error}{f' {detail}' if detail else ''}") from error
    elapsed = time.perf_counter() - started

    counts = report.counts
    click.echo(f"Demo country seeded (seed {report.seed}) in {elapsed:.1f} s:")
    click.echo(
        f"  {counts['organisations_htx']} cooperatives (HTX), "
        f"{counts['organisations_lhhtx']} unions (LHHTX), "
        f"{counts['organisations_tht']} cooperative groups (THT), "
        f"{counts['organisations_dn']} enterprises (DN, branches included), "
        f"{counts['organisations_household_business']} household businesses "
        f"in {counts['provinces']} provinces"
    )
    click.echo(
        f"  {counts['members']} registered members, {counts['yearly_figures']} yearly "
        f"figures, {counts['union_memberships']} union memberships, "
        f"{counts['certifications']} certifications, high-tech: "
        f"{counts['high_tech_verified']} verified + {counts['high_tech_claimed']} claimed"
    )
    if "batches" in counts:  # the traceability data (app.demo.traces)
        click.echo(
            f"  traceability: {counts['products']} products, {counts['production_areas']} "
            f"production areas, {counts['diary_entries']} diary entries, {counts['batches']} "
            f"lots, {counts['events']} EPCIS events, {counts['shipments']} shipments, "
            f"{counts['batch_links']} lineage links"
        )
    click.echo("")
    click.echo("Demo accounts (local evaluation only; never seed a production database):")
    rows = [("E-mail", "Password", "Role", "Organisation"), *iter_account_rows()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        click.echo("  " + "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[3]]
        ))
    click.echo("")
    _echo_showcase()


@click.command("demo-urls")
def demo_urls() -> None:
    """Print the demo's lots to scan: each one's trace page, the URI its label's QR code
    holds (the resolver redirects it to the page) and its lot page (to print labels)."""
    if not _echo_showcase():
        raise click.ClickException(
            "No demo lots here: seed the demo country first (`flask seed-demo`)."
        )


def _echo_showcase() -> bool:
    lots = showcase_lots()
    if not lots:
        return False
    click.echo("Demo lots to scan (open the trace page, or scan the label's QR code):")
    for lot in lots:
        unit = f", serial {lot.serial}" if lot.serial else ""
        click.echo(f"  {lot.kind}: {lot.what}")
        click.echo(f"    {lot.product}, lot {lot.lot_code}{unit} ({lot.organisation})")
        click.echo(f"    trace page: {lot.url(lot.trace_path)}")
        click.echo(f"    label (QR): {lot.url(lot.label_path)}")
        click.echo(f"    lot page:   {lot.url(f'/batches/{lot.batch_id}')} (Print labels)")
    return True


commands = [seed_demo, demo_urls]
