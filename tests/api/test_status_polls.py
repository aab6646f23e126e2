"""Status polls: the public view carries an ETag, an unchanged report answers 304, a change answers 200 again."""

from __future__ import annotations

from sqlalchemy import select

from service.extensions import db
from service.models import Category, Report
from tests.api.test_rating import resolved_report
from tests.conftest import INSIDE


def created(client) -> dict:
    response = client.post("/api/v1/reports", json={"category": "road_damage", "description": "穴", **INSIDE})
    assert response.status_code == 201
    return response.get_json()


def test_an_unchanged_report_answers_304_without_a_body(client):
    report = created(client)
    first = client.get(f"/api/v1/reports/{report['id']}")
    etag = first.headers["ETag"]
    again = client.get(f"/api/v1/reports/{report['id']}", headers={"If-None-Match": etag})

    assert first.status_code == 200 and first.get_json()["status"] == "received"
    assert first.headers["Cache-Control"] == "public, max-age=5" and "Accept-Language" in first.headers["Vary"]
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "public, max-age=5"


def test_a_status_change_answers_200_with_a_new_etag(client):
    report_id, _ = resolved_report(client)
    before = client.get(f"/api/v1/reports/{report_id}")
    report = db.session.scalar(select(Report).where(Report.public_id == report_id))
    report.status, report.version = "in_progress", report.version + 1
    db.session.commit()
    after = client.get(f"/api/v1/reports/{report_id}", headers={"If-None-Match": before.headers["ETag"]})

    assert before.get_json()["status"] == "resolved"
    assert after.status_code == 200 and after.get_json()["status"] == "in_progress"
    assert after.headers["ETag"] != before.headers["ETag"]


def test_the_etag_differs_by_language_and_with_the_category_name(client):
    report = created(client)
    japanese = client.get(f"/api/v1/reports/{report['id']}")
    english = client.get(f"/api/v1/reports/{report['id']}", headers={"Accept-Language": "en",
                                                                      "If-None-Match": japanese.headers["ETag"]})
    assert english.status_code == 200 and english.get_json()["category"]["name"] == "Road damage"

    category = db.session.scalar(select(Category).where(Category.code == "road_damage"))
    category.name_ja = "道路の穴"
    db.session.commit()
    renamed = client.get(f"/api/v1/reports/{report['id']}", headers={"If-None-Match": japanese.headers["ETag"]})
    assert renamed.status_code == 200 and renamed.get_json()["category"]["name"] == "道路の穴"


def test_the_reporters_own_view_has_no_etag_and_is_never_stored(client):
    report = created(client)
    public = client.get(f"/api/v1/reports/{report['id']}")
    own = client.get(f"/api/v1/reports/{report['id']}", headers={"X-Tracking-Token": report["tracking_token"],
                                                                  "If-None-Match": public.headers["ETag"]})
    assert own.status_code == 200 and "ETag" not in own.headers and own.headers["Cache-Control"] == "no-store"
    assert "reporter" in own.get_json()


def test_a_hidden_report_is_not_found_even_with_its_old_etag(client):
    report = created(client)
    public = client.get(f"/api/v1/reports/{report['id']}")
    row = db.session.scalar(select(Report).where(Report.public_id == report["id"]))
    row.hidden = True
    db.session.commit()
    gone = client.get(f"/api/v1/reports/{report['id']}", headers={"If-None-Match": public.headers["ETag"]})
    assert gone.status_code == 404 and gone.headers["Cache-Control"] == "no-store"
