"""The page numbers a pager (``app/templates/_pager.html``) reads, for any page of a list
that knows its ``page`` (from 1), ``per_page`` and ``total``."""

from __future__ import annotations


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
