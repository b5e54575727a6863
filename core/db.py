"""Database handle and declarative base shared by every domain package."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import Enum as PyEnum
from typing import Any, TypeVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    DateTime,
    Dialect,
    Enum,
    MetaData,
    TypeDecorator,
    create_engine,
    func,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core import process_writes  # noqa: F401  (counts this process's writes from the start)

# What integer columns hold. Keys are INTEGER, 32-bit on PostgreSQL, except where a model
# says BIGINT (EPCIS events); a value beyond its column's range can name no row, and binding
# it fails in the driver ("integer out of range"; SQLite's OverflowError beyond 64 bits).
MAX_SMALLINT = 2**15 - 1
MIN_INTEGER, MAX_INTEGER = -(2**31), 2**31 - 1
MAX_BIGINT = 2**63 - 1

# Stable constraint names make Alembic migrations identical on SQLite and PostgreSQL
# and let batch mode (SQLite ALTER) find the constraints it has to recreate.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time, always handed back timezone-aware in UTC.

    PostgreSQL keeps the instant of a ``timestamptz``; SQLite keeps text and drops the
    offset, so a ``+07:00`` time would come back seven hours off and naive. Converting to
    UTC on the way in and marking UTC on the way out makes both databases agree, and no
    caller needs to patch naive values. A naive value given to it is taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Timestamped:
    """created_at / updated_at columns, set by the database clock on insert."""

    created_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), default=utcnow
    )
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), default=utcnow, onupdate=utcnow
    )


def str_enum(enum_cls: type[PyEnum], name: str, length: int = 32) -> Enum:
    """An enum column stored as its value strings with a CHECK constraint.

    Portable (no native PostgreSQL enum types to migrate) and readable in plain SQL.
    """
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def on_postgresql() -> bool:
    """Whether the session's statements run on PostgreSQL (else SQLite)."""
    return db.session.get_bind().dialect.name == "postgresql"


def set_local(**settings: str) -> dict[str, str]:
    """PostgreSQL: ``SET LOCAL`` each setting (``set_config(..., true)``) for the rest of
    the current transaction, and return the values it replaced; nothing on other
    databases (an empty dict)."""
    if not on_postgresql():
        return {}
    names = list(settings)
    columns = ", ".join(
        f"current_setting(:n{i}), set_config(:n{i}, :v{i}, true)" for i in range(len(names))
    )
    params = {f"n{i}": name for i, name in enumerate(names)}
    row = db.session.execute(
        text(f"SELECT {columns}"),
        params | {f"v{i}": settings[name] for i, name in enumerate(names)},
    ).one()
    return {name: row[2 * i] for i, name in enumerate(names)}


@contextmanager
def local_settings(**settings: str) -> Iterator[None]:
    """PostgreSQL settings for the statements run inside, put back afterwards, so the
    caller's later queries in the same transaction plan as usual (``set_local``)."""
    previous = set_local(**settings)
    yield  # on an error, no restoring: the aborted transaction's rollback does it
    if previous:
        set_local(**previous)


@contextmanager
def throwaway_postgresql_database(server_url: str, prefix: str) -> Iterator[str]:
    """A brand-new PostgreSQL database on the server ``server_url`` names (a SQLAlchemy URL),
    dropped afterwards: for migration tests and benchmarks that need an empty schema."""
    url = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    # CREATE/DROP DATABASE cannot run in a transaction: talk to the maintenance database.
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


T = TypeVar("T")

# Values per ``IN (…)`` list: far below SQLite's bound-parameter limit (32,766) and small
# enough that PostgreSQL plans each statement quickly.
IN_LIST_CHUNK = 500


def chunks(values: Sequence[T], size: int = IN_LIST_CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size``, for ``IN (…)`` lookups."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
