"""``a11c0c0d0e22`` fills the contracts' sides from the parties recorded before it, as the
upkeep would have kept them (on SQLite and PostgreSQL): contracts recorded through the
services, their sides taken down with the downgrade and filled again by the upgrade, read
the same."""

from __future__ import annotations

from pathlib import Path

import flask_migrate

from core.db import db
from linkages.models.organisations import OrgType
from linkages.services import contracts
from tests.app.test_migration_batch_void import _session_on_the_fresh_database
from tests.app.test_migrations import app_on, fresh_database_url
from tests.linkages._helpers_contracts import side, terms
from tests.linkages.test_contract_sides import _rows

BEFORE = "a11c0c0d0e21"


def test_the_upgrade_fills_the_sides_as_they_are_kept(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url, app_on(url, tmp_path):
        flask_migrate.upgrade()
        with _session_on_the_fresh_database():
            from linkages.services.places import load_places

            load_places()
            coop, buyer = side("HTX Cà phê Ea Tân"), side("Công ty Bảo Lộc", OrgType.DN)
            union = side("Liên hiệp HTX Tây Nguyên", OrgType.LHHTX)
            group = side("Tổ hợp tác Ea Kao", OrgType.THT)
            contracts.create_contract(coop.actor, **terms(coop.org, buyer.org))
            contracts.create_contract(coop.actor, **terms(coop.org, union.org))
            contracts.create_contract(coop.actor, **terms(coop.org, group.org))
            contracts.create_contract(buyer.actor, **terms(buyer.org, coop.org, parties=[
                {"organisation_id": buyer.org.id, "role": "leader"},
                {"organisation_id": coop.org.id, "role": "producer"},
                {"organisation_id": buyer.org.id, "role": "offtaker"}]))
            db.session.commit()
            kept = _rows()
        assert len(kept) == 4
        flask_migrate.downgrade(revision=BEFORE)
        flask_migrate.upgrade()
        with _session_on_the_fresh_database():
            assert _rows() == kept
