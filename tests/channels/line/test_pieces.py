"""The conversation's rules and messages on their own, and the operator commands against the stand-in."""

from __future__ import annotations

from sqlalchemy import func, select

from service.channels.line import conversation as talk
from service.channels.line import messages as say
from service.channels.line.postbacks import ANSWER, CATEGORY, USE_PHOTO_LOCATION
from service.channels.line.store_events import stale
from service.cli import cli
from service.extensions import db
from service.models import LineEvent, LineUser, Report, Subscriber
from tests.channels.line import standin as line
from tests.channels.line.test_conversation import INSIDE, converse, last_text, quick_reply_data
from tests.conftest import make_jpeg
from tests.photos.factories import camera_exif

LANE = {"code": "lane_blocked", "datatype": "singlevaluelist", "required": True, "description_ja": "車線をふさいでいますか",
        "values": [{"key": "yes", "name_ja": "はい"}, {"key": "no", "name_ja": "いいえ"}]}


def everywhere(choices):
    return lambda lat, lon: talk.Place(choices)


def test_a_required_question_is_asked_and_only_its_values_are_taken():
    state = talk.State(step="category", lat=35.65, lon=139.78, offered=(talk.Choice("road_damage", "道路の損傷", (LANE,)),))
    turned = talk.turn(state, talk.PostbackSent(CATEGORY + "road_damage"), locate=everywhere([]), geocode=lambda text: None)
    assert turned.state.step == "attribute" and turned.replies[0]["text"] == "車線をふさいでいますか"
    assert [i["action"]["data"] for i in turned.replies[0]["quickReply"]["items"][:2]] == [ANSWER + "yes", ANSWER + "no"]
    again = talk.turn(turned.state, talk.TextSent("たぶん"), locate=everywhere([]), geocode=lambda text: None)
    assert again.state.step == "attribute"
    answered = talk.turn(turned.state, talk.PostbackSent(ANSWER + "no"), locate=everywhere([]), geocode=lambda text: None)
    assert answered.state.step == "description" and answered.state.attributes == {"lane_blocked": "no"}


def test_more_categories_than_quick_replies_hold_come_as_a_flex_carousel_line_accepts():
    from linebot.v3.messaging import FlexMessage, TextMessage

    many = [talk.Choice(f"c{n}", f"種類{n}") for n in range(14)]
    message = say.ask_category(many, "ja")
    FlexMessage.from_dict(message)
    assert message["type"] == "flex" and len(message["contents"]["contents"]) == 3
    few = say.ask_category(many[:5], "ja")
    TextMessage.from_dict(few)
    assert len(few["quickReply"]["items"]) == 6


def test_a_photo_with_its_gps_position_offers_it(line_app, platform):
    user = line.new_user_id()
    platform.contents["gps"] = make_jpeg((800, 600), exif=camera_exif(lat=INSIDE[0], lon=INSIDE[1]))
    calls = converse(platform, line.image(user, "gps"))
    assert USE_PHOTO_LOCATION in quick_reply_data(calls[-1])
    calls = converse(platform, line.postback(user, USE_PHOTO_LOCATION))
    assert CATEGORY + "road_damage" in quick_reply_data(calls[-1])


def test_a_resident_whose_line_speaks_english_is_answered_in_english(line_app, platform):
    user = line.new_user_id()
    platform.languages[user] = "en-US"
    converse(platform, line.text(user, "report"))
    assert "Where is it?" in last_text(platform)
    calls = converse(platform, line.location(user, *INSIDE))
    assert "Road damage" in str(calls[-1].body)


def test_an_event_whose_job_was_lost_is_found_by_the_sweep(line_app, platform):
    from datetime import timedelta

    from service import clock

    with line_app.app_context():
        db.session.add(LineEvent(jurisdiction_id=db.session.scalar(select(Subscriber.jurisdiction_id)), webhook_event_id="lost",
                                 body={"type": "unfollow", "source": {"type": "user", "userId": line.new_user_id()}},
                                 state="pending", attempts=0, received_at=clock.now() - timedelta(minutes=5)))
        db.session.commit()
        assert stale(db.session, 120, clock.now()) == [db.session.scalar(select(LineEvent.id))]


def test_configure_reads_secret_and_token_from_stdin_and_check_asks_line(line_app, platform):
    runner = line_app.test_cli_runner()
    channel = platform.channel("990019")
    result = runner.invoke(cli, ["line", "configure", "--jurisdiction", "990019"], input=f"{channel.secret}\n{channel.token}\n")
    assert result.exit_code == 0, result.output
    assert "/channels/line/990019/webhook" in result.output
    assert channel.secret not in result.output and channel.token not in result.output
    checked = runner.invoke(cli, ["line", "check", "--jurisdiction", "990019", "--json"])
    assert checked.exit_code == 0, checked.output
    assert '"basic_id": "@990019"' in checked.output
    refused = runner.invoke(cli, ["line", "configure", "--jurisdiction", "990019"], input="not-a-secret\ntoken\n")
    assert refused.exit_code != 0 and "32 hexadecimal" in refused.output
    with line_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscriber).where(Subscriber.kind == "line")) == 1
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0
        assert db.session.scalar(select(func.count()).select_from(LineUser)) == 0
