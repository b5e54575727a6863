"""Each contract's sides, kept at write time for the linkage indicator (DOMAIN.md §4).

Every variant asks of a contract whether an enterprise is one of its parties, and variant
B also whether an HTX or a union leads it or buys under it. Worked out at each figure,
that reads every party of the country's contracts with its organisation's type (~358,000
rows in the bench country, bench/RESULTS.md); this table holds the answer per contract,
as its parties and their organisations' types stand now. ``linkages.indicator.sides``
keeps it and says for which contracts a figure may read it.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db


class LinkageContractSides(db.Model):
    """One contract with an enterprise among its parties or an HTX or union leading or
    buying (the others have no row): ``enterprise``, and the lowest and highest ids of
    those leading or buying HTX and unions (NULL when none), which tell whether one other
    than a given cooperative exists."""

    __tablename__ = "linkage_contract_sides"

    contract_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_contracts.id", ondelete="CASCADE"), primary_key=True)
    enterprise: Mapped[bool] = mapped_column(Boolean)
    lead_min: Mapped[int | None] = mapped_column(Integer)
    lead_max: Mapped[int | None] = mapped_column(Integer)
