"""The indicator's hand-built country (tests/linkages/indicator_world.py), built once per
module and committed (tests/app/committed_world.py), for the web pages' tests.

Building it takes some 250 statements; test_web_indicator.py built it again for each of its
49 tests, half of its CPU time. Each test now gets an ``IndicatorWorld`` of its own whose
organisations and contracts are loaded in the test's session (two queries), so a test may
change them (dissolve one, rename one): it does so in its rolled-back transaction, and the
next test finds the world as built.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from core.db import db
from linkages.models.contracts import LinkageContract
from linkages.models.organisations import Organisation
from tests.app.committed_world import committed_world
from tests.linkages.indicator_world import IndicatorWorld, build


@dataclass(frozen=True)
class IndicatorWorldIds:
    """The committed world by its ids (ORM objects would outlive the session that loaded
    them)."""

    orgs: dict[str, int]
    contracts: dict[str, int]
    delivery_id: int

    def load(self) -> IndicatorWorld:
        """The world's objects, loaded in the current (the test's) session."""
        orgs = {
            o.id: o
            for o in db.session.scalars(
                select(Organisation).where(Organisation.id.in_(self.orgs.values()))
            )
        }
        contracts = {
            c.id: c
            for c in db.session.scalars(
                select(LinkageContract).where(LinkageContract.id.in_(self.contracts.values()))
            )
        }
        return IndicatorWorld(
            orgs={name: orgs[i] for name, i in self.orgs.items()},
            contracts={name: contracts[i] for name, i in self.contracts.items()},
            delivery_id=self.delivery_id,
        )


def _build() -> IndicatorWorldIds:
    world = build()
    return IndicatorWorldIds(
        orgs={name: org.id for name, org in world.orgs.items()},
        contracts={name: contract.id for name, contract in world.contracts.items()},
        delivery_id=world.delivery_id,
    )


def committed_indicator_world(app: Flask) -> Iterator[IndicatorWorldIds]:
    """For a module-scoped fixture: the world, committed, deleted again afterwards."""
    with committed_world(app, _build) as ids:
        yield ids
