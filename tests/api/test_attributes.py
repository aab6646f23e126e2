"""A category's extra questions are checked on intake: unknown codes, wrong types and values, missing answers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import Category, OutboxEvent, Report
from tests.api.test_intake import VALID, post_form, post_json

QUESTIONS = [
    {"code": "lane_blocked", "datatype": "singlevaluelist", "required": True, "description_ja": "車線をふさいでいますか",
     "values": [{"key": "yes", "name_ja": "はい"}, {"key": "no", "name_ja": "いいえ"}]},
    {"code": "depth_cm", "datatype": "number", "required": False, "description_ja": "深さ（cm）", "values": []},
    {"code": "surface", "datatype": "multivaluelist", "required": False, "description_ja": "路面",
     "values": [{"key": "asphalt", "name_ja": "アスファルト"}, {"key": "gravel", "name_ja": "砂利"}]},
    {"code": "seen_at", "datatype": "datetime", "required": False, "description_ja": "見た日時", "values": []},
]


@pytest.fixture()
def questions(app) -> None:
    category = db.session.scalar(select(Category).where(Category.code == "road_damage"))
    category.attributes = QUESTIONS
    db.session.commit()


def test_the_issue_example_is_refused_naming_the_unknown_code(client):
    response = post_json(client, {**VALID, "attributes": {"bogus": "x", "lane_blocked": "maybe"}})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]["attributes"]) == ["bogus"]
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0


@pytest.mark.parametrize(("answers", "field"), [
    ({"lane_blocked": "maybe"}, "lane_blocked"),
    ({"lane_blocked": True}, "lane_blocked"),
    ({}, "lane_blocked"),
    ({"lane_blocked": ""}, "lane_blocked"),
    ({"lane_blocked": "yes", "depth_cm": "deep"}, "depth_cm"),
    ({"lane_blocked": "yes", "depth_cm": True}, "depth_cm"),
    ({"lane_blocked": "yes", "surface": ["asphalt", "sand"]}, "surface"),
    ({"lane_blocked": "yes", "seen_at": "yesterday"}, "seen_at"),
    ({"lane_blocked": "yes", "pole_number": "12"}, "pole_number"),
], ids=["not in the list", "boolean for a choice", "required missing", "required empty", "number as words",
        "boolean for a number", "one choice not in the list", "not a datetime", "another category's question"])
def test_a_refused_answer_is_a_422_naming_the_field_and_writes_nothing(client, questions, answers, field):
    response = post_json(client, {**VALID, "attributes": answers})
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["status"] == 422 and list(body["errors"]["attributes"]) == [field]
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxEvent)) == 0


def test_valid_answers_are_stored_typed(client, questions):
    response = post_json(client, {**VALID, "attributes": {"lane_blocked": "no", "depth_cm": "12.5",
                                                         "surface": ["gravel", "gravel"], "seen_at": "2026-11-30T08:00:00+09:00"}})
    assert response.status_code == 201, response.get_json()
    assert db.session.scalar(select(Report.attributes)) == {"lane_blocked": "no", "depth_cm": 12.5, "surface": ["gravel"],
                                                           "seen_at": "2026-11-30T08:00:00+09:00"}


def test_a_multipart_report_is_checked_the_same_way(client, questions):
    refused = post_form(client, {**VALID, "attributes": {"lane_blocked": "maybe"}})
    assert refused.status_code == 422 and list(refused.get_json()["errors"]["attributes"]) == ["lane_blocked"]
    accepted = post_form(client, {**VALID, "attributes": {"lane_blocked": "yes"}})
    assert accepted.status_code == 201


def test_a_retry_of_an_accepted_report_is_answered_after_the_questions_changed(client, questions):
    body = {**VALID, "attributes": {"lane_blocked": "yes"}}
    first = post_json(client, body, **{"Idempotency-Key": "attr-retry"})
    category = db.session.scalar(select(Category).where(Category.code == "road_damage"))
    category.attributes = []
    db.session.commit()
    again = post_json(client, body, **{"Idempotency-Key": "attr-retry"})
    assert again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
