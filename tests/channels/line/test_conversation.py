"""A resident reports through LINE, as LINE's platform (the stand-in) would carry it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from service.channels.line.postbacks import CATEGORY, RESTART, SUBMIT
from service.channels.line.setup import configure
from service.domain import jurisdictions as setup
from service.extensions import db
from service.models import LineEvent, LineReport, LineUser, Report
from service.seed import category_catalogue
from tests.channels.line import standin as line
from tests.conftest import FixedClock, make_jpeg
from tests.pipeline.support import published, wait_until

INSIDE = (35.650, 139.780)  # みなと市中央区
OTHER_BOUNDARY = {"type": "Polygon", "coordinates": [[[140.10, 35.58], [140.15, 35.58], [140.15, 35.63], [140.10, 35.63], [140.10, 35.58]]]}


def last_text(platform: line.LinePlatform, code: str = "990019") -> str:
    return "\n".join(platform.replies_to(code)[-1].texts)


def quick_reply_data(call: line.Call) -> list[str]:
    items = call.body["messages"][-1].get("quickReply", {}).get("items", [])
    return [i["action"].get("data", i["action"]["type"]) for i in items]


def converse(platform: line.LinePlatform, *events: dict, code: str = "990019") -> list[line.Call]:
    """Send each event and wait for the reply it brings, one at a time, as a resident types."""
    for event in events:
        before = len(platform.replies_to(code))
        assert platform.send(code, event).status_code == 200
        platform.wait_for_replies(code, before + 1)
    return platform.replies_to(code)


def test_photo_location_category_description_and_confirm_make_a_routed_report(line_app, platform, caplog):
    caplog.set_level(logging.DEBUG)
    user = line.new_user_id()
    platform.contents["m-1"] = make_jpeg((1200, 900))
    calls = converse(platform, line.image(user, "m-1"))
    assert "場所を教えてください" in last_text(platform)
    assert "location" in quick_reply_data(calls[-1])

    calls = converse(platform, line.location(user, *INSIDE, address="みなと市中央区"))
    offered = quick_reply_data(calls[-1])
    assert CATEGORY + "road_damage" in offered and len(offered) <= 13
    assert "道路の損傷" in json.dumps(calls[-1].body, ensure_ascii=False)

    converse(platform, line.postback(user, CATEGORY + "road_damage"))
    assert "状況をひとことで" in last_text(platform)
    calls = converse(platform, line.text(user, "歩道に大きな穴があります"))
    summary = calls[-1].body["messages"][-1]
    assert summary["type"] == "template" and summary["template"]["type"] == "confirm"
    assert "道路の損傷" in summary["template"]["text"] and "写真: 1枚" in summary["template"]["text"]

    converse(platform, line.postback(user, SUBMIT))
    answer = last_text(platform)
    assert "受付しました" in answer
    with line_app.app_context():
        report = db.session.scalar(select(Report).order_by(Report.id.desc()))
        public_id = report.public_id
        assert report.source == "line"
        assert f"https://minato.example.jp/api/v1/reports/{public_id}" in answer
        wait_until(lambda: published(public_id), what="processing of the LINE report", timeout=30)
        client = line_app.test_client()
        public = client.get(f"/api/v1/reports/{public_id}")
        body = public.get_json()
        assert body["department"] == "道路課" and body["status_label"] == "受付" and len(body["photos"]) == 1
        assert body["description"] == "歩道に大きな穴があります"
        assert db.session.scalar(select(func.count()).select_from(LineReport)) == 1
        for response in (public, client.get("/api/v1/reports"), client.get("/api/v1/opendata/reports.geojson"),
                         client.get("/open311/v2/requests.json")):
            assert user not in response.get_data(as_text=True)
    # The LINE user id is private: no log line written during the whole conversation carries it.
    assert not [r for r in caplog.records if user in r.getMessage() or user in repr(r.args)]


def test_typed_address_places_the_report_and_start_over_clears_it(line_app, platform):
    user = line.new_user_id()
    converse(platform, line.text(user, "通報"))
    assert "場所を教えてください" in last_text(platform)
    calls = converse(platform, line.text(user, "みなと市中央区"))
    assert CATEGORY + "streetlight" in quick_reply_data(calls[-1])
    converse(platform, line.text(user, "やり直す"))
    assert "最初からやり直します" in last_text(platform)
    with line_app.app_context():
        row = db.session.scalar(select(LineUser))
        assert row.conversation["step"] == "idle" and row.conversation["lat"] is None
    converse(platform, line.text(user, "通報"), line.text(user, "どこか知らない町 999番地"))
    assert "見つかりませんでした" in last_text(platform)


def test_a_point_outside_the_jurisdiction_is_refused_in_the_chat_with_a_way_on(line_app, platform):
    user = line.new_user_id()
    calls = converse(platform, line.location(user, 35.300, 139.600))
    assert "区域外" in last_text(platform)
    assert RESTART in quick_reply_data(calls[-1])
    converse(platform, line.location(user, *INSIDE))
    assert "どのような困りごと" in last_text(platform)


def test_a_redelivered_event_changes_nothing_twice(line_app, platform):
    user = line.new_user_id()
    event = line.text(user, "通報")
    assert platform.send("990019", event).status_code == 200
    platform.wait_for_replies("990019", 1)
    again = {**event, "deliveryContext": {"isRedelivery": True}}
    assert platform.send("990019", again).status_code == 200
    converse(platform, line.text(user, "みなと市中央区"))
    # The redelivery brought no second "where is it?" and the conversation moved on once.
    texts = [c.texts for c in platform.replies_to("990019")]
    assert sum("場所を教えてください" in t[0] for t in texts) == 1
    with line_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LineEvent)) == 2


@pytest.mark.parametrize("signature", ["", "bm90IHRoZSBzaWduYXR1cmU=", None])
def test_an_unsigned_or_wrongly_signed_call_is_refused_and_leaves_nothing(line_app, platform, signature):
    user = line.new_user_id()
    if signature is None:
        response = platform.send("990019", line.text(user, "通報"), secret="0" * 32)
    else:
        response = platform.send("990019", line.text(user, "通報"), signature=signature)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/problem+json")
    with line_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LineEvent)) == 0
        assert db.session.scalar(select(func.count()).select_from(LineUser)) == 0
    assert platform.replies_to("990019") == []


def test_a_conversation_left_too_long_starts_over(line_app, platform):
    clock = FixedClock(datetime(2026, 6, 1, 1, 0, tzinfo=UTC))
    line_app.extensions["clock"] = clock
    user = line.new_user_id()
    converse(platform, line.text(user, "通報"), line.location(user, *INSIDE))
    clock.instant += timedelta(minutes=31)
    calls = converse(platform, line.postback(user, CATEGORY + "road_damage"))
    assert "前の入力は取り消しました" in calls[-1].texts[0]
    with line_app.app_context():
        assert db.session.scalar(select(LineUser)).conversation["category"] is None


def test_unfollow_is_recorded(line_app, platform):
    user = line.new_user_id()
    converse(platform, line.follow(user))
    assert platform.send("990019", line.unfollow(user)).status_code == 200
    with line_app.app_context():
        wait_until(lambda: db.session.scalar(select(LineUser.blocked_at)), what="the unfollow", timeout=15)


def test_content_api_errors_are_retried_and_a_lasting_one_is_told(line_app, platform):
    user = line.new_user_id()
    platform.contents["m-ok"] = make_jpeg()
    platform.content_failures["m-ok"] = [503, 500]
    converse(platform, line.image(user, "m-ok"))
    assert "場所を教えてください" in last_text(platform)
    platform.content_failures["m-gone"] = [503, 503, 503]
    platform.contents["m-gone"] = make_jpeg()
    converse(platform, line.image(user, "m-gone"))
    assert "写真を受け取れませんでした" in last_text(platform)
    converse(platform, line.image(user, "m-ext", provider="external"))
    assert "写真を受け取れませんでした" in last_text(platform)


def test_two_jurisdictions_each_with_its_own_channel(line_app, platform):
    with line_app.app_context():
        chiba = setup.create_jurisdiction(db.session, code="121002", name_ja="千葉市", name_en="Chiba City",
                                          boundary_geojson=json.dumps(OTHER_BOUNDARY), prefecture_ja="千葉県")
        setup.add_department(db.session, chiba, code="koho", name_ja="広報広聴課", name_en="Public Relations", fallback=True)
        setup.add_categories(db.session, chiba, category_catalogue())
        db.session.commit()
        chiba_id = chiba.id
        channel = platform.channel("121002")
        configure(db.session(), "121002", channel_secret=channel.secret, access_token=channel.token)
    user = line.new_user_id()
    converse(platform, line.location(user, *INSIDE), code="121002")
    assert "区域外" in last_text(platform, "121002")
    converse(platform, line.location(user, 35.60, 140.12), code="121002")
    assert "どのような困りごと" in last_text(platform, "121002")
    # A body signed with the other channel's secret is refused.
    assert platform.send("121002", line.text(user, "通報"), secret=platform.channels["990019"].secret).status_code == 401
    with line_app.app_context():
        users = db.session.scalars(select(LineUser)).all()
        assert [u.jurisdiction_id for u in users] == [chiba_id]
    assert platform.replies_to("990019") == []
