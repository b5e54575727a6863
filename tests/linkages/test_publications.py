"""Published figures (issue 12 §3) on the hand-built country of
tests/linkages/indicator_world.py, whose figures test_indicator.py works out by hand.

Statistical year 2025 as of today (reference day 14 Dec 2025), the whole country:
A 4 / 9 (h1, h2, h10, h13), B 5 / 9 (+ h3), C, D, E 1 / 9 (h1), volume 600 / 1,800 kg.

After publishing, three changes are recorded (``_change_the_world``), all taking effect
within 2025, so that today's computation of 2025 differs:

- h2 dissolved effective 1 Jun 2025: out of the denominator (it counted in A and B);
- h1's K1 terminated effective 1 Jun 2025: h1 no longer counts anywhere;
- h12 signs K12 with DN1, effective 1 Mar 2025: h12 counts in A and B.

Today: A 3 / 8 (h10, h12, h13), B 4 / 8 (+ h3), C, D, E 0 / 8, volume 0 / 1,300 kg (h1's
1,000 and h12's 300; K1 no longer counts the 600 shipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from core.actor import ANONYMOUS, Actor, PlatformRole
from core.clock import local_today
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from linkages.indicator import publication_changes, publications
from linkages.models.contracts import (
    ContractStatus,
    LinkageContract,
    LinkageContractVersion,
    LinkageContractVersionParty,
    PartyRole,
    VersionChange,
)
from linkages.models.organisations import FactField, OrgStatus
from linkages.models.publications import (
    IndicatorPublication,
    IndicatorPublicationFigure,
    IndicatorPublicationMember,
)
from tests.days import StatisticalYear, resolve
from tests.factories import HANOI, HCMC, make_user_with_token
from tests.linkages import indicator_world
from tests.linkages.indicator_world import IndicatorWorld, build


@dataclass(frozen=True)
class People:
    """Who publishes and reads, each a real user (``published_by_id`` names them)."""

    admin: Actor
    national: Actor
    hcmc: Actor
    hanoi: Actor


def _person(role: PlatformRole, province: str | None = None) -> Actor:
    user, _headers = make_user_with_token(platform_role=role, province_code=province)
    return Actor(user_id=user.id, platform_role=role, province_code=province)


@pytest.fixture()
def world() -> IndicatorWorld:
    return build()


@pytest.fixture()
def who(world: IndicatorWorld) -> People:
    return People(_person(PlatformRole.ADMIN), _person(PlatformRole.AUTHORITY),
                  _person(PlatformRole.AUTHORITY, HCMC), _person(PlatformRole.AUTHORITY, HANOI))


def _suffix(name: str) -> str:
    return name.removeprefix("Indicator ")


def _totals(publication: dict[str, Any]) -> dict[str, tuple[float, float]]:
    return {f["variant"]["code"]: (f["total"]["numerator"], f["total"]["denominator"])
            for f in publication["figures"]}


def _members(actor: Actor, publication_id: int, **params: Any) -> dict[str, dict[str, Any]]:
    stmt = publications.members(actor, publication_id, **params)
    rows = [publications.member_row(r) for r in db.session.execute(stmt)]
    return {_suffix(r["name"]): r for r in rows}


def _changes(actor: Actor, publication_id: int, **params: Any) -> list[dict[str, Any]]:
    stmt = publication_changes.changes(actor, publication_id, **params)
    return [publication_changes.change_row(r) for r in db.session.execute(stmt)]


def _row_counts() -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (IndicatorPublication, IndicatorPublicationFigure,
                      IndicatorPublicationMember)
    )


def _new_version(contract: LinkageContract, status: ContractStatus, effective: date) -> None:
    """A version of ``contract`` taking effect on ``effective``, recorded now, with the
    parties of its latest version."""
    latest = db.session.scalar(
        select(LinkageContractVersion).where(LinkageContractVersion.contract_id == contract.id)
        .order_by(LinkageContractVersion.number.desc()).limit(1))
    assert latest is not None
    version = LinkageContractVersion(
        contract_id=contract.id, number=latest.number + 1, change=VersionChange.TRANSITION,
        status=status, form=latest.form, effective_from=latest.effective_from,
        effective_to=latest.effective_to, terms_version=latest.terms_version,
        effective_on=effective, recorded_at=utcnow(), snapshot={},
    )
    db.session.add(version)
    db.session.flush()
    parties = db.session.scalars(select(LinkageContractVersionParty).where(
        LinkageContractVersionParty.version_id == latest.id)).all()
    db.session.add_all(
        LinkageContractVersionParty(version_id=version.id, organisation_id=p.organisation_id,
                                    role=p.role, position=p.position)
        for p in parties
    )
    contract.status = status
    contract.version_count = version.number
    db.session.commit()


def _change_the_world(world: IndicatorWorld) -> None:
    """The three changes of the module docstring, recorded today."""
    indicator_world._fact(world.orgs["h2"], FactField.STATUS, "active", "dissolved",
                          date(2025, 6, 1), local_today())
    db.session.commit()
    _new_version(world.contracts["K1"], ContractStatus.TERMINATED, date(2025, 6, 1))
    indicator_world._contract(world, "K12", [("h12", PartyRole.PRODUCER),
                                             ("DN1", PartyRole.OFFTAKER)],
                              history=[(ContractStatus.SIGNED, date(2025, 3, 1))])
    # Recorded today, as a late record would be.
    db.session.execute(
        LinkageContractVersion.__table__.update()
        .where(LinkageContractVersion.contract_id == world.contracts["K12"].id)
        .values(recorded_at=utcnow()))
    db.session.commit()
    assert world.orgs["h2"].status == OrgStatus.DISSOLVED


def test_publishing_freezes_every_variant(world: IndicatorWorld, who: People) -> None:
    publication = publications.publish(who.national, year=2025, note="Số liệu 2025")
    db.session.commit()
    data = publications.publication_dict(publication)
    assert data["scope"] == "national"
    assert data["period"] == {"kind": "statistical_year", "year": 2025,
                              "start": date(2024, 12, 15), "end": date(2025, 12, 14)}
    assert (data["as_of"], data["reference_day"]) == (local_today(), date(2025, 12, 14))
    assert data["published_by_id"] == who.national.user_id and data["note"] == "Số liệu 2025"
    assert data["knowledge_cutoff"] == data["published_at"]
    assert _totals(data) == {"A": (4, 9), "B": (5, 9), "C": (1, 9), "D": (1, 9),
                             "E": (1, 9), "V": (600.0, 1800.0)}
    a = data["figures"][0]
    assert a["variant"]["version"] == "1" and a["variant"]["definition"]
    assert a["total"]["percent"] == 44.44
    assert {g["key"]: (g["numerator"], g["denominator"]) for g in a["groups"]} == {
        HANOI: (3, 8), HCMC: (1, 1)}
    assert data["figures"][5]["total"]["cooperatives"] == 3
    # The drill-down of A–E is kept (the registry: h1–h13, not the union); none of V.
    members = _members(who.admin, publication.id, variant="A", which="all")
    assert set(members) == {f"h{i}" for i in range(1, 14)}
    assert members["h1"]["counted"] and members["h1"]["contract_code"] == "LK-T-K1"
    assert members["h3"]["reason"] == "counterparty_cooperative_counts_in_b_only"
    assert members["h7"]["reason"] == "closed_on_reference_day"
    assert not members["h7"]["in_denominator"]
    assert set(_members(who.admin, publication.id, variant="B", which="numerator")) == {
        "h1", "h2", "h3", "h10", "h13"}
    with pytest.raises(ValidationFailed) as raised:
        publications.members(who.admin, publication.id, variant="V")
    assert "variant" in raised.value.field_errors
    # Right after publishing, today's computation is the publication's: nothing changed.
    compared = publication_changes.compare(who.admin, publication.id)
    for variant in compared["variants"]:
        assert variant["today"] == variant["published"], variant["variant"]["code"]
        assert not any(variant["changes"].values())
    assert _changes(who.admin, publication.id) == []


def test_a_published_figure_never_changes_and_the_changes_are_named(
    world: IndicatorWorld, who: People,
) -> None:
    publication = publications.publish(who.admin, year=2025)
    db.session.commit()
    _change_the_world(world)

    again = publications.publication_dict(publications.get_publication(ANONYMOUS,
                                                                       publication.id))
    assert _totals(again) == {"A": (4, 9), "B": (5, 9), "C": (1, 9), "D": (1, 9),
                              "E": (1, 9), "V": (600.0, 1800.0)}
    frozen = _members(who.admin, publication.id, which="all")
    assert frozen["h1"]["counted"] and frozen["h2"]["counted"]
    assert frozen["h12"]["reason"] == "no_contract_overlapping_period"

    compared = publication_changes.compare(who.admin, publication.id)
    assert compared["province"] is None and compared["as_of"] == local_today()
    by_code = {v["variant"]["code"]: v for v in compared["variants"]}
    today = {c: (v["today"]["numerator"], v["today"]["denominator"])
             for c, v in by_code.items()}
    assert today == {"A": (3, 8), "B": (4, 8), "C": (0, 8), "D": (0, 8), "E": (0, 8),
                     "V": (0, 1300)}
    assert by_code["A"]["published"]["numerator"] == 4
    assert by_code["A"]["difference"] == {"numerator": -1, "denominator": -1,
                                          "percent_points": round(37.5 - 44.44, 4)}
    assert by_code["A"]["changes"] == {"entered": 1, "left": 2, "entered_denominator": 0,
                                       "left_denominator": 0}
    assert by_code["C"]["changes"] == {"entered": 0, "left": 1, "entered_denominator": 0,
                                       "left_denominator": 1}
    assert by_code["V"]["changes"] == {} and not by_code["A"]["version_changed"]
    # One variant's entry alone (the dashboard's) is that variant's entry of the whole.
    for code in ("C", "V"):
        alone = publication_changes.compare(who.admin, publication.id, code)
        assert alone["variants"] == [by_code[code]], code
    with pytest.raises(ValidationFailed) as refused:
        publication_changes.compare(who.admin, publication.id, "Z")
    assert "variant" in refused.value.field_errors

    rows = _changes(who.admin, publication.id, variant="A")
    named = {(r["kind"], _suffix(r["name"])): r for r in rows}
    assert set(named) == {("entered", "h12"), ("left", "h1"), ("left", "h2")}
    h12 = named[("entered", "h12")]
    assert h12["published_reason"] == "no_contract_overlapping_period"
    assert h12["published_reason_text"] == "không có hợp đồng nào trong kỳ"
    assert h12["today_counted"] and h12["today_contract_code"] == "LK-T-K12"
    h1 = named[("left", "h1")]
    assert h1["published_contract_code"] == "LK-T-K1"
    assert h1["today_reason"] == "contract_not_in_force"
    h2 = named[("left", "h2")]
    assert h2["today_reason"] == "closed_on_reference_day"
    assert h2["published_in_denominator"] and not h2["today_in_denominator"]
    # C: h1 left the count; h2 (never counted in C) left the denominator.
    c_rows = {(r["kind"], _suffix(r["name"])) for r in _changes(who.admin, publication.id,
                                                                variant="C")}
    assert c_rows == {("left", "h1"), ("left_denominator", "h2")}
    assert len(_changes(who.admin, publication.id, kind="left")) == 2 + 2 + 3  # A, B; C, D, E
    assert len(_changes(who.admin, publication.id)) == 3 + 3 + 2 * 3


def test_a_second_publication_of_the_same_period_and_scope_is_a_conflict(
    world: IndicatorWorld, who: People,
) -> None:
    first = publications.publish(who.admin, year=2025)
    db.session.commit()
    before = _row_counts()
    with pytest.raises(Conflict) as raised:
        publications.publish(who.national, year=2025, include_suspended=True)
    message = raised.value.field_errors["year"][0]
    assert "2024-12-15" in message and "2025-12-14" in message and str(first.id) in message
    assert _row_counts() == before
    # Another scope, or another period of the same year, is another publication.
    publications.publish(who.admin, year=2025, province=HANOI)
    publications.publish(who.admin, year=2025, period="calendar_year")
    db.session.commit()
    assert _row_counts()[0] == before[0] + 2


def test_a_province_authority_publishes_and_reads_its_province_only(
    world: IndicatorWorld, who: People,
) -> None:
    with pytest.raises(Forbidden) as raised:
        publications.publish(who.hcmc, year=2025, province=HANOI)
    assert "province" in raised.value.field_errors
    own = publications.publish(who.hcmc, year=2025)  # its province by default
    national = publications.publish(who.admin, year=2025)
    hanoi = publications.publish(who.hanoi, year=2025, province=HANOI)
    db.session.commit()
    assert own.scope == HCMC
    assert _totals(publications.publication_dict(own))["A"] == (1, 1)
    # Its province's cooperatives only, of its own publication and of the national one.
    assert set(_members(who.hcmc, own.id, which="all")) == {"h10"}
    assert set(_members(who.hcmc, national.id, which="all")) == {"h10"}
    assert set(_members(who.hcmc, national.id, which="all", province=HANOI)) == set()
    assert len(_members(who.admin, national.id, which="all")) == 13
    # Another province's publication: its cooperatives are not the authority's to see.
    for call in (lambda: publications.members(who.hcmc, hanoi.id),
                 lambda: publication_changes.changes(who.hcmc, hanoi.id),
                 lambda: publication_changes.compare(who.hcmc, hanoi.id)):
        with pytest.raises(NotFound):
            call()
    # Its slice of the national publication: its group's figure against its province today.
    compared = publication_changes.compare(who.hcmc, national.id)
    assert compared["province"] == HCMC
    a = compared["variants"][0]
    assert (a["published"]["numerator"], a["published"]["denominator"]) == (1, 1)
    assert (a["today"]["numerator"], a["today"]["denominator"]) == (1, 1)
    # Everyone reads the publications themselves; the dashboard finds the latest.
    assert publications.latest_for(who.hcmc, year=2025)["id"] == own.id  # type: ignore[index]
    assert publications.latest_for(ANONYMOUS)["id"] == national.id  # type: ignore[index]
    assert publications.latest_for(ANONYMOUS, year=2024) is None


def test_who_may_publish_and_read_the_cooperatives(world: IndicatorWorld, who: People) -> None:
    member = Actor(user_id=7, organisation_id=world.id("h1"))
    with pytest.raises(Unauthenticated):
        publications.publish(ANONYMOUS, year=2025)
    with pytest.raises(Forbidden):
        publications.publish(member, year=2025)
    publication = publications.publish(who.admin, year=2025)
    db.session.commit()
    listed = db.session.scalars(publications.list_publications(ANONYMOUS, year=2025)).all()
    assert [p.id for p in listed] == [publication.id]
    with pytest.raises(Unauthenticated):
        publications.members(ANONYMOUS, publication.id)
    for call in (lambda: publications.members(member, publication.id),
                 lambda: publication_changes.changes(member, publication.id),
                 lambda: publication_changes.compare(member, publication.id)):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(NotFound):
        publications.get_publication(ANONYMOUS, publication.id + 1000)


@pytest.mark.parametrize(("params", "field"), [
    ({"year": 2025, "province": "99"}, "province"),
    ({"year": StatisticalYear(3)}, "year"),  # a future year
    ({"year": StatisticalYear()}, "year"),  # not over
    ({}, "year"),  # nothing to publish named
    ({"year": 1989}, "year"),
    ({"year": 2025, "period": "decade"}, "period"),
    ({"from_": date(2025, 2, 1), "to": date(2025, 1, 1)}, "to"),
    ({"from_": date(2000, 1, 1), "to": date(2021, 1, 1)}, "to"),
    ({"from_": date(2025, 1, 1)}, "to"),
    ({"year": 2025, "note": "x" * 5001}, "note"),
])
def test_bad_input_names_the_parameter_and_writes_nothing(
    world: IndicatorWorld, who: People, params: dict[str, Any], field: str,
) -> None:
    before = _row_counts()
    with pytest.raises(ValidationFailed) as raised:
        publications.publish(who.admin, **resolve(params))
    assert field in raised.value.field_errors, raised.value.field_errors
    assert _row_counts() == before


def test_a_failed_publish_leaves_nothing_behind(world: IndicatorWorld, who: People,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure half-way (after the first rows are written) is rolled back by the caller
    (the API's error handler): nothing of the publication remains."""
    before = _row_counts()
    calls = []

    def failing(*args: Any, **kwargs: Any) -> None:
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        original(*args, **kwargs)

    # The third figure fails: every member row and two figures are written by then.
    original = publications._freeze_figure
    monkeypatch.setattr(publications, "_freeze_figure", failing)
    with pytest.raises(RuntimeError):
        publications.publish(who.admin, year=2025)
    db.session.rollback()
    assert _row_counts() == before
