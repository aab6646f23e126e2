"""Every staff view of reporter contact or of an original photo leaves an audit row, as a change does."""

from __future__ import annotations

import io

from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Report, Staff
from service.pipeline import pipeline_for
from tests.conftest import make_jpeg
from tests.photos.factories import camera_exif
from tests.staff.conftest import submit
from tests.worker import processed_by_worker

VIEWED = "report.contact_viewed"


def _rows(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_each_staff_view_of_contact_is_audited(client, keys, road_report):
    for who in ("road_staff", "road_manager", "admin"):
        assert client.get(f"/api/v1/staff/reports/{road_report}", headers=keys.header(who)).status_code == 200
    rows = _rows(VIEWED)
    assert [row.target_id for row in rows] == [road_report] * 3
    assert rows[0].after == {"fields": ["reporter_email", "reporter_phone", "device_id"]}
    assert len({row.staff_id for row in rows}) == 3 and None not in {row.staff_id for row in rows}
    assert "resident@example.jp" not in str([row.after for row in rows])


def test_a_viewer_reads_the_report_without_contact_and_leaves_no_view_row(client, keys, road_report):
    body = client.get(f"/api/v1/staff/reports/{road_report}", headers=keys.header("road_viewer")).get_json()
    assert body["id"] == road_report and body["description"]
    assert body["reporter"] is None and body["device_id"] is None
    assert "resident@example.jp" not in str(body) and "090-1111-2222" not in str(body)
    assert _rows(VIEWED) == []


def test_a_write_answered_with_the_contact_is_a_view_too(client, keys, road_report):
    response = client.post(f"/api/v1/staff/reports/{road_report}/comments", json={"internal_note": "現地確認"},
                           headers=keys.header("road_staff"))
    assert response.status_code == 201 and response.get_json()["reporter"]["email"] == "resident@example.jp"
    assert [row.target_id for row in _rows(VIEWED)] == [road_report]


def test_a_report_without_contact_leaves_no_view_row(client, keys):
    report = submit(client)
    assert client.get(f"/api/v1/staff/reports/{report}", headers=keys.header("road_staff")).status_code == 200
    assert _rows(VIEWED) == []


def test_a_refused_view_is_not_audited_as_seen(client, keys, road_report):
    assert client.get(f"/api/v1/staff/reports/{road_report}", headers=keys.header("parks_staff")).status_code == 403
    assert client.get(f"/api/v1/staff/reports/{road_report}", headers=keys.header("other_admin")).status_code == 404
    assert _rows(VIEWED) == []


def test_a_csv_export_is_one_audit_row_listing_the_reports(client, keys, road_report, parks_report):
    response = client.get("/api/v1/staff/reports?format=csv", headers=keys.header("admin"))
    assert response.status_code == 200 and road_report in response.get_data(as_text=True)
    rows = _rows("report.exported")
    assert len(rows) == 1
    assert sorted(rows[0].after["reports"]) == sorted([road_report, parks_report]) and rows[0].after["count"] == 2
    assert rows[0].staff_id == db.session.scalar(select(Staff.id).where(Staff.role == "admin", Staff.jurisdiction_id == rows[0].jurisdiction_id))
    scoped = client.get("/api/v1/staff/reports?format=csv", headers=keys.header("road_staff"))
    assert scoped.status_code == 200 and parks_report not in scoped.get_data(as_text=True)
    assert _rows("report.exported")[-1].after["reports"] == [road_report]


def test_a_json_list_shows_no_contact_and_is_not_an_export(client, keys, road_report):
    listing = client.get("/api/v1/staff/reports", headers=keys.header("admin"))
    assert "resident@example.jp" not in listing.get_data(as_text=True)
    assert _rows("report.exported") == [] and _rows(VIEWED) == []


def test_a_photos_gps_position_shown_to_staff_is_audited(client, keys):
    photo = make_jpeg((320, 240), exif=camera_exif(lat=35.6501, lon=139.7802, taken="2025:06:14 10:00:00"))
    response = client.post("/api/v1/reports", data={"category": "road_damage", "description": "写真", "lat": "35.65",
                                                     "lon": "139.78", "photos": [(io.BytesIO(photo), "a.jpg")]},
                           content_type="multipart/form-data")
    report = db.session.scalar(select(Report).where(Report.public_id == response.get_json()["id"]))
    processed_by_worker(db.session, report.id, pipeline_for(client.application))
    view = client.get(f"/api/v1/staff/reports/{report.public_id}", headers=keys.header("road_staff")).get_json()
    assert view["photos"][0]["exif_lat"] is not None
    assert _rows(VIEWED)[0].after == {"fields": ["photo.exif_lat", "photo.exif_lon", "photo.taken_at"]}
