"""Retention: personal data of reports closed longer ago than the jurisdiction's days is removed, figures stay."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select, update

from service.cli import cli
from service.domain import retention
from service.extensions import db
from service.models import AuditEntry, Follower, Jurisdiction, LineEvent, LineReport, LineUser, Photo, Report
from tests.privacy.people import close, link_line_user, report_with_photo, store
from workers.celery_app import celery_settings
from workers.privacy import privacy_purge

STATS = "/api/v1/staff/stats?from=2024-01-01&to=2025-07-01&group_by=department,month"


def _old_and_recent(client, fixed_clock):
    now = fixed_clock()
    old = report_with_photo(client, description="歩道の段差が危ないです。090-1111-2222まで")
    close(old, now - timedelta(days=400), score=5)
    link_line_user(old, now - timedelta(days=401))
    recent = report_with_photo(client, email="jiro@example.jp", device="device-jiro", color=(20, 160, 40))
    close(recent, now - timedelta(days=30), score=2)
    still_open = report_with_photo(client, email="saburo@example.jp", device="device-saburo", color=(20, 40, 160))
    return old, recent, still_open


def _purge(runner, *args: str):
    result = runner.invoke(cli, ["privacy", "purge", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _follow(client, report, email):
    response = client.post(f"/api/v1/reports/{report.public_id}/followers", json={"email": email, "email_updates": True})
    assert response.status_code == 201


def test_dry_run_lists_what_would_go_and_changes_nothing(app, client, keys, runner, fixed_clock):
    old, _, _ = _old_and_recent(client, fixed_clock)
    _follow(client, old, "shiro@example.jp")
    planned = _purge(runner, "--dry-run")
    assert [row["report"] for row in planned] == [old.public_id]
    assert {"report.reporter_email", "report.reporter_phone", "report.device_id", "photo.original_key",
            "line_report", "report_follower"} <= set(planned[0]["fields"])
    db.session.expire_all()
    assert db.session.get(Report, old.id).reporter_email is not None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "privacy.purged")) == 0
    table = runner.invoke(cli, ["privacy", "purge", "--dry-run"])
    assert old.public_id in table.output and "closed_at" in table.output


def test_purge_removes_contact_originals_and_line_ids_and_the_figures_stay(app, client, keys, runner, fixed_clock):
    old, recent, still_open = _old_and_recent(client, fixed_clock)
    original_key = old.photos[0].original_key
    _follow(client, old, "shiro@example.jp")
    _follow(client, recent, "goro@example.jp")
    figures_before = client.get(STATS, headers=keys.header("admin")).get_json()["groups"]
    csv_before = client.get(STATS + "&format=csv", headers=keys.header("admin")).data

    done = _purge(runner)

    purged = db.session.get(Report, old.id)
    db.session.refresh(purged)
    assert (purged.reporter_name, purged.reporter_email, purged.reporter_phone, purged.device_id) == (None,) * 4
    # The words stay; the number written into them is masked, for staff too.
    assert purged.description == "歩道の段差が危ないです。［電話番号］まで" and purged.status == "resolved"
    assert not store(app).exists(original_key)
    assert db.session.scalar(select(Photo.original_key).where(Photo.report_id == old.id)) is None
    assert db.session.scalar(select(func.count()).select_from(LineUser)) == 0
    assert db.session.scalar(select(func.count()).select_from(LineReport)) == 0
    assert db.session.scalar(select(func.count()).select_from(LineEvent)) == 0
    for kept in (recent, still_open):
        assert db.session.get(Report, kept.id).reporter_email is not None
        assert store(app).exists(kept.photos[0].original_key)
    ours = next(part for part in done if part["jurisdiction"] == "990019")
    assert ours["reports"] == [old.public_id] and ours["originals_deleted"] == 1 and ours["line_users_deleted"] == 1
    assert ours["followers_deleted"] == 1
    assert db.session.execute(select(Follower.report_id, Follower.email)).all() == [(recent.id, "goro@example.jp")]
    # The staff view now shows no contact and no original link; the figures are unchanged.
    view = client.get(f"/api/v1/staff/reports/{old.public_id}", headers=keys.header("admin")).get_json()
    assert view["reporter"] == {"name": None, "email": None, "phone": None} and view["device_id"] is None
    assert view["photos"][0]["original_url"] is None and view["photos"][0]["large_url"]
    assert client.get(STATS, headers=keys.header("admin")).get_json()["groups"] == figures_before
    assert client.get(STATS + "&format=csv", headers=keys.header("admin")).data == csv_before
    # The purged report is the month of 2024-05, with its rating of 5.
    first = figures_before[0]
    assert (first["month"], first["resolved"], first["mean_score"]) == ("2024-05", 1, 5.0)


def test_the_same_photo_in_a_newer_report_keeps_its_original(app, client, keys, runner, fixed_clock):
    # Each photo owns its original: the same picture sent again is an object of its own.
    old = report_with_photo(client)
    close(old, fixed_clock() - timedelta(days=400))
    twin = report_with_photo(client, email="jiro@example.jp")
    assert twin.photos[0].content_hash == old.photos[0].content_hash
    assert twin.photos[0].original_key != old.photos[0].original_key
    gone = old.photos[0].original_key
    _purge(runner)
    assert not store(app).exists(gone) and store(app).exists(twin.photos[0].original_key)
    fetched = client.get(client.get(f"/api/v1/staff/reports/{twin.public_id}", headers=keys.header("admin"))
                         .get_json()["photos"][0]["original_url"].removeprefix("http://localhost"), headers=keys.header("admin"))
    assert fetched.status_code == 200


def test_an_original_stored_by_content_alone_is_kept_while_another_photo_names_it(app, client, keys, runner, fixed_clock):
    # Originals stored before each photo had its own were named by content, and two photos may share one.
    old = report_with_photo(client)
    close(old, fixed_clock() - timedelta(days=400))
    twin = report_with_photo(client, email="jiro@example.jp", device="device-jiro")
    shared = twin.photos[0].original_key
    db.session.execute(update(Photo).where(Photo.id == old.photos[0].id).values(original_key=shared))
    db.session.commit()
    _purge(runner)
    db.session.expire_all()
    assert db.session.get(Photo, old.photos[0].id).original_key is None and store(app).exists(shared)


def test_purge_is_idempotent_and_audited_once(app, client, keys, runner, fixed_clock):
    old, _, _ = _old_and_recent(client, fixed_clock)
    _purge(runner)
    again = _purge(runner)
    assert all(part["reports"] == [] for part in again)
    audits = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.purged")).all()
    assert len(audits) == 1
    assert audits[0].target_id == "990019" and audits[0].after["reports"] == [old.public_id]
    assert "hanako" not in json.dumps(audits[0].after).lower()


def test_a_line_user_who_never_reported_is_removed_after_the_days(app, client, keys, runner, fixed_clock):
    jurisdiction_id = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "990019"))
    db.session.add_all([LineUser(jurisdiction_id=jurisdiction_id, user_id="U-silent", language="ja", conversation={"step": "photo"},
                             conversation_at=fixed_clock() - timedelta(days=366), created_at=fixed_clock() - timedelta(days=400)),
                        LineUser(jurisdiction_id=jurisdiction_id, user_id="U-talking", language="ja", conversation={},
                             conversation_at=fixed_clock() - timedelta(days=3), created_at=fixed_clock() - timedelta(days=400))])
    db.session.commit()
    _purge(runner)
    assert db.session.scalars(select(LineUser.user_id)).all() == ["U-talking"]


def test_a_jurisdictions_own_days_decide(app, client, keys, runner, fixed_clock):
    _, recent, _ = _old_and_recent(client, fixed_clock)
    shown = runner.invoke(cli, ["privacy", "retention", "--jurisdiction", "990019", "--json"])
    assert json.loads(shown.output) == {"jurisdiction": "990019", "retention_days": 365, "own_setting": False}
    set_ = runner.invoke(cli, ["privacy", "retention", "--jurisdiction", "990019", "--days", "20", "--json"])
    assert set_.exit_code == 0 and json.loads(set_.output)["retention_days"] == 20
    assert db.session.scalar(select(Jurisdiction.retention_days).where(Jurisdiction.code == "990019")) == 20
    planned = {row["report"] for row in _purge(runner, "--dry-run")}
    assert recent.public_id in planned and len(planned) == 2
    # The other jurisdiction keeps its own (default) days.
    assert _purge(runner, "--dry-run", "--jurisdiction", "121002") == []
    refused = runner.invoke(cli, ["privacy", "retention", "--jurisdiction", "990019", "--days", "0"])
    assert refused.exit_code != 0


def test_the_beat_job_purges(app, client, keys, fixed_clock):
    old_id = _old_and_recent(client, fixed_clock)[0].id
    assert privacy_purge.run() == 1
    assert db.session.get(Report, old_id).reporter_email is None
    assert privacy_purge.run() == 0
    schedule = celery_settings("memory://", 30.0, purge_interval=600.0)["beat_schedule"]
    assert schedule["privacy_purge"]["task"] == "machikoe.privacy_purge"  # type: ignore[index]
    assert schedule["privacy_purge"]["schedule"] == 600.0  # type: ignore[index]


def test_many_due_reports_are_purged_in_batches(app, client, keys, runner, fixed_clock, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    due = []
    for number in range(5):
        report = report_with_photo(client, email=f"p{number}@example.jp", color=(number * 40, 10, 10))
        close(report, fixed_clock() - timedelta(days=400 + number))
        due.append(report.public_id)
    ours = next(part for part in _purge(runner) if part["jurisdiction"] == "990019")
    assert sorted(ours["reports"]) == sorted(due) and ours["originals_deleted"] == 5
    assert db.session.scalar(select(func.count()).select_from(Report).where(Report.reporter_email.isnot(None))) == 0
