"""How the cooperatives work, in SQL: traceability adoption, OCOP products by stars and the
annual rating — figures beside the linkage indicator (issue 12 §2, DOMAIN.md §4–§5).

Traceability adoption and the rating are shares of the linkage indicator's denominator
(``cohort.cohort``: the agricultural HTX open on the reference day): adoption because the
strategy's target is traceability of agricultural products, the rating because the
good/fair/average/weak scale is that of agricultural cooperatives (DOMAIN.md §2).

As of a date: batches, events, certificates and yearly figures recorded before the cutoff,
the yearly figures' ratings as they were reported by then, a batch counted unless it had
become void by then (``not_void_at``), a certificate as it was recorded by then
(``certifications_known``: its corrections and its revocation).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, false, func, or_, select

from core.clock import VIETNAM
from core.db import db
from linkages.indicator.asof import province_on
from linkages.indicator.cohort import cohort
from linkages.indicator.inforce import certifications_known, figures_known
from linkages.indicator.query import IndicatorQuery
from linkages.models.certifications import OCOP_CERTIFICATE_MIN_STARS, CertScheme
from linkages.models.cooperatives import Rating
from linkages.models.organisations import Organisation
from traceability.models import Batch, EpcisEvent, EventBatch
from traceability.models.batches import not_void_at

# A batch is traceable when it carries at least this many events in the period.
TRACEABLE_EVENTS = 2
MAX_STARS = 5


def _midnight(day: date, days_after: int = 0) -> datetime | None:
    """The instant ``days_after`` days after ``day`` begins in Vietnam (in UTC); None past
    what a datetime holds, leaving the range open at that end."""
    try:
        return datetime.combine(day + timedelta(days=days_after), time.min,
                                VIETNAM).astimezone(UTC)
    except OverflowError:
        return None


def _in_period(q: IndicatorQuery, moment: Any) -> list[ColumnElement[bool]]:
    """SQL: ``moment`` falls on a day of the period, in Vietnam."""
    start, end = _midnight(q.period.start), _midnight(q.period.end, 1)
    return [c for c in (None if start is None else moment >= start,
                        None if end is None else moment < end) if c is not None]


def traceability(q: IndicatorQuery) -> dict[str, int]:
    """The denominator's HTX (``denominator``) and those of them (``numerator``) with a
    batch, not void, carrying ``TRACEABLE_EVENTS`` or more events that happened in the
    period: events recorded before the cutoff, neither error declarations nor withdrawn
    by one recorded before it.

    The organisations with such a batch are found once, from the period's events, and
    each cooperative is then looked up among them: asked per
    cooperative, the question read the events table once for each of the country's
    27,000 cooperatives (over a minute at 2 million events, bench/RESULTS.md)."""
    rows = cohort(q)
    b, e, eb = Batch, EpcisEvent, EventBatch
    traced = (
        select(b.organisation_id)
        .select_from(eb)
        .join(e, e.id == eb.event_pk)
        .join(b, b.id == eb.batch_id)
        .where(
            not_void_at(q.cutoff),
            b.created_at < q.cutoff,
            e.record_time < q.cutoff,
            e.declares_error == false(),
            or_(e.retracted_at.is_(None), e.retracted_at >= q.cutoff),
            *_in_period(q, e.event_time),
        )
        .group_by(eb.batch_id, b.organisation_id)
        .having(func.count() >= TRACEABLE_EVENTS)
    )
    counted = rows.c.org_id.in_(select(traced.subquery("traced_batches").c.organisation_id))
    stmt = select(
        func.count().label("denominator"),
        func.coalesce(func.sum(case((counted, 1), else_=0)), 0).label("numerator"),
    ).select_from(rows)
    row = db.session.execute(stmt).one()
    return {"numerator": int(row.numerator), "denominator": int(row.denominator)}


def ocop_by_stars(q: IndicatorQuery) -> dict[int | None, int]:
    """Valid OCOP certificates (each ranks one product) on the reference day, of
    organisations of any type in the asked geography then, by stars: every star rank from
    the lowest certified one to five, and any other rank found (None: not stated). Each
    certificate as it was recorded by the cutoff (``certifications_known``), revoked only
    by a revocation recorded before it (a revocation dated back does not change what an
    earlier figure showed)."""
    cert, org = certifications_known(q.cutoff), Organisation
    day = q.on.isoformat()  # the known dates are ISO text
    stmt = (
        select(cert.c.ocop_stars, func.count())
        .join(org, org.id == cert.c.organisation_id)
        .where(
            cert.c.scheme == CertScheme.OCOP.value,
            cert.c.issued_on <= day,
            or_(cert.c.expires_on.is_(None), cert.c.expires_on >= day),
            or_(cert.c.revoked_on.is_(None), cert.c.revoked_on > q.on,
                cert.c.revoked_at >= q.cutoff),
            org.created_at < q.cutoff,
        )
        .group_by(cert.c.ocop_stars)
    )
    for province in q.provinces:
        stmt = stmt.where(province_on(org, q.on, q.cutoff) == province)
    found: dict[int | None, int] = {stars: int(n) for stars, n in db.session.execute(stmt)}
    ranks = dict.fromkeys(range(OCOP_CERTIFICATE_MIN_STARS, MAX_STARS + 1), 0)
    return {**ranks, **found}


def ratings(q: IndicatorQuery, year: int) -> dict[str, int]:
    """The denominator's HTX (``denominator``), those rated in the yearly figures of the
    statistical year ``year`` as reported by the cutoff (``rated``: ``figures_known``),
    and how many of them were rated good and fair."""
    rows, figures = cohort(q), figures_known(year, q.cutoff)

    def rated_as(rating: Rating) -> Any:
        return func.coalesce(func.sum(case((figures.c.rating == rating.value, 1), else_=0)),
                             0)

    stmt = (
        select(
            func.count().label("denominator"),
            func.count(figures.c.rating).label("rated"),
            rated_as(Rating.GOOD).label("good"),
            rated_as(Rating.FAIR).label("fair"),
        )
        .select_from(rows)
        .outerjoin(figures, figures.c.organisation_id == rows.c.org_id)
    )
    row = db.session.execute(stmt).one()
    return {key: int(value or 0) for key, value in row._mapping.items()}
