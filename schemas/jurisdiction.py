"""Jurisdictions served."""

from marshmallow import RAISE, Schema, fields, validate

from schemas.common import language_query


class JurisdictionSchema(Schema):
    code = fields.String(metadata={"description": "全国地方公共団体コード (6 digits)", "example": "990019"})
    name = fields.String(metadata={"description": "name in the requested language"})
    name_ja = fields.String()
    name_en = fields.String()
    prefecture_ja = fields.String(allow_none=True)
    not_taken = fields.String(allow_none=True, metadata={"description": "what is not taken here (snow, private land), "
                                                                       "in the requested language"})
    bbox = fields.List(fields.Float(), metadata={"description": "[west, south, east, north] of the exact boundary"})
    boundary = fields.Dict(metadata={"description": "GeoJSON Polygon or MultiPolygon (WGS84); simplified to about "
                                                    "30 m for a map unless boundary_precision is exact"})
    boundary_precision = fields.String(validate=validate.OneOf(["display", "exact"]))


class JurisdictionQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    boundary = fields.String(load_default="display", validate=validate.OneOf(["display", "exact"]),
                             metadata={"description": "display (simplified, the default) or exact (as coverage uses it)"})
    lang = language_query()
