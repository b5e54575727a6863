"""Settings from the environment (and an optional ``.env``), with safe defaults for a laptop.

Every setting is read here and nowhere else, so the README's configuration table and this
module describe the same thing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from argon2 import DEFAULT_MEMORY_COST, DEFAULT_PARALLELISM, DEFAULT_TIME_COST
from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-insecure-secret-key"


class ConfigError(RuntimeError):
    """The configuration cannot be used (e.g. production with the default secret)."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int_or_none(value: str | None) -> int | None:
    return None if value is None or not value.strip() else int(value)


def default_sqlite_url(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'htx_trace.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """Let operators write ``postgres://`` or ``postgresql://``; we always drive psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def from_environment(instance_path: str) -> dict[str, Any]:
    load_dotenv(ROOT / ".env", override=False)
    env = os.environ
    database_url = env.get("DATABASE_URL") or default_sqlite_url(instance_path)
    return {
        "ENV_NAME": env.get("HTX_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        "BABEL_DEFAULT_LOCALE": env.get("DEFAULT_LOCALE", "vi"),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024))),
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "ALLOW_PLAIN_HTTP": _bool(env.get("ALLOW_PLAIN_HTTP"), False),
        "PERSON_ID_HASH_KEY": env.get("PERSON_ID_HASH_KEY"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        "TRUSTED_PROXY_COUNT": int(env.get("TRUSTED_PROXY_COUNT", "0")),
        "EPCIS_CAPTURE_LIMIT": int(env.get("EPCIS_CAPTURE_LIMIT", "10000")),
        "EPCIS_CAPTURE_FILE_SIZE_LIMIT": int(
            env.get("EPCIS_CAPTURE_FILE_SIZE_LIMIT", str(16 * 1024 * 1024))
        ),
        # Unset (None): see ``password_hash_parameters``.
        "PASSWORD_HASH_TIME_COST": _int_or_none(env.get("PASSWORD_HASH_TIME_COST")),
        "PASSWORD_HASH_MEMORY_COST": _int_or_none(env.get("PASSWORD_HASH_MEMORY_COST")),
        "PASSWORD_HASH_PARALLELISM": _int_or_none(env.get("PASSWORD_HASH_PARALLELISM")),
    }


# argon2id parameters of new password hashes: passes, memory in KiB, lanes. Unset, they are
# argon2-cffi's defaults (RFC 9106's low-memory profile: 3 passes over 64 MiB on 4 lanes,
# ~0.3 s a hash) except under HTX_ENV=testing, where a hash costs microseconds: the test
# suite signs in thousands of times. A hash records its own parameters, so every stored
# hash still verifies whatever these say, and a sign-in rehashes a password whose hash was
# made with other parameters.
PASSWORD_HASH_SETTINGS = (
    "PASSWORD_HASH_TIME_COST",
    "PASSWORD_HASH_MEMORY_COST",
    "PASSWORD_HASH_PARALLELISM",
)
PASSWORD_HASH_DEFAULTS = (DEFAULT_TIME_COST, DEFAULT_MEMORY_COST, DEFAULT_PARALLELISM)
PASSWORD_HASH_TESTING = (1, 8, 1)  # argon2's minimum: for test runs only
# Production refuses less work than OWASP's weakest recommended argon2id setting
# (5 passes over 7 MiB, or equivalently 2 over 19 MiB): passes × KiB below this.
PASSWORD_HASH_MIN_WORK = 5 * 7168


def password_hash_parameters(config: Mapping[str, Any]) -> tuple[int, int, int]:
    """(time cost, memory cost in KiB, parallelism) of new password hashes."""
    defaults = (
        PASSWORD_HASH_TESTING if config.get("ENV_NAME") == "testing" else PASSWORD_HASH_DEFAULTS
    )
    time_cost, memory_cost, parallelism = (
        default if config.get(name) is None else int(config[name])
        for name, default in zip(PASSWORD_HASH_SETTINGS, defaults, strict=True)
    )
    return time_cost, memory_cost, parallelism


DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "LANGUAGES": ("vi", "en"),
    "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "app" / "translations"),
    "WTF_CSRF_TIME_LIMIT": None,  # the session bounds the token's life
    # flask-smorest / OpenAPI
    "API_TITLE": "HTX Trace API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_PAGE_SIZE_MAX": 100,
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_PUBLIC": "120 per minute",
    "RATELIMIT_LOGIN": "10 per minute",
    # Failed sign-ins per account (the e-mail submitted), whatever the address: the hourly
    # cap bounds a password guess spread over many addresses.
    "RATELIMIT_LOGIN_ACCOUNT": "10 per minute; 50 per hour",
    "RATELIMIT_TOKEN_FAILURES": "10 per minute",
    "RATELIMIT_EPCIS_CAPTURE": "120 per minute",
    "RATELIMIT_EPCIS_QUERY": "600 per minute",
    # Label sheet PDFs per user: a printer's day needs a few, a sheet of 1,000 labels
    # costs seconds of CPU.
    "RATELIMIT_LABEL_SHEETS": "20 per minute; 200 per hour",
    # Trace page GETs per client address (a shop's customers may share one address; the
    # resolver in front allows 600 a minute). A flood beyond it gets 429 and records nothing.
    "RATELIMIT_TRACE": "120 per minute",
    # The consumer trace page (app/public/views.py, traceability/services/trace_cache.py):
    # rendered pages kept per worker, and the longest a page may show what its version
    # stamp does not follow (another organisation's renamed profile, a new certificate).
    "TRACE_PAGE_CACHE_SIZE": 512,
    "TRACE_PAGE_CACHE_SECONDS": 300,
    # How long a worker answers a scan (resolver and trace page) from what it read for the
    # same identifier a moment ago, without asking the database again, unless it wrote
    # since (trace_cache.RecentCache): another worker's event, recall or scans show at
    # most this late. 0 asks the database on every scan.
    "TRACE_RECHECK_SECONDS": 2.0,
    # A product's photo as uploaded (traceability/services/product_images.py re-encodes it
    # to a small JPEG): a phone's camera photo fits.
    "PRODUCT_IMAGE_MAX_BYTES": 8 * 1024 * 1024,
    # A contract's signed scan (linkages/services/contracts/attachments.py).
    "CONTRACT_ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    # Scans (traceability/services/scans.py): written per worker in one INSERT of this many
    # rows, or when the oldest is this many seconds old; and what the producer's flags say.
    "SCAN_BUFFER_ROWS": 500,
    "SCAN_BUFFER_SECONDS": 5.0,
    "SCAN_FLAG_SERIAL_MAX": 20,  # scans of one serial number
    "SCAN_FLAG_DISTINCT_CLIENTS": 10,  # distinct clients scanning one serial number
    "SCAN_FLAG_AFTER_EXPIRY_DAYS": 30,
    # `flask digest compile` (app/static_files.py) writes a .gz and a .br of each static file
    # and fingerprints all but licence texts (.txt, and names without an extension).
    "FLASK_STATIC_DIGEST_COMPRESSION": ["gzip", "brotli"],
    "FLASK_STATIC_DIGEST_BLACKLIST_FILTER": [".txt", ""],
}


def check(config: dict[str, Any]) -> None:
    time_cost, memory_cost, parallelism = password_hash_parameters(config)
    if time_cost < 1 or parallelism < 1 or memory_cost < 8 * parallelism:
        raise ConfigError(
            "PASSWORD_HASH_*: argon2 needs at least 1 pass, 1 lane and 8 KiB per lane"
        )
    if config.get("ENV_NAME") == "production" and time_cost * memory_cost < PASSWORD_HASH_MIN_WORK:
        raise ConfigError(
            "PASSWORD_HASH_TIME_COST × PASSWORD_HASH_MEMORY_COST is too low for production "
            f"(at least {PASSWORD_HASH_MIN_WORK}, e.g. 2 passes over 19456 KiB)"
        )
    if config.get("ENV_NAME") == "production" and config.get("SECRET_KEY") in (
        None,
        "",
        DEV_SECRET_KEY,
    ):
        raise ConfigError("SECRET_KEY must be set to a random value in production")
    if config.get("ENV_NAME") == "production" and not config.get("PERSON_ID_HASH_KEY"):
        raise ConfigError("PERSON_ID_HASH_KEY must be set in production")
    # Over plain HTTP the session cookie (and with it the account) is readable by anyone on
    # the way: production sends it over HTTPS only, unless the operator says in so many
    # words that this instance is served over plain HTTP (a trial on a private network).
    if (
        config.get("ENV_NAME") == "production"
        and not config.get("SESSION_COOKIE_SECURE")
        and not config.get("ALLOW_PLAIN_HTTP")
    ):
        raise ConfigError(
            "SESSION_COOKIE_SECURE must be true in production (behind HTTPS); "
            "set ALLOW_PLAIN_HTTP=true only for an instance served over plain HTTP on purpose"
        )
