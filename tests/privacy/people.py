"""Reports that hold one person's data in every place it can be: contact, device, a photo, LINE."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from service.extensions import db
from service.models import Jurisdiction, LineEvent, LineReport, LineUser, Rating, Report
from service.pipeline import pipeline_for
from tests.conftest import make_jpeg
from tests.worker import processed_by_worker

EMAIL = "Hanako.Sato@example.jp"
PHONE = "090-1234-5678"
DEVICE = "device-hanako"
LINE_ID = "U" + "4f" * 16


def report_with_photo(client, *, email: str = EMAIL, phone: str = PHONE, device: str = DEVICE,
                      description: str = "歩道の段差が危ないです", color: tuple[int, int, int] = (180, 40, 40)) -> Report:
    response = client.post("/api/v1/reports", data={
        "category": "road_damage", "description": description, "lat": "35.65", "lon": "139.78", "device_id": device,
        "reporter": f'{{"name": "佐藤花子", "email": "{email}", "phone": "{phone}"}}',
        "photos": [(io.BytesIO(make_jpeg((320, 240), color)), "a.jpg")]}, content_type="multipart/form-data",
        headers={"Idempotency-Key": f"retry-{device}-{color}"})
    assert response.status_code == 201, response.get_json()
    report = db.session.scalar(select(Report).where(Report.public_id == response.get_json()["id"]))
    processed_by_worker(db.session, report.id, pipeline_for(client.application))
    db.session.refresh(report)
    assert report.photos[0].original_key is not None
    return report


def close(report: Report, closed_at: datetime, *, score: int = 4) -> None:
    """Resolved and rated ``closed_at``, made three days before; as the workflow leaves the row."""
    report.created_at = closed_at - timedelta(days=3)
    report.status = "resolved"
    report.first_response_at = closed_at - timedelta(days=2)
    report.resolved_at = report.closed_at = report.rating_requested_at = closed_at
    report.rating_score, report.rating_fixed = score, True
    db.session.add(Rating(report_id=report.id, score=score, fixed=True, comment="早く直りました", created_at=closed_at))
    db.session.commit()


def link_line_user(report: Report, received_at: datetime, user_id: str = LINE_ID) -> LineUser:
    jurisdiction = db.session.get(Jurisdiction, report.jurisdiction_id)
    assert jurisdiction is not None
    user = db.session.scalar(select(LineUser).where(LineUser.user_id == user_id))
    if user is None:
        user = LineUser(jurisdiction_id=jurisdiction.id, user_id=user_id, language="ja", conversation={},
                        created_at=received_at)
        db.session.add(user)
        db.session.flush()
    db.session.add(LineReport(report_id=report.id, line_user_id=user.id))
    db.session.add(LineEvent(jurisdiction_id=jurisdiction.id, webhook_event_id=f"ev-{report.id}", state="done",
                             body={"type": "message", "source": {"type": "user", "userId": user_id},
                                   "message": {"type": "text", "text": "穴があります"}},
                             received_at=received_at, handled_at=received_at))
    db.session.commit()
    return user


def store(app: Flask):
    return app.extensions["photo_store"]
