"""End-to-end tests: the real app served by gunicorn, driven by the system's headless Chromium.

The server is a subprocess on its own SQLite file, never the suite's session database: the
root conftest swaps ``db.session`` for one bound to a rolled-back transaction, which another
process could not see. Chromium is Debian's ``/usr/bin/chromium`` — a browser downloaded by
``playwright install`` is never used. Without it these tests are skipped on a laptop but
fail under CI (``CI=true``), where Chromium is installed and the tests must run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.browser import prepare_db

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("HTX_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
STARTUP_DEADLINE_S = 60
EMAIL = prepare_db.EMAIL
PASSWORD = prepare_db.PASSWORD
ORG_SHORT_NAMES = tuple(short for _code, _name, short, _type in prepare_db.ORGS)


def vi_date(day: date) -> str:
    """A date as the Vietnamese pages write it (Babel's medium format): 7 thg 12, 2026."""
    return f"{day.day} thg {day.month}, {day.year}"


def vi_short_date(day: date) -> str:
    """A date as the Vietnamese pages write it next to a time (short format): 7/12/26."""
    return f"{day.day}/{day.month}/{day.year % 100:02d}"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run the browser tests)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def db() -> Iterator[None]:
    """Replaces the root autouse fixture: these tests never touch the session database."""
    yield None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TEST_DATABASE_URL"}}
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp / 'browser.sqlite3'}",
            "HTX_INSTANCE_PATH": str(tmp / "instance"),
            "HTX_ENV": "testing",
            "SECRET_KEY": "browser-test-secret-key",
            "PERSON_ID_HASH_KEY": "browser-test-person-key",
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            # Many logins in a row from one address; the limiter has its own in-process test.
            "RATELIMIT_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the app server exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"the app server did not answer in time:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the app served by gunicorn on a free loopback port."""
    if not (ROOT / "app/translations/vi/LC_MESSAGES/messages.mo").exists():
        pytest.fail("translations are not compiled: run scripts/i18n.sh compile", pytrace=False)
    tmp = tmp_path_factory.mktemp("browser")
    env = _server_env(tmp)
    prepared = subprocess.run(
        [sys.executable, "-m", "tests.browser.prepare_db"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if prepared.returncode != 0:
        pytest.fail(f"preparing the browser database failed:\n{prepared.stderr[-4000:]}")
    port = _free_port()
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


PhoneFactory = Callable[[], Any]


@pytest.fixture()
def new_phone(browser: Any, live_server: str) -> Iterator[PhoneFactory]:
    """Opens pages in fresh phone-sized contexts whose browser prefers Vietnamese: one per
    person of a scenario with several (each signs in once and keeps its own session)."""
    contexts: list[Any] = []

    def open_page() -> Any:
        context = browser.new_context(
            base_url=live_server,
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            locale="vi-VN",
        )
        contexts.append(context)
        context.set_default_timeout(15_000)
        return context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


@pytest.fixture()
def phone(new_phone: PhoneFactory) -> Any:
    """A page in a fresh phone-sized context whose browser prefers Vietnamese."""
    return new_phone()


@pytest.fixture()
def expect():  # type: ignore[no-untyped-def]
    """Playwright's auto-waiting assertions (imported late: Playwright may be absent)."""
    from playwright.sync_api import expect

    return expect
