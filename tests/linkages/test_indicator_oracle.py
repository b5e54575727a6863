"""The set-based indicator (``linkages.indicator.links``, ``states``, ``figures``) against
the plain per-cooperative rule it replaced (tests/linkages/indicator_oracle.py): the same
rows, reasons, contracts, deliveries and figures, on every variant and breakdown, over
years, as-of dates (contracts changed since, or not), provinces, the suspended setting, a
commodity and a withdrawn shipping — on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.actor import Actor, OrgRole, PlatformRole
from core.clock import local_today
from core.db import db
from linkages.indicator import figures, service
from linkages.indicator.definitions import VARIANTS, Breakdown, VariantCode
from linkages.indicator.states import states
from tests.factories import HANOI, make_user_with_token
from tests.linkages import indicator_oracle as oracle
from tests.linkages.indicator_world import IndicatorWorld, build
from traceability.models.batches import Shipment
from traceability.models.events import EpcisEvent
from traceability.services.recording import correct_event

ADMIN = Actor(user_id=0, platform_role=PlatformRole.ADMIN)
QUESTIONS: tuple[dict[str, Any], ...] = (
    {"year": 2025}, {"year": 2026}, {"year": 2024},
    {"year": 2026, "as_of": date(2026, 1, 20)},
    {"year": 2025, "as_of": date(2025, 12, 31)},
    {"year": 2025, "as_of": date(2025, 3, 1)},
    {"year": 2025, "include_suspended": True},
    {"year": 2025, "province": HANOI},
    {"year": 2025, "commodity": "rice"},
    {"period": "calendar_year", "year": 2025},
)


def _rows(stmt: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (r[0], r[1], bool(r[2]), bool(r[3]), r[4], r[5], r[6])
        for r in db.session.execute(stmt).all()
    )


def _fast_rows(q: Any) -> list[tuple[Any, ...]]:
    s = states(q).subquery("fast")
    return _rows(select(s.c.org_id, s.c.province, s.c.in_denominator, s.c.counted,
                        s.c.reason, s.c.contract_id, s.c.delivery_id))


def _groups(rows: list[dict[str, Any]]) -> dict[Any, tuple[Decimal, Decimal]]:
    return {str(getattr(r["key"], "value", r["key"])):
            (Decimal(r["numerator"] or 0), Decimal(r["denominator"] or 0)) for r in rows}


def _withdraw_h1s_shipping(world: IndicatorWorld) -> None:
    """h1's cooperative withdraws the shipping of its only delivery (what counts it in C
    and in the volume)."""
    event_id = db.session.scalar(
        select(EpcisEvent.event_id)
        .join(Shipment, Shipment.ship_event_pk == EpcisEvent.id)
        .where(Shipment.from_organisation_id == world.id("h1"))
    )
    user, _headers = make_user_with_token(world.orgs["h1"])
    actor = Actor(user_id=user.id, organisation_id=world.id("h1"), org_role=OrgRole.ORG_ADMIN)
    correct_event(actor, event_id, reason="did_not_occur")
    db.session.commit()


@pytest.mark.parametrize("withdrawn", [False, True], ids=["as_recorded", "shipping_withdrawn"])
@pytest.mark.parametrize("code", [v.value for v in VariantCode])
def test_the_set_based_rule_is_the_per_cooperative_rule(code: str, withdrawn: bool) -> None:
    world = build()
    if withdrawn:
        _withdraw_h1s_shipping(world)
    questions = [*QUESTIONS, {"year": 2026, "as_of": date.fromordinal(
        local_today().toordinal() - 1)}]
    reasons: set[str | None] = set()
    for params in questions:
        q = service.build_query(ADMIN, variant=code, **params)
        expected = _rows(oracle.drill_rows(q))
        assert expected, params  # the world is there
        assert _fast_rows(q) == expected, params
        reasons |= {row[4] for row in expected}
        if VARIANTS[VariantCode(code)].volume:
            for breakdown in (Breakdown.NONE, Breakdown.PROVINCE, Breakdown.SIZE_CLASS):
                kq = service.build_query(ADMIN, variant=code, breakdown=breakdown.value,
                                         **params)
                assert _groups(figures.groups(kq, breakdown.value)) == _groups(
                    oracle.volume_groups(kq, breakdown.value)), (params, breakdown)
            continue
        assert figures.compute(q)["total"]["numerator"] == oracle.counted_share(q)[0], params
        for breakdown in (Breakdown.COMMODITY, Breakdown.FORM, Breakdown.LEADER_TYPE):
            kq = service.build_query(ADMIN, variant=code, breakdown=breakdown.value, **params)
            assert _groups(figures.groups(kq, breakdown.value)) == _groups(
                oracle.contract_groups(kq, breakdown.value)), (params, breakdown)
    assert len(reasons) >= 5, reasons


def test_a_province_breakdown_s_total_is_the_whole_figure() -> None:
    """The total of a province or size-class breakdown is summed from its groups
    (``figures.PARTITIONS``): it must equal the unbroken figure."""
    build()
    for code in VariantCode:
        whole = figures.compute(service.build_query(ADMIN, variant=code.value, year=2025))
        for breakdown in figures.PARTITIONS:
            split = figures.compute(service.build_query(
                ADMIN, variant=code.value, year=2025, breakdown=breakdown.value))
            assert split["total"] == whole["total"], (code, breakdown)
            assert len(split["groups"]) >= 1


def test_indicator_statements_run_without_jit_on_postgresql() -> None:
    """``query.plan_for_analysis``: building a query turns PostgreSQL's JIT off for the
    rest of the transaction (compiling these plans cost more than running them)."""
    from sqlalchemy import text

    service.build_query(ADMIN, variant="A", year=2025)
    if db.session.get_bind().dialect.name == "postgresql":
        assert db.session.scalar(text("SHOW jit")) == "off"
    db.session.rollback()
