"""What every benchmark needs around its measurements: throwaway databases, and the lines that
say which machine and which code the figures come from, and where they are recorded.
Imported by every benchmark script, each of which also runs on its own."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"


def record(text: str) -> None:
    """Append ``text`` (a dated section) to bench/RESULTS.md, and say so."""
    with RESULTS.open("a") as handle:
        handle.write(text)
    print(f"appended to {RESULTS.relative_to(ROOT)}")


@contextmanager
def sqlite_database(prefix: str = "htx-bench") -> Iterator[str]:
    """A SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"


@contextmanager
def postgresql_database(server_url: str, prefix: str = "htx_bench") -> Iterator[str]:
    """A throwaway database on the server ``server_url`` names, dropped afterwards."""
    from app.config import normalise_database_url
    from core.db import throwaway_postgresql_database

    with throwaway_postgresql_database(normalise_database_url(server_url), prefix) as url:
        yield url


def machine_line() -> str:
    """CPUs, memory, CPU model and platform, as far as /proc tells them."""
    cpu = memory = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        if found:
            memory = f"{int(found.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:  # not Linux: say what is known
        pass
    return (f"- machine: {os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable), "
            f"{memory}, {cpu}; {platform.platform()}")


def code_line() -> str:
    """The commit measured, and whether the working tree differed from it."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True,
                                  text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "?"
    return f"- code: {commit}{' with uncommitted changes' if git('status', '--porcelain') else ''}"
