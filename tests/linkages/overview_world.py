"""A hand-built country for the figures beside the linkage indicator
(tests/linkages/test_overview.py, which works out the expected figures).

Statistical year 2025: 15 Dec 2024 – 14 Dec 2025. Organisations are recorded in 2020 and
registered in 2019 unless said; batches, events, certificates and yearly figures are
recorded on their own days (``at``), so that as-of dates in the past can be asked. Hà Nội
(01) unless said. Yearly figures are of 2025, members given as official + associate with
capital + associate without capital.

HTX:

- a1: agricultural; high-tech verified (high-tech zone); 100 + 20 + 5 members, rated good;
  a batch harvested 1 Mar 2025 and stored 5 Mar 2025 (two events); a valid OCOP 4★
  certificate (1 Jan 2024 – 1 Jan 2027);
- a2: agricultural; high-tech claimed (self-declared); 50 members, rated fair; a batch with
  its harvest event only; an OCOP 3★ certificate expired on 1 Jun 2024;
- a3: agricultural; 30 members, rated average; a void batch with two events in 2025, and a
  batch harvested 1 Dec 2024 (before the period) and stored 5 Jan 2025: one event in the
  period; an OCOP 4★ certificate revoked on 1 Oct 2025;
- a4: agricultural, dissolved effective 1 Jul 2025; high-tech verified (Decision 738
  project); 40 members, rated good; a batch with two events;
- a5: agricultural, suspended effective 1 Mar 2025; high-tech claimed (provincial list);
  20 members, rated good; a batch with two events;
- a6: trade and services (not agricultural); high-tech verified (high-tech enterprise
  certificate); 10 members, rated good; a batch with two events; a valid OCOP 5★
  certificate;
- a7: agricultural, Hồ Chí Minh City (79); high-tech verified (Decision 738 project); no
  yearly figures; a batch with two events; a valid OCOP 3★ certificate;
- a8: agricultural; 15 members, yearly figures without a rating; a batch harvested 1 Nov
  2025 whose storing of 10 Nov 2025 was recorded only on 10 Jan 2026.

THT: t1 (01), t2 (01, dissolved effective 1 May 2025), t3 (79).
LHHTX: u1 (01), u2 (01, registered and recorded 1 Feb 2026).
DN: d1 (01), a valid OCOP 4★ certificate and a 3★ one issued 5 Jan 2026.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from core.actor import Actor, OrgRole
from core.db import db
from linkages.models.certifications import Certification, CertScheme, SubjectKind
from linkages.models.cooperatives import (
    CooperativeProfile,
    FieldGroup,
    HighTechBasis,
    HighTechStatus,
    Rating,
    YearlyFigures,
)
from linkages.models.organisations import FactField, Organisation, OrgType
from tests.factories import HANOI, HCMC, ensure_place, make_user_with_token
from tests.linkages.indicator_world import LONG_AGO, IndicatorWorld, _coop, _fact, at
from tests.traceability.batch_factories import make_area, make_product
from traceability.models import Batch, BatchStatus, EpcisEvent, EventBatch
from traceability.services.recording import record_harvest, record_storing

YEAR = 2025
V, C = HighTechStatus.VERIFIED, HighTechStatus.CLAIMED


def _high_tech(org: Organisation, status: HighTechStatus, basis: HighTechBasis) -> None:
    profile = db.session.get(CooperativeProfile, org.id)
    assert profile is not None
    profile.high_tech_status, profile.high_tech_basis = status, basis


def _figures(org: Organisation, members: tuple[int, int, int], rating: Rating | None) -> None:
    official, capital, no_capital = members
    db.session.add(YearlyFigures(
        organisation_id=org.id, year=YEAR, official_members=official,
        associate_capital_members=capital, associate_no_capital_members=no_capital,
        rating=rating, created_at=at(date(2025, 12, 1))))


def _ocop(org: Organisation, stars: int, issued: date, expires: date,
          revoked: date | None = None) -> None:
    product = make_product(org)
    db.session.add(Certification(
        organisation_id=org.id, scheme=CertScheme.OCOP, number=f"OCOP-{org.id}-{stars}",
        issuer="UBND", issued_on=issued, expires_on=expires, revoked_on=revoked,
        subject_kind=SubjectKind.PRODUCT, product_id=product.id, ocop_stars=stars,
        created_at=at(issued)))


def _batch(org: Organisation, harvested: date, *events: date) -> int:
    """A batch harvested (its first event) on ``harvested``, stored on each of ``events``,
    each recorded on its own day; the batch's id."""
    user, _headers = make_user_with_token(org)
    actor = Actor(user_id=user.id, organisation_id=org.id, org_role=OrgRole.ORG_ADMIN)
    batch = record_harvest(actor, area_ids=[make_area(org).id], product_id=make_product(org).id,
                           quantity=Decimal(100), unit="kg", harvested_on=harvested)
    stored = [record_storing(actor, batch.id, at=day).events[0].id for day in events]
    db.session.execute(update(Batch).where(Batch.id == batch.id)
                       .values(created_at=at(harvested)))
    for event_pk, day in zip([batch_event(batch.id), *stored], [harvested, *events],
                             strict=True):
        db.session.execute(update(EpcisEvent).where(EpcisEvent.id == event_pk)
                           .values(record_time=at(day)))
    db.session.commit()
    return batch.id


def batch_event(batch_id: int) -> int:
    """The commissioning (harvest) event of a batch: its first."""
    pk = db.session.scalar(select(EventBatch.event_pk).where(EventBatch.batch_id == batch_id)
                           .order_by(EventBatch.event_pk).limit(1))
    assert pk is not None
    return pk


def build() -> IndicatorWorld:
    """The world of the module docstring, committed (inside the test's transaction)."""
    ensure_place(HCMC)
    w = IndicatorWorld()
    for name in ("a1", "a2", "a3", "a4", "a5", "a8"):
        _coop(w, name)
    _coop(w, "a6", group=FieldGroup.TRADE_SERVICES)
    _coop(w, "a7", province=HCMC)
    for name, province in (("t1", HANOI), ("t2", HANOI), ("t3", HCMC)):
        _coop(w, name, org_type=OrgType.THT, province=province)
    _coop(w, "u1", org_type=OrgType.LHHTX)
    _coop(w, "u2", org_type=OrgType.LHHTX, registered_on=date(2026, 2, 1),
          created=at(date(2026, 2, 1)))
    _coop(w, "d1", org_type=OrgType.DN)
    o = w.orgs

    for name, effective, status in (("a4", date(2025, 7, 1), "dissolved"),
                                    ("a5", date(2025, 3, 1), "suspended"),
                                    ("t2", date(2025, 5, 1), "dissolved")):
        _fact(o[name], FactField.STATUS, "active", status, effective, effective)

    _high_tech(o["a1"], V, HighTechBasis.HITECH_ZONE)
    _high_tech(o["a2"], C, HighTechBasis.SELF_DECLARED)
    _high_tech(o["a4"], V, HighTechBasis.DECISION_738_PROJECT)
    _high_tech(o["a5"], C, HighTechBasis.PROVINCIAL_LIST)
    _high_tech(o["a6"], V, HighTechBasis.HITECH_ENTERPRISE_CERTIFICATE)
    _high_tech(o["a7"], V, HighTechBasis.DECISION_738_PROJECT)

    _figures(o["a1"], (100, 20, 5), Rating.GOOD)
    _figures(o["a2"], (50, 0, 0), Rating.FAIR)
    _figures(o["a3"], (30, 0, 0), Rating.AVERAGE)
    _figures(o["a4"], (40, 0, 0), Rating.GOOD)
    _figures(o["a5"], (20, 0, 0), Rating.GOOD)
    _figures(o["a6"], (10, 0, 0), Rating.GOOD)
    _figures(o["a8"], (15, 0, 0), None)

    _ocop(o["a1"], 4, date(2024, 1, 1), date(2027, 1, 1))
    _ocop(o["a2"], 3, date(2021, 6, 1), date(2024, 6, 1))
    _ocop(o["a3"], 4, date(2024, 1, 1), date(2027, 1, 1), revoked=date(2025, 10, 1))
    _ocop(o["a6"], 5, date(2024, 1, 1), date(2027, 1, 1))
    _ocop(o["a7"], 3, date(2024, 1, 1), date(2027, 1, 1))
    _ocop(o["d1"], 4, date(2024, 1, 1), date(2027, 1, 1))
    _ocop(o["d1"], 3, date(2026, 1, 5), date(2029, 1, 5))
    db.session.commit()

    _batch(o["a1"], date(2025, 3, 1), date(2025, 3, 5))
    _batch(o["a2"], date(2025, 3, 1))
    void = _batch(o["a3"], date(2025, 3, 1), date(2025, 3, 5))
    # Withdrawn: the harvest that made it did not occur (the status corrections leave).
    db.session.execute(update(Batch).where(Batch.id == void).values(status=BatchStatus.VOID))
    _batch(o["a3"], date(2024, 12, 1), date(2025, 1, 5))
    for name in ("a4", "a5", "a6", "a7"):
        _batch(o[name], date(2025, 3, 1), date(2025, 3, 5))
    late = _batch(o["a8"], date(2025, 11, 1), date(2025, 11, 10))
    db.session.execute(update(EpcisEvent)
                       .where(EpcisEvent.organisation_id == o["a8"].id,
                              EpcisEvent.id != batch_event(late))
                       .values(record_time=at(date(2026, 1, 10))))
    # The organisations' rows record 2020 (u2: 2026), whatever their batches touched.
    db.session.execute(update(Organisation).where(
        Organisation.id.in_([org.id for name, org in o.items() if name != "u2"]))
        .values(created_at=LONG_AGO))
    db.session.commit()
    return w
