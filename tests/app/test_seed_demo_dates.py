"""The demo is anchored on the seeding day (``app.demo.country.demo_today``): seeded on any
day, nothing it records is dated after that day, and it is the same demo moved by whole
days — same organisations, lots, quantities and steps, the same PHI override."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.demo import country
from app.demo.country import (
    DEMO_TIMEZONE,
    REFERENCE_DATE,
    load_places_index,
    plan_demo_country,
    seed_demo_country,
)
from app.demo.traces import lots_digest, plan_demo_traces, registered_members
from core.db import db
from linkages.models import Certification, Organisation
from linkages.models.cooperatives import CooperativeProfile
from traceability.models import (
    Batch,
    BatchContribution,
    DiaryEntry,
    DiaryKind,
    EpcisEvent,
    LabResult,
    ProductionArea,
    Shipment,
)
from traceability.services import diary, lab_results
from traceability.services.phi import phi_violations

# One day before the reference timeline's "today" (where the old fixed dates made the
# diary refuse the seeding) and one long after it (where they looked stale).
SEEDING_DAYS = (date(2025, 11, 3), date(2027, 5, 20))

# Dates written into codes: lot codes "yymmdd-…", despatch notes "PXK-yymmdd-…", purchase
# orders "PO-yymm-…" (a month cannot be moved back exactly: it is left out).
_LOT_CODE = re.compile(r"^(PXK-)?(\d{6})-")
_ORDER = re.compile(r"^PO-\d{4}-")


def _on_reference_timeline(value: Any, shift: timedelta) -> Any:
    """``value`` (a plan step's arguments) with every date moved back by ``shift``."""
    if isinstance(value, date | datetime):
        return value - shift
    if isinstance(value, str):
        value = _ORDER.sub("PO-", value)
        match = _LOT_CODE.match(value)
        if match:
            day = datetime.strptime(match.group(2), "%y%m%d").date() - shift
            value = f"{match.group(1) or ''}{day:%y%m%d}-{value[match.end():]}"
        return value
    if isinstance(value, dict):
        return {k: _on_reference_timeline(v, shift) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_on_reference_timeline(v, shift) for v in value)
    return value


def _vn_day(moment: datetime) -> date:
    return moment.astimezone(DEMO_TIMEZONE).date()


@pytest.mark.parametrize("day", SEEDING_DAYS, ids=str)
def test_seeding_on_any_day_dates_nothing_after_it_and_moves_the_same_demo(
    app, monkeypatch: pytest.MonkeyPatch, day: date
) -> None:
    monkeypatch.setattr(country, "demo_today", lambda: day)
    # The diary and lab results refuse days after their own today: make that the seeding
    # day too, as on a machine whose clock says ``day``.
    monkeypatch.setattr(diary, "local_today", lambda: day)
    monkeypatch.setattr(lab_results, "local_today", lambda: day)
    shift = day - REFERENCE_DATE

    report = seed_demo_country()
    db.session.flush()
    assert report.today == day

    # Nothing recorded after the seeding day (events stop two days before it).
    entries = db.session.scalars(select(DiaryEntry)).all()
    assert entries and max(e.occurred_on for e in entries) <= day
    batches = db.session.scalars(select(Batch).order_by(Batch.id)).all()
    harvested = [b.harvest_start for b in batches if b.harvest_start]
    assert harvested and max(harvested) <= day
    assert max(b.harvest_end for b in batches if b.harvest_end) <= day
    delivered = db.session.scalars(select(BatchContribution.delivered_on)).all()
    assert delivered and max(delivered) <= day
    event_days = [_vn_day(t) for t in db.session.scalars(select(EpcisEvent.event_time))]
    assert max(event_days) <= day - timedelta(days=2)
    shipments = db.session.scalars(select(Shipment)).all()
    assert shipments and max(_vn_day(s.shipped_at) for s in shipments) <= day
    assert all(_vn_day(s.received_at) <= day for s in shipments if s.received_at)
    certificates = db.session.scalars(select(Certification)).all()
    assert max(c.issued_on for c in certificates) <= day
    assert sum(1 for c in certificates if not c.is_valid_on(day)) >= 3
    assert sum(1 for c in certificates if c.is_valid_on(day)) > len(certificates) / 2
    verified = db.session.scalars(
        select(CooperativeProfile.verified_at).where(CooperativeProfile.verified_at.is_not(None))
    ).all()
    assert verified and max(_vn_day(v) for v in verified) <= day
    sampled = db.session.scalars(select(LabResult.sampled_on)).all()
    assert sampled and max(sampled) <= day - timedelta(days=2)

    # PHI: every harvest respects the diary's intervals, except the one override.
    areas = {a.id: a for a in db.session.scalars(select(ProductionArea))}
    harvests = [b for b in batches if b.areas]
    assert [b for b in harvests if b.phi_override_reason] != []
    for batch in harvests:
        blocked = phi_violations([areas[a.area_id] for a in batch.areas], batch.harvest_start)
        assert bool(blocked) == bool(batch.phi_override_reason), batch.lot_code
    assert sum(1 for b in harvests if b.phi_override_reason) == 1
    assert db.session.scalar(
        select(DiaryEntry.id).where(DiaryEntry.kind == DiaryKind.PESTICIDE).limit(1)
    )

    # The same demo as on the reference day, moved by whole days: the database holds the
    # plan for this day, and that plan is the reference day's with every date moved.
    places = load_places_index()
    orgs = {o.id: o.registration_code for o in db.session.scalars(select(Organisation))}
    stored = [(orgs[b.organisation_id], b.lot_code) for b in batches]
    members = registered_members([o.id for o in report.organisations["htx"]])
    here = plan_demo_traces(report.seed, report, members, places)
    reference = plan_demo_traces(report.seed, report, members, places, today=REFERENCE_DATE)
    assert lots_digest(stored) == here.digest()
    assert here.steps != reference.steps
    assert [(s.kind, s.org, _on_reference_timeline(s.args, shift)) for s in here.steps] == [
        (s.kind, s.org, _on_reference_timeline(s.args, timedelta(0))) for s in reference.steps
    ]
    assert _on_reference_timeline(here.lots, shift) == reference.lots

    moved = plan_demo_country(report.seed, places, day)
    fixed = plan_demo_country(report.seed, places)
    assert moved.digest() == fixed.digest() == report.digest
    assert [o.data for o in moved.organisations] == [o.data for o in fixed.organisations]
    assert [o.members for o in moved.organisations] == [o.members for o in fixed.organisations]
    for ours, theirs in zip(moved.organisations, fixed.organisations, strict=True):
        assert [c["issued_on"] - shift for c in ours.certifications] == [
            c["issued_on"] for c in theirs.certifications
        ]
        assert [c.get("expires_on") and c["expires_on"] - shift for c in ours.certifications] == [
            c.get("expires_on") for c in theirs.certifications
        ]
