"""What ``/api/openapi.json`` says about every operation, said once.

flask-smorest documents each view from its decorators; this module makes the rest of the
published contract match what the API really answers, so that schema-driven clients and
fuzzers can rely on it:

- errors are RFC 9457 problems (``app.errors``) in ``application/problem+json``: the
  ``Problem`` schema is the Api's ``ERROR_SCHEMA``, and :class:`ProblemResponses` lists on
  every operation the error statuses it can answer, by what the operation takes (a body,
  path parameters, a token) rather than by hand on each view;
- the bearer-token security scheme is declared, required unless a view is marked
  :data:`PUBLIC` (public reads take a token but do not need one);
- numbers are numbers: ``Range`` bounds given as ``Decimal`` are published as JSON numbers
  (``exclusiveMinimum``/``exclusiveMaximum`` where the bound is exclusive), and decimals the
  API returns as strings (``Decimal(as_string=True)``) are documented as strings;
- the pagination headers (``X-Pagination``, ``X-Total-Count``, ``Link``) are documented as
  they are sent: ``X-Pagination`` is a JSON text, not an OpenAPI "simple" object;
- tags are named for people ("Batches", "Production areas"), described by the blueprint's
  ``description``, while the blueprints keep their names (``url_for("api_batches.…")``):
  :meth:`HtxApi.register_blueprint` takes the ``tag`` and :class:`HumanTags` renames the
  operations' tags.
"""

from __future__ import annotations

import decimal
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter
from flask_smorest import Api
from flask_smorest.pagination import PaginationMetadataSchema

from app.extensions import PROBLEM_JSON

__all__ = [
    "PAGINATION_HEADERS",
    "PUBLIC",
    "HtxApi",
    "Problem",
    "ProblemFieldError",
]

BEARER = "bearerAuth"
# Operations anyone may call: a token is optional (it may show more, e.g. private records).
PUBLIC: dict[str, Any] = {"security": [{}, {BEARER: []}]}

# Response headers of every paginated list (set in app.api.base.ApiBlueprint).
PAGINATION_HEADERS = {
    "X-Pagination": "PAGINATION",
    "X-Total-Count": "TOTAL_COUNT",
    "Link": "LINK",
}

_WRITES = frozenset({"post", "put", "patch", "delete"})
_METHODS = frozenset({"get", "head", "options", "trace", *_WRITES})
_PAGINATION_PARAMETERS = frozenset({"page", "page_size"})

_DESCRIPTIONS = {
    400: "The request is malformed (e.g. unparsable JSON).",
    401: "A valid bearer token is required.",
    403: "The caller may read this but not change it.",
    404: "Absent, or private to another organisation.",
    409: "Conflicts with what is stored (e.g. a duplicate code).",
    413: "The request body is too large.",
    422: "The input is not valid; `errors` names each field.",
    429: "Too many requests (anonymous reads, failed tokens); slow down.",
    500: "Internal server error.",
}


class ProblemFieldError(ma.Schema):
    """One invalid input: which field, where it was sent, and what is wrong with it."""

    field = ma.fields.String(
        required=True, metadata={"description": "Dotted path of the field, e.g. address.code."}
    )
    pointer = ma.fields.String(
        required=True, metadata={"description": "RFC 6901 JSON Pointer to the field."}
    )
    location = ma.fields.String(
        metadata={"description": "Where the field was sent: json, query, path, headers…"}
    )
    detail = ma.fields.String(required=True)


class Problem(ma.Schema):
    """An RFC 9457 problem detail; ``type`` names the kind of problem."""

    class Meta:
        # RFC 9457 allows extension members; clients must ignore those they do not know.
        unknown = ma.INCLUDE

    type = ma.fields.String(
        required=True,
        metadata={
            "description": "PUBLIC_BASE_URL/problems/<kind> (validation, unauthenticated, "
            "forbidden, not-found, conflict), or about:blank."
        },
    )
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True, validate=ma.validate.Range(400, 599))
    detail = ma.fields.String()
    instance = ma.fields.String(
        required=True, metadata={"description": "The path of the request."}
    )
    errors = ma.fields.List(
        ma.fields.Nested(ProblemFieldError),
        metadata={"description": "For invalid input: each field in error."},
    )


def _json_number(value: Any) -> Any:
    """Decimal bounds would be serialised as strings; JSON Schema wants numbers."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class _Converter(OpenAPIConverter):
    def field2type_and_format(self, field: ma.fields.Field, **kwargs: Any) -> dict[str, Any]:
        if isinstance(field, ma.fields.Decimal) and field.as_string:
            # Sent as text so no precision is lost: "12.500", never 12.5.
            return {"type": "string", "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
        return super().field2type_and_format(field, **kwargs)

    def field2range(self, field: ma.fields.Field, ret: dict[str, Any]) -> dict[str, Any]:
        types = ret.get("type")
        numeric = {"number", "integer"} & set(types if isinstance(types, list) else [types])
        ranges = [v for v in field.validators if isinstance(v, ma.validate.Range)]
        if not numeric or not ranges:
            return super().field2range(field, ret)
        out: dict[str, Any] = {}
        # The tightest bound wins; at equal values an exclusive bound is the tighter one.
        lows = [(v.min, not v.min_inclusive) for v in ranges if v.min is not None]
        highs = [(v.max, v.max_inclusive) for v in ranges if v.max is not None]
        if lows:
            low, exclusive = max(lows)
            out["exclusiveMinimum" if exclusive else "minimum"] = _json_number(low)
        if highs:
            high, inclusive = min(highs)
            out["maximum" if inclusive else "exclusiveMaximum"] = _json_number(high)
        return out


class _MarshmallowPlugin(MarshmallowPlugin):
    Converter = _Converter


class ProblemResponses(BasePlugin):
    """Lists on each operation the error statuses it can answer, all as problem+json.

    What an operation can refuse follows from its shape: any request may be invalid, rate
    limited or fail; a token is needed unless the operation is public;
    a body may be unparsable or too large; a path or a query filter names something that
    may not exist or be hidden; a write may be forbidden to a reader or conflict with what
    is stored.
    """

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            if method not in _METHODS:
                continue
            has_body = "requestBody" in operation
            # Query filters (not the page number or size) may name a record: 404 too.
            filters = {
                p.get("name")
                for p in operation.get("parameters", [])
                if isinstance(p, dict) and p.get("in") == "query"
            } - _PAGINATION_PARAMETERS
            has_path = "{" in (path or "")
            write = method in _WRITES
            # Every request may be refused as invalid (a NUL character in the query string,
            # declared or not: app.boundary), rate limited (app.auth.limits) or fail.
            statuses = {422, 429, 500}
            if operation.get("security") != PUBLIC["security"]:
                statuses.add(401)
            if has_body:
                statuses |= {400, 413}
            if filters or has_path or write:
                statuses.add(404)
            if write:
                statuses |= {403, 409}
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                # Named as flask-smorest names them (e.g. UNPROCESSABLE_ENTITY for 422).
                responses.setdefault(str(status), HTTPStatus(status).name)


class HumanTags(BasePlugin):
    """Operations tagged with a blueprint's name carry its human tag instead."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            if isinstance(operation, dict) and operation.get("tags"):
                operation["tags"] = [self.names.get(tag, tag) for tag in operation["tags"]]


class HtxApi(Api):
    """flask-smorest Api whose errors are RFC 9457 problems (``app.errors``) and whose
    published contract says so."""

    ERROR_SCHEMA = Problem
    # Each operation lists its own error statuses (ProblemResponses); a catch-all
    # "default" would make any status conform to the contract.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        # app.errors registers one handler set for the whole app; nothing to add here.
        return None

    def _init_spec(self, **kwargs: Any) -> None:
        kwargs.setdefault("marshmallow_plugin", _MarshmallowPlugin())
        self.human_tags = HumanTags()
        kwargs["extra_plugins"] = [
            *(kwargs.get("extra_plugins") or ()),
            ProblemResponses(),
            self.human_tags,
        ]
        kwargs.setdefault("security", [{BEARER: []}])
        kwargs.setdefault(
            "info",
            {
                "description": "The HTX Trace JSON API. The GS1 EPCIS 2.0 binding under "
                "`/epcis/` has its own description: [/epcis/openapi.json](/epcis/openapi.json)."
            },
        )
        super()._init_spec(**kwargs)
        spec: APISpec = self.spec
        spec.components.security_scheme(
            BEARER,
            {
                "type": "http",
                "scheme": "bearer",
                "description": "A personal API token: `flask create-token`, POST /api/me/tokens "
                "or the account page. It acts for at most one organisation.",
            },
        )

    def register_blueprint(
        self, blp: Any, *, tag: str | None = None, parameters: Any = None, **options: Any
    ) -> None:
        """Register ``blp``; its operations are listed under ``tag`` (default: its name),
        described by its ``description``."""
        name = options.get("name", blp.name)
        if tag:
            self.human_tags.names[name] = tag
        super().register_blueprint(blp, parameters=parameters, **options)
        # The spec's own tag list holds the blueprint names; a top-level "tags" option
        # replaces it when the spec is rendered (apispec merges options over the spec).
        self.spec.options.setdefault("tags", []).append(
            {"name": tag or name, "description": blp.description or ""}
        )

    def _register_responses(self) -> None:
        # Every error status, lazily: only those an operation refers to are published.
        for status in HTTPStatus:
            if status >= 400:
                self.spec.components.response(
                    status.name,
                    {
                        "description": _DESCRIPTIONS.get(status, status.phrase),
                        "content": {PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}},
                    },
                    lazy=True,
                )

    def _register_pagination_header(self) -> None:
        components = self.spec.components
        components.header(
            "PAGINATION",
            {
                "description": "Pagination metadata, as JSON.",
                "required": True,
                "content": {"application/json": {"schema": PaginationMetadataSchema}},
            },
            lazy=True,
        )
        components.header(
            "TOTAL_COUNT",
            {
                "description": "How many items the whole list holds.",
                "required": True,
                "schema": {"type": "integer", "minimum": 0},
            },
            lazy=True,
        )
        components.header(
            "LINK",
            {
                "description": 'RFC 8288 links to the first, prev, next and last pages '
                '(`<url>; rel="next"`, comma-separated); absent from an empty list.',
                "schema": {"type": "string"},
            },
            lazy=True,
        )
