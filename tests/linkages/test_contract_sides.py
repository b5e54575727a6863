"""The contracts' sides (``linkages.indicator.sides``) follow every write of their parties,
and a figure reads them only where they hold on its day: a contract changed since, or
naming an organisation whose type changed, is worked out from its parties in force and
their types on the day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from core.actor import Actor, PlatformRole
from core.db import db
from linkages.indicator import service, sides
from linkages.indicator.period import current_statistical_year
from linkages.models import LinkageContractSides, LinkageContractVersion, Organisation
from linkages.models.cooperatives import CooperativeProfile, FieldGroup
from linkages.models.organisations import OrgType
from linkages.services import contracts
from linkages.services.oversight import change_facts
from tests.linkages._helpers_contracts import Side, authority, side, terms
from tests.linkages._helpers_deliveries import days, signed_contract
from tests.linkages.indicator_world import at

ADMIN = Actor(user_id=1, platform_role=PlatformRole.ADMIN)


def _rows() -> set[tuple[Any, ...]]:
    db.session.flush()
    t = LinkageContractSides
    return {tuple(r) for r in db.session.execute(
        select(t.contract_id, t.enterprise, t.lead_min, t.lead_max))}


def assert_kept() -> set[tuple[Any, ...]]:
    """The sides as kept equal the sides worked out again from scratch."""
    kept = _rows()
    sides.rebuild(db.session)
    assert _rows() == kept
    return kept


def _parties(*rows: tuple[Side, str]) -> list[dict[str, Any]]:
    return [{"organisation_id": s.org.id, "role": role} for s, role in rows]


def test_a_contracts_sides_are_kept_through_its_amendments() -> None:
    coop, buyer = side("HTX Cà phê Ea Tân"), side("Công ty Bảo Lộc", OrgType.DN)
    union = side("Liên hiệp HTX Tây Nguyên", OrgType.LHHTX)
    group = side("Tổ hợp tác Ea Kao", OrgType.THT)
    contract = contracts.create_contract(coop.actor, **terms(coop.org, buyer.org))
    # The cooperative leads; the enterprise buys.
    assert assert_kept() == {(contract.id, True, coop.org.id, coop.org.id)}

    def amend(*parties: tuple[Side, str]) -> set[tuple[Any, ...]]:
        contracts.amend_contract(coop.actor, contract.id, reason="Đổi bên mua",
                                 parties=_parties(*parties))
        return assert_kept()

    # The union buys instead: no enterprise, two leading or buying.
    low, high = sorted((coop.org.id, union.org.id))
    assert amend((coop, "leader"), (coop, "producer"), (union, "offtaker")) == {
        (contract.id, False, low, high)}
    # A group of farmers (THT) buys: neither an enterprise nor a union.
    assert amend((coop, "leader"), (coop, "producer"), (group, "offtaker")) == {
        (contract.id, False, coop.org.id, coop.org.id)}
    assert amend((coop, "leader"), (buyer, "offtaker"), (union, "producer")) == {
        (contract.id, True, coop.org.id, coop.org.id)}
    other = contracts.create_contract(buyer.actor, **terms(union.org, buyer.org))
    assert assert_kept() == {(contract.id, True, coop.org.id, coop.org.id),
                             (other.id, True, union.org.id, union.org.id)}


# --- figures read them where they hold ----------------------------------------------


def _agricultural(coop: Side) -> None:
    coop.org.registered_on = date(2019, 5, 1)
    db.session.add(CooperativeProfile(organisation_id=coop.org.id,
                                      field_group=FieldGroup.AGRICULTURE))
    db.session.commit()


def _counted(variant: str, **params: Any) -> tuple[int, int]:
    year = current_statistical_year(days(0))
    total = service.figure(ADMIN, variant=variant, year=year, **params)["total"]
    return total["numerator"], total["denominator"]


def _drilled(variant: str, **params: Any) -> list[tuple[Any, ...]]:
    year = current_statistical_year(days(0))
    _q, stmt = service.drill(ADMIN, variant=variant, which="all", year=year,
                             breakdown="province", **params)
    return [(r.org_id, r.counted, r.reason) for r in db.session.execute(stmt)]


@pytest.fixture()
def linked() -> tuple[Side, Side, int]:
    """An agricultural HTX and the enterprise that buys from it under a signed contract
    (T−30 … T+69), and the contract's id."""
    coop, buyer = side("HTX Cà phê Ea Tân"), side("Công ty Bảo Lộc", OrgType.DN)
    _agricultural(coop)
    contract = signed_contract(coop, buyer, [{"commodity": "Cà phê nhân",
                                              "season": "2026/27",
                                              "planned_quantity": Decimal("1"),
                                              "unit": "tan"}])
    # Recorded a month ago, as their days say, so that yesterday's figure knows them.
    month_ago = at(days(-30))
    db.session.execute(update(Organisation).values(created_at=month_ago))
    db.session.execute(update(LinkageContractVersion).values(recorded_at=month_ago))
    db.session.commit()
    return coop, buyer, contract.id


def test_a_buyer_whose_type_changed_is_read_by_its_type_on_the_day(
    linked: tuple[Side, Side, int],
) -> None:
    coop, buyer, contract_id = linked
    assert _counted("B") == (1, 1)
    # The buyer re-registers as a group of farmers (THT) from today: no write to the
    # contract's parties, so its kept sides still say "an enterprise".
    change_facts(authority(admin=True).actor, buyer.org.id,
                 {"org_type": "tht", "effective_on": days(0), "reason": "Chuyển đổi"})
    db.session.commit()
    assert _rows() == {(contract_id, True, coop.org.id, coop.org.id)}
    assert _counted("B") == (0, 1)
    assert _counted("A", province=coop.org.province_code) == (0, 1)
    assert [(counted, reason) for _org, counted, reason in _drilled("A")] == [
        (False, "no_enterprise_counterparty")]
    # As known yesterday, the buyer was still an enterprise.
    assert _counted("B", as_of=days(-1)) == (1, 1)


def test_a_contract_amended_since_the_day_is_read_as_it_stood(
    linked: tuple[Side, Side, int],
) -> None:
    coop, _buyer, contract_id = linked
    group = side("Tổ hợp tác Ea Kao", OrgType.THT)
    contracts.amend_contract(coop.actor, contract_id, reason="Đổi bên mua",
                             parties=_parties((coop, "leader"), (coop, "producer"),
                                              (group, "offtaker")))
    db.session.commit()
    assert _rows() == {(contract_id, False, coop.org.id, coop.org.id)}
    # Yesterday the enterprise still bought under it, and the contract was signed.
    assert _counted("B", as_of=days(-1)) == (1, 1)
    assert _counted("A", as_of=days(-1), province=coop.org.province_code) == (1, 1)
