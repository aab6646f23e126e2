"""Routing rules of the demo city decide the department, and the reason is kept."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.extensions import db
from service.models import Area, Report, RoutingRule
from service.pipeline import pipeline_for
from tests.pipeline.support import post_report, report_row, routed_entries
from tests.worker import processed_by_worker

# Inside 「みなと中央公園」, the demo city's park polygon in 中央区.
IN_PARK = {"lat": 35.650, "lon": 139.800}
# In 中央区, west of the park.
IN_TOWN = {"lat": 35.650, "lon": 139.780}


def process_new_report(app: Flask, client: FlaskClient, **fields: object) -> Report:
    """Post a report and run its processing job in this process, as a worker would."""
    created = post_report(client, **fields)
    report = report_row(created["id"])
    assert processed_by_worker(db.session, report.id, pipeline_for(app))
    db.session.expire_all()
    return report_row(created["id"])


@pytest.mark.parametrize("category", ["road_damage", "streetlight", "illegal_dumping", "other"])
def test_report_in_park_goes_to_parks_division_by_area_rule_of_any_category(app, client, category):
    report = process_new_report(app, client, category=category, **IN_PARK)

    park_rule = db.session.scalar(
        select(RoutingRule).join(Area, RoutingRule.area_id == Area.id).where(Area.layer == "park", Area.code == "central-park")
    )
    assert park_rule.priority == 10 and park_rule.category_id is None
    public = client.get(f"/api/v1/reports/{report.public_id}").get_json()
    assert public["department"] == "公園緑地課"
    assert public["ward"] == "中央区"
    assert report.routing_rule_id == park_rule.id
    [routed] = routed_entries(report)
    assert routed.details["rule_id"] == park_rule.id
    assert routed.details["reason"] == f"rule {park_rule.id}: any category in area {park_rule.area_id}"


def test_other_category_outside_every_rule_goes_to_fallback_public_hearing_division(app, client):
    report = process_new_report(app, client, category="other", **IN_TOWN)

    public = client.get(f"/api/v1/reports/{report.public_id}").get_json()
    assert public["department"] == "広聴課"
    assert report.routing_rule_id is None
    assert "fallback" in report.routing_reason
    [routed] = routed_entries(report)
    assert routed.details["rule_id"] is None
    assert "fallback" in routed.details["reason"]
