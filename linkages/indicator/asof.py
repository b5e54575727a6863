"""The registry and the contracts as they stood on a reference day, as known at a cutoff,
in SQL (``linkages.indicator.period`` says which day and cutoff).

- A registry fact of an organisation on day D, known at cutoff T: the ``old_value`` of
  its first recorded change that takes effect after D *or* was recorded at or after T;
  else the value on the organisation row. Changes of a field take effect in the order they
  are recorded (``linkages.services.oversight``), so those changes are exactly the ones
  after the value in force on D as known at T, and the first one's ``old_value`` is it.
  (``oversight.fact_as_of`` with ``known_before``.)
- A contract on day D, known at T: its version with the highest number among those
  taking effect on or before D and recorded before T; its parties are that version's
  ``LinkageContractVersionParty`` rows.

Here are the correlated forms, for one organisation row of an enclosing query; the
indicator reads whole registries and contract books set by set (``inforce``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from linkages.models.organisations import FactField
from linkages.models.places import LegacyProvince
from linkages.services.oversight import fact_as_of


def fact_on(org: Any, field: FactField, on: date, cutoff: datetime) -> ColumnElement[Any]:
    """SQL: the text value of ``field`` for the organisation row ``org`` (the entity or an
    alias of it, correlated) on ``on`` as recorded before ``cutoff``."""
    return fact_as_of(field, on, org=org, known_before=cutoff)


def province_on(org: Any, on: date, cutoff: datetime) -> ColumnElement[Any]:
    """SQL: the organisation's province among the 34 current ones on ``on``: its province
    code, else the new province its legacy (pre-July-2025) province was merged into."""
    legacy = fact_on(org, FactField.LEGACY_PROVINCE_CODE, on, cutoff)
    merged_into = (
        select(LegacyProvince.new_province_code)
        .where(LegacyProvince.code == legacy)
        .correlate(org)
        .scalar_subquery()
    )
    return func.coalesce(fact_on(org, FactField.PROVINCE_CODE, on, cutoff), merged_into)

