"""Jurisdictions served."""

from marshmallow import Schema, fields


class JurisdictionSchema(Schema):
    code = fields.String(metadata={"description": "全国地方公共団体コード (6 digits)", "example": "990019"})
    name = fields.String(metadata={"description": "name in the requested language"})
    name_ja = fields.String()
    name_en = fields.String()
    boundary = fields.Dict(metadata={"description": "GeoJSON Polygon or MultiPolygon (WGS84)"})
