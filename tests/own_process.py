"""Running a test script in a process of its own, for what is one object per process — the
rate limiter — and is switched off in the session's app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def printed_by(script: str, tmp_path: Path) -> list[str]:
    """Run ``script`` with a fresh SQLite file's path as ``sys.argv[1]`` and the instance
    folder in ``tmp_path``; return the words it printed (the test fails if it fails)."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "own.sqlite3")],
        cwd=ROOT,
        env={**os.environ, "HTX_INSTANCE_PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split()
