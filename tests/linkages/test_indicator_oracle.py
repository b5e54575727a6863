"""The set-based indicator (``linkages.indicator.links``, ``states``, ``figures``) against
the plain per-cooperative rule (tests/linkages/indicator_oracle.py): the same rows,
reasons, contracts, deliveries and figures, on every variant and breakdown, over years,
as-of dates (contracts changed since, or not), provinces, the suspended setting, a
commodity and a withdrawn shipping — on SQLite and on PostgreSQL.

The country (tests/linkages/indicator_world.py) is built once for the module, in a
transaction of its own rolled back at the end; each test runs in a savepoint of it, rolled
back after the test, so a test's writes (the withdrawn shipping) never reach the next one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from core.actor import Actor, OrgRole, PlatformRole
from core.clock import local_today
from core.db import db as _db
from linkages.indicator import figures, links, service
from linkages.indicator.definitions import VARIANTS, Breakdown, VariantCode
from linkages.indicator.drilldown import drilldown
from linkages.indicator.query import IndicatorQuery
from linkages.indicator.states import registry_cte, states
from linkages.models.organisations import FactField, Organisation, OrganisationFactChange
from tests.factories import HANOI, HCMC, make_user_with_token
from tests.linkages import indicator_oracle as oracle
from tests.linkages.indicator_world import IndicatorWorld, build
from tests.session_on import session_on
from traceability.models.batches import Shipment
from traceability.models.events import EpcisEvent
from traceability.services.recording import correct_event

ADMIN = Actor(user_id=0, platform_role=PlatformRole.ADMIN)
QUESTIONS: tuple[dict[str, Any], ...] = (
    {"year": 2025},
    {"year": 2026},
    {"year": 2024},
    {"year": 2026, "as_of": date(2026, 1, 20)},
    {"year": 2025, "as_of": date(2025, 12, 31)},
    {"year": 2025, "as_of": date(2025, 3, 1)},
    {"year": 2025, "include_suspended": True},
    {"year": 2025, "province": HANOI},
    {"year": 2025, "commodity": "rice"},
    {"period": "calendar_year", "year": 2025},
)


# --- the country, once per module ----------------------------------------------------


@dataclass(frozen=True)
class Country:
    connection: Connection  # in the module's transaction
    world: IndicatorWorld  # names and ids (its ORM rows are detached)
    # The oracle's organisations on each reference day, shared by every test's book (they
    # do not depend on the variant): no test changes an organisation or a registry fact
    # (the withdrawal adds a user and withdraws an event).
    registries: oracle.Registries = field(default_factory=dict)


@pytest.fixture(scope="module")
def country(app: Flask) -> Iterator[Country]:
    """The world built once, in a transaction rolled back after the module's last test
    (every case used to build its own)."""
    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        try:
            with session_on(lambda: connection):
                world = build()
                # Its last commit expired the rows: read their ids while still attached.
                for org in world.orgs.values():
                    _ = org.id
            yield Country(connection, world)
        finally:
            outer.rollback()
            connection.close()


@pytest.fixture()
def db(app: Flask, country: Country) -> Iterator[SQLAlchemy]:
    """Overrides tests/conftest.py's ``db`` for this module: each test in a savepoint of
    the module's transaction, rolled back at the end."""
    with app.app_context():
        savepoint = country.connection.begin_nested()
        try:
            with session_on(lambda: country.connection):
                yield _db
        finally:
            if savepoint.is_active:
                savepoint.rollback()


# --- comparing ----------------------------------------------------------------------


def _fast_rows(q: IndicatorQuery, rows: Any = None) -> list[tuple[Any, ...]]:
    """``states(q)`` (or ``rows``, a select of the same columns) as comparable tuples."""
    s = (states(q) if rows is None else rows).subquery("fast")
    stmt = select(
        s.c.org_id,
        s.c.province,
        s.c.in_denominator,
        s.c.counted,
        s.c.reason,
        s.c.contract_id,
        s.c.delivery_id,
    )
    return sorted(
        (r[0], r[1], bool(r[2]), bool(r[3]), r[4], r[5], r[6])
        for r in _db.session.execute(stmt).all()
    )


def _groups(rows: list[dict[str, Any]]) -> dict[Any, tuple[Decimal, Decimal]]:
    return {
        str(getattr(r["key"], "value", r["key"])): (
            Decimal(r["numerator"] or 0),
            Decimal(r["denominator"] or 0),
        )
        for r in rows
    }


def _withdraw_h1s_shipping(world: IndicatorWorld) -> None:
    """h1's cooperative withdraws the shipping of its only delivery (what counts it in C
    and in the volume)."""
    event_id = _db.session.scalar(
        select(EpcisEvent.event_id)
        .join(Shipment, Shipment.ship_event_pk == EpcisEvent.id)
        .where(Shipment.from_organisation_id == world.id("h1"))
    )
    user, _headers = make_user_with_token(world.orgs["h1"])
    actor = Actor(user_id=user.id, organisation_id=world.id("h1"), org_role=OrgRole.ORG_ADMIN)
    correct_event(actor, event_id, reason="did_not_occur")
    _db.session.commit()


@pytest.mark.parametrize("withdrawn", [False, True], ids=["as_recorded", "shipping_withdrawn"])
@pytest.mark.parametrize("code", [v.value for v in VariantCode])
def test_the_set_based_rule_is_the_per_cooperative_rule(
    country: Country, code: str, withdrawn: bool
) -> None:
    if withdrawn:
        _withdraw_h1s_shipping(country.world)
    # After the withdrawal: the rows as the figures read them.
    book = oracle.Book.load(country.registries)
    questions = [
        *QUESTIONS,
        {"year": 2026, "as_of": date.fromordinal(local_today().toordinal() - 1)},
    ]
    reasons: set[str | None] = set()
    for params in questions:
        q = service.build_query(ADMIN, variant=code, **params)
        expected = book.drill_rows(q)
        assert expected, params  # the world is there
        assert _fast_rows(q) == expected, params
        reasons |= {row[4] for row in expected}
        if VARIANTS[VariantCode(code)].volume:
            for breakdown in (Breakdown.NONE, Breakdown.PROVINCE, Breakdown.SIZE_CLASS):
                kq = service.build_query(ADMIN, variant=code, breakdown=breakdown.value, **params)
                assert _groups(figures.groups(kq, breakdown.value)) == _groups(
                    book.volume_groups(kq, breakdown.value)
                ), (params, breakdown)
            continue
        assert figures.compute(q)["total"]["numerator"] == book.counted_share(q)[0], params
        for breakdown in (Breakdown.COMMODITY, Breakdown.FORM, Breakdown.LEADER_TYPE):
            kq = service.build_query(ADMIN, variant=code, breakdown=breakdown.value, **params)
            assert _groups(figures.groups(kq, breakdown.value)) == _groups(
                book.contract_groups(kq, breakdown.value)
            ), (params, breakdown)
    assert len(reasons) >= 5, reasons


@pytest.mark.parametrize("withdrawn", [False, True], ids=["as_recorded", "shipping_withdrawn"])
def test_every_counting_variant_at_once_is_each_on_its_own(
    country: Country, withdrawn: bool
) -> None:
    # The dashboard's side-by-side totals (figures.counting_totals: A–E in one statement)
    # against the per-cooperative rule of each variant, on every question.
    if withdrawn:
        _withdraw_h1s_shipping(country.world)
    book = oracle.Book.load(country.registries)
    counted_somewhere = set()
    for params in QUESTIONS:
        totals = figures.counting_totals(service.build_query(ADMIN, **params))
        assert list(totals) == ["A", "B", "C", "D", "E"]
        for code, figure in totals.items():
            q = service.build_query(ADMIN, variant=code, **params)
            expected = book.counted_share(q)
            got = (figure["total"]["numerator"], figure["total"]["denominator"])
            assert got == expected, (params, code)
            assert figure["variant"]["code"] == code and figure["groups"] == []
            if expected[0]:
                counted_somewhere.add(code)
    assert counted_somewhere == {"A", "B", "C", "D", "E"}


@pytest.mark.parametrize("withdrawn", [False, True], ids=["as_recorded", "shipping_withdrawn"])
def test_every_counting_variant_s_rows_at_once_are_each_on_its_own(
    country: Country, withdrawn: bool
) -> None:
    # What a publication freezes (links.standings: the five drill-downs from one pass
    # over the pairs) against the per-cooperative rule of each variant, on every question.
    if withdrawn:
        _withdraw_h1s_shipping(country.world)
    book = oracle.Book.load(country.registries)
    for params in QUESTIONS:
        first = service.build_query(ADMIN, variant="A", **params)
        b = links.basis(first)
        reg = registry_cte(first, "registry_of_all", b)
        every = links.standings(first, reg, b)
        for code in links.COUNTING_VARIANTS:
            q = service.build_query(ADMIN, variant=code.value, **params)
            rows = states(q, reg, f"_{code.value}", b,
                          standing=links.standing_of(every, q.variant))
            assert _fast_rows(q, rows) == book.drill_rows(q), (params, code)


def _move_h1_to_hcmc() -> None:
    """h1 (a Hanoi HTX with contracts) moves to Ho Chi Minh City on 2026-02-01: its row
    now says HCMC, its fact history says Hanoi before then."""
    h1 = _db.session.get(Organisation, _db.session.scalar(
        select(Organisation.id).where(Organisation.name == "Indicator h1")))
    assert h1 is not None and h1.province_code == HANOI
    _db.session.add(OrganisationFactChange(
        organisation_id=h1.id, field=FactField.PROVINCE_CODE, old_value=HANOI,
        new_value=HCMC, effective_on=date(2026, 2, 1), reason="test",
        changed_at=datetime(2026, 2, 1, 3, tzinfo=UTC)))
    h1.province_code = HCMC
    _db.session.commit()


@pytest.mark.parametrize("moved", [False, True], ids=["as_built", "h1_moved"])
@pytest.mark.parametrize("code", [v.value for v in VariantCode])
def test_a_province_s_drill_down_is_its_rows_of_the_rule(
    country: Country, code: str, moved: bool
) -> None:
    """``drilldown.drilldown`` of one province (a group of the province breakdown, or
    the province asked) reads only the facts of the organisations that may be in it and
    of its contracts' parties (``links.basis(province=…)``): its rows must be the
    oracle's rows of that province, including a cooperative that has moved since; and
    so must the province's figure."""
    if moved:
        _move_h1_to_hcmc()
    book = oracle.Book.load(None if moved else country.registries)
    for params in ({"year": 2025}, {"year": 2026}, {"year": 2025, "commodity": "rice"}):
        everywhere = book.drill_rows(service.build_query(ADMIN, variant=code, **params))
        for province in (HANOI, HCMC):
            expected = [r for r in everywhere if r[1] == province]
            assert expected, (params, province)
            grouped = service.build_query(ADMIN, variant=code, breakdown="province",
                                          **params)
            asked = service.build_query(ADMIN, variant=code, province=province, **params)
            for q, group in ((grouped, province), (asked, None)):
                d = drilldown(q, "all", group).subquery("d")
                rows = sorted(
                    (r[0], r[1], bool(r[2]), bool(r[3]), r[4], r[5], r[6])
                    for r in _db.session.execute(select(
                        d.c.org_id, d.c.province, d.c.in_denominator, d.c.counted,
                        d.c.reason, d.c.contract_id, d.c.delivery_id))
                )
                assert rows == expected, (params, province, group)
            # The province's figure reads the same narrowed facts.
            if VARIANTS[VariantCode(code)].volume:
                assert _groups(figures.groups(asked, "none")) == _groups(
                    book.volume_groups(asked, "none")), (params, province)
            else:
                assert figures.compute(asked)["total"]["numerator"] == book.counted_share(
                    asked)[0], (params, province)


def test_a_province_breakdown_s_total_is_the_whole_figure(country: Country) -> None:
    """The total of a province or size-class breakdown is summed from its groups
    (``figures.PARTITIONS``): it must equal the unbroken figure."""
    for code in VariantCode:
        whole = figures.compute(service.build_query(ADMIN, variant=code.value, year=2025))
        for breakdown in figures.PARTITIONS:
            split = figures.compute(
                service.build_query(ADMIN, variant=code.value, year=2025, breakdown=breakdown.value)
            )
            assert split["total"] == whole["total"], (code, breakdown)
            assert len(split["groups"]) >= 1


def test_indicator_statements_run_without_jit_on_postgresql() -> None:
    """``query.plan_for_analysis``: building a query turns PostgreSQL's JIT and its
    nested-loop joins off for the rest of the transaction (compiling these plans cost
    more than running them; nested loops from one-row estimates cost minutes)."""
    service.build_query(ADMIN, variant="A", year=2025)
    if _db.session.get_bind().dialect.name == "postgresql":
        assert _db.session.scalar(text("SHOW jit")) == "off"
        assert _db.session.scalar(text("SHOW enable_nestloop")) == "off"
    _db.session.rollback()
