"""End-to-end tests: the real app served by gunicorn, driven by the system's headless Chromium.

The server is a subprocess on its own SQLite file, never the suite's session database: the
root conftest swaps ``db.session`` for one bound to a rolled-back transaction, which another
process could not see. Chromium is Debian's: its old headless shell
``/usr/bin/chromium-headless-shell`` when installed (``apt-get install
chromium-headless-shell``), the browser ``/usr/bin/chromium`` otherwise, or whichever
``HTX_CHROMIUM`` names — a browser downloaded by ``playwright install`` is never used.
Without one these tests are skipped on a laptop but fail under CI (``CI=true``), where
Chromium is installed and the tests must run.

All of them share one server and one Chromium (tests/xdist_groups.py puts them on one
worker), so what they cost adds up to the suite's wall time. Hence: gunicorn's master builds
the database itself before it forks its worker (``prepare_db.served_app``), Chromium starts
while it does, and a test whose subject is not signing in opens its pages already signed in
(``signed_in``): each user signs in through the form once per session, not once per test.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests.browser import prepare_db

ROOT = Path(__file__).resolve().parents[2]
# The headless shell first: the same Chromium (the same Debian version) without the full
# browser that new-style headless runs, the build Playwright itself uses headless; it spent
# 20 s of CPU where /usr/bin/chromium spent 54 s on these tests, which wait on it.
HEADLESS_SHELL = Path("/usr/bin/chromium-headless-shell")
CHROMIUM = Path(
    os.environ.get("HTX_CHROMIUM")
    or (HEADLESS_SHELL if HEADLESS_SHELL.exists() else "/usr/bin/chromium")
)
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
STARTUP_DEADLINE_S = 300  # the server builds its database before it answers
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


@dataclass(frozen=True)
class _Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def _require_browser() -> None:
    """Skip (or fail, under CI) unless Chromium and Playwright are both there."""
    if not CHROMIUM.exists():
        _unavailable(
            f"{CHROMIUM} is missing: install Debian's chromium-headless-shell (or chromium)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright for Python is not installed")


def _wait_until_up(server: _Server) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"the app server exited early:\n{server.log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    pytest.fail(f"the app server did not answer in time:\n{server.log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def _server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Server]:
    """gunicorn on a free loopback port, started and not yet answering: ``live_server``
    waits for it once Chromium has started meanwhile.

    ``--preload``: the master builds the browser database, then loads a fresh app on it
    and forks its worker from there; the app is imported once, not by a separate
    ``prepare_db`` process and again by the worker (about 2 s of CPU)."""
    _require_browser()  # no server to start for tests that cannot run
    if not (ROOT / "app/translations/vi/LC_MESSAGES/messages.mo").exists():
        pytest.fail("translations are not compiled: run scripts/i18n.sh compile", pytrace=False)
    tmp = tmp_path_factory.mktemp("browser")
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
                "--preload",
                "tests.browser.prepare_db:served_app()",
            ],
            cwd=ROOT,
            env=_server_env(tmp),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield _Server(f"http://127.0.0.1:{port}", process, log)
    finally:
        # gunicorn's quick shutdown: the tests are over and Chromium has closed, nothing
        # is left to finish gracefully (SIGTERM lets the worker's poll loop run out its
        # second first). What made stopping slow, the exits, ``served_app`` fixed.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@pytest.fixture(scope="session")
def live_server(_server: _Server, browser: Any) -> str:
    """Base URL of the app served by gunicorn. It asks for ``browser`` so that Chromium
    starts while the server builds its database, not after."""
    _wait_until_up(_server)
    return _server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

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
def new_phone(live_server: str, browser: Any) -> Iterator[PhoneFactory]:
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


def sign_in(page: Any, email: str = EMAIL, password: str = PASSWORD) -> None:
    """Sign in through the form and land on the start page."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/$"))


class SignedInFactory(Protocol):
    """What ``signed_in`` gives a test."""

    def __call__(self, email: str = EMAIL, password: str = PASSWORD) -> Any: ...


@pytest.fixture(scope="session")
def _session_cookies() -> dict[str, list[Any]]:
    """Per email, the cookies of a session signed in through the form (kept all session:
    a session is a signed cookie, valid in any context of this browser)."""
    return {}


@pytest.fixture()
def signed_in(new_phone: PhoneFactory, _session_cookies: dict[str, list[Any]]) -> SignedInFactory:
    """``signed_in(email=EMAIL, password=PASSWORD)``: a page in a fresh phone context (as
    ``new_phone``) signed in as that user, for a test about something else than signing
    in; it then goes where it starts (the page may be blank or on the start page). The
    first time in the session the user signs in through the form; later contexts get that
    session's cookies, without the three requests and two pages of a sign-in (a test's
    own context, its org switches and the like included, stays its own)."""

    def open_page(email: str = EMAIL, password: str = PASSWORD) -> Any:
        page = new_phone()
        cookies = _session_cookies.get(email)
        if cookies is None:
            sign_in(page, email, password)
            _session_cookies[email] = page.context.cookies()
        else:
            page.context.add_cookies(cookies)
        return page

    return open_page


@pytest.fixture()
def expect():  # type: ignore[no-untyped-def]
    """Playwright's auto-waiting assertions (imported late: Playwright may be absent)."""
    from playwright.sync_api import expect

    return expect
