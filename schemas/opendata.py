"""The filters of the open data exports."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.common import STATUS_CODES, Day, Flag, StrictSchema


class OpenDataQuerySchema(StrictSchema):
    start_date = Day(metadata={"description": "reports received on or after this day (Japan time); not after end_date"})
    end_date = Day(metadata={"description": "reports received on or before this day (Japan time)"})
    category = fields.List(fields.String(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=50),
                           metadata={"description": "category codes; repeat the parameter for several"})
    status = fields.List(fields.String(validate=validate.OneOf(STATUS_CODES)), validate=validate.Length(max=7),
                         metadata={"description": "status codes; repeat the parameter for several"})
    jurisdiction = fields.String(validate=validate.Regexp(r"^[0-9]{5,6}$"),
                                 metadata={"description": "全国地方公共団体コード of one jurisdiction (6 digits, or N03's 5)"})
    bom = Flag(query=True, load_default=False,
                         metadata={"description": "CSV only: start with a UTF-8 byte order mark, for spreadsheets"})

    @validates_schema
    def _ordered_dates(self, data: dict, **kwargs) -> None:
        if data.get("start_date") and data.get("end_date") and data["start_date"] > data["end_date"]:
            raise ValidationError("start_date is after end_date.", "start_date")
