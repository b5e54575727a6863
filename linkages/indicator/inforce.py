"""The registry and the contracts as they stood on a reference day, as known at a cutoff,
set by set: every organisation's facts and every contract's terms and parties in force,
each computed for a whole statement at once (``linkages.indicator.asof`` states the
rules; its correlated forms answer for one row at a time).

Why set by set: the indicator asks these for tens of thousands of cooperatives at once. As
correlated subqueries they cost one index probe per cooperative, fact and contract
(bench/RESULTS.md, 2026-12-07: 7–40 s per figure at 45,000 HTX on PostgreSQL).

- **Facts**: the changes recorded "after" the day (taking effect after it, or recorded at or
  after the cutoff) are read in one pass, and the first per organisation and field gives
  its ``old_value``; organisations with none keep their row's value.
- **Contracts**: a contract with no version taking effect after the day or recorded at or
  after the cutoff stands as its last version, which is what ``linkage_contracts`` and
  ``linkage_contract_parties`` hold (every change of a contract writes the row and a
  version together, ``contracts.recording._record_version``). Only the few contracts
  changed since are looked up in their version history. On a current reference day that
  is nearly none; on a past one it is what changed since.

The worked-out facts and the changed contracts are ``MATERIALIZED`` CTEs on PostgreSQL:
it estimates their filtered rows badly (CASE expressions over outer joins) and, left to
inline them, picks nested loops that recompute a whole set for every cooperative. The
contracts and parties in force are ``NOT MATERIALIZED`` (``inlined``): plain filters of one
table each, cheaper to scan again than to spool; so are the country's facts when nothing
changed after the day (``facts_on``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CTE,
    Boolean,
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Select, Subquery
from sqlalchemy.sql.visitors import InternalTraversal

from core.db import on_postgresql
from linkages.models.certifications import (
    CERT_VALUE_LENGTH,
    CertFact,
    Certification,
    CertificationChange,
)
from linkages.models.contracts import (
    LinkageContract,
    LinkageContractParty,
    LinkageContractVersion,
    LinkageContractVersionParty,
)
from linkages.models.cooperatives import (
    FIGURE_VALUE_LENGTH,
    PROFILE_VALUE_LENGTH,
    CooperativeProfile,
    CooperativeProfileChange,
    FigureFact,
    ProfileFact,
    YearlyFigures,
    YearlyFiguresChange,
)
from linkages.models.organisations import (
    FACT_VALUE_LENGTH,
    FactField,
    Organisation,
    OrganisationFactChange,
)
from linkages.models.places import LegacyProvince

# The facts the indicator reads (the commune is not one of them).
FACTS = (FactField.ORG_TYPE, FactField.STATUS, FactField.REGISTERED_ON,
         FactField.PROVINCE_CODE, FactField.LEGACY_PROVINCE_CODE)


class Among(ColumnElement[bool]):
    """SQL: ``column IN (ids)``. On PostgreSQL written ``column = ANY(ARRAY(ids))``: the
    ids are gathered once and an index on ``column`` is scanned for exactly them. A
    semi-join reads the whole table instead (indicator statements run without nested
    loops, ``query.plan_for_analysis``): 358,596 contract parties to find the 117,370 of
    the 5,000 enterprises, twice as long (bench/RESULTS.md, 2026-12-07)."""

    inherit_cache = True
    type = Boolean()
    # What SQLAlchemy's statement cache keys it by: without these, every statement
    # holding one had no cache key and was compiled again on each request.
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], ids: Select[Any]) -> None:
        self.column = column
        self.ids = ids


@compiles(Among)
def _among(element: Among, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(Among, "postgresql")
def _among_postgresql(element: Among, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    ids = compiler.process(element.ids.scalar_subquery(), **kw)
    return f"{column} = ANY(ARRAY{ids})"


def materialized(stmt: Select[Any], name: str) -> CTE:
    """``stmt`` as a CTE computed once (module docstring)."""
    return stmt.cte(name).prefix_with("MATERIALIZED", dialect="postgresql")


def inlined(stmt: Select[Any], name: str) -> CTE:
    """``stmt`` as a CTE that PostgreSQL folds into each query reading it: for a plain
    filter of one table, scanning the table again costs less than writing its rows out
    once and reading them back."""
    return stmt.cte(name).prefix_with("NOT MATERIALIZED", dialect="postgresql")


def changed_since(on: date, cutoff: datetime) -> Select[Any]:
    """The ids of the organisations with a fact change taking effect after ``on`` or
    recorded at or after ``cutoff``: the only ones whose facts on ``on`` may differ from
    their row's (``facts_on``)."""
    c = OrganisationFactChange
    return select(c.organisation_id).where(or_(c.effective_on > on, c.changed_at >= cutoff))


def maybe_in_province(province: str, on: date, cutoff: datetime) -> ColumnElement[bool]:
    """SQL on ``Organisation``: the organisation may be in ``province`` on ``on`` as known
    at ``cutoff`` (``facts_on``'s ``province``): its row says so (its own code, or its
    legacy province's successor when it has none), or a later change may have moved it.
    What ``facts_on(among=…)`` keeps for one province's registry."""
    org = Organisation
    successors = select(LegacyProvince.code).where(LegacyProvince.new_province_code == province)
    return or_(
        org.province_code == province,
        and_(org.province_code.is_(None), org.legacy_province_code.in_(successors)),
        org.id.in_(changed_since(on, cutoff)),
    )


def _first_after(change: Any, key: str, fields: tuple[Any, ...],
                 after: ColumnElement[bool], order: tuple[Any, ...], name: str) -> Subquery:
    """Per ``key`` (the changed row's id column of ``change``: ``OrganisationFactChange``,
    ``CooperativeProfileChange``, ``YearlyFiguresChange``) with a change matching
    ``after``: for each of ``fields``, ``has_<field>`` (1 when it has such a change) and
    ``old_<field>``, the value the first of them by ``order`` replaced: the field's value
    before them (the "as of" rule of those models)."""
    owner = getattr(change, key)
    later = (
        select(
            owner,
            change.field,
            change.old_value,
            func.row_number()
            .over(partition_by=(owner, change.field), order_by=order)
            .label("rank"),
        )
        .where(after)
        .subquery(f"{name}_later")
    )
    return (
        select(
            later.c[key],
            *(func.max(case((later.c.field == f, 1))).label(f"has_{f.value}")
              for f in fields),
            *(func.max(case((later.c.field == f, later.c.old_value))).label(f"old_{f.value}")
              for f in fields),
        )
        .where(later.c.rank == 1)
        .group_by(later.c[key])
        .subquery(f"{name}_first")
    )


def _after(change: Any, on: date, cutoff: datetime) -> ColumnElement[bool]:
    """SQL on ``change`` (``OrganisationFactChange``, ``CooperativeProfileChange``): it
    takes effect after ``on`` or was recorded at or after ``cutoff``, so that the row it
    changed may not show, on ``on`` as known at ``cutoff``, what it shows now."""
    return or_(change.effective_on > on, change.changed_at >= cutoff)


def _changed_after(change: Any, on: date, cutoff: datetime, fields: tuple[Any, ...],
                   name: str) -> Subquery:
    """``_first_after`` for the organisations' changes that take effect after ``on`` or
    were recorded at or after ``cutoff`` (facts and profiles)."""
    return _first_after(change, "organisation_id", fields, _after(change, on, cutoff),
                        (change.effective_on, change.id), name)


def _as_of(first: Subquery | None, field: Any, current: Any,
           length: int) -> ColumnElement[Any]:
    """SQL: ``field``'s value before the changes of ``first`` (``_first_after``), else
    ``current`` (as text); without ``first``, ``current``."""
    if first is None:
        return cast(current, String(length))
    return case((first.c[f"has_{field.value}"] == 1, first.c[f"old_{field.value}"]),
                else_=cast(current, String(length)))


def facts_on(on: date, cutoff: datetime, name: str = "facts_on",
             among: ColumnElement[bool] | None = None, profile: bool = True) -> CTE:
    """Every organisation's facts on ``on`` as known at ``cutoff``: ``org_id, created_at,
    org_type, status, registered_on, province, legacy_province`` (text, as
    ``asof.fact_on`` gives them; ``province`` among the 34 current ones, as
    ``asof.province_on``), ``field_group, size_class, high_tech_status, high_tech_basis``
    (the cooperative profile's, as it stood on ``on``: ``CooperativeProfileChange``), and
    what the registry shows beside them as it is now: ``name, registration_code``.
    ``among`` (a condition on ``Organisation``) keeps only the organisations a statement
    may read: a province's drill-down needs a few thousand cooperatives and their
    contracts' parties, not the country's 56,000 rows. Without ``profile`` (a statement
    reading the parties' types only) the profile's four are NULL and neither the profiles
    nor their changes are read.

    On PostgreSQL, when no change of a fact or a profile takes effect after ``on`` or was
    recorded at or after ``cutoff`` (nearly always so of a current reference day), the
    facts are the rows as they stand: the statement then reads those plain columns, which
    PostgreSQL estimates well and, for the whole country, folds into each query reading
    them (``inlined``), instead of the worked-out ones below. Which of the two is decided
    inside the statement (each half is guarded by whether there is such a change, asked
    once), so that a change recorded meanwhile cannot slip between the question and the
    answer. A by province 0.55 → 0.42 s, C 0.69 → 0.58 s on the bench's country
    (bench/RESULTS.md, 2026-12-07, third session)."""
    first = _changed_after(OrganisationFactChange, on, cutoff, FACTS, name)
    kept = (_changed_after(CooperativeProfileChange, on, cutoff, tuple(ProfileFact),
                           f"{name}_profile") if profile else None)
    as_known = _facts(first, kept, among, profile)
    if not on_postgresql():
        return materialized(as_known, name)
    changes = [select(OrganisationFactChange.id)
               .where(_after(OrganisationFactChange, on, cutoff)).exists()]
    if profile:
        changes.append(select(CooperativeProfileChange.id)
                       .where(_after(CooperativeProfileChange, on, cutoff)).exists())
    changed = or_(*changes)
    either = union_all(_facts(None, None, among, profile).where(~changed),
                       as_known.where(changed)).subquery(f"{name}_either").select()
    return materialized(either, name) if among is not None else inlined(either, name)


def _facts(first: Subquery | None, kept: Subquery | None,
           among: ColumnElement[bool] | None, profile: bool) -> Select[Any]:
    """``facts_on``'s select: the values before the changes of ``first`` (the facts') and
    ``kept`` (the profiles'), each None when there are none to read."""
    org = Organisation

    def value(field: FactField) -> ColumnElement[Any]:
        return _as_of(first, field, getattr(org, field.value), FACT_VALUE_LENGTH)

    legacy = value(FactField.LEGACY_PROVINCE_CODE)
    profile_columns: list[ColumnElement[Any]]
    if profile:
        profile_columns = [
            _as_of(kept, fact, getattr(CooperativeProfile, fact.value),
                   PROFILE_VALUE_LENGTH).label(fact.value)
            for fact in ProfileFact
        ]
    else:
        profile_columns = [null().label(fact.value) for fact in ProfileFact]
    stmt = select(
        org.id.label("org_id"),
        org.created_at,
        value(FactField.ORG_TYPE).label("org_type"),
        value(FactField.STATUS).label("status"),
        value(FactField.REGISTERED_ON).label("registered_on"),
        func.coalesce(value(FactField.PROVINCE_CODE),
                      LegacyProvince.new_province_code).label("province"),
        legacy.label("legacy_province"),
        org.name,
        org.registration_code,
        *profile_columns,
    )
    if first is not None:
        stmt = stmt.outerjoin(first, first.c.organisation_id == org.id)
    stmt = stmt.outerjoin(LegacyProvince, LegacyProvince.code == legacy)
    if profile:
        stmt = stmt.outerjoin(CooperativeProfile, CooperativeProfile.organisation_id == org.id)
        if kept is not None:
            stmt = stmt.outerjoin(kept, kept.c.organisation_id == org.id)
    if among is not None:
        stmt = stmt.where(among)
    return stmt


def figures_known(year: int, cutoff: datetime) -> Subquery:
    """The yearly figures of statistical year ``year`` reported before ``cutoff``, as
    they were known then (``YearlyFiguresChange``): ``organisation_id, rating,
    official_members, associate_capital_members, associate_no_capital_members``, one row
    per organisation."""
    y, c = YearlyFigures, YearlyFiguresChange
    first = _first_after(c, "figures_id", tuple(FigureFact), c.changed_at >= cutoff,
                         (c.changed_at, c.id), f"figures_{year}")
    members = [FigureFact.OFFICIAL_MEMBERS, FigureFact.ASSOCIATE_CAPITAL_MEMBERS,
               FigureFact.ASSOCIATE_NO_CAPITAL_MEMBERS]
    return (
        select(
            y.organisation_id,
            _as_of(first, FigureFact.RATING, y.rating, FIGURE_VALUE_LENGTH).label("rating"),
            *(cast(_as_of(first, fact, getattr(y, fact.value), FIGURE_VALUE_LENGTH), Integer)
              .label(fact.value) for fact in members),
        )
        .outerjoin(first, first.c.figures_id == y.id)
        .where(y.year == year, y.created_at < cutoff)
        .subquery(f"figures_known_{year}")
    )


def certifications_known(cutoff: datetime) -> Subquery:
    """The certifications recorded before ``cutoff``, as they were recorded then
    (``CertificationChange``): ``id, organisation_id, revoked_on, revoked_at`` and the
    ``CertFact`` fields ``scheme, issued_on, expires_on`` (as text: ISO dates, as the
    registry facts') and ``ocop_stars`` (an integer)."""
    c, ch = Certification, CertificationChange
    first = _first_after(ch, "certification_id", tuple(CertFact), ch.changed_at >= cutoff,
                         (ch.changed_at, ch.id), "certification_facts")

    def value(fact: CertFact) -> ColumnElement[Any]:
        return _as_of(first, fact, getattr(c, fact.value), CERT_VALUE_LENGTH)

    return (
        select(
            c.id, c.organisation_id, c.revoked_on, c.revoked_at,
            value(CertFact.SCHEME).label("scheme"),
            value(CertFact.ISSUED_ON).label("issued_on"),
            value(CertFact.EXPIRES_ON).label("expires_on"),
            cast(value(CertFact.OCOP_STARS), Integer).label("ocop_stars"),
        )
        .outerjoin(first, first.c.certification_id == c.id)
        .where(c.created_at < cutoff)
        .subquery("certifications_known")
    )


@dataclass(frozen=True)
class InForce:
    """The contracts in force on a day as known at a cutoff, as two CTEs of one
    statement: ``contracts`` (``contract_id, status, form, effective_from,
    effective_to``), one row per contract that had a known version by then, and
    ``parties`` (``contract_id, organisation_id, role, position``) of those versions;
    ``changed`` and ``looked_up``, what they are made of (``in_force``)."""

    contracts: CTE
    parties: CTE
    changed: CTE
    looked_up: CTE

    def contracts_among(self, ids: Select[Any], name: str) -> Subquery:
        """``contracts`` whose id is among ``ids``: on PostgreSQL the unchanged ones
        through the contracts' primary key (``Among``), the looked-up ones tested against
        ``ids`` as a set (``parties_among`` says why)."""
        c = self.contracts
        if not on_postgresql():
            return select(c).where(c.c.contract_id.in_(ids)).subquery(name)
        current, former = _contract_halves(self.changed, self.looked_up)
        return union_all(
            current.where(Among(LinkageContract.id, ids)),
            former.where(self.looked_up.c.contract_id.in_(ids)),
        ).subquery(name)

    def parties_among(self, column: str, ids: Select[Any], name: str) -> Subquery:
        """``parties`` whose ``column`` (``contract_id`` or ``organisation_id``) is among
        ``ids``. On PostgreSQL each half of the union is read its own way: the unchanged
        contracts' parties through an index on ``column`` (``Among``), the looked-up
        versions' parties through the versions' primary key, tested against ``ids`` as a
        set. ``Among`` on the union itself reached the looked-up half as a filter, which
        PostgreSQL evaluates by walking the whole array for every row: on a past reference
        day (20,659 versions looked up against 56,054 contracts) 3.5 s of one statement,
        and the versions' parties were read for every cooperative's version ever (830,230
        rows) to keep 32,181. Publishing a past year nationally took 30 s, 11 s since
        (bench/RESULTS.md, 2026-12-07, second session)."""
        p = self.parties
        if not on_postgresql():
            return select(p).where(p.c[column].in_(ids)).subquery(name)
        vp, looked_up = LinkageContractVersionParty, self.looked_up
        versions = select(looked_up.c.version_id)
        if column == "contract_id":
            versions = versions.where(looked_up.c.contract_id.in_(ids))
        current, former = _party_halves(self.changed, looked_up)
        current = current.where(Among(getattr(LinkageContractParty, column), ids))
        former = former.where(Among(vp.version_id, versions))
        if column == "organisation_id":
            former = former.where(vp.organisation_id.in_(ids))
        return union_all(current, former).subquery(name)


def _contract_halves(changed: CTE, looked_up: CTE) -> tuple[Select[Any], Select[Any]]:
    """The contracts in force in two halves: those unchanged since (their row) and those
    ``looked_up`` in their version history; ``contract_id, status, form,
    effective_from, effective_to``."""
    c = LinkageContract
    return (
        select(c.id.label("contract_id"), c.status, c.form, c.effective_from,
               c.effective_to).where(~c.id.in_(select(changed.c.contract_id))),
        select(looked_up.c.contract_id, looked_up.c.status, looked_up.c.form,
               looked_up.c.effective_from, looked_up.c.effective_to),
    )


def _party_halves(changed: CTE, looked_up: CTE) -> tuple[Select[Any], Select[Any]]:
    """The parties in force in the same two halves (``_contract_halves``):
    ``contract_id, organisation_id, role, position``."""
    p, vp = LinkageContractParty, LinkageContractVersionParty
    return (
        select(p.contract_id, p.organisation_id, p.role, p.position)
        .where(~p.contract_id.in_(select(changed.c.contract_id))),
        select(looked_up.c.contract_id, vp.organisation_id, vp.role, vp.position)
        .join(vp, vp.version_id == looked_up.c.version_id),
    )


def in_force(on: date, cutoff: datetime, tag: str = "") -> InForce:
    """``InForce`` on ``on`` as known at ``cutoff`` (module docstring)."""
    v = LinkageContractVersion
    changed = materialized(
        select(v.contract_id).where(or_(v.effective_on > on, v.recorded_at >= cutoff))
        .distinct(),
        f"contracts_changed{tag}",
    )
    known = (
        select(
            v.contract_id, v.id.label("version_id"), v.status, v.form, v.effective_from,
            v.effective_to,
            func.row_number().over(partition_by=v.contract_id,
                                   order_by=v.number.desc()).label("rank"),
        )
        .where(v.contract_id.in_(select(changed.c.contract_id)), v.effective_on <= on,
               v.recorded_at < cutoff)
        .subquery(f"known_versions{tag}")
    )
    looked_up = materialized(
        select(known.c.contract_id, known.c.version_id, known.c.status, known.c.form,
               known.c.effective_from, known.c.effective_to).where(known.c.rank == 1),
        f"versions_looked_up{tag}",
    )
    contracts = inlined(
        union_all(*_contract_halves(changed, looked_up))
        .subquery(f"contracts_union{tag}").select(),
        f"contracts_in_force{tag}",
    )
    parties = inlined(
        union_all(*_party_halves(changed, looked_up))
        .subquery(f"parties_union{tag}").select(),
        f"parties_in_force{tag}",
    )
    return InForce(contracts=contracts, parties=parties, changed=changed, looked_up=looked_up)

