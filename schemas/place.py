"""The report form's place search: a partly typed name in, the places it may mean out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import StrictSchema

QUERY_MAX_CHARS = 100
# Something besides spaces, anywhere (a line break before it included), read alike by Python and JSON Schema.
NOT_BLANK = r"[\s\S]*\S"
LIMIT_MAX = 10


class PlaceSearchSchema(StrictSchema):
    query = fields.String(required=True, validate=[validate.Length(min=1, max=QUERY_MAX_CHARS),
                                                          validate.Regexp(NOT_BLANK, error="Type at least one character.")],
                          metadata={"description": "a partly typed place name or address, such as 中央 or 北区本町",
                                    "example": "中央"})
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=LIMIT_MAX),
                           metadata={"description": "how many places at most"})


class PlaceSchema(Schema):
    label = fields.String(metadata={"description": "the place as an address, in Japanese", "example": "みなと市中央区"})
    lat = fields.Float(metadata={"description": "WGS84 latitude of the place (an area's inner point)"})
    lon = fields.Float(metadata={"description": "WGS84 longitude"})
    approximate = fields.Boolean(metadata={"description": "the place names an area (a ward, a 町丁目), not a spot"})


class PlaceListSchema(Schema):
    places = fields.List(fields.Nested(PlaceSchema), metadata={"description": "best first; empty when nothing matched"})
