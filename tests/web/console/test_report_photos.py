"""A report's page shows its photos and reporter contact to the staff who may see them, and each view is on record."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Photo, Report
from service.pipeline import pipeline_for
from service.privacy.view_audit import CONTACT_VIEWED
from tests.web.console.conftest import csrf_token, member
from tests.worker import processed_by_worker


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture()
def photographed(client, keys) -> tuple[str, bytes]:
    return photographed_report(client)


def photographed_report(client) -> tuple[str, bytes]:
    """A road report with one photo, processed: (public id, the photo's original bytes)."""
    original = jpeg()
    response = client.post("/api/v1/reports", data={"category": "road_damage", "description": "写真付き", "lat": "35.65",
                                                     "lon": "139.78", "reporter": '{"email": "r@example.jp", "phone": "090-1234-5678"}',
                                                     "photos": [(io.BytesIO(original), "a.jpg")]},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    public_id = response.get_json()["id"]
    report = db.session.scalar(select(Report).where(Report.public_id == public_id))
    processed_by_worker(db.session, report.id, pipeline_for(client.application))
    return public_id, original


def photo_of(report_id: str) -> Photo:
    db.session.expire_all()
    return db.session.scalars(select(Photo).join(Report).where(Report.public_id == report_id)).one()


def audits(action: str, who: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action,
                                                            AuditEntry.staff_id == member(who).id)))


def test_a_clerk_sees_contact_and_the_sharp_photo_and_the_viewing_is_audited(signed_in_client, photographed):
    report_id, _original = photographed
    clerk = signed_in_client("staff road")
    page = clerk.get(f"/staff/reports/{report_id}").get_data(as_text=True)
    photo = photo_of(report_id)
    assert "通報者の連絡先（非公開）" in page and "r@example.jp" in page and "090-1234-5678" in page
    assert f"/staff/photos/{photo.public_id}/thumb" in page and "公開中" in page
    entry, = audits(CONTACT_VIEWED, "staff road")
    assert entry.target_id == report_id and "reporter_email" in entry.after["fields"]
    thumb = clerk.get(f"/staff/photos/{photo.public_id}/thumb")
    large = clerk.get(f"/staff/photos/{photo.public_id}/large")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg" and Image.open(io.BytesIO(thumb.data)).width <= 64
    assert large.status_code == 200 and "no-store" in large.headers["Cache-Control"]


def test_a_viewer_sees_no_contact_and_no_original_and_leaves_no_contact_audit(signed_in_client, photographed):
    report_id, _original = photographed
    viewer = signed_in_client("viewer road")
    page = viewer.get(f"/staff/reports/{report_id}").get_data(as_text=True)
    photo = photo_of(report_id)
    assert "r@example.jp" not in page and "090-1234-5678" not in page and "通報者の連絡先" not in page
    assert "元の写真を見る" not in page
    assert viewer.get(f"/staff/photos/{photo.public_id}/original").status_code == 403
    assert viewer.get(f"/staff/photos/{photo.public_id}/thumb").status_code == 200
    assert audits(CONTACT_VIEWED, "viewer road") == [] and audits("photo.original_viewed", "viewer road") == []


def test_the_original_is_served_on_request_byte_for_byte_and_audited(signed_in_client, photographed):
    report_id, original = photographed
    clerk = signed_in_client("staff road")
    page = clerk.get(f"/staff/reports/{report_id}").get_data(as_text=True)
    photo = photo_of(report_id)
    link = f"/staff/photos/{photo.public_id}/original"
    assert link in page and audits("photo.original_viewed", "staff road") == []
    fetched = clerk.get(link)
    assert fetched.status_code == 200 and fetched.data == original
    entry, = audits("photo.original_viewed", "staff road")
    assert entry.target_id == photo.public_id and entry.after == {"report": report_id}


def test_photos_are_closed_to_other_departments_and_to_anyone_signed_out(client, signed_in_client, photographed):
    report_id, _original = photographed
    photo = photo_of(report_id)
    parks = signed_in_client("staff parks")
    assert parks.get(f"/staff/photos/{photo.public_id}/large").status_code == 403
    assert parks.get("/staff/photos/nosuchphoto/large").status_code == 404
    signed_out = client.get(f"/staff/photos/{photo.public_id}/large")
    assert signed_out.status_code in (302, 303) and "/staff/login" in signed_out.headers["Location"]


def test_a_manager_releases_a_photo_awaiting_review_and_the_public_then_sees_it(client, signed_in_client, photographed):
    report_id, _original = photographed
    photo = photo_of(report_id)
    # As a failed detector leaves it: sharp derivatives for staff, nothing public.
    photo.state, photo.public_large_key, photo.public_thumb_key = "awaiting_review", None, None
    db.session.commit()
    assert client.get(f"/api/v1/photos/{photo.public_id}/large").status_code == 404
    clerk, manager = signed_in_client("staff road"), signed_in_client("manager road")
    seen_by_clerk = clerk.get(f"/staff/reports/{report_id}").get_data(as_text=True)
    assert "確認待ち（非公開）" in seen_by_clerk and "確認して公開する" not in seen_by_clerk
    page = manager.get(f"/staff/reports/{report_id}").get_data(as_text=True)
    assert "確認して公開する" in page
    released = manager.post(f"/staff/photos/{photo.public_id}/release", follow_redirects=True,
                            data={"csrf_token": csrf_token(page), "regions_version": str(photo.regions_version)})
    assert released.status_code == 200 and "写真を公開しました。" in released.get_data(as_text=True)
    assert photo_of(report_id).state == "ready"
    public = client.get(f"/api/v1/photos/{photo.public_id}/large")
    assert public.status_code == 200 and public.mimetype == "image/jpeg"
    refused = clerk.post(f"/staff/photos/{photo.public_id}/release",
                         data={"csrf_token": csrf_token(seen_by_clerk), "regions_version": "0"})
    assert refused.status_code == 403


def test_a_release_on_a_version_someone_else_changed_changes_nothing(signed_in_client, photographed):
    report_id, _original = photographed
    photo = photo_of(report_id)
    photo.state, photo.public_large_key, photo.public_thumb_key = "awaiting_review", None, None
    db.session.commit()
    manager = signed_in_client("manager road")
    page = manager.get(f"/staff/reports/{report_id}").get_data(as_text=True)
    stale = manager.post(f"/staff/photos/{photo.public_id}/release", follow_redirects=True,
                         data={"csrf_token": csrf_token(page), "regions_version": str(photo.regions_version + 1)})
    assert "他の職員が更新しました" in stale.get_data(as_text=True)
    assert photo_of(report_id).state == "awaiting_review"
