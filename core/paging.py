"""The page numbers a pager (``app/templates/_pager.html``) reads, for any page of a list
that knows its ``page`` (from 1), ``per_page`` and ``total``; and a page of a costly
select with its total in one statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from core.db import db

TOTAL = "rows_in_all"


class PageNumbers:
    """Mixed into a page dataclass with ``page``, ``per_page`` and ``total`` fields."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


# Beyond this first row a page is taken as past the end without asking: OFFSET cannot
# hold every row number a URL can name (``?page=2**62``), and no list here is this long.
LAST_FIRST_ROW = 2**31


def rows_and_total(stmt: Select[Any], first: int, size: int) -> tuple[list[dict[str, Any]], int]:
    """One page of ``stmt``'s rows (as dicts), from row ``first`` (from 0), and how many
    rows it has in all — in one statement, with ``COUNT(*) OVER ()`` beside each row, where
    a COUNT then a LIMIT would run ``stmt`` twice: for selects whose every run is costly
    (the indicator's drill-down). A page past the end costs a COUNT of its own."""
    if first < LAST_FIRST_ROW:
        counted = stmt.add_columns(func.count().over().label(TOTAL))
        rows = db.session.execute(counted.offset(first).limit(size)).mappings().all()
        if rows:
            return [{k: v for k, v in row.items() if k != TOTAL} for row in rows], int(
                rows[0][TOTAL])
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return [], int(total or 0)
