"""Categories residents choose from."""

from marshmallow import Schema, ValidationError, fields, validates_schema

from schemas.common import Coordinate, StrictSchema, language_query


class CategoryQuerySchema(StrictSchema):
    lat = Coordinate(-90, 90)
    lon = Coordinate(-180, 180)
    lang = language_query()

    @validates_schema
    def _both_or_neither(self, data, **kwargs):
        if ("lat" in data) != ("lon" in data):
            raise ValidationError("Give both lat and lon, or neither.", "lat" if "lat" not in data else "lon")


class AttributeValueSchema(Schema):
    key = fields.String()
    name = fields.String()


class CategoryAttributeSchema(Schema):
    code = fields.String()
    datatype = fields.String()
    required = fields.Boolean()
    description = fields.String()
    values = fields.List(fields.Nested(AttributeValueSchema))


class CategorySchema(Schema):
    code = fields.String(metadata={"example": "road_damage"})
    jurisdiction = fields.String(metadata={"description": "local government code"})
    name = fields.String(metadata={"description": "name in the requested language"})
    name_ja = fields.String()
    name_en = fields.String()
    description = fields.String(allow_none=True)
    notice = fields.String(allow_none=True, metadata={"description": "what residents should know before reporting, "
                                                                    "in the requested language"})
    urgent = fields.Boolean(metadata={"description": "urgent cases must be phoned in: tell residents first"})
    phone = fields.String(allow_none=True, metadata={"description": "the number an urgent category's department "
                                                                   "takes urgent calls on", "example": "025-552-1511"})
    group = fields.String(allow_none=True)
    keywords = fields.List(fields.String())
    attributes = fields.List(fields.Nested(CategoryAttributeSchema))
    first_response_days = fields.Integer(metadata={"description": "target business days to a first response"})
    resolution_days = fields.Integer(metadata={"description": "target business days to resolution"})
