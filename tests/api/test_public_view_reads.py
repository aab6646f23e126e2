"""The public view is read in four Core queries (service.domain.public_report) and says exactly what the presenter says of the fully loaded report."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from service.api import presenters
from service.extensions import db
from service.models import Photo, Report
from service.pipeline import pipeline_for
from tests.conftest import make_jpeg
from tests.notifications.conftest import transition
from tests.staff.conftest import keys  # noqa: F401  (fixture)
from tests.worker import processed_by_worker

# The stamp, then the report with its jurisdiction, category and department, its photos, its history.
PUBLIC_VIEW_QUERIES = 4


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def photographed(client, description: str, photos: int) -> str:
    response = client.post("/api/v1/reports", data={"category": "road_damage", "description": description, "lat": "35.65",
                                                     "lon": "139.78",
                                                     "photos": [(io.BytesIO(make_jpeg(color=(40 * i, 90, 90))), f"{i}.jpg")
                                                                for i in range(photos)]},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    public_id = response.get_json()["id"]
    report_id = db.session.scalar(select(Report.id).where(Report.public_id == public_id))
    processed_by_worker(db.session, report_id, pipeline_for(client.application))
    return public_id


def fully_loaded_view(client, public_id: str, language: str) -> dict:
    """The presenter's output for the report loaded whole, every attribute at hand, as a request on the same host sees it."""
    db.session.expire_all()
    with client.application.test_request_context("/"):
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        return json.loads(json.dumps(presenters.report_public(report, language)))


def test_a_public_view_with_photos_masked_text_and_replies_takes_four_queries_and_matches_the_full_report(client, keys, monkeypatch):  # noqa: F811
    public_id = photographed(client, "街灯が消えています。090-1234-5678 に連絡ください。", photos=3)
    transition(client, keys, public_id, "acknowledged", public_reply="確認しました。taro@example.jp の方へ。")
    transition(client, keys, public_id, "in_progress", public_reply="修理を手配しました。")
    hidden = db.session.scalars(select(Photo).join(Report).where(Report.public_id == public_id).order_by(Photo.position)).first()
    hidden.hidden = True
    db.session.commit()

    # Each request reads its stamp here (a process otherwise answers from one read in the last second).
    monkeypatch.setitem(client.application.config, "STATUS_STAMP_SECONDS", 0)
    for language in ("ja", "en", "ja-x-easy", "vi"):
        with counted_statements() as statements:
            response = client.get(f"/api/v1/reports/{public_id}", headers={"Accept-Language": language})
        assert response.status_code == 200
        body = response.get_json()
        assert len(statements) == PUBLIC_VIEW_QUERIES, statements
        assert len(body["photos"]) == 2 and body["photo_state"] == "complete"
        assert "090-1234-5678" not in response.get_data(as_text=True)
        assert "taro@example.jp" not in response.get_data(as_text=True)
        assert [entry["public_reply"] for entry in body["history"] if entry["public_reply"]][-1] == "修理を手配しました。"
        assert body == fully_loaded_view(client, public_id, language)


def test_a_report_without_photos_or_history_beyond_its_creation_takes_four_queries(client):
    public_id = photographed(client, "歩道に穴があります", photos=0)
    with counted_statements() as statements:
        response = client.get(f"/api/v1/reports/{public_id}")
    assert response.status_code == 200 and response.get_json()["photos"] == []
    assert len(statements) == PUBLIC_VIEW_QUERIES, statements
    assert response.get_json() == fully_loaded_view(client, public_id, "ja")


def test_a_duplicate_shows_its_primary_report_and_department_as_the_full_report_does(client, keys):  # noqa: F811
    primary_id = photographed(client, "街灯が点きません", photos=1)
    transition(client, keys, primary_id, "acknowledged", public_reply="確認しました。")
    duplicate_id = photographed(client, "同じ街灯です", photos=0)
    primary, duplicate = (db.session.scalar(select(Report).where(Report.public_id == i)) for i in (primary_id, duplicate_id))
    duplicate.duplicate_of_id, duplicate.version = primary.id, duplicate.version + 1
    db.session.commit()

    for language in ("ja", "en", "zh-Hans"):
        response = client.get(f"/api/v1/reports/{duplicate_id}", headers={"Accept-Language": language})
        body = response.get_json()
        assert response.status_code == 200 and body["duplicate_of"] == primary_id
        assert body["primary"]["id"] == primary_id and body["primary"]["status"] == "acknowledged"
        assert body["department"] is not None
        assert body == fully_loaded_view(client, duplicate_id, language)
