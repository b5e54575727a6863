"""Running a test script in a process of its own, for what is one object per process — the
rate limiter — and is switched off in the session's app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What every script of a limit test starts with: an app on the script's own SQLite file
# with the rate limiter on (in memory), its schema made, and ``client`` to call it.
_LIMITED_APP = """
import sys
from app import create_app
from core.db import db

app = create_app({**%(settings)r, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1]})
with app.app_context():
    db.create_all()
client = app.test_client()
"""


def limited_app_script(body: str, **config: object) -> str:
    """A script for ``printed_by``: the limited app (``config`` on top of the testing
    settings, e.g. ``RATELIMIT_LOGIN="3 per minute"``), then ``body``."""
    settings = {
        "TESTING": True, "ENV_NAME": "testing", "SECRET_KEY": "own-process-test",
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", **config,
    }
    return _LIMITED_APP % {"settings": settings} + body


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
