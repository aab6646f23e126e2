"""A LINE push carries replies masked, as the public reads them, and is the pushed person's data: found, erased, purged."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from service.commands.common import Operator
from service.domain import retention
from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import Delivery, Jurisdiction
from service.models.types import utcnow
from tests.channels.line import standin as line
from tests.channels.line.test_updates import report_through_line, staff_key, wait_for_pushes
from tests.pipeline.support import wait_until

FIND = "/api/v1/staff/admin/privacy/find"
REPLY = "担当は090-1234-5678、road-desk@example.jp までご連絡ください。"
COMMENT = "追加の写真は 03-1111-2222 へお電話のうえお送りください。"
WRITTEN = ("090-1234-5678", "road-desk@example.jp", "03-1111-2222")


def admin_key(line_app) -> dict[str, str]:
    with line_app.app_context():
        _, key = create_staff(db.session, name="管理 花子", role="admin", jurisdiction_code="990019", department_code=None)
        db.session.commit()
    return {"Authorization": f"Bearer {key}"}


def wait_delivered(line_app, count: int) -> list[Delivery]:
    with line_app.app_context():
        return wait_until(lambda: (rows := db.session.scalars(
            select(Delivery).where(Delivery.state == "delivered", Delivery.subscriber_id.is_not(None))
            .order_by(Delivery.id)).all()) and len(rows) >= count and rows, what=f"{count} LINE deliveries", timeout=20)


def test_replies_reach_the_line_chat_masked_and_the_export_lists_each_push(line_app, platform):
    user = line.new_user_id()
    public_id = report_through_line(line_app, platform, user)
    headers = staff_key(line_app)
    client = line_app.test_client()
    assert client.post(f"/api/v1/staff/reports/{public_id}/transitions", headers=headers,
                       json={"to": "acknowledged", "public_reply": REPLY}).status_code == 201
    wait_for_pushes(line_app, platform, 1)
    assert client.post(f"/api/v1/staff/reports/{public_id}/comments", headers=headers,
                       json={"public_reply": COMMENT}).status_code == 201
    pushes = wait_for_pushes(line_app, platform, 2)

    texts = [text for push in pushes for text in push.texts]
    assert "担当は［電話番号］、［メールアドレス］ までご連絡ください。" in texts[0] and "確認済" in texts[0]
    assert "追加の写真は ［電話番号］ へお電話のうえお送りください。" in texts[1]
    assert not any(written in text for text in texts for written in WRITTEN)
    # Staff still read the reply as written.
    history = client.get(f"/api/v1/staff/reports/{public_id}", headers=headers).get_json()["history"]
    assert any(entry.get("public_reply") == REPLY for entry in history)

    wait_delivered(line_app, 2)
    admin = admin_key(line_app)
    found = client.post(FIND, json={"by": "line_id", "value": user}, headers=admin).get_json()
    assert [(p["report"], p["event_type"], p["state"], p["text"]) for p in found["line_pushes"]] == [
        (public_id, "report.status_changed", "delivered", texts[0]),
        (public_id, "report.replied", "delivered", texts[1])]
    line_deliveries = [d for event in found["outbox"] for d in event["deliveries"] if d["kind"] == "line"]
    assert [d["address"] for d in line_deliveries] == [user, user]

    erased = client.post("/api/v1/staff/admin/privacy/erase", json={"by": "line_id", "value": user}, headers=admin)
    assert erased.status_code == 200 and erased.get_json()["line_users_deleted"] == 1
    again = client.post(FIND, json={"by": "line_id", "value": user}, headers=admin).get_json()
    assert again["line_pushes"] == [] and again["line_users"] == []
    with line_app.app_context():
        rows = db.session.execute(select(Delivery.state, Delivery.line_user_id, Delivery.sent_text)
                                  .where(Delivery.subscriber_id.is_not(None)).order_by(Delivery.id)).all()
    # The deliveries stay in the deliveries list, without whom they went to or what they said.
    assert rows == [("delivered", None, None), ("delivered", None, None)]


def test_the_retention_purge_clears_whom_a_push_went_to_and_what_it_said(line_app, platform):
    user = line.new_user_id()
    public_id = report_through_line(line_app, platform, user)
    headers = staff_key(line_app)
    client = line_app.test_client()
    for to in ("acknowledged", "in_progress"):
        client.post(f"/api/v1/staff/reports/{public_id}/transitions", headers=headers, json={"to": to})
    assert client.post(f"/api/v1/staff/reports/{public_id}/transitions", headers=headers,
                       json={"to": "resolved", "public_reply": "補修しました。"}).status_code == 201
    wait_for_pushes(line_app, platform, 4)
    (pushed, *_) = wait_delivered(line_app, 4)
    assert pushed.sent_text and pushed.line_user_id is not None

    with line_app.app_context():
        jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "990019"))
        days = retention.retention_days(jurisdiction, line_app.config["RETENTION_DAYS"])
        done = retention.purge(db.session(), utcnow() + timedelta(days=days + 1), line_app.config["RETENTION_DAYS"],
                               lambda j: Operator(jurisdiction_id=j.id), "990019")
        db.session.commit()
        assert done[0].removed.reports == [public_id]
        rows = db.session.execute(select(Delivery.line_user_id, Delivery.sent_text)
                                  .where(Delivery.subscriber_id.is_not(None))).all()
    assert len(rows) == 4 and set(rows) == {(None, None)}
