"""The API's conventions in one place: pagination headers, page size cap, schema base."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import request
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import Page
from sqlalchemy import func, select

from core.db import db
from core.schemas import StrictSchema

__all__ = ["ApiBlueprint", "SelectPage", "StrictSchema"]


class ApiBlueprint(SmorestBlueprint):
    """Paginated lists answer with ``X-Total-Count``, an RFC 8288 ``Link`` header
    (first/prev/next/last) and the ``X-Pagination`` summary flask-smorest documents."""

    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 20, "max_page_size": 100}

    def _set_pagination_metadata(
        self, page_params: Any, result: Any, headers: Any
    ) -> tuple[Any, Any]:
        result, headers = super()._set_pagination_metadata(page_params, result, headers)
        meta = json.loads(headers[self.PAGINATION_HEADER_NAME])
        headers["X-Total-Count"] = str(page_params.item_count)
        links = []
        for rel, key in (
            ("first", "first_page"),
            ("prev", "previous_page"),
            ("next", "next_page"),
            ("last", "last_page"),
        ):
            if key in meta:
                args = request.args.to_dict(flat=False)
                args["page"] = [str(meta[key])]
                args["page_size"] = [str(page_params.page_size)]
                url = f"{request.base_url}?{urlencode(args, doseq=True)}"
                links.append(f'<{url}>; rel="{rel}"')
        if links:
            headers["Link"] = ", ".join(links)
        return result, headers


class SelectPage(Page):
    """Paginate a SQLAlchemy ``select()`` in SQL: one COUNT and one LIMIT/OFFSET query."""

    @property
    def item_count(self) -> int:
        stmt = select(func.count()).select_from(self.collection.order_by(None).subquery())
        return int(db.session.scalar(stmt) or 0)

    @property
    def items(self) -> list[Any]:
        stmt = self.collection.offset(self.page_params.first_item).limit(
            self.page_params.page_size
        )
        return list(db.session.scalars(stmt).unique())

