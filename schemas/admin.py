"""Setting up a jurisdiction as its admin sends and sees it: departments, categories,
routing rules, areas, staff keys and the audit log."""

from __future__ import annotations

import re
from functools import cache

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from schemas.common import EmailAddress, Flag, PageLinksSchema, PatchSchema, StrictSchema, WebUrl

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_\-]{0,49}$",
                      error="1–50 lower-case letters, digits, '_' or '-', starting with a letter or digit.")
NAME = validate.Length(min=1, max=100)
TEXT = validate.Length(max=4000)
ROLES = ("admin", "manager", "staff", "viewer")
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")


LANGUAGES = ("ja-x-easy", "zh-Hans", "ko", "vi", "pt")


class CategoryWordsSchema(StrictSchema):
    name = fields.String(validate=NAME)
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    notice = fields.String(allow_none=True, validate=TEXT)


class AttributeWordsSchema(StrictSchema):
    description = fields.String(validate=validate.Length(min=1, max=500))
    values = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=50)), values=fields.String(validate=NAME),
                         metadata={"description": "choice key → its name"})


@cache
def _by_language(words: type[Schema]) -> type[Schema]:
    # One class per kind of words, so the contract names each once.
    return StrictSchema.from_dict({language: fields.Nested(words) for language in LANGUAGES},
                                  name=f"{words.__name__.removesuffix('WordsSchema')}TranslationsSchema")


def translations_field(words: type[Schema]) -> fields.Nested:
    """The words of a record in the languages beyond Japanese and English, each language a declared property.

    Declared one by one (not a map with keyed names) so the contract itself says which languages are taken.
    """
    return fields.Nested(_by_language(words), metadata={"description": "the languages beyond Japanese and English (やさしい日本語 "
                                                               "is ja-x-easy); a text missing in one shows in Japanese"})


PHONE_NUMBER = re.compile(r"^\+?[0-9][0-9-]{0,28}[0-9]$")
PHONE = validate.Regexp(PHONE_NUMBER, error="Digits, with '-' between groups (025-552-1511).")


class DepartmentWordsSchema(StrictSchema):
    name = fields.String(validate=NAME)


class DepartmentCreateSchema(StrictSchema):
    code = fields.String(required=True, validate=CODE, metadata={"example": "road"})
    name_ja = fields.String(required=True, validate=NAME, metadata={"example": "道路課"})
    name_en = fields.String(required=True, validate=NAME, metadata={"example": "Roads"})
    translations = translations_field(DepartmentWordsSchema)
    fallback = Flag(load_default=False, metadata={"description": "takes the reports no rule matches; one per jurisdiction"})
    email = EmailAddress(allow_none=True)
    phone = fields.String(allow_none=True, validate=PHONE,
                          metadata={"description": "the number residents phone for urgent cases", "example": "025-552-1511"})
    webhook_url = WebUrl(allow_none=True)
    active = Flag(load_default=True)


class DepartmentPatchSchema(PatchSchema):
    name_ja = fields.String(validate=NAME)
    name_en = fields.String(validate=NAME)
    translations = translations_field(DepartmentWordsSchema)
    fallback = Flag()
    email = EmailAddress(allow_none=True)
    phone = fields.String(allow_none=True, validate=PHONE)
    webhook_url = WebUrl(allow_none=True)
    active = Flag()


class DepartmentSchema(Schema):
    code = fields.String()
    name_ja = fields.String()
    name_en = fields.String()
    translations = fields.Dict(allow_none=True)
    fallback = fields.Boolean()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    webhook_url = fields.String(allow_none=True)
    active = fields.Boolean()


class JurisdictionWordsSchema(StrictSchema):
    not_taken = fields.String(allow_none=True, validate=TEXT)


class JurisdictionSetupPatchSchema(PatchSchema):
    not_taken_ja = fields.String(allow_none=True, validate=TEXT,
                                 metadata={"description": "what is not taken here, shown before the categories",
                                           "example": "雪の情報、私有地のことは受け付けていません。"})
    not_taken_en = fields.String(allow_none=True, validate=TEXT)
    translations = translations_field(JurisdictionWordsSchema)


class JurisdictionSetupSchema(Schema):
    code = fields.String()
    name_ja = fields.String()
    name_en = fields.String()
    not_taken_ja = fields.String(allow_none=True)
    not_taken_en = fields.String(allow_none=True)
    translations = fields.Dict(allow_none=True)


class AttributeValueInSchema(StrictSchema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=50))
    name_ja = fields.String(required=True, validate=NAME)
    name_en = fields.String(required=True, validate=NAME)


class AttributeInSchema(StrictSchema):
    """An Open311-style extra question residents answer with their report."""

    code = fields.String(required=True, validate=CODE)
    datatype = fields.String(required=True, validate=validate.OneOf(DATATYPES))
    required = Flag(load_default=False)
    description_ja = fields.String(required=True, validate=validate.Length(min=1, max=500))
    description_en = fields.String(load_default=None, validate=validate.Length(max=500))
    values = fields.List(fields.Nested(AttributeValueInSchema), load_default=list, validate=validate.Length(max=100))
    translations = translations_field(AttributeWordsSchema)

    @validates_schema
    def _values_match_datatype(self, data: dict, **kwargs) -> None:
        if data.get("datatype") in LIST_DATATYPES and not data.get("values"):
            raise ValidationError("A list attribute needs values.", "values")
        if data.get("datatype") not in LIST_DATATYPES and data.get("values"):
            raise ValidationError("Only list attributes have values.", "values")
        keys = [v["key"] for v in data.get("values", [])]
        if len(keys) != len(set(keys)):
            raise ValidationError("Value keys must differ.", "values")


class AdminAttributeValueSchema(Schema):
    key = fields.String()
    name_ja = fields.String()
    name_en = fields.String()


class AdminAttributeSchema(Schema):
    code = fields.String()
    datatype = fields.String()
    required = fields.Boolean()
    description_ja = fields.String()
    description_en = fields.String(allow_none=True)
    values = fields.List(fields.Nested(AdminAttributeValueSchema))
    translations = fields.Dict()


def _unique_attribute_codes(attributes: list[dict]) -> None:
    codes = [a.get("code") for a in attributes if isinstance(a, dict) and a.get("code")]
    if len(codes) != len(set(codes)):
        raise ValidationError("Attribute codes must differ.")


class CategoryPatchSchema(PatchSchema):
    name_ja = fields.String(validate=NAME)
    name_en = fields.String(validate=NAME)
    description_ja = fields.String(allow_none=True, validate=TEXT)
    description_en = fields.String(allow_none=True, validate=TEXT)
    notice_ja = fields.String(allow_none=True, validate=TEXT,
                              metadata={"description": "shown to residents when they choose the category"})
    notice_en = fields.String(allow_none=True, validate=TEXT)
    urgent = Flag(metadata={"description": "residents are told first to phone the department it goes to"})
    translations = translations_field(CategoryWordsSchema)
    group = fields.String(allow_none=True, validate=validate.Length(max=100))
    keywords = fields.List(fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=100))
    attributes = fields.List(fields.Nested(AttributeInSchema), validate=validate.Length(max=50))
    first_response_days = fields.Integer(validate=validate.Range(min=0, max=365))
    resolution_days = fields.Integer(validate=validate.Range(min=0, max=3650))
    duplicate_radius_m = fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(min=0, max=10_000))
    active = Flag()

    @validates("attributes")
    def _attribute_codes(self, value: list[dict], **kwargs) -> None:
        _unique_attribute_codes(value)

    @validates_schema
    def _resolution_after_first_response(self, data: dict, **kwargs) -> None:
        first, resolution = data.get("first_response_days"), data.get("resolution_days")
        if first is not None and resolution is not None and resolution < first:
            raise ValidationError("Resolution cannot come before the first response.", "resolution_days")


class CategoryCreateSchema(CategoryPatchSchema):
    code = fields.String(required=True, validate=CODE, metadata={"example": "road_damage"})
    name_ja = fields.String(required=True, validate=NAME)
    name_en = fields.String(required=True, validate=NAME)
    keywords = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list,
                           validate=validate.Length(max=100))
    attributes = fields.List(fields.Nested(AttributeInSchema), load_default=list, validate=validate.Length(max=50))
    first_response_days = fields.Integer(required=True, validate=validate.Range(min=0, max=365))
    resolution_days = fields.Integer(required=True, validate=validate.Range(min=0, max=3650))
    urgent = Flag(load_default=False)
    active = Flag(load_default=True)


class CategoryAdminSchema(Schema):
    code = fields.String()
    name_ja = fields.String()
    name_en = fields.String()
    description_ja = fields.String(allow_none=True)
    description_en = fields.String(allow_none=True)
    notice_ja = fields.String(allow_none=True)
    notice_en = fields.String(allow_none=True)
    urgent = fields.Boolean()
    translations = fields.Dict(allow_none=True)
    group = fields.String(allow_none=True)
    keywords = fields.List(fields.String())
    attributes = fields.List(fields.Nested(AdminAttributeSchema))
    first_response_days = fields.Integer()
    resolution_days = fields.Integer()
    duplicate_radius_m = fields.Float(allow_none=True)
    active = fields.Boolean()


class RuleCreateSchema(StrictSchema):
    department = fields.String(required=True, validate=validate.Length(min=1, max=50),
                               metadata={"description": "department code"})
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=50),
                             metadata={"description": "category code; none for any category"})
    area = fields.String(load_default=None, allow_none=True,
                         validate=validate.Regexp(r"^[^:]{1,50}:.{1,100}$", error="Give layer:code."),
                         metadata={"description": "layer:code; none for anywhere", "example": "ward:chuo"})
    priority = fields.Integer(load_default=100, validate=validate.Range(min=0, max=1_000_000),
                              metadata={"description": "the lowest number wins"})


class RuleSchema(Schema):
    id = fields.Integer()
    priority = fields.Integer()
    category = fields.String(allow_none=True, metadata={"description": "category code; null for any"})
    area = fields.String(allow_none=True, metadata={"description": "layer:code; null for anywhere"})
    department = fields.String(metadata={"description": "department code"})
    description = fields.String(allow_none=True)


class AreaQuerySchema(StrictSchema):
    layer = fields.String(validate=validate.Length(min=1, max=50))
    geometry = Flag(query=True, load_default=False, metadata={"description": "include each area's GeoJSON geometry"})


class AreaSchema(Schema):
    id = fields.Integer()
    layer = fields.String()
    code = fields.String()
    name = fields.String(metadata={"description": "the Japanese name"})
    name_en = fields.String(allow_none=True)
    properties = fields.Dict()
    updated_at = fields.String()
    geometry = fields.Dict(metadata={"description": "GeoJSON geometry; in lists only with geometry=true"})


class AreaImportSchema(StrictSchema):
    layer = fields.String(required=True, validate=CODE, metadata={"example": "ward"})
    name_property = fields.String(validate=validate.Length(min=1, max=100),
                                  metadata={"description": "the feature property holding the name"})


class AreaImportResultSchema(Schema):
    layer = fields.String()
    created = fields.Integer()
    updated = fields.Integer()


class StaffCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    department = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=50),
                               metadata={"description": "department code; required for manager and staff"})


class StaffSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    department = fields.String(allow_none=True, metadata={"description": "department code"})
    key_prefix = fields.String(metadata={"description": "the visible part of the key, to recognise it"})
    previous_key_prefix = fields.String(allow_none=True, metadata={
        "description": "the visible part of the key before, while a renewal leaves it working"})
    previous_key_until = fields.String(allow_none=True, metadata={"description": "until when the key before works"})
    created_at = fields.String()
    last_used_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)


class StaffCreatedSchema(StaffSchema):
    api_key = fields.String(metadata={"description": "shown only in this answer; stored hashed"})


class StaffKeyRenewSchema(StrictSchema):
    keep_previous = Flag(load_default=False, metadata={
        "description": "keep the key before this one working for 24 hours, so whatever uses it can be moved without a gap; "
                       "a key kept by an earlier renewal stops either way"})


class AuditQuerySchema(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class AuditActorSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()


class AuditTargetSchema(Schema):
    type = fields.String(metadata={"example": "department"})
    id = fields.String(metadata={"example": "road"})


class AuditEntrySchema(Schema):
    id = fields.Integer()
    who = fields.Nested(AuditActorSchema, allow_none=True, metadata={"description": "null once the staff member is gone"})
    action = fields.String(metadata={"example": "department.create"})
    target = fields.Nested(AuditTargetSchema)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    at = fields.String()


class AuditListSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
    links = fields.Nested(PageLinksSchema)
