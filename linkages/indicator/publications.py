"""Published figures (issue 12 §3): an authority freezes the indicator's figures of a period,
so that a published number never changes silently.

Who (README, "Permissions"):

- **publishing**: platform admins and national authorities publish the country's figures
  or any province's; a province authority its own province's only (403 naming
  ``province`` otherwise; with no province given it publishes its own); everyone else 403;
- **reading** the published figures (the list, one publication): anyone, even without a
  token. They are published: every variant's totals and its groups by province, the same
  answer whoever asks;
- **the member list and the changes since** (which cooperatives counted, and which entered
  or left the count since): they name cooperatives and their contracts, so they are read
  as the indicator's drill-down is, by admins and authorities, a province authority seeing
  its province's cooperatives only. For anyone else — an organisation's user, an authority
  asking about another province's publication — they are private records of someone else:
  404, as every refused read (``core.actor``); 401 without a token.

What is valid: a year (statistical by default, or calendar) or a ``from``/``to`` range, as
for the figures (``linkages.indicator.period``), of a period that has **ended** (a
published figure is final: the period it counts is over); a province among the 34; a note
of at most ``NOTE_MAX`` characters. One publication per scope and period: publishing one
again is a 409 naming the period and the publication. Refusals name the parameter and
write nothing. Nothing here commits: the caller commits once.

How: the indicator is computed as of the publishing day (its reference day is the period
end), knowing what was recorded before the moment of publishing (the knowledge cutoff). The
drill-down rows of the counting variants A–E are copied by one ``INSERT … SELECT`` from
``states.states`` of each (the drill-down's rows for the whole scope, the five decided from
one pass over the pairs: ``links.standings``; no row passes through Python), and their
figures, by province and in total, are counted from those rows,
so a published figure and its cooperatives always agree; the volume-weighted variant is
``figures.groups`` by province.
``linkages.indicator.publication_changes`` compares them with today.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from flask_babel import force_locale, get_locale
from sqlalchemy import Select, case, func, insert, literal, select, union_all
from sqlalchemy.exc import IntegrityError

from core.actor import Actor, require_authenticated
from core.clock import local_today
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import _l
from linkages.indicator import figures, links
from linkages.indicator.definitions import (
    DENOMINATOR_VERSION,
    VARIANTS,
    Breakdown,
    Variant,
    VariantCode,
)
from linkages.indicator.drilldown import FILTERS, reason_text
from linkages.indicator.period import AsOf, Period, make_as_of, make_period
from linkages.indicator.query import IndicatorQuery, plan_for_analysis
from linkages.indicator.states import registry_cte, states
from linkages.models.contracts import LinkageContract
from linkages.models.organisations import Organisation
from linkages.models.places import Province
from linkages.models.publications import (
    NATIONAL,
    IndicatorPublication,
    IndicatorPublicationFigure,
    IndicatorPublicationMember,
    PeriodKind,
)

NOTE_MAX = 5000
LANGUAGES = ("vi", "en")
# The variants whose drill-down is kept, cooperative by cooperative (the volume-weighted
# one counts kilograms of batches: its figures only).
MEMBER_VARIANTS: tuple[str, ...] = tuple(c.value for c, v in VARIANTS.items() if not v.volume)

T = TypeVar("T")


# --- who ------------------------------------------------------------------------------


def may_publish(actor: Actor, scope: str) -> bool:
    """May the actor publish the figures of ``scope`` (``national`` or a province)?"""
    if not actor.is_authenticated:
        return False
    if actor.is_admin:
        return True
    return actor.is_authority and actor.province_code in (None, scope)


def drill_scope(actor: Actor, publication: IndicatorPublication) -> str | None:
    """The province of the publication's cooperatives the actor may see (None: all of
    them); 401 anonymous, 404 to those who may see none (module docstring)."""
    require_authenticated(actor)
    if actor.is_admin or (actor.is_authority and actor.province_code is None):
        return None
    if actor.is_authority and publication.scope in (NATIONAL, actor.province_code):
        return actor.province_code
    raise NotFound()


# --- publishing -----------------------------------------------------------------------


def _period(period: str | None, year: int | None, from_: date | None,
            to: date | None) -> Period:
    """The period asked (422 naming the parameter): a range, or a year that must be
    given, of a period that has ended."""
    if period not in (None, PeriodKind.STATISTICAL_YEAR, PeriodKind.CALENDAR_YEAR):
        raise ValidationFailed(field_errors={"period": [_l("Not one of the allowed values.")]})
    if year is None and from_ is None and to is None:
        raise ValidationFailed(
            field_errors={"year": [_l("Give the year, or the range, to publish.")]})
    chosen = make_period(period, year, from_, to)
    if chosen.end >= local_today():
        field = "year" if chosen.kind != PeriodKind.RANGE else "to"
        raise ValidationFailed(field_errors={field: [
            _l("This period has not ended yet: its figures are published once it is over.")
        ]})
    return chosen


def _scope(actor: Actor, province: str | None) -> str:
    """``national`` or the province asked (422 when unknown); a province authority's own
    province when it names none."""
    if province is None:
        return actor.province_code if actor.is_authority and actor.province_code else NATIONAL
    if db.session.get(Province, province) is None:
        raise ValidationFailed(field_errors={"province": [_l("No province with this code.")]})
    return province


def _checked(errors: dict[str, list[Any]], check: Callable[[], T]) -> T | None:
    """``check()``, or None with its field errors added to ``errors``."""
    try:
        return check()
    except ValidationFailed as error:
        errors.update(error.field_errors)
        return None


def _already_published(period: Period, existing: IndicatorPublication) -> Conflict:
    message = _l(
        "The figures of %(start)s – %(end)s are already published for this scope "
        "(publication %(id)d of %(day)s).",
        start=period.start.isoformat(), end=period.end.isoformat(), id=existing.id,
        day=existing.published_at.date().isoformat(),
    )
    field = "year" if period.kind != PeriodKind.RANGE else "from"
    return Conflict(message, field_errors={field: [message]})


def _existing(scope: str, period: Period) -> IndicatorPublication | None:
    p = IndicatorPublication
    return db.session.scalar(select(p).where(
        p.scope == scope, p.period_start == period.start, p.period_end == period.end))


def publish(
    actor: Actor,
    *,
    period: str | None = None,
    year: int | None = None,
    from_: date | None = None,
    to: date | None = None,
    province: str | None = None,
    include_suspended: bool = False,
    note: str | None = None,
) -> IndicatorPublication:
    """Freeze the figures of the period (``year`` of kind ``period``, or ``from_``–``to``)
    for the country or ``province``, as of today: 403 for those who may not publish
    that scope, 422 naming the parameter, 409 when the period is published already."""
    require_authenticated(actor)
    if not (actor.is_admin or actor.is_authority):
        raise Forbidden(_l("Figures are published by authorities."))
    errors: dict[str, list[Any]] = {}  # every parameter at fault, named at once
    scope = _checked(errors, lambda: _scope(actor, province))
    the_period = _checked(errors, lambda: _period(period, year, from_, to))
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        errors["note"] = [str(_l("At most %(n)d characters.", n=NOTE_MAX))]
    if errors or scope is None or the_period is None:
        raise ValidationFailed(field_errors=errors)
    if not may_publish(actor, scope):
        message = _l("You publish the figures of your province only.")
        raise Forbidden(message, field_errors={"province": [message]})
    existing = _existing(scope, the_period)
    if existing is not None:
        raise _already_published(the_period, existing)

    # As of today, as known at this very moment: the figures are exactly what the records
    # said when they were published (a change recorded later today is a change since).
    now = utcnow()
    today = make_as_of(the_period)
    as_of = AsOf(today.as_of, today.on, now)
    publication = IndicatorPublication(
        scope=scope, period_kind=PeriodKind(the_period.kind), year=the_period.year,
        period_start=the_period.start, period_end=the_period.end, as_of=as_of.as_of,
        reference_day=as_of.on, knowledge_cutoff=as_of.cutoff,
        include_suspended=include_suspended, denominator_version=DENOMINATOR_VERSION,
        published_at=now, published_by_id=actor.user_id or None, note=text,
    )
    try:
        with db.session.begin_nested():
            db.session.add(publication)
            db.session.flush()
    except IntegrityError:  # a concurrent request published it first
        existing = _existing(scope, the_period)
        if existing is None:
            raise
        raise _already_published(the_period, existing) from None
    labels: dict[str | None, str] = {
        code: name for code, name in db.session.execute(select(Province.code, Province.name))}
    queries = [_query(publication, chosen, the_period, as_of) for chosen in VARIANTS.values()]
    _freeze_members(publication, [q for q in queries if not q.variant.volume])
    for position, q in enumerate(queries):
        _freeze_figure(publication, position, q, labels)
    db.session.flush()
    return publication


def _query(publication: IndicatorPublication, chosen: Variant, period: Period,
           as_of: AsOf) -> IndicatorQuery:
    plan_for_analysis()
    return IndicatorQuery(
        variant=chosen, period=period, as_of=as_of, breakdown=Breakdown.PROVINCE,
        province=None if publication.scope == NATIONAL else publication.scope,
        include_suspended=publication.include_suspended,
    )


def _value(numerator: Any, denominator: Any, volume: bool) -> dict[str, Any]:
    """A figure's numbers as published (no target, so no gap)."""
    value = figures.share(numerator, denominator)
    return {
        "numerator": float(numerator) if volume else int(numerator),
        "denominator": float(denominator) if volume else int(denominator),
        "share": value,
        "percent": None if value is None else round(value * 100, 2),
    }


def _member_groups(publication: IndicatorPublication, code: str) -> list[dict[str, Any]]:
    """``key, numerator, denominator`` by province of the frozen rows of ``code``: the
    figure they make, counted from the rows themselves so the two always agree."""
    m = IndicatorPublicationMember
    stmt = (
        select(m.province.label("key"), func.count().label("denominator"),
               func.sum(case((m.counted, 1), else_=0)).label("numerator"))
        .where(m.publication_id == publication.id, m.variant == code, m.in_denominator)
        .group_by(m.province)
    )
    return [dict(r._mapping) for r in db.session.execute(stmt)]


def _freeze_figure(publication: IndicatorPublication, position: int, q: IndicatorQuery,
                   labels: dict[str | None, str]) -> None:
    """The variant's figure by province and in total. A–E: counted from their frozen
    drill-down rows (``_freeze_members``); the volume-weighted variant: by
    ``figures.groups``. Groups partition the cohort, so the total is their sum."""
    volume = q.variant.volume
    if volume:
        rows = figures.groups(q, Breakdown.PROVINCE.value)
    else:
        rows = _member_groups(publication, q.variant.code.value)
    rows.sort(key=lambda r: (r["key"] is None, str(r["key"])))
    groups = []
    for row in rows:
        key = None if row["key"] is None else str(row["key"])
        group = {"key": key, "label": labels.get(key, key or ""),
                 **_value(row["numerator"] or 0, row["denominator"] or 0, volume)}
        if volume:
            group["cooperatives"] = int(row["cooperatives"] or 0)
        groups.append(group)
    numerator = sum((Decimal(r["numerator"] or 0) for r in rows), Decimal(0))
    denominator = sum((Decimal(r["denominator"] or 0) for r in rows), Decimal(0))
    texts: dict[str, tuple[str, str]] = {}
    for language in LANGUAGES:
        with force_locale(language):
            texts[language] = (str(q.variant.name), str(q.variant.definition))
    value = figures.share(numerator, denominator)
    db.session.add(IndicatorPublicationFigure(
        publication_id=publication.id, variant=q.variant.code.value, position=position,
        variant_version=q.variant.version, unit="kg" if volume else "htx",
        name_vi=texts["vi"][0], name_en=texts["en"][0],
        definition_vi=texts["vi"][1], definition_en=texts["en"][1],
        numerator=numerator, denominator=denominator,
        share=None if value is None else Decimal(str(value)),
        cooperatives=sum(int(r["cooperatives"] or 0) for r in rows) if volume else None,
        groups=groups,
    ))


def _freeze_members(publication: IndicatorPublication, queries: list[IndicatorQuery]) -> None:
    """Copy the drill-down rows of the variants of ``queries`` (every HTX of the scope's
    registry, for each) in one SQL statement: their registry, its basis and the pairs
    of its contracts are worked out once for all of them (``links.standings``)."""
    first = queries[0]
    b = links.basis(first)
    reg = registry_cte(first, "published_registry", b)
    every = links.standings(first, reg, b)
    m = IndicatorPublicationMember
    parts = []
    for q in queries:
        rows = states(q, reg, f"_{q.variant.code.value}", b,
                      standing=links.standing_of(every, q.variant)).subquery(
            f"published_states_{q.variant.code.value}")
        parts.append(select(
            literal(publication.id), literal(q.variant.code.value), rows.c.org_id,
            rows.c.province, rows.c.in_denominator, rows.c.counted, rows.c.reason,
            rows.c.contract_id))
    db.session.execute(insert(m).from_select(
        ["publication_id", "variant", "organisation_id", "province", "in_denominator",
         "counted", "reason", "contract_id"],
        union_all(*parts),
    ))


# --- reading --------------------------------------------------------------------------


def language() -> str:
    """``vi`` or ``en``: the request's language (Vietnamese outside a request)."""
    current = get_locale()
    return "en" if current is not None and str(current).startswith("en") else "vi"


def list_publications(
    actor: Actor, *, scope: str | None = None, year: int | None = None,
    period: str | None = None,
) -> Select[tuple[IndicatorPublication]]:
    """A select of the publications (anyone), filtered; the latest period first, the
    country before the provinces."""
    p = IndicatorPublication
    stmt = select(p)
    if scope is not None:
        stmt = stmt.where(p.scope == scope)
    if year is not None:
        stmt = stmt.where(p.year == year)
    if period is not None:
        stmt = stmt.where(p.period_kind == PeriodKind(period))
    return stmt.order_by(p.period_end.desc(), p.scope != NATIONAL, p.scope, p.id.desc())


def get_publication(actor: Actor, publication_id: int) -> IndicatorPublication:
    """One publication (anyone); 404 when there is none."""
    publication = db.session.get(IndicatorPublication, publication_id)
    if publication is None:
        raise NotFound()
    return publication


def latest_for(
    actor: Actor, *, year: int | None = None, scope: str | None = None,
    period: str = PeriodKind.STATISTICAL_YEAR,
) -> dict[str, Any] | None:
    """What the dashboard shows beside today's figures: the publication of ``year`` (of
    kind ``period``; any year when None: the latest period published) for ``scope``
    (default: a province authority's province, else ``national``), as
    ``publication_dict``; None when nothing is published. Anyone may ask."""
    if scope is None:
        scope = actor.province_code if actor.is_authority and actor.province_code else NATIONAL
    stmt = list_publications(actor, scope=scope, year=year, period=period).limit(1)
    found = db.session.scalar(stmt)
    return None if found is None else publication_dict(found)


def period_of(publication: IndicatorPublication) -> Period:
    return Period(publication.period_start, publication.period_end,
                  publication.period_kind.value, publication.year)


def figure_dict(figure: IndicatorPublicationFigure) -> dict[str, Any]:
    """One variant as published: ``variant`` (code, version, name, definition in the
    request's language, unit), ``total`` (numerator, denominator, share 0–1, percent;
    ``cooperatives`` for the volume) and ``groups`` by province (the same, with ``key``,
    the province code, and ``label``, its name)."""
    english = language() == "en"
    share = None if figure.share is None else float(figure.share)
    volume = figure.unit == "kg"

    def number(value: Decimal) -> float | int:
        return float(value) if volume else int(value)

    total: dict[str, Any] = {
        "numerator": number(figure.numerator), "denominator": number(figure.denominator),
        "share": share, "percent": None if share is None else round(share * 100, 2),
    }
    if volume:
        total["cooperatives"] = figure.cooperatives or 0
    return {
        "variant": {
            "code": figure.variant, "version": figure.variant_version, "unit": figure.unit,
            "name": figure.name_en if english else figure.name_vi,
            "definition": figure.definition_en if english else figure.definition_vi,
        },
        "total": total,
        "groups": list(figure.groups or []),
    }


def publication_dict(publication: IndicatorPublication) -> dict[str, Any]:
    """A publication as everyone reads it: ``id``, ``scope``, ``period`` (kind, year,
    start, end), ``as_of``, ``reference_day``, ``knowledge_cutoff``, ``include_suspended``,
    ``denominator_version``, ``published_at``, ``published_by_id``, ``note`` and
    ``figures`` (one ``figure_dict`` per variant, A–E then the volume-weighted)."""
    return {
        "id": publication.id,
        "scope": publication.scope,
        "period": period_of(publication).as_dict(),
        "as_of": publication.as_of,
        "reference_day": publication.reference_day,
        "knowledge_cutoff": publication.knowledge_cutoff,
        "include_suspended": publication.include_suspended,
        "denominator_version": publication.denominator_version,
        "published_at": publication.published_at,
        "published_by_id": publication.published_by_id,
        "note": publication.note,
        "figures": [figure_dict(f) for f in publication.figures],
    }


def member_variant(variant: str) -> str:
    """``variant`` when it keeps a member list (422 naming ``variant`` otherwise)."""
    if variant not in MEMBER_VARIANTS:
        raise ValidationFailed(field_errors={"variant": [
            _l("Give one of the variants A to E: the volume-weighted one keeps its figures "
               "only.")]})
    return variant


def members(
    actor: Actor, publication_id: int, *, variant: str = VariantCode.A,
    which: str = "denominator", province: str | None = None,
) -> Select[Any]:
    """A select of the publication's cooperatives under ``variant`` as published, by
    province then name: ``org_id, name, registration_code, province, in_denominator,
    counted, reason, contract_id, contract_code``. ``which`` as the drill-down's (default
    the denominator); ``province`` narrows a national publication; a province authority
    sees its province's only (``drill_scope``)."""
    publication = get_publication(actor, publication_id)
    seen = drill_scope(actor, publication)
    member_variant(variant)
    if which not in FILTERS:
        raise ValidationFailed(field_errors={"which": [_l("Not one of the allowed values.")]})
    if province is not None and db.session.get(Province, province) is None:
        raise ValidationFailed(field_errors={"province": [_l("No province with this code.")]})
    m = IndicatorPublicationMember
    stmt = (
        select(m.organisation_id.label("org_id"), Organisation.name,
               Organisation.registration_code, m.province, m.in_denominator, m.counted,
               m.reason, m.contract_id, LinkageContract.code.label("contract_code"))
        .join(Organisation, Organisation.id == m.organisation_id)
        .outerjoin(LinkageContract, LinkageContract.id == m.contract_id)
        .where(m.publication_id == publication.id, m.variant == variant)
        .order_by(m.province, Organisation.name, m.organisation_id)
    )
    for wanted in (seen, province):
        if wanted is not None:
            stmt = stmt.where(m.province == wanted)
    if which == "numerator":
        stmt = stmt.where(m.counted)
    elif which == "not_counted":
        stmt = stmt.where(m.in_denominator, ~m.counted)
    elif which == "excluded":
        stmt = stmt.where(~m.in_denominator)
    elif which == "denominator":
        stmt = stmt.where(m.in_denominator)
    return stmt


def member_row(row: Any) -> dict[str, Any]:
    """One published member row, with its reason's text in the request's language."""
    data = dict(row._mapping)
    data["counted"] = bool(data["counted"])
    data["in_denominator"] = bool(data["in_denominator"])
    data["reason_text"] = reason_text(data["reason"])
    return data
