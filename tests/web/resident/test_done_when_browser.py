"""Issue 15's "done when", as one resident with only a phone's browser lives it, in Vietnamese.

A neighbour has reported a streetlight. The resident reports a pothole with a phone photo
and asks for e-mail updates, in under a minute; sees the neighbour's streetlight report in
"already reported?" and follows it instead of sending another; staff acknowledge and resolve
both with a public reply; the resident reads every mail on a real SMTP server (aiosmtpd on
127.0.0.1), delivered by the notification worker's own task from the outbox, and rates the
result from the link the mails give.
"""

from __future__ import annotations

import io
import json
import re
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests
from flask import current_app
from sqlalchemy import select

from service.domain import notifications
from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import Delivery, OutboxEvent, Rating, Report
from service.pipeline import pipeline_for
from tests.conftest import INSIDE
from tests.notifications import mail_server as mail_fixtures
from tests.notifications.mail_server import MailServer, text_of
from tests.web.resident.conftest import on_one_database
from tests.worker import processed_by_worker
from workers.notifications import delivery_policy, mailer

pytestmark = [pytest.mark.browser, on_one_database]

PHOTO = Path(__file__).resolve().parents[2] / "photos" / "samples" / "Landscape_6.jpg"
NEIGHBOUR_PHOTO = Path(__file__).resolve().parents[2] / "photos" / "samples" / "Landscape_1.jpg"
RESIDENT = "lan@example.jp"
NEIGHBOUR = "tanaka@example.jp"
mail_server = mail_fixtures.mail_server


@pytest.fixture()
def mail_settings(app, monkeypatch, mail_server: MailServer, live_server: str) -> None:
    """The app's mail goes to the test's SMTP server, and its links to the served pages."""
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": mail_server.port, "SMTP_FROM": "noreply@city.example.jp",
                        "PUBLIC_BASE_URL": live_server, "OUTBOUND_ALLOW_PRIVATE": "127.0.0.1/32"}.items():
        monkeypatch.setitem(app.config, name, value)


def deliver_mail() -> None:
    """What the notification worker does: turn pending outbox events into deliveries and attempt each due one."""
    # With this test's app's settings (its SMTP server): the task would take those of the app its
    # Celery instance belongs to, which in a process shared with other tests may be another.
    config = current_app.config
    notifications.dispatch(db.session)
    due = notifications.due_deliveries(db.session)
    if due:
        with requests.Session() as http:
            notifications.deliver_batch(db.session, due, http, policy=delivery_policy(config), mailer=mailer(config))


def mails_to(mail_server: MailServer, address: str, count: int, timeout: float = 20.0) -> list[EmailMessage]:
    """The mails ``address`` has received, once there are ``count`` of them or ``timeout`` has passed.

    Deliveries are attempted again until then: one may be under way in
    another thread of the served app, or not be due yet.
    """
    deadline = time.monotonic() + timeout
    while True:
        deliver_mail()
        mails = mail_server.to(address)
        if len(mails) >= count or time.monotonic() > deadline:
            return mails
        time.sleep(0.25)


def outbox_state(public_id: str) -> str:
    """What the outbox holds for a report, to say why a mail did not come."""
    db.session.expire_all()
    report = db.session.scalar(select(Report).where(Report.public_id == public_id))
    deliveries = db.session.execute(
        select(Delivery.recipient, Delivery.state, Delivery.attempts, Delivery.next_attempt_at, Delivery.last_error)
        .join(OutboxEvent, Delivery.outbox_event_id == OutboxEvent.id).where(OutboxEvent.report_id == report.id)).all()
    return (f"report email={report.reporter_email!r} updates={report.reporter_email_updates} "
            f"language={report.reporter_language}; deliveries={deliveries}")


def process(app, public_id: str) -> None:
    """The photo pipeline, geocoding and routing a worker runs on a new report."""
    report_id = db.session.scalar(select(Report.id).where(Report.public_id == public_id))
    processed_by_worker(db.session, report_id, pipeline_for(app))


def subjects(messages: list[EmailMessage]) -> list[str]:
    return [message["Subject"] for message in messages]


# The whole journey, mail included, runs on a worker of its own (with a Chromium of its own),
# apart from the other browser tests: run after them in one process, its confirmation mail
# did not come in two full runs, for a reason still to be found (outbox_state says what the
# outbox held).
@pytest.mark.xdist_group("resident_journey")
def test_a_resident_reports_a_pothole_follows_a_neighbours_streetlight_hears_by_mail_and_rates(
        app, client, phone, live_server, mail_server, mail_settings, screenshot, axe):
    # The neighbour reported the streetlight beforehand, through the resident API, with a photo.
    neighbours = client.post("/api/v1/reports", content_type="multipart/form-data", data={
        "category": "streetlight", "description": "街灯が夜になっても点きません", "lat": str(INSIDE["lat"]),
        "lon": str(INSIDE["lon"] + 0.0001), "reporter": json.dumps({"email": NEIGHBOUR, "email_updates": True}),
        "photos": [(io.BytesIO(NEIGHBOUR_PHOTO.read_bytes()), "IMG_0042.jpg")]})
    assert neighbours.status_code == 201, neighbours.get_json()
    streetlight = neighbours.get_json()["id"]
    process(app, streetlight)
    deliver_mail()
    mail_server.received.clear()

    page = phone("vi-VN")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    # 1. The pothole, with a phone photo and the phone's position, e-mail updates opted in: under a minute.
    started = time.monotonic()
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.get_by_label("Hư hỏng mặt đường").check()
    page.get_by_label("Ảnh").set_input_files(str(PHOTO))
    page.get_by_role("button", name="Dùng vị trí hiện tại").click()
    page.wait_for_function("() => document.getElementById('lat').value !== ''")
    page.get_by_label("Nội dung").fill("Ổ gà lớn trước cửa nhà, xe đạp dễ ngã")
    page.locator("#reporter_email").fill(RESIDENT)
    page.get_by_label("Nhận thông báo tình trạng xử lý qua e-mail").check()
    screenshot(page, "1-pothole-filled")
    page.get_by_role("button", name="Gửi").click()
    page.wait_for_url("**/sent")
    took = time.monotonic() - started
    assert took < 60, f"the report took {took:.1f} s"
    assert page.get_by_role("heading", level=1).inner_text() == "Đã gửi. Xin cảm ơn."
    pothole = page.url.split("/")[-2]
    screenshot(page, "2-pothole-sent")
    assert axe(page) == []
    process(app, pothole)

    received = mails_to(mail_server, RESIDENT, 1)
    assert len(received) == 1, outbox_state(pothole)
    (confirmation,) = received
    assert confirmation["Subject"] == f"[Machikoe] Đã tiếp nhận báo cáo của bạn ({pothole})"
    confirmed = text_of(confirmation)
    assert "Số báo cáo: " + pothole in confirmed and "Loại: Hư hỏng mặt đường" in confirmed
    private_link = re.search(r"^(http\S+/own\?lang=vi#t=\S+)$", confirmed, re.MULTILINE).group(1)
    assert private_link.startswith(f"{live_server}/reports/{pothole}/own")

    # 2. "Already reported?": the neighbour's streetlight, with its photo, status and distance; followed instead.
    page.goto(live_server + "/")
    page.get_by_label("Đèn đường hỏng").check()
    page.get_by_role("button", name="Dùng vị trí hiện tại").click()
    panel = page.locator(".nearby-panel")
    panel.wait_for()
    assert "Gần đây đã có báo cáo cùng loại" in panel.inner_text()
    assert "Cách đây khoảng 9 m" in panel.inner_text() and "Đã tiếp nhận" in panel.inner_text()
    assert panel.get_by_role("img").first.is_visible()
    panel.get_by_label("Địa chỉ e-mail").fill(RESIDENT)
    screenshot(page, "3-already-reported")
    assert axe(page) == []
    panel.get_by_role("button", name="Tôi cũng gặp (theo dõi)").click()
    page.wait_for_url(f"**/reports/{streetlight}/follow")
    assert page.get_by_role("heading", level=1).inner_text() == "Bạn đang theo dõi báo cáo này"
    screenshot(page, "4-followed")
    db.session.expire_all()
    assert db.session.scalar(select(Report.id).where(Report.category.has(code="streetlight")).where(
        Report.public_id != streetlight)) is None

    # 3. Staff work both: acknowledge, then resolve with a public reply.
    _, key = create_staff(db.session, name="道路課 職員", role="admin", jurisdiction_code="990019", department_code=None)
    db.session.commit()
    staff = {"Authorization": f"Bearer {key}"}
    for report_id in (pothole, streetlight):
        acknowledged = client.post(f"/api/v1/staff/reports/{report_id}/transitions", headers=staff,
                                   json={"to": "acknowledged", "public_reply": "現地を確認します。"})
        assert acknowledged.status_code == 201, acknowledged.get_json()
    deliver_mail()
    for report_id, reply in ((pothole, "穴を補修しました。"), (streetlight, "電球を交換しました。")):
        resolved = client.post(f"/api/v1/staff/reports/{report_id}/transitions", headers=staff,
                               json={"to": "resolved", "public_reply": reply})
        assert resolved.status_code == 201, resolved.get_json()
    deliver_mail()

    # 4. The resident's inbox, in Vietnamese: the confirmation, both reports' changes, the rating invitation.
    mails = mails_to(mail_server, RESIDENT, 6)
    assert sorted(subjects(mails)) == sorted([
        f"[Machikoe] Đã tiếp nhận báo cáo của bạn ({pothole})",
        f"[Machikoe] Báo cáo {pothole}: Đã xác nhận",
        f"[Machikoe] Báo cáo {streetlight}: Đã xác nhận",
        f"[Machikoe] Báo cáo {pothole}: Đã xử lý xong",
        f"[Machikoe] Báo cáo {streetlight}: Đã xử lý xong",
        f"[Machikoe] Xin hãy đánh giá việc xử lý báo cáo {pothole}",
    ])
    by_subject = {message["Subject"]: text_of(message) for message in mails}
    followed_resolved = by_subject[f"[Machikoe] Báo cáo {streetlight}: Đã xử lý xong"]
    assert (f"Tình trạng của báo cáo {streetlight} (Đèn đường hỏng) đã chuyển thành \"Đã xử lý xong\"."
            in followed_resolved)
    assert "Trả lời của thành phố:\n電球を交換しました。" in followed_resolved
    assert "Trả lời của thành phố:\n穴を補修しました。" in by_subject[f"[Machikoe] Báo cáo {pothole}: Đã xử lý xong"]
    invitation = by_subject[f"[Machikoe] Xin hãy đánh giá việc xử lý báo cáo {pothole}"]
    assert "đánh giá việc xử lý theo thang điểm từ 1 đến 5" in invitation
    for message in mails:
        text = text_of(message)
        assert "Để ngừng nhận các e-mail này, hãy mở liên kết sau:" in text
        assert message["List-Unsubscribe"].startswith(f"<{live_server}/unsubscribe/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # Nothing of the neighbour's: neither address nor words.
        assert NEIGHBOUR not in message.as_string() and "街灯が夜になっても" not in text

    # 5. The rating, from the private link the mails give.
    page.goto(private_link)
    page.get_by_role("heading", name="Đánh giá việc xử lý").wait_for()
    assert "#t=" not in page.url
    assert "穴を補修しました。" in page.locator(".timeline").inner_text()
    screenshot(page, "5-rating-form")
    assert axe(page) == []
    page.get_by_label("5").check()
    page.get_by_label("Đã sửa xong", exact=True).check()
    page.get_by_label("Ý kiến").fill("Sửa nhanh quá, cảm ơn!")
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_text("Đã gửi đánh giá. Xin cảm ơn.").wait_for()
    screenshot(page, "6-rated")
    db.session.expire_all()
    rating = db.session.scalar(select(Rating).join(Report).where(Report.public_id == pothole))
    assert (rating.score, rating.fixed, rating.comment) == (5, True, "Sửa nhanh quá, cảm ơn!")
    # The report shows the rating when the resident comes back to it.
    page.goto(f"{live_server}/reports/{pothole}/own")
    assert page.locator(".current-rating").inner_text() == "Đánh giá của bạn: 5 / 5 · Đã sửa xong"
    screenshot(page, "7-own-page-later")
    assert axe(page) == []
    assert [e for e in errors if "favicon" not in e] == []
