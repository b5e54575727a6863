"""What changed since a publication (issue 12 §3): its frozen figures beside today's
computation of the same period and parameters, and the cooperatives that entered or left
the count, each with the reason it had then and the one it has today.

Today's computation is the indicator's, as of today: same period, scope and
``include_suspended``, under the variants' current rules (a variant whose version changed
since says so: ``version_changed``). The cooperatives are found in SQL: for each counting
variant, the publication's frozen rows (``IndicatorPublicationMember``) joined with today's
drill-down rows (``states.states``, the drill-down computed set-wise) on the cooperative,
both ways (a full outer join written as a left join and an anti-join, which every SQLite
has); nothing is compared row by row in Python.

A change is one of ``KINDS``: ``entered`` / ``left`` the count (the numerator), or, for a
cooperative not counted either time, ``entered_denominator`` / ``left_denominator``. A
cooperative missing on one side (recorded after the publication, moved to another province,
no longer an HTX) has the reason ``NOT_IN_REGISTRY_THEN`` or ``NOT_IN_REGISTRY_NOW`` there.

Who reads them: as the publication's member list (``publications.drill_scope``); a
province authority compares its province's slice of a national publication (its group's
published figure against today's figure of its province).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CTE,
    Boolean,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from core.actor import Actor
from core.db import db
from core.errors import ValidationFailed
from core.i18n import _l
from linkages.indicator import figures, links
from linkages.indicator.definitions import VARIANTS, Breakdown, VariantCode
from linkages.indicator.drilldown import reason_text
from linkages.indicator.period import make_as_of
from linkages.indicator.publications import (
    MEMBER_VARIANTS,
    drill_scope,
    figure_dict,
    get_publication,
    member_variant,
    period_of,
    publication_dict,
)
from linkages.indicator.query import IndicatorQuery, plan_for_analysis
from linkages.indicator.states import registry_cte, states
from linkages.models.contracts import LinkageContract
from linkages.models.organisations import Organisation
from linkages.models.publications import (
    NATIONAL,
    IndicatorPublication,
    IndicatorPublicationMember,
)

KINDS = ("entered", "left", "entered_denominator", "left_denominator")
NOT_IN_REGISTRY_THEN = "not_in_registry_then"
NOT_IN_REGISTRY_NOW = "not_in_registry_now"
ABSENT_REASONS: dict[str, Any] = {
    NOT_IN_REGISTRY_THEN: _l("not among the cooperatives of this scope when published"),
    NOT_IN_REGISTRY_NOW: _l("no longer among the cooperatives of this scope"),
}


def change_reason_text(code: str | None) -> str:
    """A reason's text in the request's language ("" when the cooperative counts)."""
    if code in ABSENT_REASONS:
        return str(ABSENT_REASONS[code])
    return reason_text(code)


def today_query(publication: IndicatorPublication, code: str,
                province: str | None = None) -> IndicatorQuery:
    """The publication's question asked today under the variant's current rule: same
    period, scope and suspended setting, as of today; ``province`` narrows it (a
    province authority's slice of a national publication)."""
    period = period_of(publication)
    plan_for_analysis()
    return IndicatorQuery(
        variant=VARIANTS[VariantCode(code)], period=period, as_of=make_as_of(period),
        breakdown=Breakdown.NONE,
        province=None if publication.scope == NATIONAL else publication.scope,
        scope_province=province, include_suspended=publication.include_suspended,
    )


_PAIR_COLUMNS = (
    ("published_province", String), ("published_in_denominator", Boolean),
    ("published_counted", Boolean), ("published_reason", String),
    ("published_contract_id", Integer),
    ("today_province", String), ("today_in_denominator", Boolean),
    ("today_counted", Boolean), ("today_reason", String), ("today_contract_id", Integer),
)


def _pairs(publication: IndicatorPublication, code: str, province: str | None,
           reg: CTE, b: links.Basis) -> list[Select[Any]]:
    """Two selects whose union is the full outer join of the frozen rows of ``code`` with
    today's rows (``states``): ``variant, org_id`` and the ``_PAIR_COLUMNS``."""
    tag = f"_{code.lower()}"
    today = states(today_query(publication, code, province), reg, tag, b)
    t = today.cte(f"today{tag}")
    m = aliased(IndicatorPublicationMember, name=f"frozen{tag}")
    mine = [m.publication_id == publication.id, m.variant == code]
    if province is not None:
        mine.append(m.province == province)
    published: list[ColumnElement[Any]] = [m.province, m.in_denominator, m.counted, m.reason,
                                           m.contract_id]
    now: list[ColumnElement[Any]] = [t.c.province, t.c.in_denominator, t.c.counted,
                                     t.c.reason, t.c.contract_id]

    def labelled(values: list[ColumnElement[Any]]) -> list[ColumnElement[Any]]:
        return [
            cast(v, kind).label(name)
            for v, (name, kind) in zip(values, _PAIR_COLUMNS, strict=True)
        ]

    nothing: list[ColumnElement[Any]] = [null() for _ in range(5)]
    variant = literal(code, String).label("variant")
    frozen_side = (
        select(variant, m.organisation_id.label("org_id"), *labelled([*published, *now]))
        .select_from(m)
        .outerjoin(t, t.c.org_id == m.organisation_id)
        .where(*mine)
    )
    m2 = aliased(IndicatorPublicationMember, name=f"known{tag}")
    mine2 = [m2.publication_id == publication.id, m2.variant == code,
             m2.organisation_id == t.c.org_id]
    if province is not None:
        mine2.append(m2.province == province)
    today_only = (
        select(variant, t.c.org_id.label("org_id"), *labelled([*nothing, *now]))
        .select_from(t)
        .where(~exists().where(*mine2))
    )
    return [frozen_side, today_only]


def _changed(publication: IndicatorPublication, codes: tuple[str, ...],
             province: str | None) -> Subquery:
    """Every pair of ``codes`` with its change ``kind`` (NULL: no change)."""
    # One registry of today for every variant (they differ in their contracts only).
    first = today_query(publication, codes[0], province)
    b = links.basis(first, "_today")
    reg = registry_cte(first, "today_registry", b)
    pairs = union_all(*(s for c in codes for s in _pairs(publication, c, province, reg, b)))
    p = pairs.subquery("pairs")
    was_counted = func.coalesce(p.c.published_counted, false())
    is_counted = func.coalesce(p.c.today_counted, false())
    was_in = func.coalesce(p.c.published_in_denominator, false())
    is_in = func.coalesce(p.c.today_in_denominator, false())
    kind = case(
        (and_(is_counted, not_(was_counted)), "entered"),
        (and_(was_counted, not_(is_counted)), "left"),
        (and_(is_in, not_(was_in)), "entered_denominator"),
        (and_(was_in, not_(is_in)), "left_denominator"),
        else_=null(),
    )
    return select(p, kind.label("kind")).subquery("changed")


def _scope_and_codes(
    actor: Actor, publication_id: int, variant: str | None
) -> tuple[IndicatorPublication, str | None, tuple[str, ...]]:
    publication = get_publication(actor, publication_id)
    province = drill_scope(actor, publication)
    codes = MEMBER_VARIANTS if variant is None else (member_variant(variant),)
    return publication, province, codes


def changes(
    actor: Actor, publication_id: int, *, variant: str | None = None, kind: str | None = None
) -> Select[Any]:
    """A select of the cooperatives whose place in the count changed since the
    publication, by variant, kind, province and name: ``variant, kind, org_id, name,
    registration_code, province`` (today's, else the published one), ``published_*`` and
    ``today_*`` (``in_denominator, counted, reason, contract_id, contract_code``).
    ``variant`` (A–E) and ``kind`` (``KINDS``) narrow it."""
    if kind is not None and kind not in KINDS:
        raise ValidationFailed(field_errors={"kind": [_l("Not one of the allowed values.")]})
    publication, province, codes = _scope_and_codes(actor, publication_id, variant)
    c = _changed(publication, codes, province)
    then_contract = aliased(LinkageContract)
    now_contract = aliased(LinkageContract)
    stmt = (
        select(
            c.c.variant, c.c.kind, c.c.org_id, Organisation.name,
            Organisation.registration_code,
            func.coalesce(c.c.today_province, c.c.published_province).label("province"),
            c.c.published_in_denominator, c.c.published_counted, c.c.published_reason,
            c.c.published_contract_id, then_contract.code.label("published_contract_code"),
            c.c.today_in_denominator, c.c.today_counted, c.c.today_reason,
            c.c.today_contract_id, now_contract.code.label("today_contract_code"),
        )
        .join(Organisation, Organisation.id == c.c.org_id)
        .outerjoin(then_contract, then_contract.id == c.c.published_contract_id)
        .outerjoin(now_contract, now_contract.id == c.c.today_contract_id)
        .where(c.c.kind.is_not(None))
        .order_by(c.c.variant, c.c.kind, "province", Organisation.name, c.c.org_id)
    )
    if kind is not None:
        stmt = stmt.where(c.c.kind == kind)
    return stmt


def change_row(row: Any) -> dict[str, Any]:
    """One change as the API shows it: the select's columns, booleans as booleans, a
    missing side's reason filled in (``NOT_IN_REGISTRY_*``) and each reason's text."""
    data = dict(row._mapping)
    for side, absent in (("published", NOT_IN_REGISTRY_THEN), ("today", NOT_IN_REGISTRY_NOW)):
        present = data[f"{side}_in_denominator"] is not None
        data[f"{side}_in_denominator"] = bool(data[f"{side}_in_denominator"])
        data[f"{side}_counted"] = bool(data[f"{side}_counted"])
        if not present:
            data[f"{side}_reason"] = absent
        data[f"{side}_reason_text"] = change_reason_text(data[f"{side}_reason"])
    return data


def _difference(then: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    def minus(key: str) -> Any:
        if then.get(key) is None or now.get(key) is None:
            return None
        return round(now[key] - then[key], 4)

    return {"numerator": minus("numerator"), "denominator": minus("denominator"),
            "percent_points": minus("percent")}


def _published_slice(figure: dict[str, Any], publication: IndicatorPublication,
                     province: str | None) -> dict[str, Any]:
    """The published figure of the slice compared: the whole, or a province authority's
    group of a national publication (zeros when its province had no group)."""
    if province is None or publication.scope != NATIONAL:
        return dict(figure["total"])
    for group in figure["groups"]:
        if group.get("key") == province:
            return {k: v for k, v in group.items() if k not in ("key", "label")}
    empty: dict[str, Any] = {"numerator": 0, "denominator": 0, "share": None,
                             "percent": None}
    if figure["variant"]["unit"] == "kg":
        empty["cooperatives"] = 0
    return empty


def compare(actor: Actor, publication_id: int,
            variant: str | None = None) -> dict[str, Any]:
    """The publication beside today's computation of the same period and parameters
    (``variant``: that variant's entry only, as a page showing one variant needs it:
    each variant's changes are a drill-down of the whole scope today).

    Returns ``publication`` (``publications.publication_dict``), ``province`` (the slice
    compared: None for the whole scope, a province authority's province otherwise),
    ``as_of`` and ``reference_day`` of today's computation, and ``variants``, one per
    published variant (A–E, then V)::

        {"variant": {code, version, name, definition, unit},   # as published
         "current_version": "1", "version_changed": False,
         "published": {numerator, denominator, share, percent[, cooperatives]},
         "today": {numerator, denominator, share, percent[, cooperatives]},
         "difference": {numerator, denominator, percent_points},  # today - published
         "changes": {"entered": n, "left": n, "entered_denominator": n,
                     "left_denominator": n}}                  # A–E; {} for V

    The cooperatives behind ``changes`` are ``changes(actor, publication_id, …)``. 401
    anonymous, 404 to those who may not read the publication's cooperatives."""
    if variant is not None and variant not in {c.value for c in VariantCode}:
        raise ValidationFailed(field_errors={"variant": [_l("Not one of the allowed values.")]})
    publication, province, codes = _scope_and_codes(actor, publication_id, None)
    if variant is not None:
        codes = tuple(c for c in codes if c == variant)
    counted: dict[str, dict[str, int]] = {code: dict.fromkeys(KINDS, 0) for code in codes}
    if codes:
        c = _changed(publication, codes, province)
        stmt = (select(c.c.variant, c.c.kind, func.count())
                .where(c.c.kind.is_not(None)).group_by(c.c.variant, c.c.kind))
        for code, kind, n in db.session.execute(stmt):
            counted[code][kind] = int(n)
    shown = [f for f in publication.figures if variant is None or f.variant == variant]
    # Today's totals of the counting variants in one statement (figures.counting_totals).
    totals = ({} if len(shown) < 2 else
              figures.counting_totals(today_query(publication, shown[0].variant, province)))
    result = []
    as_of = None
    for figure in shown:
        published = figure_dict(figure)
        q = today_query(publication, figure.variant, province)
        as_of = q.as_of
        today = (totals[figure.variant] if figure.variant in totals
                 else figures.compute(q))["total"]
        today = {**today}
        today.pop("gap_to_target", None)
        then = _published_slice(published, publication, province)
        current = VARIANTS[VariantCode(figure.variant)].version
        result.append({
            "variant": published["variant"],
            "current_version": current,
            "version_changed": current != figure.variant_version,
            "published": then,
            "today": today,
            "difference": _difference(then, today),
            "changes": counted.get(figure.variant, {}),
        })
    return {
        "publication": publication_dict(publication),
        "province": province,
        "as_of": as_of.as_of if as_of else None,
        "reference_day": as_of.on if as_of else None,
        "variants": result,
    }
