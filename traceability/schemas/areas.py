"""Production areas as the API takes and shows them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow.validate import Length, Range

from core.schemas import QuerySchema, StrictSchema
from traceability.models.areas import AreaKind


class _AreaFields(StrictSchema):
    """Every writable field, all optional: the PATCH body. Null clears an optional field."""

    code = ma.fields.String(validate=Length(min=1, max=40), metadata={"example": "LUA-A3"})
    name = ma.fields.String(validate=Length(min=1, max=200))
    kind = ma.fields.Enum(AreaKind, by_value=True)
    commune_code = ma.fields.String(
        allow_none=True,
        validate=Length(max=5),
        metadata={"description": "2025 commune code; the province is derived from it."},
    )
    area_ha = ma.fields.Decimal(
        allow_none=True, validate=Range(min=0, max=10**7, max_inclusive=False)
    )
    crop = ma.fields.String(allow_none=True, validate=Length(max=100))
    variety = ma.fields.String(allow_none=True, validate=Length(max=100))
    planting_area_code = ma.fields.String(
        allow_none=True,
        validate=Length(max=40),
        metadata={"description": "Mã số vùng trồng issued by the plant protection office."},
    )
    gln = ma.fields.String(
        allow_none=True, validate=Length(max=13), metadata={"description": "GLN (13 digits)."}
    )
    geometry = ma.fields.Dict(
        allow_none=True,
        metadata={
            "description": "GeoJSON Point, Polygon or MultiPolygon (longitude, latitude).",
            "example": {"type": "Point", "coordinates": [105.85, 21.03]},
        },
    )
    household_ids = ma.fields.List(
        ma.fields.Integer(strict=True),
        allow_none=True,
        metadata={"description": "Active members of the organisation who farm the area."},
    )
    active = ma.fields.Boolean(metadata={"description": "false retires the area."})


class AreaUpdateIn(_AreaFields):
    """The same fields, every one optional: a PATCH changes only what it names."""


class AreaCreateIn(_AreaFields):
    organisation_id = ma.fields.Integer(
        strict=True,
        load_default=None,
        metadata={"description": "Defaults to the organisation the token acts for."},
    )
    code = ma.fields.String(required=True, validate=Length(min=1, max=40))
    name = ma.fields.String(required=True, validate=Length(min=1, max=200))
    kind = ma.fields.Enum(AreaKind, by_value=True, required=True)


class AreaListArgs(QuerySchema):
    organisation_id = ma.fields.Integer(load_default=None)
    kind = ma.fields.Enum(AreaKind, by_value=True, load_default=None)
    active = ma.fields.Boolean(load_default=None)
    q = ma.fields.String(load_default=None, validate=Length(max=100))


class AreaOut(ma.Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.Enum(AreaKind, by_value=True)
    commune_code = ma.fields.String(allow_none=True)
    province_code = ma.fields.String(allow_none=True)
    area_ha = ma.fields.Decimal(as_string=True, allow_none=True)
    crop = ma.fields.String()
    variety = ma.fields.String()
    planting_area_code = ma.fields.String()
    gln = ma.fields.String(allow_none=True)
    geometry = ma.fields.Dict(allow_none=True)
    household_ids = ma.fields.List(ma.fields.Integer())
    active = ma.fields.Boolean()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
