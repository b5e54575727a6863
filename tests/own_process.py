"""Running a test script in a process of its own, for what is one object per process — the
rate limiter — and is switched off in the session's app.

The process is forked from a fork server (``multiprocessing``'s ``forkserver``): a fresh
interpreter started once per pytest process, which has imported the app's modules and done
nothing else — no app created, no limiter configured, no database opened. Each script gets
a copy of that interpreter: the same state as a new ``python -c`` after its imports, without
paying those imports (about a second and a half of CPU) for each script. It is not a fork of
the test process itself, whose limiter, ``db.session`` and open connections the tests have
changed. Where ``forkserver`` does not exist, the script runs in a new interpreter.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import traceback
from multiprocessing.context import BaseContext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 120

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

# The packages whose modules the fork server imports: the app's own.
_APP_PACKAGES = ("app", "core", "linkages", "traceability")


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
    database = str(tmp_path / "own.sqlite3")
    env = {**os.environ, "HTX_INSTANCE_PATH": str(tmp_path)}
    context = _fork_server()
    if context is None:
        done = subprocess.run(
            [sys.executable, "-c", script, database],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.split()

    out, err = tmp_path / "own.stdout", tmp_path / "own.stderr"
    process = context.Process(target=_run, args=(script, database, env, str(out), str(err)))
    process.start()
    process.join(TIMEOUT_S)
    if process.exitcode is None:
        process.kill()
        process.join()
        raise AssertionError(f"the script ran for more than {TIMEOUT_S} s")
    assert process.exitcode == 0, err.read_text(encoding="utf-8")[-3000:]
    return out.read_text(encoding="utf-8").split()


_CONTEXT: BaseContext | None = None


def _fork_server() -> BaseContext | None:
    """The forkserver context, its server to import the app's modules (those this process
    has imported by now, so also those ``create_app`` imports when called)."""
    global _CONTEXT
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    if _CONTEXT is None:
        import app  # noqa: F401  (so that the list below has at least the app's package)

        context = multiprocessing.get_context("forkserver")
        # In the order this process first imported them, which is known to work.
        context.set_forkserver_preload(
            [name for name in sys.modules if name.split(".")[0] in _APP_PACKAGES]
        )
        _CONTEXT = context
    return _CONTEXT


def stop_fork_server() -> None:
    """End the fork server, if this process started one, and wait for it (tests/conftest.py
    calls it when the session ends): it would otherwise end only once this process has, an
    orphan that no one waits for."""
    global _CONTEXT
    if _CONTEXT is None:
        return
    from multiprocessing import forkserver

    stop = getattr(forkserver._forkserver, "_stop", None)  # private, but there since 3.8
    if stop is not None:
        stop()
    _CONTEXT = None


def _run(script: str, database: str, env: dict[str, str], out: str, err: str) -> None:
    """In the forked process: what ``python -c script database`` would do, run in ``ROOT``
    with ``env``, its output written to the files ``out`` and ``err``; it ends the process
    with the status that would have."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(ROOT)
    sys.argv = ["-c", database]
    status = 1
    with open(out, "w", encoding="utf-8") as stdout, open(err, "w", encoding="utf-8") as stderr:
        # The descriptors too: what writes to them directly (a C library, a handler that
        # kept the old stream) goes to the same files.
        os.dup2(stdout.fileno(), 1)
        os.dup2(stderr.fileno(), 2)
        sys.stdout, sys.stderr = stdout, stderr
        try:
            exec(compile(script, "<own process>", "exec"), {"__name__": "__main__"})
            status = 0
        except SystemExit as stop:
            if stop.code is None or isinstance(stop.code, int):
                status = stop.code or 0
            else:
                print(stop.code, file=stderr)
        except BaseException:
            traceback.print_exc()
        finally:
            stdout.flush()
            stderr.flush()
    # Straight out, as the interpreter would after the script: nothing of the fork server's
    # (multiprocessing's own exit handling) runs in between.
    os._exit(status)
