"""Lineage benchmark: traces in a generated genealogy of 1,000,000 lots, in one run.

``.venv/bin/python bench/lineage.py`` (``make bench`` runs it after the HTTP benchmark):

1. for each database (a throwaway SQLite file; plus a throwaway PostgreSQL database when
   ``BENCH_DATABASE_URL`` names a server, dropped afterwards), creates the schema and loads a
   genealogy of ``--lots`` lots over six generations, each lot made from 1–5 lots of the
   generation before (1.6 M edges for 1 M lots), one transformation event per made lot, the
   lots spread over 2,000 organisations: Core executemany in big chunks on SQLite, ``COPY``
   on PostgreSQL (then ``VACUUM ANALYZE``, as autovacuum would);
2. measures, on random mid-generation lots, interleaved so both see the same machine:
   (a) the bare recursive query over the edges — all ancestors and all descendants of the
       lot, ids only, two statements;
   (b) the full backward + forward trace through ``traceability.services.lineage``
       (``trace_back`` + ``trace_forward``: permission check, the lots' details, links,
       origins, households, shipments) — the aim is ≤ 3× (a);
   (c) a recall forward from 10,000 harvest lots (``recall_forward``) — aim < 200 ms — from
       a block of neighbouring harvests (one region's season, as a real recall is) and from
       harvests scattered at random over the country (the worst case: every cone apart),
       each against the bare recursive walk from the same lots, in the same round; on
       PostgreSQL also the statement with the planner's default settings, to show what the
       steering is for;
3. appends a dated section to ``bench/RESULTS.md``.

Medians are reported; absolute figures drift with the machine, the ratio (b)/(a) is what to
compare across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from environment import (  # noqa: E402
    code_line,
    machine_line,
    postgresql_database,
    record,
    sqlite_database,
)

GENERATION_SHARES = (0.49, 0.19, 0.12, 0.09, 0.065, 0.045)  # harvest lots first
ORGANISATIONS = 2_000
CHUNK = 50_000

BARE_ANCESTORS = (
    "WITH RECURSIVE a(id) AS (SELECT CAST(:id AS INTEGER) UNION "
    "SELECT l.parent_id FROM a JOIN batch_links l ON l.child_id = a.id) SELECT id FROM a"
)
BARE_DESCENDANTS = (
    "WITH RECURSIVE d(id) AS (SELECT CAST(:id AS INTEGER) UNION "
    "SELECT l.child_id FROM d JOIN batch_links l ON l.parent_id = d.id) SELECT id FROM d"
)
# The recall's ceiling: the same walk from many lots, ids only, the ids passed as one
# parameter as recall_forward passes them (a JSON text on SQLite, an array on PostgreSQL).
BARE_RECALL = {
    "sqlite": "WITH RECURSIVE r(id) AS (SELECT CAST(value AS INTEGER) FROM json_each(:ids) "
              "UNION SELECT l.child_id FROM r JOIN batch_links l ON l.parent_id = r.id) "
              "SELECT id FROM r",
    "postgresql": "WITH RECURSIVE r(id) AS (SELECT unnest(CAST(:ids AS integer[])) "
                  "UNION SELECT l.child_id FROM r JOIN batch_links l ON l.parent_id = r.id) "
                  "SELECT id FROM r",
}
# On PostgreSQL the bare recall runs with the settings recall_forward uses (nested loops, no
# JIT): with the defaults it is the plan, not the walk, that is measured.
PG_RECALL_SETTINGS = ("SET LOCAL enable_hashjoin = off", "SET LOCAL enable_mergejoin = off",
                      "SET LOCAL jit = off")


# ---------------------------------------------------------------------------------------------
# The genealogy


class Genealogy:
    """Lot ids 1..n by generation; edges (parent, child), each child made by event ``child``."""

    def __init__(self, lots: int, seed: int = 20260301) -> None:
        rng = random.Random(seed)
        sizes = [int(lots * share) for share in GENERATION_SHARES]
        sizes[0] += lots - sum(sizes)
        self.generations: list[range] = []
        start = 1
        for size in sizes:
            self.generations.append(range(start, start + size))
            start += size
        self.edges: list[tuple[int, int]] = []
        for parents, children in zip(self.generations, self.generations[1:], strict=False):
            ratio = len(parents) / len(children)
            for j, child in enumerate(children):
                # The block of parents under this child (every parent gets a child), topped
                # up to 1–5 parents from the neighbourhood: fan-in 1–5, fan-out mostly 1–5.
                low, high = int(j * ratio), max(int((j + 1) * ratio), int(j * ratio) + 1)
                chosen = set(range(low, min(high, len(parents))))
                wanted = rng.randint(1, 5)
                if len(chosen) < wanted:
                    near = range(max(0, low - 8), min(len(parents), high + 8))
                    extra = [i for i in rng.sample(near, min(len(near), wanted))
                             if i not in chosen]
                    chosen.update(extra[: wanted - len(chosen)])
                self.edges.extend((parents[i], child) for i in chosen)
        self.edges.sort()
        self.lots = lots

    def made(self) -> range:
        """Lots made by an event (every generation but the harvests)."""
        return range(self.generations[1].start, self.lots + 1)


def organisation_of(lot: int) -> int:
    return (lot * 7919) % ORGANISATIONS + 1


def _chunks(rows: Iterator[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def load(genealogy: Genealogy) -> None:
    """Create the schema and load the genealogy (inside an app context)."""
    from sqlalchemy import insert

    from core.db import db
    from linkages.models.organisations import Organisation
    from traceability.models import Batch, BatchLink, EpcisEvent, Product

    db.create_all()
    now = datetime(2026, 3, 1, tzinfo=UTC)
    engine = db.engine
    with engine.begin() as conn:
        conn.execute(insert(Organisation), [
            {"id": i, "registration_code": f"09{i:08d}", "name": f"Organisation {i}",
             "org_type": "htx"} for i in range(1, ORGANISATIONS + 1)
        ])
        conn.execute(insert(Product), [
            {"id": i, "organisation_id": i, "code": f"P{i}", "name": f"Product {i}",
             "commodity": "coffee", "default_unit": "kg"} for i in range(1, ORGANISATIONS + 1)
        ])

    def batches() -> Iterator[tuple[Any, ...]]:
        for i in range(1, genealogy.lots + 1):
            org = organisation_of(i)
            uri = f"https://trace.example.vn/b/{i}"
            yield (i, org, org, f"L{i}", uri, uri, 100, "kg", 100, "", "active", "", now, now)

    batch_columns = ("id", "organisation_id", "product_id", "lot_code", "identifier",
                     "canonical_id", "quantity", "unit", "quantity_kg", "grade", "status",
                     "phi_override_reason", "created_at", "updated_at")

    def events() -> Iterator[tuple[Any, ...]]:
        for i in genealogy.made():
            yield (i, f"ni:///bench-{i}", False, "TransformationEvent", now, "+07:00", now, "{}")

    event_columns = ("id", "event_id", "declares_error", "event_type", "event_time",
                     "event_tz_offset", "record_time", "document")
    links = ((p, c, c, 10) for p, c in genealogy.edges)
    link_columns = ("parent_id", "child_id", "event_pk", "quantity_kg")

    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            pg = raw.driver_connection
            with pg.cursor() as cur:
                # A throwaway database: no foreign-key triggers while loading.
                cur.execute("SET session_replication_role = replica")
                for table, columns, rows in (("batches", batch_columns, batches()),
                                             ("epcis_events", event_columns, events()),
                                             ("batch_links", link_columns, links)):
                    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            pg.commit()
            pg.autocommit = True
            with pg.cursor() as cur:
                cur.execute("VACUUM ANALYZE batches, epcis_events, batch_links, organisations,"
                            " products")
            pg.autocommit = False
        finally:
            raw.close()
        return

    raw = engine.raw_connection()
    try:
        # Before any transaction: sqlite ignores this pragma inside one.
        raw.driver_connection.execute("PRAGMA foreign_keys=OFF")
    finally:
        raw.close()
    with engine.begin() as conn:
        for table, columns, rows in ((Batch, batch_columns, batches()),
                                     (EpcisEvent, event_columns, events()),
                                     (BatchLink, link_columns, links)):
            for chunk in _chunks(rows):
                conn.execute(insert(table), [dict(zip(columns, row, strict=True))
                                             for row in chunk])
    engine.dispose()  # drop the connection whose foreign keys are off


# ---------------------------------------------------------------------------------------------
# Measurements


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def measure(genealogy: Genealogy, samples: int, recalls: int) -> dict[str, Any]:
    from sqlalchemy import text

    from core.actor import Actor, OrgRole
    from core.db import db
    from traceability.services import lineage

    rng = random.Random(7)
    session = db.session
    ancestors_sql, descendants_sql = text(BARE_ANCESTORS), text(BARE_DESCENDANTS)

    def bare(lot: int) -> int:
        up = session.execute(ancestors_sql, {"id": lot}).scalars().all()
        down = session.execute(descendants_sql, {"id": lot}).scalars().all()
        return len(up) + len(down) - 2

    def trace(lot: int) -> int:
        actor = Actor(user_id=1, organisation_id=organisation_of(lot), org_role=OrgRole.STAFF)
        back = lineage.trace_back(actor, lot)
        forward = lineage.trace_forward(actor, lot)
        return len(back.lots) + len(forward.lots)

    def ids_only(lot: int) -> int:
        return len(lineage.ancestors(lot)) + len(lineage.descendants(lot))

    middle = list(genealogy.generations[2]) + list(genealogy.generations[3])
    lots = rng.sample(middle, samples + 50)
    for lot in lots[:50]:  # warm the caches, the statement cache and psycopg's prepared plans
        bare(lot), trace(lot), ids_only(lot)
    times: dict[str, list[float]] = {"bare": [], "trace": [], "ids": []}
    sizes: list[int] = []
    for lot in lots[50:]:
        elapsed, count_bare = _timed(lambda lot=lot: bare(lot))
        times["bare"].append(elapsed)
        elapsed, count_trace = _timed(lambda lot=lot: trace(lot))
        times["trace"].append(elapsed)
        times["ids"].append(_timed(lambda lot=lot: ids_only(lot))[0])
        if count_trace != count_bare:
            raise RuntimeError(f"lot {lot}: trace found {count_trace} lots, bare {count_bare}")
        sizes.append(count_bare)
    session.rollback()

    # Two kinds of recall from 10,000 harvest lots: scattered at random over the whole
    # country's harvests (the worst case: every cone separate), and one block of neighbouring
    # harvests (one region's season: the cones overlap, as in a real recall).
    harvests = list(genealogy.generations[0])
    dialect = session.get_bind().dialect.name
    bare_recall = text(BARE_RECALL[dialect])

    def bare_recall_of(starts: list[int]) -> int:
        starts = sorted(starts)  # as recall_forward does: neighbouring index pages together
        if dialect == "postgresql":
            for setting in PG_RECALL_SETTINGS:
                session.execute(text(setting))
            ids: Any = starts
        else:
            ids = json.dumps(starts)
        return len(session.execute(bare_recall, {"ids": ids}).scalars().all())

    recall: dict[str, tuple[list[float], list[int]]] = {"random": ([], []), "block": ([], [])}
    recall_bare: dict[str, list[float]] = {"random": [], "block": []}
    for i in range(recalls + 1):
        for kind, (spent, found_sizes) in recall.items():
            if kind == "random":
                starts = rng.sample(harvests, 10_000)
            else:
                first = rng.randrange(len(harvests) - 10_000)
                starts = harvests[first:first + 10_000]
            # Each goes first every other round: the first one reads the pages from the OS.
            for turn in (0, 1) if i % 2 else (1, 0):
                if turn == 0:
                    elapsed_bare, count_bare = _timed(
                        lambda starts=starts: bare_recall_of(starts))
                else:
                    elapsed, found = _timed(
                        lambda starts=starts: lineage.recall_forward(starts))
                session.rollback()
            if len(found) != count_bare:
                raise RuntimeError(f"recall found {len(found)} lots, bare {count_bare}")
            if i:  # the first round warms up
                spent.append(elapsed)
                found_sizes.append(len(found))
                recall_bare[kind].append(elapsed_bare)

    default_ms = None
    if session.get_bind().dialect.name == "postgresql":
        # The same statement without the steering, for the record.
        starts = rng.sample(harvests, 10_000)
        statement = lineage._RECALL["postgresql"]
        elapsed, _ = _timed(lambda: session.execute(statement, {"ids": starts}).all())
        session.rollback()
        default_ms = elapsed * 1000

    return {
        "samples": samples,
        "lots_per_trace": (min(sizes), statistics.median(sizes), max(sizes)),
        "bare_ms": _median_ms(times["bare"]),
        "trace_ms": _median_ms(times["trace"]),
        "ids_ms": _median_ms(times["ids"]),
        "trace_p90_ms": statistics.quantiles(times["trace"], n=10)[-1] * 1000,
        "bare_p90_ms": statistics.quantiles(times["bare"], n=10)[-1] * 1000,
        "recalls": recalls,
        **{f"recall_{kind}_ms": _median_ms(spent) for kind, (spent, _) in recall.items()},
        **{f"recall_{kind}_bare_ms": _median_ms(spent) for kind, spent in recall_bare.items()},
        **{f"recall_{kind}_lots": (min(n), max(n)) for kind, (_, n) in recall.items()},
        "recall_default_ms": default_ms,
    }


def run_database(label: str, url: str, genealogy: Genealogy, args: argparse.Namespace
                 ) -> dict[str, Any]:
    from app import create_app
    from app.config import normalise_database_url
    from core.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                      "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench",
                      "PERSON_ID_HASH_KEY": "bench"})
    with app.app_context():
        try:
            print(f"[{label}] loading {genealogy.lots:,} lots, {len(genealogy.edges):,} edges",
                  flush=True)
            load_s, _ = _timed(lambda: load(genealogy))
            print(f"[{label}] loaded in {load_s:.0f} s; measuring", flush=True)
            result = measure(genealogy, args.samples, args.recalls)
            result["load_s"] = load_s
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect() as conn:
                    version = conn.exec_driver_sql("SHOW server_version").scalar_one()
                result["version"] = f"PostgreSQL {str(version).split(' ')[0]}"
            else:
                result["version"] = f"SQLite {sqlite3.sqlite_version}"
            print(f"[{label}] {json.dumps(result, default=str)}", flush=True)
            return result
        finally:
            db.session.remove()
            db.engine.dispose()


# ---------------------------------------------------------------------------------------------
# Report


def machine_lines(load_before: tuple[float, ...], load_after: tuple[float, ...]) -> list[str]:
    return [
        machine_line(),
        f"- Python {platform.python_version()}, SQLAlchemy through the app's session "
        "(psycopg 3 on PostgreSQL), stock database settings",
        f"- load: 1-min load average {load_before[0]:.2f} before the run, "
        f"{load_after[0]:.2f} after"
        + (" (other work shared the cores: absolute figures are high, ratios still hold)"
           if max(load_before[0], load_after[0]) > 0.5 else ""),
        code_line(),
    ]


def report(results: dict[str, dict[str, Any]], genealogy: Genealogy, machine: list[str],
           note: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sizes = [len(g) for g in genealogy.generations]
    out = [f"## {stamp} — lineage (bench/lineage.py)", "", *machine]
    if note:
        out.append(f"- note: {note}")
    out += [
        f"- genealogy: {genealogy.lots:,} lots in six generations "
        f"({', '.join(f'{s:,}' for s in sizes)}), {len(genealogy.edges):,} edges "
        "(fan-in 1–5), one event per made lot, 2,000 organisations",
        "- (a) bare: recursive CTE (UNION) over batch_links, ancestors + descendants of one "
        "mid-generation lot, ids only, two statements; (b) trace: `trace_back` + "
        "`trace_forward` of the same lot by its owner (one statement each: lots with product "
        "and organisation, links, shipments, origins and households); ids: `ancestors` + "
        "`descendants` (depths); (c) recall: `recall_forward` from 10,000 harvest lots, one "
        "block of neighbouring harvests (one region's season) or scattered at random over all "
        "harvests, against the bare walk (ids only) from the same lots in the same round",
        "",
        "| database | load | lots per trace (min/median/max) | (a) bare ms | (b) trace ms "
        "| (b)/(a) | ids ms |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    recall_rows = [
        "| database | recall from | lots reached | bare walk ms | `recall_forward` ms "
        "| / bare | default planner |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in results.values():
        low, mid, high = r["lots_per_trace"]
        default = (f"{r['recall_default_ms']:.0f} ms" if r["recall_default_ms"] is not None
                   else "—")
        out.append(
            f"| {r['version']} | {r['load_s']:.0f} s | {low}/{mid:.0f}/{high} | "
            f"{r['bare_ms']:.3f} | {r['trace_ms']:.3f} | {r['trace_ms'] / r['bare_ms']:.2f} | "
            f"{r['ids_ms']:.3f} |"
        )
        for kind, what in (("block", "10,000 neighbouring harvests"),
                           ("random", "10,000 harvests scattered at random")):
            lots = r[f"recall_{kind}_lots"]
            recall_rows.append(
                f"| {r['version']} | {what} | {lots[0]:,}–{lots[1]:,} | "
                f"{r[f'recall_{kind}_bare_ms']:.0f} | {r[f'recall_{kind}_ms']:.0f} | "
                f"{r[f'recall_{kind}_ms'] / r[f'recall_{kind}_bare_ms']:.2f} | "
                f"{default if kind == 'random' else '—'} |"
            )
    out += ["", *recall_rows]
    out.append("")
    out.append(f"Medians over {next(iter(results.values()))['samples']} random lots (a, b "
               f"interleaved) and {next(iter(results.values()))['recalls']} recalls.")
    out.append("")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300, help="random lots traced")
    parser.add_argument("--recalls", type=int, default=7, help="recalls of 10,000 lots")
    parser.add_argument("--note", default="", help="a line for the report (e.g. shared host)")
    parser.add_argument("--no-record", action="store_true", help="print, do not append")
    args = parser.parse_args(argv)
    if not 60_000 <= args.lots <= 2_000_000:
        parser.error("--lots: 60,000 to 2,000,000")

    load_before = os.getloadavg()
    started = time.perf_counter()
    genealogy = Genealogy(args.lots)
    print(f"genealogy generated in {time.perf_counter() - started:.0f} s", flush=True)
    databases: list[tuple[str, Callable[[], Any]]] = [
        ("SQLite", lambda: sqlite_database("htx-lineage"))]
    server_url = os.environ.get("BENCH_DATABASE_URL")
    if server_url:
        databases.append(("PostgreSQL", lambda: postgresql_database(server_url, "htx_lineage")))
    results: dict[str, dict[str, Any]] = {}
    for label, make_database in databases:
        with make_database() as url:
            results[label] = run_database(label, url, genealogy, args)
    section = report(results, genealogy, machine_lines(load_before, os.getloadavg()),
                     args.note)
    print()
    print(section)
    if not args.no_record:
        record(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
