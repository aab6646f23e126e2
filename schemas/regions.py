"""Regions of a photo, blurred in its public derivatives, as staff send and see them."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.common import StrictSchema
from service.domain.photo_regions import KINDS
from service.photos.regions import Box

FRACTION = validate.Range(min=0, max=1)
# More boxes than a crowded street photo needs, few enough to render at once.
MAX_REGIONS = 200


class RegionInSchema(StrictSchema):
    id = fields.Integer(metadata={"description": "an existing region of this photo, to keep (and move); leave out for a new box"})
    left = fields.Float(required=True, validate=FRACTION, metadata={"description": "fraction of the upright photo's width"})
    top = fields.Float(required=True, validate=FRACTION, metadata={"description": "fraction of the upright photo's height"})
    width = fields.Float(required=True, validate=FRACTION)
    height = fields.Float(required=True, validate=FRACTION)
    kind = fields.String(load_default="other", validate=validate.OneOf(KINDS))

    @validates_schema
    def _a_box_inside_the_photo(self, data: dict, **kwargs) -> None:
        try:
            Box(data["left"], data["top"], data["width"], data["height"])
        except ValueError as exc:
            raise ValidationError(f"Not a box inside the photo: {exc}.", "width") from None


class RegionsInSchema(StrictSchema):
    regions = fields.List(fields.Nested(RegionInSchema), required=True, validate=validate.Length(max=MAX_REGIONS),
                          metadata={"description": "every region to blur; active regions left out are removed"})


class RegionSchema(Schema):
    id = fields.Integer()
    left = fields.Float()
    top = fields.Float()
    width = fields.Float()
    height = fields.Float()
    kind = fields.String(metadata={"description": "face, plate or other"})
    source = fields.String(metadata={"description": "detector or staff"})
    score = fields.Float(allow_none=True, metadata={"description": "the detector's confidence"})
    created_by = fields.String(allow_none=True, metadata={"description": "the staff member who drew it"})
    created_at = fields.String()
    removed = fields.Boolean()
    removed_by = fields.String(allow_none=True)
    removed_at = fields.String(allow_none=True)


class RegionsSchema(Schema):
    photo = fields.String(metadata={"description": "the photo's id"})
    version = fields.Integer(metadata={"description": "changes with every change of the regions (also the ETag)"})
    regions = fields.List(fields.Nested(RegionSchema), metadata={"description": "active regions first, then removed ones"})
