"""Status changes reach the LINE chat, and the rating given by buttons counts in the figures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from service.channels.line import push
from service.channels.line.client import LineEndpoints
from service.channels.line.postbacks import CATEGORY, SUBMIT
from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import Delivery, LineChannel, LineUser, OutboxEvent, Report
from tests.channels.line import standin as line
from tests.channels.line.test_conversation import INSIDE, converse, last_text
from tests.conftest import make_jpeg
from tests.pipeline.support import published, wait_until


def report_through_line(line_app, platform, user: str) -> str:
    platform.contents["m-1"] = make_jpeg((1200, 900))
    converse(platform, line.image(user, "m-1"), line.location(user, *INSIDE), line.postback(user, CATEGORY + "road_damage"),
             line.text(user, "歩道に大きな穴があります"), line.postback(user, SUBMIT))
    with line_app.app_context():
        public_id = db.session.scalar(select(Report.public_id).order_by(Report.id.desc()))
        wait_until(lambda: published(public_id), what="processing", timeout=30)
    return public_id


def staff_key(line_app) -> dict[str, str]:
    with line_app.app_context():
        _, key = create_staff(db.session, name="道路 太郎", role="staff", jurisdiction_code="990019", department_code="road")
        db.session.commit()
    return {"Authorization": f"Bearer {key}"}


def wait_for_pushes(line_app, platform, count: int) -> list[line.Call]:
    with line_app.app_context():
        return wait_until(lambda: len(platform.pushes_to("990019")) >= count and platform.pushes_to("990019"),
                          what=f"{count} pushes", timeout=20)


def test_status_changes_are_pushed_and_the_rating_by_buttons_reopens_and_counts(line_app, platform):
    user = line.new_user_id()
    public_id = report_through_line(line_app, platform, user)
    headers = staff_key(line_app)
    client = line_app.test_client()
    moved = client.post(f"/api/v1/staff/reports/{public_id}/transitions", headers=headers,
                        json={"to": "acknowledged", "public_reply": "確認しました。来週補修します。"})
    assert moved.status_code == 201
    (push,) = wait_for_pushes(line_app, platform, 1)
    assert push.body["to"] == user
    assert "確認済" in push.texts[0] and "確認しました。来週補修します。" in push.texts[0]

    client.post(f"/api/v1/staff/reports/{public_id}/transitions", headers=headers, json={"to": "in_progress"})
    client.post(f"/api/v1/staff/reports/{public_id}/transitions", headers=headers,
                json={"to": "resolved", "public_reply": "補修しました。"})
    pushes = wait_for_pushes(line_app, platform, 4)
    texts = [t for p in pushes for t in p.texts]
    assert any("対応済" in t and "補修しました。" in t for t in texts)
    invitation = next(p for p in pushes if "5段階" in p.texts[0])
    scores = [i["action"]["data"] for i in invitation.body["messages"][0]["quickReply"]["items"]]
    assert scores == [f"rate={public_id}:{n}" for n in range(1, 6)]
    # Each push went out once: the reply given with a transition is not pushed again on its own.
    assert len(pushes) == 4

    converse(platform, line.postback(user, f"rate={public_id}:2"))
    assert "直りましたか" in last_text(platform)
    converse(platform, line.postback(user, f"fixed={public_id}:2:no"))
    converse(platform, line.text(user, "まだ穴があります"))
    assert "再度確認します" in last_text(platform)

    own = client.get(f"/api/v1/staff/reports/{public_id}", headers=headers).get_json()
    assert own["status"] == "in_progress"
    figures = client.get("/api/v1/staff/stats", query_string={"group_by": "department"}, headers=headers).get_json()
    (road,) = [g for g in figures["groups"] if g["department"] == "road"]
    assert road["ratings"] == 1 and road["mean_score"] == 2 and road["fixed"] == 0 and road["reopened"] == 1


def test_a_resident_who_blocked_the_account_is_not_pushed_to_and_the_quota_holds(line_app, platform):
    user = line.new_user_id()
    public_id = report_through_line(line_app, platform, user)
    headers = staff_key(line_app)
    client = line_app.test_client()
    assert platform.send("990019", line.unfollow(user)).status_code == 200
    with line_app.app_context():
        wait_until(lambda: db.session.scalar(select(LineUser.blocked_at)), what="the unfollow", timeout=15)
    client.post(f"/api/v1/staff/reports/{public_id}/transitions", headers=headers, json={"to": "acknowledged"})
    with line_app.app_context():
        wait_until(lambda: db.session.scalar(select(Delivery.state).where(Delivery.state == "delivered")),
                   what="the delivery, done without a push", timeout=20)
    assert platform.pushes_to("990019") == []

    other = line.new_user_id()
    second = report_through_line(line_app, platform, other)
    with line_app.app_context():
        channel = db.session.scalar(select(LineChannel))
        channel.monthly_push_quota = channel.pushes_this_month
        db.session.commit()
    client.post(f"/api/v1/staff/reports/{second}/transitions", headers=headers, json={"to": "acknowledged"})
    with line_app.app_context():
        error = wait_until(lambda: db.session.scalar(select(Delivery.last_error).where(Delivery.last_error.is_not(None))),
                           what="the refused push", timeout=20)
    assert "quota" in error
    assert platform.pushes_to("990019") == []


def test_the_monthly_push_quota_starts_again_when_the_month_begins_in_japan(line_app, platform):
    public_id = report_through_line(line_app, platform, line.new_user_id())
    endpoints = LineEndpoints(platform.url, platform.url)
    with line_app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        channel = db.session.scalar(select(LineChannel))
        channel.push_month, channel.pushes_this_month, channel.monthly_push_quota = "2026-11", 5, 5
        event = OutboxEvent(event_type="report.status_changed", report_id=report.id, payload={"to": "acknowledged"})

        # 23:59 on 30 November in Japan (14:59 UTC): November's quota is used up.
        with pytest.raises(push.PushRefused, match="quota"):
            push.prepare(Delivery(uid="quota-1"), event, report, endpoints, datetime(2026, 11, 30, 14, 59, tzinfo=UTC))
        assert (channel.push_month, channel.pushes_this_month) == ("2026-11", 5)

        # 00:30 on 1 December in Japan, still 30 November in UTC: a new month, a new quota.
        send = push.prepare(Delivery(uid="quota-2"), event, report, endpoints, datetime(2026, 11, 30, 15, 30, tzinfo=UTC))
        assert (channel.push_month, channel.pushes_this_month) == ("2026-12", 1)
        db.session.rollback()
    sent = len(platform.pushes_to("990019"))
    assert send() == 200
    assert len(platform.pushes_to("990019")) == sent + 1
