"""Figures for the municipality: the query arguments and the answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import Day, StrictSchema

PERIOD_HELP = ("Tokyo date; reports created from this day on (default: the first day of the month eleven months ago); "
               "before `to`, and at most ten years before it")
END_HELP = "Tokyo date, excluded (default: tomorrow); after `from`"


class StatsQuerySchema(StrictSchema):
    start = Day(data_key="from", metadata={"description": PERIOD_HELP})
    end = Day(data_key="to", metadata={"description": END_HELP})
    group_by = fields.String(load_default="department",
                             metadata={"description": "comma-separated: department, category, ward, month; empty for one total row"})
    format = fields.String(validate=validate.OneOf(["json", "csv"]))


class TimeseriesQuerySchema(StrictSchema):
    start = Day(data_key="from", metadata={"description": PERIOD_HELP})
    end = Day(data_key="to", metadata={"description": END_HELP})
    metric = fields.String(required=True, metadata={"description": "a figure name, e.g. received, resolved, "
                                                                    "resolution_hours_median, mean_score, reopen_rate"})
    group_by = fields.String(metadata={"description": "department, category or ward; omit for one series"})
    interval = fields.String(load_default="month", validate=validate.OneOf(["month"]))


def _hours(what: str) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": what})


class StatsRowSchema(Schema):
    department = fields.String(allow_none=True, metadata={"description": "department code (group by department)"})
    department_name = fields.String(allow_none=True)
    category = fields.String(allow_none=True, metadata={"description": "category code (group by category)"})
    category_name = fields.String(allow_none=True)
    ward = fields.String(allow_none=True)
    month = fields.String(metadata={"description": "YYYY-MM in Tokyo"})
    received = fields.Integer()
    resolved = fields.Integer(metadata={"description": "resolved at least once"})
    open_backlog = fields.Integer(metadata={"description": "open now"})
    oldest_open_age_days = fields.Float(allow_none=True)
    first_response_hours_median = _hours("continuous percentile (linear interpolation, as percentile_cont)")
    first_response_hours_p90 = _hours("continuous percentile")
    first_response_business_days_median = _hours("business days begun after the day of receipt")
    first_response_business_days_p90 = _hours("business days")
    resolution_hours_median = _hours("to the latest resolution")
    resolution_hours_p90 = _hours("to the latest resolution")
    resolution_business_days_median = _hours("business days")
    resolution_business_days_p90 = _hours("business days")
    first_response_sla_counted = fields.Integer(metadata={"description": "reports answered or past the due time"})
    first_response_sla_met = fields.Float(allow_none=True, metadata={"description": "share answered by the due time"})
    resolution_sla_counted = fields.Integer(metadata={"description": "reports resolved, or open past the due time"})
    resolution_sla_met = fields.Float(allow_none=True, metadata={"description": "share resolved by the due time"})
    ratings = fields.Integer(metadata={"description": "current ratings"})
    rating_requests = fields.Integer(metadata={"description": "resolved reports whose resident was asked to rate"})
    rating_responses = fields.Integer()
    rating_response_rate = fields.Float(allow_none=True)
    mean_score = fields.Float(allow_none=True)
    score_1 = fields.Integer()
    score_2 = fields.Integer()
    score_3 = fields.Integer()
    score_4 = fields.Integer()
    score_5 = fields.Integer()
    fixed = fields.Integer(metadata={"description": "ratings saying it was fixed"})
    fixed_share = fields.Float(allow_none=True)
    reopened = fields.Integer(metadata={"description": "resolved reports moved back from resolved to in_progress"})
    reopen_rate = fields.Float(allow_none=True)


class StatsSchema(Schema):
    start = fields.String(data_key="from")
    end = fields.String(data_key="to")
    group_by = fields.List(fields.String())
    percentile = fields.String()
    groups = fields.List(fields.Nested(StatsRowSchema))


class SeriesSchema(Schema):
    key = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    values = fields.List(fields.Raw(allow_none=True), metadata={"description": "one number (or null) per month"})


class TimeseriesSchema(Schema):
    start = fields.String(data_key="from")
    end = fields.String(data_key="to")
    metric = fields.String()
    interval = fields.String()
    group_by = fields.String(allow_none=True)
    months = fields.List(fields.String())
    series = fields.List(fields.Nested(SeriesSchema))
