"""Original photos: a link from the staff report view, for that staff member's key, for a minute, audited."""

from __future__ import annotations

import io

import pytest
from itsdangerous import TimestampSigner
from PIL import Image
from sqlalchemy import select

from service.api.staff_presenters import original_signer
from service.extensions import db
from service.models import AuditEntry, Report, Staff
from service.pipeline import pipeline_for
from tests.staff.conftest import Keys
from tests.worker import processed_by_worker


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture()
def photographed(client, keys: Keys) -> tuple[str, bytes]:
    original = jpeg()
    response = client.post("/api/v1/reports", data={"category": "road_damage", "description": "写真付き", "lat": "35.65",
                                                     "lon": "139.78", "reporter": '{"email": "r@example.jp"}',
                                                     "photos": [(io.BytesIO(original), "a.jpg")]},
                           content_type="multipart/form-data")
    public_id = response.get_json()["id"]
    report = db.session.scalar(select(Report).where(Report.public_id == public_id))
    processed_by_worker(db.session, report.id, pipeline_for(client.application))
    return public_id, original


def original_link(client, keys: Keys, report_id: str, who: str = "road_staff") -> str:
    view = client.get(f"/api/v1/staff/reports/{report_id}", headers=keys.header(who)).get_json()
    assert view["reporter"]["email"] == "r@example.jp"
    return view["photos"][0]["original_url"].removeprefix("http://localhost")


def test_staff_see_the_original_with_their_own_key(client, keys, photographed):
    report_id, original = photographed
    link = original_link(client, keys, report_id)

    fetched = client.get(link, headers=keys.header("road_staff"))

    assert fetched.status_code == 200 and fetched.data == original
    assert fetched.headers["Cache-Control"] == "no-store"


def test_the_link_alone_opens_nothing(client, keys, photographed):
    report_id, _ = photographed
    link = original_link(client, keys, report_id)

    alone = client.get(link)

    assert alone.status_code == 401 and alone.content_type == "application/problem+json"


def test_the_link_is_bound_to_the_staff_member_it_was_made_for(client, keys, photographed):
    report_id, _ = photographed
    link = original_link(client, keys, report_id)

    other = client.get(link, headers=keys.header("road_manager"))
    tampered = client.get(link[:-3] + "abc", headers=keys.header("road_staff"))

    assert other.status_code == 403 and "not made for you" in other.get_json()["detail"]
    assert tampered.status_code == 403


def test_the_link_expires_after_a_minute(client, keys, photographed, monkeypatch):
    report_id, _ = photographed
    link = original_link(client, keys, report_id)
    made = TimestampSigner.get_timestamp

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: made(self) + 59)
    assert client.get(link, headers=keys.header("road_staff")).status_code == 200
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: made(self) + 61)
    expired = client.get(link, headers=keys.header("road_staff"))

    assert expired.status_code == 403 and "expired" in expired.get_json()["detail"]


def test_every_view_of_an_original_is_audited_with_who_saw_it(client, keys, photographed):
    report_id, _ = photographed
    road_staff = db.session.scalar(select(Staff.id).where(Staff.role == "staff", Staff.name == "staff road"))
    link = original_link(client, keys, report_id)

    for _ in range(2):
        assert client.get(link, headers=keys.header("road_staff")).status_code == 200
    client.get(link, headers=keys.header("road_manager"))

    viewed = db.session.execute(select(AuditEntry.staff_id, AuditEntry.target_type, AuditEntry.after)
                                .where(AuditEntry.action == "photo.original_viewed")).all()
    photo_id = link.split("/")[-2]
    assert len(viewed) == 2 and {(s, t) for s, t, _ in viewed} == {(road_staff, "photo")}
    assert all(after == {"report": report_id} for _, _, after in viewed)
    assert db.session.scalar(select(AuditEntry.target_id).where(AuditEntry.action == "photo.original_viewed").limit(1)) == photo_id


def test_a_viewer_gets_no_original_link_and_a_link_signed_for_them_is_refused(client, keys, photographed):
    report_id, _ = photographed
    view = client.get(f"/api/v1/staff/reports/{report_id}", headers=keys.header("road_viewer")).get_json()
    shown = view["photos"][0]
    assert shown["original_url"] is None and shown["exif_lat"] is None and shown["taken_at"] is None
    assert shown["large_url"] and view["reporter"] is None
    viewer = db.session.scalars(select(Staff).where(Staff.name == "viewer road")).one()
    with client.application.test_request_context():
        signature = original_signer().dumps({"photo": shown["id"], "staff": viewer.id})
    refused = client.get(f"/api/v1/staff/photos/{shown['id']}/original", query_string={"signature": signature},
                         headers=keys.header("road_viewer"))
    assert refused.status_code == 403 and refused.get_json()["detail"] == "Your role may not see original photos."
    assert not db.session.scalars(select(AuditEntry).where(AuditEntry.action == "photo.original_viewed")).all()
