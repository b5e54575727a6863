"""Vietnam's clock: its one time zone and its calendar day.

Dates people type (a harvest day, a diary entry, a certificate's expiry) are Vietnamese
calendar dates, and events are recorded with Vietnam's offset, so every "today" and every
local time comes from here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from core.db import utcnow

__all__ = ["VIETNAM", "local_today"]

VIETNAM = timezone(timedelta(hours=7))  # Indochina Time, no daylight saving time


def local_today(now: datetime | None = None) -> date:
    """The calendar day in Vietnam (of ``now``, an aware datetime; default: now)."""
    return (now or utcnow()).astimezone(VIETNAM).date()
