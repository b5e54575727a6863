"""Linkage indicator benchmark: every variant by province, and one province's drill-down,
over a generated country of 45,000 HTX, 140,000 contracts and 2 million deliveries
(issue 12, "Done when"; the country is described in bench/indicator_country.py).

``.venv/bin/python bench/indicator.py --db sqlite:////tmp/htx_bench_indicator.db
--db postgresql://postgres@127.0.0.1/htx_bench_indicator`` (each ``--db`` is measured in
the same run; default: the SQLite file only):

1. brings each database to the migrations' head (``flask db upgrade``, as ``make run``
   does) and, when it does not already hold the country of this ``--seed`` and ``--scale``
   (a marker table ``bench_indicator_meta`` says which), recreates it empty, migrates it,
   loads the places and generates the country — minutes at full scale, so the database is
   kept and reused (a SQLite file under /tmp; the PostgreSQL database named in the URL,
   dropped and recreated when it holds something else); ``VACUUM ANALYZE`` on PostgreSQL, as
   autovacuum would after a bulk load; SQLite is left without statistics, as the app
   leaves it;
2. measures, as a platform admin (``core.actor.Actor``) and through the service the API
   calls, for statistical year ``--year`` as of today: ``service.figure(variant=…,
   breakdown="province")`` for A, B, C, D, E and the volume-weighted variant (the total and
   the 34 provinces: two statements), and ``service.drill`` of the province with the most
   HTX, as the API's page does it (the first page of 50 rows and the total, in one
   statement); unless ``--no-pages``, the figures beside the indicator, everything the
   dashboard page computes (the year and the year before) and publishing the year before
   for the whole country (rolled back after each round); beside them, the **floors**
   (bench/indicator_floor.py): A and the volume by province read from today's rows with no
   history, what any computation of them reads at least, to tell the machine's speed from
   the code's cost when runs on different machines are compared;
   ``--rounds`` rounds after a warm-up round, in alternating order, so that the load other
   work puts on a shared machine falls on every target alike;
3. appends a dated section to ``bench/RESULTS.md`` with the median, p90 and max of each
   target, the figures themselves, whether the aims are met (PostgreSQL: under 0.5 s per
   variant by province, under 0.3 s for the drill-down), and ``uptime`` before and after.

``--explain DIR`` also writes, for each target, the plan of every statement it runs
(``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL, under the settings the statement ran with:
``query.plan_for_analysis``'s, ``EXPLAIN QUERY PLAN`` on SQLite), to see why an aim is
missed. ``--figure-variants`` and ``--drill-variants`` choose the targets (while working
on one of them). ``--scale 0.05`` makes a country of 2,250 HTX for a quick trial (use
another file or database than the full-scale one, or it is regenerated).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import indicator_country as country  # noqa: E402
from environment import code_line, machine_line, record  # noqa: E402

BIN = ROOT / ".venv" / "bin"
DEFAULT_DB = "sqlite:////tmp/htx_bench_indicator.db"
META_TABLE = "bench_indicator_meta"
VARIANTS = ("A", "B", "C", "D", "E", "V")
PAGE_SIZE = 50
AIM_FIGURE_S = 0.5  # per variant by province, PostgreSQL (issue 12)
AIM_DRILL_S = 0.3  # drill-down of one province, PostgreSQL (issue 12)


# ---------------------------------------------------------------------------------------------
# The database


def _engine_url(url: str) -> str:
    from app.config import normalise_database_url

    return normalise_database_url(url)


def fingerprint(scale: float, seed: int) -> str:
    """What the database must hold to be reused: the generator's version, seed and scale."""
    return f"generator {country.GENERATOR_VERSION}, seed {seed}, scale {scale:g}"


def stored_fingerprint(url: str) -> str | None:
    """The fingerprint of the country in the database, None when there is none (or no
    database)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    if url.startswith("sqlite") and not Path(url.split("///", 1)[1]).exists():
        return None
    engine = create_engine(_engine_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(
                text(f"SELECT value FROM {META_TABLE} WHERE key = 'fingerprint'")
            ).scalar()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def recreate(url: str) -> None:
    """An empty database at ``url``: the SQLite file removed, the PostgreSQL database
    dropped and created again (through the maintenance database: CREATE and DROP DATABASE
    cannot run in a transaction)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    target = make_url(_engine_url(url))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def migrate(url: str) -> None:
    """``flask db upgrade`` on ``url``: the schema exactly as the migrations make it."""
    env = {**os.environ, "FLASK_APP": "app:create_app", "DATABASE_URL": url,
           "LOG_LEVEL": "WARNING"}
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], env=env, check=True, cwd=ROOT,
                   capture_output=True, timeout=3600)


def prepare(url: str, scale: float, seed: int, regenerate: bool) -> tuple[Any, dict[str, Any]]:
    """The app on ``url`` holding the country (generated unless already there), and what
    the marker table says of it."""
    from sqlalchemy import text

    from app import create_app
    from core.db import db
    from linkages.indicator import sides, tallies
    from linkages.services.places import load_places

    wanted = fingerprint(scale, seed)
    fresh = regenerate or stored_fingerprint(url) != wanted
    if fresh:
        print(f"[{_label(url)}] generating the country ({wanted})", flush=True)
        recreate(url)
    migrate(url)  # also brings a kept database to a newer head (a new index)
    app = create_app({"SQLALCHEMY_DATABASE_URI": _engine_url(url), "RATELIMIT_ENABLED": False})
    with app.app_context():
        if fresh:
            started = time.perf_counter()
            load_places()
            db.session.commit()
            db.session.remove()
            counts = country.generate(db.engine, scale, seed,
                                      lambda s: print(f"[{_label(url)}]   {s}", flush=True))
            # Bulk-loaded past the ORM, so the upkeep did not see it: the tallies from
            # scratch, as the migration fills them; so are the contracts' sides.
            with db.engine.begin() as conn:
                tallies.rebuild(conn)
                sides.rebuild(conn)
            # The tables whose rows have an id of their own (not association tables).
            country.reset_sequences(db.engine, [
                t for t in counts
                if "id" in db.metadata.tables[t].c and db.metadata.tables[t].c.id.primary_key])
            seconds = time.perf_counter() - started
            analyse(db.engine)
            with db.engine.begin() as conn:
                conn.execute(text(f"CREATE TABLE {META_TABLE} (key VARCHAR(40) PRIMARY KEY, "
                                  "value TEXT NOT NULL)"))
                conn.execute(text(f"INSERT INTO {META_TABLE} (key, value) VALUES "
                                  "('fingerprint', :f), ('counts', :c), ('seconds', :s)"),
                             {"f": wanted, "c": json.dumps(counts), "s": f"{seconds:.0f}"})
            print(f"[{_label(url)}] generated in {seconds:.0f} s: {country.summary(counts)}",
                  flush=True)
        with db.engine.connect() as conn:
            meta = dict(conn.execute(text(f"SELECT key, value FROM {META_TABLE}")).all())
        db.engine.dispose()
    return app, {"counts": json.loads(meta["counts"]), "seconds": meta["seconds"],
                 "fingerprint": meta["fingerprint"], "fresh": fresh}


def analyse(engine: Any) -> None:
    """PostgreSQL: ``VACUUM ANALYZE`` as autovacuum would after a bulk load (visibility map
    and planner statistics). SQLite: nothing — the app never runs ``ANALYZE``, so the
    planner works without ``sqlite_stat1`` there, and here too."""
    if engine.dialect.name != "postgresql":
        return
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        pg.autocommit = True
        pg.execute("VACUUM ANALYZE")
    finally:
        raw.close()


# ---------------------------------------------------------------------------------------------
# Measurements


@dataclass
class Target:
    """One thing measured: ``run`` answers the seconds of its parts (a figure has one, the
    drill-down its first page with the total, in one statement as the app asks it) and what
    it computed, for the report."""

    name: str
    run: Callable[[], tuple[dict[str, float], str]]
    aim_s: float | None  # None: no aim set (measured to be seen)
    samples: dict[str, list[float]] = field(default_factory=dict)
    answer: str = ""
    timed_out: bool = False


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def _backend_cpu(pid: int | None) -> float:
    """CPU seconds the PostgreSQL backend ``pid`` has used (from /proc: the server runs on
    this machine), 0 when unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


@contextmanager
def cpu_clock(parts: dict[str, float]) -> Iterator[None]:
    """Adds to ``parts["cpu"]`` the CPU seconds the block used: this process's (Python,
    and SQLite, which runs in it) plus the PostgreSQL backend's of the session's
    connection. On a machine other work shares, wall time stretches with the load; CPU
    time much less, so it is reported beside it (parallel query workers are not
    counted)."""
    from core.db import db

    driver = db.session.connection().connection.driver_connection
    info = getattr(driver, "info", None)
    pid = getattr(info, "backend_pid", None)
    client, server = time.process_time(), _backend_cpu(pid)
    try:
        yield
    finally:
        parts["cpu"] = (parts.get("cpu", 0.0) + time.process_time() - client
                        + _backend_cpu(pid) - server)


def targets(year: int, figure_variants: list[str], drill_variants: list[str],
            pages: bool = True) -> tuple[list[Target], dict[str, Any]]:
    """The figure of each variant by province and the drill-down of the province with the
    most HTX (the worst one), and (``pages``) the figures beside the indicator and the
    whole dashboard page's computation, inside the app context."""
    from sqlalchemy import func, select

    from core.actor import Actor, PlatformRole
    from core.db import db
    from core.paging import rows_and_total
    from linkages.indicator import service
    from linkages.models.organisations import Organisation
    from linkages.models.places import LegacyProvince
    from linkages.models.publications import (
        IndicatorPublicationFigure,
        IndicatorPublicationMember,
    )

    admin = Actor(user_id=1, platform_role=PlatformRole.ADMIN)
    province_of = func.coalesce(Organisation.province_code, select(
        LegacyProvince.new_province_code).where(
            LegacyProvince.code == Organisation.legacy_province_code).scalar_subquery())
    province, htx = db.session.execute(
        select(province_of, func.count()).where(Organisation.org_type == "htx")
        .group_by(province_of).order_by(func.count().desc(), province_of).limit(1)
    ).one()
    db.session.remove()

    def figure(variant: str) -> tuple[dict[str, float], str]:
        parts: dict[str, float] = {}
        try:
            with cpu_clock(parts):
                seconds, data = _timed(lambda: service.figure(
                    admin, variant=variant, breakdown="province", year=year))
        finally:
            db.session.remove()
        total = data["total"]
        number = (f"{total['numerator']:,.0f} kg / {total['denominator']:,.0f} kg"
                  if variant == "V" else f"{total['numerator']:,} / {total['denominator']:,}")
        return {"total": seconds, **parts}, (f"{total['percent']}% ({number}), "
                                    f"{len(data['groups'])} groups, reference day "
                                    f"{data['reference_day']}")

    def drill(variant: str) -> tuple[dict[str, float], str]:
        parts: dict[str, float] = {}
        started = time.perf_counter()
        try:
            with cpu_clock(parts):
                _q, stmt = service.drill(admin, variant=variant, breakdown="province",
                                         group=province, year=year)
                # As the API and the page ask it: the first page and the total in one
                # statement (core.paging.rows_and_total).
                found, count = rows_and_total(stmt, 0, PAGE_SIZE)
                rows = [service.drill_row(r) for r in found]
        finally:
            db.session.remove()
        total = time.perf_counter() - started
        counted = sum(1 for r in rows if r["counted"])
        return ({"total": total, **parts},
                f"{count:,} rows in the denominator, {len(rows)} on the page "
                f"({counted} counted)")

    def overview() -> tuple[dict[str, float], str]:
        from linkages.indicator.overview import overview as figures_beside

        parts: dict[str, float] = {}
        try:
            with cpu_clock(parts):
                seconds, data = _timed(lambda: figures_beside(admin, year=year))
        finally:
            db.session.remove()
        traced = data["traceability"]
        return {"total": seconds, **parts}, (
            f"{data['counts']['htx']['value']:,} HTX open; traceability "
            f"{traced['numerator']:,} / {traced['denominator']:,}")

    def dashboard(year: int) -> tuple[dict[str, float], str]:
        # Everything the authority's dashboard page computes (app.web.indicator_dashboard),
        # as the page asks it: the whole country, variant A by province, the statistical
        # year, with the totals of every variant, the trend, the region and commodity
        # figures, the figures beside the indicator and the published ones.
        from flask import current_app

        from app.web import indicator_dashboard as board
        from app.web.indicator_filters import Filters

        parts: dict[str, float] = {}
        try:
            with current_app.test_request_context("/"), cpu_clock(parts):
                filters = Filters(variant="A", year=year,
                                  region_scheme=board.places(admin).default_scheme)
                seconds, data = _timed(lambda: board.dashboard(admin, filters))
        finally:
            db.session.remove()
        return {"total": seconds, **parts}, (
            f"A {data.figure['total']['percent']}%, {len(data.variants)} variants, "
            f"{len(data.trend['points'])} trend years")

    def publish(year: int) -> tuple[dict[str, float], str]:
        # An authority publishing the country's figures of a period that has ended, as the
        # API's POST does it (every variant frozen, A–E with their cooperatives), rolled
        # back so that every round publishes the same period again.
        from flask import current_app

        from linkages.indicator import publications

        publisher = Actor(user_id=0, platform_role=PlatformRole.ADMIN)  # no user row needed
        parts: dict[str, float] = {}
        try:
            with current_app.test_request_context("/"), cpu_clock(parts):
                seconds, done = _timed(lambda: publications.publish(publisher, year=year))
                members, frozen = (db.session.scalar(
                    select(func.count()).select_from(table)
                    .where(table.publication_id == done.id))
                    for table in (IndicatorPublicationMember, IndicatorPublicationFigure))
        finally:
            db.session.rollback()
            db.session.remove()
        return {"total": seconds, **parts}, (
            f"{frozen} variants, {members:,} member rows (rolled back)")

    def floor(volume: bool) -> tuple[dict[str, float], str]:
        # A or the volume by province from today's rows alone (indicator_floor): what the
        # machine takes to read what they read, measured beside the figures.
        from indicator_floor import floor_by_province, volume_floor_by_province

        from core.clock import local_today
        from core.db import set_local
        from linkages.indicator.period import statistical_year

        period = statistical_year(year)
        parts: dict[str, float] = {}
        try:
            with cpu_clock(parts):
                set_local(jit="off")  # as the figures run (query.plan_for_analysis)
                stmt = (volume_floor_by_province(period.start, period.end,
                                                 min(period.end, local_today()))
                        if volume else floor_by_province(period.start, period.end))
                seconds, rows = _timed(lambda: db.session.execute(stmt).all())
        finally:
            db.session.remove()
        numerator, denominator = (sum(r.numerator or 0 for r in rows),
                                  sum(r.denominator or 0 for r in rows))
        unit = " kg" if volume else ""
        return {"total": seconds, **parts}, (
            f"{'V' if volume else 'A'} from today's rows, no history: "
            f"{numerator:,.0f}{unit} / {denominator:,.0f}{unit}, {len(rows)} groups")

    # The floors on PostgreSQL only: SQLite, without statistics, plans their semi-joins
    # as scans per row (cancelled after 120 s, 2026-12-07).
    found: list[Target] = [
        Target("floor: A by province, today's rows only", lambda: floor(False), None),
        Target("floor: V by province, today's rows only", lambda: floor(True), None),
    ] if db.engine.dialect.name == "postgresql" else []
    found += [
        Target(f"{v} by province", lambda v=v: figure(v), AIM_FIGURE_S)
        for v in figure_variants
    ] + [
        Target(f"drill-down {v}, province {province}", lambda v=v: drill(v), AIM_DRILL_S)
        for v in drill_variants
    ]
    if pages:
        # The dashboard of the year before too: its trend reaches reference days further
        # back, whose contracts changed since are many more (a plan that was fine for the
        # current year's trend once took minutes there).
        found += [Target("figures beside the indicator", overview, None),
                  Target("dashboard page, whole country", lambda: dashboard(year), None),
                  Target(f"dashboard page, whole country, {year - 1}",
                         lambda: dashboard(year - 1), None),
                  Target(f"publishing {year - 1}, whole country", lambda: publish(year - 1),
                         None)]
    return found, {"province": province, "province_htx": htx}


class Deadline:
    """Keeps every target bounded: a statement still running ``seconds`` after the target
    started is cancelled (``statement_timeout`` on PostgreSQL, per statement; a progress
    handler on SQLite, per target), and the target is reported as timed out and not run
    again. Installed on new connections only, after the country is generated."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = float("inf")

    def install(self, engine: Any) -> None:
        from sqlalchemy import event

        postgresql = engine.dialect.name == "postgresql"

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            if postgresql:
                with dbapi_connection.cursor() as cur:
                    cur.execute(f"SET statement_timeout = {int(self.seconds * 1000)}")
                dbapi_connection.commit()
            else:
                dbapi_connection.set_progress_handler(
                    lambda: int(time.monotonic() > self.until), 20_000)

        event.listen(engine, "connect", on_connect)
        engine.dispose()

    @contextmanager
    def running(self) -> Iterator[None]:
        self.until = time.monotonic() + self.seconds
        try:
            yield
        finally:
            self.until = float("inf")


def _is_timeout(error: Exception) -> bool:
    text = str(error).lower()
    return "statement timeout" in text or "interrupted" in text or "canceling" in text


def measure(found: list[Target], rounds: int, label: str, deadline: Deadline) -> None:
    """A warm-up round (statement caches, the database's buffers), then ``rounds`` rounds
    over every target in alternating order."""
    from sqlalchemy.exc import OperationalError

    from core.db import db

    for n in range(rounds + 1):
        order = found if n % 2 == 0 else found[::-1]
        for target in order:
            if target.timed_out:
                continue
            try:
                with deadline.running():
                    parts, answer = target.run()
            except OperationalError as error:
                db.session.remove()
                if not _is_timeout(error):
                    raise
                target.timed_out = True
                print(f"[{label}] {target.name}: timed out after {deadline.seconds:g} s",
                      flush=True)
                continue
            tag = "warm-up" if n == 0 else f"round {n}"
            print(f"[{label}] {tag}: {target.name}: " + ", ".join(
                f"{k} {v:.3f} s" for k, v in parts.items()), flush=True)
            if n == 0:
                target.answer = answer
                continue
            for part, seconds in parts.items():
                target.samples.setdefault(part, []).append(seconds)


@contextmanager
def captured_statements(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """The indicator's SELECT statements (and parameters) run on ``engine`` inside the
    block, each sent as ``SELECT * FROM (…) LIMIT 0`` instead: the block goes through every
    statement of a target at once (no rows), even those that would outlast the deadline.
    Short statements (the service's look-ups: does the province exist?) run as they are."""
    from sqlalchemy import event

    seen: list[tuple[str, Any, list[tuple[str, Any]]]] = []
    settings: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
               _executemany: bool) -> tuple[str, Any]:
        # The figures' statements open with their CTEs (``WITH …``).
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and len(statement) > 1000:
            seen.append((statement, parameters, list(settings)))
            return f"SELECT * FROM ({statement}) AS captured LIMIT 0", parameters
        if "set_config(" in statement:
            # ``core.db.set_local`` (``query.plan_for_analysis``): the plans must be made
            # under the settings the statement ran with, replayed in its own transaction.
            settings.append((statement, parameters))
        return statement, parameters

    event.listen(engine, "before_cursor_execute", before, retval=True)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _plan(engine: Any, statement: str, parameters: Any, postgresql: bool,
          settings: list[tuple[str, Any]]) -> list[str]:
    """The statement's plan: as run (``EXPLAIN ANALYZE``) on PostgreSQL, or as planned
    when running it takes longer than the deadline; SQLite's ``EXPLAIN QUERY PLAN``.
    ``settings`` (the ``set_config`` statements run before it) are run first, in the same
    transaction."""
    from sqlalchemy.exc import OperationalError

    if not postgresql:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        return [f"{r[0]} {r[1]} {r[3]}" for r in rows]
    for prefix in ("EXPLAIN (ANALYZE, BUFFERS, SETTINGS) ", "EXPLAIN (SETTINGS) "):
        try:
            with engine.connect() as conn:
                for setting, values in settings:
                    conn.exec_driver_sql(setting, values)
                rows = conn.exec_driver_sql(prefix + statement, parameters).all()
                conn.rollback()
        except OperationalError as error:
            if not _is_timeout(error):
                raise
            continue
        note = [] if "ANALYZE" in prefix else ["(not run: longer than the deadline)"]
        return note + [r[0] for r in rows]
    return ["(no plan)"]


def explain(found: list[Target], folder: Path, label: str, deadline: Deadline) -> list[Path]:
    """Each target's statements with their plans, one file per target (each statement run
    once more under ``EXPLAIN ANALYZE``, within the deadline)."""
    from core.db import db

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    engine = db.engine
    postgresql = engine.dialect.name == "postgresql"
    for target in found:
        with captured_statements(engine) as seen:
            try:
                target.run()
            except (LookupError, TypeError, ValueError):
                pass  # a target reading the rows it did not get: its statements are in
            finally:
                db.session.remove()
        out = [f"-- {label}: {target.name}", ""]
        for statement, parameters, settings in seen:
            with deadline.running():
                plan = _plan(engine, statement, parameters, postgresql, settings)
            out += ["-- statement", statement, f"-- parameters {parameters!r}", "-- plan",
                    *plan, ""]
        slug = "".join(c if c.isalnum() else "_" for c in f"{label}_{target.name}").lower()
        path = folder / f"{slug}.txt"
        path.write_text("\n".join(out))
        written.append(path)
    return written


# ---------------------------------------------------------------------------------------------
# The report


def _label(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


def _command_line(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    lines = result.stdout.strip().splitlines()
    return lines[0].strip() if lines else "?"


def uptime() -> str:
    """``uptime``'s line, or the load averages when there is no ``uptime``."""
    line = _command_line(["uptime"])
    return line if line != "?" else "load average: " + ", ".join(
        f"{x:.2f}" for x in os.getloadavg())


def p90(samples: list[float]) -> float:
    """The 90th percentile, interpolated between samples (few rounds: read it with the
    max beside it)."""
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=10, method="inclusive")[8]


@dataclass
class DatabaseRun:
    label: str
    version: str
    meta: dict[str, Any]
    where: dict[str, Any]
    targets: list[Target]
    load_before: str
    load_after: str


def _version(app: Any) -> str:
    from sqlalchemy import text

    from core.db import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                server = conn.execute(text("SHOW server_version")).scalar_one()
            db.engine.dispose()
            return f"PostgreSQL {str(server).split(' ')[0]}"
    return f"SQLite {sqlite3.sqlite_version}"


def report(runs: list[DatabaseRun], args: argparse.Namespace, load_before: str,
           load_after: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    first = runs[0]
    counts = first.meta["counts"]
    sizes = country.scaled(args.scale)
    out = [
        f"## {stamp} — linkage indicator (bench/indicator.py)", "",
        machine_line(),
        f"- Python {platform.python_version()}, "
        + ", ".join(r.version for r in runs)
        + "; SQLAlchemy through the app's session (psycopg 3 on PostgreSQL), stock database "
        "settings; PostgreSQL after `VACUUM ANALYZE`, SQLite without `ANALYZE` (as the app "
        "leaves it)",
        f"- load (`uptime`): before `{load_before}`; after `{load_after}`",
        code_line(),
        *(f"- note: {note}" for note in args.note),
        f"- country (bench/indicator_country.py, scale {args.scale:g}, seed {args.seed}): "
        f"{sizes['htx']:,} HTX (~2/3 agricultural; legacy-province records, dissolved and "
        f"suspended ones with their status history), {sizes['tht']:,} THT, "
        f"{sizes['lhhtx']:,} LHHTX, {sizes['dn']:,} DN; "
        f"{counts.get('linkage_contracts', 0):,} contracts with "
        f"{counts.get('linkage_contract_versions', 0):,} versions and "
        f"{counts.get('linkage_contract_version_parties', 0):,} version parties, "
        f"{counts.get('linkage_project_contracts', 0):,} in approved projects; "
        f"{counts.get('linkage_deliveries', 0):,} deliveries (each with its shipment and "
        f"ship event) from {counts.get('batches', 0):,} batches",
        f"- measured: statistical year {args.year} as of today, as a platform admin, "
        "through `linkages.indicator.service`: `figure(variant=…, breakdown=\"province\")` "
        "(the total and the 34 provinces: two statements); the drill-down of the province "
        f"with the most HTX ({first.where['province']}, {first.where['province_htx']:,} HTX "
        f"on record) as the API pages it: the count, then the first {PAGE_SIZE} rows; "
        + ("" if args.no_pages else
           "the figures beside the indicator (`overview`: counts, high-tech, traceability, "
           "OCOP, rating) and everything the dashboard page computes for the whole country "
           "(`app.web.indicator_dashboard.dashboard`: variant A by province, the six "
           "variants' totals, a three-year trend, by region and by commodity, the figures "
           "beside, the published ones), for the year and for the year before; publishing "
           "the year before for the whole country (`publications.publish`, rolled back); ")
        + f"{args.rounds} rounds after a warm-up round, in alternating order; seconds, wall "
        "time (median, p90, max) and CPU time (this process plus the PostgreSQL backend: "
        "what a quiet machine would need, roughly); a target still running after "
        f"{args.timeout:g} s is cancelled and not run again",
        "",
        "| database | target | median | p90 | max | CPU (median) | aim | what it answered |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for run in runs:
        for target in run.targets:
            if target.timed_out and not target.samples:
                aim = ("**not met**" if run.label == "PostgreSQL" and target.aim_s is not None
                       else "")
                out.append(f"| {run.version} | {target.name} | > {args.timeout:g} "
                           f"(cancelled) | | | | {aim} | {target.answer or '—'} |")
                continue
            total = target.samples["total"]
            median = statistics.median(total)
            parts = ""
            if "count" in target.samples:
                parts = (f" (count {statistics.median(target.samples['count']):.3f} + page "
                         f"{statistics.median(target.samples['page']):.3f})")
            if target.timed_out:
                parts += f", one run cancelled at {args.timeout:g} s"
            if target.aim_s is None:
                aim = "none set"
            elif run.label == "PostgreSQL":
                aim = f"< {target.aim_s} s: {'met' if median < target.aim_s else '**not met**'}"
            else:
                aim = f"({target.aim_s} s on PostgreSQL)"
            cpu = statistics.median(target.samples.get("cpu", [0.0]))
            out.append(
                f"| {run.version} | {target.name} | {median:.3f}{parts} | {p90(total):.3f} | "
                f"{max(total):.3f} | {cpu:.3f} | {aim} | {target.answer} |")
    out.append("")
    for run in runs:
        out.append(f"- {run.label}: `uptime` before its targets `{run.load_before}`, after "
                   f"`{run.load_after}`; country generated in {run.meta['seconds']} s"
                   + (" in this run" if run.meta["fresh"] else " earlier, reused"))
    return "\n".join(out) + "\n\n"


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", action="append", default=[],
                        help=f"database URL, repeatable (default {DEFAULT_DB})")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the full country (1.0: 45,000 HTX)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--year", type=int, default=2026, help="statistical year measured")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--figure-variants", default=",".join(VARIANTS),
                        help="variants whose figure by province is measured "
                        "(comma-separated; all by default)")
    parser.add_argument("--drill-variants", default="A,C,V",
                        help="variants whose drill-down is measured (comma-separated)")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds after which a target's statement is cancelled")
    parser.add_argument("--regenerate", action="store_true",
                        help="generate the country again even when the database holds it")
    parser.add_argument("--explain", type=Path, metavar="DIR",
                        help="write each target's query plans into DIR")
    parser.add_argument("--note", action="append", default=[],
                        help="a line to add to the report (repeatable)")
    parser.add_argument("--no-record", action="store_true", help="print, do not append")
    parser.add_argument("--no-pages", action="store_true",
                        help="skip the figures beside the indicator and the dashboard page")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 2 or not 1 <= args.rounds <= 50:
        parser.error("keep runs bounded: scale in (0, 2], 1-50 rounds")
    drill_variants = [v for v in args.drill_variants.split(",") if v]
    figure_variants = [v for v in args.figure_variants.split(",") if v]
    if any(v not in VARIANTS for v in drill_variants + figure_variants):
        parser.error(f"variants among {', '.join(VARIANTS)}")
    urls = args.db or [DEFAULT_DB]

    load_before = uptime()
    runs: list[DatabaseRun] = []
    for url in urls:
        label = _label(url)
        app, meta = prepare(url, args.scale, args.seed, args.regenerate)
        version = _version(app)
        # As the API reads: a GET request's transactions are deferred (plain BEGIN) on
        # SQLite; outside a request the app takes the write lock up front.
        with app.test_request_context("/api/indicator/figures", method="GET"):
            from core.db import db

            deadline = Deadline(args.timeout)
            deadline.install(db.engine)
            found, where = targets(args.year, figure_variants, drill_variants,
                                   pages=not args.no_pages)
            here = uptime()
            measure(found, args.rounds, label, deadline)
            after = uptime()
            if args.explain:
                for path in explain(found, args.explain, label, deadline):
                    print(f"[{label}] plans: {path}")
            db.session.remove()
            db.engine.dispose()
        runs.append(DatabaseRun(label, version, meta, where, found, here, after))

    section = report(runs, args, load_before, uptime())
    print()
    print(section)
    if not args.no_record:
        record("\n" + section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
