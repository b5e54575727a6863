"""``a11c0c0d0e16`` gives the lots already void and the certificates already revoked the
time the indicator's as-of figures read (on SQLite and PostgreSQL): a void lot the latest
withdrawal of its events, else its last update; a revoked certificate its last update;
everything else none."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask_migrate
from sqlalchemy import text

from core.db import db
from tests.app.test_migration_batch_void import _session_on_the_fresh_database
from tests.app.test_migrations import app_on, fresh_database_url
from tests.factories import make_org
from tests.traceability.batch_factories import make_product

BEFORE = "a11c0c0d0e15"
UPDATED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
WITHDRAWN = (datetime(2026, 2, 1, 8, 0, tzinfo=UTC), datetime(2026, 2, 9, 8, 0, tzinfo=UTC))


def _insert(table: str, **values: Any) -> int:
    """A row written as the schema before the upgrade holds it (the models already have
    the new columns); its id."""
    columns = ", ".join(values)
    names = ", ".join(f":{name}" for name in values)
    return db.session.execute(
        text(f"INSERT INTO {table} ({columns}) VALUES ({names}) RETURNING id"), values
    ).scalar_one()


def _lot(org: int, product: int, code: str, status: str) -> int:
    return _insert("batches", organisation_id=org, product_id=product, lot_code=code,
                   identifier=f"https://trace.example.vn/x/10/{code}",
                   canonical_id=f"https://trace.example.vn/x/10/{code}", quantity=10,
                   unit="kg", quantity_kg=10, grade="", status=status,
                   phi_override_reason="", created_at=UPDATED, updated_at=UPDATED)


def _event(lot: int, n: int, retracted_at: datetime | None) -> None:
    event = _insert("epcis_events", event_id=f"urn:uuid:mig-{lot}-{n}", declares_error=False,
                    event_type="ObjectEvent", event_time=UPDATED, event_tz_offset="+07:00",
                    record_time=UPDATED, document="{}", retracted_at=retracted_at)
    db.session.execute(text("INSERT INTO event_batches (event_pk, batch_id, quantity_kg) "
                            "VALUES (:e, :b, 10)"), {"e": event, "b": lot})


def _rows_before_the_upgrade() -> dict[str, int]:
    with _session_on_the_fresh_database():
        org = make_org("HTX Di trú thời điểm")
        product = make_product(org).id
        ids = {"withdrawn": _lot(org.id, product, "VOID-E", "void"),
               "no_events": _lot(org.id, product, "VOID-N", "void"),
               "active": _lot(org.id, product, "LIVE-1", "active")}
        for n, moment in enumerate((*WITHDRAWN, None)):
            _event(ids["withdrawn"], n, moment)
        _event(ids["active"], 0, WITHDRAWN[0])
        for name, revoked in (("revoked", "2026-01-15"), ("valid", None)):
            ids[name] = _insert(
                "certifications", organisation_id=org.id, scheme="vietgap",
                scheme_name="", number=f"CERT-{name}", issuer="UBND",
                issued_on="2025-01-01", scope="", subject_kind="organisation",
                is_public=True, revocation_reason="", revoked_on=revoked,
                created_at=UPDATED, updated_at=UPDATED)
        db.session.commit()
        return ids


def _moment(table: str, column: str, row: int) -> datetime | None:
    with db.engine.connect() as conn:
        value = conn.execute(text(f"SELECT {column} FROM {table} WHERE id = :id"),
                             {"id": row}).scalar_one()
    if isinstance(value, str):  # SQLite hands back the text it stores
        value = datetime.fromisoformat(value)
    return None if value is None else value.astimezone(UTC)


def test_the_upgrade_dates_past_voids_and_revocations(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url, app_on(url, tmp_path):
        flask_migrate.upgrade(revision=BEFORE)
        ids = _rows_before_the_upgrade()
        flask_migrate.upgrade()
        assert _moment("batches", "voided_at", ids["withdrawn"]) == WITHDRAWN[1]
        assert _moment("batches", "voided_at", ids["no_events"]) == UPDATED
        assert _moment("batches", "voided_at", ids["active"]) is None
        assert _moment("certifications", "revoked_at", ids["revoked"]) == UPDATED
        assert _moment("certifications", "revoked_at", ids["valid"]) is None
        flask_migrate.downgrade(revision=BEFORE)
