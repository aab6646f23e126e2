"""Open reports of one category close together are offered to staff as duplicate candidates."""

from __future__ import annotations

import math

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.extensions import db
from service.geo.grid import EARTH_RADIUS_M
from service.models import DuplicateCandidate, Report
from service.pipeline import pipeline_for
from tests.pipeline.support import post_report, report_row
from tests.worker import processed_by_worker

ORIGIN_LAT, ORIGIN_LON = 35.650, 139.780


def north_of_origin(metres: float) -> dict[str, float]:
    return {"lat": ORIGIN_LAT + math.degrees(metres / EARTH_RADIUS_M), "lon": ORIGIN_LON}


def processed(app: Flask, client: FlaskClient, metres_north: float, category: str = "road_damage") -> Report:
    created = post_report(client, category=category, **north_of_origin(metres_north))
    report = report_row(created["id"])
    assert processed_by_worker(db.session, report.id, pipeline_for(app))
    return report


def candidates(report: Report) -> list[tuple[int, float]]:
    """(candidate report id, distance in metres), in the order staff are shown them."""
    rows = db.session.execute(
        select(DuplicateCandidate.candidate_id, DuplicateCandidate.distance_m)
        .where(DuplicateCandidate.report_id == report.id)
        .order_by(DuplicateCandidate.id)
    )
    return [(candidate_id, distance) for candidate_id, distance in rows]


def test_second_road_damage_report_twenty_metres_away_has_first_as_candidate(app, client):
    first = processed(app, client, 0)
    second = processed(app, client, 20)

    assert candidates(first) == []
    [(candidate_id, distance)] = candidates(second)
    assert candidate_id == first.id
    assert abs(distance - 20) < 0.5


def test_far_or_other_category_reports_are_not_candidates_and_nearest_comes_first(app, client):
    first = processed(app, client, 0)
    second = processed(app, client, 20)
    far = processed(app, client, 200)
    streetlight = processed(app, client, 30, category="streetlight")
    latest = processed(app, client, 35)

    assert candidates(far) == []
    assert candidates(streetlight) == []
    found = candidates(latest)
    assert [candidate_id for candidate_id, _ in found] == [second.id, first.id]
    assert [round(distance) for _, distance in found] == [15, 35]
