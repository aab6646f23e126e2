"""Polls of a report within a second of each other read its stamp once; a change this process commits is seen at once, another process's within the second."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text

from service.domain import report_stamp
from service.extensions import db
from service.models import Report
from service.pipeline import pipeline_for
from tests.api.test_public_view_reads import counted_statements
from tests.notifications.conftest import transition
from tests.staff.conftest import keys  # noqa: F401  (fixture)
from tests.worker import processed_by_worker


@pytest.fixture()
def stamp_clock(monkeypatch) -> Clock:
    """The clock of this process's kept stamps, set by hand; the stamps start empty."""
    clock = Clock()
    monkeypatch.setattr(report_stamp, "recent_stamps", report_stamp.RecentStamps(clock=clock))
    monkeypatch.setattr("service.api.resident.recent_stamps", report_stamp.recent_stamps)
    return clock


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def changed_by_another_process(statement: str, parameters: dict) -> None:
    """Run ``statement`` on a connection of its own, as a worker's change reaches the database."""
    other = create_engine(db.engine.url)
    with other.begin() as connection:
        connection.execute(text(statement), parameters)
    other.dispose()


def posted(client) -> str:
    response = client.post("/api/v1/reports", json={"category": "road_damage", "description": "穴があります", "lat": 35.65, "lon": 139.78})
    assert response.status_code == 201, response.get_json()
    public_id = response.get_json()["id"]
    processed_by_worker(db.session, db.session.scalar(select(Report.id).where(Report.public_id == public_id)),
                        pipeline_for(client.application))
    return public_id


def test_polls_within_the_second_read_the_stamp_once_and_a_change_here_is_seen_at_once(client, keys, stamp_clock):  # noqa: F811
    public_id = posted(client)
    etag = client.get(f"/api/v1/reports/{public_id}").headers["ETag"]

    with counted_statements() as statements:
        for _ in range(5):
            assert client.get(f"/api/v1/reports/{public_id}", headers={"If-None-Match": etag}).status_code == 304
    assert statements == []

    # Staff act through this process: the next poll sees the new view.
    transition(client, keys, public_id, "acknowledged", public_reply="確認しました。")
    changed = client.get(f"/api/v1/reports/{public_id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["status"] == "acknowledged"


def test_a_change_by_another_process_is_seen_once_the_second_is_over(client, stamp_clock):
    public_id = posted(client)
    etag = client.get(f"/api/v1/reports/{public_id}").headers["ETag"]
    report_id = db.session.scalar(select(Report.id).where(Report.public_id == public_id))
    # Another process (a worker) moves the report, on a connection of its own.
    changed_by_another_process("UPDATE report SET version = version + 1 WHERE id = :id", {"id": report_id})

    stamp_clock.now += 0.5
    assert client.get(f"/api/v1/reports/{public_id}", headers={"If-None-Match": etag}).status_code == 304
    stamp_clock.now += 0.6
    assert client.get(f"/api/v1/reports/{public_id}", headers={"If-None-Match": etag}).status_code == 200


def test_with_no_seconds_every_poll_reads_its_stamp(client, monkeypatch):
    monkeypatch.setitem(client.application.config, "STATUS_STAMP_SECONDS", 0)
    public_id = posted(client)
    etag = client.get(f"/api/v1/reports/{public_id}").headers["ETag"]

    with counted_statements() as statements:
        assert client.get(f"/api/v1/reports/{public_id}", headers={"If-None-Match": etag}).status_code == 304
    assert len(statements) == 1


def test_an_unchanged_report_is_read_again_from_memory_with_the_same_answer(client, stamp_clock):
    public_id = posted(client)
    first = client.get(f"/api/v1/reports/{public_id}")

    with counted_statements() as statements:
        again = client.get(f"/api/v1/reports/{public_id}")
    assert statements == []
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert again.headers["ETag"] == first.headers["ETag"] and again.headers["Content-Type"] == "application/json"
    assert again.headers["Cache-Control"] == "public, max-age=5"
    # Another language is another view, rendered from the rows.
    english = client.get(f"/api/v1/reports/{public_id}", headers={"Accept-Language": "en"})
    assert english.get_json()["category"]["name"] == "Road damage" and english.headers["ETag"] != first.headers["ETag"]


def test_a_department_renamed_by_another_process_shows_once_the_second_is_over(client, stamp_clock):
    public_id = posted(client)
    before = client.get(f"/api/v1/reports/{public_id}")
    assert before.get_json()["department"]
    department_id = db.session.scalar(select(Report.department_id).where(Report.public_id == public_id))
    changed_by_another_process("UPDATE department SET name_ja = '道路整備課' WHERE id = :id", {"id": department_id})

    stamp_clock.now += 1.1
    after = client.get(f"/api/v1/reports/{public_id}", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.get_json()["department"] == "道路整備課"


def test_a_public_view_in_memory_never_answers_a_tracking_token(client, stamp_clock):
    sent = client.post("/api/v1/reports", json={"category": "road_damage", "description": "穴があります", "lat": 35.65,
                                                "lon": 139.78, "device_id": "device-7f3a", "address_hint": "公園の北側"})
    public_id, token = sent.get_json()["id"], sent.get_json()["tracking_token"]
    public = client.get(f"/api/v1/reports/{public_id}")
    assert "device_id" not in public.get_json() and "公園の北側" not in public.get_data(as_text=True)

    own = client.get(f"/api/v1/reports/{public_id}", headers={"X-Tracking-Token": token})
    assert own.status_code == 200 and own.get_json()["device_id"] == "device-7f3a"
    assert own.get_json()["address_hint"] == "公園の北側" and own.headers["Cache-Control"] == "no-store"
    assert "ETag" not in own.headers
    wrong = client.get(f"/api/v1/reports/{public_id}", headers={"X-Tracking-Token": "not-this-one"})
    assert wrong.status_code == 403
    # And the public view kept after it is still the public one.
    assert client.get(f"/api/v1/reports/{public_id}").get_data() == public.get_data()
