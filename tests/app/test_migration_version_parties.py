"""``a11c0c0d0e06`` backfills the parties of every existing contract version from its
snapshot (on SQLite and PostgreSQL), so that the indicator's as-of parties hold for
contracts recorded before the table existed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import flask_migrate
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from core.db import db
from linkages.indicator import sides
from linkages.models.contracts import (
    ContractStatus,
    LinkageContract,
    LinkageContractLine,
    LinkageContractParty,
    LinkageContractVersion,
    PartyRole,
    PriceMechanism,
    VersionChange,
)
from linkages.models.organisations import OrgType
from tests.app.test_migration_batch_void import _session_on_the_fresh_database
from tests.app.test_migrations import app_on, fresh_database_url
from tests.factories import make_org

BEFORE = "a11c0c0d0e05"


@contextmanager
def _without_sides_upkeep() -> Iterator[None]:
    """The contracts' sides are kept at every flush (``linkages.indicator.sides``), in a
    table this old revision does not have yet: not while writing at it."""
    event.remove(Session, "after_flush", sides._keep)
    try:
        yield
    finally:
        sides.keep_sides()


def _contract_with_two_versions() -> tuple[int, int, int]:
    """A contract whose first version lists the HTX and DN1, the second HTX and DN2."""
    with _session_on_the_fresh_database(), _without_sides_upkeep():
        htx, dn1, dn2 = (make_org("HTX Di trú"), make_org("DN Một", OrgType.DN),
                         make_org("DN Hai", OrgType.DN))
        contract = LinkageContract(
            code="LK-MIG-1", title="Di trú", status=ContractStatus.SIGNED, form=3,
            stage_production=True, price_mechanism=PriceMechanism.NEGOTIATED_AT_HARVEST,
            effective_from=date(2025, 1, 1), version_count=2,
            parties=[LinkageContractParty(organisation_id=htx.id, role=PartyRole.PRODUCER),
                     LinkageContractParty(organisation_id=dn2.id, role=PartyRole.OFFTAKER)],
            lines=[LinkageContractLine(commodity="rice", planned_quantity=Decimal(1),
                                       unit="kg")],
        )
        db.session.add(contract)
        db.session.flush()
        for number, buyer in ((1, dn1), (2, dn2)):
            db.session.add(LinkageContractVersion(
                contract_id=contract.id, number=number, change=VersionChange.CREATED,
                status=ContractStatus.SIGNED, form=3, effective_from=date(2025, 1, 1),
                terms_version=number, effective_on=date(2025, 1, number),
                snapshot={"parties": [
                    {"organisation_id": htx.id, "role": "producer"},
                    {"organisation_id": buyer.id, "role": "offtaker"},
                ]},
            ))
        db.session.commit()
        return htx.id, dn1.id, dn2.id


def test_the_upgrade_backfills_version_parties_from_snapshots(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url, app_on(url, tmp_path):
        flask_migrate.upgrade(revision=BEFORE)
        htx, dn1, dn2 = _contract_with_two_versions()
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT v.number, p.organisation_id, p.role FROM "
                "linkage_contract_version_parties p JOIN linkage_contract_versions v "
                "ON v.id = p.version_id ORDER BY v.number, p.position"
            )).all()
        assert [tuple(r) for r in rows] == [
            (1, htx, "producer"), (1, dn1, "offtaker"),
            (2, htx, "producer"), (2, dn2, "offtaker"),
        ]
        flask_migrate.downgrade(revision=BEFORE)
