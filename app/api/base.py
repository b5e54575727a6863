"""The API's conventions in one place: pagination headers, page size cap, schema base, how
bodies are read, and that writes need a token (``app.boundary``)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Request, request
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import Page
from sqlalchemy import Select, func, select
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request

from app.api.openapi import PAGINATION_HEADERS
from app.boundary import require_token_to_write
from core.boundary import load_json
from core.db import db
from core.schemas import QuerySchema, StrictSchema

__all__ = ["ApiBlueprint", "QuerySchema", "SelectPage", "StrictSchema"]


class BodyParser(FlaskParser):
    """webargs' parser, reading JSON bodies with ``core.boundary.load_json`` (orjson, at most
    ``MAX_JSON_DEPTH`` levels, no NUL), as the EPCIS binding does."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return webargs_core.missing
        data = req.get_data(cache=True)
        if not data:  # as webargs: no body is no arguments, not invalid JSON
            return webargs_core.missing
        return load_json(data, location="json")


class ApiBlueprint(SmorestBlueprint):
    """Paginated lists answer with ``X-Total-Count``, an RFC 8288 ``Link`` header
    (first/prev/next/last) and the ``X-Pagination`` summary flask-smorest documents.
    Writes need a token before anything else (``app.boundary.require_token_to_write``)."""

    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 20, "max_page_size": 100}
    ARGUMENTS_PARSER = BodyParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before_request(require_token_to_write)

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

    def _document_pagination_metadata(self, spec: Any, resp_doc: dict[str, Any]) -> None:
        # All three headers set above, not only flask-smorest's X-Pagination.
        resp_doc.setdefault("headers", {}).update(PAGINATION_HEADERS)


class SelectPage(Page):
    """Paginate a SQLAlchemy ``select()`` in SQL: one COUNT and one LIMIT/OFFSET query.

    A page past the last one is empty, whatever its number: it is not asked of the database,
    whose OFFSET could not even hold the row number of ``?page=2**62``."""

    @property
    def item_count(self) -> int:
        stmt = select(func.count()).select_from(self.collection.order_by(None).subquery())
        return int(db.session.scalar(stmt) or 0)

    @property
    def items(self) -> list[Any]:
        stmt = self.page_of(self.collection)
        return [] if stmt is None else list(db.session.scalars(stmt).unique())

    def page_of(self, stmt: Select[Any]) -> Select[Any] | None:
        """``stmt`` limited to the asked page; None when the page starts past the last row."""
        params = self.page_params
        if params.first_item >= params.item_count:
            return None
        return stmt.offset(params.first_item).limit(params.page_size)

