"""Today's migrations run on a database that holds data, both ways, on SQLite and PostgreSQL.

SQLite rebuilds a table to alter it (copy, DROP, rename); with foreign keys enforced the DROP
of a referenced table failed, so a cooperative's existing database could not be upgraded
(migrations/env.py now turns enforcement off around the migration and checks after). The
event-ownership revision also detaches what another organisation had attached to a lot
other than its receiving of it (a buyer's booking showed the receipt twice)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import flask_migrate
from sqlalchemy import text

from core.db import db
from linkages.models.organisations import OrgType
from tests.app.test_migration_batch_void import _session_on_the_fresh_database
from tests.app.test_migrations import app_on, fresh_database_url
from tests.traceability.batch_factories import make_area, make_party, make_product
from traceability.services import recording as be

BEFORE = "5b1e0c9d4a7f"  # the head before this session's revisions


def _shipped_and_received() -> dict[str, int]:
    """A cooperative's lot shipped to and received by a buyer, through the services."""
    with _session_on_the_fresh_database():
        coop, buyer = make_party("HTX Di trú"), make_party("Công ty Di trú", OrgType.DN)
        batch = be.record_harvest(
            coop.staff, area_ids=[make_area(coop.org).id],
            product_id=make_product(coop.org).id, quantity=Decimal(100), unit="kg",
            harvested_on="2026-03-01",
        )
        shipped = be.record_shipping(coop.staff, batch.id, to_organisation_id=buyer.org.id,
                                     quantity=Decimal(100), unit="kg", shipped_at="2026-03-02")
        received = be.record_receiving(buyer.staff, shipped.shipment.id,
                                       received_quantity=Decimal(100), unit="kg")
        db.session.commit()
        return {"lot": batch.id, "receiving": received.events[0].id,
                "booking": received.events[1].id}


def _attached(lot: int) -> set[int]:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT event_pk FROM event_batches WHERE batch_id = :b"),
                            {"b": lot})
        return {row[0] for row in rows}


def test_the_migrations_run_both_ways_on_data_and_detach_foreign_observations(
    tmp_path: Path,
) -> None:
    with fresh_database_url(tmp_path) as url, app_on(url, tmp_path):
        flask_migrate.upgrade()
        ids = _shipped_and_received()
        assert ids["booking"] not in _attached(ids["lot"])

        flask_migrate.downgrade(revision=BEFORE)  # rebuilds users and epcis_events
        # As the older code stored it: the buyer's booking attached to the shipped lot.
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO event_batches (event_pk, batch_id, quantity_kg) "
                     "VALUES (:e, :b, 0)"),
                {"e": ids["booking"], "b": ids["lot"]},
            )
        assert ids["booking"] in _attached(ids["lot"])

        flask_migrate.upgrade()
        attached = _attached(ids["lot"])
        assert ids["receiving"] in attached and ids["booking"] not in attached
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
