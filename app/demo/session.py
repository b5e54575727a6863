"""How the demo seeders use the session while they replay the plans through the services.

Seeding the demo country is ~1,500 service calls writing ~12,000 rows in one transaction:
what costs the time is not the database's work but the ~11,000 statements and Python's
bookkeeping around them. ``seeding_session()`` removes two costs that have nothing to do
with the rows written:

- the session's identity map holds its objects weakly, so an organisation, product or
  production area the services look up with ``session.get`` (the actor's organisation,
  the lot's product, the harvested areas: most steps do) is gone again once the step
  that loaded it returns, and the next step selects it again (an area with its
  households): ~2,400 SELECTs per seeding. Kept referenced for the seeding, they are
  found in the identity map instead. Only these read-mostly records are kept: the
  services change them through the ORM only (no bulk UPDATE, which would leave a kept
  object stale). Everything else (lots, events, contracts) stays weakly held: an ORM
  UPDATE with a WHERE clause (``app.demo.indicator_links`` backdates versions with one)
  evaluates it against every object in the identity map, so a map holding every row
  written would make each of them slow;
- Python's cyclic garbage collector runs full collections over the whole heap while the
  seeding allocates hundreds of thousands of short-lived objects (statements, rows,
  states): ~0.25 s per seeding in a test process. It is paused for the seeding (whose
  own garbage is a few megabytes) and collects as usual afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.db import db
from linkages.models.organisations import Organisation
from linkages.models.places import LegacyProvince
from traceability.models.areas import ProductionArea
from traceability.models.products import Product

# The records the services look up again and again while the demo is written (see the
# module docstring for why these and no others).
KEPT: tuple[type, ...] = (Organisation, Product, ProductionArea, LegacyProvince)
_EVENTS = ("pending_to_persistent", "loaded_as_persistent")


@contextmanager
def seeding_session() -> Iterator[None]:
    """For the duration of a seeding: keep the ``KEPT`` objects of the current session
    referenced (so ``session.get`` finds them without a SELECT) and pause the cyclic
    garbage collector."""
    session = db.session()
    # Legacy provinces are reference data the organisations name (63 rows): one SELECT
    # instead of one per organisation.
    kept: list[object] = list(session.scalars(select(LegacyProvince)))

    def keep(_session: Session, instance: object) -> None:
        if isinstance(instance, KEPT):
            kept.append(instance)

    for name in _EVENTS:
        event.listen(session, name, keep)
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        for name in _EVENTS:
            event.remove(session, name, keep)
        kept.clear()
        if collecting:
            gc.enable()
