"""Who is there on the reference day, in SQL: the cooperatives (HTX), groups (THT) and
unions (LHHTX) of the asked geography that are open then, their members and the HTX's
high-tech status — the counts beside the linkage indicator (issue 12 §2).

"Open" is the linkage denominator's registry rule, field group aside: registered by the
period end, neither dissolved, bankrupt nor revoked on the reference day, suspended only
when asked (``cohort.is_open``). Registry facts are read as of the reference day and
cutoff (``asof``).

The high-tech status and basis are the cooperative profile's on the reference day
(``inforce.facts_on``), the members those of the yearly figures as reported by the
cutoff (``inforce.figures_known``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CTE, and_, case, func, select
from sqlalchemy.sql import Subquery

from core.db import db
from linkages.indicator.cohort import is_open, registry
from linkages.indicator.inforce import facts_on, figures_known
from linkages.indicator.query import IndicatorQuery
from linkages.models.cooperatives import (
    OFFICIAL_BASES,
    HighTechStatus,
)
from linkages.models.organisations import (
    OrgType,
)

COUNTED_TYPES = (OrgType.HTX, OrgType.THT, OrgType.LHHTX)


def open_orgs(q: IndicatorQuery, org_type: OrgType, facts: CTE | None = None) -> Subquery:
    """The open organisations of ``org_type``: ``org_id, high_tech_status,
    high_tech_basis`` (on the reference day), one row each. ``facts``: the statement's
    ``inforce.facts_on``, shared by its registries."""
    reg = registry(q, org_type, facts=facts)
    return (select(reg.c.org_id, reg.c.high_tech_status, reg.c.high_tech_basis)
            .where(is_open(q, reg)).subquery(f"open_{org_type.value}"))


def _count(q: IndicatorQuery, org_type: OrgType, facts: CTE) -> Any:
    return select(func.count()).select_from(open_orgs(q, org_type, facts)).scalar_subquery()


def tally(q: IndicatorQuery, year: int) -> dict[str, int]:
    """One statement: the open HTX, THT and LHHTX; among the HTX, the high-tech ones
    (``verified``: verified on an official basis, the official count; ``claimed``: any
    other claim, a verified status without an official basis included); their members in
    the yearly figures of the statistical year ``year`` (official and associate, with and
    without capital) and how many HTX reported figures for it."""
    # One pass over the organisations' facts for the three registries.
    facts = facts_on(q.on, q.cutoff)
    htx = open_orgs(q, OrgType.HTX, facts)
    figures = figures_known(year, q.cutoff)
    status = func.coalesce(htx.c.high_tech_status, HighTechStatus.NONE.value)
    verified = and_(status == HighTechStatus.VERIFIED.value,
                    htx.c.high_tech_basis.in_(sorted(b.value for b in OFFICIAL_BASES)))
    claimed = and_(status != HighTechStatus.NONE.value, ~verified)
    members = (figures.c.official_members + figures.c.associate_capital_members
               + figures.c.associate_no_capital_members)

    def total(value: Any) -> Any:
        return func.coalesce(func.sum(value), 0)

    stmt = (
        select(
            func.count(htx.c.org_id).label("htx"),
            _count(q, OrgType.THT, facts).label("tht"),
            _count(q, OrgType.LHHTX, facts).label("lhhtx"),
            total(case((verified, 1), else_=0)).label("high_tech_verified"),
            total(case((claimed, 1), else_=0)).label("high_tech_claimed"),
            func.count(figures.c.organisation_id).label("reporting"),
            total(members).label("members"),
            total(figures.c.official_members).label("official_members"),
            total(figures.c.associate_capital_members).label("associate_capital_members"),
            total(figures.c.associate_no_capital_members)
            .label("associate_no_capital_members"),
        )
        .select_from(htx)
        .outerjoin(figures, figures.c.organisation_id == htx.c.org_id)
    )
    row = db.session.execute(stmt).one()
    return {key: int(value or 0) for key, value in row._mapping.items()}
