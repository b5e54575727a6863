"""Products and commodities as the API takes and shows them."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from marshmallow.validate import Length, Range

from core.schemas import QuerySchema, StrictSchema
from core.units import Unit
from traceability import gs1
from traceability.models.products import Commodity, Product
from traceability.services.products import STANDARD_MAX, STANDARDS_MAX

_POSITIVE = Range(min=0, min_inclusive=False, max=10**9, max_inclusive=False)


class _ProductFields(StrictSchema):
    """Every writable field, all optional: the PATCH body. Null clears an optional field."""

    code = ma.fields.String(
        validate=Length(min=1, max=20),
        metadata={
            "description": "The organisation's SKU code: letters without accents, digits, "
            "- . _ (it appears in platform URIs printed on labels).",
            "example": "ST25-5KG",
        },
    )
    name = ma.fields.String(validate=Length(min=1, max=200))
    commodity = ma.fields.Enum(Commodity, by_value=True)
    gtin = ma.fields.String(
        allow_none=True,
        validate=Length(max=14),
        metadata={
            "description": "GTIN-8/12/13/14 with a valid check digit, stored as 14 digits "
            "and unique on the platform. Setting or changing it is for org admins.",
            "example": "8934567890120",
        },
    )
    default_unit = ma.fields.Enum(
        Unit, by_value=True, metadata={"description": "Defaults to the commodity's unit."}
    )
    kg_per_unit = ma.fields.Decimal(
        allow_none=True,
        validate=_POSITIVE,
        metadata={"description": "Weight of one litre/piece/head; required for those units."},
    )
    pack_size = ma.fields.Decimal(allow_none=True, validate=_POSITIVE)
    pack_unit = ma.fields.Enum(Unit, by_value=True, allow_none=True)
    description = ma.fields.String(allow_none=True, validate=Length(max=5000))
    applied_standards = ma.fields.List(
        ma.fields.String(validate=Length(max=STANDARD_MAX)),
        allow_none=True,
        validate=Length(max=STANDARDS_MAX),
        metadata={
            "description": "The standards and technical regulations the product is made to "
            "(Decree 37/2026), shown on the consumer trace page as written. Spaces are "
            "tidied, empty names dropped, a repeat kept once; null clears the list.",
            "example": ["TCVN 11041-2:2017", "VietGAP", "TCCS 01:2026/HTX-BM"],
        },
    )
    active = ma.fields.Boolean(metadata={"description": "false retires the product."})


class ProductUpdateIn(_ProductFields):
    """The same fields, every one optional: a PATCH changes only what it names."""


class ProductCreateIn(_ProductFields):
    organisation_id = ma.fields.Integer(
        strict=True,
        load_default=None,
        metadata={"description": "Defaults to the organisation the token acts for."},
    )
    code = ma.fields.String(required=True, validate=Length(min=1, max=20))
    name = ma.fields.String(required=True, validate=Length(min=1, max=200))
    commodity = ma.fields.Enum(Commodity, by_value=True, required=True)


class ProductListArgs(QuerySchema):
    organisation_id = ma.fields.Integer(load_default=None)
    commodity = ma.fields.Enum(Commodity, by_value=True, load_default=None)
    q = ma.fields.String(load_default=None, validate=Length(max=100))
    active = ma.fields.Boolean(load_default=None)


class ProductOut(ma.Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    commodity = ma.fields.Enum(Commodity, by_value=True)
    gtin = ma.fields.String(allow_none=True, metadata={"example": "08934567890128"})
    is_vietnamese_gtin = ma.fields.Method(
        "_is_vietnamese_gtin",
        metadata={"description": "A GTIN-13 under GS1 Vietnam's prefix 893."},
    )
    default_unit = ma.fields.Enum(Unit, by_value=True)
    kg_per_unit = ma.fields.Decimal(as_string=True, allow_none=True)
    pack_size = ma.fields.Decimal(as_string=True, allow_none=True)
    pack_unit = ma.fields.Enum(Unit, by_value=True, allow_none=True)
    description = ma.fields.String()
    applied_standards = ma.fields.List(ma.fields.String())
    active = ma.fields.Boolean()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()

    def _is_vietnamese_gtin(self, product: Product) -> bool:
        return product.gtin is not None and gs1.is_vietnamese_gtin13(product.gtin)


class CommodityOut(ma.Schema):
    code = ma.fields.Enum(Commodity, by_value=True)
    label = ma.fields.Method("_label", metadata={"description": "In the request's language."})
    default_unit = ma.fields.Enum(Unit, by_value=True)

    def _label(self, info: Any) -> str:
        return str(info.label)


class ProductImageIn(ma.Schema):
    """The photo, as a file of a multipart/form-data body."""

    image = ma.fields.Raw(
        required=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "A JPEG, PNG or WebP photo; kept re-encoded as a small JPEG "
            "without metadata.",
        },
    )


class ProductImageOut(ma.Schema):
    sha256 = ma.fields.String()
    media_type = ma.fields.String()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    size = ma.fields.Integer(metadata={"description": "Bytes of the kept JPEG."})
    url = ma.fields.Method(
        "_url", metadata={"description": "Public URL of the photo, as the trace page shows it."}
    )

    def _url(self, image: Any) -> str:
        return url_for("public.product_image", sha256=image.sha256, _external=True)
