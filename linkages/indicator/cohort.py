"""The denominator (DOMAIN.md §4) in SQL: agricultural HTX registered by the period end and
open on the reference day, in the chosen geography — and, for the drill-down, the other
HTX of the geography with the reason each is left out.

Registry facts are read as of the reference day and cutoff (``linkages.indicator.inforce``),
and so are the field group, size class and high-tech status of the cooperative profile
(``linkages.models.cooperatives.CooperativeProfileChange``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CTE, ColumnElement, Select, case, func, literal, or_, select
from sqlalchemy.sql import Subquery

from linkages.indicator.definitions import CLOSED_ORG_STATUSES, DENOMINATOR_TYPE
from linkages.indicator.inforce import facts_on
from linkages.indicator.query import IndicatorQuery
from linkages.models.cooperatives import FieldGroup
from linkages.models.organisations import OrgStatus, OrgType
from linkages.services.places import memberships_on


class Excluded:
    """Why an HTX of the geography is not in the denominator (reason codes)."""

    NOT_AGRICULTURAL = "not_agricultural"
    CLOSED = "closed_on_reference_day"
    SUSPENDED = "suspended_on_reference_day"
    REGISTERED_LATER = "registered_after_period_end"


def registry(q: IndicatorQuery, org_type: OrgType = DENOMINATOR_TYPE,
             facts: CTE | None = None) -> Subquery:
    """Every organisation of ``org_type`` (HTX by default; its type on the reference day)
    recorded before the cutoff, in the asked geography, with its facts on the reference
    day: ``org_id, name, registration_code, status, registered_on, province,
    legacy_province, field_group, size_class, high_tech_status, high_tech_basis``.
    ``facts`` shares the statement's ``inforce.facts_on`` (one is made otherwise)."""
    f = facts if facts is not None else facts_on(q.on, q.cutoff, f"{org_type.value}_facts")
    stmt = select(
        f.c.org_id, f.c.name, f.c.registration_code, f.c.status, f.c.registered_on,
        f.c.province, f.c.legacy_province, f.c.field_group, f.c.size_class,
        f.c.high_tech_status, f.c.high_tech_basis,
    ).where(f.c.created_at < q.cutoff, f.c.org_type == org_type.value)
    for province in q.provinces:
        stmt = stmt.where(f.c.province == province)
    return stmt.subquery("registry" if org_type == DENOMINATOR_TYPE
                         else f"{org_type.value}_registry")


def _registry_whens(q: IndicatorQuery, reg: Any) -> list[tuple[ColumnElement[bool], str]]:
    """The registry's reasons to leave a ``registry`` row out, whatever its field group:
    closed or (unless asked) suspended on the reference day, registered after the period
    end."""
    closed = [s.value for s in CLOSED_ORG_STATUSES]
    whens: list[tuple[ColumnElement[bool], str]] = [(reg.c.status.in_(closed), Excluded.CLOSED)]
    if not q.include_suspended:
        whens.append((reg.c.status == OrgStatus.SUSPENDED.value, Excluded.SUSPENDED))
    # ISO dates compare as text, as the fact history stores them.
    whens.append((reg.c.registered_on > q.period.end.isoformat(), Excluded.REGISTERED_LATER))
    return whens


def is_open(q: IndicatorQuery, reg: Any) -> ColumnElement[bool]:
    """SQL: the ``registry`` row ``reg`` stands in the registry on the reference day (no
    registry reason to leave it out), whatever its field group: the counts of HTX, THT
    and LHHTX beside the indicator."""
    return case(*_registry_whens(q, reg), else_=literal(None)).is_(None)


def exclusion(q: IndicatorQuery, reg: Any) -> ColumnElement[Any]:
    """SQL: the ``Excluded`` reason of a ``registry`` row, NULL when it is in the
    denominator."""
    not_agricultural = or_(reg.c.field_group.is_(None),
                           reg.c.field_group != FieldGroup.AGRICULTURE)
    return case((not_agricultural, Excluded.NOT_AGRICULTURAL), *_registry_whens(q, reg),
                else_=literal(None))


def cohort(q: IndicatorQuery, facts: CTE | None = None) -> Subquery:
    """The denominator: ``registry`` rows with no exclusion."""
    reg = registry(q, facts=facts)
    return select(reg).where(exclusion(q, reg).is_(None)).subquery("cohort")


def with_group_key(q: IndicatorQuery, stmt: Select[Any], rows: Any, breakdown: str) -> tuple[
    Select[Any], ColumnElement[Any]
]:
    """``stmt`` (selecting from ``rows``, a cohort or registry subquery) joined as the
    cooperative breakdown needs, and the group key: the province, the size class, or the
    region of the scheme (a ``"legacy"`` scheme reads the pre-2025 province when there is
    one), NULL when the cooperative has none."""
    if breakdown == "province":
        return stmt, rows.c.province
    if breakdown == "size_class":
        return stmt, rows.c.size_class
    if breakdown == "region":
        assert q.region_scheme is not None
        member = memberships_on(q.region_scheme, q.on).subquery("region_member")
        province = rows.c.province
        if q.region_province_set == "legacy":
            # Records from before July 2025 keep their old province, which the official
            # six-region scheme is defined over; others fall back to the new code (new
            # codes are those of the surviving legacy provinces).
            province = func.coalesce(rows.c.legacy_province, rows.c.province)
        return stmt.outerjoin(member, member.c.province_code == province), member.c.region_code
    return stmt, literal("all")
