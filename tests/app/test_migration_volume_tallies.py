"""``a11c0c0d0e21`` fills the volume tallies, and ``a11c0c0d0e23`` the acceptance
tallies, from the lots and deliveries recorded before them, as the upkeep would have kept
them (on SQLite and PostgreSQL): a world recorded through the services, its tallies taken
down with the downgrade and filled again by the upgrade, reads the same."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
import pytest

from core.db import db
from tests.app.test_migration_batch_void import _session_on_the_fresh_database
from tests.app.test_migrations import app_on, fresh_database_url
from tests.linkages._helpers_deliveries import build_world, ship_event_id
from tests.linkages.test_volume_tallies import _rows
from traceability.services.recording import correct_event


@pytest.mark.parametrize("before", ["a11c0c0d0e20", "a11c0c0d0e22"])
def test_the_upgrade_fills_the_tallies_as_they_are_kept(tmp_path: Path, before: str) -> None:
    with fresh_database_url(tmp_path) as url, app_on(url, tmp_path):
        flask_migrate.upgrade()
        with _session_on_the_fresh_database():
            from linkages.services.places import load_places

            load_places()
            world = build_world()
            correct_event(world.coop.actor, ship_event_id(world.deliveries["d3"]),
                          reason="did_not_occur", batch_id=world.lot_p)
            correct_event(world.coop.actor, ship_event_id(world.deliveries["d4"]),
                          reason="did_not_occur", batch_id=world.lot_p2)
            db.session.commit()
            kept = _rows()
        assert kept["harvest"] and kept["delivery"] and kept["acceptance"]
        flask_migrate.downgrade(revision=before)
        flask_migrate.upgrade()
        with _session_on_the_fresh_database():
            assert _rows() == kept
