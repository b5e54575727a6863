"""HTTP benchmark: the project's hot paths measured against the framework ceiling, in one run.

``make bench`` (or ``.venv/bin/python bench/run.py``):

1. makes sure ``wrk`` is installed (Debian package ``wrk``; installed with apt-get when root);
2. for each database (a throwaway SQLite file; plus a throwaway PostgreSQL database when
   ``BENCH_DATABASE_URL`` names a server, e.g. ``postgresql://postgres@127.0.0.1/postgres``;
   the database created there is dropped afterwards), applies the migrations, lets every
   target prepare its data, starts gunicorn (sync workers, 2 workers) on a free loopback port
   and runs wrk against each target: the ceiling (``/healthz``, which touches nothing) and
   the hot paths, each reported as a ratio to the ceiling of the same run; a bare Flask app
   (bench/bare_app.py) answering the same JSON is measured beside them as a reference, to
   show what the app's shell costs on every request. Every server stays up while wrk goes
   over the targets in rounds, in alternating order, so that the load other work puts on a
   shared machine falls on every target alike;
3. appends a dated section to ``bench/RESULTS.md`` with the machine's description, the load
   (``uptime``) before and after, and whether the aims of issue 10 are met (``AIM_*``).

The hot paths are a consumer's scan of a demo lot (``flask seed-demo``, ``app.demo.showcase``:
the GTIN export lot of green coffee): the label's URI through the resolver (a 307 to the
trace page) and the trace page itself, each also with the rate limits on (as in production,
at a limit no run reaches) to show what the per-address limit costs. Those four ask for one
URL, whose page the cache holds: a best case. The **scan** target is the honest figure: a
phone's scan as it happens, the resolver's 307 then the page its ``Location`` names, over
``--scan-codes`` demo lots (bench/scan.py); its rate is in scans per second (two requests
each) and its ratio to the ceiling compares scans with ``/healthz`` requests.
``--http-only`` skips the capture, lineage and label benchmarks; ``--note`` adds a line (e.g.
the state of the trace page's cache at the time). ``--dry-run`` seeds a throwaway SQLite
database, prepares every target and checks each answer through the app in this process,
then prints the plan and the scan's wrk script: no gunicorn, no wrk, nothing recorded.

Absolute figures drift between machines and runs; the ratio to the ceiling is what to compare
(see shared/reference/PERFORMANCE.md). Traffic goes to 127.0.0.1 only and every wrk run is
bounded in time.

Adding a hot path: append a ``Target`` to ``TARGETS`` with a ``prepare`` function that creates
the data it needs (it runs inside an app context on the benchmark database and must commit)
and returns the request to send.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import capture as capture_bench  # bench/capture.py: events/s through POST /epcis/capture
import scan as scan_bench  # bench/scan.py: the combined scan over many demo codes
from environment import (
    RESULTS,
    code_line,
    machine_line,
    postgresql_database,
    record,
    sqlite_database,
)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

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
    status: int = 200  # what the server must answer (checked once before wrk runs)
    # A scan (bench/scan.py): GETs of these paths in turn, each 307 followed by a GET of its
    # Location on the same thread; ``path`` is the first of them.
    paths: tuple[str, ...] = ()

    def lua_script(self) -> str | None:
        if self.paths:
            return scan_bench.lua_script(self.paths, self.headers)
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
    # Configuration the app is created with (the server's app spec), when not the default:
    # targets sharing one are measured on one server.
    config: tuple[tuple[str, object], ...] = ()
    # HTTP requests per unit measured: the rate and the ratio are per unit (a scan is two).
    unit_requests: int = 1
    unit: str = "req"


def _healthz() -> Request:
    return Request("/healthz")


CEILING = Target("healthz", "framework ceiling: JSON answer, no database", _healthz)
# Not a ratio's base: shows what the app's shell adds to every request (see bare_app.py).
BARE_FLASK = Target("bare Flask", "reference: bare Flask app, same answer, no extensions",
                    _healthz)


# --- the scan: a consumer's phone reads a demo lot's label ------------------------------------

_SCAN_HEADERS = {
    # What a phone's browser sends (wrk keeps the connection alive, as a browser does).
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7",
    "User-Agent": "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 "
                  "(KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
}
_demo: dict[str, Any] = {}


def demo_scan_lot() -> Any:
    """The demo's GTIN lot (``app.demo.showcase``), seeding the demo country into the empty
    benchmark database the first time (places, then ``seed_demo_country``; committed)."""
    if "lot" not in _demo:
        from app.demo.country import registry_is_empty, seed_demo_country
        from app.demo.showcase import showcase_lots
        from core.db import db
        from linkages.services.places import load_places
        from traceability.services import lineage

        if registry_is_empty():
            load_places()
            seed_demo_country()
            db.session.commit()
        lot = next(lot for lot in showcase_lots() if lot.kind == "gtin")
        _demo["lot"] = lot
        _demo["ancestors"] = len(lineage.ancestors(lot.batch_id))
    return _demo["lot"]


def _resolver() -> Request:
    return Request(demo_scan_lot().label_path, headers=_SCAN_HEADERS, status=307)


def _trace_page() -> Request:
    return Request(demo_scan_lot().trace_path, headers=_SCAN_HEADERS)


_scan_codes = [scan_bench.DEFAULT_CODES]  # --scan-codes


def _scan() -> Request:
    demo_scan_lot()  # seeds the demo when the database is empty
    paths = tuple(scan_bench.demo_label_paths(_scan_codes[0]))
    _demo["scan_codes"] = len(paths)
    return Request(paths[0], headers=_SCAN_HEADERS, status=307, paths=paths)


# Limits on, as in production, at a rate no run reaches: what looking them up costs.
LIMITS_ON: tuple[tuple[str, object], ...] = (
    ("RATELIMIT_ENABLED", True),
    ("RATELIMIT_RESOLVER", "100000000 per minute"),
    ("RATELIMIT_TRACE", "100000000 per minute"),
)
RESOLVER = Target("scan: resolver", "the label's URI /01/{GTIN}/10/{lot}: 307 to the trace "
                  "page", _resolver)
TRACE_PAGE = Target("scan: trace page", "/trace/01/{GTIN}/10/{lot}: the consumer page of the "
                    "lot and its journey", _trace_page)
RESOLVER_LIMITED = Target("scan: resolver, limits on", "the same with the rate limits on "
                          "(memory://)", _resolver, LIMITS_ON)
TRACE_PAGE_LIMITED = Target("scan: trace page, limits on", "the same with the rate limits on "
                            "(memory://)", _trace_page, LIMITS_ON)

SCAN = Target("scan", "a phone's scan over many demo lots: the label's URI (307), then the "
              "trace page it names; scans/s, two requests each, latency per request",
              _scan, unit_requests=2, unit="scans")

# Hot paths, measured in the same run as the ceiling.
TARGETS: list[Target] = [SCAN, RESOLVER, TRACE_PAGE, RESOLVER_LIMITED, TRACE_PAGE_LIMITED]
SCANS = (SCAN, RESOLVER, TRACE_PAGE)

# Issue 10's aims for the shell and the scan (limits off, as every earlier run).
AIM_SHELL = 0.85  # /healthz at least this share of the bare Flask app's rate
AIM_SCAN = 0.50  # a scan at least this share of /healthz's rate
AIM_SCAN_P99_MS = 50.0  # a scan's p99 at 32 connections


# ---------------------------------------------------------------------------------------------
# wrk


@dataclass
class Measurement:
    target: Target
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors + timeouts + responses other than expected

    @property
    def rate(self) -> float:
        """Units per second: requests, or scans for the scan (two requests each)."""
        return self.requests_per_s / self.target.unit_requests

    @property
    def unit_p99_ms(self) -> float:
        """A bound on a unit's p99: a scan waits for both its requests."""
        return self.p99_ms * self.target.unit_requests

    def ratio(self, ceiling: Measurement) -> float:
        return self.rate / ceiling.rate if ceiling.rate else 0.0


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
    p90 = re.search(r"^\s+90%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"(\d+) requests in", output)
    if not (rps and p50 and p90 and p99 and total):
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
        p90_ms=_duration_ms(p90.group(1)),
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
        # The public rate limits would turn a load test into a test of the limiter (the
        # "limits on" targets switch them on, at a rate no run reaches).
        "RATELIMIT_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        # Plain HTTP on the loopback: production otherwise insists on secure cookies.
        "ALLOW_PLAIN_HTTP": "true",
    }
    return env


def factory_spec(config: tuple[tuple[str, object], ...]) -> str:
    """gunicorn's app spec: the factory, called with ``config`` (literals only)."""
    return f"app:create_app({dict(config)!r})" if config else "app:create_app()"


Send = Callable[[str, str, "str | None", dict[str, str]], tuple[int, dict[str, str]]]


def http_sender(base_url: str) -> Send:
    """Requests to the server at ``base_url``: (status, headers)."""
    url = urlsplit(base_url)

    def send(method: str, path: str, body: str | None,
             headers: dict[str, str]) -> tuple[int, dict[str, str]]:
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        return response.status, dict(response.getheaders())

    return send


def check_answer(send: Send, target: Target, request: Request) -> dict[str, str]:
    """Requests before the load: the status must be the expected one (wrk counts a 3xx
    as a success, and a 404 would be measured as fast as anything). A scan's first codes
    are checked, each redirect with the page it names. Returns the first answer's headers."""
    checked = [request.path, *request.paths[1:5]]
    first: dict[str, str] | None = None
    for path in checked:
        status, headers = send(request.method, path, request.body, request.headers)
        if status != request.status:
            raise RuntimeError(f"{target.name}: {request.method} {path} answered {status}, "
                               f"not {request.status}")
        first = headers if first is None else first
        if request.paths:  # a scan: the page the 307 names must answer
            page = urlsplit(headers.get("Location", "")).path
            status, _page_headers = send("GET", page, None, request.headers)
            if status != 200:
                raise RuntimeError(f"{target.name}: {path} redirects to {page}, which "
                                   f"answered {status}")
    assert first is not None
    return first


def migrate(env: dict[str, str]) -> None:
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], env=env, check=True, cwd=ROOT,
                   capture_output=True, timeout=300)


def prepare_targets(database_url: str, targets: list[Target]) -> list[Request]:
    from app import create_app
    from app.config import normalise_database_url
    from core.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
                      "RATELIMIT_ENABLED": False})
    _demo.clear()  # each database is seeded with a demo of its own
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


def uptime() -> str:
    """``uptime``'s line (the load averages), or the 1, 5 and 15-minute loads."""
    line = _command_output(["uptime"])
    if line == "?":
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return line.strip()


def machine_description(
    wrk: str,
    pg_versions: dict[str, str],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    uptimes: tuple[str, str] | None = None,
) -> list[str]:
    import gunicorn as gunicorn_package

    lines = [
        machine_line(),
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
        + "".join(f", PostgreSQL {v}" for v in pg_versions.values()),
        f"- gunicorn {gunicorn_package.__version__}: {WORKERS} {WORKER_CLASS} workers, "
        "no access log, HTX_ENV=production, rate limits off (but for the *limits on* rows)",
        f"- load: {_command_output([wrk, '-v']).split(' [')[0]} on the same machine; "
        f"1-min load average {load_before[0]:.2f} before the run, {load_after[0]:.2f} after"
        + (" (other work shared the cores: absolute figures are low, ratios still hold)"
           if load_before[0] > 0.5 else ""),
        code_line(),
    ]
    if uptimes:
        lines.insert(4, f"- load (`uptime`): before `{uptimes[0]}`; after `{uptimes[1]}`")
    return lines


def report(
    results: dict[str, list[Measurement]], args: argparse.Namespace, machine: list[str],
    notes: list[str] | None = None,
) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"## {stamp}", "", *machine,
           f"- wrk: {args.threads} threads, {args.connections} connections; "
           f"{args.rounds} round(s) over every target in alternating order (every server up "
           f"throughout), {args.duration} s per target and round after a {args.warmup} s "
           "warm-up; req/s is the mean of the rounds, each percentile their median",
           *(f"- {note}" for note in notes or []), ""]
    for database, measurements in results.items():
        ceiling = next(m for m in measurements if m.target is CEILING)
        out += [f"### {database}", "",
                "| target | req/s | p50 ms | p90 ms | p99 ms | vs ceiling | errors | what |",
                "|---|---:|---:|---:|---:|---:|---:|---|"]
        for m in measurements:
            rate = (f"{m.requests_per_s:,.0f}" if m.target.unit_requests == 1 else
                    f"{m.rate:,.0f} {m.target.unit} ({m.requests_per_s:,.0f} req)")
            out.append(
                f"| {m.target.name} | {rate} | {m.p50_ms:.2f} | "
                f"{m.p90_ms:.2f} | {m.p99_ms:.2f} | {m.ratio(ceiling):.2f} | {m.errors} | "
                f"{m.target.description} |"
            )
        out += ["", *aims(measurements), ""]
    return "\n".join(out) + "\n"


def aims(measurements: list[Measurement]) -> list[str]:
    """Issue 10's aims against this run's figures (limits off), each met or not."""
    by_target = {m.target: m for m in measurements}
    ceiling, bare = by_target.get(CEILING), by_target.get(BARE_FLASK)
    lines = ["Aims (issue 10, limits off):", ""]

    def line(text: str, met: bool) -> None:
        lines.append(f"- {'met' if met else '**not met**'}: {text}")

    if ceiling and bare:
        shell = ceiling.ratio(bare)
        line(f"`/healthz` ≥ {AIM_SHELL:.0%} of bare Flask: {shell:.0%}", shell >= AIM_SHELL)
    for target in SCANS:
        scan = by_target.get(target)
        if scan is None or ceiling is None:
            continue
        # The aim compares request rates: the shell's ceiling is one request, and a scan of
        # two requests each as cheap as /healthz would still be 50% of it in scans.
        share = scan.requests_per_s / ceiling.requests_per_s if ceiling.requests_per_s else 0
        in_units = ("" if target.unit_requests == 1 else
                    f" (in {target.unit}: {scan.ratio(ceiling):.0%} of `/healthz` requests)")
        line(f"{target.name} ≥ {AIM_SCAN:.0%} of `/healthz`, in requests: {share:.0%}"
             f"{in_units}", share >= AIM_SCAN)
        bound = "" if target.unit_requests == 1 else (
            f" (each of its {target.unit_requests} requests {scan.p99_ms:.1f} ms: at most)")
        line(f"{target.name} p99 < {AIM_SCAN_P99_MS:.0f} ms at 32 connections: "
             f"{scan.unit_p99_ms:.1f} ms{bound}", scan.unit_p99_ms < AIM_SCAN_P99_MS)
    return lines


RESULTS_HEADER = """# Benchmark results

Appended by `make bench` (bench/run.py), newest last. Each section measures the hot paths and
the framework ceiling (`/healthz` of the app) in the same run; compare the *vs ceiling* ratios
across runs, not the absolute figures, which drift with the machine. The *bare Flask* row is a
plain Flask app giving the same answer: the gap to `healthz` is what the app's shell (session,
login, locale, security headers, limiter) adds to every request.

"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=5,
                        help="seconds per target in each round")
    parser.add_argument("--warmup", type=int, default=1,
                        help="seconds of warm-up per target in each round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds over every target, in alternating order")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-record", action="store_true", help="print, do not append")
    parser.add_argument("--http-only", action="store_true",
                        help="only the HTTP targets: no capture, lineage or label benchmarks")
    parser.add_argument("--note", action="append", default=[],
                        help="a line to add to the report (repeatable)")
    parser.add_argument("--scan-codes", type=int, default=scan_bench.DEFAULT_CODES,
                        help="demo lots the scan target spreads its requests over")
    parser.add_argument("--dry-run", action="store_true",
                        help="seed and check every target in this process, print the plan; "
                        "no server, no wrk, nothing recorded")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 120 or not 0 <= args.warmup <= 30 or not 1 <= args.rounds <= 10:
        parser.error("keep runs bounded: 1-120 s per target, 0-30 s warm-up, 1-10 rounds")
    if not 1 <= args.scan_codes <= 10_000:
        parser.error("--scan-codes: from 1 to 10000 lots")
    _scan_codes[0] = args.scan_codes
    if args.dry_run:
        return dry_run()

    wrk = ensure_wrk()
    load_before, uptime_before = os.getloadavg(), uptime()
    databases: list[tuple[str, Callable[[], object]]] = [("SQLite", sqlite_database)]
    server_url = os.environ.get("BENCH_DATABASE_URL")
    if server_url:
        databases.append(("PostgreSQL", lambda: postgresql_database(server_url)))

    results: dict[str, list[Measurement]] = {}
    pg_versions: dict[str, str] = {}
    capture_figures = []  # POST /epcis/capture vs raw insert (bench/capture.py)
    failures: list[str] = []
    notes: list[str] = [*args.note]
    for label, make_database in databases:
        with make_database() as database_url:  # type: ignore[attr-defined]
            env = server_environment(database_url)
            print(f"[{label}] migrating a throwaway database", flush=True)
            migrate(env)
            targets = [CEILING, *TARGETS]
            requests = prepare_targets(database_url, targets)
            if label == "PostgreSQL":
                pg_versions[label] = _postgresql_version(database_url)
            load_here = uptime()
            with ExitStack() as servers:
                # Every server up at once (an idle one costs nothing), so the rounds can
                # alternate between them: the load other work puts on the machine then
                # falls on every target alike, the reference and the ceiling included.
                bases: dict[object, str] = {
                    BARE_FLASK: servers.enter_context(gunicorn(
                        dict(os.environ), "bare_app:app", "/healthz",
                        ("--pythonpath", str(ROOT / "bench")))),
                }
                for config in dict.fromkeys(t.config for t in targets):
                    bases[config] = servers.enter_context(gunicorn(env, factory_spec(config)))
                plan = [(BARE_FLASK, bases[BARE_FLASK], BARE_FLASK.prepare())] + [
                    (target, bases[target.config], request)
                    for target, request in zip(targets, requests, strict=True)
                ]
                for target, base_url, request in plan:
                    answered = check_answer(http_sender(base_url), target, request)
                    if target is TRACE_PAGE:
                        notes.append(_trace_page_note(label, answered))
                rounds: dict[Target, list[Measurement]] = {t: [] for t, _b, _r in plan}
                for n in range(args.rounds):
                    for target, base_url, request in plan if n % 2 == 0 else plan[::-1]:
                        print(f"[{label}] round {n + 1}: {target.name}: {request.method} "
                              f"{request.path}", flush=True)
                        rounds[target].append(run_wrk(wrk, base_url, target, request, args))
                        _print(rounds[target][-1])
            measurements = [combined(target, runs) for target, runs in rounds.items()]
            notes.append(f"{label}: `uptime` before its targets `{load_here}`, after "
                         f"`{uptime()}`")
            failures += [f"{label} {m.target.name}: {m.errors} errors"
                         for m in measurements if m.errors]
            results[label] = measurements
            if not args.http_only:
                capture_figures.append(capture_bench.measure(label, database_url, env))

    if "lot" in _demo:
        lot = _demo["lot"]
        notes.insert(0, f"scanned: the demo's GTIN lot ({lot.product}, lot {lot.lot_code}, "
                        f"{_demo['ancestors']} ancestor lots), `{lot.label_path}`; the scan "
                        f"target: {_demo.get('scan_codes', 0)} demo lots in turn")
    load_after = os.getloadavg()
    section = report(
        results, args,
        machine_description(wrk, pg_versions, load_before, load_after,
                            (uptime_before, uptime())),
        notes,
    )
    if capture_figures:
        section += "\n" + capture_bench.report(capture_figures)
    print()
    print(section)
    if not args.no_record:
        if not RESULTS.exists():
            RESULTS.write_text(RESULTS_HEADER)
        record(section)
    if failures:
        print("bench: some requests failed: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


def dry_run() -> int:
    """Everything but the load: a throwaway SQLite database migrated and seeded, each
    target's request prepared and answered by the app in this process (the checks the real
    run makes before wrk), the plan and the scan's wrk script printed."""
    targets = [CEILING, *TARGETS]
    with sqlite_database() as database_url:
        env = server_environment(database_url)
        print("[dry run] migrating and seeding a throwaway SQLite database", flush=True)
        migrate(env)
        requests = prepare_targets(database_url, targets)
        from app import create_app
        from app.config import normalise_database_url

        app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
                          "RATELIMIT_ENABLED": False})
        client = app.test_client()

        def send(method: str, path: str, body: str | None,
                 headers: dict[str, str]) -> tuple[int, dict[str, str]]:
            answer = client.open(path, method=method, data=body, headers=headers)
            return answer.status_code, dict(answer.headers)

        for target, request in zip(targets, requests, strict=True):
            check_answer(send, target, request)
            extra = f" and {len(request.paths) - 1} more codes" if request.paths else ""
            print(f"[dry run] {target.name}: {request.method} {request.path}{extra}: "
                  f"answers {request.status} as it must", flush=True)
        scan = requests[targets.index(SCAN)]
        script = scan.lua_script() or ""
        print(f"[dry run] the scan's wrk script ({len(script.splitlines())} lines), "
              "without its list of codes:")
        print("\n".join(line for line in script.splitlines() if not line.startswith("  [==[")))
    return 0


def combined(target: Target, runs: list[Measurement]) -> Measurement:
    """A target's rounds as one figure: the mean rate, the median of each percentile."""
    return Measurement(
        target=target,
        requests_per_s=statistics.fmean(m.requests_per_s for m in runs),
        p50_ms=statistics.median(m.p50_ms for m in runs),
        p90_ms=statistics.median(m.p90_ms for m in runs),
        p99_ms=statistics.median(m.p99_ms for m in runs),
        requests=sum(m.requests for m in runs),
        errors=sum(m.errors for m in runs),
    )


def _print(m: Measurement) -> None:
    per_unit = f" ({m.rate:,.0f} {m.target.unit}/s)" if m.target.unit_requests > 1 else ""
    print(f"    {m.requests_per_s:,.0f} req/s{per_unit}, p50 {m.p50_ms:.2f} ms, "
          f"p90 {m.p90_ms:.2f} ms, p99 {m.p99_ms:.2f} ms, errors {m.errors}", flush=True)


def _trace_page_note(label: str, headers: dict[str, str]) -> str:
    """What the trace page's answer said about caching, as measured."""
    said = [f"{name}: {headers[name]}" for name in ("Cache-Control", "ETag", "Last-Modified")
            if name in headers]
    return (f"{label}: the trace page answered " + ("; ".join(f"`{s}`" for s in said)
            if said else "with no caching header"))


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
    if "--http-only" in sys.argv or "--dry-run" in sys.argv:
        sys.exit(status)
    # Lineage traces and recalls in a generated genealogy (SQL, no HTTP): bench/lineage.py,
    # its own section in RESULTS.md.
    import lineage as lineage_bench

    lineage_status = lineage_bench.main(["--no-record"] if "--no-record" in sys.argv else [])
    # QR codes per second and label sheet PDFs (no database): bench/labels.py.
    import labels as labels_bench

    labels_status = labels_bench.main(["--no-record"] if "--no-record" in sys.argv else [])
    sys.exit(status or lineage_status or labels_status)
