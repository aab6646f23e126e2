"""Reports as residents send and see them."""

from __future__ import annotations

from typing import ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from schemas.common import (
    STATUS_LIST,
    Coordinate,
    EmailAddress,
    Flag,
    PageLinksSchema,
    StrictSchema,
    both_or_neither,
    status_enum,
)

ATTRIBUTE_VALUE = fields.Raw()


class ReporterSchema(StrictSchema):
    name = fields.String(validate=validate.Length(max=200))
    email = EmailAddress()
    phone = fields.String(validate=[validate.Length(max=50), validate.Regexp(r"^[0-9+\-() ]*$", error="Not a phone number.")])
    email_updates = Flag(load_default=False, metadata={
        "description": "mail the confirmation, status changes with replies and the rating invitation to `email`; false by default"})


class ReportCreateSchema(StrictSchema):
    OPENAPI: ClassVar[dict] = both_or_neither("lat", "lon")

    category = fields.String(required=True, validate=validate.Length(min=1, max=50), metadata={"example": "road_damage"})
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000), metadata={"example": "歩道に大きな穴があります"})
    lat = Coordinate(-90, 90, metadata={"example": 35.65, "description": "WGS84; with lon, or leave both out to place the report by a photo's GPS or the address_hint"})
    lon = Coordinate(-180, 180, metadata={"example": 139.80})
    accuracy_m = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=100_000))
    address_hint = fields.String(validate=validate.Length(max=500))
    reporter = fields.Nested(ReporterSchema, metadata={"description": "private: never shown publicly"})
    device_id = fields.String(validate=validate.Length(max=200), metadata={"description": "private"})
    attributes = fields.Dict(keys=fields.String(validate=validate.Length(max=50)), values=ATTRIBUTE_VALUE,
                             metadata={"maxProperties": 30, "description": "at most 30; each a string, number or boolean, or a list of at most 30"})

    @validates_schema
    def _both_coordinates_or_neither(self, data: dict, **kwargs) -> None:
        if ("lat" in data) != ("lon" in data):
            raise ValidationError("Give both lat and lon, or neither.", "lat" if "lat" not in data else "lon")

    @validates("description")
    def _not_blank(self, value: str, **kwargs) -> None:
        if not value.strip():
            raise ValidationError("Must not be blank.")

    @validates("attributes")
    def _small_attributes(self, value: dict, **kwargs) -> None:
        if len(value) > 30:
            raise ValidationError("At most 30 attributes.")
        for code, item in value.items():
            items = item if isinstance(item, list) else [item]
            if len(items) > 30 or not all(isinstance(v, (str, int, float, bool)) and len(str(v)) <= 500 for v in items):
                raise ValidationError(f"{code}: a value is a string, number or boolean (or a short list of them).")


class ReportCreatedSchema(Schema):
    id = fields.String(metadata={"description": "public id"})
    tracking_token = fields.String(metadata={"description": "shown only here; send it as X-Tracking-Token to see your own report"})
    status = fields.String(metadata={"example": "received"})
    status_label = fields.String(metadata={"example": "受付"})
    created_at = fields.String(metadata={"description": "ISO 8601 with offset, Asia/Tokyo"})


PHOTO_STATE_DESCRIPTION = (
    "how far the report's photos have come: none (no photo sent), pending (not all worked on yet, or "
    "held for staff to check for faces and plates), "
    "complete (every photo has its derivatives) or incomplete (at least one photo was rejected after "
    "intake, so fewer photos are shown than were sent)"
)


class PhotoPublicSchema(Schema):
    large_url = fields.String(metadata={"description": "JPEG (or WebP, by setting) whose long side is 1600 px, never upscaled: "
                                                       "a smaller photo keeps its own size; upright, sRGB, no metadata"})
    thumb_url = fields.String(metadata={"description": "the same picture with a long side of 400 px, never upscaled"})


class RejectedPhotoSchema(Schema):
    position = fields.Integer(metadata={"description": "the photo's place in the order sent, from 0 (as in photos[0])"})
    reason = fields.String(metadata={"description": "why the photo could not be made into derivatives"})


class HistoryPublicSchema(Schema):
    at = fields.String()
    kind = fields.String()
    status = fields.String(allow_none=True)
    status_label = fields.String(allow_none=True)
    status_label_ja = fields.String(allow_none=True)
    status_label_en = fields.String(allow_none=True)
    public_reply = fields.String(allow_none=True)


class NamedSchema(Schema):
    code = fields.String()
    name = fields.String()


class PrimaryReportSchema(Schema):
    id = fields.String()
    status = fields.String()
    status_label = fields.String()


class ReportPublicSchema(Schema):
    id = fields.String()
    jurisdiction = fields.String()
    category = fields.Nested(NamedSchema)
    description = fields.String()
    status = fields.String()
    status_label = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    address = fields.String(allow_none=True)
    address_approximate = fields.Boolean()
    ward = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    duplicate_of = fields.String(allow_none=True)
    primary = fields.Nested(PrimaryReportSchema, allow_none=True, metadata={"description": "for a duplicate: the report it was merged into, whose status it follows"})
    photos = fields.List(fields.Nested(PhotoPublicSchema), metadata={"description": "the photos that are ready and shown"})
    photo_state = fields.String(metadata={"description": PHOTO_STATE_DESCRIPTION})
    history = fields.List(fields.Nested(HistoryPublicSchema))
    processing = fields.String(metadata={"description": "pending, processing, done or failed"})
    created_at = fields.String()
    updated_at = fields.String()


class OwnReporterSchema(Schema):
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class ReportOwnSchema(ReportPublicSchema):
    """The public view plus what the resident sent privately (with the tracking token)."""

    reporter = fields.Nested(OwnReporterSchema)
    device_id = fields.String(allow_none=True)
    address_hint = fields.String(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    attributes = fields.Dict()
    rejected_photos = fields.List(fields.Nested(RejectedPhotoSchema),
                                  metadata={"description": "the photos sent that could not be processed, and why"})


class ReportListQuerySchema(StrictSchema):
    bbox = fields.String(metadata={"description": "minLon,minLat,maxLon,maxLat", "example": "139.76,35.62,139.84,35.69"})
    status = fields.List(fields.String(metadata=status_enum()), metadata={"description": STATUS_LIST})
    category = fields.String()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class ReportSummarySchema(Schema):
    id = fields.String()
    category = fields.Nested(NamedSchema)
    status = fields.String()
    status_label = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    address = fields.String(allow_none=True)
    thumb_url = fields.String(allow_none=True)
    created_at = fields.String()


class ReportListSchema(Schema):
    items = fields.List(fields.Nested(ReportSummarySchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
    links = fields.Nested(PageLinksSchema)


class RatingSchema(StrictSchema):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5), metadata={"example": 4})
    fixed = Flag(required=True, metadata={"description": "was the problem fixed?"})
    comment = fields.String(validate=validate.Length(max=1000))


class RatingCreatedSchema(Schema):
    score = fields.Integer()
    fixed = fields.Boolean()
    comment = fields.String(allow_none=True)
    created_at = fields.String()
    report_status = fields.String(metadata={"description": "in_progress when the rating said not fixed"})
    report_status_label = fields.String()
