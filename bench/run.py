"""HTTP benchmark: the project's hot paths measured against the framework ceiling, in one run.

``make bench`` (or ``.venv/bin/python bench/run.py``):

1. makes sure ``wrk`` is installed (Debian package ``wrk``; installed with apt-get when root);
2. for each database (a throwaway SQLite file; plus a throwaway PostgreSQL database when
   ``BENCH_DATABASE_URL`` names a server, e.g. ``postgresql://postgres@127.0.0.1/postgres``;
   the database created there is dropped afterwards), applies the migrations, lets every
   target prepare its data, starts gunicorn (sync workers, 2 workers) on a free loopback port
   and runs wrk against each target: first the ceiling (``/healthz``, which touches nothing),
   then the hot paths, each reported as a ratio to the ceiling of the same run; a bare Flask
   app (bench/bare_app.py) answering the same JSON is measured just before the ceiling as a
   reference, to show what the app's shell costs on every request;
3. appends a dated section to ``bench/RESULTS.md`` with the machine's description.

Absolute figures drift between machines and runs; the ratio to the ceiling is what to compare
(see shared/reference/PERFORMANCE.md). Traffic goes to 127.0.0.1 only and every wrk run is
bounded in time.

Adding a hot path: append a ``Target`` to ``TARGETS`` with a ``prepare`` function that creates
the data it needs (it runs inside an app context on the benchmark database and must commit)
and returns the request to send.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import capture as capture_bench  # bench/capture.py: events/s through POST /epcis/capture
from environment import code_line, machine_line, postgresql_database, sqlite_database

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "RESULTS.md"

WORKERS = 2
WORKER_CLASS = "sync"


# ---------------------------------------------------------------------------------------------
# Targets


@dataclass(frozen=True)
class Request:
    """What wrk sends: a path, and for writes a method, body and headers (via a Lua script)."""

    path: str
    method: str = "GET"
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def lua_script(self) -> str | None:
        if self.method == "GET" and not self.body and not self.headers:
            return None
        lines = [f'wrk.method = "{self.method}"']
        if self.body is not None:
            lines.append(f"wrk.body = {_lua_string(self.body)}")
        for name, value in self.headers.items():
            lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
        return "\n".join(lines) + "\n"


def _lua_string(value: str) -> str:
    return "[==[" + value + "]==]"


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    # Runs inside an app context on the benchmark database before gunicorn starts.
    prepare: Callable[[], Request]


def _healthz() -> Request:
    return Request("/healthz")


CEILING = Target("healthz", "framework ceiling: JSON answer, no database", _healthz)
# Not a ratio's base: shows what the app's shell adds to every request (see bare_app.py).
BARE_FLASK = Target("bare Flask", "reference: bare Flask app, same answer, no extensions",
                    _healthz)

# Hot paths, measured in the same run as the ceiling. Add the public scan page and the capture
# endpoint here once they exist.
TARGETS: list[Target] = []


# ---------------------------------------------------------------------------------------------
# wrk


@dataclass
class Measurement:
    target: Target
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors + timeouts + responses other than expected

    def ratio(self, ceiling: Measurement) -> float:
        return self.requests_per_s / ceiling.requests_per_s if ceiling.requests_per_s else 0.0


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing the Debian package", flush=True)
        apt = ["apt-get", "-o", "DPkg::Lock::Timeout=300"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run([*apt, "install", "-y", "-q", "wrk"], env=env).returncode != 0:
            subprocess.run([*apt, "update", "-q"], env=env, check=True)
            subprocess.run([*apt, "install", "-y", "-q", "wrk"], env=env, check=True)
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit(
        "bench: the load generator `wrk` is not installed. Install it with "
        "`sudo apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`, then run make bench."
    )


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str, target: Target) -> Measurement:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"(\d+) requests in", output)
    if not (rps and p50 and p99 and total):
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return Measurement(
        target=target,
        requests_per_s=float(rps.group(1)),
        p50_ms=_duration_ms(p50.group(1)),
        p99_ms=_duration_ms(p99.group(1)),
        requests=int(total.group(1)),
        errors=errors,
    )


def run_wrk(
    wrk: str, base_url: str, target: Target, request: Request, args: argparse.Namespace
) -> Measurement:
    with tempfile.TemporaryDirectory() as tmp:
        command = [wrk, f"-t{args.threads}", f"-c{args.connections}", "--latency",
                   "--timeout", "5s"]
        script = request.lua_script()
        if script:
            path = Path(tmp) / "request.lua"
            path.write_text(script)
            command += ["-s", str(path)]
        url = base_url + request.path
        if args.warmup:
            subprocess.run([*command, f"-d{args.warmup}s", url], check=True, capture_output=True,
                           timeout=args.warmup + 30)
        result = subprocess.run([*command, f"-d{args.duration}s", url], check=True,
                                capture_output=True, text=True, timeout=args.duration + 30)
    return parse_wrk(result.stdout, target)


# ---------------------------------------------------------------------------------------------
# Databases and the server


def server_environment(database_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "FLASK_APP": "app:create_app",
        "DATABASE_URL": database_url,
        "HTX_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "PERSON_ID_HASH_KEY": secrets.token_hex(32),
        # The public rate limits would turn a load test into a test of the limiter.
        "RATELIMIT_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], env=env, check=True, cwd=ROOT,
                   capture_output=True, timeout=300)


def prepare_targets(database_url: str, targets: list[Target]) -> list[Request]:
    from app import create_app
    from app.config import normalise_database_url
    from core.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        try:
            return [target.prepare() for target in targets]
        finally:
            db.session.remove()
            db.engine.dispose()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(
    env: dict[str, str], app_spec: str = "app:create_app()", ready_path: str = "/readyz",
    extra: tuple[str, ...] = (),
) -> Iterator[str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
         "--worker-class", WORKER_CLASS, "--log-level", "warning", *extra, app_spec],
        env=env, cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base_url + ready_path, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not become ready within 30 s")
            time.sleep(0.2)
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------------------------------------
# Machine description and the report


def _command_output(command: list[str]) -> str:
    """First line a command prints (``wrk -v`` prints its version and exits 1), or "?"."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    lines = (result.stdout + result.stderr).strip().splitlines()
    return lines[0] if lines else "?"


def machine_description(
    wrk: str,
    pg_versions: dict[str, str],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> list[str]:
    import gunicorn as gunicorn_package

    lines = [
        machine_line(),
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
        + "".join(f", PostgreSQL {v}" for v in pg_versions.values()),
        f"- gunicorn {gunicorn_package.__version__}: {WORKERS} {WORKER_CLASS} workers, "
        "no access log, HTX_ENV=production, rate limits off",
        f"- load: {_command_output([wrk, '-v']).split(' [')[0]} on the same machine; "
        f"1-min load average {load_before[0]:.2f} before the run, {load_after[0]:.2f} after"
        + (" (other work shared the cores: absolute figures are low, ratios still hold)"
           if load_before[0] > 0.5 else ""),
        code_line(),
    ]
    return lines


def report(
    results: dict[str, list[Measurement]], args: argparse.Namespace, machine: list[str]
) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"## {stamp}", "", *machine,
           f"- wrk: {args.threads} threads, {args.connections} connections, "
           f"{args.duration} s per target after a {args.warmup} s warm-up", ""]
    for database, measurements in results.items():
        ceiling = next(m for m in measurements if m.target is CEILING)
        out += [f"### {database}", "",
                "| target | req/s | p50 ms | p99 ms | vs ceiling | errors | what |",
                "|---|---:|---:|---:|---:|---:|---|"]
        for m in measurements:
            out.append(
                f"| {m.target.name} | {m.requests_per_s:,.0f} | {m.p50_ms:.2f} | "
                f"{m.p99_ms:.2f} | {m.ratio(ceiling):.2f} | {m.errors} | "
                f"{m.target.description} |"
            )
        out.append("")
    return "\n".join(out) + "\n"


RESULTS_HEADER = """# Benchmark results

Appended by `make bench` (bench/run.py), newest last. Each section measures the hot paths and
the framework ceiling (`/healthz` of the app) in the same run; compare the *vs ceiling* ratios
across runs, not the absolute figures, which drift with the machine. The *bare Flask* row is a
plain Flask app giving the same answer: the gap to `healthz` is what the app's shell (session,
login, locale, security headers, limiter) adds to every request.

"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per target")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per target")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-record", action="store_true", help="print, do not append")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 120 or not 0 <= args.warmup <= 30:
        parser.error("keep runs bounded: 1-120 s per target, 0-30 s warm-up")

    wrk = ensure_wrk()
    load_before = os.getloadavg()
    databases: list[tuple[str, Callable[[], object]]] = [("SQLite", sqlite_database)]
    server_url = os.environ.get("BENCH_DATABASE_URL")
    if server_url:
        databases.append(("PostgreSQL", lambda: postgresql_database(server_url)))

    results: dict[str, list[Measurement]] = {}
    pg_versions: dict[str, str] = {}
    capture_figures = []  # POST /epcis/capture vs raw insert (bench/capture.py)
    failures: list[str] = []
    for label, make_database in databases:
        with make_database() as database_url:  # type: ignore[attr-defined]
            env = server_environment(database_url)
            print(f"[{label}] migrating a throwaway database", flush=True)
            migrate(env)
            targets = [CEILING, *TARGETS]
            requests = prepare_targets(database_url, targets)
            if label == "PostgreSQL":
                pg_versions[label] = _postgresql_version(database_url)
            # The reference right before the ceiling, so both see the same machine.
            print(f"[{label}] bare Flask: GET /healthz", flush=True)
            with gunicorn(dict(os.environ), "bare_app:app", "/healthz",
                          ("--pythonpath", str(ROOT / "bench"))) as base_url:
                bare = run_wrk(wrk, base_url, BARE_FLASK, BARE_FLASK.prepare(), args)
            _print(bare)
            measurements = [bare]
            with gunicorn(env) as base_url:
                for target, request in zip(targets, requests, strict=True):
                    print(f"[{label}] {target.name}: {request.method} {request.path}", flush=True)
                    measurements.append(run_wrk(wrk, base_url, target, request, args))
                    _print(measurements[-1])
            failures += [f"{label} {m.target.name}: {m.errors} errors"
                         for m in measurements if m.errors]
            results[label] = measurements
            capture_figures.append(capture_bench.measure(label, database_url, env))

    load_after = os.getloadavg()
    section = report(results, args,
                     machine_description(wrk, pg_versions, load_before, load_after))
    section += "\n" + capture_bench.report(capture_figures)
    print()
    print(section)
    if not args.no_record:
        if not RESULTS.exists():
            RESULTS.write_text(RESULTS_HEADER)
        with RESULTS.open("a") as handle:
            handle.write(section)
        print(f"appended to {RESULTS.relative_to(ROOT)}")
    if failures:
        print("bench: some requests failed: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


def _print(m: Measurement) -> None:
    print(f"    {m.requests_per_s:,.0f} req/s, p50 {m.p50_ms:.2f} ms, p99 {m.p99_ms:.2f} ms, "
          f"errors {m.errors}", flush=True)


def _postgresql_version(database_url: str) -> str:
    from sqlalchemy import create_engine, text

    from app.config import normalise_database_url

    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one()).split(" ")[0]
    finally:
        engine.dispose()


if __name__ == "__main__":
    status = main()
    # Lineage traces and recalls in a generated genealogy (SQL, no HTTP): bench/lineage.py,
    # its own section in RESULTS.md.
    import lineage as lineage_bench

    lineage_status = lineage_bench.main(["--no-record"] if "--no-record" in sys.argv else [])
    # QR codes per second and label sheet PDFs (no database): bench/labels.py.
    import labels as labels_bench

    labels_status = labels_bench.main(["--no-record"] if "--no-record" in sys.argv else [])
    sys.exit(status or lineage_status or labels_status)
