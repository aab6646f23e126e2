"""Reports as staff send and see them."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.common import (
    STATUS_CODES,
    STATUS_LIST,
    Coordinate,
    Flag,
    Instant,
    PageLinksSchema,
    PatchSchema,
    StrictSchema,
    status_enum,
)
from schemas.report import PHOTO_STATE_DESCRIPTION

TEXT = validate.Length(max=4000)
SORTS = ("created", "-created", "updated", "-updated", "priority", "-priority", "distance")


class StaffReportQuerySchema(StrictSchema):
    status = fields.List(fields.String(metadata=status_enum()), metadata={"description": STATUS_LIST})
    category = fields.String()
    department = fields.String(metadata={"description": "department code"})
    ward = fields.String()
    created_from = Instant()
    created_to = Instant()
    updated_from = Instant()
    updated_to = Instant()
    bbox = fields.String(metadata={"description": "minLon,minLat,maxLon,maxLat"})
    q = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "text in description or address"})
    processing = fields.String(validate=validate.OneOf(["pending", "processing", "done", "failed"]))
    overdue = Flag(query=True, metadata={"description": "open and past a first-response or resolution target"})
    has_rating = Flag(query=True)
    assignee = fields.String(validate=validate.Regexp(r"^(mine|none|[1-9][0-9]{0,9})$"),
                             metadata={"description": "mine (you), none (nobody) or a staff id"})
    due_today = Flag(query=True, metadata={"description": "open and a running target falls due later today (Tokyo)"})
    sort = fields.String(load_default="-created", validate=validate.OneOf(SORTS))
    lat = Coordinate(-90, 90, metadata={"description": "with lon: the point for sort=distance"})
    lon = Coordinate(-180, 180, metadata={"description": "with lat"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    format = fields.String(validate=validate.OneOf(["json", "csv"]))

    @validates_schema
    def _distance_needs_a_point(self, data: dict, **kwargs) -> None:
        if data.get("sort") == "distance" and ("lat" not in data or "lon" not in data):
            raise ValidationError("Sorting by distance needs lat and lon.", "sort")


class ReporterContactSchema(Schema):
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class StaffPhotoSchema(Schema):
    id = fields.String()
    position = fields.Integer(metadata={"description": "place in the order the resident sent, from 0"})
    state = fields.String(metadata={"description": "stored (waiting for its derivatives), awaiting_detection (staff derivatives made, not public until the detector has looked), ready, awaiting_review (the face detector failed: "
                                                 "not public until a manager sets its regions), or rejected (see reject_reason)"})
    reject_reason = fields.String(allow_none=True, metadata={"description": "why the photo could not be processed"})
    hidden = fields.Boolean()
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    large_url = fields.String(allow_none=True, metadata={"description": "long side 1600 px, never upscaled; sharp (no region blurred)"})
    thumb_url = fields.String(allow_none=True, metadata={"description": "long side 400 px, never upscaled; sharp"})
    regions = fields.Integer(metadata={"description": "how many regions the public derivatives blur"})
    regions_url = fields.String(metadata={"description": "the regions blurred in public: GET to list, PUT to change"})
    original_url = fields.String(allow_none=True, metadata={"description": "signed, time-limited; null for a role that may not see "
                                                                           "originals (viewer) or when none is kept"})
    exif_lat = fields.Float(allow_none=True, metadata={"description": "from the original's metadata; null for a viewer"})
    exif_lon = fields.Float(allow_none=True, metadata={"description": "from the original's metadata; null for a viewer"})
    taken_at = fields.String(allow_none=True, metadata={"description": "from the original's metadata; null for a viewer"})


class StaffHistorySchema(Schema):
    at = fields.String()
    kind = fields.String()
    actor_type = fields.String()
    actor_id = fields.Integer(allow_none=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    status_label = fields.String(allow_none=True)
    public_reply = fields.String(allow_none=True)
    internal_note = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    details = fields.Dict()


class CandidateSchema(Schema):
    id = fields.String()
    distance_m = fields.Float()
    status = fields.String()
    created_at = fields.String()


class CodeNameSchema(Schema):
    code = fields.String()
    name = fields.String()


class StaffReportSchema(Schema):
    id = fields.String()
    jurisdiction = fields.String()
    category = fields.Nested(CodeNameSchema)
    department = fields.Nested(CodeNameSchema, allow_none=True)
    status = fields.String()
    status_label = fields.String()
    priority = fields.Integer()
    assignee_id = fields.Integer(allow_none=True, metadata={"description": "the staff member working on it"})
    hidden = fields.Boolean()
    description = fields.String()
    description_original = fields.String(allow_none=True, metadata={"description": "before redaction; admins only"})
    lat = fields.Float()
    lon = fields.Float()
    accuracy_m = fields.Float(allow_none=True)
    location_source = fields.String()
    address = fields.String(allow_none=True)
    address_parts = fields.Dict(allow_none=True)
    address_approximate = fields.Boolean()
    address_hint = fields.String(allow_none=True)
    ward = fields.String(allow_none=True)
    attributes = fields.Dict()
    reporter = fields.Nested(ReporterContactSchema, allow_none=True,
                             metadata={"description": "private contact; null for a role that may not see it (viewer). "
                                                      "Each view that shows contact is audited"})
    device_id = fields.String(allow_none=True, metadata={"description": "private; null for a viewer"})
    routing_rule_id = fields.Integer(allow_none=True)
    routing_reason = fields.String(allow_none=True)
    duplicate_of = fields.String(allow_none=True)
    duplicate_candidates = fields.List(fields.Nested(CandidateSchema))
    photos = fields.List(fields.Nested(StaffPhotoSchema))
    photo_state = fields.String(metadata={"description": PHOTO_STATE_DESCRIPTION})
    history = fields.List(fields.Nested(StaffHistorySchema))
    processing = fields.String()
    processing_error = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()
    first_response_at = fields.String(allow_none=True)
    resolved_at = fields.String(allow_none=True)
    closed_at = fields.String(allow_none=True)
    version = fields.Integer()
    followers = fields.Integer(metadata={"description": "residents following the report (\"me too\"), with those of reports merged into it"})


class StaffReportSummarySchema(Schema):
    id = fields.String()
    category = fields.String()
    department = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    priority = fields.Integer()
    ward = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    description = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    distance_m = fields.Float(allow_none=True)
    assignee_id = fields.Integer(allow_none=True, metadata={"description": "the staff member working on it"})
    duplicates = fields.Integer(metadata={"description": "reports merged into this one"})
    candidates = fields.Integer(metadata={"description": "possible duplicates not yet judged"})
    created_at = fields.String()
    updated_at = fields.String()


class StaffReportListSchema(Schema):
    items = fields.List(fields.Nested(StaffReportSummarySchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
    links = fields.Nested(PageLinksSchema)


class TransitionSchema(StrictSchema):
    to = fields.String(required=True, validate=validate.OneOf(STATUS_CODES), metadata={"example": "acknowledged"})
    public_reply = fields.String(validate=TEXT)
    internal_note = fields.String(validate=TEXT)
    reason = fields.String(validate=validate.Length(max=1000))
    forwarded_to = fields.String(validate=validate.Length(max=200), metadata={"description": "国, 都道府県, 警察, 事業者 or another body"})
    duplicate_of = fields.String(validate=validate.Length(max=32))


class CommentSchema(StrictSchema):
    public_reply = fields.String(validate=TEXT)
    internal_note = fields.String(validate=TEXT)


class AssignSchema(StrictSchema):
    department = fields.String(required=True, validate=validate.Length(min=1, max=50))
    reason = fields.String(validate=validate.Length(max=1000))


class AssigneeSchema(StrictSchema):
    staff = fields.Integer(required=True, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1),
                           metadata={"description": "a staff id, or null for nobody"})


class PhotoVisibilitySchema(StrictSchema):
    id = fields.String(required=True)
    hidden = Flag(required=True)


class ReportPatchSchema(PatchSchema):
    priority = fields.Integer(validate=validate.Range(min=0, max=9))
    category = fields.String(validate=validate.Length(min=1, max=50))
    hidden = Flag()
    photos = fields.List(fields.Nested(PhotoVisibilitySchema), validate=validate.Length(max=20))
    description = fields.String(validate=validate.Length(min=1, max=4000), metadata={"description": "redacted text; the original is kept for admins"})
