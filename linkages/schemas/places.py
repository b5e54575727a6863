"""Places as the API shows them: public reference data, read-only."""

from __future__ import annotations

import marshmallow as ma

from core.schemas import QuerySchema

COMMUNE_KINDS = ("xã", "phường", "đặc khu")


class ProvinceOut(ma.Schema):
    code = ma.fields.String(metadata={"example": "08"})
    name = ma.fields.String(metadata={"example": "Tỉnh Tuyên Quang"})
    short_name = ma.fields.String(metadata={"example": "Tuyên Quang"})
    name_en = ma.fields.String(metadata={"example": "Tuyen Quang Province"})
    kind = ma.fields.String(metadata={"description": '"tỉnh" or "thành phố trung ương"'})


class LegacyProvinceBrief(ma.Schema):
    code = ma.fields.String(metadata={"example": "02"})
    name = ma.fields.String(metadata={"example": "Tỉnh Hà Giang"})
    short_name = ma.fields.String(metadata={"example": "Hà Giang"})


class ProvinceDetailOut(ProvinceOut):
    legacy_provinces = ma.fields.List(
        ma.fields.Nested(LegacyProvinceBrief),
        metadata={"description": "The provinces before 1 July 2025 merged into this one."},
    )


class CommuneOut(ma.Schema):
    code = ma.fields.String(metadata={"example": "00004"})
    name = ma.fields.String(metadata={"example": "Phường Ba Đình"})
    kind = ma.fields.String(metadata={"description": '"xã", "phường" or "đặc khu"'})
    province_code = ma.fields.String(metadata={"example": "01"})


class ProvinceBrief(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    short_name = ma.fields.String()


class CommuneDetailOut(CommuneOut):
    province = ma.fields.Nested(ProvinceBrief)


class LegacyProvinceOut(LegacyProvinceBrief):
    new_province_code = ma.fields.String(metadata={"example": "08"})
    new_province = ma.fields.Nested(ProvinceBrief)


class CommuneListArgs(QuerySchema):
    """Query string of a commune list."""

    q = ma.fields.String(
        validate=ma.validate.Length(max=100),
        metadata={"description": "Part of the name; accents and case are ignored."},
    )
    kind = ma.fields.String(validate=ma.validate.OneOf(COMMUNE_KINDS))


class RegionOut(ma.Schema):
    code = ma.fields.String(metadata={"example": "TDMNPB"})
    name = ma.fields.String(metadata={"example": "Trung du và miền núi phía Bắc"})
    name_en = ma.fields.String(metadata={"example": "Northern Midlands and Mountains"})
    position = ma.fields.Integer()


class RegionMembershipOut(ma.Schema):
    province_code = ma.fields.String()
    region_code = ma.fields.String()
    valid_from = ma.fields.Date()


class RegionSchemeOut(ma.Schema):
    code = ma.fields.String(metadata={"example": "VN6_2021_2030"})
    name = ma.fields.String()
    name_en = ma.fields.String()
    province_set = ma.fields.String(
        metadata={"description": '"legacy": 63 pre-2025 codes; "2025": the 34 current codes'}
    )
    provisional = ma.fields.Boolean()
    source = ma.fields.String()


class RegionSchemeDetailOut(RegionSchemeOut):
    regions = ma.fields.List(ma.fields.Nested(RegionOut))
    memberships = ma.fields.List(ma.fields.Nested(RegionMembershipOut))
